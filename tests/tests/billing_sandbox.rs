//! The Stripe sandbox as `heyway serve` runs it: the API and the sandbox
//! on one loopback port, configured by `heyway_dev::sandbox::stripe::configure`
//! from a configuration without Stripe keys. A user signs up,
//! checks out through the real `StripeClient`, "pays" by visiting the
//! returned URL (the sandbox sends signed webhooks that our
//! `/webhooks/stripe` verifies), then cancels in the portal.

use std::net::SocketAddr;

use heyway::app;
use heyway::http::AppState;
use heyway::integrations::stripe::client::MeterEvent;
use heyway::integrations::stripe::{StripeClient, StripeError};
use heyway::Config;
use heyway_dev::sandbox::stripe::{self, settings, StripeSandbox, STRIPE_PATH};
use heyway_dev::sandbox::{AccessKey, MOUNT};
use heyway_tests::{test_config, TestDb};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Stack {
    base: String,
    sandbox: StripeSandbox,
    config: Config,
    /// Follows no redirects, so each 303 is seen.
    http: reqwest::Client,
}

/// The API with `app_overrides` on top of what the sandbox configured
/// (to make the application disagree with the sandbox).
async fn start(app_overrides: impl FnOnce(&mut Config)) -> Stack {
    start_with(&[], app_overrides).await
}

/// [`start`] from the environment `env` (e.g. `STRIPE_SUCCESS_URL`).
async fn start_with(env: &[(&str, &str)], app_overrides: impl FnOnce(&mut Config)) -> Stack {
    let db = TestDb::new().await.db;
    heyway::infra::indexes::migrate(&db).await.expect("migrate");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let mut config = test_config(env);
    let sandbox = stripe::configure(
        &mut config.stripe,
        &base,
        &base,
        AccessKey::random(),
        reqwest::Client::new(),
    )
    .expect("no Stripe keys: the sandbox is on");
    let mut app_config = config.clone();
    app_overrides(&mut app_config);
    let state = AppState::new(db, app_config).expect("state");
    let app = app::router(state).nest(&format!("{MOUNT}{STRIPE_PATH}"), sandbox.router());
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, app).await;
    });
    Stack {
        base,
        sandbox,
        config,
        http: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("client"),
    }
}

impl Stack {
    async fn sign_up(&self, name: &str) -> String {
        let email = format!("{}@example.test", name.to_lowercase().replace(' ', "."));
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                "/api/auth/register",
                None,
                Some(json!({ "name": name, "email": email,
                             "password": "sandbox-password-1", "timezone": "America/Chicago" })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().expect("token").to_string()
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    async fn get(&self, path: &str, token: &str) -> Value {
        let (status, body) = self
            .send(reqwest::Method::GET, path, Some(token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    /// Visits a hosted page: its status, `Location` and text.
    async fn visit(&self, url: &str) -> (StatusCode, Option<String>, String) {
        let response = self.http.get(url).send().await.expect("visit");
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().expect("location").to_string());
        (status, location, response.text().await.expect("page"))
    }

    fn kinds(&self) -> Vec<(String, Option<u16>)> {
        self.sandbox
            .deliveries()
            .into_iter()
            .map(|d| (d.kind, d.status))
            .collect()
    }

    /// The sandbox's secret key: only our server has it.
    fn secret_key(&self) -> &str {
        &self.sandbox.settings().secret_key
    }

    /// A sandbox API call with `key`: status and Stripe's JSON.
    async fn stripe_api(
        &self,
        path: &str,
        key: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.config.stripe.api_base_url))
            .bearer_auth(key)
            .form(form)
            .send()
            .await
            .expect("sandbox API");
        let status = response.status();
        (status, response.json().await.expect("Stripe JSON"))
    }

    fn client(&self) -> StripeClient {
        StripeClient::from_config(reqwest::Client::new(), &self.config.stripe).expect("client")
    }
}

fn day(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_default()
        .chars()
        .take(10)
        .collect()
}

#[tokio::test]
async fn checkout_pays_through_signed_webhooks_and_the_portal_cancels() {
    let stack = start(|_| {}).await;
    let token = stack.sign_up("Rowan Quill").await;
    let before = stack.get("/api/billing/subscription", &token).await;
    assert_eq!(before["plan"], "free");
    assert_eq!(before["hasActiveSubscription"], false);

    let (status, session) = stack.post("/api/billing/checkout", &token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let id = session["id"].as_str().expect("id");
    let url = session["url"].as_str().expect("url");
    assert!(id.starts_with("cs_test_"), "{id}");
    assert_eq!(url, format!("{}/sandbox/stripe/checkout/{id}", stack.base));
    assert!(stack.kinds().is_empty(), "nothing is sent before paying");

    let (status, location, _) = stack.visit(url).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let success = format!(
        "{}/sandbox/stripe/pages/success?session_id={id}",
        stack.base
    );
    assert_eq!(location.as_deref(), Some(success.as_str()));
    assert_eq!(
        stack.kinds(),
        [
            ("checkout.session.completed".to_string(), Some(200)),
            ("customer.subscription.created".to_string(), Some(200)),
            ("invoice.paid".to_string(), Some(200)),
        ]
    );
    let (status, _, page) = stack.visit(&success).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(id), "{page}");

    let plan = stack.get("/api/billing/subscription", &token).await;
    assert_eq!(plan["status"], "active", "{plan}");
    assert_eq!(plan["plan"], "paid");
    assert_eq!(plan["source"], "stripe");
    assert_eq!(plan["hasActiveSubscription"], true);
    assert_eq!(plan["stripePriceId"], settings::DEV_PRICE_ID);
    assert!(
        plan["stripeCustomerId"]
            .as_str()
            .unwrap()
            .starts_with("cus_sbx"),
        "{plan}"
    );
    assert!(
        plan["stripeSubscriptionId"]
            .as_str()
            .unwrap()
            .starts_with("sub_"),
        "{plan}"
    );
    let month_ahead = chrono::Utc::now()
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .to_rfc3339();
    assert_eq!(day(&plan["currentPeriodEnd"]), day(&json!(month_ahead)));
    assert_eq!(plan["renewalDate"], plan["currentPeriodEnd"]);
    assert_eq!(
        stack.get("/api/me", &token).await["hasActiveSubscription"],
        true
    );

    // Paid already: the URL just returns; checkout again is refused.
    let (status, location, _) = stack.visit(url).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some(success.as_str()))
    );
    assert_eq!(stack.kinds().len(), 3);
    let (status, _) = stack.post("/api/billing/checkout", &token, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The portal: first cancel at the period's end, then right away.
    let (status, portal) = stack.post("/api/billing/portal", &token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{portal}");
    let portal_url = portal["url"].as_str().expect("portal url");
    assert!(portal_url.starts_with(&format!("{}/sandbox/stripe/portal/bps_", stack.base)));
    let (status, _, page) = stack.visit(portal_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Cancel now")
            && page.contains(plan["stripeSubscriptionId"].as_str().unwrap())
    );
    let returned = format!("{}/sandbox/stripe/pages/returned", stack.base);

    let (status, location, _) = stack
        .visit(&format!("{portal_url}?action=cancel_at_period_end"))
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some(returned.as_str()))
    );
    let ending = stack.get("/api/billing/subscription", &token).await;
    assert_eq!(ending["status"], "active", "{ending}");
    assert_eq!(ending["hasActiveSubscription"], true);
    assert_eq!(ending["renewalDate"], Value::Null);
    assert_eq!(day(&ending["endDate"]), day(&plan["currentPeriodEnd"]));

    let (status, location, _) = stack.visit(&format!("{portal_url}?action=cancel")).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some(returned.as_str()))
    );
    let canceled = stack.get("/api/billing/subscription", &token).await;
    assert_eq!(canceled["status"], "canceled", "{canceled}");
    assert_eq!(canceled["hasActiveSubscription"], false);
    assert_eq!(
        stack.get("/api/me", &token).await["hasActiveSubscription"],
        false
    );
    let kinds = stack.kinds();
    assert_eq!(kinds[3].0, "customer.subscription.updated");
    assert_eq!(kinds[4].0, "customer.subscription.deleted");
    assert!(
        kinds.iter().all(|(_, status)| *status == Some(200)),
        "{kinds:?}"
    );

    // Nothing left to cancel; a new checkout is possible again.
    let (status, _, page) = stack.visit(&format!("{portal_url}?action=cancel")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    let (status, again) = stack.post("/api/billing/checkout", &token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
}

#[tokio::test]
async fn leaving_checkout_returns_to_the_cancel_url_and_changes_nothing() {
    let stack = start(|_| {}).await;
    let token = stack.sign_up("Ines Marlow").await;
    let (_, session) = stack.post("/api/billing/checkout", &token, json!({})).await;
    let url = session["url"].as_str().expect("url");
    let (status, location, _) = stack.visit(&format!("{url}?action=cancel")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location,
        Some(format!("{}/sandbox/stripe/pages/canceled", stack.base))
    );
    assert!(stack.kinds().is_empty());
    let plan = stack.get("/api/billing/subscription", &token).await;
    assert_eq!(plan["hasActiveSubscription"], false);
    let (status, _, _) = stack
        .visit(&format!(
            "{}/sandbox/stripe/checkout/cs_test_unknown",
            stack.base
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn webhooks_signed_with_another_secret_are_refused_and_the_page_says_so() {
    let stack = start(|config| {
        config.stripe.webhook_secret = Some("whsec_the_application_expects_this".to_string());
    })
    .await;
    let token = stack.sign_up("Tobin Ashgrove").await;
    let (_, session) = stack.post("/api/billing/checkout", &token, json!({})).await;
    let (status, location, page) = stack.visit(session["url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(location, None);
    assert!(page.contains("checkout.session.completed"), "{page}");
    assert!(page.contains("STRIPE_WEBHOOK_SECRET"), "{page}");
    // Stopped at the first refusal, as the others need it.
    assert_eq!(
        stack.kinds(),
        [("checkout.session.completed".to_string(), Some(403))]
    );
    let plan = stack.get("/api/billing/subscription", &token).await;
    assert_eq!(plan["hasActiveSubscription"], false, "{plan}");
}

#[tokio::test]
async fn refusals_reach_the_api_as_4xx_naming_the_parameter() {
    // On sale here, but not a price the sandbox's account has.
    let stack = start_with(&[("STRIPE_PRICE_IDS", "price_not_in_the_sandbox")], |_| {}).await;
    let token = stack.sign_up("Pia Lindqvist").await;
    let (status, body) = stack
        .post(
            "/api/billing/checkout",
            &token,
            json!({ "priceId": "price_not_in_the_sandbox" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(heyway_tests::error_field(&body), "line_items[0][price]");
    let (status, body) = stack.post("/api/billing/portal", &token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Stripe's own error JSON, straight from the sandbox.
    let api = format!("{}/v1/customers", stack.config.stripe.api_base_url);
    let response = stack
        .http
        .post(&api)
        .form(&[("email", "x@example.test")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let response = stack
        .http
        .post(&api)
        .bearer_auth(&stack.sandbox.settings().secret_key)
        .json(&json!({ "email": "x@example.test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "JSON is not a form"
    );
    let unknown = format!("{}/v1/charges", stack.config.stripe.api_base_url);
    let response = stack
        .http
        .post(&unknown)
        .bearer_auth(&stack.sandbox.settings().secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/v1/charges"));
}

#[tokio::test]
async fn the_real_client_meets_idempotency_and_meter_identifiers_as_at_stripe() {
    let stack = start(|_| {}).await;
    let client = stack.client();
    let first = client
        .create_customer(
            "665f0000000000000000aa01",
            Some("dana@example.test"),
            Some("Dana Pebble"),
        )
        .await
        .expect("customer");
    // Same Idempotency-Key, same parameters: the same customer.
    let again = client
        .create_customer(
            "665f0000000000000000aa01",
            Some("dana@example.test"),
            Some("Dana Pebble"),
        )
        .await
        .expect("replayed");
    assert_eq!(again, first);
    // Same key, other parameters: Stripe's idempotency_error.
    let changed = client
        .create_customer("665f0000000000000000aa01", Some("other@example.test"), None)
        .await;
    assert!(
        matches!(changed, Err(StripeError::Refused { status: 400, .. })),
        "{changed:?}"
    );

    let event = |value| MeterEvent {
        event_name: &stack.config.stripe.meter_event_name,
        customer: &first,
        value,
        identifier: "665f0000000000000000bb01",
        timestamp: Some(chrono::Utc::now().timestamp()),
    };
    client
        .create_meter_event(&event(3))
        .await
        .expect("meter event");
    client
        .create_meter_event(&event(3))
        .await
        .expect("a retry is harmless");
    let events = stack.sandbox.meter_events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["payload"]["value"], "3");
    assert_eq!(events[0]["payload"]["stripe_customer_id"], json!(first));

    let stranger = StripeClient::new(
        reqwest::Client::new(),
        &stack.config.stripe.api_base_url,
        "sk_test_not_the_sandbox_key",
    );
    let refused = stranger.create_meter_event(&event(1)).await;
    assert!(
        matches!(refused, Err(StripeError::Refused { status: 401, .. })),
        "{refused:?}"
    );
}

/// The attack of issue 12, replayed: anyone could create a Checkout
/// Session with the public key `sk_test_sandbox_heyway_0001` and
/// `client_reference_id` a victim's id, then visit it to give the victim
/// a subscription and a customer of the attacker's choosing. The key is
/// random per run now, so only our server creates sessions.
#[tokio::test]
async fn the_old_public_key_creates_nothing_for_anyone() {
    let stack = start(|_| {}).await;
    let victim = stack.sign_up("Vera Halloran").await;
    let me = stack.get("/api/me", &victim).await;
    let victim_id = me["id"].as_str().expect("user id").to_string();
    assert_ne!(stack.secret_key(), "sk_test_sandbox_heyway_0001");
    assert!(stack.secret_key().len() > 64, "{}", stack.secret_key());
    let success = stack.config.stripe.success_url.clone().unwrap();
    let attack = [
        ("mode", "subscription"),
        ("customer_email", "attacker@example.test"),
        ("client_reference_id", victim_id.as_str()),
        ("metadata[userId]", victim_id.as_str()),
        ("subscription_data[metadata][userId]", victim_id.as_str()),
        ("line_items[0][price]", settings::DEV_PRICE_ID),
        ("line_items[0][quantity]", "1"),
        ("success_url", success.as_str()),
    ];
    for key in [
        "sk_test_sandbox_heyway_0001",
        "whsec_sandbox_heyway_0001",
        "",
    ] {
        let (status, body) = stack
            .stripe_api("/v1/checkout/sessions", key, &attack)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{key:?}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
    let (status, _) = stack
        .stripe_api(
            "/v1/billing_portal/sessions",
            "sk_test_sandbox_heyway_0001",
            &[
                ("customer", "cus_sbxAAAAAAAAAAA"),
                ("return_url", success.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A made-up session id pays nothing.
    let (status, _, _) = stack
        .visit(&format!(
            "{}/sandbox/stripe/checkout/cs_test_{}",
            stack.base,
            "a".repeat(58)
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(stack.kinds().is_empty());
    let plan = stack.get("/api/billing/subscription", &victim).await;
    assert_eq!(plan["hasActiveSubscription"], false, "{plan}");
    assert_eq!(plan["stripeCustomerId"], Value::Null, "{plan}");
}

/// A Checkout Session's form, as a caller with the key could send it.
fn checkout<'a>(success: &'a str, cancel: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("mode", "subscription"),
        ("line_items[0][price]", settings::DEV_PRICE_ID),
        ("line_items[0][quantity]", "1"),
        ("success_url", success),
        ("cancel_url", cancel),
    ]
}

/// Issue 12: the checkout page's redirect was an open redirect. Sessions
/// may only send the browser back to the configured URLs or the
/// sandbox's own pages; anything else is refused as Stripe refuses a
/// parameter, so no page ever redirects there.
#[tokio::test]
async fn return_urls_elsewhere_are_refused() {
    let stack = start_with(
        &[("STRIPE_SUCCESS_URL", "http://localhost:5173/billing/done")],
        |_| {},
    )
    .await;
    let key = stack.secret_key().to_string();
    let customer = stack
        .client()
        .create_customer("665f0000000000000000cc01", Some("ola@example.test"), None)
        .await
        .expect("customer");
    let evil = "https://evil.example/login";
    let own_success = format!(
        "{}/sandbox/stripe/pages/success?session_id={{CHECKOUT_SESSION_ID}}",
        stack.base
    );
    let own_cancel = format!("{}/sandbox/stripe/pages/canceled", stack.base);
    let (own_success, own_cancel) = (own_success.as_str(), own_cancel.as_str());
    for (form, param) in [
        (checkout(evil, own_cancel), "success_url"),
        (checkout(own_success, evil), "cancel_url"),
        (
            checkout(
                "http://localhost:5173/billing/done?next=https://evil.example",
                own_cancel,
            ),
            "success_url",
        ),
    ] {
        let (status, body) = stack.stripe_api("/v1/checkout/sessions", &key, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["param"], param, "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
    let (status, body) = stack
        .stripe_api(
            "/v1/billing_portal/sessions",
            &key,
            &[("customer", customer.as_str()), ("return_url", evil)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["param"], "return_url");

    // The sandbox's own pages are fine; so is the configured success URL
    // the application uses, which the page then redirects to.
    let (status, session) = stack
        .stripe_api(
            "/v1/checkout/sessions",
            &key,
            &checkout(own_success, own_cancel),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let token = stack.sign_up("Ola Brenner").await;
    let (status, session) = stack.post("/api/billing/checkout", &token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let (status, location, _) = stack.visit(session["url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("http://localhost:5173/billing/done")
    );
}

/// Issue 12: `GET /sandbox/stripe/events` and `/meter_events` answered
/// everyone. They need the run's access key now.
#[tokio::test]
async fn the_logs_need_the_access_key() {
    let stack = start(|_| {}).await;
    let token = stack.sign_up("Lior Castellan").await;
    let (_, session) = stack.post("/api/billing/checkout", &token, json!({})).await;
    let (status, _, _) = stack.visit(session["url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let access = stack.sandbox.settings().access_key.expose().to_string();
    for path in ["events", "meter_events"] {
        let url = format!("{}/sandbox/stripe/{path}", stack.base);
        for refused in [
            stack.http.get(&url),
            stack.http.get(&url).bearer_auth(stack.secret_key()),
            stack
                .http
                .get(&url)
                .bearer_auth("sk_test_sandbox_heyway_0001"),
            stack.http.get(format!("{url}?key=nope")),
        ] {
            let response = refused.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
            let text = response.text().await.unwrap();
            assert!(!text.contains("checkout.session.completed"), "{text}");
        }
        for admitted in [
            stack.http.get(&url).bearer_auth(&access),
            stack.http.get(format!("{url}?key={access}")),
        ] {
            let response = admitted.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let body: Value = response.json().await.unwrap();
            assert!(body.is_array(), "{body}");
        }
    }
    let events: Value = stack
        .http
        .get(format!("{}/sandbox/stripe/events", stack.base))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events[0]["type"], "checkout.session.completed");
}

/// A sandbox never signs with a secret from the environment: a configured
/// `STRIPE_WEBHOOK_SECRET` (or secret key) turns it off, and without them
/// it signs with a webhook secret of its own, which the API verifies with.
#[tokio::test]
async fn configured_stripe_keys_turn_the_sandbox_off() {
    for (name, value) in [
        ("STRIPE_WEBHOOK_SECRET", "whsec_from_the_environment"),
        ("STRIPE_SECRET_KEY", "sk_test_from_the_environment"),
    ] {
        let mut config = test_config(&[(name, value)]);
        let before = format!("{:?}", config.stripe);
        let sandbox = stripe::configure(
            &mut config.stripe,
            "http://127.0.0.1:9",
            "http://127.0.0.1:9",
            AccessKey::random(),
            reqwest::Client::new(),
        );
        assert!(sandbox.is_none(), "{name}");
        assert_eq!(format!("{:?}", config.stripe), before);
    }
    let stack = start(|_| {}).await;
    let secret = &stack.sandbox.settings().webhook_secret;
    assert_eq!(stack.config.stripe.webhook_secret.as_ref(), Some(secret));
    assert_ne!(secret, "whsec_sandbox_heyway_0001");
}
