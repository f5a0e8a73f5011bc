//! Placing a call once: `Idempotency-Key` on `POST /api/calls` and
//! `POST /api/scheduled-calls` (the same key and body answer the first
//! answer again and call no one), and one open manual call per contact or
//! number without a key (409 naming it, unless `allowConcurrent`). The
//! attack replayed: 20 parallel "call now" requests used to place 20 calls
//! to one number.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use chrono::{Duration, SecondsFormat, Utc};
use heyway::infra::queue::{DialQueue, InProcessQueue, InProcessReceiver};
use heyway_tests::{error_field, TestApp, TestUser};
use http_body_util::BodyExt;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use serde_json::{json, Value};
use tower::ServiceExt;

const CALLS: &str = "/api/calls";
const SCHEDULED: &str = "/api/scheduled-calls";
const PARALLEL: usize = 20;

/// One answer, as the client sees it.
#[derive(Clone, Debug, PartialEq)]
struct Reply {
    status: StatusCode,
    json: Value,
    /// The body's exact text.
    text: String,
    replayed: bool,
}

async fn post(router: Router, path: &str, token: &str, key: Option<&str>, body: &Value) -> Reply {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let request = request.body(Body::from(body.to_string())).unwrap();
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|value| value == "true");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        json,
        text,
        replayed,
    }
}

/// `PARALLEL` copies of one request, sent at once from several threads.
async fn parallel(
    app: &TestApp,
    path: &str,
    user: &TestUser,
    key: Option<&str>,
    body: Value,
) -> Vec<Reply> {
    let tasks: Vec<_> = (0..PARALLEL)
        .map(|_| {
            let (router, token, key, body) = (
                app.router.clone(),
                user.token.clone(),
                key.map(str::to_string),
                body.clone(),
            );
            let path = path.to_string();
            tokio::spawn(async move { post(router, &path, &token, key.as_deref(), &body).await })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}

/// An app whose `POST /api/calls` sends to an in-process queue.
async fn app_with_queue() -> (TestApp, InProcessReceiver) {
    let mut app = TestApp::new().await;
    let (queue, jobs) = InProcessQueue::new();
    app.state = app
        .state
        .clone()
        .with_dial_queue(DialQueue::InProcess(queue));
    app.router = heyway::app::router(app.state.clone());
    (app, jobs)
}

fn jobs_sent(jobs: &mut InProcessReceiver) -> usize {
    std::iter::from_fn(|| jobs.try_recv().ok()).count()
}

async fn contact(app: &TestApp, user: ObjectId, name: &str, phone: &str) -> ObjectId {
    app.insert_raw(
        "contacts",
        &[doc! {
            "_id": ObjectId::new(), "userId": user, "name": name, "phoneNumber": phone,
            "email": "", "groups": [], "tags": [], "metadata": {}, "isActive": true,
        }],
    )
    .await[0]
}

fn in_hours(hours: i64) -> String {
    (Utc::now() + Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn calls_of(app: &TestApp, user: ObjectId) -> Vec<Document> {
    use futures_util::TryStreamExt;
    app.db
        .raw("scheduledcalls")
        .find(doc! { "userId": user })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

fn id_of(reply: &Reply) -> &str {
    reply.json["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {}", reply.text))
}

/// Makes every stored key of `user` 25 hours old, as if a day had passed.
async fn age_keys(app: &TestApp, user: ObjectId) {
    let day_ago = bson::DateTime::from_chrono(Utc::now() - Duration::hours(25));
    let aged = app
        .db
        .raw("idempotencykeys")
        .update_many(
            doc! { "userId": user },
            doc! { "$set": { "createdAt": day_ago, "claimedAt": day_ago } },
        )
        .await
        .unwrap();
    assert!(aged.modified_count > 0);
}

/// Ends scheduled call `id` the way the dialer does.
async fn end(app: &TestApp, id: &str) {
    let id: ObjectId = id.parse().unwrap();
    heyway::features::dialer::finish(
        &app.db,
        id,
        heyway::model::ScheduledCallStatus::Completed,
        None,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_calls_now_with_one_key_place_one_call_and_answer_alike() {
    let (app, mut jobs) = app_with_queue().await;
    let user = app.user("Keyed Caller").await;
    let sam = contact(&app, user.id, "Sam Sample", "+12155550170").await;
    let body = json!({ "contactId": sam.to_hex() });

    let replies = parallel(&app, CALLS, &user, Some("click-1"), body.clone()).await;
    let first = &replies[0];
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
    for reply in &replies {
        assert_eq!(
            (reply.status, &reply.text),
            (first.status, &first.text),
            "identical answers"
        );
    }
    assert_eq!(
        replies.iter().filter(|r| !r.replayed).count(),
        1,
        "one ran, 19 replayed"
    );
    assert_eq!(calls_of(&app, user.id).await.len(), 1, "one call recorded");
    assert_eq!(jobs_sent(&mut jobs), 1, "one dial job");
    let key = app
        .db
        .raw("idempotencykeys")
        .find_one(doc! { "userId": user.id, "key": "click-1" })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(key.get_str("state").unwrap(), "done");
    assert_eq!(key.get_i32("status").unwrap(), 202);

    // Later, the same key and body: the same answer, still no call.
    let again = post(
        app.router.clone(),
        CALLS,
        &user.token,
        Some("click-1"),
        &body,
    )
    .await;
    assert_eq!(
        (again.status, &again.text, again.replayed),
        (first.status, &first.text, true)
    );
    assert_eq!(calls_of(&app, user.id).await.len(), 1);
    assert_eq!(jobs_sent(&mut jobs), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_calls_now_without_a_key_place_one_and_refuse_the_rest_naming_it() {
    let (app, mut jobs) = app_with_queue().await;
    let user = app.user("Impatient Caller").await;
    let sam = contact(&app, user.id, "Sam Sample", "+12155550171").await;

    let replies = parallel(
        &app,
        CALLS,
        &user,
        None,
        json!({ "contactId": sam.to_hex() }),
    )
    .await;
    let placed: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::ACCEPTED)
        .collect();
    assert_eq!(placed.len(), 1, "{replies:#?}");
    let id = id_of(placed[0]);
    let refused: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .collect();
    assert_eq!(refused.len(), PARALLEL - 1, "{replies:#?}");
    for reply in refused {
        assert_eq!(reply.json["error"]["code"], "conflict");
        assert_eq!(error_field(&reply.json), "contactId");
        let message = reply.json["error"]["message"].as_str().unwrap();
        assert!(message.contains(id), "names the open call: {message}");
    }
    assert_eq!(calls_of(&app, user.id).await.len(), 1, "one call recorded");
    assert_eq!(jobs_sent(&mut jobs), 1, "one dial job");

    // By number: the same rule, naming `phoneNumber`.
    let by_number = json!({ "phoneNumber": "(215) 555-0172", "name": "Lee Example" });
    let first = post(app.router.clone(), CALLS, &user.token, None, &by_number).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
    let second = post(app.router.clone(), CALLS, &user.token, None, &by_number).await;
    assert_eq!(
        (second.status, error_field(&second.json)),
        (StatusCode::CONFLICT, "phoneNumber")
    );
}

#[tokio::test]
async fn a_key_with_another_body_is_refused_and_allow_concurrent_calls_anyway() {
    let (app, mut jobs) = app_with_queue().await;
    let user = app.user("Careful Caller").await;
    let sam = contact(&app, user.id, "Sam Sample", "+12155550173").await;
    let body = json!({ "contactId": sam.to_hex() });
    let first = post(app.router.clone(), CALLS, &user.token, Some("k-1"), &body).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);

    let other = json!({ "contactId": sam.to_hex(), "notes": "something else" });
    let reused = post(app.router.clone(), CALLS, &user.token, Some("k-1"), &other).await;
    assert_eq!(
        reused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reused.text
    );
    assert_eq!(error_field(&reused.json), "Idempotency-Key");
    // The same key on the other route is another request too.
    let scheduled = json!({ "contactId": sam.to_hex(), "scheduledTime": in_hours(2) });
    let elsewhere = post(
        app.router.clone(),
        SCHEDULED,
        &user.token,
        Some("k-1"),
        &scheduled,
    )
    .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        elsewhere.text
    );

    // A new key, but the contact's call is still open.
    let busy = post(app.router.clone(), CALLS, &user.token, Some("k-2"), &body).await;
    assert_eq!(
        (busy.status, error_field(&busy.json)),
        (StatusCode::CONFLICT, "contactId")
    );
    let anyway = json!({ "contactId": sam.to_hex(), "allowConcurrent": true });
    let second = post(app.router.clone(), CALLS, &user.token, None, &anyway).await;
    assert_eq!(second.status, StatusCode::ACCEPTED, "{}", second.text);
    assert_ne!(id_of(&second), id_of(&first));
    assert_eq!(calls_of(&app, user.id).await.len(), 2);
    assert_eq!(jobs_sent(&mut jobs), 2);

    // A request that failed kept nothing: its key is free for the fixed one.
    let unknown = json!({ "contactId": ObjectId::new().to_hex() });
    let failed = post(
        app.router.clone(),
        CALLS,
        &user.token,
        Some("k-3"),
        &unknown,
    )
    .await;
    assert_eq!(
        failed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        failed.text
    );
    let lee = json!({ "phoneNumber": "+12155550174", "name": "Lee Example" });
    let fixed = post(app.router.clone(), CALLS, &user.token, Some("k-3"), &lee).await;
    assert_eq!(fixed.status, StatusCode::ACCEPTED, "{}", fixed.text);

    // Keys are per user: another user's `k-1` is theirs.
    let other_user = app.user("Other Caller").await;
    let theirs = contact(&app, other_user.id, "Their Contact", "+12155550175").await;
    let body = json!({ "contactId": theirs.to_hex() });
    let own = post(
        app.router.clone(),
        CALLS,
        &other_user.token,
        Some("k-1"),
        &body,
    )
    .await;
    assert_eq!(
        (own.status, own.replayed),
        (StatusCode::ACCEPTED, false),
        "{}",
        own.text
    );
}

#[tokio::test]
async fn a_key_a_day_old_is_forgotten() {
    let (app, mut jobs) = app_with_queue().await;
    let user = app.user("Daily Caller").await;
    let sam = contact(&app, user.id, "Sam Sample", "+12155550176").await;
    let body = json!({ "contactId": sam.to_hex() });
    let first = post(app.router.clone(), CALLS, &user.token, Some("daily"), &body).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
    end(&app, id_of(&first)).await;

    // Within the day: the first answer, even though the call has ended.
    let replay = post(app.router.clone(), CALLS, &user.token, Some("daily"), &body).await;
    assert_eq!((replay.status, &replay.text), (first.status, &first.text));
    assert_eq!(jobs_sent(&mut jobs), 1);

    age_keys(&app, user.id).await;
    let fresh = post(app.router.clone(), CALLS, &user.token, Some("daily"), &body).await;
    assert_eq!(
        (fresh.status, fresh.replayed),
        (StatusCode::ACCEPTED, false),
        "{}",
        fresh.text
    );
    assert_ne!(id_of(&fresh), id_of(&first), "a new call");
    assert_eq!(calls_of(&app, user.id).await.len(), 2);
    assert_eq!(jobs_sent(&mut jobs), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scheduling_a_call_is_idempotent_and_one_per_contact_too() {
    let app = TestApp::new().await;
    let user = app.user("Scheduling Owner").await;
    let casey = contact(&app, user.id, "Casey Caller", "+12125550190").await;
    let casey_body = json!({ "contactId": casey.to_hex(), "scheduledTime": in_hours(2) });

    let keyed = parallel(&app, SCHEDULED, &user, Some("plan-1"), casey_body.clone()).await;
    assert_eq!(keyed[0].status, StatusCode::CREATED, "{}", keyed[0].text);
    assert!(keyed
        .iter()
        .all(|r| (r.status, &r.text) == (keyed[0].status, &keyed[0].text)));
    assert_eq!(keyed.iter().filter(|r| !r.replayed).count(), 1);
    assert_eq!(calls_of(&app, user.id).await.len(), 1);

    let jordan = contact(&app, user.id, "Jordan Walkin", "+12125550191").await;
    let body = json!({ "contactId": jordan.to_hex(), "scheduledTime": in_hours(3) });
    let unkeyed = parallel(&app, SCHEDULED, &user, None, body.clone()).await;
    let created: Vec<&Reply> = unkeyed
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), 1, "{unkeyed:#?}");
    let conflicts = unkeyed.iter().filter(|r| r.status == StatusCode::CONFLICT);
    for reply in conflicts.clone() {
        assert_eq!(error_field(&reply.json), "contactId");
        assert!(reply.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains(id_of(created[0])));
    }
    assert_eq!(conflicts.count(), PARALLEL - 1);
    assert_eq!(calls_of(&app, user.id).await.len(), 2);

    let other = json!({ "contactId": jordan.to_hex(), "scheduledTime": in_hours(4) });
    let reused = post(
        app.router.clone(),
        SCHEDULED,
        &user.token,
        Some("plan-1"),
        &other,
    )
    .await;
    assert_eq!(
        (reused.status, error_field(&reused.json)),
        (StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key")
    );
    let anyway = json!({ "contactId": jordan.to_hex(), "scheduledTime": in_hours(4), "allowConcurrent": true });
    let second = post(app.router.clone(), SCHEDULED, &user.token, None, &anyway).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);

    // A day later the key is new again; the first call has been cancelled.
    let first_id = id_of(&keyed[0]).to_string();
    let (status, _) = app.delete(&format!("{SCHEDULED}/{first_id}"), &user).await;
    assert_eq!(status, StatusCode::OK);
    age_keys(&app, user.id).await;
    let fresh = post(
        app.router.clone(),
        SCHEDULED,
        &user.token,
        Some("plan-1"),
        &casey_body,
    )
    .await;
    assert_eq!(
        (fresh.status, fresh.replayed),
        (StatusCode::CREATED, false),
        "{}",
        fresh.text
    );
    assert_ne!(id_of(&fresh), first_id);
    assert_eq!(calls_of(&app, user.id).await.len(), 4);
}

#[tokio::test]
async fn a_malformed_key_is_a_400_naming_the_header() {
    let app = TestApp::new().await;
    let user = app.user("Odd Keys").await;
    let body = json!({ "phoneNumber": "+12155550177", "name": "Lee Example" });
    for key in ["", &"k".repeat(256)] {
        let reply = post(app.router.clone(), CALLS, &user.token, Some(key), &body).await;
        assert_eq!(
            (reply.status, error_field(&reply.json)),
            (StatusCode::BAD_REQUEST, "Idempotency-Key"),
            "{key:?}: {}",
            reply.text
        );
    }
    assert_eq!(calls_of(&app, user.id).await.len(), 0);
}

#[tokio::test]
async fn every_end_of_a_call_frees_its_contact() {
    let app = TestApp::new().await;
    let user = app.user("Ending Owner").await;
    let sam = contact(&app, user.id, "Sam Sample", "+12155550178").await;
    let body = json!({ "contactId": sam.to_hex() });
    let open_key = |doc: &Document| doc.get_str("manualOpenKey").ok().map(str::to_string);

    // Each way a call ends, then a new call to the same contact.
    let ends: [(&str, Document); 6] = [
        ("cancel", doc! {}),
        ("dialer", doc! { "status": "processing" }),
        ("webhook", doc! { "status": "processing" }),
        (
            "reconcile",
            doc! { "status": "processing", "updatedAt": bson::DateTime::from_chrono(Utc::now() - Duration::hours(5)) },
        ),
        (
            "abandoned",
            doc! { "status": "processing", "leaseUntil": bson::DateTime::from_chrono(Utc::now() - Duration::hours(2)) },
        ),
        (
            "missed",
            doc! { "scheduledTime": bson::DateTime::from_chrono(Utc::now() - Duration::hours(4)) },
        ),
    ];
    for (how, before) in ends {
        let placed = post(app.router.clone(), CALLS, &user.token, None, &body).await;
        assert_eq!(
            placed.status,
            StatusCode::ACCEPTED,
            "before {how}: {}",
            placed.text
        );
        let id: ObjectId = id_of(&placed).parse().unwrap();
        let stored = app.raw_doc("scheduledcalls", &id.to_hex()).await;
        let key = format!("{}:contact:{}", user.id.to_hex(), sam.to_hex());
        assert_eq!(open_key(&stored).as_deref(), Some(key.as_str()));
        if !before.is_empty() {
            app.db
                .raw("scheduledcalls")
                .update_one(doc! { "_id": id }, doc! { "$set": before })
                .await
                .unwrap();
        }
        end_by(&app, &user, id, how).await;
        let ended = app.raw_doc("scheduledcalls", &id.to_hex()).await;
        assert_ne!(ended.get_str("status").unwrap(), "processing", "{how}");
        assert_eq!(open_key(&ended), None, "{how} gives the key up");
    }

    // An end that forgot the key (as an automation's deletion cancels its
    // calls): the next call frees it.
    let placed = post(app.router.clone(), CALLS, &user.token, None, &body).await;
    let id: ObjectId = id_of(&placed).parse().unwrap();
    app.db
        .raw("scheduledcalls")
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "status": "cancelled" } },
        )
        .await
        .unwrap();
    let next = post(app.router.clone(), CALLS, &user.token, None, &body).await;
    assert_eq!(next.status, StatusCode::ACCEPTED, "{}", next.text);
    assert_eq!(
        open_key(&app.raw_doc("scheduledcalls", &id.to_hex()).await),
        None
    );
}

/// Ends call `id` the way `how` names.
async fn end_by(app: &TestApp, user: &TestUser, id: ObjectId, how: &str) {
    use heyway::features::scheduled_calls::{enqueue_due, reconcile};
    let now = Utc::now();
    match how {
        "cancel" => {
            let (status, body) = app
                .delete(&format!("{SCHEDULED}/{}", id.to_hex()), user)
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        "dialer" => end(app, &id.to_hex()).await,
        "webhook" => {
            let outcome = heyway::schedule::CallOutcome::Answered;
            heyway::features::webhooks::scheduled_end::end_scheduled_call(
                &app.db,
                id,
                ObjectId::new(),
                outcome,
                now,
            )
            .await
            .unwrap();
        }
        "reconcile" | "abandoned" => {
            reconcile::settle_stuck(&app.db, now).await.unwrap();
        }
        "missed" => {
            let (queue, _jobs) = InProcessQueue::new();
            let report = enqueue_due(
                &app.db,
                &DialQueue::InProcess(queue),
                now,
                Duration::hours(3),
                ObjectId::new(),
            )
            .await
            .unwrap();
            assert_eq!(report.missed, 1);
        }
        other => panic!("no end {other}"),
    }
}

#[tokio::test]
async fn an_open_legacy_manual_call_counts_and_legacy_documents_are_untouched() {
    let app = TestApp::new().await;
    let user = app.user("Legacy Owner").await;
    let sam = contact(&app, user.id, "Sam Sample", "+12155550179").await;
    // As the Node app recorded a manual call: the contact in `recipients`
    // only, no `contactId`, no key.
    let legacy = app
        .insert_raw(
            "scheduledcalls",
            &[doc! {
                "_id": ObjectId::new(), "userId": user.id,
                "recipients": [{ "phoneNumber": "+12155550179", "name": "Sam Sample", "contactId": sam }],
                "notes": "", "scheduledTime": bson::DateTime::now(), "status": "queued", "retryCount": 0,
                "callMode": "ai-only", "automationId": Bson::Null, "referenceDate": Bson::Null,
                "contactData": {}, "errorMessage": "",
            }],
        )
        .await[0];
    let body = json!({ "contactId": sam.to_hex() });
    let busy = post(app.router.clone(), CALLS, &user.token, None, &body).await;
    assert_eq!(
        (busy.status, error_field(&busy.json)),
        (StatusCode::CONFLICT, "contactId")
    );
    assert!(busy.json["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&legacy.to_hex()));
    let stored = app.raw_doc("scheduledcalls", &legacy.to_hex()).await;
    assert!(stored.get("manualOpenKey").is_none());
    assert_eq!(calls_of(&app, user.id).await.len(), 1);
}

#[tokio::test]
async fn the_header_and_allow_concurrent_are_documented() {
    let app = TestApp::new().await;
    let (status, document) = app.send(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    for (path, schema) in [(CALLS, "CallNow"), (SCHEDULED, "NewManualCall")] {
        let operation = &document["paths"][path]["post"];
        let header = operation["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: no parameters"))
            .iter()
            .find(|p| p["name"] == "Idempotency-Key")
            .unwrap_or_else(|| panic!("{path}: no Idempotency-Key"));
        assert_eq!(header["in"], "header");
        assert_eq!(header["required"], false);
        assert!(operation["responses"]["409"].is_object(), "{path}");
        let fields = &document["components"]["schemas"][schema]["properties"];
        assert!(fields["allowConcurrent"].is_object(), "{schema}");
    }
}
