//! Claiming a scheduled call against a real database: once, whatever runs
//! twice or at once; an expired lease taken over; ended calls untouched.

use chrono::{DateTime, Duration, Utc};
use heyway::features::dialer::{claim, finish, release, Claim};
use heyway::infra::queue::DialJob;
use heyway::model::ScheduledCallStatus;
use heyway::Db;
use heyway_tests::TestDb;
use mongodb::bson::{self, doc, oid::ObjectId, Document};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

const NOW: &str = "2026-11-30T15:00:00Z";

fn lease() -> Duration {
    Duration::minutes(10)
}

/// A call of a new user with `status` and `extra` fields, and its job.
async fn call(db: &Db, status: &str, extra: Document) -> DialJob {
    let id = ObjectId::new();
    let user = ObjectId::new();
    let mut document = doc! {
        "_id": id, "userId": user,
        "recipients": [{ "phoneNumber": "+12125550101", "name": "Dana Pebble" }],
        "scheduledTime": bson::DateTime::from_chrono(at("2026-11-30T14:59:00Z")),
        "status": status, "callMode": "ai", "notes": "",
        "createdAt": bson::DateTime::from_chrono(at("2026-11-30T10:00:00Z")), "__v": 0,
    };
    document.extend(extra);
    db.raw("scheduledcalls").insert_one(document).await.unwrap();
    DialJob {
        scheduled_call_id: id,
        user_id: user,
        scheduled_time: at("2026-11-30T14:59:00Z"),
    }
}

async fn stored(db: &Db, id: ObjectId) -> Document {
    db.raw("scheduledcalls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn claims_once_then_already_taken() {
    let db = TestDb::new().await.db;
    let job = call(&db, status::QUEUED, doc! {}).await;

    let Claim::Claimed(claimed) = claim(&db, &job, at(NOW), lease()).await.unwrap() else {
        panic!("first claim should win");
    };
    assert_eq!(claimed.id, job.scheduled_call_id);
    assert_eq!(claimed.status, status::PROCESSING);
    let doc = stored(&db, job.scheduled_call_id).await;
    assert_eq!(doc.get_str("status").unwrap(), status::PROCESSING);
    assert_eq!(
        doc.get_datetime("leaseUntil").unwrap().to_chrono(),
        at(NOW) + lease()
    );
    assert_eq!(doc.get_datetime("claimedAt").unwrap().to_chrono(), at(NOW));
    assert_eq!(doc.get_datetime("updatedAt").unwrap().to_chrono(), at(NOW));
    assert_eq!(doc.get_i32("dialAttempts").unwrap(), 1);

    let again = claim(&db, &job, at(NOW) + Duration::minutes(1), lease())
        .await
        .unwrap();
    assert_eq!(again, Claim::AlreadyTaken);
    assert_eq!(
        stored(&db, job.scheduled_call_id)
            .await
            .get_i32("dialAttempts")
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn pending_and_enqueuing_calls_are_claimable() {
    let db = TestDb::new().await.db;
    for state in [status::PENDING, status::ENQUEUING] {
        let job = call(&db, state, doc! {}).await;
        assert!(matches!(
            claim(&db, &job, at(NOW), lease()).await.unwrap(),
            Claim::Claimed(_)
        ));
    }
}

#[tokio::test]
async fn two_concurrent_claims_one_wins() {
    let db = TestDb::new().await.db;
    let job = call(&db, status::QUEUED, doc! {}).await;
    let (a, b) = tokio::join!(
        claim(&db, &job, at(NOW), lease()),
        claim(&db, &job, at(NOW), lease())
    );
    let results = [a.unwrap(), b.unwrap()];
    let won = results
        .iter()
        .filter(|c| matches!(c, Claim::Claimed(_)))
        .count();
    assert_eq!(won, 1, "{results:?}");
    assert!(results.contains(&Claim::AlreadyTaken));
}

#[tokio::test]
async fn ten_concurrent_claims_one_wins() {
    let db = TestDb::new().await.db;
    let job = call(&db, status::QUEUED, doc! {}).await;
    let results =
        futures_util::future::join_all((0..10).map(|_| claim(&db, &job, at(NOW), lease()))).await;
    let results: Vec<Claim> = results.into_iter().map(Result::unwrap).collect();
    let won = results
        .iter()
        .filter(|c| matches!(c, Claim::Claimed(_)))
        .count();
    assert_eq!(won, 1, "{results:?}");
    assert_eq!(
        stored(&db, job.scheduled_call_id)
            .await
            .get_i32("dialAttempts")
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn expired_lease_is_reclaimable_live_one_is_not() {
    let db = TestDb::new().await.db;
    let job = call(
        &db,
        status::PROCESSING,
        doc! {
            "leaseUntil": bson::DateTime::from_chrono(at("2026-11-30T14:55:00Z")),
            "dialAttempts": 1,
        },
    )
    .await;
    let Claim::Claimed(claimed) = claim(&db, &job, at(NOW), lease()).await.unwrap() else {
        panic!("an expired lease is taken over");
    };
    assert_eq!(claimed.status, status::PROCESSING);
    let doc = stored(&db, job.scheduled_call_id).await;
    assert_eq!(doc.get_i32("dialAttempts").unwrap(), 2);
    assert_eq!(
        doc.get_datetime("leaseUntil").unwrap().to_chrono(),
        at(NOW) + lease()
    );

    // The new lease is live: nobody else takes it before it runs out…
    let before_expiry = at(NOW) + lease() - Duration::seconds(1);
    assert_eq!(
        claim(&db, &job, before_expiry, lease()).await.unwrap(),
        Claim::AlreadyTaken
    );
    // …and the lease's own instant still counts as live.
    assert_eq!(
        claim(&db, &job, at(NOW) + lease(), lease()).await.unwrap(),
        Claim::AlreadyTaken
    );
}

#[tokio::test]
async fn ended_calls_are_not_claimable() {
    let db = TestDb::new().await.db;
    for state in [
        status::CANCELLED,
        status::COMPLETED,
        status::FAILED,
        status::MISSED,
    ] {
        let job = call(&db, state, doc! {}).await;
        assert_eq!(
            claim(&db, &job, at(NOW), lease()).await.unwrap(),
            Claim::AlreadyTaken,
            "{state}"
        );
        let doc = stored(&db, job.scheduled_call_id).await;
        assert_eq!(doc.get_str("status").unwrap(), state);
        assert!(!doc.contains_key("dialAttempts"));
    }
}

#[tokio::test]
async fn wrong_user_or_unknown_call_is_not_found() {
    let db = TestDb::new().await.db;
    let job = call(&db, status::QUEUED, doc! {}).await;
    let other_user = DialJob {
        user_id: ObjectId::new(),
        ..job.clone()
    };
    assert_eq!(
        claim(&db, &other_user, at(NOW), lease()).await.unwrap(),
        Claim::NotFound
    );
    let unknown = DialJob {
        scheduled_call_id: ObjectId::new(),
        ..job.clone()
    };
    assert_eq!(
        claim(&db, &unknown, at(NOW), lease()).await.unwrap(),
        Claim::NotFound
    );
    assert_eq!(
        stored(&db, job.scheduled_call_id)
            .await
            .get_str("status")
            .unwrap(),
        status::QUEUED
    );
}

#[tokio::test]
async fn finish_sets_final_status_and_clears_lease() {
    let db = TestDb::new().await.db;
    let job = call(&db, status::QUEUED, doc! {}).await;
    claim(&db, &job, at(NOW), lease()).await.unwrap();
    finish(
        &db,
        job.scheduled_call_id,
        ScheduledCallStatus::Failed,
        Some("This contact is inactive or asked not to be called."),
    )
    .await
    .unwrap();
    let doc = stored(&db, job.scheduled_call_id).await;
    assert_eq!(doc.get_str("status").unwrap(), status::FAILED);
    assert_eq!(
        doc.get_str("errorMessage").unwrap(),
        "This contact is inactive or asked not to be called."
    );
    assert!(!doc.contains_key("leaseUntil"));
    assert_eq!(
        claim(&db, &job, at(NOW) + Duration::hours(1), lease())
            .await
            .unwrap(),
        Claim::AlreadyTaken
    );
    assert!(
        finish(&db, ObjectId::new(), ScheduledCallStatus::Completed, None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn release_puts_the_call_back_for_the_next_delivery() {
    let db = TestDb::new().await.db;
    let job = call(&db, status::QUEUED, doc! {}).await;
    claim(&db, &job, at(NOW), lease()).await.unwrap();
    release(&db, job.scheduled_call_id).await.unwrap();
    let doc = stored(&db, job.scheduled_call_id).await;
    assert_eq!(doc.get_str("status").unwrap(), status::QUEUED);
    assert!(!doc.contains_key("leaseUntil"));

    let Claim::Claimed(_) = claim(&db, &job, at(NOW) + Duration::minutes(1), lease())
        .await
        .unwrap()
    else {
        panic!("a released call is claimed again");
    };
    assert_eq!(
        stored(&db, job.scheduled_call_id)
            .await
            .get_i32("dialAttempts")
            .unwrap(),
        2
    );
}

/// The scheduled-call statuses as stored.
mod status {
    use heyway::model::ScheduledCallStatus as S;

    pub const PENDING: &str = S::Pending.as_str();
    pub const ENQUEUING: &str = S::Enqueuing.as_str();
    pub const QUEUED: &str = S::Queued.as_str();
    pub const PROCESSING: &str = S::Processing.as_str();
    pub const COMPLETED: &str = S::Completed.as_str();
    pub const FAILED: &str = S::Failed.as_str();
    pub const CANCELLED: &str = S::Cancelled.as_str();
    pub const MISSED: &str = S::Missed.as_str();
}
