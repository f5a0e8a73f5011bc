//! `GET /api/health` through the router, through the Lambda adapter's
//! event parsing, and against a database that is down.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use heyway::app;
use heyway::features::health;
use heyway::http::AppState;
use heyway::Db;
use heyway_tests::{test_config, TestApp, TestDb};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

async fn call(app: axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn health_reports_the_database_up() {
    let t = TestDb::new().await;
    let (status, body) = call(
        app::router(AppState::new(t.db.clone(), test_config(&[])).unwrap()),
        get("/api/health"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["status"], "up");
    assert!(body["database"]["latencyMs"].as_f64().unwrap() >= 0.0);
}

#[tokio::test]
async fn health_reports_a_dead_database_as_503() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let db = Db::connect(
        &format!("mongodb://127.0.0.1:{port}/?directConnection=true&serverSelectionTimeoutMS=500"),
        "nowhere",
    )
    .await
    .unwrap();
    let (status, body) = call(
        app::router(AppState::new(db, test_config(&[])).unwrap()),
        get("/api/health"),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["database"]["status"], "down");
}

#[tokio::test]
async fn unknown_routes_answer_json_404() {
    let app = TestApp::new().await;
    let (status, body) = call(app.router.clone(), get("/api/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn the_sample_api_gateway_event_reaches_the_health_lambda_router() {
    let t = TestDb::new().await;
    let event = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../events/health.json"
    ))
    .unwrap();
    let request = lambda_http::request::from_str(&event).unwrap();
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, Body::from(body.to_vec()));
    let app = app::single(
        health::routes(),
        AppState::new(t.db.clone(), test_config(&[])).unwrap(),
    );
    let (status, body) = call(app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["database"]["status"], "up");
}
