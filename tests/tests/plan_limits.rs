//! Plan limits enforced by the dialer: a free plan's calls per period and
//! the user's free calls are spent once per placed call, refused with the
//! owner's words when used up, and given back when Twilio did not place
//! the call; paid subscriptions (Stripe or the app stores) call freely.

use chrono::{DateTime, Utc};
use heyway::features::dialer::{Dialer, Disposition};
use heyway::infra::queue::DialJob;
use heyway::Db;
use heyway_tests::twilio_api::{FakeTwilioApi, VALID_FROM};
use heyway_tests::{test_config, TestDb};
use mongodb::bson::{self, doc, oid::ObjectId, Document};

/// 17:00 in New York, noon in Honolulu: calling hours wherever Twilio's
/// 500 test numbers may ring.
const DAYTIME: &str = "2026-11-30T22:00:00Z";
const PLAN_LIMIT: &str =
    "Your free plan's calls for this period are used up. Upgrade your plan to keep calling.";
const NO_MINUTES: &str = "No minutes left. Please subscribe or add minutes before making calls.";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn dialer(db: &Db, fake: &FakeTwilioApi) -> Dialer {
    let mut pairs: Vec<(&str, String)> = fake.config();
    pairs.push(("WEBHOOK_BASE_URL", "https://hooks.heyway.test".into()));
    pairs.push(("DIALER_CALLS_PER_SECOND", "0".into()));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Dialer::from_config(
        db.clone(),
        heyway::infra::outbound::http_client().unwrap(),
        &test_config(&pairs),
    )
    .unwrap()
}

/// A user with a verified caller ID and `fields` (no minutes by default).
async fn user(db: &Db, fields: Document) -> ObjectId {
    let id = ObjectId::new();
    let mut document = doc! {
        "_id": id, "name": "Park Motors", "timezone": "America/New_York",
        "preferredCallerID": VALID_FROM, "freeMinutes": 0, "freeCalls": 0, "__v": 0,
    };
    document.extend(fields);
    db.raw("users").insert_one(document).await.unwrap();
    db.raw("verifiedNumbers")
        .insert_one(doc! { "_id": ObjectId::new(), "userId": id, "phoneNumber": VALID_FROM, "verified": true })
        .await
        .unwrap();
    id
}

async fn queued(db: &Db, user: ObjectId, to: &str) -> DialJob {
    let id = ObjectId::new();
    db.raw("scheduledcalls")
        .insert_one(doc! {
            "_id": id, "userId": user,
            "recipients": [{ "phoneNumber": to, "name": "Dana Pebble" }],
            "scheduledTime": bson::DateTime::from_chrono(at("2026-11-30T19:59:00Z")),
            "status": "queued", "callMode": "ai-only", "notes": "Say hello", "__v": 0,
        })
        .await
        .unwrap();
    DialJob {
        scheduled_call_id: id,
        user_id: user,
        scheduled_time: at("2026-11-30T19:59:00Z"),
    }
}

async fn outcome(db: &Db, job: &DialJob) -> (String, Option<String>) {
    let d = db
        .raw("scheduledcalls")
        .find_one(doc! { "_id": job.scheduled_call_id })
        .await
        .unwrap()
        .unwrap();
    (
        d.get_str("status").unwrap().to_string(),
        d.get_str("errorMessage").ok().map(str::to_string),
    )
}

async fn dial(dialer: &Dialer, job: &DialJob) {
    assert_eq!(
        dialer.dial_at(job, 1, at(DAYTIME)).await.unwrap(),
        Disposition::Done
    );
}

#[tokio::test]
async fn a_free_plan_places_its_calls_then_refuses_with_the_reason() {
    let db = TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    let dialer = dialer(&db, &fake);
    let owner = user(&db, doc! {}).await;
    let plan = ObjectId::new();
    db.raw("subscriptions")
        .insert_one(doc! {
            "_id": plan, "userId": owner, "plan": "free", "status": "active",
            "productId": null, "callsUsedThisPeriod": 1, "callLimit": 2,
            "currentPeriodStart": bson::DateTime::from_chrono(at("2026-11-15T00:00:00Z")),
            "currentPeriodEnd": bson::DateTime::from_chrono(at("2026-12-15T00:00:00Z")),
        })
        .await
        .unwrap();

    let first = queued(&db, owner, "+12125550101").await;
    dial(&dialer, &first).await;
    assert_eq!(outcome(&db, &first).await.0, "processing");
    let stored = db
        .raw("subscriptions")
        .find_one(doc! { "_id": plan })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get_i32("callsUsedThisPeriod").unwrap(), 2);

    let second = queued(&db, owner, "+12125550102").await;
    dial(&dialer, &second).await;
    assert_eq!(
        outcome(&db, &second).await,
        ("failed".into(), Some(PLAN_LIMIT.into()))
    );
    assert_eq!(fake.calls().len(), 1);
}

#[tokio::test]
async fn free_calls_are_spent_once_and_given_back_when_twilio_refuses() {
    let db = TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    let dialer = dialer(&db, &fake);
    let owner = user(&db, doc! { "freeCalls": 1 }).await;
    let free_calls = || async {
        db.raw("users")
            .find_one(doc! { "_id": owner })
            .await
            .unwrap()
            .unwrap()
            .get_i32("freeCalls")
            .unwrap()
    };

    // Twilio's invalid-number test number: not placed, nothing spent.
    let refused = queued(&db, owner, "+15005550001").await;
    dial(&dialer, &refused).await;
    assert_eq!(outcome(&db, &refused).await.0, "failed");
    assert_eq!(free_calls().await, 1);

    let placed = queued(&db, owner, "+12125550101").await;
    dial(&dialer, &placed).await;
    assert_eq!(outcome(&db, &placed).await.0, "processing");
    assert_eq!(free_calls().await, 0);

    let none_left = queued(&db, owner, "+12125550102").await;
    dial(&dialer, &none_left).await;
    assert_eq!(
        outcome(&db, &none_left).await,
        ("failed".into(), Some(NO_MINUTES.into()))
    );
}

#[tokio::test]
async fn app_store_and_stripe_subscriptions_call_freely() {
    let db = TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    let dialer = dialer(&db, &fake);
    let ios = user(&db, doc! {}).await;
    db.raw("subscriptions")
        .insert_one(doc! {
            "_id": ObjectId::new(), "userId": ios, "plan": "pro", "status": "active",
            "productId": "com.heyway.pro.monthly", "transactionId": "2000000000000001",
            "originalTransactionId": "2000000000000001", "receiptData": "MIIT-test",
        })
        .await
        .unwrap();
    let stripe = user(&db, doc! {}).await;
    db.raw("subscriptions")
        .insert_one(doc! {
            "_id": ObjectId::new(), "userId": stripe, "status": "trialing",
            "stripeSubscriptionId": "sub_test_0001", "stripeCustomerId": "cus_test_0001",
        })
        .await
        .unwrap();
    for owner in [ios, stripe] {
        let job = queued(&db, owner, "+12125550101").await;
        dial(&dialer, &job).await;
        assert_eq!(outcome(&db, &job).await.0, "processing");
    }
    assert_eq!(fake.calls().len(), 2);
}
