//! iOS subscriptions end to end through the App Store sandbox, as
//! `heyway serve` runs it: purchases posted to `/api/subscriptions/apple`
//! (verified, then looked up in the sandbox's App Store Server API, which
//! checks the JWT it is sent), and App Store Server Notifications V2
//! delivered to `/webhooks/apple`. After each step the `subscriptions`
//! document, the user's plan flags, what the dialer's plan check decides,
//! and `GET /api/billing/subscription`.

use chrono::Utc;
use heyway::features::apple_subscriptions::account_token;
use heyway::features::dialer::allowance::{self, Allowance, Denied};
use heyway::model::User;
use heyway_dev::sandbox::app_store::store::Event;
use heyway_dev::sandbox::app_store::{sign_with, Chain, SignedNotification};
use heyway_tests::app_store::{apple_library_verdicts, AppStoreStack, SignedCase, StackUser};
use mongodb::bson::{doc, Bson, Document};
use serde_json::Value;

/// What the dialer's plan check decides for the user now.
async fn dialer_says(stack: &AppStoreStack, user: &StackUser) -> Result<Allowance, Denied> {
    let user: User = mongodb::bson::from_document(stack.user_doc(user.id).await).expect("user");
    allowance::check(&stack.db, &user, Utc::now())
        .await
        .expect("allowance")
}

fn millis(doc: &Document, field: &str) -> Option<i64> {
    doc.get_datetime(field).ok().map(|d| d.timestamp_millis())
}

/// The signed payloads inside a notification body: the notification,
/// its transaction and its renewal info.
fn signed_parts(notification: &SignedNotification) -> Vec<SignedCase> {
    use base64::Engine;
    let body: Value = serde_json::from_str(&notification.body).unwrap();
    let outer = body["signedPayload"].as_str().unwrap().to_string();
    let payload = outer.split('.').nth(1).unwrap();
    let decoded: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let data = &decoded["data"];
    let name = &notification.notification_type;
    vec![
        SignedCase {
            name: format!("{name} notification"),
            kind: "notification",
            jws: outer,
        },
        SignedCase {
            name: format!("{name} transaction"),
            kind: "transaction",
            jws: data["signedTransactionInfo"].as_str().unwrap().to_string(),
        },
        SignedCase {
            name: format!("{name} renewal info"),
            kind: "renewal",
            jws: data["signedRenewalInfo"].as_str().unwrap().to_string(),
        },
    ]
}

/// Delivers `event` for `original` through the sandbox (a real POST to
/// `/webhooks/apple`); answers the webhook's JSON and the signed parts.
async fn deliver(stack: &AppStoreStack, original: &str, event: Event) -> (Value, Vec<SignedCase>) {
    let notification = stack
        .sandbox
        .event(original, event)
        .expect("a sandbox subscription");
    let delivery = stack.sandbox.deliver(&notification).await;
    assert_eq!(delivery.status, Some(200), "{delivery:?}");
    let answer: Value = serde_json::from_str(&delivery.answer).expect("JSON answer");
    (answer, signed_parts(&notification))
}

/// Long: the whole life of two subscriptions, checked after each step.
#[tokio::test]
async fn replays_purchase_renewal_grace_expiry_and_refund_through_the_sandbox() {
    let stack = AppStoreStack::start(&[]).await;
    let owner = stack.user("Apple Owner").await;
    let mut judged: Vec<SignedCase> = Vec::new();

    // Before: no plan, the dialer refuses.
    assert_eq!(stack.plan(&owner).await["status"], "none");
    assert_eq!(dialer_says(&stack, &owner).await, Err(Denied::NoMinutes));

    // A purchase, with the owner's appAccountToken.
    let token = account_token::for_user(owner.id);
    let purchase = stack
        .sandbox
        .purchase("com.example.pro.monthly", Some(&token));
    judged.push(SignedCase {
        name: "purchase".into(),
        kind: "transaction",
        jws: purchase.jws_representation.clone(),
    });
    let (status, answer) = stack.link(&owner, &purchase.jws_representation).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "active");
    assert_eq!(answer["plan"], "paid");
    assert_eq!(answer["hasActiveSubscription"], true);
    assert_eq!(answer["validationStatus"], "valid");
    // The API was asked, with a JWT it accepted.
    let calls = stack.sandbox.api_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0],
        (
            format!("/inApps/v1/subscriptions/{}", purchase.transaction_id),
            true
        )
    );
    let original = purchase.original_transaction_id.clone();
    let bought = stack.subscription(&original).await;
    assert_eq!(bought.get_object_id("userId").unwrap(), owner.id);
    assert_eq!(
        bought.get_str("productId").unwrap(),
        "com.example.pro.monthly"
    );
    assert_eq!(
        bought.get_str("transactionId").unwrap(),
        purchase.transaction_id
    );
    assert_eq!(bought.get_str("status").unwrap(), "active");
    assert_eq!(bought.get_str("plan").unwrap(), "paid");
    assert_eq!(bought.get_str("validationStatus").unwrap(), "valid");
    assert!(bought.get_datetime("lastReceiptValidation").is_ok());
    let period_end = millis(&bought, "currentPeriodEnd").unwrap();
    assert!(millis(&bought, "currentPeriodStart").unwrap() < period_end);
    assert_eq!(millis(&bought, "renewalDate"), Some(period_end));
    assert_eq!(bought.get("endDate"), Some(&Bson::Null));
    assert_eq!(bought.get_i32("__v").unwrap(), 0);
    let user = stack.user_doc(owner.id).await;
    assert!(user.get_bool("hasActiveSubscription").unwrap());
    assert_eq!(user.get_str("subscriptionStatus").unwrap(), "active");
    let plan = stack.plan(&owner).await;
    assert_eq!(plan["source"], "app_store", "{plan}");
    assert_eq!(plan["plan"], "paid");
    assert_eq!(plan["status"], "active");
    assert_eq!(plan["hasActiveSubscription"], true);
    assert_eq!(plan["originalTransactionId"], original.as_str());
    assert_eq!(dialer_says(&stack, &owner).await, Ok(Allowance::Paid));

    // Its SUBSCRIBED notification was signed before the API's answer:
    // stale, it changes nothing.
    let delivery = stack.sandbox.deliver(&purchase.notification).await;
    let answer: Value = serde_json::from_str(&delivery.answer).unwrap();
    assert_eq!(answer["status"], "stale", "{answer}");
    judged.extend(signed_parts(&purchase.notification));
    assert_eq!(
        stack
            .subscription(&original)
            .await
            .get_str("status")
            .unwrap(),
        "active"
    );

    // A renewal: a new transaction and period.
    let (answer, parts) = deliver(&stack, &original, Event::Renew).await;
    judged.extend(parts);
    assert_eq!(answer["status"], "applied", "{answer}");
    let renewed = stack.subscription(&original).await;
    assert_ne!(
        renewed.get_str("transactionId").unwrap(),
        purchase.transaction_id
    );
    assert_eq!(renewed.get_str("status").unwrap(), "active");
    let next_end = millis(&renewed, "currentPeriodEnd").unwrap();
    assert!(next_end > period_end);
    assert_eq!(millis(&renewed, "currentPeriodStart"), Some(period_end));
    assert_eq!(
        stack.plan(&owner).await["currentPeriodEnd"],
        Value::String(
            mongodb::bson::DateTime::from_millis(next_end)
                .to_chrono()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        )
    );
    assert_eq!(dialer_says(&stack, &owner).await, Ok(Allowance::Paid));

    // The next renewal fails: billing grace period, service goes on.
    let (answer, parts) = deliver(&stack, &original, Event::FailRenewal { grace: true }).await;
    judged.extend(parts);
    assert_eq!(answer["subscriptionStatus"], "grace_period", "{answer}");
    let grace = stack.subscription(&original).await;
    assert_eq!(grace.get_str("status").unwrap(), "grace_period");
    assert_eq!(grace.get_str("plan").unwrap(), "paid");
    assert_eq!(grace.get("renewalDate"), Some(&Bson::Null));
    let grace_end = millis(&grace, "endDate").unwrap();
    assert!(
        grace_end > next_end,
        "the grace period ends after the period"
    );
    assert!(stack
        .user_doc(owner.id)
        .await
        .get_bool("hasActiveSubscription")
        .unwrap());
    let plan = stack.plan(&owner).await;
    assert_eq!(plan["status"], "grace_period");
    assert_eq!(plan["hasActiveSubscription"], true);
    assert_eq!(dialer_says(&stack, &owner).await, Ok(Allowance::Paid));

    // The grace period ends unpaid: billing retry, no service.
    let (answer, parts) = deliver(&stack, &original, Event::GracePeriodExpired).await;
    judged.extend(parts);
    assert_eq!(answer["subscriptionStatus"], "past_due", "{answer}");
    let user = stack.user_doc(owner.id).await;
    assert!(!user.get_bool("hasActiveSubscription").unwrap());
    assert_eq!(user.get_str("subscriptionStatus").unwrap(), "past_due");
    assert_eq!(stack.plan(&owner).await["hasActiveSubscription"], false);
    assert_eq!(dialer_says(&stack, &owner).await, Err(Denied::NoMinutes));

    // Apple gives up: expired.
    let (answer, parts) = deliver(&stack, &original, Event::Expire).await;
    judged.extend(parts);
    assert_eq!(answer["subscriptionStatus"], "expired", "{answer}");
    let expired = stack.subscription(&original).await;
    assert_eq!(expired.get_str("status").unwrap(), "expired");
    assert_eq!(expired.get_str("plan").unwrap(), "free");
    assert_eq!(millis(&expired, "endDate"), Some(next_end));
    assert_eq!(expired.get_str("validationStatus").unwrap(), "valid");
    let plan = stack.plan(&owner).await;
    assert_eq!(
        (plan["plan"].clone(), plan["status"].clone()),
        ("free".into(), "expired".into())
    );
    assert_eq!(plan["hasActiveSubscription"], false);
    assert_eq!(dialer_says(&stack, &owner).await, Err(Denied::NoMinutes));

    // Another customer buys (no appAccountToken: linked to whoever posts
    // it), then Apple refunds it.
    let buyer = stack.user("Refund Buyer").await;
    let second = stack.sandbox.purchase("com.example.pro.monthly", None);
    let (status, answer) = stack.link(&buyer, &second.jws_representation).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(dialer_says(&stack, &buyer).await, Ok(Allowance::Paid));
    let (answer, parts) = deliver(&stack, &second.original_transaction_id, Event::Refund).await;
    judged.extend(parts);
    assert_eq!(answer["subscriptionStatus"], "refunded", "{answer}");
    let refunded = stack.subscription(&second.original_transaction_id).await;
    assert_eq!(refunded.get_str("status").unwrap(), "refunded");
    assert_eq!(refunded.get_str("validationStatus").unwrap(), "invalid");
    assert!(millis(&refunded, "endDate").unwrap() <= Utc::now().timestamp_millis());
    let user = stack.user_doc(buyer.id).await;
    assert!(!user.get_bool("hasActiveSubscription").unwrap());
    assert_eq!(user.get_str("subscriptionStatus").unwrap(), "refunded");
    let plan = stack.plan(&buyer).await;
    assert_eq!(plan["status"], "refunded");
    assert_eq!(plan["validationStatus"], "invalid");
    assert_eq!(dialer_says(&stack, &buyer).await, Err(Denied::NoMinutes));
    // The first owner's subscription was not touched.
    assert_eq!(
        stack
            .subscription(&original)
            .await
            .get_str("status")
            .unwrap(),
        "expired"
    );

    // Apple's own library accepts every payload our server accepted.
    let verdicts = apple_library_verdicts(
        &[stack.sandbox.chain().root_der()],
        "Sandbox",
        &stack.sandbox.settings().bundle_id,
        &judged,
    );
    for (case, verdict) in judged.iter().zip(verdicts) {
        assert_eq!(verdict, Ok(()), "{}", case.name);
    }
    assert!(judged.len() >= 16);
}

#[tokio::test]
async fn each_notification_applies_once_and_an_older_one_never_rolls_back() {
    let stack = AppStoreStack::start(&[]).await;
    let owner = stack.user("Once Owner").await;
    let token = account_token::for_user(owner.id);
    let purchase = stack
        .sandbox
        .purchase("com.example.pro.monthly", Some(&token));
    let original = purchase.original_transaction_id.clone();
    // Linked by its appAccountToken alone: the notification finds the
    // owner without a purchase posted.
    let (status, answer) = stack.notify(&purchase.notification.body).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("applied")),
        "{answer}"
    );
    assert_eq!(
        stack
            .subscription(&original)
            .await
            .get_object_id("userId")
            .unwrap(),
        owner.id
    );

    // 20 deliveries of one renewal at once: applied once.
    let renewal = stack.sandbox.event(&original, Event::Renew).unwrap();
    let answers =
        futures_util::future::join_all((0..20).map(|_| stack.notify(&renewal.body))).await;
    let labels: Vec<&str> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 200, "{body}");
            body["status"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        labels.iter().filter(|l| **l == "applied").count(),
        1,
        "{labels:?}"
    );
    assert_eq!(
        labels.iter().filter(|l| **l == "duplicate").count(),
        19,
        "{labels:?}"
    );
    let recorded = stack
        .db
        .raw("applenotifications")
        .count_documents(doc! { "notificationUUID": &renewal.notification_uuid })
        .await
        .unwrap();
    assert_eq!(recorded, 1);
    let subs = stack
        .db
        .raw("subscriptions")
        .count_documents(doc! { "userId": owner.id })
        .await
        .unwrap();
    assert_eq!(subs, 1);

    // Signed in this order, delivered in the other: the expiry stands.
    let older = stack
        .sandbox
        .event(&original, Event::AutoRenew { on: true })
        .unwrap();
    let newer = stack.sandbox.event(&original, Event::Expire).unwrap();
    assert!(older.signed_date <= newer.signed_date);
    // Equal milliseconds would let either win: sign the newer later.
    let newer = if older.signed_date == newer.signed_date {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        stack.sandbox.event(&original, Event::Expire).unwrap()
    } else {
        newer
    };
    let (_, answer) = stack.notify(&newer.body).await;
    assert_eq!(answer["subscriptionStatus"], "expired", "{answer}");
    let (status, answer) = stack.notify(&older.body).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("stale")),
        "{answer}"
    );
    assert_eq!(
        stack
            .subscription(&original)
            .await
            .get_str("status")
            .unwrap(),
        "expired"
    );
    assert!(!stack
        .user_doc(owner.id)
        .await
        .get_bool("hasActiveSubscription")
        .unwrap());
}

#[tokio::test]
async fn bad_signatures_are_refused_and_change_nothing() {
    let stack = AppStoreStack::start(&[]).await;
    let owner = stack.user("Forged Owner").await;
    let purchase = stack.sandbox.purchase("com.example.pro.monthly", None);
    let (status, _) = stack.link(&owner, &purchase.jws_representation).await;
    assert_eq!(status, 200);
    let original = purchase.original_transaction_id.clone();
    let before = stack.subscription(&original).await;
    let notifications_before = stack
        .db
        .raw("applenotifications")
        .count_documents(doc! {})
        .await
        .unwrap();

    // A refund signed by a chain of its own (same marker OIDs, another
    // root), and a genuine refund whose payload was edited.
    let refund = stack.sandbox.event(&original, Event::Refund).unwrap();
    let body: Value = serde_json::from_str(&refund.body).unwrap();
    let genuine = body["signedPayload"].as_str().unwrap();
    let (header, rest) = genuine.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let forged_chain = sign_with(&Chain::new(), &decode(payload));
    let mut edited = decode(payload);
    edited["notificationUUID"] = Value::String("00000000-0000-4000-8000-000000000000".into());
    let edited = format!("{header}.{}.{signature}", encode(&edited));
    for signed in [forged_chain, edited, "not.a.jws".to_string()] {
        let body = serde_json::json!({ "signedPayload": signed }).to_string();
        let (status, answer) = stack.notify(&body).await;
        assert_eq!(status, 403, "{answer}");
        assert_eq!(answer["error"]["code"], "bad_signature");
    }
    // Not a notification at all: 400.
    let (status, _) = stack.notify("{\"hello\":1}").await;
    assert_eq!(status, 400);
    assert_eq!(stack.subscription(&original).await, before);
    let notifications_after = stack
        .db
        .raw("applenotifications")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(notifications_after, notifications_before);

    // A forged purchase: 422 naming the field, nothing written.
    let stranger = stack.user("Forged Buyer").await;
    let other = stack.sandbox.purchase("com.example.pro.monthly", None);
    let (_, rest) = other.jws_representation.split_once('.').unwrap();
    let forged = sign_with(&Chain::new(), &decode(rest.split_once('.').unwrap().0));
    let (status, answer) = stack.link(&stranger, &forged).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["field"], "jwsRepresentation");
    let count = stack
        .db
        .raw("subscriptions")
        .count_documents(doc! { "userId": stranger.id })
        .await
        .unwrap();
    assert_eq!(count, 0);

    // The genuine refund still applies afterwards.
    let (status, answer) = stack.notify(&refund.body).await;
    assert_eq!(
        (status, answer["subscriptionStatus"].as_str()),
        (200, Some("refunded")),
        "{answer}"
    );
}

fn decode(part: &str) -> Value {
    use base64::Engine;
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

fn encode(value: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test]
async fn a_purchase_of_another_user_is_a_conflict_and_unknown_ones_are_recorded() {
    let stack = AppStoreStack::start(&[]).await;
    let first = stack.user("First Buyer").await;
    let second = stack.user("Second Buyer").await;
    let purchase = stack.sandbox.purchase("com.example.pro.monthly", None);
    let (status, _) = stack.link(&first, &purchase.jws_representation).await;
    assert_eq!(status, 200);
    let (status, answer) = stack.link(&second, &purchase.jws_representation).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["field"], "jwsRepresentation");
    // Its appAccountToken names the first user: the second cannot claim it.
    let token = account_token::for_user(first.id);
    let tokened = stack
        .sandbox
        .purchase("com.example.pro.monthly", Some(&token));
    let (status, _) = stack.link(&second, &tokened.jws_representation).await;
    assert_eq!(status, 409);
    let (status, _) = stack.link(&first, &tokened.jws_representation).await;
    assert_eq!(status, 200);
    let seconds = stack
        .db
        .raw("subscriptions")
        .count_documents(doc! { "userId": second.id })
        .await
        .unwrap();
    assert_eq!(seconds, 0);
    assert!(!stack
        .user_doc(second.id)
        .await
        .get_bool("hasActiveSubscription")
        .unwrap_or(false));

    // A purchase no user of ours holds: recorded, answered 200.
    let stray = stack.sandbox.purchase("com.example.pro.monthly", None);
    let (status, answer) = stack.notify(&stray.notification.body).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("unmatched")),
        "{answer}"
    );
    let recorded = stack
        .db
        .raw("applenotifications")
        .find_one(doc! { "notificationUUID": &stray.notification.notification_uuid })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(recorded.get_str("outcome").unwrap(), "unmatched");
    assert_eq!(
        recorded.get_str("originalTransactionId").unwrap(),
        stray.original_transaction_id
    );
    let stray_docs = stack
        .db
        .raw("subscriptions")
        .count_documents(doc! { "originalTransactionId": &stray.original_transaction_id })
        .await
        .unwrap();
    assert_eq!(stray_docs, 0);
}

#[tokio::test]
async fn a_legacy_receipt_row_keeps_its_state_until_apple_speaks_then_is_adopted() {
    let stack = AppStoreStack::start(&[]).await;
    let owner = stack.user("Legacy Owner").await;
    let purchase = stack.sandbox.purchase("com.example.pro.monthly", None);
    let original = purchase.original_transaction_id.clone();
    // As the Node app left it: a receipt, never validated since.
    let legacy = doc! {
        "_id": mongodb::bson::oid::ObjectId::new(), "userId": owner.id, "plan": "pro", "status": "active",
        "productId": "com.example.pro.monthly", "transactionId": &original,
        "originalTransactionId": &original, "receiptData": "MIIT-legacy-receipt",
        "callsUsedThisPeriod": 0, "lastReceiptValidation": Bson::Null, "validationStatus": "pending",
        "createdAt": mongodb::bson::DateTime::now(), "updatedAt": mongodb::bson::DateTime::now(), "__v": 0,
    };
    stack
        .db
        .raw("subscriptions")
        .insert_one(legacy.clone())
        .await
        .unwrap();
    assert_eq!(stack.plan(&owner).await["validationStatus"], "pending");
    // Apple's refund reaches the legacy row: the same document moves.
    let (answer, _) = deliver(&stack, &original, Event::Refund).await;
    assert_eq!(answer["status"], "applied", "{answer}");
    let rows: Vec<Document> = {
        use futures_util::TryStreamExt;
        stack
            .db
            .raw("subscriptions")
            .find(doc! { "userId": owner.id })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    };
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        row.get_object_id("_id").unwrap(),
        legacy.get_object_id("_id").unwrap()
    );
    assert_eq!(row.get_str("status").unwrap(), "refunded");
    assert_eq!(row.get_str("validationStatus").unwrap(), "invalid");
    assert_eq!(row.get_str("receiptData").unwrap(), "MIIT-legacy-receipt");
}

#[tokio::test]
async fn without_an_app_configured_purchases_are_unavailable_and_notifications_refused() {
    let app = heyway_tests::TestApp::new().await;
    let user = app.user("Unconfigured Owner").await;
    let (status, answer) = app
        .post(
            "/api/subscriptions/apple",
            &user,
            serde_json::json!({ "jwsRepresentation": "a.b.c" }),
        )
        .await;
    assert_eq!(status.as_u16(), 503, "{answer}");
    let request = axum::http::Request::builder()
        .method("POST")
        .uri("/webhooks/apple")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"signedPayload\":\"a.b.c\"}"))
        .unwrap();
    let (status, _) = app.send_raw(request).await;
    assert_eq!(status.as_u16(), 403);
    // An unknown field is a 422, as everywhere.
    let (status, _) = app
        .post(
            "/api/subscriptions/apple",
            &user,
            serde_json::json!({ "jwsRepresentation": "a.b.c", "receipt": "x" }),
        )
        .await;
    assert_eq!(status.as_u16(), 422);
}

#[tokio::test]
async fn the_sandbox_api_refuses_a_token_it_did_not_issue() {
    let stack = AppStoreStack::start(&[]).await;
    let purchase = stack.sandbox.purchase("com.example.pro.monthly", None);
    let path = format!(
        "/sandbox/app-store/inApps/v1/subscriptions/{}",
        purchase.transaction_id
    );
    let (status, _) = stack.send(reqwest::Method::GET, &path, None, None).await;
    assert_eq!(status, 401);
    // Our client's token, for another bundle id: refused too.
    let mut other = stack.config.apple.clone();
    other.bundle_id = Some("com.example.other".into());
    let client = heyway::integrations::app_store::AppStoreClient::from_config(
        reqwest::Client::new(),
        &other,
    )
    .unwrap();
    let refused = client
        .subscription_statuses(&purchase.transaction_id, Utc::now())
        .await;
    assert!(
        matches!(
            refused,
            Err(heyway::integrations::app_store::AppStoreError::Unavailable(
                _
            ))
        ),
        "{refused:?}"
    );
    // The right one is answered.
    let client = heyway::integrations::app_store::AppStoreClient::from_config(
        reqwest::Client::new(),
        &stack.config.apple,
    )
    .unwrap();
    let statuses = client
        .subscription_statuses(&purchase.transaction_id, Utc::now())
        .await
        .unwrap();
    assert_eq!(statuses.data[0].last_transactions[0].status, Some(1));
    let calls = stack.sandbox.api_calls();
    assert_eq!(
        calls.iter().map(|(_, ok)| *ok).collect::<Vec<_>>(),
        [false, false, true]
    );
}
