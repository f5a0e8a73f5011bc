//! What an attacker sends the contacts routes: a JSON import row with a
//! hundred thousand keys, a file over the row limit, keys MongoDB reads as
//! operators or paths (or cannot store: NUL) nested in `metadata` and in
//! import cells, and a 5,000-character search. Each is a 4xx naming what
//! to fix, quickly, and nothing is stored.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use heyway::features::contacts::import_body::{MAX_COLUMNS, MAX_ROWS};
use heyway_tests::{error_field, TestApp, TestUser};
use mongodb::bson::doc;
use serde_json::{json, Map, Value};

async fn import(
    app: &TestApp,
    user: &TestUser,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/contacts/import")
        .header("authorization", format!("Bearer {}", user.token))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    app.send_raw(request).await
}

async fn count(app: &TestApp) -> u64 {
    app.db
        .raw("contacts")
        .count_documents(doc! {})
        .await
        .unwrap()
}

/// The reproduction: one row, 120,000 distinct keys (1.6 MB).
fn wide_json_row(keys: usize) -> String {
    let mut row = Map::new();
    row.insert("name".into(), json!("Wide"));
    row.insert("phone".into(), json!("2155550100"));
    for i in 0..keys {
        row.insert(format!("col{i:06}"), json!(1));
    }
    json!([row]).to_string()
}

#[tokio::test]
async fn a_row_with_120k_keys_is_refused_quickly_naming_file_and_row() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let body = wide_json_row(120_000);
    assert!(body.len() > 1_500_000, "{}", body.len());
    let started = Instant::now();
    let (status, answer) = import(&app, &user, "application/json", body).await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_field(&answer), "file");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains("row 1"), "{message}");
    assert!(message.contains(&MAX_COLUMNS.to_string()), "{message}");
    // Before: 17 s of CPU (quadratic header bookkeeping).
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn columns_are_capped_in_csv_and_json_alike() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let extra = |n: usize| (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>();

    // Exactly the cap imports.
    let mut headers = vec!["name".to_string(), "phone".to_string()];
    headers.extend(extra(MAX_COLUMNS - 2));
    let cells: Vec<&str> = std::iter::repeat_n("x", MAX_COLUMNS - 2).collect();
    let csv = format!(
        "{}\nAlex,2155550101,{}\n",
        headers.join(","),
        cells.join(",")
    );
    let (status, report) = import(&app, &user, "text/csv", csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 1);

    // One more is refused.
    headers.push("one_too_many".into());
    let csv = format!("{}\nSam,2155550102\n", headers.join(","));
    let (status, answer) = import(&app, &user, "text/csv", csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_field(&answer), "file");

    // JSON: the second row is the wide one, and is named.
    let mut wide = Map::new();
    wide.insert("name".into(), json!("Kim"));
    wide.insert("phone".into(), json!("2155550103"));
    for key in extra(MAX_COLUMNS - 1) {
        wide.insert(key, json!(1));
    }
    let body = json!([{ "name": "Lee", "phone": "2155550104" }, wide]).to_string();
    let (status, answer) = import(&app, &user, "application/json", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_field(&answer), "file");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("row 2"),
        "{answer}"
    );
    assert_eq!(count(&app).await, 1);
}

#[tokio::test]
async fn the_row_limit_is_the_documented_10_000() {
    assert_eq!(MAX_ROWS, 10_000);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    assert!(
        readme.contains("CSV or JSON, 10,000 rows"),
        "README and code must agree on the row limit"
    );
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let mut csv = String::from("name,phone\n");
    for _ in 0..=MAX_ROWS {
        csv.push_str("A,1\n");
    }
    let (status, answer) = import(&app, &user, "text/csv", csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_field(&answer), "file");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10000"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_nul_in_a_header_is_a_422_not_a_500() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let (status, answer) = import(
        &app,
        &user,
        "text/csv",
        "name,phone,no\0te\nAlex,2155550101,hello\n".into(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_field(&answer), "file");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("column 3"),
        "{answer}"
    );

    let body = json!([{ "name": "Alex", "phone": "2155550101", "no\u{0}te": 1 }]).to_string();
    let (status, answer) = import(&app, &user, "application/json", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_field(&answer), "file");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("row 1"),
        "{answer}"
    );
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn nested_keys_in_import_cells_reject_the_row_naming_the_path() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let body = json!([
        { "name": "Good", "phone": "2155550101", "car": { "model": "Sedan" } },
        { "name": "Dollar", "phone": "2155550102", "car": { "$where": "1" } },
        { "name": "Dotted", "phone": "2155550103", "car": [{ "a.b": 1 }] },
        { "name": "Nul", "phone": "2155550104", "car": { "x\u{0}": 1 } },
    ])
    .to_string();
    let (status, report) = import(&app, &user, "application/json", body).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["skipped"], 3, "{report}");
    let fields: Vec<(u64, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            (2, "metadata.car.$where"),
            (3, "metadata.car[0].a.b"),
            (4, "metadata.car.x\u{0}"),
        ]
    );
    assert_eq!(count(&app).await, 1);

    // A contact the user has is not merged with such a row either.
    let body = json!([{ "name": "Good", "phone": "2155550101", "car": { "$set": 1 } }]).to_string();
    let (status, report) = import(&app, &user, "application/json", body).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["updated"], 0, "{report}");
    let stored = app
        .db
        .raw("contacts")
        .find_one(doc! { "phoneNumber": "+12155550101" })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.get_document("metadata").unwrap(),
        &doc! { "car": { "model": "Sedan" } }
    );
}

#[tokio::test]
async fn nested_metadata_keys_are_refused_on_create_and_patch() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let cases = [
        (json!({ "a": { "$gt": 1 } }), "metadata.a.$gt"),
        (json!({ "a": { "b.c": 1 } }), "metadata.a.b.c"),
        (json!({ "a": [{ "$x": 1 }] }), "metadata.a[0].$x"),
        (json!({ "n\u{0}ul": 1 }), "metadata.n\u{0}ul"),
        (json!({ "a": { "n\u{0}": 1 } }), "metadata.a.n\u{0}"),
    ];
    for (metadata, field) in &cases {
        let (status, answer) = app
            .post(
                "/api/contacts",
                &user,
                json!({ "name": "Alex", "phoneNumber": "2155550101", "metadata": metadata }),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{metadata}: {answer}"
        );
        assert_eq!(error_field(&answer), *field, "{metadata}");
    }
    assert_eq!(count(&app).await, 0);

    let (status, created) = app
        .post(
            "/api/contacts",
            &user,
            json!({ "name": "Alex", "phoneNumber": "2155550101", "metadata": { "a": { "b": 1 } } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/api/contacts/{}", created["id"].as_str().unwrap());
    for (metadata, field) in &cases {
        let (status, answer) = app
            .patch(&path, &user, json!({ "metadata": metadata }))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{metadata}: {answer}"
        );
        assert_eq!(error_field(&answer), *field, "{metadata}");
    }
    let (_, stored) = app.get(&path, &user).await;
    assert_eq!(stored["metadata"], json!({ "a": { "b": 1 } }));
}

#[tokio::test]
async fn a_long_search_is_a_422_naming_search() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    for search in ["x".repeat(5_000), "2".repeat(101), "a%00b".to_string()] {
        let (status, answer) = app
            .get(&format!("/api/contacts?search={search}"), &user)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(error_field(&answer), "search");
    }
    let (status, page) = app
        .get(&format!("/api/contacts?search={}", "x".repeat(100)), &user)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
}
