//! `/api/groups`: CRUD, calls in groups, legacy documents and tenant
//! isolation, against a real database.

use axum::http::{Method, StatusCode};
use heyway_tests::{error_field, legacy, strings, TestApp, TestUser};
use mongodb::bson::{doc, oid::ObjectId, Bson};
use serde_json::json;

/// Inserts the legacy calls for `user` and returns their ids.
async fn calls_of(app: &TestApp, user: &TestUser) -> Vec<ObjectId> {
    let docs = legacy::calls(user.id, ObjectId::new(), ObjectId::new());
    app.insert_raw("calls", &docs).await
}

#[tokio::test]
async fn create_read_update_list_and_delete() {
    let app = TestApp::new().await;
    let user = app.user("Lane Madeup").await;

    let (status, created) = app
        .post("/api/groups", &user, json!({ "name": " Follow-ups " }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "Follow-ups");
    assert_eq!(created["color"], "#3b82f6", "default colour");
    assert_eq!(created["description"], "");
    assert_eq!(created["isActive"], true);
    assert_eq!(created["callIds"], json!([]));
    let id = created["id"].as_str().unwrap().to_string();
    let raw = app.raw_doc("groups", &id).await;
    assert_eq!(raw.get("userId"), Some(&Bson::ObjectId(user.id)));
    assert_eq!(raw.get("calls"), Some(&Bson::Array(vec![])));
    assert_eq!(raw.get("__v"), Some(&Bson::Int32(0)));

    let (status, read) = app.get(&format!("/api/groups/{id}"), &user).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);

    let (status, patched) = app
        .patch(
            &format!("/api/groups/{id}"),
            &user,
            json!({ "color": "#FF0000", "description": "Callers to ring back", "isActive": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["color"], "#ff0000");
    assert_eq!(patched["description"], "Callers to ring back");
    assert_eq!(patched["isActive"], false);
    assert_eq!(patched["name"], "Follow-ups");

    let (_, second) = app
        .post(
            "/api/groups",
            &user,
            json!({ "name": "Second", "color": "#00aa00" }),
        )
        .await;
    let (status, page) = app.get("/api/groups?limit=1", &user).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], second["id"], "newest first");

    let (status, _) = app.delete(&format!("/api/groups/{id}"), &user).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/groups/{id}"), &user).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/api/groups/{id}"), &user).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.count("groups").await, 1);
}

#[tokio::test]
async fn calls_are_added_once_and_removed() {
    let app = TestApp::new().await;
    let user = app.user("Morgan Madeup").await;
    let calls = calls_of(&app, &user).await;
    let (a, b) = (calls[0].to_hex(), calls[1].to_hex());
    let (_, created) = app
        .post("/api/groups", &user, json!({ "name": "Reviewed" }))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/groups/{id}/calls");

    let (status, view) = app
        .post(&path, &user, json!({ "callIds": [a, a, b] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(strings(&view, "callIds"), vec![a.clone(), b.clone()]);
    let (_, view) = app.post(&path, &user, json!({ "callIds": [b] })).await;
    assert_eq!(strings(&view, "callIds").len(), 2, "no duplicates");
    let raw = app.raw_doc("groups", &id).await;
    assert_eq!(
        raw.get_array("calls").unwrap(),
        &vec![Bson::ObjectId(calls[0]), Bson::ObjectId(calls[1])]
    );

    let (status, view) = app
        .delete_json(&path, &user, json!({ "callIds": [a] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(strings(&view, "callIds"), vec![b.clone()]);
    assert_eq!(
        app.raw_doc("groups", &id).await.get_array("calls").unwrap(),
        &vec![Bson::ObjectId(calls[1])]
    );
}

#[tokio::test]
async fn legacy_groups_list_read_and_patch_without_losing_fields() {
    let app = TestApp::new().await;
    let user = app.user("Nico Madeup").await;
    let calls = calls_of(&app, &user).await;
    let mut docs = legacy::groups(user.id, calls[0]);
    docs[0].insert("legacyNote", "keep me");
    app.db.raw("groups").insert_many(&docs).await.unwrap();
    let id = docs[0].get_object_id("_id").unwrap().to_hex();

    let (status, page) = app.get("/api/groups", &user).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["callIds"], json!([calls[0].to_hex()]));
    assert_eq!(page["items"][0]["metadata"], json!({ "totalCalls": 1 }));

    let (status, patched) = app
        .patch(
            &format!("/api/groups/{id}"),
            &user,
            json!({ "name": "Renamed" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let raw = app.raw_doc("groups", &id).await;
    assert_eq!(raw.get_str("name").unwrap(), "Renamed");
    for key in [
        "legacyNote",
        "calls",
        "color",
        "isActive",
        "metadata",
        "createdAt",
        "__v",
        "description",
    ] {
        assert_eq!(raw.get(key), docs[0].get(key), "{key} kept");
    }

    // A call id the old app stored as text is found, not added twice,
    // and can be removed.
    app.db
        .raw("groups")
        .update_one(
            doc! { "_id": docs[0].get_object_id("_id").unwrap() },
            doc! { "$set": { "calls": [calls[1].to_hex()] } },
        )
        .await
        .unwrap();
    let path = format!("/api/groups/{id}/calls");
    let (_, view) = app
        .post(&path, &user, json!({ "callIds": [calls[1].to_hex()] }))
        .await;
    assert_eq!(strings(&view, "callIds"), vec![calls[1].to_hex()]);
    let (_, view) = app
        .delete_json(&path, &user, json!({ "callIds": [calls[1].to_hex()] }))
        .await;
    assert_eq!(view["callIds"], json!([]));
    assert_eq!(
        app.raw_doc("groups", &id)
            .await
            .get_array("calls")
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn another_users_groups_and_calls_are_out_of_reach() {
    let app = TestApp::new().await;
    let alice = app.user("Alice Madeup").await;
    let bob = app.user("Bob Madeup").await;
    let alice_calls = calls_of(&app, &alice).await;
    let bob_calls = calls_of(&app, &bob).await;
    let (_, alices) = app
        .post("/api/groups", &alice, json!({ "name": "Alice's" }))
        .await;
    let alice_group = alices["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/groups/{alice_group}/calls"),
        &alice,
        json!({ "callIds": [alice_calls[0].to_hex()] }),
    )
    .await;
    let before = app.raw_doc("groups", &alice_group).await;
    let one = format!("/api/groups/{alice_group}");
    let calls_path = format!("{one}/calls");

    assert_eq!(app.get(&one, &bob).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.patch(&one, &bob, json!({ "name": "Mine" })).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&one, &bob).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.post(
            &calls_path,
            &bob,
            json!({ "callIds": [bob_calls[0].to_hex()] })
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete_json(
            &calls_path,
            &bob,
            json!({ "callIds": [alice_calls[0].to_hex()] })
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (_, page) = app.get("/api/groups", &bob).await;
    assert_eq!(page["total"], 0);
    assert_eq!(app.raw_doc("groups", &alice_group).await, before);

    // Alice's calls inside Bob's own group.
    let (_, bobs) = app
        .post("/api/groups", &bob, json!({ "name": "Bob's" }))
        .await;
    let bob_group = bobs["id"].as_str().unwrap().to_string();
    let bob_before = app.raw_doc("groups", &bob_group).await;
    let bob_path = format!("/api/groups/{bob_group}/calls");
    let (status, body) = app
        .post(
            &bob_path,
            &bob,
            json!({ "callIds": [bob_calls[0].to_hex(), alice_calls[0].to_hex()] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_field(&body), "callIds[1]");
    assert_eq!(body["error"]["message"], "no such call");
    let (status, body) = app
        .delete_json(
            &bob_path,
            &bob,
            json!({ "callIds": [alice_calls[0].to_hex()] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&body), "callIds[0]");
    assert_eq!(
        app.raw_doc("groups", &bob_group).await,
        bob_before,
        "nothing written"
    );
    assert_eq!(app.raw_doc("groups", &alice_group).await, before);
}

#[tokio::test]
async fn bad_input_is_refused_and_writes_nothing() {
    let app = TestApp::new().await;
    let user = app.user("Oak Madeup").await;
    let (_, created) = app
        .post("/api/groups", &user, json!({ "name": "Kept" }))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let stored = app.raw_doc("groups", &id).await;

    let (status, _) = app
        .send_text(Method::POST, "/api/groups", &user, "{\"name\": \"x\"")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let cases = [
        (json!({ "name": "ok", "color": "blue" }), "color"),
        (json!({ "name": "ok", "color": "#12345" }), "color"),
        (json!({ "name": "ok", "color": "#12345g" }), "color"),
        (json!({ "name": "ok", "color": 3 }), "color"),
        (json!({ "name": "" }), "name"),
        (json!({ "name": ["x"] }), "name"),
        (json!({}), "name"),
    ];
    for (body, name) in cases {
        let (status, answer) = app.post("/api/groups", &user, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} -> {answer}"
        );
        assert_eq!(error_field(&answer), name, "{body}");
    }
    for (body, name) in [
        (json!({ "color": "red" }), "color"),
        (json!({ "isActive": "yes" }), "isActive"),
    ] {
        let (status, answer) = app
            .patch(&format!("/api/groups/{id}"), &user, body.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} -> {answer}"
        );
        assert_eq!(error_field(&answer), name);
    }
    let path = format!("/api/groups/{id}/calls");
    let (status, answer) = app.post(&path, &user, json!({ "callIds": ["zz"] })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&answer), "callIds[0]");
    let (status, answer) = app
        .post(
            &path,
            &user,
            json!({ "callIds": [ObjectId::new().to_hex()] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&answer), "callIds[0]");
    let (status, answer) = app.post(&path, &user, json!({ "callIds": [1] })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&answer), "callIds[0]");

    let (status, answer) = app.get("/api/groups/xyz", &user).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&answer), "id");
    assert_eq!(
        app.delete("/api/groups/xyz", &user).await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, answer) = app.get("/api/groups?limit=201", &user).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&answer), "limit");
    let (status, answer) = app.get("/api/groups?page=abc", &user).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&answer), "page");

    assert_eq!(app.count("groups").await, 1);
    assert_eq!(app.raw_doc("groups", &id).await, stored);
}
