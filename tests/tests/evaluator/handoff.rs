//! The evaluator's hand-offs: calls due now are recorded `queued` and sent
//! at once; what the queue refuses goes back to `pending`; what a pass
//! that stopped midway left is resent by a later sweep, once.

use futures_util::TryStreamExt;
use heyway::features::evaluator::{run_pass, EvaluatorSettings};
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};

use super::{at, bdate, contact, drain, queue, relative_automation, scheduled};

async fn handoffs(db: &heyway::Db) -> Vec<Document> {
    db.raw("dialhandoffs")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// A call a pass recorded `queued` under hand-off `token` before it
/// stopped, in `status`.
async fn handed_off_call(
    db: &heyway::Db,
    user: ObjectId,
    token: ObjectId,
    status: &str,
) -> ObjectId {
    let id = ObjectId::new();
    db.raw("scheduledcalls")
        .insert_one(doc! {
            "_id": id, "userId": user, "recipients": [{ "phoneNumber": "+12125550181", "name": "Handed Off" }],
            "notes": "", "scheduledTime": bdate("2026-11-29T23:00:00Z"), "status": status, "retryCount": 0,
            "callMode": "ai-only", "automationId": ObjectId::new(), "referenceDate": Bson::Null,
            "contactData": {}, "errorMessage": "", "dedupeKey": format!("handoff-test:{id}"),
            "enqueueToken": token, "enqueueClaimedAt": bdate("2026-11-29T23:00:00Z"),
            "queuedAt": bdate("2026-11-29T23:00:00Z"),
            "createdAt": bdate("2026-11-29T23:00:00Z"), "updatedAt": bdate("2026-11-29T23:00:00Z"), "__v": 0,
        })
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn a_pass_sends_what_it_records_and_leaves_no_handoff_open() {
    let app = heyway_tests::TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner Ten").await.id;
    let c = contact(
        db,
        user,
        "Sent At Once",
        "+12125550191",
        doc! { "purchaseDate": "2026-11-22" },
    )
    .await;
    relative_automation(db, user, &[c], "2026-11-29T22:00:00Z").await;
    let (queue, mut jobs) = queue();
    let report = run_pass(
        db,
        &queue,
        at("2026-11-29T23:00:30Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!((report.recorded, report.enqueued), (1, 1), "{report:?}");
    let job = jobs.try_recv().unwrap();
    let call = &scheduled(db).await[0];
    assert_eq!(call.get_object_id("_id").unwrap(), job.scheduled_call_id);
    assert_eq!(call.get_str("status").unwrap(), "queued");
    assert!(call.get_datetime("queuedAt").is_ok(), "{call:?}");
    assert!(handoffs(db).await.is_empty(), "closed once sent");
}

#[tokio::test]
async fn calls_the_queue_refuses_go_back_to_pending_and_are_swept_next_tick() {
    let app = heyway_tests::TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner Eleven").await.id;
    let c = contact(
        db,
        user,
        "Refused Once",
        "+12125550192",
        doc! { "purchaseDate": "2026-11-22" },
    )
    .await;
    relative_automation(db, user, &[c], "2026-11-29T22:00:00Z").await;
    let (closed, receiver) = queue();
    drop(receiver);
    let refused = run_pass(
        db,
        &closed,
        at("2026-11-29T23:00:30Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        (refused.recorded, refused.enqueued, refused.enqueue_failed),
        (1, 0, 2),
        "refused by the hand-off, then by the sweep: {refused:?}"
    );
    let call = &scheduled(db).await[0];
    assert_eq!(call.get_str("status").unwrap(), "pending");
    assert!(call.get("enqueueToken").is_none(), "{call:?}");
    assert!(handoffs(db).await.is_empty());

    let (queue, mut jobs) = queue();
    let next = run_pass(
        db,
        &queue,
        at("2026-11-29T23:01:30Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!((next.recorded, next.enqueued), (0, 1), "{next:?}");
    assert_eq!(drain(&mut jobs), 1);
    assert_eq!(scheduled(db).await[0].get_str("status").unwrap(), "queued");
}

#[tokio::test]
async fn a_handoff_left_open_is_resent_once_by_a_later_sweep() {
    let app = heyway_tests::TestApp::new().await;
    let db = &app.db;
    let user = app.user("Owner Twelve").await.id;
    let now = at("2026-11-29T23:10:00Z");
    // A pass stopped 6 minutes ago after recording two calls: one a dialer
    // has taken since, one whose job may never have reached the queue.
    let stopped = ObjectId::new();
    db.raw("dialhandoffs")
        .insert_one(doc! { "_id": stopped, "openedAt": bdate("2026-11-29T23:04:00Z") })
        .await
        .unwrap();
    let lost = handed_off_call(db, user, stopped, "queued").await;
    handed_off_call(db, user, stopped, "processing").await;
    // A pass still running (opened 1 minute ago) is left alone.
    let running = ObjectId::new();
    db.raw("dialhandoffs")
        .insert_one(doc! { "_id": running, "openedAt": bdate("2026-11-29T23:09:00Z") })
        .await
        .unwrap();
    handed_off_call(db, user, running, "queued").await;

    let (first, mut first_jobs) = queue();
    let (second, mut second_jobs) = queue();
    let (a, b) = tokio::join!(
        run_pass(db, &first, now, EvaluatorSettings::default()),
        run_pass(db, &second, now, EvaluatorSettings::default()),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.enqueued + b.enqueued, 1, "{a:?} {b:?}");
    let resent: Vec<ObjectId> = [&mut first_jobs, &mut second_jobs]
        .into_iter()
        .flat_map(|jobs| std::iter::from_fn(move || jobs.try_recv().ok()))
        .map(|job| job.scheduled_call_id)
        .collect();
    assert_eq!(resent, vec![lost], "only the stopped pass's queued call");
    let open: Vec<ObjectId> = handoffs(db)
        .await
        .iter()
        .map(|h| h.get_object_id("_id").unwrap())
        .collect();
    assert_eq!(
        open,
        vec![running],
        "the stopped one closed, the running one kept"
    );

    // Later passes send nothing more.
    let (queue, mut jobs) = queue();
    let again = run_pass(db, &queue, now, EvaluatorSettings::default())
        .await
        .unwrap();
    assert_eq!(again.enqueued, 0, "{again:?}");
    assert_eq!(drain(&mut jobs), 0);
}
