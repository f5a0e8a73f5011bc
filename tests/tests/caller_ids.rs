//! `/api/caller-ids` and Twilio's validation callback, against a local
//! fake of Twilio's OutgoingCallerIds resource: the wire format we send,
//! both stores the old app kept numbers in, tenant isolation, bad input.

use axum::http::StatusCode;
use heyway_tests::twilio_api::{
    FakeCallerIds, ACCOUNT_SID, AUTH_TOKEN, CALLER_ID_ALREADY_ON_ACCOUNT, TO_UNAVAILABLE,
    VALIDATION_CODE,
};
use heyway_tests::webhooks::{send_twilio, twilio_signed, BASE_URL};
use heyway_tests::{error_field, test_config, TestApp, TestUser};
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use serde_json::json;

const NUMBER: &str = "+12125550142";

async fn app(fake: &FakeCallerIds) -> TestApp {
    let mut pairs = fake.config();
    pairs.push(("WEBHOOK_BASE_URL", BASE_URL.to_string()));
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestApp::with_config(test_config(&refs)).await
}

async fn user_doc(app: &TestApp, user: &TestUser) -> Document {
    app.raw_doc("users", &user.id.to_hex()).await
}

/// Twilio's callback for `phone`, signed with the account's token.
fn callback(
    user: ObjectId,
    phone: &str,
    status: &str,
    sid: Option<&str>,
) -> heyway_tests::webhooks::TwilioRequest {
    let mut form = vec![
        ("AccountSid".to_string(), ACCOUNT_SID.to_string()),
        (
            "CallSid".to_string(),
            "CA00000000000000000000000000000042".to_string(),
        ),
        ("To".to_string(), phone.to_string()),
        ("CallStatus".to_string(), "completed".to_string()),
        ("VerificationStatus".to_string(), status.to_string()),
    ];
    if let Some(sid) = sid {
        form.push(("OutgoingCallerIdSid".to_string(), sid.to_string()));
    }
    twilio_signed(
        AUTH_TOKEN,
        &[(
            format!("/webhooks/twilio/caller-id?userId={}", user.to_hex()),
            form,
        )],
    )
    .remove(0)
}

#[tokio::test]
async fn validation_starts_with_twilios_wire_format_and_the_callback_verifies_both_stores() {
    let fake = FakeCallerIds::start().await;
    let app = app(&fake).await;
    let owner = app.user("Caller Owner").await;
    // A legacy twilioConfig with other fields and another number.
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": owner.id },
            doc! { "$set": { "twilioConfig": { "accountSid": "ACold", "verifiedCallerIds": [{ "phoneNumber": "+12125550177", "verified": false, "note": "keep" }] } } },
        )
        .await
        .unwrap();

    let (status, body) = app
        .post(
            "/api/caller-ids",
            &owner,
            json!({ "phoneNumber": "(212) 555-0142", "friendlyName": "Shop line" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["validationCode"], VALIDATION_CODE);
    assert_eq!(body["phoneNumber"], NUMBER);
    assert_eq!(body["status"], "pending");

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].path,
        format!("/2010-04-01/Accounts/{ACCOUNT_SID}/OutgoingCallerIds.json")
    );
    let field = |name: &str| {
        requests[0]
            .fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(field("PhoneNumber").as_deref(), Some(NUMBER));
    assert_eq!(field("FriendlyName").as_deref(), Some("Shop line"));
    assert!(field("CallDelay").is_some());
    assert_eq!(
        field("StatusCallback").unwrap(),
        format!(
            "{BASE_URL}/webhooks/twilio/caller-id?userId={}",
            owner.id.to_hex()
        )
    );

    // Pending: listed, not verified, not usable as caller ID.
    let (_, list) = app.get("/api/caller-ids", &owner).await;
    let ids = list["callerIds"].as_array().unwrap();
    let pending = ids.iter().find(|i| i["phoneNumber"] == NUMBER).unwrap();
    assert_eq!(pending["verified"], false);
    assert_eq!(pending["status"], "pending");
    let stored = app
        .db
        .raw("verifiedNumbers")
        .find_one(doc! { "userId": owner.id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get_bool("verified"), Ok(false));
    let (status, _) = app
        .patch("/api/me", &owner, json!({ "preferredCallerID": NUMBER }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Twilio calls back: signed by Twilio's library.
    let sid = fake.verify(NUMBER);
    let (status, text, _) =
        send_twilio(&app, &callback(owner.id, NUMBER, "success", Some(&sid))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");

    let stored = app
        .db
        .raw("verifiedNumbers")
        .find_one(doc! { "userId": owner.id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get_bool("verified"), Ok(true));
    assert_eq!(stored.get_str("twilioSid"), Ok(sid.as_str()));
    let user = user_doc(&app, &owner).await;
    let config = user.get_document("twilioConfig").unwrap();
    assert_eq!(
        config.get_str("accountSid"),
        Ok("ACold"),
        "other fields kept"
    );
    let entries: Vec<&Document> = config
        .get_array("verifiedCallerIds")
        .unwrap()
        .iter()
        .filter_map(Bson::as_document)
        .collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].get_str("note"), Ok("keep"));
    assert_eq!(entries[0].get_bool("verified"), Ok(false));
    assert_eq!(entries[1].get_str("phoneNumber"), Ok(NUMBER));
    assert_eq!(entries[1].get_bool("verified"), Ok(true));
    // No preferred caller ID before: this one now.
    assert_eq!(user.get_str("preferredCallerID"), Ok(NUMBER));

    let (_, list) = app.get("/api/caller-ids", &owner).await;
    assert_eq!(list["preferredCallerID"], NUMBER);
    let verified = list["callerIds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["phoneNumber"] == NUMBER)
        .unwrap()
        .clone();
    assert_eq!(verified["verified"], true);
    assert_eq!(verified["preferred"], true);
    assert_eq!(verified["friendlyName"], "Shop line");

    // Adding it again: 409.
    let (status, body) = app
        .post("/api/caller-ids", &owner, json!({ "phoneNumber": NUMBER }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // A repeated callback changes nothing.
    let (status, _, _) =
        send_twilio(&app, &callback(owner.id, NUMBER, "success", Some(&sid))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.count("verifiedNumbers").await, 1);

    // Delete: from both stores, from Twilio, preferred cleared.
    let (status, body) = app.delete("/api/caller-ids/%2B12125550142", &owner).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(app.count("verifiedNumbers").await, 0);
    let user = user_doc(&app, &owner).await;
    assert_eq!(user.get_str("preferredCallerID"), Ok(""));
    let config = user.get_document("twilioConfig").unwrap();
    assert_eq!(config.get_array("verifiedCallerIds").unwrap().len(), 1);
    assert!(fake.verified().is_empty(), "removed from Twilio");
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.method, "DELETE");
    assert_eq!(
        last.path,
        format!("/2010-04-01/Accounts/{ACCOUNT_SID}/OutgoingCallerIds/{sid}.json")
    );
    let (status, _) = app.delete("/api/caller-ids/%2B12125550142", &owner).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_failed_validation_stays_pending_and_refresh_asks_twilios_list() {
    let fake = FakeCallerIds::start().await;
    let app = app(&fake).await;
    let owner = app.user("Refresh Owner").await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": owner.id },
            doc! { "$set": { "preferredCallerID": "+12125550199" } },
        )
        .await
        .unwrap();
    let (status, _) = app
        .post("/api/caller-ids", &owner, json!({ "phoneNumber": NUMBER }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = send_twilio(&app, &callback(owner.id, NUMBER, "failed", None)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = app.get("/api/caller-ids", &owner).await;
    assert_eq!(list["callerIds"][0]["status"], "failed");

    // Not verified on Twilio yet: still not verified.
    let (status, body) = app
        .post("/api/caller-ids/%2B12125550142/refresh", &owner, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], false);
    let get = fake.requests().pop().unwrap();
    assert_eq!(get.method, "GET");
    assert_eq!(
        get.fields,
        vec![("PhoneNumber".to_string(), NUMBER.to_string())]
    );

    fake.verify(NUMBER);
    let (status, body) = app
        .post("/api/caller-ids/%2B12125550142/refresh", &owner, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], true);
    assert_eq!(body["preferred"], false, "the preferred caller ID is kept");
    let user = user_doc(&app, &owner).await;
    assert_eq!(user.get_str("preferredCallerID"), Ok("+12125550199"));
    let (status, body) = app
        .patch(
            "/api/me",
            &owner,
            json!({ "preferredCallerID": "212-555-0142" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["preferredCallerID"], NUMBER);
}

#[tokio::test]
async fn tenants_are_isolated() {
    let fake = FakeCallerIds::start().await;
    let app = app(&fake).await;
    let owner = app.user("Owner A").await;
    let other = app.user("Owner B").await;
    app.post("/api/caller-ids", &owner, json!({ "phoneNumber": NUMBER }))
        .await;
    let sid = fake.verify(NUMBER);
    send_twilio(&app, &callback(owner.id, NUMBER, "success", Some(&sid))).await;

    let (_, list) = app.get("/api/caller-ids", &other).await;
    assert_eq!(list["callerIds"], json!([]));
    let (status, _) = app.delete("/api/caller-ids/%2B12125550142", &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post("/api/caller-ids/%2B12125550142/refresh", &other, json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Another account's verified number cannot be claimed.
    let (status, body) = app
        .post("/api/caller-ids", &other, json!({ "phoneNumber": NUMBER }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // A callback for B about A's number is ignored.
    let (status, _, _) =
        send_twilio(&app, &callback(other.id, NUMBER, "success", Some(&sid))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let claimed = app
        .db
        .raw("verifiedNumbers")
        .find_one(doc! { "userId": other.id })
        .await
        .unwrap();
    assert!(claimed.is_none());
    assert_eq!(fake.verified().len(), 1, "A's number stays on Twilio");
    // No token.
    let (status, _) = app
        .send(axum::http::Method::GET, "/api/caller-ids", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_input_and_twilio_refusals() {
    let fake = FakeCallerIds::start().await;
    let app = app(&fake).await;
    let owner = app.user("Input Owner").await;
    for body in [
        json!({ "phoneNumber": "12" }),
        json!({ "phoneNumber": "not a number" }),
    ] {
        let (status, answer) = app.post("/api/caller-ids", &owner, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(error_field(&answer), "phoneNumber");
    }
    let (status, answer) = app
        .post(
            "/api/caller-ids",
            &owner,
            json!({ "phoneNumber": NUMBER, "friendlyName": "x".repeat(65) }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&answer), "friendlyName");
    let (status, _) = app
        .post("/api/caller-ids", &owner, json!({ "phone": NUMBER }))
        .await;
    assert!(status.is_client_error());
    let (status, _) = app
        .send_text(axum::http::Method::POST, "/api/caller-ids", &owner, "{")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, answer) = app.delete("/api/caller-ids/abc", &owner).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&answer), "phone");

    // Twilio down: 503, nothing recorded.
    let (status, answer) = app
        .post(
            "/api/caller-ids",
            &owner,
            json!({ "phoneNumber": TO_UNAVAILABLE }),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("try"));
    // Already on the account (outside this app): 409 naming the field.
    let (status, answer) = app
        .post(
            "/api/caller-ids",
            &owner,
            json!({ "phoneNumber": CALLER_ID_ALREADY_ON_ACCOUNT }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(error_field(&answer), "phoneNumber");
    assert_eq!(app.count("verifiedNumbers").await, 0);

    // Callbacks: bad signature, missing user, unknown status.
    let mut forged = callback(
        owner.id,
        NUMBER,
        "success",
        Some("PN00000000000000000000000000000001"),
    );
    forged.signature = "AAAA".into();
    let (status, _, _) = send_twilio(&app, &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("verifiedNumbers").await, 0);
    let odd = callback(owner.id, NUMBER, "maybe", None);
    let (status, _, _) = send_twilio(&app, &odd).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let stranger = callback(ObjectId::new(), NUMBER, "success", None);
    let (status, _, _) = send_twilio(&app, &stranger).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_twilio_adding_is_unavailable() {
    let app = TestApp::new().await;
    let owner = app.user("No Twilio").await;
    let (status, body) = app
        .post("/api/caller-ids", &owner, json!({ "phoneNumber": NUMBER }))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

/// `heyway serve` without Twilio: the sandbox answers the validation and
/// calls back signed, over real HTTP.
#[tokio::test]
async fn the_sandbox_verifies_and_forgets_caller_ids() {
    use heyway_tests::stack::LocalStack;
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let token = stack.state.tokens.issue(user).unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/api/caller-ids", stack.base_url);
    let answer = http
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({ "phoneNumber": NUMBER }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201);
    let body: serde_json::Value = answer.json().await.unwrap();
    let code = body["validationCode"].as_str().unwrap();
    assert!(
        code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()),
        "{body}"
    );

    let failing = http
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({ "phoneNumber": "+12125550102" }))
        .send()
        .await
        .unwrap();
    assert_eq!(failing.status().as_u16(), 201);

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let list: serde_json::Value = http
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let status_of = |n: &str| {
            list["callerIds"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["phoneNumber"] == n)
                .map(|i| i["status"].as_str().unwrap().to_string())
        };
        if status_of(NUMBER).as_deref() == Some("verified")
            && status_of("+12125550102").as_deref() == Some("failed")
        {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            let docs: Vec<Document> = futures_util::TryStreamExt::try_collect(
                stack.db.raw("verifiedNumbers").find(doc! {}).await.unwrap(),
            )
            .await
            .unwrap();
            panic!("{list} {docs:?}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(stack.sandbox.verified_caller_ids().len(), 1);
    let user_doc = stack
        .db
        .raw("users")
        .find_one(doc! { "_id": user })
        .await
        .unwrap()
        .unwrap();
    let entries = user_doc
        .get_document("twilioConfig")
        .unwrap()
        .get_array("verifiedCallerIds")
        .unwrap();
    assert_eq!(entries.len(), 1);

    let deleted = http
        .delete(format!("{url}/%2B12125550142"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert!(stack.sandbox.verified_caller_ids().is_empty());
}

/// Twilio's validation callback can land before the API has heard
/// Twilio's answer to the request: the pending record is already there,
/// the callback settles it, and the late answer does not reopen it.
#[tokio::test]
async fn a_callback_before_twilios_answer_is_kept() {
    use heyway::features::caller_ids::{apply_callback, repo as stores, CallbackOutcome};
    let app = TestApp::new().await;
    let user = app.user("Quick Callback").await;
    let form = |to: &str, status: &str, call_sid: &str| -> Vec<(String, String)> {
        [
            ("To", to),
            ("CallSid", call_sid),
            ("VerificationStatus", status),
            ("OutgoingCallerIdSid", "PN00000000000000000000000000000001"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let status_of = |number: &'static str| {
        let db = app.db.clone();
        let id = user.id;
        async move {
            stores::find_number(&db, id, number)
                .await
                .unwrap()
                .and_then(|d| d.get_str("verificationStatus").ok().map(str::to_string))
        }
    };
    for (number, status, sid, settled) in [
        ("+12125550102", "failed", "CA01", "failed"),
        (NUMBER, "success", "CA02", "verified"),
    ] {
        stores::record_pending(&app.db, user.id, number, None)
            .await
            .unwrap();
        let outcome = apply_callback(&app.db, user.id, &form(number, status, sid))
            .await
            .unwrap();
        assert!(matches!(
            outcome,
            CallbackOutcome::Failed | CallbackOutcome::Verified
        ));
        stores::note_validation_call(&app.db, user.id, number, sid)
            .await
            .unwrap();
        assert_eq!(status_of(number).await.as_deref(), Some(settled));
    }
    let numbers = app
        .db
        .raw("verifiedNumbers")
        .count_documents(doc! { "userId": user.id })
        .await
        .unwrap();
    assert_eq!(numbers, 2);
}
