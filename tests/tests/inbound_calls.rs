//! `POST /webhooks/twilio/inbound`: a customer calls the business back.
//! Signed by Twilio's Python library; the agent is a local fake of
//! ElevenLabs' register-call.

use axum::http::StatusCode;
use heyway_tests::elevenlabs_api::{self, FakeElevenLabs};
use heyway_tests::webhooks::{
    post_call, send_elevenlabs, send_twilio, twilio_signed, webhook_config, PlacedCall,
    TwilioRequest, CALLER_ID, CONTACT_PHONE, TWILIO_TOKEN,
};
use heyway_tests::TestApp;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use serde_json::json;

const CALL_SID: &str = "CA0000000000000000000000000000a001";

async fn ai_app(fake: &FakeElevenLabs) -> TestApp {
    TestApp::with_config(webhook_config(&fake.config())).await
}

/// A business (the placed call's owner) reachable on [`CALLER_ID`], whose
/// earlier outbound call to Pat has a summary.
async fn business(app: &TestApp) -> PlacedCall {
    let placed = PlacedCall::insert(app, "ai-only", PlacedCall::ai_config(None)).await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": placed.user },
            doc! { "$set": { "twilioConfig": { "phoneNumber": CALLER_ID } } },
        )
        .await
        .unwrap();
    app.db
        .raw("calls")
        .update_one(
            doc! { "_id": placed.call },
            doc! { "$set": { "status": "completed", "analysis": { "summary": "Pat asked for a call back about the brakes." } } },
        )
        .await
        .unwrap();
    // Pat stored the old app's way: ten digits.
    app.db
        .raw("contacts")
        .update_one(
            doc! { "_id": placed.contact },
            doc! { "$set": { "phoneNumber": "2125550181" } },
        )
        .await
        .unwrap();
    placed
}

fn inbound(from: &str, to: &str, sid: &str) -> TwilioRequest {
    let form: Vec<(String, String)> = [
        ("CallSid", sid),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", from),
        ("Caller", from),
        ("To", to),
        ("Called", to),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    twilio_signed(
        TWILIO_TOKEN,
        &[("/webhooks/twilio/inbound".to_string(), form)],
    )
    .remove(0)
}

async fn inbound_calls(app: &TestApp) -> Vec<Document> {
    use futures_util::TryStreamExt;
    app.db
        .raw("calls")
        .find(doc! { "isInbound": true })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_known_contact_reaches_the_agent_told_why_they_were_called() {
    let fake = FakeElevenLabs::start().await;
    let app = ai_app(&fake).await;
    let placed = business(&app).await;

    let (status, twiml, content_type) =
        send_twilio(&app, &inbound(CONTACT_PHONE, CALLER_ID, CALL_SID)).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    assert_eq!(twiml, elevenlabs_api::TWIML);
    assert!(content_type.unwrap().starts_with("text/xml"));

    let calls = inbound_calls(&app).await;
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    let id = call.get_object_id("_id").unwrap();
    assert_eq!(call.get_object_id("userId"), Ok(placed.user));
    assert_eq!(call.get_str("status"), Ok("initiated"));
    assert_eq!(call.get_str("callMode"), Ok("ai-only"));
    assert_eq!(call.get_str("callerNumber"), Ok(CONTACT_PHONE));
    assert_eq!(call.get_str("from"), Ok(CONTACT_PHONE));
    assert_eq!(call.get_str("twilioCallSid"), Ok(CALL_SID));
    let data = call.get_document("inboundData").unwrap();
    assert_eq!(data.get_str("from"), Ok(CONTACT_PHONE));
    assert_eq!(data.get_str("to"), Ok(CALLER_ID));
    assert_eq!(data.get_object_id("contactId"), Ok(placed.contact));
    assert_eq!(data.get_str("contactName"), Ok("Pat Example"));
    assert_eq!(data.get_object_id("lastOutboundCallId"), Ok(placed.call));
    assert_eq!(
        data.get_str("lastOutboundSummary"),
        Ok("Pat asked for a call back about the brakes.")
    );
    let participant = call.get_array("participants").unwrap()[0]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(participant.get_object_id("contactId"), Ok(placed.contact));

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let (path, body) = &requests[0];
    assert_eq!(path, "register-call");
    assert_eq!(body["direction"], "inbound");
    assert_eq!(body["from_number"], CONTACT_PHONE);
    assert_eq!(body["to_number"], CALLER_ID);
    let vars = &body["conversation_initiation_client_data"]["dynamic_variables"];
    assert_eq!(vars["heyway_call_id"], id.to_hex());
    assert_eq!(vars["customer_name"], "Pat Example");
    assert!(
        vars["call_reason"].as_str().unwrap().contains("brakes"),
        "{vars}"
    );
    assert_eq!(
        vars["last_call_instructions"],
        "Ask Pat how the new car is going."
    );

    // Twilio repeats the webhook: the same call.
    let (status, _, _) = send_twilio(&app, &inbound(CONTACT_PHONE, CALLER_ID, CALL_SID)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(inbound_calls(&app).await.len(), 1);

    // Listed as inbound, not as outbound.
    let token = app.state.tokens.issue(placed.user).unwrap();
    let owner = heyway_tests::TestUser {
        id: placed.user,
        token,
    };
    let (status, page) = app.get("/api/calls?inbound=true", &owner).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"]
        .as_array()
        .or_else(|| page["data"].as_array())
        .unwrap_or_else(|| panic!("{page}"));
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["id"], id.to_hex());
    assert_eq!(items[0]["isInbound"], true);
    let (_, page) = app.get("/api/calls?inbound=false", &owner).await;
    let items = page["items"]
        .as_array()
        .or_else(|| page["data"].as_array())
        .unwrap();
    assert!(items.iter().all(|c| c["id"] != id.to_hex()));

    // The number's status callback has no callId: found by CallSid; no
    // scheduled call to update.
    let status_form = vec![
        ("CallSid".to_string(), CALL_SID.to_string()),
        ("From".to_string(), CONTACT_PHONE.to_string()),
        ("To".to_string(), CALLER_ID.to_string()),
        ("Direction".to_string(), "inbound".to_string()),
        ("CallStatus".to_string(), "completed".to_string()),
        ("CallDuration".to_string(), "47".to_string()),
    ];
    let signed = twilio_signed(
        TWILIO_TOKEN,
        &[("/webhooks/twilio/status".to_string(), status_form)],
    )
    .remove(0);
    let (status, text, _) = send_twilio(&app, &signed).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    let stored = app.raw_doc("calls", &id.to_hex()).await;
    assert_eq!(stored.get_str("status"), Ok("completed"));

    // ElevenLabs' post-call webhook, as for an outbound call.
    let as_placed = PlacedCall {
        call: id,
        call_sid: CALL_SID.to_string(),
        ..placed.clone()
    };
    let (status, text) = send_elevenlabs(
        &app,
        &post_call(
            &as_placed,
            "conv_inbound_1",
            &["I got your message about the brakes."],
            json!({}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("stored"), "{text}");
    let stored = app.raw_doc("calls", &id.to_hex()).await;
    assert!(!stored.get_array("transcription").unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_caller_is_still_answered() {
    let fake = FakeElevenLabs::start().await;
    let app = ai_app(&fake).await;
    business(&app).await;
    let (status, twiml, _) = send_twilio(&app, &inbound("+13105550123", CALLER_ID, CALL_SID)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(twiml, elevenlabs_api::TWIML);
    let calls = inbound_calls(&app).await;
    assert_eq!(calls.len(), 1);
    let data = calls[0].get_document("inboundData").unwrap();
    assert_eq!(data.get("contactId"), Some(&Bson::Null));
    assert_eq!(data.get("lastOutboundCallId"), Some(&Bson::Null));
    let vars = &fake.requests()[0].1["conversation_initiation_client_data"]["dynamic_variables"];
    assert_eq!(vars["customer_name"], "");
    assert_eq!(vars["call_reason"], "");
}

#[tokio::test]
async fn an_unknown_business_number_hears_a_message_and_nothing_is_recorded() {
    let fake = FakeElevenLabs::start().await;
    let app = ai_app(&fake).await;
    business(&app).await;
    let (status, twiml, content_type) =
        send_twilio(&app, &inbound(CONTACT_PHONE, "+19175550100", CALL_SID)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.unwrap().starts_with("text/xml"));
    assert!(
        twiml.contains("<Say>") && twiml.ends_with("<Hangup/></Response>"),
        "{twiml}"
    );
    assert!(inbound_calls(&app).await.is_empty());
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_business_found_by_its_verified_caller_id() {
    let fake = FakeElevenLabs::start().await;
    let app = ai_app(&fake).await;
    let placed = business(&app).await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": placed.user },
            doc! { "$unset": { "twilioConfig": "" } },
        )
        .await
        .unwrap();
    app.db
        .raw("verifiedNumbers")
        .insert_one(doc! { "_id": ObjectId::new(), "userId": placed.user, "phoneNumber": "2125550100", "verified": true })
        .await
        .unwrap();
    let (status, _, _) = send_twilio(&app, &inbound(CONTACT_PHONE, CALLER_ID, CALL_SID)).await;
    assert_eq!(status, StatusCode::OK);
    let calls = inbound_calls(&app).await;
    assert_eq!(calls[0].get_object_id("userId"), Ok(placed.user));
}

#[tokio::test]
async fn forwarding_dials_the_owner() {
    let fake = FakeElevenLabs::start().await;
    let app = ai_app(&fake).await;
    let placed = business(&app).await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": placed.user },
            doc! { "$set": { "preferences": { "inboundMode": "forward" }, "phoneNumber": "(312) 555-0111" } },
        )
        .await
        .unwrap();
    let (status, twiml, _) = send_twilio(&app, &inbound(CONTACT_PHONE, CALLER_ID, CALL_SID)).await;
    assert_eq!(status, StatusCode::OK);
    let calls = inbound_calls(&app).await;
    assert_eq!(calls.len(), 1);
    let call_id = calls[0].get_object_id("_id").unwrap().to_hex();
    assert!(
        twiml.contains(&format!(
            "<Dial action=\"/webhooks/twilio/inbound/forwarded?callId={call_id}\" method=\"POST\" timeout=\"20\"><Number>+13125550111</Number></Dial>"
        )),
        "{twiml}"
    );
    assert!(fake.requests().is_empty(), "the agent is not involved");
    assert_eq!(calls[0].get_str("callMode"), Ok("forward"));
}

/// Twilio's `<Dial>` action after the forward, signed as Twilio signs it.
fn forward_ended(call_id: &str, dial_status: &str) -> TwilioRequest {
    let form: Vec<(String, String)> = [
        ("CallSid", CALL_SID),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", CONTACT_PHONE),
        ("To", CALLER_ID),
        ("CallStatus", "in-progress"),
        ("Direction", "inbound"),
        ("DialCallStatus", dial_status),
        ("DialCallSid", "CA0000000000000000000000000000d001"),
        ("DialCallDuration", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    twilio_signed(
        TWILIO_TOKEN,
        &[(
            format!("/webhooks/twilio/inbound/forwarded?callId={call_id}"),
            form,
        )],
    )
    .remove(0)
}

/// An owner who does not pick up hands the caller to the agent; one who
/// does ends the call there.
#[tokio::test]
async fn an_unanswered_forward_goes_to_the_agent() {
    let fake = FakeElevenLabs::start().await;
    let app = ai_app(&fake).await;
    let placed = business(&app).await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": placed.user },
            doc! { "$set": { "preferences": { "inboundMode": "forward" }, "phoneNumber": "(312) 555-0111" } },
        )
        .await
        .unwrap();
    send_twilio(&app, &inbound(CONTACT_PHONE, CALLER_ID, CALL_SID)).await;
    let call_id = inbound_calls(&app).await[0]
        .get_object_id("_id")
        .unwrap()
        .to_hex();

    let (status, twiml, _) = send_twilio(&app, &forward_ended(&call_id, "no-answer")).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    assert!(twiml.contains("<Connect>"), "the agent's TwiML: {twiml}");
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let (path, body) = &requests[0];
    assert_eq!(path, "register-call");
    assert_eq!(body["direction"], "inbound");
    assert_eq!(body["from_number"], CONTACT_PHONE);
    assert_eq!(body["to_number"], CALLER_ID);
    assert_eq!(
        body["conversation_initiation_client_data"]["dynamic_variables"]["heyway_call_id"],
        call_id.as_str()
    );
    let call = &inbound_calls(&app).await[0];
    assert_eq!(call.get_str("callMode"), Ok("ai-only"));
    assert_eq!(
        call.get_document("aiConfig")
            .unwrap()
            .get_bool("useAIResponse"),
        Ok(true)
    );
    assert_eq!(
        call.get_document("inboundData")
            .unwrap()
            .get_str("forwardStatus"),
        Ok("no-answer")
    );

    // Answered by the owner: the call ends, the agent is not asked.
    let (status, twiml, _) = send_twilio(&app, &forward_ended(&call_id, "completed")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(twiml.contains("<Hangup/>"), "{twiml}");
    assert_eq!(fake.requests().len(), 1);

    // Forged, unknown or incomplete: refused, nothing changes.
    let mut forged = forward_ended(&call_id, "busy");
    forged.signature = twilio_signed(
        "another-token",
        &[(forged.path_and_query.clone(), forged.form.clone())],
    )
    .remove(0)
    .signature;
    assert_eq!(send_twilio(&app, &forged).await.0, StatusCode::FORBIDDEN);
    let unknown = forward_ended(&ObjectId::new().to_hex(), "busy");
    assert_eq!(send_twilio(&app, &unknown).await.0, StatusCode::NOT_FOUND);
    let mut no_status = forward_ended(&call_id, "busy");
    no_status.form.retain(|(k, _)| k != "DialCallStatus");
    let no_status = twilio_signed(
        TWILIO_TOKEN,
        &[(no_status.path_and_query.clone(), no_status.form.clone())],
    )
    .remove(0);
    assert_eq!(
        send_twilio(&app, &no_status).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        inbound_calls(&app).await[0]
            .get_document("inboundData")
            .unwrap()
            .get_str("forwardStatus"),
        Ok("completed")
    );
}

#[tokio::test]
async fn a_bad_signature_is_refused_and_records_nothing() {
    let fake = FakeElevenLabs::start().await;
    let app = ai_app(&fake).await;
    business(&app).await;
    let mut forged = inbound(CONTACT_PHONE, CALLER_ID, CALL_SID);
    forged.signature = twilio_signed(
        "another-token",
        &[(forged.path_and_query.clone(), forged.form.clone())],
    )
    .remove(0)
    .signature;
    let (status, _, _) = send_twilio(&app, &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut missing = inbound(CONTACT_PHONE, CALLER_ID, CALL_SID);
    missing.signature = String::new();
    let (status, _, _) = send_twilio(&app, &missing).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(inbound_calls(&app).await.is_empty());
    assert!(fake.requests().is_empty());
}
