//! `DELETE /api/recordings/{id}` takes the recording's stored audio with
//! it: the object is there before and gone after, through the local store
//! (`heyway serve`) and through S3 (moto server); what another user
//! stores, what another recording still plays, what an active automation
//! plays and what a legacy path merely points at all stay.

use axum::http::{Method, StatusCode};
use heyway_tests::recordings::{app, raw, register, stored, upload};
use heyway_tests::{test_config, TestApp};
use mongodb::bson::{doc, oid::ObjectId, Bson};
use serde_json::json;

const AUDIO: &[u8] = b"ID3\x03\x00fake-audio-bytes";

#[tokio::test]
async fn delete_removes_the_audio_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let owner = app.user("Robin Madeup").await;
    let neighbour = app.user("Casey Madeup").await;

    let path = upload(&app, &owner, AUDIO).await;
    let created = register(&app, &owner, "Spring reminder", &path).await;
    let id = created["id"].as_str().unwrap();
    let old_url = created["url"].as_str().unwrap().to_string();

    // The neighbour's object has the same file name under their own prefix.
    let file_name = path.rsplit('/').next().unwrap();
    let lookalike = format!("local://recordings/{}/{file_name}", neighbour.id.to_hex());
    std::fs::create_dir_all(stored(&dir, &lookalike).parent().unwrap()).unwrap();
    std::fs::write(stored(&dir, &lookalike), AUDIO).unwrap();
    let theirs = register(&app, &neighbour, "Their reminder", &lookalike).await;

    assert!(stored(&dir, &path).exists(), "uploaded before the delete");
    let (status, body) = app.delete(&format!("/api/recordings/{id}"), &owner).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(!stored(&dir, &path).exists(), "removed with its recording");
    let (status, _) = raw(&app, Method::GET, &old_url, Vec::new()).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "an old signed URL plays nothing"
    );

    assert!(stored(&dir, &lookalike).exists());
    let (status, played) = raw(
        &app,
        Method::GET,
        theirs["url"].as_str().unwrap(),
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(played, AUDIO);
    assert_eq!(app.count("recordings").await, 1);
}

#[tokio::test]
async fn audio_another_recording_plays_stays_until_the_last_goes() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let user = app.user("Kim Madeup").await;
    let path = upload(&app, &user, AUDIO).await;
    let first = register(&app, &user, "First", &path).await;
    let second = register(&app, &user, "Second", &path).await;

    let (status, _) = app
        .delete(
            &format!("/api/recordings/{}", first["id"].as_str().unwrap()),
            &user,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        stored(&dir, &path).exists(),
        "the second recording still plays it"
    );
    let (_, read) = app
        .get(
            &format!("/api/recordings/{}", second["id"].as_str().unwrap()),
            &user,
        )
        .await;
    let (status, played) = raw(&app, Method::GET, read["url"].as_str().unwrap(), Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(played, AUDIO);

    let (status, _) = app
        .delete(
            &format!("/api/recordings/{}", second["id"].as_str().unwrap()),
            &user,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!stored(&dir, &path).exists());
}

/// The document is the source of truth: once it is gone the delete
/// succeeds, whether the object was already gone or the store refuses.
#[tokio::test]
async fn a_missing_or_stuck_object_does_not_fail_the_delete() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let user = app.user("Lee Madeup").await;

    let gone = upload(&app, &user, AUDIO).await;
    let created = register(&app, &user, "Gone", &gone).await;
    std::fs::remove_file(stored(&dir, &gone)).unwrap();
    let (status, body) = app
        .delete(
            &format!("/api/recordings/{}", created["id"].as_str().unwrap()),
            &user,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // A directory where the file was: removing it fails.
    let stuck = upload(&app, &user, AUDIO).await;
    let created = register(&app, &user, "Stuck", &stuck).await;
    std::fs::remove_file(stored(&dir, &stuck)).unwrap();
    std::fs::create_dir_all(stored(&dir, &stuck).join("inside")).unwrap();
    let (status, body) = app
        .delete(
            &format!("/api/recordings/{}", created["id"].as_str().unwrap()),
            &user,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(stored(&dir, &stuck).exists());
    assert_eq!(app.count("recordings").await, 0);
}

#[tokio::test]
async fn an_active_automation_keeps_the_recording_and_its_audio() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let user = app.user("Jordan Madeup").await;
    let path = upload(&app, &user, AUDIO).await;
    let created = register(&app, &user, "Oil change", &path).await;
    let id = created["id"].as_str().unwrap().to_string();
    let automation = app
        .insert_raw(
            "automations",
            &[doc! {
                "_id": ObjectId::new(), "userId": user.id, "name": "Oil change follow-up", "isActive": true,
                "callMode": "recording", "audioMessage": &id,
            }],
        )
        .await[0];

    let (status, body) = app.delete(&format!("/api/recordings/{id}"), &user).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Oil change follow-up"),
        "{body}"
    );
    assert_eq!(app.count("recordings").await, 1);
    assert!(
        stored(&dir, &path).exists(),
        "a refused delete removes nothing"
    );

    app.db
        .raw("automations")
        .update_one(
            doc! { "_id": automation },
            doc! { "$set": { "isActive": false } },
        )
        .await
        .unwrap();
    let (status, body) = app.delete(&format!("/api/recordings/{id}"), &user).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(!stored(&dir, &path).exists());
}

#[tokio::test]
async fn another_tenants_delete_removes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let owner = app.user("Avery Madeup").await;
    let intruder = app.user("Blake Madeup").await;
    let path = upload(&app, &owner, AUDIO).await;
    let created = register(&app, &owner, "Private", &path).await;
    let (status, _) = app
        .delete(
            &format!("/api/recordings/{}", created["id"].as_str().unwrap()),
            &intruder,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(stored(&dir, &path).exists());
    assert_eq!(app.count("recordings").await, 1);
}

/// Production documents point at objects this server did not hand out:
/// the Node app's `gs://` paths, public URLs, keys outside the owner's
/// prefix. Deleting the document leaves them.
#[tokio::test]
async fn legacy_paths_outside_the_prefix_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let user = app.user("Morgan Madeup").await;
    let outside = [
        "local://recordings/legacy-greeting.mp3".to_string(),
        format!("local://recordings/{}/theirs.mp3", ObjectId::new().to_hex()),
        format!("local://recordings/{}x/lookalike.mp3", user.id.to_hex()),
    ];
    for path in &outside {
        std::fs::create_dir_all(stored(&dir, path).parent().unwrap()).unwrap();
        std::fs::write(stored(&dir, path), AUDIO).unwrap();
    }
    let mut docs: Vec<_> = outside
        .iter()
        .map(|path| {
            doc! {
                "_id": ObjectId::new(), "userId": user.id, "name": "recording 9_17_2025",
                "filePath": path, "duration": 6, "signedUrl": Bson::Null,
            }
        })
        .collect();
    docs.push(doc! {
        "_id": ObjectId::new(), "userId": user.id, "name": "Old GCS",
        "filePath": "gs://made-up-bucket/recording-1.mp3", "duration": 6,
        "signedUrl": "https://storage.googleapis.com/made-up-bucket/recording-1.mp3",
    });
    let ids = app.insert_raw("recordings", &docs).await;

    for id in ids {
        let (status, body) = app
            .delete(&format!("/api/recordings/{}", id.to_hex()), &user)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    assert_eq!(app.count("recordings").await, 0);
    for path in &outside {
        assert!(stored(&dir, path).exists(), "{path} was only pointed at");
    }
}

#[tokio::test]
async fn text_to_speech_audio_goes_with_its_recording() {
    use heyway_tests::elevenlabs_api::{FakeElevenLabs, VOICE_ID};
    let fake = FakeElevenLabs::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut overrides: Vec<(&str, String)> = fake.config();
    overrides.push(("RECORDINGS_STORE", "local".into()));
    overrides.push(("RECORDINGS_LOCAL_DIR", dir.path().to_str().unwrap().into()));
    let pairs: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = TestApp::with_config(test_config(&pairs)).await;
    let user = app.user("Quinn Madeup").await;

    let (status, body) = app
        .post(
            "/api/recordings/tts",
            &user,
            json!({ "text": "Your winter tires are ready.", "voiceId": VOICE_ID }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let path = body["filePath"].as_str().unwrap();
    assert!(stored(&dir, path).exists());
    let (status, _) = app
        .delete(
            &format!("/api/recordings/{}", body["id"].as_str().unwrap()),
            &user,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!stored(&dir, path).exists());
}

mod s3 {
    //! The same through S3: moto server stands in for the bucket, and the
    //! API signs its PUT, GET and DELETE URLs as it does in production.

    use std::time::Duration;

    use heyway::infra::storage::Location;
    use heyway::infra::storage::Storage;
    use heyway_tests::TestUser;

    use super::*;

    const BUCKET: &str = "made-up-recordings";

    /// An app whose recordings live in a moto bucket.
    async fn app() -> TestApp {
        let endpoint = heyway_tests::moto::endpoint().await;
        let status = reqwest::Client::new()
            .put(format!("{endpoint}/{BUCKET}"))
            .send()
            .await
            .expect("moto")
            .status();
        assert!(
            status.is_success() || status == 409,
            "create bucket: {status}"
        );
        TestApp::with_config(test_config(&[
            ("RECORDINGS_STORE", "s3"),
            ("RECORDINGS_BUCKET", BUCKET),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_ALLOW_HTTP", "true"),
        ]))
        .await
    }

    /// A URL signed by the API's own store for `method` on `key`.
    async fn signed(app: &TestApp, method: Method, key: &str) -> String {
        let location = Location::S3 {
            bucket: BUCKET.into(),
            key: key.into(),
        };
        Storage::from_config(&app.state.config)
            .sign(method, &location, Duration::from_secs(60))
            .await
            .expect("signed")
            .url
    }

    /// Whether the bucket holds `key`.
    async fn exists(app: &TestApp, key: &str) -> bool {
        let status = reqwest::get(signed(app, Method::GET, key).await)
            .await
            .expect("moto")
            .status();
        assert!(status == 200 || status == 404, "{status}");
        status == 200
    }

    /// Stores a recording's audio at `key`, as the browser would.
    async fn put(app: &TestApp, key: &str) {
        put_to(&signed(app, Method::PUT, key).await).await;
    }

    async fn put_to(url: &str) {
        let status = reqwest::Client::new()
            .put(url)
            .header("content-type", "audio/mpeg")
            .body(AUDIO)
            .send()
            .await
            .expect("moto")
            .status();
        assert!(status.is_success(), "PUT {url}: {status}");
    }

    /// The browser's steps: upload URL, PUT, register. Answers the key.
    async fn upload(app: &TestApp, user: &TestUser, name: &str) -> (String, serde_json::Value) {
        let (status, body) = app
            .post(
                "/api/recordings/upload-url",
                user,
                json!({ "fileName": "greeting.mp3", "contentType": "audio/mpeg" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        put_to(body["uploadUrl"].as_str().unwrap()).await;
        let path = body["filePath"].as_str().unwrap();
        let key = path
            .strip_prefix(&format!("s3://{BUCKET}/"))
            .expect(path)
            .to_string();
        (key, register(app, user, name, path).await)
    }

    #[tokio::test]
    async fn delete_removes_the_object_from_the_bucket() {
        let app = app().await;
        let owner = app.user("Sasha Madeup").await;
        let neighbour = app.user("Drew Madeup").await;
        let (key, created) = upload(&app, &owner, "Spring reminder").await;
        let id = created["id"].as_str().unwrap().to_string();
        let url = created["url"].as_str().unwrap().to_string();
        assert_eq!(
            reqwest::get(&url).await.unwrap().bytes().await.unwrap(),
            AUDIO
        );

        // The neighbour's object: the same file name under their prefix.
        let file_name = key.rsplit('/').next().unwrap();
        let lookalike = format!("recordings/{}/{file_name}", neighbour.id.to_hex());
        put(&app, &lookalike).await;
        register(
            &app,
            &neighbour,
            "Theirs",
            &format!("s3://{BUCKET}/{lookalike}"),
        )
        .await;
        // A legacy document pointing at an object outside the owner's prefix
        // (a valid key of this bucket, but not under `recordings/{userId}/`).
        put(&app, "recordings/greeting-2019.mp3").await;
        let legacy = app
            .insert_raw(
                "recordings",
                &[doc! {
                    "_id": ObjectId::new(), "userId": owner.id, "name": "Legacy",
                    "filePath": format!("s3://{BUCKET}/recordings/greeting-2019.mp3"), "duration": 6,
                }],
            )
            .await[0];

        // An active automation plays it: 409, and the object stays.
        let automation = app
            .insert_raw(
                "automations",
                &[doc! {
                    "_id": ObjectId::new(), "userId": owner.id, "name": "Reminders",
                    "isActive": true, "callMode": "recording", "audioMessage": &id,
                }],
            )
            .await[0];
        let (status, body) = app.delete(&format!("/api/recordings/{id}"), &owner).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(exists(&app, &key).await);
        app.db
            .raw("automations")
            .update_one(
                doc! { "_id": automation },
                doc! { "$set": { "isActive": false } },
            )
            .await
            .unwrap();

        let (status, body) = app.delete(&format!("/api/recordings/{id}"), &owner).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert!(!exists(&app, &key).await, "removed from the bucket");
        let status = reqwest::get(&url).await.unwrap().status();
        assert_eq!(status, 404, "an old signed URL plays nothing");
        assert!(
            exists(&app, &lookalike).await,
            "the neighbour's object stays"
        );

        let (status, body) = app
            .delete(&format!("/api/recordings/{}", legacy.to_hex()), &owner)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert!(
            exists(&app, "recordings/greeting-2019.mp3").await,
            "only pointed at"
        );
        assert_eq!(app.count("recordings").await, 1);
    }
}
