//! The checks before dialing against a real database: each refusal with
//! the message the owner reads, the ready case, and quiet hours deferring.

use chrono::{DateTime, Utc};
use heyway::features::dialer::{preflight, Ready, Refusal};
use heyway::infra::store;
use heyway::model::ScheduledCall;
use heyway::Db;
use heyway_tests::TestDb;
use mongodb::bson::{doc, oid::ObjectId, Document};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// 10:00 in New York.
const DAYTIME: &str = "2026-11-30T15:00:00Z";

const CALLER_ID: &str = "+12125550199";
const CONTACT_PHONE: &str = "+12125550101";

const NO_CALLER_ID: &str =
    "Caller ID is required. Please add and verify a caller ID before making calls.";
const NO_MINUTES: &str = "No minutes left. Please subscribe or add minutes before making calls.";
const CONTACT_UNAVAILABLE: &str = "This contact is inactive or asked not to be called.";

/// A user with `fields` over a New York user with a verified caller ID and
/// free minutes.
async fn user(db: &Db, fields: Document) -> ObjectId {
    let id = ObjectId::new();
    let mut document = doc! {
        "_id": id, "name": "Morgan Quill", "email": "morgan.quill@example.test",
        "timezone": "America/New_York", "preferredCallerID": CALLER_ID,
        "freeMinutes": 5, "freeCalls": 0, "hasActiveSubscription": false, "__v": 0,
    };
    document.extend(fields);
    db.raw("users").insert_one(document).await.unwrap();
    id
}

async fn verified(db: &Db, user: ObjectId, number: &str, is_verified: bool) {
    db.raw("verifiedNumbers")
        .insert_one(doc! {
            "_id": ObjectId::new(), "userId": user, "phoneNumber": number,
            "verified": is_verified, "__v": 0,
        })
        .await
        .unwrap();
}

async fn contact(db: &Db, user: ObjectId, fields: Document) -> ObjectId {
    let id = ObjectId::new();
    let mut document = doc! {
        "_id": id, "userId": user, "name": "Dana Pebble", "phoneNumber": CONTACT_PHONE,
        "email": "", "groups": [], "tags": [], "isActive": true, "__v": 0,
    };
    document.extend(fields);
    db.raw("contacts").insert_one(document).await.unwrap();
    id
}

/// A claimed call of `user` to `contact` (by `contactId`).
fn call(user: ObjectId, contact: Option<ObjectId>, recipient: Document) -> ScheduledCall {
    let mut document = doc! {
        "_id": ObjectId::new(), "userId": user, "recipients": [recipient],
        "status": "processing", "callMode": "ai",
    };
    if let Some(contact) = contact {
        document.insert("contactId", contact);
    }
    store::decode(document).unwrap()
}

/// A verified user, an active contact and a call to it.
async fn standard(db: &Db, user_fields: Document, contact_fields: Document) -> ScheduledCall {
    let user = user(db, user_fields).await;
    verified(db, user, CALLER_ID, true).await;
    let contact = contact(db, user, contact_fields).await;
    call(
        user,
        Some(contact),
        doc! { "phoneNumber": CONTACT_PHONE, "name": "Dana Pebble", "contactId": contact },
    )
}

async fn refusal(db: &Db, call: &ScheduledCall, now: &str) -> Refusal {
    match preflight(db, call, at(now)).await.unwrap() {
        Ok(ready) => panic!("expected a refusal, got {ready:?}"),
        Err(refusal) => refusal,
    }
}

async fn ready(db: &Db, call: &ScheduledCall, now: &str) -> Ready {
    match preflight(db, call, at(now)).await.unwrap() {
        Ok(ready) => ready,
        Err(refusal) => panic!("expected ready, got {refusal:?}"),
    }
}

#[tokio::test]
async fn ready_with_a_verified_number() {
    let db = TestDb::new().await.db;
    let call = standard(&db, doc! {}, doc! {}).await;
    let ready = ready(&db, &call, DAYTIME).await;
    assert_eq!(ready.from, CALLER_ID);
    assert_eq!(ready.to, CONTACT_PHONE);
    assert_eq!(ready.user.id, call.user_id);
    assert_eq!(ready.contact.map(|c| c.id), call.contact_id);
}

#[tokio::test]
async fn ready_with_a_legacy_verified_caller_id() {
    let db = TestDb::new().await.db;
    // Stored as ten digits, the way the old app kept them.
    let user = user(
        &db,
        doc! { "twilioConfig": { "verifiedCallerIds": [
            { "phoneNumber": "2125550199", "verified": true },
        ] } },
    )
    .await;
    let contact = contact(&db, user, doc! {}).await;
    let call = call(user, Some(contact), doc! { "phoneNumber": CONTACT_PHONE });
    assert_eq!(ready(&db, &call, DAYTIME).await.from, CALLER_ID);
}

#[tokio::test]
async fn contact_found_through_the_first_recipient() {
    let db = TestDb::new().await.db;
    let user = user(&db, doc! {}).await;
    verified(&db, user, CALLER_ID, true).await;
    let contact = contact(&db, user, doc! { "phoneNumber": "2125550102" }).await;
    let call = call(
        user,
        None,
        doc! { "phoneNumber": "+12125550109", "contactId": contact.to_hex() },
    );
    let ready = ready(&db, &call, DAYTIME).await;
    assert_eq!(ready.contact.map(|c| c.id), Some(contact));
    assert_eq!(ready.to, "+12125550102");
}

#[tokio::test]
async fn another_users_contact_is_not_used() {
    let db = TestDb::new().await.db;
    let stranger = user(&db, doc! {}).await;
    let theirs = contact(&db, stranger, doc! { "isActive": false }).await;
    let user = user(&db, doc! {}).await;
    verified(&db, user, CALLER_ID, true).await;
    let call = call(
        user,
        Some(theirs),
        doc! { "phoneNumber": "+12125550103", "contactId": theirs },
    );
    let ready = ready(&db, &call, DAYTIME).await;
    assert_eq!(ready.contact, None);
    assert_eq!(ready.to, "+12125550103");
}

#[tokio::test]
async fn refuses_without_a_verified_caller_id() {
    let db = TestDb::new().await.db;

    // No caller ID picked.
    let user_a = user(&db, doc! { "preferredCallerID": "" }).await;
    verified(&db, user_a, CALLER_ID, true).await;
    let c = contact(&db, user_a, doc! {}).await;
    let r = refusal(&db, &call(user_a, Some(c), doc! {}), DAYTIME).await;
    assert_eq!(r, Refusal::NoCallerId);
    assert_eq!(r.message(), Some(NO_CALLER_ID));

    // Picked, but not verified.
    let user_b = user(&db, doc! {}).await;
    verified(&db, user_b, CALLER_ID, false).await;
    let c = contact(&db, user_b, doc! {}).await;
    let r = refusal(&db, &call(user_b, Some(c), doc! {}), DAYTIME).await;
    assert_eq!(r.message(), Some(NO_CALLER_ID));

    // Verified, but by another user.
    let user_c = user(&db, doc! {}).await;
    verified(&db, ObjectId::new(), CALLER_ID, true).await;
    let c = contact(&db, user_c, doc! {}).await;
    let r = refusal(&db, &call(user_c, Some(c), doc! {}), DAYTIME).await;
    assert_eq!(r.message(), Some(NO_CALLER_ID));

    // A legacy entry not verified.
    let user_d = user(
        &db,
        doc! { "twilioConfig": { "verifiedCallerIds": [
            { "phoneNumber": CALLER_ID, "verified": false },
        ] } },
    )
    .await;
    let c = contact(&db, user_d, doc! {}).await;
    let r = refusal(&db, &call(user_d, Some(c), doc! {}), DAYTIME).await;
    assert_eq!(r.message(), Some(NO_CALLER_ID));
}

#[tokio::test]
async fn refuses_without_minutes_or_subscription() {
    let db = TestDb::new().await.db;
    let call = standard(&db, doc! { "freeMinutes": 0, "freeCalls": 0 }, doc! {}).await;
    db.raw("subscriptions")
        .insert_one(doc! { "_id": ObjectId::new(), "userId": call.user_id, "status": "canceled" })
        .await
        .unwrap();
    let r = refusal(&db, &call, DAYTIME).await;
    assert_eq!(r, Refusal::NoMinutes);
    assert_eq!(r.message(), Some(NO_MINUTES));
}

#[tokio::test]
async fn any_way_to_pay_is_enough() {
    let db = TestDb::new().await.db;
    let broke = doc! { "freeMinutes": 0, "freeCalls": 0 };

    let mut flag = broke.clone();
    flag.insert("hasActiveSubscription", true);
    ready(&db, &standard(&db, flag, doc! {}).await, DAYTIME).await;

    let mut calls = broke.clone();
    calls.insert("freeCalls", 2);
    ready(&db, &standard(&db, calls, doc! {}).await, DAYTIME).await;

    for status in ["active", "trialing"] {
        let call = standard(&db, broke.clone(), doc! {}).await;
        db.raw("subscriptions")
            .insert_one(doc! { "_id": ObjectId::new(), "userId": call.user_id, "status": status })
            .await
            .unwrap();
        ready(&db, &call, DAYTIME).await;
    }
}

#[tokio::test]
async fn refuses_an_inactive_or_opted_out_contact() {
    let db = TestDb::new().await.db;
    for fields in [doc! { "isActive": false }, doc! { "optedOut": true }] {
        let call = standard(&db, doc! {}, fields).await;
        let r = refusal(&db, &call, DAYTIME).await;
        assert_eq!(r, Refusal::ContactUnavailable);
        assert_eq!(r.message(), Some(CONTACT_UNAVAILABLE));
    }
}

#[tokio::test]
async fn defers_until_the_recipients_morning() {
    let db = TestDb::new().await.db;
    let call = standard(&db, doc! {}, doc! {}).await;
    // 03:00 in New York, for a 212 number: wait for 08:00 local.
    let r = refusal(&db, &call, "2026-11-30T08:00:00Z").await;
    assert_eq!(
        r,
        Refusal::TooEarlyOrLate {
            retry_at: at("2026-11-30T13:00:00Z")
        }
    );
    assert_eq!(r.message(), None);

    // 22:00 in New York: the next morning.
    let r = refusal(&db, &call, "2026-12-01T03:00:00Z").await;
    assert_eq!(
        r,
        Refusal::TooEarlyOrLate {
            retry_at: at("2026-12-01T13:00:00Z")
        }
    );
}

#[tokio::test]
async fn quiet_hours_follow_the_contact_zone_and_user_window() {
    let db = TestDb::new().await.db;
    // 15:00Z is 07:00 in Los Angeles: the contact's own zone wins over the
    // number's.
    let call = standard(&db, doc! {}, doc! { "timezone": "America/Los_Angeles" }).await;
    assert_eq!(
        refusal(&db, &call, DAYTIME).await,
        Refusal::TooEarlyOrLate {
            retry_at: at("2026-11-30T16:00:00Z")
        }
    );

    // A user window opening at 11:00.
    let call = standard(
        &db,
        doc! { "preferences": { "quietHours": { "start": "11:00", "end": "20:00" } } },
        doc! {},
    )
    .await;
    assert_eq!(
        refusal(&db, &call, DAYTIME).await,
        Refusal::TooEarlyOrLate {
            retry_at: at("2026-11-30T16:00:00Z")
        }
    );
}
