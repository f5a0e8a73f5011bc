//! ElevenLabs' post-call webhook: signed per its contract, stored once,
//! opt-outs onto the contact, failed starts onto the call.

use axum::http::StatusCode;
use chrono::Utc;
use heyway_tests::webhooks::{
    elevenlabs_request, post_call, send_elevenlabs, send_text, send_twilio, twilio_signed,
    webhook_config, PlacedCall, ELEVENLABS_SECRET, TWILIO_TOKEN,
};
use heyway_tests::TestApp;
use mongodb::bson::{doc, Bson};
use serde_json::{json, Value};

async fn app() -> TestApp {
    TestApp::with_config(webhook_config(&[])).await
}

async fn ai_call(app: &TestApp) -> PlacedCall {
    PlacedCall::insert(app, "ai-only", PlacedCall::ai_config(None)).await
}

#[tokio::test]
async fn stores_transcript_analysis_and_metrics() {
    let app = app().await;
    let call = ai_call(&app).await;
    let body = post_call(
        &call,
        "conv_stored_0001",
        &[
            "It's going great, thanks!",
            "Could someone call me back about the warranty?",
        ],
        json!({
            "category": { "data_collection_id": "category", "value": "warranty_question", "rationale": "asked about the warranty" },
            "follow_up_needed": { "data_collection_id": "follow_up_needed", "value": true, "rationale": "wants a call" },
        }),
    );
    let (status, text) = send_elevenlabs(&app, &body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["status"], "stored");
    assert_eq!(answer["followUpNeeded"], true);

    let stored = call.call_doc(&app).await;
    let turns = stored.get_array("transcription").unwrap();
    assert_eq!(turns.len(), 5);
    let second = turns[1].as_document().unwrap();
    assert_eq!(second.get_str("role").unwrap(), "user");
    assert_eq!(
        second.get_str("message").unwrap(),
        "It's going great, thanks!"
    );
    assert_eq!(second.get_str("speaker").unwrap(), "user");
    assert_eq!(second.get_str("text").unwrap(), "It's going great, thanks!");
    assert_eq!(second.get_i32("time_in_call_secs").unwrap(), 3);
    let data = stored.get_document("elevenLabsData").unwrap();
    assert_eq!(data.get_str("conversation_id").unwrap(), "conv_stored_0001");
    assert_eq!(data.get_str("agent_id").unwrap(), "agent_test_0001");
    assert_eq!(data.get_str("status").unwrap(), "done");
    assert_eq!(
        data.get_str("termination_reason").unwrap(),
        "end_call tool was called."
    );
    let metrics = stored.get_document("metrics").unwrap();
    assert_eq!(metrics.get_i32("duration").unwrap(), 47);
    assert_eq!(metrics.get_i32("cost").unwrap(), 310);
    let analysis = stored.get_document("analysis").unwrap();
    assert_eq!(analysis.get_str("category").unwrap(), "warranty_question");
    assert!(analysis.get_bool("followUpNeeded").unwrap());
    assert_eq!(
        analysis.get_str("summary").unwrap(),
        "Pat talked about the new car."
    );
    assert_eq!(analysis.get_str("sentiment").unwrap(), "positive");
    assert_eq!(analysis.get_str("callSuccessful").unwrap(), "success");
    assert!(analysis.get_document("dataCollectionResults").is_ok());
    // Not an opt-out.
    assert!(call.contact_doc(&app).await.get("optedOut").is_none());
}

#[tokio::test]
async fn a_redelivery_changes_nothing() {
    let app = app().await;
    let call = ai_call(&app).await;
    let body = post_call(&call, "conv_again_0001", &["Fine."], json!({}));
    assert_eq!(send_elevenlabs(&app, &body).await.0, StatusCode::OK);
    let first = call.call_doc(&app).await;
    let (status, text) = send_elevenlabs(&app, &body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("already_stored"), "{text}");
    assert_eq!(call.call_doc(&app).await, first);
}

#[tokio::test]
async fn bad_stale_and_missing_signatures_are_refused() {
    let app = app().await;
    let call = ai_call(&app).await;
    let before = call.call_doc(&app).await;
    let body = post_call(&call, "conv_refused_0001", &["Stop calling me."], json!({})).to_string();
    let now = Utc::now().timestamp();
    let mut missing = elevenlabs_request(&body, ELEVENLABS_SECRET, now);
    missing.headers_mut().remove("elevenlabs-signature");
    for request in [
        elevenlabs_request(&body, "another-secret", now),
        // Older than the 30 minutes allowed.
        elevenlabs_request(&body, ELEVENLABS_SECRET, now - 31 * 60),
        missing,
    ] {
        let (status, text, _) = send_text(&app, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    }
    // Signed for one body, sent with another.
    let mut swapped = elevenlabs_request(&body, ELEVENLABS_SECRET, now);
    *swapped.body_mut() = axum::body::Body::from(body.replace("Stop calling", "Keep calling"));
    assert_eq!(send_text(&app, swapped).await.0, StatusCode::FORBIDDEN);
    // 29 minutes old is still fine.
    let (status, text, _) = send_text(
        &app,
        elevenlabs_request(&body, ELEVENLABS_SECRET, now - 29 * 60),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_ne!(call.call_doc(&app).await, before);
}

#[tokio::test]
async fn the_contract_vector_verifies() {
    // docs/contracts: secret test_secret, t=1700000000, this body.
    let body = r#"{"type":"post_call_transcription","event_timestamp":1700000000,"data":{"conversation_id":"abc"}}"#;
    let header = heyway::integrations::elevenlabs::signature::sign(
        "test_secret",
        1_700_000_000,
        body.as_bytes(),
    );
    assert_eq!(
        header,
        "t=1700000000,v0=fdc2cc277468fda6feb6106f7db0195f7508e561bfcfd2bf7c02c511cb98c1ee"
    );
    // Through the route, it is signed right but far too old.
    let app = TestApp::with_config(webhook_config(&[(
        "ELEVENLABS_WEBHOOK_SECRET",
        "test_secret".to_string(),
    )]))
    .await;
    let (status, text, _) =
        send_text(&app, elevenlabs_request(body, "test_secret", 1_700_000_000)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("too old"), "{text}");
}

#[tokio::test]
async fn malformed_unknown_and_other_types() {
    let app = app().await;
    let call = ai_call(&app).await;
    let before = call.call_doc(&app).await;
    let now = Utc::now().timestamp();
    for body in [
        "not json",
        r#"{"data":{}}"#,
        r#"{"type":"post_call_transcription","data":"x"}"#,
    ] {
        let (status, text, _) =
            send_text(&app, elevenlabs_request(body, ELEVENLABS_SECRET, now)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {text}");
    }
    // A conversation of no call of ours.
    let mut unknown = post_call(&call, "conv_unknown_0001", &["Hi"], json!({}));
    unknown["data"]["conversation_initiation_client_data"]["dynamic_variables"]["heyway_call_id"] =
        json!("6a0000000000000000000009");
    unknown["data"]["metadata"]["phone_call"]["call_sid"] =
        json!("CA0000000000000000000000000000dead");
    let (status, text) = send_elevenlabs(&app, &unknown).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    // Audio: acknowledged, ignored.
    let audio = json!({"type": "post_call_audio", "event_timestamp": now, "data": {"conversation_id": "c", "full_audio": "AAAA"}});
    let (status, text) = send_elevenlabs(&app, &audio).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("ignored"));
    assert_eq!(call.call_doc(&app).await, before);
}

#[tokio::test]
async fn finds_the_call_by_twilio_sid_then_conversation() {
    let app = app().await;
    let by_sid = ai_call(&app).await;
    let mut body = post_call(&by_sid, "conv_sid_0001", &["Fine."], json!({}));
    body["data"]["conversation_initiation_client_data"] = json!({"dynamic_variables": {}});
    assert_eq!(send_elevenlabs(&app, &body).await.0, StatusCode::OK);
    assert!(by_sid.call_doc(&app).await.get_document("analysis").is_ok());

    let by_conversation = ai_call(&app).await;
    app.db
        .raw("calls")
        .update_one(
            doc! { "_id": by_conversation.call },
            doc! { "$set": { "elevenLabsData": { "conversation_id": "conv_known_0001" } }, "$unset": { "twilioCallSid": "" } },
        )
        .await
        .unwrap();
    let mut body = post_call(&by_conversation, "conv_known_0001", &["Fine."], json!({}));
    body["data"]["conversation_initiation_client_data"] = Value::Null;
    body["data"]["metadata"]["phone_call"] = Value::Null;
    let (status, text) = send_elevenlabs(&app, &body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(by_conversation
        .call_doc(&app)
        .await
        .get_document("analysis")
        .is_ok());
}

#[tokio::test]
async fn asking_not_to_be_called_again_opts_the_contact_out() {
    let app = app().await;
    // Said in words.
    let said = ai_call(&app).await;
    let body = post_call(
        &said,
        "conv_optout_0001",
        &["Please don't call me again."],
        json!({}),
    );
    let (status, text) = send_elevenlabs(&app, &body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains(r#""optedOut":true"#), "{text}");
    let contact = said.contact_doc(&app).await;
    assert!(contact.get_bool("optedOut").unwrap());
    assert!(contact.get_datetime("optedOutAt").is_ok());
    assert_eq!(
        said.call_doc(&app)
            .await
            .get_document("analysis")
            .unwrap()
            .get_str("category")
            .unwrap(),
        "opt_out"
    );
    // Collected by the agent.
    let collected = ai_call(&app).await;
    let body = post_call(
        &collected,
        "conv_optout_0002",
        &["No thanks."],
        json!({"opt_out": {"data_collection_id": "opt_out", "value": true, "rationale": "asked to stop"}}),
    );
    assert_eq!(send_elevenlabs(&app, &body).await.0, StatusCode::OK);
    let contact = collected.contact_doc(&app).await;
    assert!(contact.get_bool("optedOut").unwrap());
}

#[tokio::test]
async fn a_failed_start_fails_the_call() {
    let app = app().await;
    let call = ai_call(&app).await;
    let body = json!({
        "type": "call_initiation_failure",
        "event_timestamp": Utc::now().timestamp(),
        "data": {
            "agent_id": "agent_test_0001",
            "conversation_id": "conv_failed_0001",
            "failure_reason": "busy",
            "metadata": { "type": "twilio", "body": { "CallSid": call.call_sid, "CallStatus": "busy" } },
        },
    });
    let (status, text) = send_elevenlabs(&app, &body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let stored = call.call_doc(&app).await;
    assert_eq!(stored.get_str("status").unwrap(), "busy");
    assert_eq!(
        stored
            .get_document("elevenLabsData")
            .unwrap()
            .get("failure_reason"),
        Some(&Bson::String("busy".into()))
    );
    assert_eq!(
        call.scheduled_doc(&app).await.get_str("status").unwrap(),
        "failed"
    );
    assert_eq!(call.callbacks(&app).await.len(), 1);
    // Again: nothing more.
    assert_eq!(send_elevenlabs(&app, &body).await.0, StatusCode::OK);
    assert_eq!(call.callbacks(&app).await.len(), 1);
}

/// Issue 12's attack, replayed: a correctly signed post-call webhook whose
/// `heyway_call_id` names another tenant's call, but whose conversation
/// and call SID are not that call's. The victim's call, transcript,
/// category, cost and contact stay as they were; so does the attacker's
/// own call, whose SID or conversation the forgery borrowed.
#[tokio::test]
async fn a_call_id_variable_alone_never_reaches_another_tenants_call() {
    let app = app().await;
    let victim = ai_call(&app).await;
    let attacker = ai_call(&app).await;
    assert_ne!(victim.user, attacker.user);
    app.db
        .raw("calls")
        .update_one(
            doc! { "_id": attacker.call },
            doc! { "$set": { "elevenLabsData": { "conversation_id": "conv_attacker_0001" } } },
        )
        .await
        .unwrap();
    let untouched = || async {
        (
            victim.call_doc(&app).await,
            victim.contact_doc(&app).await,
            attacker.call_doc(&app).await,
            attacker.contact_doc(&app).await,
        )
    };
    let before = untouched().await;
    // The victim's call id, with a conversation and SID of the attacker's.
    let forged = |conversation: &str, sid: Option<&str>| {
        let mut body = post_call(
            &victim,
            conversation,
            &["ATTACKER CONTROLLED TRANSCRIPT. Don't call me again."],
            json!({ "category": { "data_collection_id": "category", "value": "opt-out", "rationale": "x" } }),
        );
        body["data"]["metadata"]["cost"] = json!(999_999);
        body["data"]["metadata"]["phone_call"]["call_sid"] = json!(sid);
        body
    };
    // No call of ours had this conversation or this SID.
    let unknown = forged(
        "conv_attack_0001",
        Some("CA0000000000000000000000000000beef"),
    );
    let (status, text) = send_elevenlabs(&app, &unknown).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    // Without any SID either.
    let (status, text) = send_elevenlabs(&app, &forged("conv_attack_0002", None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    // The attacker's own call's SID; then its recorded conversation.
    for body in [
        forged("conv_attack_0003", Some(&attacker.call_sid)),
        forged("conv_attacker_0001", None),
    ] {
        let (status, text) = send_elevenlabs(&app, &body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{text}");
        assert!(text.contains("heyway_call_id"), "{text}");
    }
    // The victim's SID with the attacker's recorded conversation: two
    // calls, so neither.
    let mut split = forged("conv_attacker_0001", Some(&victim.call_sid));
    split["data"]["conversation_initiation_client_data"] = Value::Null;
    let (status, text) = send_elevenlabs(&app, &split).await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");
    assert_eq!(untouched().await, before);

    // The victim's own delivery still lands, and again is already stored.
    let genuine = post_call(
        &victim,
        "conv_victim_0001",
        &["All good, thanks."],
        json!({}),
    );
    let (status, text) = send_elevenlabs(&app, &genuine).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains(r#""status":"stored""#), "{text}");
    let (status, text) = send_elevenlabs(&app, &genuine).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("already_stored"), "{text}");
    let stored = victim.call_doc(&app).await;
    assert_eq!(
        stored
            .get_document("elevenLabsData")
            .unwrap()
            .get_str("conversation_id")
            .unwrap(),
        "conv_victim_0001"
    );
    // A redelivery found by the conversation alone (no SID) agrees too.
    let mut by_conversation = genuine.clone();
    by_conversation["data"]["metadata"]["phone_call"] = Value::Null;
    let (status, text) = send_elevenlabs(&app, &by_conversation).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("already_stored"), "{text}");
    assert!(victim.contact_doc(&app).await.get("optedOut").is_none());
}

/// A failed start names the call by Twilio's SID; a `heyway_call_id` of
/// another call does not move that other call.
#[tokio::test]
async fn a_failed_start_with_another_calls_id_is_refused() {
    let app = app().await;
    let victim = ai_call(&app).await;
    let before = victim.call_doc(&app).await;
    let body = json!({
        "type": "call_initiation_failure",
        "event_timestamp": Utc::now().timestamp(),
        "data": {
            "agent_id": "agent_test_0001",
            "conversation_id": "conv_failed_attack_0001",
            "failure_reason": "busy",
            "metadata": { "type": "twilio", "body": { "CallSid": "CA0000000000000000000000000000f00d", "CallStatus": "busy" } },
            "conversation_initiation_client_data": {
                "dynamic_variables": { "heyway_call_id": victim.call.to_hex() },
            },
        },
    });
    let (status, text) = send_elevenlabs(&app, &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    assert_eq!(victim.call_doc(&app).await, before);
    assert!(victim.callbacks(&app).await.is_empty());
}

/// The race: Twilio's sid reaches the dialer a moment after Twilio
/// accepted the call. The voice webhook (signed by Twilio, before the
/// agent is asked to take the call) records it when the dialer has not,
/// so the post-call webhook, which only comes after the conversation,
/// finds the call by it.
#[tokio::test]
async fn the_voice_webhook_records_the_sid_the_dialer_has_not_yet() {
    let app = app().await;
    let call = ai_call(&app).await;
    app.db
        .raw("calls")
        .update_one(
            doc! { "_id": call.call },
            doc! { "$unset": { "twilioCallSid": "" } },
        )
        .await
        .unwrap();
    let request = twilio_signed(
        TWILIO_TOKEN,
        &[(
            format!("/webhooks/twilio/voice?callId={}", call.call.to_hex()),
            call.status_form("in-progress", &[]),
        )],
    )
    .remove(0);
    let (status, text, _) = send_twilio(&app, &request).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        call.call_doc(&app).await.get_str("twilioCallSid").unwrap(),
        call.call_sid
    );
    let body = post_call(&call, "conv_race_0001", &["Fine."], json!({}));
    let (status, text) = send_elevenlabs(&app, &body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains(r#""status":"stored""#), "{text}");
}

/// Issue 16, part 1's gap: the report is stored, then the registry write
/// fails (the webhook answers 500). ElevenLabs' redelivery finds the
/// report already stored, and still registers the opt-out the first
/// delivery left pending; later deliveries do not register it again.
#[tokio::test]
async fn an_opt_out_the_registry_missed_is_registered_by_the_redelivery() {
    let app = app().await;
    let call = ai_call(&app).await;
    let e164 = heyway_tests::webhooks::CONTACT_PHONE;
    // Holds the registry's unique `activeKey` without being an active
    // entry for the number: the registration's insert fails.
    let blocker = doc! {
        "_id": mongodb::bson::oid::ObjectId::new(), "userId": call.user,
        "activeKey": format!("{}:{e164}", call.user.to_hex()), "phoneNumber": "+12125550199",
        "phoneForms": ["+12125550199"], "source": "manual",
        "addedAt": mongodb::bson::DateTime::now(),
    };
    app.db
        .raw("donotcall")
        .insert_one(blocker.clone())
        .await
        .unwrap();
    let body = post_call(
        &call,
        "conv_optout_retry_01",
        &["Please don't call me again."],
        json!({}),
    );
    let (status, text) = send_elevenlabs(&app, &body).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{text}");
    let stored = call.call_doc(&app).await;
    assert!(stored.get_document("analysis").is_ok(), "{stored:?}");
    let data = stored.get_document("elevenLabsData").unwrap();
    assert!(data.get_bool("opt_out_pending").unwrap());
    let registered = |app: &TestApp| {
        let db = app.db.clone();
        let user = call.user;
        async move {
            db.raw("donotcall")
                .count_documents(
                    doc! { "userId": user, "phoneForms": e164, "activeKey": { "$exists": true } },
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(registered(&app).await, 0);

    // The trouble passes; ElevenLabs delivers again.
    app.db
        .raw("donotcall")
        .delete_one(doc! { "_id": blocker.get_object_id("_id").unwrap() })
        .await
        .unwrap();
    let (status, text) = send_elevenlabs(&app, &body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("already_stored"), "{text}");
    assert_eq!(registered(&app).await, 1);
    let entry = app
        .db
        .raw("donotcall")
        .find_one(doc! { "userId": call.user, "phoneForms": e164 })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.get_str("source").unwrap(), "agent");
    assert_eq!(entry.get_object_id("callId").unwrap(), call.call);
    let stored = call.call_doc(&app).await;
    let data = stored.get_document("elevenLabsData").unwrap();
    assert!(data.get("opt_out_pending").is_none(), "{data:?}");

    // Done: the owner removes the number; a replay does not add it back.
    app.db
        .raw("donotcall")
        .update_many(
            doc! { "userId": call.user },
            doc! { "$unset": { "activeKey": "" }, "$set": { "removedAt": mongodb::bson::DateTime::now() } },
        )
        .await
        .unwrap();
    let (status, _) = send_elevenlabs(&app, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(registered(&app).await, 0);
}
