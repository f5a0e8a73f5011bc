//! `POST /api/feedback`: stored in the Node app's shape.

use axum::http::{Method, StatusCode};
use heyway_tests::TestApp;
use mongodb::bson::{doc, oid::ObjectId, Bson};
use serde_json::json;

async fn feedback_count(app: &TestApp) -> u64 {
    app.db
        .raw("feedback")
        .count_documents(doc! {})
        .await
        .unwrap()
}

#[tokio::test]
async fn feedback_is_stored_in_the_production_shape() {
    let app = TestApp::new().await;
    let user = app.user("Pim Madeup").await;
    let (status, body) = app
        .post(
            "/api/feedback",
            &user,
            json!({ "category": "feature", "text": "  Please add a dark mode.  " }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["category"], "feature");
    assert_eq!(body["text"], "Please add a dark mode.");
    assert!(chrono::DateTime::parse_from_rfc3339(body["createdAt"].as_str().unwrap()).is_ok());
    let id: ObjectId = body["id"].as_str().unwrap().parse().unwrap();

    let raw = app
        .db
        .raw("feedback")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(raw.get("user"), Some(&Bson::ObjectId(user.id)));
    assert!(matches!(raw.get("timestamp"), Some(Bson::DateTime(_))));
    assert_eq!(raw.get_str("feedback").unwrap(), "Please add a dark mode.");
    assert_eq!(raw.get_str("category").unwrap(), "feature");
    assert!(matches!(raw.get("createdAt"), Some(Bson::DateTime(_))));
    assert_eq!(raw.get("__v"), Some(&Bson::Int32(0)));
    assert!(!raw.contains_key("userId"));
    assert!(!raw.contains_key("text"));
}

#[tokio::test]
async fn the_old_frontends_field_name_is_accepted() {
    let app = TestApp::new().await;
    let user = app.user("Quinn Madeup").await;
    let (status, body) = app
        .post(
            "/api/feedback",
            &user,
            json!({ "category": "bug", "feedback": "Call list froze" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["text"], "Call list froze");
    let raw = app
        .db
        .raw("feedback")
        .find_one(doc! { "user": user.id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(raw.get_str("feedback").unwrap(), "Call list froze");
}

#[tokio::test]
async fn bad_feedback_is_refused_and_writes_nothing() {
    let app = TestApp::new().await;
    let user = app.user("Rory Madeup").await;
    let cases = [
        (json!({ "category": "praise", "text": "hi" }), "category"),
        (json!({ "text": "hi" }), "category"),
        (json!({ "category": "bug" }), "text"),
        (json!({ "category": "bug", "text": "   " }), "text"),
        (
            json!({ "category": "bug", "text": "x".repeat(5001) }),
            "text",
        ),
        (json!({ "category": "bug", "text": 42 }), "text"),
        (json!({ "category": 1, "text": "hi" }), "category"),
    ];
    for (body, field) in cases {
        let (status, answer) = app.post("/api/feedback", &user, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    let (status, _) = app.post("/api/feedback", &user, json!("just text")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/feedback")
        .header("authorization", format!("Bearer {}", user.token))
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"category\":"))
        .unwrap();
    assert_eq!(app.send_raw(request).await.0, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .send(
            Method::POST,
            "/api/feedback",
            None,
            Some(json!({ "category": "bug", "text": "hi" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(feedback_count(&app).await, 0);

    // The longest text allowed is stored whole.
    let (status, _) = app
        .post(
            "/api/feedback",
            &user,
            json!({ "category": "other", "text": "é".repeat(5000) }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(feedback_count(&app).await, 1);
}
