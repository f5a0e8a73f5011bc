//! `/api/recordings`: upload URL → PUT → register → playback through the
//! local store, validation and tenant isolation, against a real database.
//! What a delete removes (and the in-use conflict) is `recordings_delete`.

use axum::http::{Method, StatusCode};
use heyway_tests::recordings::{app, raw, register, upload};
use heyway_tests::{error_field, test_config, TestApp};
use mongodb::bson::{doc, oid::ObjectId, Bson};
use serde_json::{json, Value};

#[tokio::test]
async fn upload_register_play_list_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let user = app.user("Robin Madeup").await;
    let audio = b"ID3\x03\x00fake-audio-bytes".to_vec();

    let path = upload(&app, &user, &audio).await;
    let created = register(&app, &user, "  Spring reminder  ", &path).await;
    assert_eq!(created["name"], "Spring reminder");
    assert_eq!(created["filePath"], path.as_str());
    assert_eq!(created["duration"], 12.5);
    assert_eq!(created["isAIVoice"], false);
    let id = created["id"].as_str().unwrap().to_string();

    let raw_doc = app.raw_doc("recordings", &id).await;
    assert_eq!(raw_doc.get("userId"), Some(&Bson::ObjectId(user.id)));
    assert_eq!(raw_doc.get("duration"), Some(&Bson::Double(12.5)));
    assert_eq!(raw_doc.get_str("filePath").unwrap(), path);

    let (status, read) = app.get(&format!("/api/recordings/{id}"), &user).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    let url = read["url"].as_str().expect("a playable url");
    let (status, played) = raw(&app, Method::GET, url, Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(played, audio, "plays back what was uploaded");

    // A tampered token is refused.
    let tampered = url.replace("signature=", "signature=00");
    let (status, _) = raw(&app, Method::GET, &tampered, Vec::new()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Whole seconds are stored as int32, like the Node app.
    let second = upload(&app, &user, &audio).await;
    let (status, body) = app
        .post(
            "/api/recordings",
            &user,
            json!({ "name": "Second", "filePath": second, "duration": 6 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let raw_second = app
        .raw_doc("recordings", body["id"].as_str().unwrap())
        .await;
    assert_eq!(raw_second.get("duration"), Some(&Bson::Int32(6)));
    assert!(raw_second.get("professionalPrompt").is_none());

    // Recording-then-AI: the message text gives the agent its prompt.
    let third = upload(&app, &user, &audio).await;
    let (status, body) = app
        .post(
            "/api/recordings",
            &user,
            json!({ "name": "Third", "filePath": third, "duration": 4, "messageText": "Your order is ready." }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["originalText"], "Your order is ready.");
    let prompt = body["professionalPrompt"].as_str().unwrap();
    assert!(
        prompt.contains("Your order is ready.") && prompt.contains("Robin Madeup"),
        "{prompt}"
    );
    app.delete(
        &format!("/api/recordings/{}", body["id"].as_str().unwrap()),
        &user,
    )
    .await;

    let (status, page) = app.get("/api/recordings?limit=1", &user).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["name"], "Second", "newest first");

    let (status, body) = app.delete(&format!("/api/recordings/{id}"), &user).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = app.get(&format!("/api/recordings/{id}"), &user).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("recordings").await, 1);
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let user = app.user("Kim Madeup").await;
    let other = app.user("Lee Madeup").await;
    let path = upload(&app, &user, b"audio").await;
    let others_path = upload(&app, &other, b"audio").await;
    let never_uploaded = format!(
        "local://recordings/{}/{}.mp3",
        user.id.to_hex(),
        ObjectId::new().to_hex()
    );

    let cases = [
        (
            json!({ "name": "", "filePath": path, "duration": 5 }),
            "name",
        ),
        (
            json!({ "name": "x".repeat(101), "filePath": path, "duration": 5 }),
            "name",
        ),
        (json!({ "filePath": path, "duration": 5 }), "name"),
        (json!({ "name": "Ok", "duration": 5 }), "filePath"),
        (
            json!({ "name": "Ok", "filePath": others_path, "duration": 5 }),
            "filePath",
        ),
        (
            json!({ "name": "Ok", "filePath": never_uploaded, "duration": 5 }),
            "filePath",
        ),
        (
            json!({ "name": "Ok", "filePath": "gs://someone-else/r.mp3", "duration": 5 }),
            "filePath",
        ),
        (
            json!({ "name": "Ok", "filePath": format!("local://recordings/{}/../x.mp3", user.id.to_hex()), "duration": 5 }),
            "filePath",
        ),
        (
            json!({ "name": "Ok", "filePath": path, "duration": 0 }),
            "duration",
        ),
        (
            json!({ "name": "Ok", "filePath": path, "duration": 601 }),
            "duration",
        ),
        (json!({ "name": "Ok", "filePath": path }), "duration"),
        (
            json!({ "name": "Ok", "filePath": path, "duration": "long" }),
            "duration",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = app.post("/api/recordings", &user, body.clone()).await;
        assert!(
            status.is_client_error(),
            "{body} answered {status} {answer}"
        );
        assert_eq!(error_field(&answer), field, "{body}: {answer}");
    }
    assert_eq!(app.count("recordings").await, 0);

    let (status, answer) = app
        .post(
            "/api/recordings/upload-url",
            &user,
            json!({ "fileName": "notes.txt", "contentType": "text/plain" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&answer), "contentType");
}

#[tokio::test]
async fn another_tenant_sees_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let owner = app.user("Avery Madeup").await;
    let intruder = app.user("Blake Madeup").await;
    let path = upload(&app, &owner, b"audio").await;
    let created = register(&app, &owner, "Private", &path).await;
    let id = created["id"].as_str().unwrap();

    let (status, _) = app.get(&format!("/api/recordings/{id}"), &intruder).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .delete(&format!("/api/recordings/{id}"), &intruder)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = app.get("/api/recordings", &intruder).await;
    assert_eq!(page["total"], 0);
    let (status, _) = app.send(Method::GET, "/api/recordings", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("recordings").await, 1);
}

#[tokio::test]
async fn legacy_gcs_paths_explain_why_they_cannot_play() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let user = app.user("Morgan Madeup").await;
    let ids = app
        .insert_raw(
            "recordings",
            &[doc! {
                "_id": ObjectId::new(), "userId": user.id, "name": "recording 9_17_2025",
                "filePath": "gs://made-up-bucket/recording-1.mp3", "duration": 6,
                "signedUrl": Bson::Null,
            }],
        )
        .await;
    let (status, body) = app
        .get(&format!("/api/recordings/{}", ids[0].to_hex()), &user)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["url"], Value::Null);
    assert!(
        body["urlUnavailableReason"]
            .as_str()
            .unwrap()
            .contains("GCS"),
        "{body}"
    );
    assert_eq!(body["duration"], 6.0);
}

#[tokio::test]
async fn text_to_speech_stores_audio_with_its_real_duration() {
    use heyway_tests::elevenlabs_api::{FakeElevenLabs, FRAMES_PER_WORD, VOICE_ID};
    let fake = FakeElevenLabs::start().await;
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().to_str().unwrap().to_string();
    let mut overrides: Vec<(&str, String)> = fake.config();
    overrides.push(("RECORDINGS_STORE", "local".into()));
    overrides.push(("RECORDINGS_LOCAL_DIR", local));
    let pairs: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = TestApp::with_config(test_config(&pairs)).await;
    let user = app.user("Quinn Madeup").await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": user.id },
            doc! { "$set": {
                "profile": { "businessName": "Madeup Tires" },
                "aiConfig": { "voiceId": VOICE_ID, "voiceSettings": { "stability": 0.4 } },
            } },
        )
        .await
        .unwrap();

    let text = "Hi, this is Madeup Tires: your winter tires are ready.";
    let (status, body) = app
        .post(
            "/api/recordings/tts",
            &user,
            json!({ "text": text, "voiceSettings": { "stability": 0.5, "similarityBoost": 0.75 } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let words = text.split_whitespace().count();
    let expected = (words * FRAMES_PER_WORD) as f64 * 1152.0 / 44_100.0;
    let duration = body["duration"].as_f64().unwrap();
    assert!(
        (duration - expected).abs() < 0.01,
        "{duration} vs {expected}"
    );
    assert_eq!(body["isAIVoice"], true);
    assert_eq!(body["originalText"], text);
    assert_eq!(body["name"], "Hi, this is Madeup Tires: your");
    assert!(body["professionalPrompt"]
        .as_str()
        .unwrap()
        .contains("Madeup Tires"));

    // The wire format ElevenLabs got.
    let requests = fake.requests();
    let (path, sent) = requests.last().unwrap();
    assert_eq!(path, &format!("text-to-speech/{VOICE_ID}"));
    assert_eq!(sent["text"], text);
    assert!(sent["model_id"].is_string());
    assert_eq!(
        sent["voice_settings"],
        json!({ "stability": 0.5, "similarity_boost": 0.75 })
    );

    // Stored in the production shape, and it plays back.
    let raw_doc = app
        .raw_doc("recordings", body["id"].as_str().unwrap())
        .await;
    assert!(raw_doc.get_bool("isAIVoice").unwrap());
    assert!(matches!(raw_doc.get("duration"), Some(Bson::Double(_))));
    let settings = raw_doc.get_document("voiceSettings").unwrap();
    assert_eq!(settings.get_f64("stability").unwrap(), 0.5);
    assert_eq!(settings.get_str("voiceId").unwrap(), VOICE_ID);
    let (status, played) = raw(&app, Method::GET, body["url"].as_str().unwrap(), Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        (heyway::features::recordings::mp3::duration(&played).unwrap() - expected).abs() < 1e-6
    );

    // Bad input: named field, nothing written, ElevenLabs not asked.
    let asked = fake.requests().len();
    for (bad, field) in [
        (json!({ "text": "" }), "text"),
        (
            json!({ "text": "Hi", "voiceSettings": { "stability": 3 } }),
            "voiceSettings.stability",
        ),
        (
            json!({ "text": "Hi", "voiceSettings": { "pitch": 1 } }),
            "voiceSettings.pitch",
        ),
        (json!({ "text": "Hi", "voiceId": "bad id!" }), "voiceId"),
        (json!({ "text": "Hi", "name": "" }), "name"),
    ] {
        let (status, answer) = app.post("/api/recordings/tts", &user, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {answer}");
        assert_eq!(error_field(&answer), field, "{bad}: {answer}");
    }
    assert_eq!(fake.requests().len(), asked);
    // A voice ElevenLabs does not have.
    let (status, answer) = app
        .post(
            "/api/recordings/tts",
            &user,
            json!({ "text": "Hi", "voiceId": "voice_unknown" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_field(&answer), "voiceId");
    assert_eq!(app.count("recordings").await, 1);
}

#[tokio::test]
async fn s3_store_signs_put_and_get_urls() {
    let app = TestApp::with_config(test_config(&[
        ("RECORDINGS_STORE", "s3"),
        ("RECORDINGS_BUCKET", "made-up-recordings"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_REGION", "us-east-1"),
    ]))
    .await;
    let user = app.user("Sasha Madeup").await;
    let (status, body) = app
        .post(
            "/api/recordings/upload-url",
            &user,
            json!({ "fileName": "hello.wav", "contentType": "audio/wav" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let path = body["filePath"].as_str().unwrap();
    let key = path.strip_prefix("s3://made-up-recordings/").expect(path);
    assert!(key.starts_with(&format!("recordings/{}/", user.id.to_hex())));
    assert!(key.ends_with(".wav"));
    let upload = body["uploadUrl"].as_str().unwrap();
    assert!(upload.starts_with("https://"), "{upload}");
    assert!(upload.contains(key), "{upload}");
    for part in [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F",
        "X-Amz-Expires=900",
        "X-Amz-SignedHeaders=host",
        "X-Amz-Signature=",
    ] {
        assert!(upload.contains(part), "{part} missing from {upload}");
    }

    let created = register(&app, &user, "From S3", path).await;
    let url = created["url"].as_str().expect("signed GET url");
    assert!(url.contains("X-Amz-Expires=3600"), "{url}");
    assert_ne!(url, upload, "GET and PUT are signed apart");

    // Another bucket is not this server's.
    let (status, answer) = app
        .post(
            "/api/recordings",
            &user,
            json!({ "name": "Elsewhere", "filePath": path.replace("made-up-recordings", "other-bucket"), "duration": 3 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_field(&answer), "filePath");
}

/// The dialer plays a recording through a signed URL of its `filePath`,
/// and a recording-then-AI call's agent answers with its
/// `professionalPrompt` when the automation has no instructions.
#[tokio::test]
async fn the_dialer_plays_the_recording_through_a_signed_url() {
    use heyway::features::dialer::{Dialer, Disposition};
    use heyway::infra::queue::DialJob;
    use heyway_tests::twilio_api::{FakeTwilioApi, VALID_FROM};
    use mongodb::bson::DateTime as BsonDate;

    let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let db = heyway_tests::TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut pairs: Vec<(&str, String)> = fake.config();
    pairs.push(("WEBHOOK_BASE_URL", "https://hooks.heyway.test".into()));
    pairs.push(("DIALER_CALLS_PER_SECOND", "0".into()));
    pairs.push(("RECORDINGS_STORE", "local".into()));
    pairs.push(("RECORDINGS_LOCAL_DIR", dir.path().to_str().unwrap().into()));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dialer = Dialer::from_config(
        db.clone(),
        heyway::infra::outbound::http_client().unwrap(),
        &test_config(&pairs),
    )
    .unwrap();

    let (user, contact, automation, recording, call) = (
        ObjectId::new(),
        ObjectId::new(),
        ObjectId::new(),
        ObjectId::new(),
        ObjectId::new(),
    );
    let to = "+12125550101";
    let key = format!("recordings/{}/{}.mp3", user.to_hex(), recording.to_hex());
    let inserts = [
        (
            "users",
            doc! {
                "_id": user, "name": "Madeup Dental", "email": "owner@madeup.test",
                "timezone": "America/New_York", "preferredCallerID": VALID_FROM,
                "freeMinutes": 5, "__v": 0,
            },
        ),
        (
            "verifiedNumbers",
            doc! { "_id": ObjectId::new(), "userId": user, "phoneNumber": VALID_FROM, "verified": true },
        ),
        (
            "contacts",
            doc! {
                "_id": contact, "userId": user, "name": "Ellis Madeup", "phoneNumber": to,
                "email": "", "groups": [], "tags": [], "isActive": true, "__v": 0,
                "timezone": "America/New_York",
            },
        ),
        (
            "recordings",
            doc! {
                "_id": recording, "userId": user, "name": "Cleaning reminder",
                "filePath": format!("local://{key}"), "duration": 5, "signedUrl": Bson::Null,
                "professionalPrompt": "You answer for Madeup Dental after the cleaning reminder.",
            },
        ),
        (
            "automations",
            doc! {
                "_id": automation, "userId": user, "name": "Cleaning", "isActive": true,
                "callMode": "recording-ai", "audioMessage": recording.to_hex(),
                "aiInstructions": "", "timezone": "America/New_York",
            },
        ),
        (
            "scheduledcalls",
            doc! {
                "_id": call, "userId": user, "contactId": contact, "automationId": automation,
                "recipients": [{ "phoneNumber": to, "name": "Ellis Madeup", "contactId": contact }],
                "scheduledTime": BsonDate::from_chrono(at("2026-11-30T14:59:00Z")),
                "status": "queued", "callMode": "recording-ai", "notes": "", "retryCount": 0,
                "__v": 0,
            },
        ),
    ];
    for (collection, document) in inserts {
        db.raw(collection).insert_one(document).await.unwrap();
    }
    let job = DialJob {
        scheduled_call_id: call,
        user_id: user,
        scheduled_time: at("2026-11-30T14:59:00Z"),
    };
    let disposition = dialer
        .dial_at(&job, 1, at("2026-11-30T20:00:00Z"))
        .await
        .unwrap();
    assert_eq!(disposition, Disposition::Done);
    let placed = db
        .raw("calls")
        .find_one(doc! { "userId": user })
        .await
        .unwrap()
        .expect("a calls document");
    let ai = placed.get_document("aiConfig").unwrap();
    let url = ai.get_str("audioUrl").unwrap();
    assert!(
        url.starts_with(&format!(
            "https://hooks.heyway.test/api/recordings/files/{key}?expires="
        )),
        "{url}"
    );
    assert_eq!(
        ai.get_str("instructions").unwrap(),
        "You answer for Madeup Dental after the cleaning reminder."
    );
}
