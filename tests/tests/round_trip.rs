//! Legacy-shaped documents of every collection read through the model and
//! written back through it lose nothing and retype nothing.

use chrono::{NaiveDate, NaiveTime};
use heyway::infra::store;
use heyway::model::*;
use heyway::Db;
use heyway_tests::legacy::{self, at};
use heyway_tests::TestDb;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};

/// Stores each raw document, reads it as `T`, saves it back with
/// [`store::save`], and checks a raw read of the result: every field the
/// original had is there with the same BSON type and value, and the only
/// change is a fresh `updatedAt` date. Returns the records read.
async fn assert_round_trip<T: Record>(db: &Db, originals: Vec<Document>) -> Vec<T> {
    let raw = db.raw(T::COLLECTION);
    let mut records = Vec::new();
    for original in originals {
        let id = original.get_object_id("_id").unwrap();
        raw.insert_one(&original).await.unwrap();
        let record: T = store::find_by_id(db, id)
            .await
            .unwrap_or_else(|e| panic!("{} {id} unreadable: {e}", T::COLLECTION))
            .unwrap();
        store::save(db, &record).await.unwrap();
        let after = raw.find_one(doc! { "_id": id }).await.unwrap().unwrap();
        assert_same_but_updated_at(T::COLLECTION, &original, &after);
        records.push(record);
    }
    records
}

fn assert_same_but_updated_at(collection: &str, before: &Document, after: &Document) {
    for (key, value) in before {
        if key == "updatedAt" {
            continue;
        }
        assert_eq!(
            after.get(key),
            Some(value),
            "{collection}.{key} changed on round trip"
        );
    }
    for key in after.keys() {
        assert!(
            before.contains_key(key) || key == "updatedAt",
            "{collection}.{key} was added on round trip"
        );
    }
    match (before.get("updatedAt"), after.get("updatedAt")) {
        (Some(Bson::DateTime(old)), Some(Bson::DateTime(new))) => assert!(new > old),
        (None, Some(Bson::DateTime(_))) => {}
        other => panic!("{collection}.updatedAt is not a fresh date: {other:?}"),
    }
}

#[tokio::test]
async fn users_round_trip_and_read_every_shape() {
    let t = TestDb::new().await;
    let users: Vec<User> = assert_round_trip(&t.db, legacy::users(ObjectId::new())).await;

    let [email_user, no_caller_id, phone_user] = &users[..] else {
        panic!("three users")
    };
    assert_eq!(email_user.preferred_caller_id(), Some("+12155550101"));
    assert_eq!(email_user.free_minutes(), 238.0);
    assert_eq!(email_user.time_zone(), Some(chrono_tz::America::New_York));

    assert_eq!(
        no_caller_id.preferred_caller_id(),
        None,
        "\"\" is no caller ID"
    );
    assert_eq!(no_caller_id.stripe_customer_id, None, "null customer id");
    assert_eq!(no_caller_id.free_minutes, Some(Number::Int64(0)));

    assert_eq!(phone_user.email(), None);
    assert_eq!(phone_user.is_phone_verified, Some(true));
    assert_eq!(phone_user.free_minutes(), 1.5);
    assert_eq!(
        phone_user
            .ai_config
            .as_ref()
            .unwrap()
            .get_f64("temperature")
            .unwrap(),
        0.7
    );
}

#[tokio::test]
async fn verified_numbers_round_trip() {
    let t = TestDb::new().await;
    let user_id = ObjectId::new();
    let numbers: Vec<VerifiedNumber> =
        assert_round_trip(&t.db, legacy::verified_numbers(user_id)).await;
    assert_eq!(numbers[0].user_id, user_id);
    assert!(numbers[0].verified);
}

#[tokio::test]
async fn contacts_round_trip_and_find_legacy_numbers_in_e164() {
    let t = TestDb::new().await;
    let contacts: Vec<Contact> = assert_round_trip(&t.db, legacy::contacts(ObjectId::new())).await;

    let legacy_number = &contacts[0];
    assert_eq!(legacy_number.phone_number, "2155550123", "kept as stored");
    assert_eq!(
        legacy_number.phone_e164(None).as_deref(),
        Some("+12155550123")
    );
    assert_eq!(legacy_number.email(), None, "\"\" is no email");
    assert!(legacy_number.is_active());

    let modern = &contacts[1];
    assert_eq!(modern.phone_e164(None).as_deref(), Some("+12155550124"));
    assert_eq!(modern.groups.len(), 1);
    assert!(modern.groups[0].object_id().is_some());
    let metadata = modern.metadata.as_ref().unwrap();
    assert_eq!(metadata.get_str("purchaseDate").unwrap(), "09/10/2025");
    assert_eq!(metadata.get_i32("visits").unwrap(), 2);
}

#[tokio::test]
async fn contact_lists_round_trip() {
    let t = TestDb::new().await;
    let contact_id = ObjectId::new();
    let lists: Vec<ContactList> =
        assert_round_trip(&t.db, legacy::contact_lists(ObjectId::new(), contact_id)).await;
    assert_eq!(lists[0].contact_ids(), vec![contact_id]);
    assert_eq!(lists[0].contacts_count, Some(Number::Int32(1)));
    assert_eq!(lists[1].is_system, Some(true));
    assert!(lists[1].contact_ids().is_empty());
}

#[tokio::test]
async fn groups_round_trip() {
    let t = TestDb::new().await;
    let call_id = ObjectId::new();
    let groups: Vec<Group> =
        assert_round_trip(&t.db, legacy::groups(ObjectId::new(), call_id)).await;
    assert_eq!(groups[0].calls, vec![IdRef::Id(call_id)]);
}

#[tokio::test]
async fn recordings_round_trip_keeping_int_and_double_durations() {
    let t = TestDb::new().await;
    let recordings: Vec<Recording> =
        assert_round_trip(&t.db, legacy::recordings(ObjectId::new())).await;
    assert_eq!(recordings[0].duration, Some(Number::Int32(6)));
    assert_eq!(recordings[0].signed_url, None);
    assert_eq!(recordings[1].duration, Some(Number::Double(6.5)));
    assert_eq!(recordings[1].is_ai_voice, Some(true));
    assert!(recordings[1].voice_settings.is_some());
    assert_eq!(recordings[2].duration.map(Number::as_f64), Some(17.0));
    assert_eq!(recordings[2].voice_settings, None);
}

#[tokio::test]
async fn automations_of_both_generations_round_trip_into_one_meaning() {
    let t = TestDb::new().await;
    let user_id = ObjectId::new();
    let recording_id = ObjectId::new();
    let automations: Vec<Automation> = assert_round_trip(
        &t.db,
        vec![
            legacy::automation_first_generation(user_id, ObjectId::new(), recording_id),
            legacy::automation_second_generation(user_id),
            legacy::automation_relative(user_id),
        ],
    )
    .await;
    let [first, second, relative] = &automations[..] else {
        panic!("three automations")
    };

    assert!(first.is_first_generation());
    assert!(!second.is_first_generation());
    assert_eq!(
        first.audio_message.as_ref().unwrap().object_id(),
        Some(recording_id)
    );

    let first_timing = first.timing().unwrap();
    let second_timing = second.timing().unwrap();
    let sept_15 = NaiveDate::from_ymd_opt(2025, 9, 15).unwrap();
    let six_pm = NaiveTime::from_hms_opt(18, 0, 0).unwrap();
    assert_eq!(first_timing.trigger, Trigger::OnDate(sept_15));
    assert_eq!(first_timing.time_of_day, six_pm);
    assert_eq!(first_timing.trigger, second_timing.trigger);
    assert_eq!(first_timing.time_of_day, second_timing.time_of_day);
    assert_eq!(first_timing.timezone, second_timing.timezone);

    assert_eq!(
        first_timing.callback,
        Some(CallbackPolicy {
            delay_minutes: 15,
            time_of_day: None,
            max_delay_days: None,
            outcomes: None,
        })
    );
    assert_eq!(
        second_timing.callback,
        Some(CallbackPolicy {
            delay_minutes: 30,
            time_of_day: NaiveTime::from_hms_opt(9, 0, 0),
            max_delay_days: Some(7),
            outcomes: None,
        })
    );

    let relative_timing = relative.timing().unwrap();
    assert_eq!(
        relative_timing.trigger,
        Trigger::Relative {
            days: 7,
            fallback_date: None
        }
    );
    assert_eq!(relative_timing.timezone, chrono_tz::America::Los_Angeles);
    assert_eq!(relative_timing.callback, None);
    assert_eq!(relative.days_offset, Some(Number::Double(7.0)));
}

#[tokio::test]
async fn scheduled_calls_round_trip() {
    let t = TestDb::new().await;
    let automation_id = ObjectId::new();
    let call_id = ObjectId::new();
    let calls: Vec<ScheduledCall> = assert_round_trip(
        &t.db,
        legacy::scheduled_calls(ObjectId::new(), automation_id, ObjectId::new(), call_id),
    )
    .await;
    assert_eq!(calls[0].reference_date, None, "null reference date");
    assert_eq!(calls[0].automation_id, Some(automation_id));
    assert!(calls[0]
        .error_message
        .as_deref()
        .unwrap()
        .starts_with("Caller ID is required"));
    assert_eq!(calls[1].reference_date, Some(at("2025-09-09T04:00:00Z")));
    assert_eq!(calls[1].call_id, Some(call_id));
}

#[tokio::test]
async fn calls_round_trip_with_analysis() {
    let t = TestDb::new().await;
    let call_id = ObjectId::new();
    let calls: Vec<Call> = assert_round_trip(
        &t.db,
        legacy::calls(ObjectId::new(), call_id, ObjectId::new()),
    )
    .await;
    assert_eq!(calls[0].analysis_category(), Some("positive"));
    assert!(!calls[0].follow_up_needed());
    assert_eq!(calls[0].transcription.len(), 3);
    assert_eq!(calls[1].analysis_category(), None);
    assert_eq!(calls[1].twilio_call_sid, None);
}

#[tokio::test]
async fn feedback_round_trips() {
    let t = TestDb::new().await;
    let user_id = ObjectId::new();
    let feedback: Vec<Feedback> = assert_round_trip(&t.db, legacy::feedback(user_id)).await;
    assert_eq!(feedback[0].user, user_id);
    assert_eq!(feedback[0].category, "bug");
}

#[tokio::test]
async fn subscriptions_round_trip() {
    let t = TestDb::new().await;
    let subscriptions: Vec<Subscription> =
        assert_round_trip(&t.db, legacy::subscriptions(ObjectId::new())).await;
    assert!(subscriptions.iter().all(Subscription::is_active));
    assert_eq!(subscriptions[0].product_id, None);
    assert_eq!(subscriptions[0].call_limit, Some(Number::Int32(5)));
    assert_eq!(
        subscriptions[1].stripe_subscription_id.as_deref(),
        Some("sub_TestSub01")
    );
}

#[tokio::test]
async fn usage_round_trips_fractional_minutes_exactly() {
    let t = TestDb::new().await;
    let usage: Vec<Usage> = assert_round_trip(&t.db, legacy::usage()).await;
    assert_eq!(usage[0].minutes_used, Number::Double(1.1099999999999999));
    assert_eq!(usage[1].customer_id, None);
    assert_eq!(usage[1].minutes_used, Number::Int32(0));
}
