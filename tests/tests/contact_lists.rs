//! `/api/contact-lists`: CRUD, the contact count, legacy documents and
//! tenant isolation, against a real database.

use axum::http::{Method, StatusCode};
use heyway::features::contact_lists;
use heyway_tests::{error_field, legacy, strings, TestApp, TestUser};
use mongodb::bson::{oid::ObjectId, Bson, DateTime, Document};
use serde_json::json;

/// Inserts the legacy contacts for `user` and returns their ids.
async fn contacts_of(app: &TestApp, user: &TestUser) -> Vec<ObjectId> {
    app.insert_raw("contacts", &legacy::contacts(user.id)).await
}

/// `contactsCount` equals the number of entries, as stored.
fn assert_count_true(raw: &Document, expected: i32) {
    let entries = raw.get_array("contacts").unwrap();
    assert_eq!(entries.len(), expected as usize, "entries in {raw:?}");
    assert_eq!(raw.get("contactsCount"), Some(&Bson::Int32(expected)));
}

#[tokio::test]
async fn create_read_update_list_and_delete() {
    let app = TestApp::new().await;
    let user = app.user("Casey Madeup").await;
    let contacts = contacts_of(&app, &user).await;

    let (status, created) = app
        .post(
            "/api/contact-lists",
            &user,
            json!({
                "name": "  Spring service  ",
                "description": "Due for a check-up",
                "color": "green",
                "contactIds": [contacts[0].to_hex(), contacts[1].to_hex()],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "Spring service");
    assert_eq!(created["description"], "Due for a check-up");
    assert_eq!(created["color"], "green");
    assert_eq!(created["contactsCount"], 2);
    assert_eq!(created["isSystem"], false);
    assert_eq!(
        strings(&created, "contactIds"),
        vec![contacts[0].to_hex(), contacts[1].to_hex()]
    );
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 24);
    assert!(chrono::DateTime::parse_from_rfc3339(created["createdAt"].as_str().unwrap()).is_ok());

    // Stored in the production shape.
    let raw = app.raw_doc("contactlists", &id).await;
    assert_eq!(raw.get("userId"), Some(&Bson::ObjectId(user.id)));
    assert_count_true(&raw, 2);
    let entry = raw.get_array("contacts").unwrap()[0].as_document().unwrap();
    assert_eq!(entry.get("contactId"), Some(&Bson::ObjectId(contacts[0])));
    assert!(matches!(entry.get("addedAt"), Some(Bson::DateTime(_))));
    assert_eq!(raw.get("__v"), Some(&Bson::Int32(0)));
    assert!(matches!(raw.get("createdAt"), Some(Bson::DateTime(_))));

    let (status, read) = app.get(&format!("/api/contact-lists/{id}"), &user).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);

    let (status, patched) = app
        .patch(
            &format!("/api/contact-lists/{id}"),
            &user,
            json!({ "name": "Autumn service", "settings": { "allowDuplicates": true } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"], "Autumn service");
    assert_eq!(patched["description"], "Due for a check-up", "untouched");
    assert_eq!(patched["settings"], json!({ "allowDuplicates": true }));
    assert_eq!(patched["contactsCount"], 2);

    let (status, page) = app.get("/api/contact-lists", &user).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], id.as_str());

    let (status, body) = app.delete(&format!("/api/contact-lists/{id}"), &user).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = app.get(&format!("/api/contact-lists/{id}"), &user).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("contactlists").await, 0);
}

#[tokio::test]
async fn contacts_count_stays_true_across_adds_removes_and_repeats() {
    let app = TestApp::new().await;
    let user = app.user("Drew Madeup").await;
    let contacts = contacts_of(&app, &user).await;
    let (c1, c2) = (contacts[0].to_hex(), contacts[1].to_hex());
    let (_, created) = app
        .post("/api/contact-lists", &user, json!({ "name": "Callbacks" }))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["contactsCount"], 0);
    assert_count_true(&app.raw_doc("contactlists", &id).await, 0);
    let path = format!("/api/contact-lists/{id}/contacts");

    let (status, view) = app
        .post(&path, &user, json!({ "contactIds": [c1, c1, c2] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["contactsCount"], 2);
    assert_eq!(strings(&view, "contactIds"), vec![c1.clone(), c2.clone()]);
    assert_count_true(&app.raw_doc("contactlists", &id).await, 2);

    let (status, view) = app
        .post(&path, &user, json!({ "contactIds": [c2, c1] }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["contactsCount"], 2, "repeats are not added");
    assert_count_true(&app.raw_doc("contactlists", &id).await, 2);

    let (status, view) = app
        .delete_json(&path, &user, json!({ "contactIds": [c1] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["contactsCount"], 1);
    assert_eq!(strings(&view, "contactIds"), vec![c2.clone()]);
    assert_count_true(&app.raw_doc("contactlists", &id).await, 1);

    let (status, view) = app
        .delete_json(&path, &user, json!({ "contactIds": [c1] }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        view["contactsCount"], 1,
        "removing an absent contact changes nothing"
    );

    let (_, view) = app
        .delete_json(&path, &user, json!({ "contactIds": [c2] }))
        .await;
    assert_eq!(view["contactsCount"], 0);
    assert_count_true(&app.raw_doc("contactlists", &id).await, 0);
}

#[tokio::test]
async fn a_wrong_stored_count_is_repaired_by_the_next_change() {
    let app = TestApp::new().await;
    let user = app.user("Emery Madeup").await;
    let contacts = contacts_of(&app, &user).await;
    let mut docs = legacy::contact_lists(user.id, contacts[0]);
    docs[0].insert("contactsCount", 7);
    app.db.raw("contactlists").insert_many(&docs).await.unwrap();
    let id = docs[0].get_object_id("_id").unwrap().to_hex();
    let (status, view) = app
        .post(
            &format!("/api/contact-lists/{id}/contacts"),
            &user,
            json!({ "contactIds": [contacts[0].to_hex()] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["contactsCount"], 1);
    assert_count_true(&app.raw_doc("contactlists", &id).await, 1);
}

#[tokio::test]
async fn mark_used_sets_last_used_and_keeps_other_metadata() {
    let app = TestApp::new().await;
    let user = app.user("Finley Madeup").await;
    let other = app.user("Gray Madeup").await;
    let contacts = contacts_of(&app, &user).await;
    let docs = legacy::contact_lists(user.id, contacts[0]);
    app.db.raw("contactlists").insert_many(&docs).await.unwrap();
    let used = docs[0].get_object_id("_id").unwrap();
    let old = docs[0]
        .get_document("metadata")
        .unwrap()
        .get_datetime("lastUsed")
        .unwrap()
        .to_owned();

    let before = DateTime::now();
    contact_lists::mark_used(&app.db, user.id, used)
        .await
        .unwrap();
    let raw = app.raw_doc("contactlists", &used.to_hex()).await;
    let metadata = raw.get_document("metadata").unwrap();
    let last_used = *metadata.get_datetime("lastUsed").unwrap();
    assert!(last_used > old && last_used >= before, "{metadata:?}");
    assert_eq!(metadata.get("totalCalls"), Some(&Bson::Int32(0)), "kept");
    assert_eq!(raw.get("settings"), docs[0].get("settings"));

    // `metadata.lastUsed: null` (the system list) is set too.
    let system = docs[1].get_object_id("_id").unwrap();
    contact_lists::mark_used(&app.db, user.id, system)
        .await
        .unwrap();
    let raw = app.raw_doc("contactlists", &system.to_hex()).await;
    assert!(raw
        .get_document("metadata")
        .unwrap()
        .get_datetime("lastUsed")
        .is_ok());

    // Another user's id is not found and changes nothing.
    let err = contact_lists::mark_used(&app.db, other.id, used)
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::NOT_FOUND);
    let after = app.raw_doc("contactlists", &used.to_hex()).await;
    assert_eq!(
        after
            .get_document("metadata")
            .unwrap()
            .get_datetime("lastUsed")
            .unwrap(),
        &last_used
    );

    // The used list sorts first.
    let (_, page) = app.get("/api/contact-lists", &user).await;
    assert_eq!(page["items"][0]["id"], system.to_hex().as_str());
}

#[tokio::test]
async fn legacy_lists_list_read_and_patch_without_losing_fields() {
    let app = TestApp::new().await;
    let user = app.user("Harper Madeup").await;
    let contacts = contacts_of(&app, &user).await;
    let mut docs = legacy::contact_lists(user.id, contacts[0]);
    docs[0].insert("importedFrom", "old-app");
    app.db.raw("contactlists").insert_many(&docs).await.unwrap();
    let id = docs[0].get_object_id("_id").unwrap().to_hex();

    let (status, page) = app.get("/api/contact-lists", &user).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 2);
    // Used list (lastUsed set) first, the never-used system list after.
    assert_eq!(page["items"][0]["id"], id.as_str());
    assert_eq!(page["items"][1]["isSystem"], true);

    let (status, view) = app.get(&format!("/api/contact-lists/{id}"), &user).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["name"], "new list");
    assert_eq!(view["color"], "blue");
    assert_eq!(strings(&view, "contactIds"), vec![contacts[0].to_hex()]);
    assert_eq!(view["contactsCount"], 1);
    assert_eq!(view["metadata"]["lastUsed"], "2025-09-08T12:00:00Z");
    assert_eq!(view["metadata"]["totalCalls"], 0);
    assert_eq!(view["settings"], json!({ "allowDuplicates": false }));

    let (status, patched) = app
        .patch(
            &format!("/api/contact-lists/{id}"),
            &user,
            json!({ "name": "Renamed list", "color": "teal" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let raw = app.raw_doc("contactlists", &id).await;
    assert_eq!(raw.get_str("name").unwrap(), "Renamed list");
    assert_eq!(raw.get_str("color").unwrap(), "teal");
    for key in [
        "importedFrom",
        "contacts",
        "contactsCount",
        "isSystem",
        "settings",
        "metadata",
        "createdAt",
        "__v",
        "description",
    ] {
        assert_eq!(raw.get(key), docs[0].get(key), "{key} kept");
    }
    assert_ne!(raw.get("updatedAt"), docs[0].get("updatedAt"));
}

#[tokio::test]
async fn search_include_system_and_paging() {
    let app = TestApp::new().await;
    let user = app.user("Indigo Madeup").await;
    let contacts = contacts_of(&app, &user).await;
    let docs = legacy::contact_lists(user.id, contacts[0]);
    app.db.raw("contactlists").insert_many(&docs).await.unwrap();
    for name in ["Shop (VIP)", "Shop VIP", "Weekend"] {
        let (status, _) = app
            .post("/api/contact-lists", &user, json!({ "name": name }))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }

    let (status, page) = app.get("/api/contact-lists?search=(vip", &user).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 1, "regex metacharacters are literal");
    assert_eq!(page["items"][0]["name"], "Shop (VIP)");

    let (_, page) = app.get("/api/contact-lists?search=vip", &user).await;
    assert_eq!(page["total"], 2, "case-insensitive");

    let (_, page) = app.get("/api/contact-lists?search=.*", &user).await;
    assert_eq!(page["total"], 0);

    let (_, page) = app
        .get("/api/contact-lists?includeSystem=false", &user)
        .await;
    assert_eq!(page["total"], 4);
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|item| item["isSystem"] == false));
    let (_, page) = app.get("/api/contact-lists", &user).await;
    assert_eq!(page["total"], 5);

    let (_, page) = app.get("/api/contact-lists?page=2&limit=2", &user).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["page"], 2);
    assert_eq!(page["total"], 5);

    let (status, body) = app.get("/api/contact-lists?limit=201", &user).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&body), "limit");
    let (status, body) = app
        .get("/api/contact-lists?includeSystem=maybe", &user)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_field(&body), "includeSystem");
}

#[tokio::test]
async fn system_lists_are_not_deleted() {
    let app = TestApp::new().await;
    let user = app.user("Jules Madeup").await;
    let docs = legacy::contact_lists(user.id, ObjectId::new());
    app.db.raw("contactlists").insert_many(&docs).await.unwrap();
    let system = docs[1].get_object_id("_id").unwrap().to_hex();
    let (status, body) = app
        .delete(&format!("/api/contact-lists/{system}"), &user)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["error"]["message"],
        "system list is managed by its automation"
    );
    assert_eq!(app.raw_doc("contactlists", &system).await, docs[1]);
}

#[tokio::test]
async fn another_users_lists_and_contacts_are_out_of_reach() {
    let app = TestApp::new().await;
    let alice = app.user("Alice Madeup").await;
    let bob = app.user("Bob Madeup").await;
    let alice_contacts = contacts_of(&app, &alice).await;
    let bob_contacts = contacts_of(&app, &bob).await;
    let (_, alices) = app
        .post(
            "/api/contact-lists",
            &alice,
            json!({ "name": "Alice's list", "contactIds": [alice_contacts[0].to_hex()] }),
        )
        .await;
    let alice_list = alices["id"].as_str().unwrap().to_string();
    let before = app.raw_doc("contactlists", &alice_list).await;
    let one = format!("/api/contact-lists/{alice_list}");
    let contacts_path = format!("{one}/contacts");
    let bobs_contact = json!({ "contactIds": [bob_contacts[0].to_hex()] });
    let alices_contact = json!({ "contactIds": [alice_contacts[1].to_hex()] });

    assert_eq!(app.get(&one, &bob).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.patch(&one, &bob, json!({ "name": "Taken" })).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&one, &bob).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.post(&contacts_path, &bob, bobs_contact.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete_json(&contacts_path, &bob, alices_contact.clone())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let err = contact_lists::mark_used(&app.db, bob.id, alice_list.parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::NOT_FOUND);
    let (_, page) = app.get("/api/contact-lists", &bob).await;
    assert_eq!(page["total"], 0);
    assert_eq!(
        app.raw_doc("contactlists", &alice_list).await,
        before,
        "Alice's list unchanged"
    );

    // Alice's contacts inside Bob's own list.
    let (status, body) = app
        .post(
            "/api/contact-lists",
            &bob,
            json!({ "name": "Sneaky", "contactIds": [bob_contacts[0].to_hex(), alice_contacts[0].to_hex()] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_field(&body), "contactIds[1]");
    assert_eq!(body["error"]["message"], "no such contact");
    assert_eq!(app.count("contactlists").await, 1, "nothing written");

    let (_, bobs) = app
        .post("/api/contact-lists", &bob, json!({ "name": "Bob's list" }))
        .await;
    let bob_list = bobs["id"].as_str().unwrap().to_string();
    let bob_before = app.raw_doc("contactlists", &bob_list).await;
    let bob_contacts_path = format!("/api/contact-lists/{bob_list}/contacts");
    let (status, body) = app
        .post(
            &bob_contacts_path,
            &bob,
            json!({ "contactIds": [bob_contacts[0].to_hex(), alice_contacts[0].to_hex()] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&body), "contactIds[1]");
    assert_eq!(
        app.raw_doc("contactlists", &bob_list).await,
        bob_before,
        "nothing written"
    );
    let (status, body) = app
        .delete_json(&bob_contacts_path, &bob, alices_contact)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&body), "contactIds[0]");
    assert_eq!(app.raw_doc("contactlists", &bob_list).await, bob_before);
    assert_eq!(app.raw_doc("contactlists", &alice_list).await, before);
}

#[tokio::test]
async fn bad_input_is_refused_and_writes_nothing() {
    let app = TestApp::new().await;
    let user = app.user("Kai Madeup").await;
    let contacts = contacts_of(&app, &user).await;
    let (_, created) = app
        .post("/api/contact-lists", &user, json!({ "name": "Kept" }))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let stored = app.raw_doc("contactlists", &id).await;
    let contacts_path = format!("/api/contact-lists/{id}/contacts");

    let (status, _) = app
        .send_text(Method::POST, "/api/contact-lists", &user, "{not json")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .send_text(
            Method::PATCH,
            &format!("/api/contact-lists/{id}"),
            &user,
            "{\"name\":",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let cases = [
        (
            json!({ "name": 5 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({ "description": "x" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({ "name": "   " }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({ "name": "x".repeat(101) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({ "name": "ok", "contactIds": [5] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contactIds[0]",
        ),
        (
            json!({ "name": "ok", "contactIds": "abc" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contactIds",
        ),
        (
            json!({ "name": "ok", "contactIds": [contacts[0].to_hex(), "nope"] }),
            StatusCode::BAD_REQUEST,
            "contactIds[1]",
        ),
        (
            json!({ "name": "ok", "contactIds": [ObjectId::new().to_hex()] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contactIds[0]",
        ),
    ];
    for (body, code, name) in cases {
        let (status, answer) = app.post("/api/contact-lists", &user, body.clone()).await;
        assert_eq!(status, code, "{body} -> {answer}");
        assert_eq!(error_field(&answer), name, "{body}");
    }

    let patches = [
        (json!({ "name": false }), "name"),
        (json!({ "settings": [1] }), "settings"),
        (json!({ "settings": { "$where": 1 } }), "settings.$where"),
        (json!({ "settings": { "a.b": 1 } }), "settings.a.b"),
        (json!({ "color": "" }), "color"),
    ];
    for (body, name) in patches {
        let (status, answer) = app
            .patch(&format!("/api/contact-lists/{id}"), &user, body.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} -> {answer}"
        );
        assert_eq!(error_field(&answer), name, "{body}");
    }

    for body in [
        json!({ "contactIds": [] }),
        json!({ "contactIds": [true] }),
        json!({}),
    ] {
        let (status, _) = app.post(&contacts_path, &user, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let (status, answer) = app
        .post(&contacts_path, &user, json!({ "contactIds": ["12345"] }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&answer), "contactIds[0]");

    for path in ["/api/contact-lists/not-an-id", "/api/contact-lists/123"] {
        let (status, answer) = app.get(path, &user).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error_field(&answer), "id");
        let (status, _) = app.delete(path, &user).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = app.patch(path, &user, json!({ "name": "x" })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = app
            .post(
                &format!("{path}/contacts"),
                &user,
                json!({ "contactIds": [contacts[0].to_hex()] }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, _) = app
        .send(Method::GET, "/api/contact-lists", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    assert_eq!(app.count("contactlists").await, 1);
    assert_eq!(app.raw_doc("contactlists", &id).await, stored);
}

#[tokio::test]
async fn openapi_documents_the_new_routes() {
    let doc = serde_json::to_value(heyway::app::openapi()).unwrap();
    let paths = &doc["paths"];
    for (path, method, tag) in [
        ("/api/contact-lists", "get", "contact-lists"),
        ("/api/contact-lists", "post", "contact-lists"),
        ("/api/contact-lists/{id}", "patch", "contact-lists"),
        (
            "/api/contact-lists/{id}/contacts",
            "delete",
            "contact-lists",
        ),
        ("/api/groups", "get", "groups"),
        ("/api/groups/{id}/calls", "post", "groups"),
        ("/api/feedback", "post", "feedback"),
    ] {
        let operation = &paths[path][method];
        assert_eq!(operation["tags"][0], tag, "{method} {path}");
        assert_eq!(
            operation["security"][0]["bearer"],
            json!([]),
            "{method} {path}"
        );
    }
    let params: Vec<&str> = paths["/api/contact-lists"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["page", "limit", "search", "includeSystem"]);
}
