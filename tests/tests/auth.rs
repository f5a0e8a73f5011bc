//! Sign-up, sign-in (password and SMS), refresh rotation, rate limits.

use axum::http::{Method, StatusCode};
use heyway::features::auth::rate_limit;
use heyway_tests::twilio_verify::{FakeVerify, GOOD_CODE};
use heyway_tests::{test_config, TestApp};
use mongodb::bson::{doc, oid::ObjectId, Bson};
use serde_json::{json, Value};

/// `Sunny-Day-555` hashed by Node's bcryptjs at cost 10, as production's.
const NODE_HASH: &str = "$2b$10$SGgOKlB80OZlr6/PcVKbYOgHUILlFouG7TWP2mwbSc/LPdTb7GAoK";

async fn post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    app.send(Method::POST, path, None, Some(body)).await
}

async fn users(app: &TestApp) -> u64 {
    app.db.raw("users").count_documents(doc! {}).await.unwrap()
}

#[tokio::test]
async fn register_creates_a_node_readable_user_and_signs_in() {
    let app = TestApp::new().await;
    let (status, body) = post(
        &app,
        "/api/auth/register",
        json!({"name": "Casey Madeup", "email": "Casey@Example.TEST", "password": "long enough pw", "timezone": "America/Chicago"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["email"], "casey@example.test");
    assert_eq!(body["tokenType"], "Bearer");

    let raw = app
        .db
        .raw("users")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert!(raw.get_str("password").unwrap().starts_with("$2b$10$"));
    assert_eq!(raw.get("__v"), Some(&Bson::Int32(0)));
    assert!(matches!(raw.get("createdAt"), Some(Bson::DateTime(_))));
    assert_eq!(raw.get_str("timezone").unwrap(), "America/Chicago");

    let token = body["token"].as_str().unwrap();
    let (status, me) = app.send(Method::GET, "/api/me", Some(token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["name"], "Casey Madeup");
}

#[tokio::test]
async fn register_refuses_bad_input_and_writes_nothing() {
    let app = TestApp::new().await;
    let good = json!({"name": "Casey", "email": "casey@example.test", "password": "long enough pw", "timezone": "America/Chicago"});
    for (change, status, field) in [
        (
            json!({"timezone": "Mars/Base"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "timezone",
        ),
        (
            json!({"email": "not-an-email"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
        ),
        (
            json!({"password": "short"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
        ),
        (
            json!({"name": "  "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (json!({"name": 5}), StatusCode::UNPROCESSABLE_ENTITY, "name"),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (got, answer) = post(&app, "/api/auth/register", body).await;
        assert_eq!(got, status, "{answer}");
        assert_eq!(answer["error"]["field"], field);
    }
    let (got, _) = app
        .send_raw(
            axum::http::Request::post("/api/auth/register")
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{\"name\":"))
                .unwrap(),
        )
        .await;
    assert_eq!(got, StatusCode::BAD_REQUEST);
    assert_eq!(users(&app).await, 0);
}

#[tokio::test]
async fn an_email_registered_in_another_case_is_a_conflict() {
    let app = TestApp::new().await;
    app.db
        .raw("users")
        .insert_one(doc! { "_id": ObjectId::new(), "email": "DANA@EXAMPLE.TEST", "password": NODE_HASH, "freeMinutes": 0 })
        .await
        .unwrap();
    let (status, body) = post(
        &app,
        "/api/auth/register",
        json!({"name": "Dana", "email": "dana@example.test", "password": "long enough pw", "timezone": "America/New_York"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["field"], "email");
    assert_eq!(users(&app).await, 1);
}

#[tokio::test]
async fn login_verifies_production_hashes_in_any_email_case() {
    let app = TestApp::new().await;
    app.db
        .raw("users")
        .insert_one(doc! { "_id": ObjectId::new(), "name": "Dana", "email": "DANA@EXAMPLE.TEST", "password": NODE_HASH, "freeMinutes": 238, "preferredCallerID": "" })
        .await
        .unwrap();
    let (status, body) = post(
        &app,
        "/api/auth/login",
        json!({"email": "dana@example.test", "password": "Sunny-Day-555"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["freeMinutes"], 238.0);
    assert_eq!(body["user"]["preferredCallerID"], Value::Null);

    let (status, body) = post(
        &app,
        "/api/auth/login",
        json!({"email": "DANA@example.test", "password": "wrong"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["message"], "invalid email or password");
    let (status, _) = post(
        &app,
        "/api/auth/login",
        json!({"email": "nobody@example.test", "password": "Sunny-Day-555"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_is_rate_limited_per_account() {
    let app = TestApp::new().await;
    for _ in 0..rate_limit::LOGIN_PER_ACCOUNT.max {
        let (status, _) = post(
            &app,
            "/api/auth/login",
            json!({"email": "target@example.test", "password": "guess"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = post(
        &app,
        "/api/auth/login",
        json!({"email": "TARGET@example.test", "password": "guess"}),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "rate_limited");
    let (status, _) = post(
        &app,
        "/api/auth/login",
        json!({"email": "other@example.test", "password": "guess"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "other accounts are unaffected"
    );
}

#[tokio::test]
async fn rate_limits_count_per_key_and_window() {
    let app = TestApp::new().await;
    let limit = rate_limit::LOGIN_PER_IP;
    let now = 1_800_000_000;
    for _ in 0..limit.max {
        rate_limit::hit_at(&app.db, limit, "203.0.113.7", now)
            .await
            .unwrap();
    }
    let err = rate_limit::hit_at(&app.db, limit, "203.0.113.7", now)
        .await
        .unwrap_err();
    assert!(
        matches!(err, heyway::Error::RateLimited { retry_after_secs } if retry_after_secs <= limit.window_secs)
    );
    rate_limit::hit_at(&app.db, limit, "203.0.113.8", now)
        .await
        .unwrap();
    rate_limit::hit_at(&app.db, limit, "203.0.113.7", now + limit.window_secs)
        .await
        .unwrap();
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_ends_the_family() {
    let app = TestApp::new().await;
    let (_, session) = post(
        &app,
        "/api/auth/register",
        json!({"name": "Rory", "email": "rory@example.test", "password": "long enough pw", "timezone": "UTC"}),
    )
    .await;
    let first = session["refreshToken"].as_str().unwrap().to_string();

    let (status, second) = post(&app, "/api/auth/refresh", json!({"refreshToken": first})).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let second = second["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(first, second);

    let (status, _) = post(&app, "/api/auth/refresh", json!({"refreshToken": first})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "reuse refused");
    let (status, _) = post(&app, "/api/auth/refresh", json!({"refreshToken": second})).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "reuse revoked the newer token too"
    );

    let stored = app
        .db
        .raw("refreshtokens")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.get_str("tokenHash").unwrap().len() == 64,
        "stored hashed"
    );
    assert!(
        app.db
            .raw("refreshtokens")
            .count_documents(doc! { "tokenHash": &first })
            .await
            .unwrap()
            == 0
    );

    let (status, _) = post(
        &app,
        "/api/auth/refresh",
        json!({"refreshToken": "made-up"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn routes_need_a_valid_token() {
    let app = TestApp::new().await;
    let (status, body) = app.send(Method::GET, "/api/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = app
        .send(Method::GET, "/api/me", Some("not-a-token"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn app_with_verify() -> (TestApp, FakeVerify) {
    let verify = FakeVerify::start().await;
    let overrides = verify.config();
    let pairs: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (*k, v.as_str())).collect();
    (TestApp::with_config(test_config(&pairs)).await, verify)
}

#[tokio::test]
async fn phone_sign_in_sends_and_checks_codes_through_twilio_verify() {
    let (app, verify) = app_with_verify().await;
    let (status, body) = post(
        &app,
        "/api/auth/phone/start",
        json!({"phoneNumber": "(215) 555-0142"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    {
        let received = verify.received.lock().unwrap();
        let (resource, form) = &received[0];
        assert_eq!(resource, "Verifications");
        assert!(form.contains(&("To".into(), "+12155550142".into())));
        assert!(form.contains(&("Channel".into(), "sms".into())));
    }

    let (status, _) = post(
        &app,
        "/api/auth/phone/verify",
        json!({"phoneNumber": "2155550142", "code": "000000"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(users(&app).await, 0, "a wrong code creates nothing");

    let (status, session) = post(
        &app,
        "/api/auth/phone/verify",
        json!({"phoneNumber": "2155550142", "code": GOOD_CODE}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["user"]["phoneNumber"], "+12155550142");
    assert_eq!(session["user"]["isPhoneVerified"], true);

    // Signing in again finds the same account.
    let (_, again) = post(
        &app,
        "/api/auth/phone/verify",
        json!({"phoneNumber": "+1 215 555 0142", "code": GOOD_CODE}),
    )
    .await;
    assert_eq!(again["user"]["id"], session["user"]["id"]);
    assert_eq!(users(&app).await, 1);
}

#[tokio::test]
async fn phone_sign_in_finds_legacy_phone_users() {
    let (app, _verify) = app_with_verify().await;
    let id = ObjectId::new();
    let mut legacy = heyway_tests::legacy::users(ObjectId::new()).remove(2);
    legacy.insert("_id", id);
    app.db.raw("users").insert_one(legacy).await.unwrap();
    let (status, session) = post(
        &app,
        "/api/auth/phone/verify",
        json!({"phoneNumber": "+12155550102", "code": GOOD_CODE}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["user"]["id"], id.to_hex());
}

#[tokio::test]
async fn sms_start_is_rate_limited_and_validated() {
    let (app, verify) = app_with_verify().await;
    let (status, body) = post(&app, "/api/auth/phone/start", json!({"phoneNumber": "12"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "phoneNumber");
    for _ in 0..rate_limit::SMS_PER_NUMBER.max {
        let (status, _) = post(
            &app,
            "/api/auth/phone/start",
            json!({"phoneNumber": "2155550143"}),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let (status, _) = post(
        &app,
        "/api/auth/phone/start",
        json!({"phoneNumber": "+12155550143"}),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        verify.received.lock().unwrap().len(),
        rate_limit::SMS_PER_NUMBER.max as usize,
        "no SMS past the limit"
    );
}

#[tokio::test]
async fn sms_sign_in_without_twilio_config_is_503() {
    let app = TestApp::new().await;
    let (status, body) = post(
        &app,
        "/api/auth/phone/start",
        json!({"phoneNumber": "2155550144"}),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "unavailable");
}
