//! Per-IP sign-in limits key on the address the platform saw, not on a
//! header the client writes: the socket's peer in `heyway serve`, API
//! Gateway's `requestContext.http.sourceIp` on Lambda, and a forwarded
//! address only from a proxy in `TRUSTED_PROXIES`.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use heyway::app;
use heyway::features::auth::rate_limit::REGISTER_PER_IP;
use heyway::http::AppState;
use heyway::Config;
use heyway_tests::{test_config, TestApp, TestDb};
use serde_json::{json, Value};
use tower::ServiceExt;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A registration body with its own email.
fn registration(n: usize) -> Value {
    json!({
        "name": "Rate Tester",
        "email": format!("rate{n}@example.test"),
        "password": "long enough pw",
        "timezone": "America/Chicago",
    })
}

/// The whole API on a loopback socket, as `heyway serve` runs it (with
/// the peer's address); its base URL.
async fn serve(config: Config) -> String {
    let db = TestDb::new().await.db;
    heyway::infra::indexes::migrate(&db).await.expect("migrate");
    let router = app::router(AppState::new(db, config).expect("state"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, service).await;
    });
    base
}

/// Registers account `n` through `base` with `X-Forwarded-For: forwarded`.
async fn register_via(base: &str, n: usize, forwarded: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{base}/api/auth/register"))
        .header("x-forwarded-for", forwarded)
        .json(&registration(n))
        .send()
        .await
        .expect("register")
        .status()
}

/// The attack: 25 registrations from one socket, each with another
/// made-up `X-Forwarded-For`. All 25 passed when the header was believed.
#[tokio::test]
async fn a_forged_forwarded_for_does_not_reset_the_per_ip_limit() {
    let base = serve(test_config(&[])).await;
    let mut statuses = Vec::new();
    for n in 0..25 {
        let forged = format!("198.51.{}.{}, 10.9.8.{n}", n / 7, n * 3 + 1);
        statuses.push(register_via(&base, n, &forged).await);
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, REGISTER_PER_IP.max as usize, "{statuses:?}");
    assert!(
        statuses[REGISTER_PER_IP.max as usize..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

/// Behind a trusted proxy (here the loopback peer), the hop the proxy
/// appended is the client; what the client wrote to its left is not.
#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_limited() {
    let base = serve(test_config(&[("TRUSTED_PROXIES", "127.0.0.1, ::1")])).await;
    let max = REGISTER_PER_IP.max as usize;
    for n in 0..max {
        let forwarded = format!("192.0.2.{n}, 203.0.113.7");
        assert_eq!(
            register_via(&base, n, &forwarded).await,
            StatusCode::CREATED
        );
    }
    let again = register_via(&base, max, "192.0.2.250, 203.0.113.7").await;
    assert_eq!(again, StatusCode::TOO_MANY_REQUESTS);
    let other_client = register_via(&base, max + 1, "203.0.113.7, 203.0.113.8").await;
    assert_eq!(
        other_client,
        StatusCode::CREATED,
        "another forwarded client"
    );
}

/// A registration as API Gateway delivers it: the auth sample event with
/// a register body, `sourceIp` and a forged `X-Forwarded-For`.
fn lambda_registration(n: usize, source_ip: &str) -> Request<Body> {
    let sample = std::fs::read_to_string(format!("{ROOT}/events/auth-login.json")).unwrap();
    let mut event: Value = serde_json::from_str(&sample).unwrap();
    event["rawPath"] = json!("/api/auth/register");
    event["requestContext"]["http"]["path"] = json!("/api/auth/register");
    event["requestContext"]["http"]["sourceIp"] = json!(source_ip);
    event["headers"]["x-forwarded-for"] = json!(format!("100.64.{n}.{n}, 10.0.0.{n}"));
    event["body"] = json!(registration(n).to_string());
    let request = lambda_http::request::from_str(&event.to_string()).expect("API Gateway event");
    let (parts, body) = app::from_lambda(request).into_parts();
    Request::from_parts(parts, Body::from(body.to_vec()))
}

/// On Lambda the limit counts `requestContext.http.sourceIp`, which the
/// client cannot write, and ignores `X-Forwarded-For`.
#[tokio::test]
async fn on_lambda_the_source_ip_is_the_client() {
    let app = TestApp::new().await;
    let function = app::single(heyway::features::auth::routes(), app.state.clone());
    let mut statuses = Vec::new();
    for n in 0..25 {
        let request = lambda_registration(n, "198.51.100.20");
        statuses.push(function.clone().oneshot(request).await.unwrap().status());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, REGISTER_PER_IP.max as usize, "{statuses:?}");
    assert_eq!(statuses[24], StatusCode::TOO_MANY_REQUESTS);
    let other = lambda_registration(25, "198.51.100.21");
    let status = function.oneshot(other).await.unwrap().status();
    assert_eq!(
        status,
        StatusCode::CREATED,
        "another source IP has its own budget"
    );
}
