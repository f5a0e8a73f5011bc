//! `/api/contacts`: CRUD, normalization, duplicates, legacy documents,
//! search, filters, sorting, paging and tenant isolation, on a real server.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use heyway_tests::{error_field, legacy, TestApp, TestUser};
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use serde_json::{json, Value};

async fn create(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let (status, created) = app.post("/api/contacts", user, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn contact(app: &TestApp, user: &TestUser, name: &str, phone: &str) -> Value {
    create(app, user, json!({ "name": name, "phoneNumber": phone })).await
}

async fn raw(app: &TestApp, id: &str) -> Option<Document> {
    let id: ObjectId = id.parse().unwrap();
    app.db
        .raw("contacts")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
}

async fn count(app: &TestApp) -> u64 {
    app.db
        .raw("contacts")
        .count_documents(doc! {})
        .await
        .unwrap()
}

fn names(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {body}"))
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect()
}

async fn list(app: &TestApp, user: &TestUser, query: &str) -> Value {
    let (status, body) = app.get(&format!("/api/contacts{query}"), user).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

/// A group of `user`'s, inserted the way the Node app stores one.
async fn group(app: &TestApp, user_id: ObjectId) -> ObjectId {
    let id = ObjectId::new();
    app.db
        .raw("groups")
        .insert_one(doc! { "_id": id, "userId": user_id, "name": "Test group", "calls": [] })
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn create_then_read_back_with_defaults() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let created = create(
        &app,
        &user,
        json!({
            "name": "  Alex Madeup ",
            "phoneNumber": "(215) 555-0100",
            "email": "alex@example.test",
            "tags": ["vip", " vip ", "sedan"],
            "metadata": { "purchaseDate": "2025-09-01", "visits": 2 },
            "timezone": "America/Chicago",
            "ignoredField": true,
        }),
    )
    .await;
    assert_eq!(created["name"], "Alex Madeup");
    assert_eq!(created["phoneNumber"], "+12155550100");
    assert_eq!(created["email"], "alex@example.test");
    assert_eq!(created["tags"], json!(["vip", "sedan"]));
    assert_eq!(
        created["metadata"],
        json!({ "purchaseDate": "2025-09-01", "visits": 2 })
    );
    assert_eq!(created["isActive"], true);
    assert_eq!(created["timezone"], "America/Chicago");
    assert_eq!(created["groups"], json!([]));
    let id = created["id"].as_str().unwrap();
    assert_eq!(id.len(), 24);
    assert!(chrono::DateTime::parse_from_rfc3339(created["createdAt"].as_str().unwrap()).is_ok());

    let (status, read) = app.get(&format!("/api/contacts/{id}"), &user).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);

    let stored = raw(&app, id).await.unwrap();
    assert_eq!(stored.get_object_id("userId").unwrap(), user.id);
    assert_eq!(stored.get_str("phoneNumber").unwrap(), "+12155550100");
    assert_eq!(stored.get("__v"), Some(&Bson::Int32(0)));
    assert!(stored.get_bool("isActive").unwrap());
    assert_eq!(
        stored.get_document("metadata").unwrap().get("visits"),
        Some(&Bson::Int32(2))
    );
}

#[tokio::test]
async fn blank_email_is_stored_empty_and_read_as_null() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let created = create(
        &app,
        &user,
        json!({ "name": "Sam", "phoneNumber": "2155550101", "email": "  " }),
    )
    .await;
    assert_eq!(created["email"], Value::Null);
    let stored = raw(&app, created["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(stored.get_str("email").unwrap(), "");
}

#[tokio::test]
async fn common_spellings_are_stored_in_e164() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    for (raw_number, e164) in [
        ("(215) 555-0101", "+12155550101"),
        ("215.555.0102", "+12155550102"),
        ("+1 215 555 0103", "+12155550103"),
        ("2155550104", "+12155550104"),
        ("1-215-555-0105", "+12155550105"),
        ("+44 20 7946 0018", "+442079460018"),
    ] {
        let created = contact(&app, &user, "Spelling", raw_number).await;
        assert_eq!(created["phoneNumber"], e164, "{raw_number}");
        let stored = raw(&app, created["id"].as_str().unwrap()).await.unwrap();
        assert_eq!(stored.get_str("phoneNumber").unwrap(), e164);
    }
}

#[tokio::test]
async fn same_number_twice_is_409_but_another_user_may_have_it() {
    let app = TestApp::new().await;
    let a = app.user("Ann").await;
    let b = app.user("Bob").await;
    contact(&app, &a, "First", "+12155550110").await;
    let before = count(&app).await;
    let (status, body) = app
        .post(
            "/api/contacts",
            &a,
            json!({ "name": "Second", "phoneNumber": "(215) 555-0110" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_field(&body), "phoneNumber");
    assert_eq!(count(&app).await, before);
    contact(&app, &b, "Bob's copy", "215-555-0110").await;
}

#[tokio::test]
async fn legacy_number_without_country_code_blocks_a_duplicate() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    app.db
        .raw("contacts")
        .insert_one(doc! {
            "_id": ObjectId::new(), "userId": user.id, "name": "Pat Sample",
            "phoneNumber": "2155550123", "email": "", "groups": [], "tags": [],
            "metadata": {}, "isActive": true, "__v": 0,
        })
        .await
        .unwrap();
    let (status, body) = app
        .post(
            "/api/contacts",
            &user,
            json!({ "name": "Pat Again", "phoneNumber": "+1 (215) 555-0123" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_field(&body), "phoneNumber");
    assert_eq!(count(&app).await, 1);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_writes_nothing() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let other = app.user("Other").await;
    let foreign_group = group(&app, other.id).await;
    let ok = json!({ "name": "Alex", "phoneNumber": "2155550100" });
    let with = |key: &str, value: Value| {
        let mut body = ok.clone();
        body[key] = value;
        body
    };
    let cases = [
        (json!({ "phoneNumber": "2155550100" }), 422, "name"),
        (json!({ "name": "Alex" }), 422, "phoneNumber"),
        (with("name", json!("   ")), 422, "name"),
        (with("name", json!(5)), 422, "name"),
        (with("phoneNumber", json!("123")), 422, "phoneNumber"),
        (with("phoneNumber", json!("call me")), 422, "phoneNumber"),
        (
            with("phoneNumber", json!(2155550100_u64)),
            422,
            "phoneNumber",
        ),
        (with("email", json!("not-an-email")), 422, "email"),
        (with("timezone", json!("Mars/Olympus")), 422, "timezone"),
        (with("groups", json!(["nope"])), 400, "groups[0]"),
        (
            with("groups", json!([foreign_group.to_hex()])),
            422,
            "groups[0]",
        ),
        (with("tags", json!(["ok", 1])), 422, "tags[1]"),
        (with("metadata", json!("text")), 422, "metadata"),
        (with("metadata", json!({ "a.b": 1 })), 422, "metadata.a.b"),
        (with("isActive", json!("yes")), 422, "isActive"),
    ];
    for (body, status, name) in cases {
        let (got, answer) = app.post("/api/contacts", &user, body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body}: {answer}");
        assert_eq!(error_field(&answer), name, "{body}: {answer}");
    }
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/contacts")
        .header("authorization", format!("Bearer {}", user.token))
        .header("content-type", "application/json")
        .body(Body::from("{\"name\": \"Alex\","))
        .unwrap();
    let (status, body) = app.send_raw(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn groups_of_the_user_are_stored_as_ids() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let group_id = group(&app, user.id).await;
    let created = create(
        &app,
        &user,
        json!({ "name": "Grouped", "phoneNumber": "2155550100", "groups": [group_id.to_hex(), group_id.to_hex()] }),
    )
    .await;
    assert_eq!(created["groups"], json!([group_id.to_hex()]));
    let stored = raw(&app, created["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(
        stored.get_array("groups").unwrap(),
        &vec![Bson::ObjectId(group_id)]
    );
}

#[tokio::test]
async fn patch_changes_only_the_fields_given() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let created = create(
        &app,
        &user,
        json!({
            "name": "Alex", "phoneNumber": "2155550100", "email": "alex@example.test",
            "tags": ["vip"], "metadata": { "purchaseDate": "2025-09-01" }, "timezone": "America/Chicago",
        }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/contacts/{id}");

    let (status, renamed) = app
        .patch(&path, &user, json!({ "name": "Alex Renamed" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "Alex Renamed");
    for key in [
        "phoneNumber",
        "email",
        "tags",
        "metadata",
        "timezone",
        "isActive",
        "createdAt",
    ] {
        assert_eq!(renamed[key], created[key], "{key}");
    }

    let (status, cleared) = app
        .patch(
            &path,
            &user,
            json!({ "email": null, "timezone": null, "isActive": false, "phoneNumber": "215.555.0199" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cleared}");
    assert_eq!(cleared["email"], Value::Null);
    assert_eq!(cleared["timezone"], Value::Null);
    assert_eq!(cleared["isActive"], false);
    assert_eq!(cleared["phoneNumber"], "+12155550199");
    assert_eq!(cleared["tags"], json!(["vip"]));
    let stored = raw(&app, id).await.unwrap();
    assert_eq!(stored.get_str("email").unwrap(), "");

    // The same number again is not a duplicate of itself.
    let (status, body) = app
        .patch(&path, &user, json!({ "phoneNumber": "+12155550199" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let before = raw(&app, id).await.unwrap();
    for (body, status, name) in [
        (json!({ "phoneNumber": "123" }), 422, "phoneNumber"),
        (json!({ "name": "" }), 422, "name"),
        (json!({ "name": null }), 422, "name"),
        (json!({ "timezone": "Nowhere/Else" }), 422, "timezone"),
        (json!({ "email": "bad" }), 422, "email"),
        (json!({ "tags": "vip" }), 422, "tags"),
        (json!({ "groups": ["zz"] }), 400, "groups[0]"),
    ] {
        let (got, answer) = app.patch(&path, &user, body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body}: {answer}");
        assert_eq!(error_field(&answer), name, "{body}: {answer}");
    }
    assert_eq!(
        raw(&app, id).await.unwrap(),
        before,
        "refused patches wrote nothing"
    );

    contact(&app, &user, "Other", "+12155550150").await;
    let (status, body) = app
        .patch(&path, &user, json!({ "phoneNumber": "(215) 555-0150" }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_field(&body), "phoneNumber");
    assert_eq!(raw(&app, id).await.unwrap(), before);
}

#[tokio::test]
async fn legacy_contacts_are_listed_read_searched_and_patched_keeping_unknown_fields() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let mut fixtures = legacy::contacts(user.id);
    fixtures[0].insert("nodeOnly", doc! { "score": 3 });
    let pat_id = fixtures[0].get_object_id("_id").unwrap().to_hex();
    let robin_id = fixtures[1].get_object_id("_id").unwrap().to_hex();
    app.db.raw("contacts").insert_many(fixtures).await.unwrap();

    let all = list(&app, &user, "").await;
    assert_eq!(all["total"], 2);
    assert_eq!(names(&all), ["Pat Sample", "Robin Fixture"]);

    let (status, pat) = app.get(&format!("/api/contacts/{pat_id}"), &user).await;
    assert_eq!(status, StatusCode::OK, "{pat}");
    assert_eq!(pat["phoneNumber"], "+12155550123");
    assert_eq!(pat["email"], Value::Null);
    assert_eq!(pat["isActive"], true);
    assert_eq!(pat["createdAt"], "2025-09-05T12:00:00Z");

    let (_, robin) = app.get(&format!("/api/contacts/{robin_id}"), &user).await;
    assert_eq!(robin["metadata"]["purchaseDate"], "09/10/2025");
    assert_eq!(robin["metadata"]["visits"], 2);
    assert_eq!(robin["groups"].as_array().unwrap().len(), 1);

    for query in [
        "555-0123",
        "2155550123",
        "+1 215 555 0123",
        "(215) 555-0123",
    ] {
        let found = list(&app, &user, &format!("?search={}", urlencode(query))).await;
        assert_eq!(names(&found), ["Pat Sample"], "{query}");
    }

    let (status, patched) = app
        .patch(
            &format!("/api/contacts/{pat_id}"),
            &user,
            json!({ "tags": ["followup"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let stored = raw(&app, &pat_id).await.unwrap();
    assert_eq!(
        stored.get_document("nodeOnly").unwrap(),
        &doc! { "score": 3 }
    );
    assert_eq!(
        stored.get_str("phoneNumber").unwrap(),
        "2155550123",
        "not rewritten"
    );
    assert_eq!(stored.get_str("email").unwrap(), "");
    assert_eq!(stored.get("__v"), Some(&Bson::Int32(0)));
    assert_eq!(
        stored.get_datetime("createdAt").unwrap(),
        &legacy::at("2025-09-05T12:00:00Z")
    );
    assert_ne!(
        stored.get_datetime("updatedAt").unwrap(),
        &legacy::at("2025-09-05T12:00:00Z")
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn search_by_name_email_and_number_in_any_spelling() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    create(
        &app,
        &user,
        json!({ "name": "Alex Madeup", "phoneNumber": "+12155550101", "email": "alex@cars.test" }),
    )
    .await;
    create(&app, &user, json!({ "name": "Sam O'Fixture", "phoneNumber": "+13055550102", "email": "sam@boats.test" })).await;
    create(
        &app,
        &user,
        json!({ "name": "Dot a.b", "phoneNumber": "+16175550103" }),
    )
    .await;

    for (query, expected) in [
        ("aLeX", vec!["Alex Madeup"]),
        ("madeUP", vec!["Alex Madeup"]),
        ("boats.test", vec!["Sam O'Fixture"]),
        ("o'fix", vec!["Sam O'Fixture"]),
        ("(215) 555-01", vec!["Alex Madeup"]),
        ("215-555-0101", vec!["Alex Madeup"]),
        ("305.555", vec!["Sam O'Fixture"]),
        ("555-01", vec!["Alex Madeup", "Dot a.b", "Sam O'Fixture"]),
        ("a.b", vec!["Dot a.b"]),
        (".*", vec![]),
        ("(", vec![]),
        ("nobody", vec![]),
    ] {
        let found = list(&app, &user, &format!("?search={}", urlencode(query))).await;
        assert_eq!(names(&found), expected, "{query}");
        assert_eq!(found["total"], expected.len(), "{query}");
    }
}

#[tokio::test]
async fn filters_by_group_tag_and_active() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let group_id = group(&app, user.id).await;
    create(&app, &user, json!({ "name": "In Group", "phoneNumber": "+12155550101", "groups": [group_id.to_hex()], "tags": ["vip"] })).await;
    create(&app, &user, json!({ "name": "Inactive", "phoneNumber": "+12155550102", "isActive": false, "tags": ["vip", "old"] })).await;
    // A legacy contact without isActive is active; its group id is text.
    app.db
        .raw("contacts")
        .insert_one(doc! {
            "_id": ObjectId::new(), "userId": user.id, "name": "No Flag",
            "phoneNumber": "2155550103", "groups": [group_id.to_hex()], "tags": [],
        })
        .await
        .unwrap();

    let by_group = list(&app, &user, &format!("?group={}", group_id.to_hex())).await;
    assert_eq!(names(&by_group), ["In Group", "No Flag"]);
    assert_eq!(
        names(&list(&app, &user, "?tag=vip").await),
        ["In Group", "Inactive"]
    );
    assert_eq!(names(&list(&app, &user, "?tag=old").await), ["Inactive"]);
    assert_eq!(
        names(&list(&app, &user, "?active=true").await),
        ["In Group", "No Flag"]
    );
    assert_eq!(
        names(&list(&app, &user, "?active=false").await),
        ["Inactive"]
    );
    assert_eq!(
        names(&list(&app, &user, "?active=true&tag=vip").await),
        ["In Group"]
    );

    let (status, body) = app.get("/api/contacts?group=nope", &user).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&body), "group");
    let (status, body) = app.get("/api/contacts?active=maybe", &user).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&body), "active");
}

#[tokio::test]
async fn sorting_and_paging() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    for (i, name) in ["Charlie", "Alex", "Eve", "Bob", "Dana"].iter().enumerate() {
        contact(&app, &user, name, &format!("+1215555010{i}")).await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(
        names(&list(&app, &user, "").await),
        ["Alex", "Bob", "Charlie", "Dana", "Eve"]
    );
    assert_eq!(
        names(&list(&app, &user, "?sort=name&order=desc").await),
        ["Eve", "Dana", "Charlie", "Bob", "Alex"]
    );
    assert_eq!(
        names(&list(&app, &user, "?sort=createdAt").await),
        ["Charlie", "Alex", "Eve", "Bob", "Dana"]
    );
    assert_eq!(
        names(&list(&app, &user, "?sort=createdAt&order=desc").await),
        ["Dana", "Bob", "Eve", "Alex", "Charlie"]
    );
    // Touching one moves it to the end of an updatedAt sort.
    let first = list(&app, &user, "?limit=1").await;
    let alex_id = first["items"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = app
        .patch(
            &format!("/api/contacts/{alex_id}"),
            &user,
            json!({ "tags": ["x"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let by_update = names(&list(&app, &user, "?sort=updatedAt").await);
    assert_eq!(by_update.last().map(String::as_str), Some("Alex"));

    let page = list(&app, &user, "?limit=2&page=2").await;
    assert_eq!(names(&page), ["Charlie", "Dana"]);
    assert_eq!(page["total"], 5);
    assert_eq!(page["page"], 2);
    assert_eq!(page["limit"], 2);
    let last = list(&app, &user, "?limit=2&page=3").await;
    assert_eq!(names(&last), ["Eve"]);
    let beyond = list(&app, &user, "?limit=2&page=9").await;
    assert_eq!(names(&beyond), Vec::<String>::new());
    assert_eq!(beyond["total"], 5);
    assert_eq!(list(&app, &user, "").await["limit"], 50);

    for (query, name) in [
        ("?limit=201", "limit"),
        ("?limit=0", "limit"),
        ("?limit=abc", "limit"),
        ("?page=0", "page"),
        ("?sort=phone", "sort"),
        ("?order=up", "order"),
    ] {
        let (status, body) = app.get(&format!("/api/contacts{query}"), &user).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(error_field(&body), name, "{query}");
    }
}

#[tokio::test]
async fn another_users_contact_is_not_found_on_every_route_and_stays_unchanged() {
    let app = TestApp::new().await;
    let a = app.user("Ann").await;
    let b = app.user("Bob").await;
    let created = create(
        &app,
        &a,
        json!({ "name": "Ann's Customer", "phoneNumber": "+12155550101", "email": "cust@example.test" }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/contacts/{id}");
    let before = raw(&app, id).await.unwrap();

    let (status, _) = app.get(&path, &b).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.patch(&path, &b, json!({ "name": "Stolen" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app
        .patch(&path, &b, json!({ "phoneNumber": "+12155550199" }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = app.delete(&path, &b).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(raw(&app, id).await.unwrap(), before);

    let mine = list(&app, &b, "").await;
    assert_eq!(mine["total"], 0);
    for query in [
        "?search=Ann",
        "?search=555-0101",
        "?search=cust%40example.test",
    ] {
        assert_eq!(list(&app, &b, query).await["total"], 0, "{query}");
    }
    // Bob's own contact with the same number does not show up for Ann.
    contact(&app, &b, "Bob's Customer", "2155550101").await;
    assert_eq!(names(&list(&app, &a, "").await), ["Ann's Customer"]);
    assert_eq!(raw(&app, id).await.unwrap(), before);
}

#[tokio::test]
async fn malformed_ids_are_400_naming_id_and_missing_ones_404() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({ "name": "X" }));
        let (status, answer) = app
            .send(
                method.clone(),
                "/api/contacts/not-an-id",
                Some(&user.token),
                body.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method}: {answer}");
        assert_eq!(error_field(&answer), "id");
        let missing = format!("/api/contacts/{}", ObjectId::new().to_hex());
        let (status, _) = app
            .send(method.clone(), &missing, Some(&user.token), body)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
    }
}

#[tokio::test]
async fn every_route_needs_a_token() {
    let app = TestApp::new().await;
    let id = ObjectId::new().to_hex();
    for (method, path) in [
        (Method::GET, "/api/contacts".to_string()),
        (Method::POST, "/api/contacts".to_string()),
        (Method::POST, "/api/contacts/import".to_string()),
        (Method::GET, format!("/api/contacts/{id}")),
        (Method::PATCH, format!("/api/contacts/{id}")),
        (Method::DELETE, format!("/api/contacts/{id}")),
    ] {
        let (status, _) = app.send(method.clone(), &path, None, Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

#[tokio::test]
async fn delete_removes_the_contact_and_its_list_entries() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let doomed = contact(&app, &user, "Doomed", "+12155550101").await;
    let kept = contact(&app, &user, "Kept", "+12155550102").await;
    let doomed_id: ObjectId = doomed["id"].as_str().unwrap().parse().unwrap();
    let kept_id: ObjectId = kept["id"].as_str().unwrap().parse().unwrap();

    let mut lists = legacy::contact_lists(user.id, doomed_id);
    lists[1].insert(
        "contacts",
        vec![
            Bson::Document(doc! { "contactId": kept_id }),
            Bson::Document(doc! { "contactId": doomed_id.to_hex() }),
        ],
    );
    lists[1].insert("contactsCount", 2);
    let list_ids: Vec<ObjectId> = lists
        .iter()
        .map(|l| l.get_object_id("_id").unwrap())
        .collect();
    app.db.raw("contactlists").insert_many(lists).await.unwrap();

    let (status, body) = app
        .delete(&format!("/api/contacts/{doomed_id}"), &user)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(body, Value::Null);
    assert!(raw(&app, &doomed_id.to_hex()).await.is_none());
    let (status, _) = app.get(&format!("/api/contacts/{doomed_id}"), &user).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let first = app
        .db
        .raw("contactlists")
        .find_one(doc! { "_id": list_ids[0] })
        .await
        .unwrap()
        .unwrap();
    assert!(first.get_array("contacts").unwrap().is_empty());
    assert_eq!(first.get("contactsCount"), Some(&Bson::Int32(0)));
    let second = app
        .db
        .raw("contactlists")
        .find_one(doc! { "_id": list_ids[1] })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        second.get_array("contacts").unwrap(),
        &vec![Bson::Document(doc! { "contactId": kept_id })]
    );
    assert_eq!(second.get("contactsCount"), Some(&Bson::Int32(1)));
    assert!(raw(&app, &kept_id.to_hex()).await.is_some());

    let (status, _) = app
        .delete(&format!("/api/contacts/{doomed_id}"), &user)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_openapi_document_describes_every_contacts_route() {
    let doc = serde_json::to_value(heyway::app::openapi()).unwrap();
    let paths = &doc["paths"];
    for (path, methods) in [
        ("/api/contacts", vec!["get", "post"]),
        ("/api/contacts/{id}", vec!["get", "patch", "delete"]),
        ("/api/contacts/import", vec!["post"]),
    ] {
        for method in methods {
            let operation = &paths[path][method];
            assert_eq!(operation["tags"], json!(["contacts"]), "{method} {path}");
            assert!(operation["security"].is_array(), "{method} {path}");
        }
    }
    assert!(doc["components"]["schemas"]["ContactView"].is_object());
}

#[tokio::test]
async fn numbers_without_a_country_code_follow_the_users_region() {
    let app = TestApp::new().await;
    let user = app.user("Region Owner").await;
    let (status, body) = app
        .post(
            "/api/contacts",
            &user,
            serde_json::json!({"name": "Local Default", "phoneNumber": "(215) 555-0190"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["phoneNumber"], "+12155550190", "US by default");

    let (status, _) = app
        .patch(
            "/api/me",
            &user,
            serde_json::json!({"preferences": {"region": "gb"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            "/api/contacts",
            &user,
            serde_json::json!({"name": "London Office", "phoneNumber": "020 7946 0018"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["phoneNumber"], "+442079460018");

    let csv = "name,phone\nLeeds Shop,0113 496 0000\n";
    let request = Request::post("/api/contacts/import")
        .header("authorization", format!("Bearer {}", user.token))
        .header("content-type", "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let (status, report) = app.send_raw(request).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 1, "{report}");
    let stored = app
        .db
        .raw("contacts")
        .find_one(mongodb::bson::doc! { "name": "Leeds Shop" })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get_str("phoneNumber").unwrap(), "+441134960000");
}
