//! Scheduled calls stuck in `processing` are settled by the evaluator's
//! pass: from the call record's final status, as failed once no call can
//! still be going on, or as abandoned when a dialer's lease ran out long
//! ago; a call still in progress is left alone.

use chrono::{DateTime, Duration, Utc};
use heyway::features::scheduled_calls::reconcile::{
    settle_stuck, ReconcileReport, ABANDONED, NO_FINAL_STATUS,
};
use heyway::Db;
use heyway_tests::TestDb;
use mongodb::bson::{self, doc, oid::ObjectId, Document};

const NOW: &str = "2026-11-30T20:00:00Z";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn ago(minutes: i64) -> bson::DateTime {
    bson::DateTime::from_chrono(at(NOW) - Duration::minutes(minutes))
}

/// A scheduled call in `processing` with `fields`, and its call record in
/// `call_status` (none when `None`).
async fn stuck(db: &Db, fields: Document, call_status: Option<&str>) -> ObjectId {
    let id = ObjectId::new();
    let user = ObjectId::new();
    let mut document = doc! {
        "_id": id, "userId": user, "status": "processing", "callMode": "ai-only",
        "recipients": [{ "phoneNumber": "+12125550101", "name": "Dana Pebble" }],
        "scheduledTime": ago(300), "__v": 0,
    };
    if let Some(call_status) = call_status {
        let call = ObjectId::new();
        db.raw("calls")
            .insert_one(doc! { "_id": call, "userId": user, "status": call_status })
            .await
            .unwrap();
        document.insert("callId", call);
    }
    document.extend(fields);
    db.raw("scheduledcalls").insert_one(document).await.unwrap();
    id
}

async fn state(db: &Db, id: ObjectId) -> (String, Option<String>) {
    let document = db
        .raw("scheduledcalls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap();
    (
        document.get_str("status").unwrap().to_string(),
        document.get_str("errorMessage").ok().map(str::to_string),
    )
}

#[tokio::test]
async fn stuck_calls_are_settled_and_live_ones_left_alone() {
    let db = TestDb::new().await.db;
    let answered = stuck(&db, doc! { "updatedAt": ago(30) }, Some("completed")).await;
    let busy = stuck(&db, doc! { "updatedAt": ago(30) }, Some("busy")).await;
    let talking = stuck(&db, doc! { "updatedAt": ago(30) }, Some("in-progress")).await;
    let fresh = stuck(&db, doc! { "updatedAt": ago(5) }, Some("completed")).await;
    let silent = stuck(&db, doc! { "updatedAt": ago(5 * 60) }, Some("ringing")).await;
    let abandoned = stuck(
        &db,
        doc! { "updatedAt": ago(120), "leaseUntil": ago(90) },
        None,
    )
    .await;
    let leased = stuck(
        &db,
        doc! { "updatedAt": ago(1), "leaseUntil": ago(-1) },
        None,
    )
    .await;

    let report = settle_stuck(&db, at(NOW)).await.unwrap();
    assert_eq!(
        report,
        ReconcileReport {
            settled: 2,
            expired: 2
        }
    );
    assert_eq!(state(&db, answered).await, ("completed".into(), None));
    assert_eq!(
        state(&db, busy).await,
        ("failed".into(), Some("The line was busy.".into()))
    );
    assert_eq!(state(&db, talking).await.0, "processing");
    assert_eq!(state(&db, fresh).await.0, "processing");
    assert_eq!(
        state(&db, silent).await,
        ("failed".into(), Some(NO_FINAL_STATUS.into()))
    );
    assert_eq!(
        state(&db, abandoned).await,
        ("failed".into(), Some(ABANDONED.into()))
    );
    assert_eq!(state(&db, leased).await.0, "processing");

    // A second pass finds nothing more to do.
    assert_eq!(
        settle_stuck(&db, at(NOW)).await.unwrap(),
        ReconcileReport::default()
    );
}
