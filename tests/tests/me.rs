//! `GET/PATCH /api/me` on new and legacy users.

use axum::http::StatusCode;
use heyway_tests::{legacy, TestApp};
use mongodb::bson::{doc, oid::ObjectId, Bson};
use serde_json::json;

#[tokio::test]
async fn patch_updates_only_given_fields() {
    let app = TestApp::new().await;
    let user = app.user("Morgan Testly").await;
    let (status, body) = app
        .patch(
            "/api/me",
            &user,
            json!({"timezone": "Europe/London", "preferences": {"theme": "dark"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["timezone"], "Europe/London");
    assert_eq!(body["name"], "Morgan Testly");
    assert_eq!(body["preferences"]["theme"], "dark");

    let (_, body) = app
        .patch("/api/me", &user, json!({"preferences": {"language": "en"}}))
        .await;
    assert_eq!(
        body["preferences"],
        json!({"theme": "dark", "language": "en"}),
        "merged"
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let user = app.user("Morgan Testly").await;
    let before = app
        .db
        .raw("users")
        .find_one(doc! { "_id": user.id })
        .await
        .unwrap();
    for (body, field) in [
        (json!({"timezone": "Atlantis/Capital"}), "timezone"),
        (json!({"timezone": 7}), "timezone"),
        (
            json!({"preferredCallerID": "+12155550160"}),
            "preferredCallerID",
        ),
        (json!({"preferredCallerID": "nope"}), "preferredCallerID"),
        (json!({"preferences": {"$set": 1}}), "preferences.$set"),
        (
            json!({"preferences": {"notifications": {"$set": 1}}}),
            "preferences.notifications.$set",
        ),
        (
            json!({"preferences": {"a\u{0}b": 1}}),
            "preferences.a\u{0}b",
        ),
        (
            json!({"aiConfig": {"voices": [{"a.b": 1}]}}),
            "aiConfig.voices[0].a.b",
        ),
        (
            json!({"aiConfig": {"x": {"n\u{0}": 1}}}),
            "aiConfig.x.n\u{0}",
        ),
        (json!({"name": "", "timezone": "UTC"}), "name"),
    ] {
        let (status, answer) = app.patch("/api/me", &user, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["field"], field);
    }
    let after = app
        .db
        .raw("users")
        .find_one(doc! { "_id": user.id })
        .await
        .unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn caller_id_must_be_verified_and_can_be_cleared() {
    let app = TestApp::new().await;
    let user = app.user("Morgan Testly").await;
    let other = app.user("Someone Else").await;
    app.db
        .raw("verifiedNumbers")
        .insert_one(doc! { "_id": ObjectId::new(), "userId": other.id, "phoneNumber": "+12155550161", "verified": true })
        .await
        .unwrap();
    let (status, _) = app
        .patch(
            "/api/me",
            &user,
            json!({"preferredCallerID": "215-555-0161"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another user's verified number is not ours"
    );

    app.db
        .raw("verifiedNumbers")
        .insert_one(doc! { "_id": ObjectId::new(), "userId": user.id, "phoneNumber": "+12155550161", "verified": true })
        .await
        .unwrap();
    let (status, body) = app
        .patch(
            "/api/me",
            &user,
            json!({"preferredCallerID": "215-555-0161"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["preferredCallerID"], "+12155550161");

    let (_, body) = app
        .patch("/api/me", &user, json!({"preferredCallerID": null}))
        .await;
    assert_eq!(body["preferredCallerID"], serde_json::Value::Null);
    let raw = app
        .db
        .raw("users")
        .find_one(doc! { "_id": user.id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        raw.get_str("preferredCallerID").unwrap(),
        "",
        "cleared the way the Node app stores it"
    );
}

#[tokio::test]
async fn legacy_users_read_and_update_without_losing_fields() {
    let app = TestApp::new().await;
    let user = app.user("placeholder").await;
    let mut legacy = legacy::users(ObjectId::new()).remove(2);
    legacy.insert("_id", user.id);
    app.db
        .raw("users")
        .delete_one(doc! { "_id": user.id })
        .await
        .unwrap();
    app.db.raw("users").insert_one(&legacy).await.unwrap();

    let (status, body) = app.get("/api/me", &user).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["phoneNumber"], "+12155550102");
    assert_eq!(body["aiConfig"]["temperature"], 0.7);
    assert_eq!(body["freeMinutes"], 1.5);

    // The legacy verified caller ID in twilioConfig counts.
    let (status, body) = app
        .patch(
            "/api/me",
            &user,
            json!({"preferredCallerID": "+12155550102", "aiConfig": {"voice": "nova"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let raw = app
        .db
        .raw("users")
        .find_one(doc! { "_id": user.id })
        .await
        .unwrap()
        .unwrap();
    for key in [
        "profile",
        "preferences",
        "twilioConfig",
        "subscription",
        "usage",
        "settings",
        "smsVerification",
    ] {
        assert_eq!(raw.get(key), legacy.get(key), "{key} kept");
    }
    assert_eq!(raw.get("freeMinutes"), Some(&Bson::Double(1.5)));
    let ai = raw.get_document("aiConfig").unwrap();
    assert_eq!(ai.get_str("voice").unwrap(), "nova");
    assert_eq!(
        ai.get_f64("temperature").unwrap(),
        0.7,
        "other AI keys kept"
    );
}
