//! Billing: `Stripe-Signature` against Stripe's own Python library, the
//! Stripe webhook, the billing routes against a local fake Stripe.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use heyway::integrations::stripe::signature as stripe_signature;
use serde_json::{json, Value};

/// Signs each case with `stripe.WebhookSignature._compute_signature` (what
/// Stripe's own tests do) and checks ours with `stripe.Webhook.construct_event`.
const SNIPPET: &str = r#"
import json, sys, time
import stripe

out = []
for case in json.load(sys.stdin):
    theirs = stripe.WebhookSignature._compute_signature(f"{case['t']}.{case['payload']}", case["secret"])
    try:
        stripe.Webhook.construct_event(case["payload"], case["ours"], case["secret"], tolerance=None)
        accepts = True
    except Exception:
        accepts = False
    out.append({"signature": theirs, "accepts_ours": accepts})
json.dump(out, sys.stdout)
"#;

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn stripe_available() -> bool {
    Command::new(python())
        .args(["-c", "import stripe"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run_python(cases: &[Value]) -> Vec<Value> {
    let mut child = Command::new(python())
        .args(["-c", SNIPPET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(cases).expect("json").as_bytes())
        .expect("write cases");
    let output = child.wait_with_output().expect("python output");
    assert!(output.status.success(), "python failed");
    serde_json::from_slice(&output.stdout).expect("python answered JSON")
}

#[test]
fn stripe_signature_agrees_with_stripes_python_library() {
    if !stripe_available() {
        eprintln!(
            "SKIPPED: `{} -c 'import stripe'` failed; run scripts/setup to install Stripe's Python library",
            python()
        );
        return;
    }
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    eprintln!("seed {seed}");
    let mut state = seed;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut inputs = vec![(
        "whsec_test_secret".to_string(),
        1_700_000_000_i64,
        r#"{"id":"evt_test","object":"event","type":"invoice.paid"}"#.to_string(),
    )];
    const PIECES: &[&str] = &[
        "a", "\"", "{", "}", " ", "é", "日", "😀", "\\n", ".", ",", "=",
    ];
    for i in 0..40 {
        let secret = format!("whsec_{:x}", next());
        let t = 1_600_000_000 + (next() % 200_000_000) as i64;
        let text: String = (0..next() % 40)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let payload =
            json!({ "id": format!("evt_{i}"), "type": "invoice.paid", "text": text }).to_string();
        inputs.push((secret, t, payload));
    }
    let cases: Vec<Value> = inputs
        .iter()
        .map(|(secret, t, payload)| {
            json!({ "secret": secret, "t": t, "payload": payload,
                    "ours": stripe_signature::sign(secret, *t, payload.as_bytes()) })
        })
        .collect();
    let answers = run_python(&cases);
    assert_eq!(answers.len(), inputs.len());
    for ((secret, t, payload), answer) in inputs.iter().zip(&answers) {
        let context = format!("seed {seed}, t {t}, payload {payload:?}");
        let theirs = answer["signature"].as_str().expect("signature");
        assert_eq!(
            stripe_signature::compute(secret, *t, payload.as_bytes()),
            theirs,
            "{context}"
        );
        let header = format!("t={t},v1={theirs}");
        assert_eq!(
            stripe_signature::verify(secret, &header, payload.as_bytes(), *t + 1, 300),
            Ok(()),
            "{context}"
        );
        assert!(
            stripe_signature::verify("whsec_wrong", &header, payload.as_bytes(), *t, 300).is_err(),
            "{context}"
        );
        assert_eq!(answer["accepts_ours"], true, "{context}");
    }
    assert_eq!(
        answers[0]["signature"],
        "02b5890a3376a18a176fde670ba47bc920bc30c6ae0deb7adf58049a4ead9aff"
    );
}

// ---- POST /webhooks/stripe ----

use axum::body::Body;
use axum::http::{Request, StatusCode};
use heyway_tests::{test_config, TestApp};
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};

const WHSEC: &str = "whsec_billing_test_0001";

async fn webhook_app(extra: &[(&str, &str)]) -> TestApp {
    let mut pairs = vec![("STRIPE_WEBHOOK_SECRET", WHSEC)];
    pairs.extend_from_slice(extra);
    TestApp::with_config(test_config(&pairs)).await
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn send_signed(app: &TestApp, event: &Value, header: Option<String>) -> (StatusCode, Value) {
    let body = event.to_string();
    let header = header.unwrap_or_else(|| stripe_signature::sign(WHSEC, now(), body.as_bytes()));
    let request = Request::builder()
        .method("POST")
        .uri("/webhooks/stripe")
        .header("content-type", "application/json")
        .header("stripe-signature", header)
        .body(Body::from(body))
        .unwrap();
    app.send_raw(request).await
}

async fn send_event(app: &TestApp, event: &Value) -> Value {
    let (status, body) = send_signed(app, event, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    json!({
        "id": id, "object": "event", "type": kind, "created": created,
        "api_version": "2025-03-31.basil", "livemode": false,
        "data": { "object": object, "previous_attributes": {} },
    })
}

fn subscription_object(user: ObjectId, status: &str, period_end: i64) -> Value {
    json!({
        "id": "sub_test_0001", "object": "subscription", "customer": "cus_test_0001",
        "status": status, "start_date": 1_764_000_000, "cancel_at_period_end": false,
        "cancel_at": null, "ended_at": null, "metadata": { "userId": user.to_hex() },
        "items": { "object": "list", "data": [{
            "id": "si_test_0001", "object": "subscription_item",
            "price": { "id": "price_test_pro", "object": "price" },
            "current_period_start": period_end - 2_592_000, "current_period_end": period_end,
        }] },
    })
}

async fn user_doc(app: &TestApp, id: ObjectId) -> Document {
    app.raw_doc("users", &id.to_hex()).await
}

async fn subscription_doc(app: &TestApp) -> Document {
    app.db
        .raw("subscriptions")
        .find_one(doc! { "stripeSubscriptionId": "sub_test_0001" })
        .await
        .unwrap()
        .expect("subscription document")
}

#[tokio::test]
async fn checkout_then_subscription_events_keep_user_and_subscription_true() {
    let app = webhook_app(&[]).await;
    let user = app.user("Billing Owner").await;
    let t = now() - 100;

    let session = json!({
        "id": "cs_test_1", "object": "checkout.session", "mode": "subscription",
        "client_reference_id": user.id.to_hex(), "customer": "cus_test_0001",
        "subscription": "sub_test_0001", "payment_status": "paid", "status": "complete",
        "metadata": {},
    });
    let answer = send_event(
        &app,
        &event("evt_1", "checkout.session.completed", t, session),
    )
    .await;
    assert_eq!(answer["status"], "applied", "{answer}");
    let stored = user_doc(&app, user.id).await;
    assert_eq!(stored.get_str("stripeCustomerId").unwrap(), "cus_test_0001");
    assert_eq!(
        stored.get_str("stripeSubscriptionId").unwrap(),
        "sub_test_0001"
    );
    assert!(stored.get_bool("hasActiveSubscription").unwrap());

    let period_end = t + 2_592_000;
    let answer = send_event(
        &app,
        &event(
            "evt_2",
            "customer.subscription.created",
            t + 1,
            subscription_object(user.id, "active", period_end),
        ),
    )
    .await;
    assert_eq!(answer["subscriptionStatus"], "active", "{answer}");
    let sub = subscription_doc(&app).await;
    assert_eq!(sub.get_object_id("userId").unwrap(), user.id);
    assert_eq!(sub.get_str("status").unwrap(), "active");
    assert_eq!(sub.get_str("stripeCustomerId").unwrap(), "cus_test_0001");
    assert_eq!(sub.get_str("stripePriceId").unwrap(), "price_test_pro");
    assert_eq!(
        sub.get_str("stripeSubscriptionItemId").unwrap(),
        "si_test_0001"
    );
    assert_eq!(
        sub.get_datetime("currentPeriodEnd")
            .unwrap()
            .timestamp_millis(),
        period_end * 1000
    );
    assert_eq!(app.count("subscriptions").await, 1);
    let stored = user_doc(&app, user.id).await;
    assert_eq!(stored.get_str("subscriptionStatus").unwrap(), "active");
    assert_eq!(stored.get_str("stripePriceId").unwrap(), "price_test_pro");
    assert_eq!(
        stored.get_str("stripeSubscriptionItemId").unwrap(),
        "si_test_0001"
    );
    assert!(stored.get_bool("hasActiveSubscription").unwrap());

    // A failed renewal, then a paid one.
    let invoice = |id: &str| {
        json!({ "id": id, "object": "invoice", "customer": "cus_test_0001",
                "parent": { "type": "subscription_details",
                            "subscription_details": { "subscription": "sub_test_0001", "metadata": {} } } })
    };
    send_event(
        &app,
        &event("evt_3", "invoice.payment_failed", t + 2, invoice("in_1")),
    )
    .await;
    let stored = user_doc(&app, user.id).await;
    assert_eq!(stored.get_str("subscriptionStatus").unwrap(), "past_due");
    assert!(!stored.get_bool("hasActiveSubscription").unwrap());
    send_event(
        &app,
        &event("evt_4", "invoice.paid", t + 3, invoice("in_2")),
    )
    .await;
    let stored = user_doc(&app, user.id).await;
    assert_eq!(stored.get_str("subscriptionStatus").unwrap(), "active");
    assert!(stored.get_bool("hasActiveSubscription").unwrap());

    // Canceled: the user can no longer pay by subscription.
    let mut canceled = subscription_object(user.id, "canceled", period_end);
    canceled["ended_at"] = json!(t + 4);
    send_event(
        &app,
        &event("evt_5", "customer.subscription.deleted", t + 4, canceled),
    )
    .await;
    let sub = subscription_doc(&app).await;
    assert_eq!(sub.get_str("status").unwrap(), "canceled");
    assert!(sub.get_datetime("endDate").is_ok());
    let stored = user_doc(&app, user.id).await;
    assert_eq!(stored.get_str("subscriptionStatus").unwrap(), "canceled");
    assert!(!stored.get_bool("hasActiveSubscription").unwrap());
    assert_eq!(app.count("stripeevents").await, 5);
}

#[tokio::test]
async fn each_event_applies_once_and_older_events_do_not_roll_back() {
    let app = webhook_app(&[]).await;
    let user = app.user("Order Owner").await;
    let t = now() - 100;
    let end = t + 2_592_000;
    let newer = event(
        "evt_new",
        "customer.subscription.updated",
        t + 10,
        subscription_object(user.id, "canceled", end),
    );
    let older = event(
        "evt_old",
        "customer.subscription.updated",
        t,
        subscription_object(user.id, "active", end),
    );

    assert_eq!(send_event(&app, &newer).await["status"], "applied");
    assert_eq!(send_event(&app, &newer).await["status"], "duplicate");
    let answer = send_event(&app, &older).await;
    assert_eq!(answer["status"], "stale", "{answer}");
    assert_eq!(
        subscription_doc(&app).await.get_str("status").unwrap(),
        "canceled"
    );
    let stored = user_doc(&app, user.id).await;
    assert_eq!(stored.get_str("subscriptionStatus").unwrap(), "canceled");
    assert!(!stored.get_bool("hasActiveSubscription").unwrap());

    // A duplicate after someone reset the document is still not re-applied.
    app.db
        .raw("subscriptions")
        .update_one(
            doc! { "stripeSubscriptionId": "sub_test_0001" },
            doc! { "$set": { "status": "active" } },
        )
        .await
        .unwrap();
    assert_eq!(send_event(&app, &newer).await["status"], "duplicate");
    assert_eq!(
        subscription_doc(&app).await.get_str("status").unwrap(),
        "active"
    );
}

#[tokio::test]
async fn finds_the_user_by_customer_and_respects_an_app_store_subscription() {
    let app = webhook_app(&[]).await;
    let user = app.user("Customer Owner").await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": user.id },
            doc! { "$set": { "stripeCustomerId": "cus_test_0001" } },
        )
        .await
        .unwrap();
    // An iOS subscription, stored as production has them.
    app.insert_raw(
        "subscriptions",
        &[doc! {
            "_id": ObjectId::new(), "userId": user.id, "plan": "free", "status": "active",
            "productId": null, "transactionId": null, "originalTransactionId": null, "receiptData": null,
            "endDate": null, "renewalDate": null, "callsUsedThisPeriod": 0, "callLimit": 5,
            "lastReceiptValidation": null, "validationStatus": "pending",
            "createdAt": mongodb::bson::DateTime::now(), "updatedAt": mongodb::bson::DateTime::now(), "__v": 0,
        }],
    )
    .await;
    let mut sub = subscription_object(user.id, "canceled", now() + 1000);
    sub["metadata"] = json!({});
    let answer = send_event(
        &app,
        &event("evt_c", "customer.subscription.deleted", now(), sub),
    )
    .await;
    assert_eq!(answer["status"], "applied", "{answer}");
    let stored = user_doc(&app, user.id).await;
    assert_eq!(stored.get_str("subscriptionStatus").unwrap(), "canceled");
    // The App Store subscription still lets the user call.
    assert!(stored.get_bool("hasActiveSubscription").unwrap());
    let ios = app
        .db
        .raw("subscriptions")
        .find_one(doc! { "stripeSubscriptionId": { "$exists": false } })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ios.get("receiptData"), Some(&mongodb::bson::Bson::Null));
    assert_eq!(ios.get_str("status").unwrap(), "active");
}

#[tokio::test]
async fn bad_signatures_change_nothing_and_unknown_types_are_ignored() {
    let app = webhook_app(&[]).await;
    let user = app.user("Sig Owner").await;
    let e = event(
        "evt_sig",
        "customer.subscription.created",
        now(),
        subscription_object(user.id, "active", now() + 1000),
    );
    let body = e.to_string();
    let stale = stripe_signature::sign(WHSEC, now() - 301, body.as_bytes());
    let wrong = stripe_signature::sign("whsec_other", now(), body.as_bytes());
    for header in [Some(stale), Some(wrong), Some("t=1,v1=00".to_string())] {
        let (status, answer) = send_signed(&app, &e, header).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
        assert_eq!(answer["error"]["code"], "bad_signature");
    }
    let request = Request::builder()
        .method("POST")
        .uri("/webhooks/stripe")
        .body(Body::from(body))
        .unwrap();
    assert_eq!(app.send_raw(request).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.count("subscriptions").await, 0);
    assert_eq!(app.count("stripeevents").await, 0);
    assert!(user_doc(&app, user.id)
        .await
        .get("hasActiveSubscription")
        .is_none());

    let other = event(
        "evt_other",
        "customer.created",
        now(),
        json!({ "id": "cus_x" }),
    );
    let answer = send_event(&app, &other).await;
    assert_eq!(answer["status"], "ignored");
    assert_eq!(answer["type"], "customer.created");

    // Not an event at all, but signed: 400.
    let (status, _) = send_signed(&app, &json!({ "hello": 1 }), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // No secret configured: refused.
    let unconfigured = TestApp::new().await;
    assert_eq!(
        send_signed(&unconfigured, &e, None).await.0,
        StatusCode::FORBIDDEN
    );
}

// ---- /api/billing/* and /api/usage against a local Stripe ----

use heyway_tests::stripe_api::{FakeStripe, MISSING_PRICE, PRICE_ID, SECRET_KEY};

async fn billing_app(stripe: &FakeStripe) -> TestApp {
    billing_app_selling(stripe, "").await
}

/// [`billing_app`] with `STRIPE_PRICE_IDS` (comma-separated) on sale too.
async fn billing_app_selling(stripe: &FakeStripe, price_ids: &str) -> TestApp {
    let mut pairs: Vec<(&str, String)> = stripe.config();
    pairs.push(("STRIPE_WEBHOOK_SECRET", WHSEC.to_string()));
    pairs.push(("STRIPE_PRICE_IDS", price_ids.to_string()));
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestApp::with_config(test_config(&refs)).await
}

#[tokio::test]
async fn checkout_creates_and_reuses_the_customer_with_a_form_encoded_session() {
    let stripe = FakeStripe::start().await;
    // Two more plans on sale, one of which Stripe does not know.
    let app = billing_app_selling(&stripe, &format!("price_test_other,{MISSING_PRICE}")).await;
    let user = app.user("Checkout Owner").await;

    let (status, answer) = app.post("/api/billing/checkout", &user, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer["url"]
        .as_str()
        .unwrap()
        .starts_with("https://checkout.stripe.com/"));
    let customers = stripe.requests_to("/v1/customers");
    assert_eq!(customers.len(), 1);
    assert_eq!(
        customers[0].param("email"),
        Some("checkout.owner@example.test")
    );
    assert_eq!(
        customers[0].param("metadata[userId]"),
        Some(user.id.to_hex().as_str())
    );
    assert!(customers[0].idempotency_key.is_some());
    let customer_id = user_doc(&app, user.id)
        .await
        .get_str("stripeCustomerId")
        .unwrap()
        .to_string();
    assert!(customer_id.starts_with("cus_fake"));

    let sessions = stripe.requests_to("/v1/checkout/sessions");
    let s = &sessions[0];
    assert_eq!(s.param("mode"), Some("subscription"));
    assert_eq!(s.param("customer"), Some(customer_id.as_str()));
    assert_eq!(
        s.param("client_reference_id"),
        Some(user.id.to_hex().as_str())
    );
    assert_eq!(s.param("line_items[0][price]"), Some(PRICE_ID));
    assert_eq!(s.param("line_items[0][quantity]"), Some("1"));
    assert_eq!(
        s.param("success_url"),
        Some("https://app.heyway.test/billing/success")
    );
    assert_eq!(
        s.param("cancel_url"),
        Some("https://app.heyway.test/billing")
    );
    assert_eq!(
        s.param("subscription_data[metadata][userId]"),
        Some(user.id.to_hex().as_str())
    );

    // A second checkout, another price: the same customer, no new one.
    let (status, _) = app
        .post(
            "/api/billing/checkout",
            &user,
            json!({ "priceId": "price_test_other" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stripe.requests_to("/v1/customers").len(), 1);
    let sessions = stripe.requests_to("/v1/checkout/sessions");
    assert_eq!(sessions[1].param("customer"), Some(customer_id.as_str()));
    assert_eq!(
        sessions[1].param("line_items[0][price]"),
        Some("price_test_other")
    );

    // Field-level errors: ours, and Stripe's.
    let (status, answer) = app
        .post("/api/billing/checkout", &user, json!({ "priceId": "gold" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["field"], "priceId");
    let (status, answer) = app
        .post(
            "/api/billing/checkout",
            &user,
            json!({ "priceId": MISSING_PRICE }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["field"], "line_items[0][price]");
    let (status, _) = app
        .post("/api/billing/checkout", &user, json!({ "plan": "x" }))
        .await;
    assert!(status.is_client_error());
}

/// An attacker names a price of the account that is not on sale (a test
/// price, someone's discount): refused before Stripe hears of it.
#[tokio::test]
async fn checkout_sells_only_the_configured_prices() {
    let stripe = FakeStripe::start().await;
    let app = billing_app_selling(&stripe, " price_test_team , ").await;
    let user = app.user("Price Picker").await;
    for price in [
        "price_1Cheap0Test",
        "price_test_team,price_x",
        "",
        "price_test_pro_2",
    ] {
        let (status, answer) = app
            .post("/api/billing/checkout", &user, json!({ "priceId": price }))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{price}: {answer}"
        );
        assert_eq!(answer["error"]["field"], "priceId", "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains("price_test_team"), "{answer}");
    }
    assert!(
        stripe.requests().is_empty(),
        "Stripe heard nothing, not even a new customer"
    );
    assert!(user_doc(&app, user.id)
        .await
        .get("stripeCustomerId")
        .is_none());
    // Surrounding blanks are not a different price.
    let (status, answer) = app
        .post(
            "/api/billing/checkout",
            &user,
            json!({ "priceId": format!(" {PRICE_ID} ") }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let sessions = stripe.requests_to("/v1/checkout/sessions");
    assert_eq!(
        sessions.len(),
        1,
        "only the configured price reached Stripe"
    );
    assert_eq!(sessions[0].param("line_items[0][price]"), Some(PRICE_ID));

    // The other plan on sale, and the default one.
    for (body, sold) in [
        (json!({ "priceId": "price_test_team" }), "price_test_team"),
        (json!({}), PRICE_ID),
    ] {
        let (status, answer) = app.post("/api/billing/checkout", &user, body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let sessions = stripe.requests_to("/v1/checkout/sessions");
        let last = sessions.last().unwrap();
        assert_eq!(last.param("line_items[0][price]"), Some(sold));
    }
    assert_eq!(stripe.requests_to("/v1/checkout/sessions").len(), 3);

    // Without one configured, nothing is on sale: billing is unavailable.
    let stripe = FakeStripe::start().await;
    let mut pairs = stripe.config();
    pairs.retain(|(k, _)| *k != "STRIPE_PRICE_ID");
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bare = TestApp::with_config(test_config(&refs)).await;
    let user = bare.user("Price Picker").await;
    let (status, answer) = bare
        .post(
            "/api/billing/checkout",
            &user,
            json!({ "priceId": PRICE_ID }),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert!(stripe.requests().is_empty());
}

#[tokio::test]
async fn portal_needs_a_customer_and_sends_it_with_the_return_url() {
    let stripe = FakeStripe::start().await;
    let app = billing_app(&stripe).await;
    let user = app.user("Portal Owner").await;
    let (status, answer) = app.post("/api/billing/portal", &user, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": user.id },
            doc! { "$set": { "stripeCustomerId": "cus_T5VS2a8giGV1As" } },
        )
        .await
        .unwrap();
    let (status, answer) = app.post("/api/billing/portal", &user, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer["url"]
        .as_str()
        .unwrap()
        .starts_with("https://billing.stripe.com/"));
    let portal = stripe.requests_to("/v1/billing_portal/sessions");
    assert_eq!(portal[0].param("customer"), Some("cus_T5VS2a8giGV1As"));
    assert_eq!(
        portal[0].param("return_url"),
        Some("https://app.heyway.test/settings")
    );
}

#[tokio::test]
async fn a_wrong_key_or_no_configuration_answers_unavailable_or_refused() {
    let stripe = FakeStripe::start().await;
    let mut pairs = stripe.config();
    pairs.retain(|(k, _)| *k != "STRIPE_SECRET_KEY");
    pairs.push(("STRIPE_SECRET_KEY", "sk_test_wrong".to_string()));
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = TestApp::with_config(test_config(&refs)).await;
    let user = app.user("Key Owner").await;
    let (status, _) = app.post("/api/billing/checkout", &user, json!({})).await;
    assert!(status.is_client_error() || status == StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        stripe.requests().is_empty(),
        "the fake refused before recording"
    );
    assert!(user_doc(&app, user.id)
        .await
        .get("stripeCustomerId")
        .is_none());

    let bare = TestApp::new().await;
    let user = bare.user("Bare Owner").await;
    let (status, answer) = bare.post("/api/billing/checkout", &user, json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    let (status, _) = bare.post("/api/billing/portal", &user, json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let _ = SECRET_KEY;
}

#[tokio::test]
async fn subscription_and_usage_read_stripe_and_app_store_plans() {
    let stripe = FakeStripe::start().await;
    let app = billing_app(&stripe).await;
    let user = app.user("Plan Owner").await;
    let (status, answer) = app.get("/api/billing/subscription", &user).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["plan"], "free");
    assert_eq!(answer["status"], "none");
    assert_eq!(answer["hasActiveSubscription"], false);

    // A free App Store plan as production stores it.
    let now = mongodb::bson::DateTime::now();
    app.insert_raw(
        "subscriptions",
        &[doc! {
            "_id": ObjectId::new(), "userId": user.id, "plan": "free", "status": "active",
            "productId": null, "transactionId": null, "originalTransactionId": null, "receiptData": null,
            "endDate": null, "renewalDate": null, "callsUsedThisPeriod": 2, "callLimit": 5,
            "lastReceiptValidation": null, "validationStatus": "pending",
            "startDate": now, "currentPeriodStart": now, "currentPeriodEnd": now,
            "createdAt": now, "updatedAt": now, "__v": 0,
        }],
    )
    .await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": user.id },
            doc! { "$set": { "freeMinutes": 238, "freeCalls": 3, "stripeCustomerId": "cus_T5jllSZ7pIHhk8" } },
        )
        .await
        .unwrap();
    let reset = chrono::Utc::now() + chrono::Duration::days(10);
    app.insert_raw(
        "usage",
        &[doc! {
            "_id": ObjectId::new(), "customerId": "cus_T5jllSZ7pIHhk8", "minutesUsed": 1.1099999999999999,
            "resetDate": mongodb::bson::DateTime::from_chrono(reset), "createdAt": now, "updatedAt": now,
        }],
    )
    .await;
    let (_, answer) = app.get("/api/billing/subscription", &user).await;
    assert_eq!(answer["plan"], "free");
    assert_eq!(answer["source"], "app_store");
    assert_eq!(answer["callLimit"], 5.0);
    assert_eq!(answer["validationStatus"], "pending");
    let (status, answer) = app.get("/api/usage", &user).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // serde_json's default float parsing is not exact to the last bit.
    assert!((answer["minutesUsed"].as_f64().unwrap() - 1.11).abs() < 1e-9);
    assert_eq!(answer["freeMinutes"], 238.0);
    assert_eq!(answer["freeCalls"], 3.0);
    assert_eq!(answer["callLimit"], 5.0);
    assert_eq!(answer["callsLeft"], 3.0);
    assert!(answer["resetDate"].is_string());

    // Unauthenticated: 401.
    let (status, _) = app
        .send(axum::http::Method::GET, "/api/usage", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

// ---- metering: a completed call's minutes, once ----

use heyway_tests::webhooks::{
    send_twilio, twilio_signed, webhook_config, PlacedCall, TWILIO_TOKEN,
};

fn completed(call: &PlacedCall, duration: &str) -> heyway_tests::webhooks::TwilioRequest {
    twilio_signed(
        TWILIO_TOKEN,
        &[(
            format!("/webhooks/twilio/status?callId={}", call.call.to_hex()),
            call.status_form(
                "completed",
                &[("CallDuration", duration), ("AnsweredBy", "human")],
            ),
        )],
    )
    .remove(0)
}

async fn metering_app(stripe: &FakeStripe) -> TestApp {
    let mut extra = stripe.config();
    extra.push(("STRIPE_METER_EVENT_NAME", "heyway_minutes".to_string()));
    TestApp::with_config(webhook_config(&extra)).await
}

#[tokio::test]
async fn a_completed_call_spends_free_minutes_then_usage_and_reports_once() {
    let stripe = FakeStripe::start().await;
    let app = metering_app(&stripe).await;
    let call = PlacedCall::insert(&app, "ai-only", PlacedCall::ai_config(None)).await;
    let period_end = chrono::Utc::now() + chrono::Duration::days(20);
    let now = mongodb::bson::DateTime::now();
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": call.user },
            doc! { "$set": { "freeMinutes": 1, "stripeCustomerId": "cus_meter_0001", "hasActiveSubscription": true } },
        )
        .await
        .unwrap();
    app.insert_raw(
        "subscriptions",
        &[doc! {
            "_id": ObjectId::new(), "userId": call.user, "status": "active",
            "stripeSubscriptionId": "sub_meter_0001", "stripeCustomerId": "cus_meter_0001",
            "currentPeriodEnd": mongodb::bson::DateTime::from_chrono(period_end),
            "createdAt": now, "updatedAt": now,
        }],
    )
    .await;
    // Last period's usage: rolled over by this call.
    let usage_id = app
        .insert_raw(
            "usage",
            &[doc! {
                "_id": ObjectId::new(), "customerId": "cus_meter_0001", "minutesUsed": 7.25,
                "resetDate": mongodb::bson::DateTime::from_chrono(chrono::Utc::now() - chrono::Duration::days(1)),
                "createdAt": now, "updatedAt": now,
            }],
        )
        .await
        .remove(0);

    let request = completed(&call, "150");
    for _ in 0..2 {
        let (status, body, _) = send_twilio(&app, &request).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let stored = call.call_doc(&app).await;
    assert!(stored.get_datetime("billedAt").is_ok());
    assert_eq!(stored.get_f64("billedMinutes").unwrap(), 2.5);
    assert_eq!(stored.get_f64("billedFreeMinutes").unwrap(), 1.0);
    assert_eq!(stored.get_f64("billedPaidMinutes").unwrap(), 1.5);
    assert!(stored.get_datetime("meterReportedAt").is_ok());
    let user = app.raw_doc("users", &call.user.to_hex()).await;
    assert_eq!(user.get_i32("freeMinutes").unwrap(), 0);
    let usage = app.raw_doc("usage", &usage_id.to_hex()).await;
    assert_eq!(usage.get_f64("minutesUsed").unwrap(), 1.5);
    assert_eq!(
        usage.get_datetime("resetDate").unwrap().timestamp_millis() / 1000,
        period_end.timestamp()
    );
    assert_eq!(app.count("usage").await, 1);

    let meters = stripe.requests_to("/v1/billing/meter_events");
    assert_eq!(meters.len(), 1, "{:?}", meters);
    let m = &meters[0];
    assert_eq!(m.param("event_name"), Some("heyway_minutes"));
    assert_eq!(
        m.param("payload[stripe_customer_id]"),
        Some("cus_meter_0001")
    );
    assert_eq!(m.param("payload[value]"), Some("2"));
    assert_eq!(m.param("identifier"), Some(call.call.to_hex().as_str()));
    assert!(m.param("timestamp").is_some());

    // The GET /api/usage view agrees.
    let token = app.state.tokens.issue(call.user).unwrap();
    let owner = heyway_tests::TestUser {
        id: call.user,
        token,
    };
    let (_, view) = app.get("/api/usage", &owner).await;
    assert_eq!(view["minutesUsed"], 1.5);
    assert_eq!(view["freeMinutes"], 0.0);
}

#[tokio::test]
async fn free_minutes_only_and_unfinished_calls_are_not_metered() {
    let stripe = FakeStripe::start().await;
    let app = metering_app(&stripe).await;
    let call = PlacedCall::insert(&app, "ai-only", PlacedCall::ai_config(None)).await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": call.user },
            doc! { "$set": { "freeMinutes": 238 } },
        )
        .await
        .unwrap();
    let (status, body, _) = send_twilio(&app, &completed(&call, "61")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let user = app.raw_doc("users", &call.user.to_hex()).await;
    assert!((user.get_f64("freeMinutes").unwrap() - 236.98).abs() < 1e-9);
    assert_eq!(app.count("usage").await, 0);
    assert!(stripe.requests().is_empty());

    // A no-answer is not billed.
    let other = PlacedCall::insert(&app, "ai-only", PlacedCall::ai_config(None)).await;
    let request = twilio_signed(
        TWILIO_TOKEN,
        &[(
            format!("/webhooks/twilio/status?callId={}", other.call.to_hex()),
            other.status_form("no-answer", &[("CallDuration", "0")]),
        )],
    )
    .remove(0);
    send_twilio(&app, &request).await;
    assert!(other.call_doc(&app).await.get("billedAt").is_none());
}

/// A counting attempt that failed half-way left its marks on the call:
/// free minutes already spent (`billedFreeMinutes`) and usage already
/// added (`usageCountedAt`). The repeat finishes without counting either
/// again.
#[tokio::test]
async fn a_repeat_after_a_half_counted_call_does_not_count_again() {
    let stripe = FakeStripe::start().await;
    let app = metering_app(&stripe).await;
    let call = PlacedCall::insert(&app, "ai-only", PlacedCall::ai_config(None)).await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": call.user },
            doc! { "$set": { "freeMinutes": 5, "stripeCustomerId": "cus_meter_0002" } },
        )
        .await
        .unwrap();
    app.db
        .raw("calls")
        .update_one(
            doc! { "_id": call.call },
            doc! { "$set": { "billedFreeMinutes": 1.0, "usageCountedAt": mongodb::bson::DateTime::now() } },
        )
        .await
        .unwrap();

    let (status, body, _) = send_twilio(&app, &completed(&call, "150")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let stored = call.call_doc(&app).await;
    assert!(stored.get_datetime("billedAt").is_ok());
    assert_eq!(stored.get_f64("billedFreeMinutes").unwrap(), 1.0);
    assert_eq!(stored.get_f64("billedPaidMinutes").unwrap(), 1.5);
    let user = app.raw_doc("users", &call.user.to_hex()).await;
    assert_eq!(user.get_i32("freeMinutes").unwrap(), 5, "not spent again");
    assert_eq!(app.count("usage").await, 0, "usage not added again");
}

/// A metering that died after spending free minutes and adding usage, but
/// before marking either on the call (a crash between two writes): the
/// user and usage documents remember the call, so finishing it, by a
/// repeated callback or by the evaluator's sweep, counts nothing twice.
#[tokio::test]
async fn an_interrupted_metering_is_finished_once_by_the_sweep() {
    use heyway::features::billing::metering::finish_interrupted;
    let stripe = FakeStripe::start().await;
    let app = metering_app(&stripe).await;
    let call = PlacedCall::insert(&app, "ai-only", PlacedCall::ai_config(None)).await;
    let now = chrono::Utc::now();
    let long_ago = mongodb::bson::DateTime::from_chrono(now - chrono::Duration::minutes(30));
    // What the dead attempt wrote: 1 free minute spent for this call (4
    // left), 1.5 paid minutes added to the usage document.
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": call.user },
            doc! { "$set": {
                "freeMinutes": 4, "stripeCustomerId": "cus_meter_0003",
                "meteredFreeMinutes": [ { "callId": call.call, "minutes": 1.0 } ],
            } },
        )
        .await
        .unwrap();
    let usage_id = app
        .insert_raw(
            "usage",
            &[doc! {
                "_id": ObjectId::new(), "customerId": "cus_meter_0003", "minutesUsed": 3.5,
                "resetDate": mongodb::bson::DateTime::from_chrono(now + chrono::Duration::days(9)),
                "countedCalls": [ call.call ], "createdAt": long_ago, "updatedAt": long_ago,
            }],
        )
        .await
        .remove(0);
    // The call had ended completed, 150 s; the attempt had started.
    let (status, body, _) = send_twilio(&app, &completed(&call, "150")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // The callback above finished it already; undo its marks to replay
    // the crash state, then let the sweep finish it.
    app.db
        .raw("calls")
        .update_one(
            doc! { "_id": call.call },
            doc! {
                "$set": { "meteringStartedAt": long_ago },
                "$unset": { "billedAt": "", "billedFreeMinutes": "", "billedPaidMinutes": "", "usageCountedAt": "", "meterReportedAt": "" },
            },
        )
        .await
        .unwrap();
    let client = heyway::integrations::stripe::StripeClient::from_config(
        reqwest::Client::new(),
        &app.state.config.stripe,
    )
    .unwrap();
    let looked_at = finish_interrupted(&app.db, Some(&client), "heyway_minutes", now)
        .await
        .unwrap();
    assert_eq!(looked_at, 1);
    let stored = call.call_doc(&app).await;
    assert!(stored.get_datetime("billedAt").is_ok());
    assert_eq!(stored.get_f64("billedFreeMinutes").unwrap(), 1.0);
    assert_eq!(stored.get_f64("billedPaidMinutes").unwrap(), 1.5);
    assert!(stored.get("meteringStartedAt").is_none(), "{stored}");
    let user = app.raw_doc("users", &call.user.to_hex()).await;
    assert_eq!(user.get_i32("freeMinutes").unwrap(), 4, "not spent again");
    let usage = app.raw_doc("usage", &usage_id.to_hex()).await;
    assert_eq!(
        usage.get_f64("minutesUsed").unwrap(),
        3.5,
        "not added again"
    );
    // Nothing left: the next sweep finds nothing.
    let again = finish_interrupted(&app.db, Some(&client), "heyway_minutes", now)
        .await
        .unwrap();
    assert_eq!(again, 0);
    // Stripe heard of the call under one identifier (a repeat is harmless).
    let meters = stripe.requests_to("/v1/billing/meter_events");
    assert!(!meters.is_empty());
    assert!(meters
        .iter()
        .all(|m| m.param("identifier") == Some(call.call.to_hex().as_str())));
}

/// Two attempts at once (a repeated callback racing the first) spend free
/// minutes and add usage once.
#[tokio::test]
async fn concurrent_meterings_count_once() {
    use heyway::features::billing::metering::meter_call;
    let stripe = FakeStripe::start().await;
    let app = metering_app(&stripe).await;
    let call = PlacedCall::insert(&app, "ai-only", PlacedCall::ai_config(None)).await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": call.user },
            doc! { "$set": { "freeMinutes": 2, "stripeCustomerId": "cus_meter_0004" } },
        )
        .await
        .unwrap();
    app.db
        .raw("calls")
        .update_one(
            doc! { "_id": call.call },
            doc! { "$set": { "status": "completed", "metrics": { "duration": 300 } } },
        )
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let attempts = (0..4).map(|_| meter_call(&app.db, None, "heyway_minutes", call.call, now));
    for result in futures_util::future::join_all(attempts).await {
        result.unwrap();
    }
    let user = app.raw_doc("users", &call.user.to_hex()).await;
    assert_eq!(user.get_i32("freeMinutes").unwrap(), 0);
    let usage: Vec<Document> = futures_util::TryStreamExt::try_collect(
        app.db
            .raw("usage")
            .find(doc! { "customerId": "cus_meter_0004" })
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(usage.len(), 1, "{usage:?}");
    // Stored as Node stores numbers: whole minutes as an integer.
    assert_eq!(usage[0].get("minutesUsed"), Some(&Bson::Int32(3)));
    let stored = call.call_doc(&app).await;
    assert_eq!(stored.get_f64("billedFreeMinutes").unwrap(), 2.0);
    assert_eq!(stored.get_f64("billedPaidMinutes").unwrap(), 3.0);
}

/// `count` completed calls of `user`, of 60, 66, 72… seconds, and the
/// minutes they add up to.
async fn completed_calls(app: &TestApp, user: ObjectId, count: u32) -> (Vec<ObjectId>, f64) {
    let now = mongodb::bson::DateTime::now();
    let calls: Vec<Document> = (0..count)
        .map(|i| {
            doc! {
                "_id": ObjectId::new(), "userId": user, "status": "completed", "callMode": "ai-only",
                "metrics": { "duration": 60 + 6 * i as i32 }, "participants": [], "transcription": [],
                "isInbound": false, "createdAt": now, "updatedAt": now, "__v": 0,
            }
        })
        .collect();
    let minutes = (0..count).map(|i| 1.0 + f64::from(i) / 10.0).sum();
    (app.insert_raw("calls", &calls).await, minutes)
}

/// Meters every call at once, each on its own task.
async fn meter_all_at_once(app: &TestApp, calls: &[ObjectId]) {
    use heyway::features::billing::metering::{meter_call, Metered};
    let now = chrono::Utc::now();
    let attempts = calls.iter().map(|&call| {
        let db = app.db.clone();
        tokio::spawn(async move { meter_call(&db, None, "heyway_minutes", call, now).await })
    });
    for metered in futures_util::future::join_all(attempts).await {
        let metered = metered.unwrap().unwrap();
        assert!(matches!(metered, Metered::Billed { .. }), "{metered:?}");
    }
}

async fn usage_of(app: &TestApp, customer: &str) -> Vec<Document> {
    futures_util::TryStreamExt::try_collect(
        app.db
            .raw("usage")
            .find(doc! { "customerId": customer })
            .await
            .unwrap(),
    )
    .await
    .unwrap()
}

fn minutes_used(usage: &Document) -> f64 {
    match usage.get("minutesUsed") {
        Some(Bson::Int32(n)) => f64::from(*n),
        Some(Bson::Double(n)) => *n,
        other => panic!("minutesUsed: {other:?}"),
    }
}

/// 20 calls of one customer end together in a period that has no usage
/// document yet: they make one between them, each call's minutes on it
/// once. A customer with production's documents (no key, even two of
/// them) keeps counting onto its latest.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_calls_ending_together_start_one_usage_document() {
    let stripe = FakeStripe::start().await;
    let app = metering_app(&stripe).await;
    let user = app.user("Busy Caller").await.id;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": user },
            doc! { "$set": { "stripeCustomerId": "cus_race_0001" } },
        )
        .await
        .unwrap();
    let (calls, minutes) = completed_calls(&app, user, 20).await;
    meter_all_at_once(&app, &calls).await;
    let usage = usage_of(&app, "cus_race_0001").await;
    assert_eq!(usage.len(), 1, "{usage:#?}");
    assert!(
        (minutes_used(&usage[0]) - minutes).abs() < 1e-9,
        "{usage:?}"
    );
    let counted = usage[0].get_array("countedCalls").unwrap();
    assert_eq!(counted.len(), 20);
    assert!(calls
        .iter()
        .all(|id| counted.contains(&Bson::ObjectId(*id))));
    assert!(usage[0].get_datetime("resetDate").unwrap().to_chrono() > chrono::Utc::now());
    // What stops two inserts racing on a server that runs them at once.
    let second = app
        .db
        .raw("usage")
        .insert_one(doc! { "customerId": "cus_race_0001", "usageKey": "cus_race_0001" })
        .await
        .unwrap_err();
    assert!(second.to_string().contains("E11000"), "{second}");

    // Production's documents: two for one customer, neither keyed.
    let legacy = app.user("Legacy Caller").await.id;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": legacy },
            doc! { "$set": { "stripeCustomerId": "cus_race_legacy" } },
        )
        .await
        .unwrap();
    let at = mongodb::bson::DateTime::now();
    let reset = |days| {
        mongodb::bson::DateTime::from_chrono(chrono::Utc::now() + chrono::Duration::days(days))
    };
    let ids = app
        .insert_raw(
            "usage",
            &[
                doc! { "_id": ObjectId::new(), "customerId": "cus_race_legacy", "minutesUsed": 2, "resetDate": reset(10), "createdAt": at },
                doc! { "_id": ObjectId::new(), "customerId": "cus_race_legacy", "minutesUsed": 5.5, "resetDate": reset(20), "createdAt": at },
            ],
        )
        .await;
    heyway::infra::indexes::migrate(&app.db).await.unwrap();
    let (calls, minutes) = completed_calls(&app, legacy, 20).await;
    meter_all_at_once(&app, &calls).await;
    assert_eq!(usage_of(&app, "cus_race_legacy").await.len(), 2);
    let older = app.raw_doc("usage", &ids[0].to_hex()).await;
    assert_eq!(older.get_i32("minutesUsed").unwrap(), 2);
    let latest = app.raw_doc("usage", &ids[1].to_hex()).await;
    assert!(
        (minutes_used(&latest) - 5.5 - minutes).abs() < 1e-9,
        "{latest:?}"
    );
    assert!(!latest.contains_key("usageKey"));
}

/// A meter event Stripe could not take because it was down is sent by a
/// later sweep; one it refused outright is not retried forever.
#[tokio::test]
async fn unsent_meter_events_are_retried_and_refused_ones_dropped() {
    use heyway::features::billing::metering::{finish_interrupted, meter_call};
    use heyway::integrations::stripe::StripeClient;
    let stripe = FakeStripe::start().await;
    let app = metering_app(&stripe).await;
    let client = |change: &dyn Fn(&mut heyway::infra::config::StripeConfig)| {
        let mut config = app.state.config.stripe.clone();
        change(&mut config);
        StripeClient::from_config(reqwest::Client::new(), &config).unwrap()
    };
    let working = client(&|_| {});
    let down = client(&|c| c.api_base_url = "http://127.0.0.1:9".to_string());
    let wrong_key = client(&|c| c.secret_key = Some("sk_test_wrong".to_string()));
    let now = chrono::Utc::now();
    let mut calls = Vec::new();
    for _ in 0..2 {
        let call = PlacedCall::insert(&app, "ai-only", PlacedCall::ai_config(None)).await;
        app.db
            .raw("users")
            .update_one(
                doc! { "_id": call.user },
                doc! { "$set": { "stripeCustomerId": "cus_meter_0005" } },
            )
            .await
            .unwrap();
        app.db
            .raw("calls")
            .update_one(
                doc! { "_id": call.call },
                doc! { "$set": { "status": "completed", "metrics": { "duration": 90 } } },
            )
            .await
            .unwrap();
        calls.push(call);
    }
    meter_call(&app.db, Some(&down), "heyway_minutes", calls[0].call, now)
        .await
        .unwrap();
    meter_call(
        &app.db,
        Some(&wrong_key),
        "heyway_minutes",
        calls[1].call,
        now,
    )
    .await
    .unwrap();
    let unsent = calls[0].call_doc(&app).await;
    assert!(unsent.get_datetime("billedAt").is_ok());
    assert!(unsent.get("meterReportedAt").is_none());
    assert!(
        unsent.get("meteringStartedAt").is_some(),
        "kept for the sweep"
    );
    let refused = calls[1].call_doc(&app).await;
    assert!(refused.get("meterReportedAt").is_none());
    assert!(refused.get("meteringStartedAt").is_none(), "not retried");
    assert!(stripe.requests_to("/v1/billing/meter_events").is_empty());

    let later = now + chrono::Duration::minutes(10);
    let looked_at = finish_interrupted(&app.db, Some(&working), "heyway_minutes", later)
        .await
        .unwrap();
    assert_eq!(looked_at, 1);
    let sent = calls[0].call_doc(&app).await;
    assert!(sent.get_datetime("meterReportedAt").is_ok());
    assert!(sent.get("meteringStartedAt").is_none());
    let meters = stripe.requests_to("/v1/billing/meter_events");
    assert_eq!(meters.len(), 1);
    assert_eq!(meters[0].param("payload[value]"), Some("2"));
    assert_eq!(
        meters[0].param("identifier"),
        Some(calls[0].call.to_hex().as_str())
    );
}
