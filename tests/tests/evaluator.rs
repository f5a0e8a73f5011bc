//! The evaluator against a real database: due calls recorded once and
//! enqueued once, whatever runs twice or at once; late ones missed; quiet
//! hours kept; bookkeeping in the old app's fields.

use chrono::{DateTime, Duration, Utc};
use heyway::features::evaluator::{run_pass, EvaluatorSettings};
use heyway::infra::queue::{DialQueue, InProcessQueue, InProcessReceiver};
use heyway::Db;
use heyway_tests::TestApp;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

mod handoff;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn bdate(text: &str) -> bson::DateTime {
    bson::DateTime::from_chrono(at(text))
}

fn queue() -> (DialQueue, InProcessReceiver) {
    let (queue, receiver) = InProcessQueue::new();
    (DialQueue::InProcess(queue), receiver)
}

fn drain(receiver: &mut InProcessReceiver) -> usize {
    let mut n = 0;
    while receiver.try_recv().is_ok() {
        n += 1;
    }
    n
}

async fn contact(db: &Db, user: ObjectId, name: &str, phone: &str, metadata: Document) -> ObjectId {
    let id = ObjectId::new();
    db.raw("contacts")
        .insert_one(doc! {
            "_id": id, "userId": user, "name": name, "phoneNumber": phone, "email": "",
            "groups": [], "tags": [], "metadata": metadata, "isActive": true,
            "createdAt": bdate("2026-01-01T00:00:00Z"), "updatedAt": bdate("2026-01-01T00:00:00Z"), "__v": 0,
        })
        .await
        .unwrap();
    id
}

/// "7 days after each purchase, at 18:00 New York time".
async fn relative_automation(
    db: &Db,
    user: ObjectId,
    contacts: &[ObjectId],
    last_run: &str,
) -> ObjectId {
    let id = ObjectId::new();
    db.raw("automations")
        .insert_one(doc! {
            "_id": id, "userId": user, "name": "New car check-in", "description": "", "isActive": true,
            "timingMode": "after", "daysOffset": 7, "fixedDate": Bson::Null, "timeOfDay": "18:00",
            "timezone": "America/New_York", "referenceField": "metadata.purchaseDate",
            "aiInstructions": "ask how the new car is going",
            "contacts": contacts.to_vec(),
            "lastRun": bdate(last_run), "nextRun": bdate(last_run),
            "createdAt": bdate("2026-01-01T00:00:00Z"), "updatedAt": bdate("2026-01-01T00:00:00Z"), "__v": 0,
        })
        .await
        .unwrap();
    id
}

async fn scheduled(db: &Db) -> Vec<Document> {
    use futures_util::TryStreamExt;
    db.raw("scheduledcalls")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn due_calls_are_recorded_and_enqueued_once() {
    let app = TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner One").await.id;
    // Purchases on Nov 22 → due Nov 29 18:00 EST = 23:00 UTC.
    let due = contact(
        db,
        user,
        "Due Today",
        "+12125550101",
        doc! { "purchaseDate": "11/22/2026" },
    )
    .await;
    let later = contact(
        db,
        user,
        "Due Later",
        "+12125550102",
        doc! { "purchaseDate": "2026-11-23" },
    )
    .await;
    let earlier = contact(
        db,
        user,
        "Due Earlier",
        "+12125550103",
        doc! { "purchaseDate": "2026-11-01" },
    )
    .await;
    let automation =
        relative_automation(db, user, &[due, later, earlier], "2026-11-29T22:00:00Z").await;

    let (queue, mut jobs) = queue();
    let now = at("2026-11-29T23:00:30Z");
    let report = run_pass(db, &queue, now, EvaluatorSettings::default())
        .await
        .unwrap();
    assert_eq!(
        (report.recorded, report.enqueued, report.missed),
        (1, 1, 0),
        "{report:?}"
    );
    let job = jobs.try_recv().unwrap();

    let calls = scheduled(db).await;
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.get_object_id("_id").unwrap(), job.scheduled_call_id);
    assert_eq!(call.get_object_id("userId").unwrap(), user);
    assert_eq!(call.get_object_id("automationId").unwrap(), automation);
    assert_eq!(call.get_str("status").unwrap(), "queued");
    assert_eq!(
        call.get_datetime("scheduledTime").unwrap(),
        &bdate("2026-11-29T23:00:00Z")
    );
    assert_eq!(
        call.get_datetime("referenceDate").unwrap(),
        &bdate("2026-11-22T00:00:00Z")
    );
    assert_eq!(call.get_str("callMode").unwrap(), "ai-only");
    let recipient = call.get_array("recipients").unwrap()[0]
        .as_document()
        .unwrap();
    assert_eq!(recipient.get_str("phoneNumber").unwrap(), "+12125550101");
    assert_eq!(recipient.get_object_id("contactId").unwrap(), due);
    assert_eq!(call.get("__v"), Some(&Bson::Int32(0)));

    let stored = db
        .raw("automations")
        .find_one(doc! { "_id": automation })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.get_datetime("lastRun").unwrap(),
        &bson::DateTime::from_chrono(now)
    );
    // Next: Nov 23 + 7 = Nov 30, 18:00 EST (within the daily recheck).
    assert_eq!(
        stored.get_datetime("nextRun").unwrap(),
        &bdate("2026-11-30T23:00:00Z")
    );
    assert_eq!(stored.get("pendingCount"), Some(&Bson::Int32(1)));
    assert_eq!(stored.get("contactsCount"), Some(&Bson::Int32(3)));
    let history = stored.get_array("executionHistory").unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].as_document().unwrap().get("callsScheduled"),
        Some(&Bson::Int32(1))
    );

    // The same instant again, and the lease forced open: nothing new.
    db.raw("automations")
        .update_one(doc! { "_id": automation }, doc! { "$set": { "nextRun": bdate("2026-11-29T22:00:00Z"), "lastRun": bdate("2026-11-29T22:00:00Z") } })
        .await
        .unwrap();
    let again = run_pass(db, &queue, now, EvaluatorSettings::default())
        .await
        .unwrap();
    assert_eq!(
        (again.recorded, again.duplicates, again.enqueued),
        (0, 1, 0),
        "{again:?}"
    );
    assert_eq!(drain(&mut jobs), 0);
    assert_eq!(scheduled(db).await.len(), 1);
}

#[tokio::test]
async fn concurrent_evaluators_record_and_enqueue_each_call_once() {
    let app = TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner Two").await.id;
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(
            contact(
                db,
                user,
                &format!("Buyer {i}"),
                &format!("+1212555{:04}", 100 + i),
                doc! { "purchaseDate": "2026-11-22" },
            )
            .await,
        );
    }
    for chunk in ids.chunks(10) {
        relative_automation(db, user, chunk, "2026-11-29T22:00:00Z").await;
    }
    let now = at("2026-11-29T23:01:00Z");
    let (first, mut first_jobs) = queue();
    let (second, mut second_jobs) = queue();
    let (a, b) = tokio::join!(
        run_pass(db, &first, now, EvaluatorSettings::default()),
        run_pass(db, &second, now, EvaluatorSettings::default()),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.recorded + b.recorded, 40, "{a:?} {b:?}");
    assert_eq!(
        drain(&mut first_jobs) + drain(&mut second_jobs),
        40,
        "each call enqueued exactly once"
    );
    assert_eq!(scheduled(db).await.len(), 40);
}

#[tokio::test]
async fn calls_found_too_late_are_missed_not_placed() {
    let app = TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner Three").await.id;
    let c = contact(
        db,
        user,
        "Late One",
        "+12125550111",
        doc! { "purchaseDate": "2026-11-22" },
    )
    .await;
    relative_automation(db, user, &[c], "2026-11-29T12:00:00Z").await;
    let (queue, mut jobs) = queue();
    // Due 23:00 UTC; the evaluator was down until 04:00 the next day.
    let report = run_pass(
        db,
        &queue,
        at("2026-11-30T04:00:00Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        (report.recorded, report.missed, report.enqueued),
        (0, 1, 0),
        "{report:?}"
    );
    assert_eq!(drain(&mut jobs), 0);
    assert_eq!(scheduled(db).await[0].get_str("status").unwrap(), "missed");
}

#[tokio::test]
async fn a_short_outage_is_caught_up_but_never_at_night() {
    let app = TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner Four").await.id;
    // An automation at 20:30 New York; the evaluator comes back at 21:30.
    let c = contact(
        db,
        user,
        "Night Owl",
        "+12125550121",
        doc! { "purchaseDate": "2026-11-22" },
    )
    .await;
    let automation = relative_automation(db, user, &[c], "2026-11-30T01:00:00Z").await;
    db.raw("automations")
        .update_one(
            doc! { "_id": automation },
            doc! { "$set": { "timeOfDay": "20:30" } },
        )
        .await
        .unwrap();
    let (queue, mut jobs) = queue();
    let report = run_pass(
        db,
        &queue,
        at("2026-11-30T02:30:00Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!((report.recorded, report.enqueued), (1, 0), "{report:?}");
    assert_eq!(drain(&mut jobs), 0, "not enqueued at 21:30 local");
    let call = &scheduled(db).await[0];
    assert_eq!(call.get_str("status").unwrap(), "pending");
    assert_eq!(
        call.get_datetime("scheduledTime").unwrap(),
        &bdate("2026-11-30T13:00:00Z"),
        "08:00 local next morning"
    );

    // The morning tick sends it.
    let morning = run_pass(
        db,
        &queue,
        at("2026-11-30T13:00:00Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(morning.enqueued, 1, "{morning:?}");
    assert_eq!(drain(&mut jobs), 1);
}

#[tokio::test]
async fn quiet_hours_follow_the_recipients_area_code() {
    let app = TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner Five").await.id;
    // 09:00 New York is 06:00 in Los Angeles (213): wait until 08:00 there.
    let c = contact(
        db,
        user,
        "West Coast",
        "+12135550131",
        doc! { "purchaseDate": "2026-11-22" },
    )
    .await;
    let automation = relative_automation(db, user, &[c], "2026-11-29T13:00:00Z").await;
    db.raw("automations")
        .update_one(
            doc! { "_id": automation },
            doc! { "$set": { "timeOfDay": "09:00" } },
        )
        .await
        .unwrap();
    let (queue, _jobs) = queue();
    let report = run_pass(
        db,
        &queue,
        at("2026-11-29T14:01:00Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.recorded, 0, "{report:?}");
    let stored = db
        .raw("automations")
        .find_one(doc! { "_id": automation })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.get_datetime("nextRun").unwrap(),
        &bdate("2026-11-29T16:00:00Z"),
        "08:00 Los Angeles"
    );
}

#[tokio::test]
async fn legacy_first_generation_automations_run() {
    let app = TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner Six").await.id;
    let c = contact(db, user, "Legacy Contact", "2125550141", doc! {}).await;
    let recording = ObjectId::new();
    let mut legacy = heyway_tests::legacy::automation_first_generation(user, c, recording);
    legacy.insert("onDate", "2026-11-29");
    legacy.insert("lastRun", bdate("2026-11-29T22:00:00Z"));
    legacy.insert("nextRun", bdate("2026-11-29T22:00:00Z"));
    legacy.insert("executionHistory", Bson::Null);
    let id = legacy.get_object_id("_id").unwrap();
    db.raw("automations").insert_one(&legacy).await.unwrap();
    let (queue, mut jobs) = queue();
    let report = run_pass(
        db,
        &queue,
        at("2026-11-29T23:00:00Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!((report.recorded, report.enqueued), (1, 1), "{report:?}");
    assert_eq!(drain(&mut jobs), 1);
    let call = &scheduled(db).await[0];
    assert_eq!(call.get_str("callMode").unwrap(), "recording-ai");
    assert_eq!(
        call.get("referenceDate"),
        Some(&Bson::DateTime(bdate("2026-11-29T00:00:00Z")))
    );
    let stored = db
        .raw("automations")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.get_str("onTime").unwrap(),
        "18:00",
        "legacy fields kept"
    );
    assert_eq!(stored.get_array("executionHistory").unwrap().len(), 1);
}

#[tokio::test]
async fn paused_automations_and_inactive_contacts_are_not_called() {
    let app = TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner Seven").await.id;
    let active = contact(
        db,
        user,
        "Active",
        "+12125550151",
        doc! { "purchaseDate": "2026-11-22" },
    )
    .await;
    let inactive = contact(
        db,
        user,
        "Inactive",
        "+12125550152",
        doc! { "purchaseDate": "2026-11-22" },
    )
    .await;
    db.raw("contacts")
        .update_one(
            doc! { "_id": inactive },
            doc! { "$set": { "isActive": false } },
        )
        .await
        .unwrap();
    let paused = relative_automation(db, user, &[active], "2026-11-29T22:00:00Z").await;
    db.raw("automations")
        .update_one(
            doc! { "_id": paused },
            doc! { "$set": { "isActive": false } },
        )
        .await
        .unwrap();
    relative_automation(db, user, &[inactive], "2026-11-29T22:00:00Z").await;
    let (queue, _jobs) = queue();
    let report = run_pass(
        db,
        &queue,
        at("2026-11-29T23:01:00Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.automations, 1);
    assert_eq!(report.recorded, 0);
}

#[tokio::test]
async fn a_manual_call_coming_due_is_swept_and_a_failed_enqueue_retried() {
    let app = TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner Eight").await.id;
    let id = ObjectId::new();
    db.raw("scheduledcalls")
        .insert_one(doc! {
            "_id": id, "userId": user, "recipients": [{ "phoneNumber": "+12125550161", "name": "Manual" }],
            "notes": "", "scheduledTime": bdate("2026-11-29T15:00:00Z"), "status": "pending", "retryCount": 0,
            "callMode": "ai-only", "referenceDate": Bson::Null, "contactData": {}, "errorMessage": "",
            "createdAt": bdate("2026-11-28T00:00:00Z"), "updatedAt": bdate("2026-11-28T00:00:00Z"), "__v": 0,
        })
        .await
        .unwrap();
    // A queue whose consumer is gone refuses every job.
    let (closed, receiver) = queue();
    drop(receiver);
    let early = run_pass(
        db,
        &closed,
        at("2026-11-29T14:59:00Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(early.enqueued + early.enqueue_failed, 0, "not due yet");
    let failed = run_pass(
        db,
        &closed,
        at("2026-11-29T15:00:00Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(failed.enqueue_failed, 1);
    let stored = db
        .raw("scheduledcalls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.get_str("status").unwrap(),
        "pending",
        "back for the next tick"
    );

    let (queue, mut jobs) = queue();
    let next = run_pass(
        db,
        &queue,
        at("2026-11-29T15:01:00Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(next.enqueued, 1);
    assert_eq!(jobs.try_recv().unwrap().scheduled_call_id, id);
}

#[tokio::test]
async fn with_nothing_upcoming_an_automation_is_rechecked_daily() {
    let app = TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner Nine").await.id;
    let c = contact(
        db,
        user,
        "Far Future",
        "+12125550171",
        doc! { "purchaseDate": "2027-06-01" },
    )
    .await;
    let automation = relative_automation(db, user, &[c], "2026-11-29T22:00:00Z").await;
    let (queue, _jobs) = queue();
    let now = at("2026-11-29T23:00:00Z");
    run_pass(db, &queue, now, EvaluatorSettings::default())
        .await
        .unwrap();
    let stored = db
        .raw("automations")
        .find_one(doc! { "_id": automation })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.get_datetime("nextRun").unwrap(),
        &bson::DateTime::from_chrono(now + Duration::hours(24))
    );
}
