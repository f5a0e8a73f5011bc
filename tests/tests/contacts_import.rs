//! `POST /api/contacts/import`: CSV and JSON rows, header spellings,
//! per-row errors, updates of existing contacts and a 10,000-row file.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use heyway::model::phone;
use heyway_tests::{legacy, TestApp, TestUser};
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use serde_json::{json, Value};

async fn import_csv(app: &TestApp, user: &TestUser, csv: impl Into<String>) -> (StatusCode, Value) {
    import_raw(app, user, Some("text/csv"), csv.into()).await
}

async fn import_raw(
    app: &TestApp,
    user: &TestUser,
    content_type: Option<&str>,
    body: String,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/contacts/import")
        .header("authorization", format!("Bearer {}", user.token));
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    app.send_raw(request.body(Body::from(body)).unwrap()).await
}

async fn all(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let (status, body) = app.get("/api/contacts?limit=200", user).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn by_phone<'a>(contacts: &'a [Value], e164: &str) -> &'a Value {
    contacts
        .iter()
        .find(|c| c["phoneNumber"] == e164)
        .unwrap_or_else(|| panic!("no contact {e164} in {contacts:?}"))
}

async fn count(app: &TestApp) -> u64 {
    app.db
        .raw("contacts")
        .count_documents(doc! {})
        .await
        .unwrap()
}

#[tokio::test]
async fn csv_with_varied_headers_keeps_other_columns_as_metadata() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let csv = "Full Name,Phone Number,E-mail,Tags,purchaseDate,Vehicle Model\n\
               Alex Madeup,(215) 555-0101,alex@example.test,\"vip, sedan\",2025-09-01,Sedan\n\
               Sam Fixture,215.555.0102,,new;truck|vip,2025-09-02,\n";
    let (status, report) = import_csv(&app, &user, csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({ "created": 2, "updated": 0, "skipped": 0, "doNotCall": 0, "errors": [] })
    );

    let contacts = all(&app, &user).await;
    let alex = by_phone(&contacts, "+12155550101");
    assert_eq!(alex["name"], "Alex Madeup");
    assert_eq!(alex["email"], "alex@example.test");
    assert_eq!(alex["tags"], json!(["vip", "sedan"]));
    assert_eq!(
        alex["metadata"],
        json!({ "purchaseDate": "2025-09-01", "Vehicle Model": "Sedan" })
    );
    assert_eq!(alex["isActive"], true);
    let sam = by_phone(&contacts, "+12155550102");
    assert_eq!(sam["email"], Value::Null);
    assert_eq!(sam["tags"], json!(["new", "truck", "vip"]));
    assert_eq!(sam["metadata"], json!({ "purchaseDate": "2025-09-02" }));

    let stored = app
        .db
        .raw("contacts")
        .find_one(doc! { "phoneNumber": "+12155550101" })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get_object_id("userId").unwrap(), user.id);
    assert_eq!(stored.get("__v"), Some(&Bson::Int32(0)));
    assert!(matches!(stored.get("createdAt"), Some(Bson::DateTime(_))));
    assert!(matches!(stored.get("updatedAt"), Some(Bson::DateTime(_))));
    assert_eq!(stored.get_str("email").unwrap(), "alex@example.test");
}

#[tokio::test]
async fn first_and_last_name_columns_and_other_phone_spellings() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    for (i, (headers, row)) in [
        (
            "first name,last_name,MOBILE,email address",
            "Lee,Example,2155550111,lee@example.test",
        ),
        ("Contact Name,cell,Tag", "Robin Fixture,+1 215 555 0112,vip"),
        ("name,telephone", "Kim Sample,1-215-555-0113"),
        ("Name,number,e-mail", "Jo Test,215 555 0114,JO@EXAMPLE.TEST"),
        ("NAME,phone_number", "Max Test,(215)555-0115"),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, report) = import_csv(&app, &user, format!("{headers}\n{row}\n")).await;
        assert_eq!(status, StatusCode::OK, "{headers}: {report}");
        assert_eq!(report["created"], 1, "{headers}: {report}");
        let contacts = all(&app, &user).await;
        assert_eq!(contacts.len(), i + 1);
    }
    let contacts = all(&app, &user).await;
    assert_eq!(by_phone(&contacts, "+12155550111")["name"], "Lee Example");
    assert_eq!(
        by_phone(&contacts, "+12155550111")["email"],
        "lee@example.test"
    );
    assert_eq!(by_phone(&contacts, "+12155550112")["tags"], json!(["vip"]));
    assert_eq!(by_phone(&contacts, "+12155550113")["name"], "Kim Sample");
    assert_eq!(
        by_phone(&contacts, "+12155550114")["email"],
        "JO@EXAMPLE.TEST"
    );
    assert_eq!(by_phone(&contacts, "+12155550115")["name"], "Max Test");
}

#[tokio::test]
async fn rejected_rows_are_reported_and_the_rest_imported() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let csv = "name,phone,email\n\
               Good One,2155550101,\n\
               Bad Phone,123,\n\
               ,2155550102,\n\
               No Phone,,\n\
               Bad Email,2155550103,not-an-email\n\
               Again,+1 (215) 555-0101,\n\
               ,,\n\
               Good Two,2155550104,two@example.test\n";
    let (status, report) = import_csv(&app, &user, csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["updated"], 0);
    assert_eq!(report["skipped"], 6, "{report}");
    let errors: Vec<(u64, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(!e["reason"].as_str().unwrap().is_empty());
            (
                e["row"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (2, "phoneNumber".to_string()),
            (3, "name".to_string()),
            (4, "phoneNumber".to_string()),
            (5, "email".to_string()),
            (6, "phoneNumber".to_string()),
        ]
    );
    let duplicate = &report["errors"][4]["reason"];
    assert!(duplicate.as_str().unwrap().contains("row 1"), "{duplicate}");
    assert_eq!(count(&app).await, 2);
}

#[tokio::test]
async fn a_known_number_updates_that_contact_even_in_legacy_form() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let mut fixtures = legacy::contacts(user.id);
    fixtures[0].insert("tags", vec!["old"]);
    fixtures[0].insert("metadata", doc! { "source": "walk-in" });
    fixtures[0].insert("nodeOnly", true);
    let pat_id = fixtures[0].get_object_id("_id").unwrap();
    let robin_id = fixtures[1].get_object_id("_id").unwrap();
    let robin_before = fixtures[1].clone();
    app.db.raw("contacts").insert_many(fixtures).await.unwrap();

    let csv = "Name,Phone,Email,Tags,purchaseDate\n\
               Pat Renamed,+1 (215) 555-0123,pat@example.test,new;old,2025-09-20\n\
               ,215-555-0124,,,\n\
               New Person,2155550125,,,\n";
    let (status, report) = import_csv(&app, &user, csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["updated"], 2, "{report}");
    assert_eq!(report["skipped"], 0);
    assert_eq!(count(&app).await, 3);

    let pat = app
        .db
        .raw("contacts")
        .find_one(doc! { "_id": pat_id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pat.get_str("name").unwrap(), "Pat Renamed");
    assert_eq!(pat.get_str("email").unwrap(), "pat@example.test");
    assert_eq!(
        pat.get_str("phoneNumber").unwrap(),
        "2155550123",
        "stored form kept"
    );
    assert_eq!(
        pat.get_array("tags").unwrap(),
        &vec![Bson::from("old"), Bson::from("new")]
    );
    assert_eq!(
        pat.get_document("metadata").unwrap(),
        &doc! { "source": "walk-in", "purchaseDate": "2025-09-20" }
    );
    assert!(pat.get_bool("nodeOnly").unwrap());
    assert_eq!(pat.get("__v"), Some(&Bson::Int32(0)));

    // A row with nothing but the number changes nothing but updatedAt.
    let mut robin = app
        .db
        .raw("contacts")
        .find_one(doc! { "_id": robin_id })
        .await
        .unwrap()
        .unwrap();
    robin.remove("updatedAt");
    let mut expected: Document = robin_before;
    expected.remove("updatedAt");
    assert_eq!(robin, expected);
}

#[tokio::test]
async fn json_rows_wrapped_or_bare() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let (status, report) = app
        .post(
            "/api/contacts/import",
            &user,
            json!({ "rows": [
                { "name": "Alex", "phone": "2155550101", "tags": ["vip", "new"], "visits": 3 },
                { "Full Name": "Sam", "Phone Number": 2155550102_u64, "purchaseDate": "2025-09-01" },
            ] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 2, "{report}");
    let (status, report) = app
        .post(
            "/api/contacts/import",
            &user,
            json!([{ "name": "Kim", "mobile": "+12155550103" }, { "name": "No Number" }]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 1);
    assert_eq!(
        report["errors"],
        json!([{ "row": 2, "field": "phoneNumber", "reason": "missing phone number" }])
    );

    let contacts = all(&app, &user).await;
    let alex = by_phone(&contacts, "+12155550101");
    assert_eq!(alex["tags"], json!(["vip", "new"]));
    assert_eq!(alex["metadata"], json!({ "visits": 3 }));
    assert_eq!(
        by_phone(&contacts, "+12155550102")["metadata"],
        json!({ "purchaseDate": "2025-09-01" })
    );
    assert_eq!(by_phone(&contacts, "+12155550103")["name"], "Kim");
}

#[tokio::test]
async fn unusable_files_are_refused_naming_the_problem() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let cases: [(Option<&str>, &str, u16, &str); 7] = [
        (Some("text/csv"), "", 422, "file"),
        (None, "", 422, "file"),
        (
            Some("text/csv"),
            "name,email\nAlex,a@example.test\n",
            422,
            "phone",
        ),
        (
            Some("text/csv"),
            "phone,email\n2155550101,a@example.test\n",
            422,
            "name",
        ),
        (Some("application/json"), "{\"rows\": [", 400, ""),
        (Some("application/json"), "{\"rows\": 5}", 422, "rows"),
        (
            Some("multipart/form-data; boundary=x"),
            "--x\r\n",
            422,
            "file",
        ),
    ];
    for (content_type, body, status, field) in cases {
        let (got, answer) = import_raw(&app, &user, content_type, body.to_string()).await;
        assert_eq!(got.as_u16(), status, "{content_type:?} {body:?}: {answer}");
        if !field.is_empty() {
            assert_eq!(answer["error"]["field"], field, "{body:?}");
        }
    }
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn imports_stay_within_the_importing_user() {
    let app = TestApp::new().await;
    let a = app.user("Ann").await;
    let b = app.user("Bob").await;
    let (status, _) = import_csv(&app, &a, "name,phone\nAnn's Customer,2155550101\n").await;
    assert_eq!(status, StatusCode::OK);
    let before = app
        .db
        .raw("contacts")
        .find_one(doc! { "userId": a.id })
        .await
        .unwrap()
        .unwrap();

    let (status, report) = import_csv(
        &app,
        &b,
        "name,phone,tags\nBob's Customer,2155550101,mine\n",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report["created"], 1,
        "a number of another user's is new for this one"
    );
    assert_eq!(report["updated"], 0);
    let after = app
        .db
        .raw("contacts")
        .find_one(doc! { "_id": before.get_object_id("_id").unwrap() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, before);
    assert_eq!(all(&app, &a).await.len(), 1);
    assert_eq!(all(&app, &b).await[0]["name"], "Bob's Customer");
}

/// `count` distinct fictional numbers `+1 <area> 555-01XX`: the 555-0100
/// to 555-0199 block in every area code the phone library accepts.
fn fictional_numbers(count: usize) -> Vec<String> {
    let mut numbers = Vec::with_capacity(count);
    for area in 201..=989 {
        let probe = format!("+1{area}5550100");
        if phone::to_e164(&probe, None).as_deref() != Ok(probe.as_str()) {
            continue;
        }
        for line in 100..=199 {
            let number = format!("+1{area}55501{:02}", line - 100);
            if phone::to_e164(&number, None).as_deref() == Ok(number.as_str()) {
                numbers.push(number);
                if numbers.len() == count {
                    return numbers;
                }
            }
        }
    }
    panic!("only {} fictional numbers available", numbers.len());
}

#[tokio::test]
async fn ten_thousand_rows_in_one_request() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    // An existing legacy contact among them is updated, not duplicated.
    let numbers = fictional_numbers(10_000);
    let legacy_number = numbers[42].trim_start_matches("+1").to_string();
    app.db
        .raw("contacts")
        .insert_one(doc! {
            "_id": ObjectId::new(), "userId": user.id, "name": "Legacy",
            "phoneNumber": legacy_number, "email": "", "groups": [], "tags": [],
            "metadata": {}, "isActive": true, "__v": 0,
        })
        .await
        .unwrap();

    // A wide notes column takes the file past axum's default 2 MB limit.
    let notes = "Made-up note about a test vehicle. ".repeat(8);
    let mut csv = String::from("First Name,Last Name,Phone Number,Email,Tags,purchaseDate,Notes\n");
    for (i, number) in numbers.iter().enumerate() {
        csv.push_str(&format!(
            "Test{i},Person,{number},person{i}@example.test,bulk;batch{},2025-09-{:02},{notes}\n",
            i % 10,
            i % 28 + 1
        ));
    }
    assert!(csv.len() > 3 * 1024 * 1024, "{} bytes", csv.len());
    let started = std::time::Instant::now();
    let (status, report) = import_csv(&app, &user, csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 9_999, "{}", report["errors"]);
    assert_eq!(report["updated"], 1);
    assert_eq!(report["skipped"], 0);
    eprintln!("10,000-row import took {:?}", started.elapsed());

    let (status, page) = app.get("/api/contacts?limit=1", &user).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 10_000);
    let (_, found) = app.get("/api/contacts?search=Test9999", &user).await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["metadata"]["purchaseDate"], "2025-09-04");
    assert_eq!(found["items"][0]["tags"], json!(["bulk", "batch9"]));
}

#[tokio::test]
async fn a_file_over_10_mb_is_refused() {
    let app = TestApp::new().await;
    let user = app.user("Dana").await;
    let mut csv = String::from("name,phone,notes\n");
    let filler = "x".repeat(1000);
    while csv.len() <= 10 * 1024 * 1024 {
        csv.push_str(&format!("Test,2155550101,{filler}\n"));
    }
    let (status, body) = import_csv(&app, &user, csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "file");
    assert_eq!(count(&app).await, 0);
}
