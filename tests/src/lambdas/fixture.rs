//! The data the sample events expect to find: Dana, whom `auth-login.json`
//! signs in (with its password), and a contact the `contacts-list.json`
//! search (`555`) finds.

use axum::http::{Method, StatusCode};
use mongodb::bson::{doc, oid::ObjectId};
use serde_json::json;

use crate::TestApp;

/// The name `me-get.json` answers.
pub const OWNER_NAME: &str = "Dana Example";
/// The contact `contacts-list.json` finds.
pub const CONTACT_NAME: &str = "Pat Example";

/// Registers Dana on `app`'s database and adds her contact; answers an
/// access token for her, for the events' token placeholder.
pub async fn sample_owner(app: &TestApp) -> String {
    let (status, session) = app
        .send(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"name": OWNER_NAME, "email": "dana@example.test",
                "password": "Sunny-Day-555", "timezone": "America/New_York"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "register the sample owner: {session}"
    );
    let user: ObjectId = session["user"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a user id in {session}"));
    app.insert_raw(
        "contacts",
        &[doc! {
            "_id": ObjectId::new(), "userId": user, "name": CONTACT_NAME,
            "phoneNumber": "+12125550142", "email": "", "groups": [], "tags": [],
            "isActive": true, "timezone": "America/New_York", "__v": 0,
        }],
    )
    .await;
    app.state.tokens.issue(user).expect("an access token")
}
