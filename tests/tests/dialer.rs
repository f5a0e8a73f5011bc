//! The dialer end to end against a real database and a local Twilio that
//! checks the wire format: one call per scheduled call whatever runs at
//! once, the calls document the old app wrote, refusals and retries with
//! the owner's words, and SQS partial batch failures through moto.

use heyway::infra::aws::Service;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use heyway::features::dialer::pacing::{Pace, Pacer};
use heyway::features::dialer::{self, Dialer, Disposition, QueuedJob};
use heyway::infra::queue::{DialJob, SqsQueue};
use heyway::Db;
use heyway_tests::twilio_api::{self, FakeTwilioApi, VALID_FROM};
use heyway_tests::{moto, test_config, TestDb};
use mongodb::bson::{self, doc, oid::ObjectId, Document};

/// 15:00 in New York, 10:00 in Honolulu: inside the default calling hours
/// in every US zone (Twilio's 500 test numbers have no one zone).
const DAYTIME: &str = "2026-11-30T20:00:00Z";
const CONTACT_PHONE: &str = "+12125550101";
const BASE: &str = "https://hooks.heyway.test";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn dialer(db: &Db, fake: &FakeTwilioApi, extra: &[(&str, &str)]) -> Dialer {
    let mut pairs: Vec<(&str, String)> = fake.config();
    pairs.push(("WEBHOOK_BASE_URL", BASE.to_string()));
    pairs.push(("DIALER_CALLS_PER_SECOND", "0".to_string()));
    for (key, value) in extra {
        pairs.push((key, value.to_string()));
    }
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let config = test_config(&pairs);
    Dialer::from_config(
        db.clone(),
        heyway::infra::outbound::http_client().unwrap(),
        &config,
    )
    .unwrap()
}

/// A New York user whose verified caller ID is Twilio's valid test sender,
/// an active contact at `to`, and a queued call to it from an automation.
async fn queued_call(db: &Db, to: &str, user_fields: Document) -> DialJob {
    let user = ObjectId::new();
    let mut user_doc = doc! {
        "_id": user, "name": "Acme Motors", "email": "owner@acme.test",
        "timezone": "America/New_York", "preferredCallerID": VALID_FROM,
        "freeMinutes": 5, "__v": 0,
    };
    user_doc.extend(user_fields);
    db.raw("users").insert_one(user_doc).await.unwrap();
    db.raw("verifiedNumbers")
        .insert_one(doc! { "_id": ObjectId::new(), "userId": user, "phoneNumber": VALID_FROM, "verified": true })
        .await
        .unwrap();
    let contact = ObjectId::new();
    db.raw("contacts")
        .insert_one(doc! {
            "_id": contact, "userId": user, "name": "Dana Pebble", "phoneNumber": to,
            "email": "", "groups": [], "tags": [], "isActive": true, "__v": 0,
            "timezone": "America/New_York",
        })
        .await
        .unwrap();
    let automation = ObjectId::new();
    db.raw("automations")
        .insert_one(doc! {
            "_id": automation, "userId": user, "name": "Car follow-up", "isActive": true,
            "aiInstructions": "Ask how the new car is going", "timezone": "America/New_York",
        })
        .await
        .unwrap();
    let id = ObjectId::new();
    db.raw("scheduledcalls")
        .insert_one(doc! {
            "_id": id, "userId": user, "contactId": contact, "automationId": automation,
            "recipients": [{ "phoneNumber": to, "name": "Dana Pebble", "contactId": contact }],
            "scheduledTime": bson::DateTime::from_chrono(at("2026-11-30T14:59:00Z")),
            "status": "queued", "callMode": "ai-only", "notes": "", "retryCount": 0,
            "referenceDate": bson::DateTime::from_chrono(at("2026-11-23T00:00:00Z")),
            "__v": 0,
        })
        .await
        .unwrap();
    DialJob {
        scheduled_call_id: id,
        user_id: user,
        scheduled_time: at("2026-11-30T14:59:00Z"),
    }
}

async fn scheduled(db: &Db, id: ObjectId) -> Document {
    db.raw("scheduledcalls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[tokio::test]
async fn places_the_call_and_writes_the_call_document() {
    let db = TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    let job = queued_call(&db, CONTACT_PHONE, doc! {}).await;

    let disposition = dialer(&db, &fake, &[])
        .dial_at(&job, 1, at(DAYTIME))
        .await
        .unwrap();
    assert_eq!(disposition, Disposition::Done);

    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    let form = &calls[0];
    let stored = scheduled(&db, job.scheduled_call_id).await;
    let call_id = stored.get_object_id("callId").unwrap();
    assert_eq!(field(form, "To"), [CONTACT_PHONE]);
    assert_eq!(field(form, "From"), [VALID_FROM]);
    assert_eq!(
        field(form, "Url"),
        [format!("{BASE}/webhooks/twilio/voice?callId={}", call_id.to_hex()).as_str()]
    );
    let status_url = format!("{BASE}/webhooks/twilio/status?callId={}", call_id.to_hex());
    assert_eq!(field(form, "StatusCallback"), [status_url.as_str()]);
    assert_eq!(field(form, "AsyncAmdStatusCallback"), [status_url.as_str()]);
    assert_eq!(field(form, "MachineDetection"), ["Enable"]);
    assert_eq!(
        field(form, "StatusCallbackEvent"),
        ["initiated", "ringing", "answered", "completed"]
    );

    assert_eq!(stored.get_str("status").unwrap(), "processing");
    assert!(
        stored.get("leaseUntil").is_none(),
        "lease dropped once placed"
    );
    let sid = stored.get_str("twilioCallSid").unwrap();
    assert!(sid.starts_with("CA"), "{sid}");

    let call = db
        .raw("calls")
        .find_one(doc! { "_id": call_id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(call.get_object_id("userId").unwrap(), job.user_id);
    assert_eq!(call.get_str("twilioCallSid").unwrap(), sid);
    assert_eq!(
        call.get_str("sessionId").unwrap(),
        stored.get_str("sessionId").unwrap()
    );
    assert_eq!(call.get_str("status").unwrap(), "initiated");
    assert_eq!(call.get_str("callMode").unwrap(), "ai-only");
    assert!(!call.get_bool("isInbound").unwrap());
    assert_eq!(call.get_str("from").unwrap(), VALID_FROM);
    assert_eq!(
        call.get_object_id("scheduledCallId").unwrap(),
        job.scheduled_call_id
    );
    assert_eq!(call.get_array("transcription").unwrap().len(), 0);
    assert_eq!(call.get_document("inboundData").unwrap().len(), 0);
    let participant = call.get_array("participants").unwrap()[0]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(participant.get_str("phoneNumber").unwrap(), CONTACT_PHONE);
    assert_eq!(participant.get_str("name").unwrap(), "Dana Pebble");
    let ai = call.get_document("aiConfig").unwrap();
    assert_eq!(
        ai.get_str("instructions").unwrap(),
        "Ask how the new car is going"
    );
    let vars = ai.get_document("dynamicVariables").unwrap();
    assert_eq!(vars.get_str("customer_name").unwrap(), "Dana Pebble");
    assert_eq!(vars.get_str("reference_date").unwrap(), "2026-11-23");
    assert_eq!(vars.get_str("heyway_call_id").unwrap(), call_id.to_hex());
    assert_eq!(call.get_i32("__v").unwrap(), 0);
    assert!(call.get_datetime("createdAt").is_ok());
    assert!(call.get_datetime("startedAt").is_ok());

    // The job delivered again: nothing more is dialed.
    let again = dialer(&db, &fake, &[])
        .dial_at(&job, 2, at(DAYTIME))
        .await
        .unwrap();
    assert_eq!(again, Disposition::Done);
    assert_eq!(fake.calls().len(), 1);
}

#[tokio::test]
async fn concurrent_dialers_place_one_call_per_scheduled_call() {
    let db = TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    let first = dialer(&db, &fake, &[]);
    let second = dialer(&db, &fake, &[]);
    let mut jobs = Vec::new();
    for _ in 0..5 {
        jobs.push(queued_call(&db, CONTACT_PHONE, doc! {}).await);
    }
    // Every job delivered four times, to two dialers, all at once.
    let runs = jobs.iter().flat_map(|job| {
        (0..4).map(|n| {
            let dialer = if n % 2 == 0 { &first } else { &second };
            dialer.dial_at(job, 1, at(DAYTIME))
        })
    });
    let results = join_all(runs).await;
    assert!(results.iter().all(|r| matches!(r, Ok(Disposition::Done))));
    assert_eq!(fake.calls().len(), jobs.len());
    assert_eq!(
        db.raw("calls").count_documents(doc! {}).await.unwrap(),
        jobs.len() as u64
    );
}

#[tokio::test]
async fn refusals_before_dialing_fail_the_call_with_the_owners_words() {
    let db = TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    let job = queued_call(&db, CONTACT_PHONE, doc! { "preferredCallerID": "" }).await;

    let disposition = dialer(&db, &fake, &[])
        .dial_at(&job, 1, at(DAYTIME))
        .await
        .unwrap();
    assert_eq!(disposition, Disposition::Done);
    let stored = scheduled(&db, job.scheduled_call_id).await;
    assert_eq!(stored.get_str("status").unwrap(), "failed");
    assert_eq!(
        stored.get_str("errorMessage").unwrap(),
        "Caller ID is required. Please add and verify a caller ID before making calls."
    );
    assert!(fake.calls().is_empty());
    assert_eq!(db.raw("calls").count_documents(doc! {}).await.unwrap(), 0);
}

#[tokio::test]
async fn quiet_hours_defer_the_call_instead_of_dialing() {
    let db = TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    let job = queued_call(&db, CONTACT_PHONE, doc! {}).await;
    // 03:00 in New York.
    let disposition = dialer(&db, &fake, &[])
        .dial_at(&job, 1, at("2026-11-30T08:00:00Z"))
        .await
        .unwrap();
    assert_eq!(disposition, Disposition::Done);
    let stored = scheduled(&db, job.scheduled_call_id).await;
    assert_eq!(stored.get_str("status").unwrap(), "pending");
    assert!(stored.get_datetime("scheduledTime").unwrap().to_chrono() > at("2026-11-30T08:00:00Z"));
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn twilio_refusals_end_the_call_failed_with_the_reason() {
    let db = TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    // Twilio's magic number for an invalid `To` (21217).
    let job = queued_call(&db, "+15005550001", doc! {}).await;

    let disposition = dialer(&db, &fake, &[])
        .dial_at(&job, 1, at(DAYTIME))
        .await
        .unwrap();
    assert_eq!(disposition, Disposition::Done);
    let stored = scheduled(&db, job.scheduled_call_id).await;
    assert_eq!(stored.get_str("status").unwrap(), "failed");
    assert_eq!(
        stored.get_str("errorMessage").unwrap(),
        "This contact's phone number is not valid. Please check it and correct it."
    );
    let call = db.raw("calls").find_one(doc! {}).await.unwrap().unwrap();
    assert_eq!(call.get_str("status").unwrap(), "failed");
}

#[tokio::test]
async fn transient_trouble_retries_with_backoff_then_gives_up_with_the_reason() {
    let db = TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    let job = queued_call(&db, twilio_api::TO_UNAVAILABLE, doc! {}).await;
    let dialer = dialer(&db, &fake, &[("DIALER_MAX_ATTEMPTS", "3")]);

    for attempt in 1..=2 {
        let disposition = dialer.dial_at(&job, attempt, at(DAYTIME)).await.unwrap();
        assert_eq!(
            disposition,
            Disposition::Retry {
                after: Duration::from_secs(30 << (attempt - 1))
            }
        );
        let stored = scheduled(&db, job.scheduled_call_id).await;
        assert_eq!(stored.get_str("status").unwrap(), "queued");
        assert!(stored.get("callId").is_none());
        assert_eq!(db.raw("calls").count_documents(doc! {}).await.unwrap(), 0);
    }
    let last = dialer.dial_at(&job, 3, at(DAYTIME)).await.unwrap();
    assert!(matches!(last, Disposition::Retry { .. }));
    let stored = scheduled(&db, job.scheduled_call_id).await;
    assert_eq!(stored.get_str("status").unwrap(), "failed");
    let message = stored.get_str("errorMessage").unwrap();
    assert!(message.contains("tried 3 times"), "{message}");
    assert_eq!(fake.calls().len(), 3);
}

#[tokio::test]
async fn a_call_linked_by_a_dialer_that_died_is_not_dialed_again() {
    let db = TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    let job = queued_call(&db, CONTACT_PHONE, doc! {}).await;
    // An earlier delivery wrote and linked the call, then vanished before
    // Twilio's answer was recorded; its lease has run out.
    let call_id = ObjectId::new();
    db.raw("calls")
        .insert_one(doc! { "_id": call_id, "userId": job.user_id, "status": "initiated" })
        .await
        .unwrap();
    db.raw("scheduledcalls")
        .update_one(
            doc! { "_id": job.scheduled_call_id },
            doc! { "$set": {
                "status": "processing", "callId": call_id,
                "leaseUntil": bson::DateTime::from_chrono(at("2026-11-30T19:00:00Z")),
            } },
        )
        .await
        .unwrap();

    let disposition = dialer(&db, &fake, &[])
        .dial_at(&job, 2, at(DAYTIME))
        .await
        .unwrap();
    assert_eq!(disposition, Disposition::Done);
    assert!(fake.calls().is_empty());
    let stored = scheduled(&db, job.scheduled_call_id).await;
    assert_eq!(stored.get_str("status").unwrap(), "failed");
    assert!(stored
        .get_str("errorMessage")
        .unwrap()
        .contains("check the call history"));
}

#[tokio::test]
async fn pacing_spreads_calls_and_hands_back_what_cannot_wait() {
    let db = TestDb::new().await.db;
    let pacer = Pacer::new("AC-test", 2, Duration::from_secs(1));
    let now = at(DAYTIME);
    let mut paces = Vec::new();
    for _ in 0..4 {
        paces.push(pacer.reserve(&db, now).await.unwrap());
    }
    assert_eq!(
        paces,
        [
            Pace::After(Duration::ZERO),
            Pace::After(Duration::from_millis(500)),
            Pace::After(Duration::from_millis(1000)),
            Pace::Later(Duration::from_millis(1500)),
        ]
    );
    // Concurrent reservations never share a slot.
    let other = Pacer::new("AC-other", 10, Duration::from_secs(60));
    let results = join_all((0..20).map(|_| other.reserve(&db, now))).await;
    let mut waits: Vec<Duration> = results
        .into_iter()
        .map(|r| match r.unwrap() {
            Pace::After(wait) => wait,
            Pace::Later(_) => panic!("within the wait limit"),
        })
        .collect();
    waits.sort();
    waits.dedup();
    assert_eq!(waits.len(), 20);
    assert!(Pacer::new("AC-off", 0, Duration::ZERO).is_off());
}

#[tokio::test]
async fn sqs_batches_report_only_the_jobs_to_deliver_again() {
    let db = TestDb::new().await.db;
    let fake = FakeTwilioApi::start().await;
    let client = moto::sqs_client().await;
    let url = client
        .create_queue()
        .queue_name(format!("dial-{}", ObjectId::new().to_hex()))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue = SqsQueue::with_client(moto::aws(Service::Sqs).await, &url);
    let dialer = dialer(&db, &fake, &[]);

    // The batch runs on the real clock: calling hours all day.
    let all_day = doc! { "preferences": {
        "quietHours": { "start": "00:00", "end": "23:59" }, "callingRules": "off",
    } };
    let good = queued_call(&db, CONTACT_PHONE, all_day.clone()).await;
    let busy = queued_call(&db, twilio_api::TO_UNAVAILABLE, all_day).await;
    // Duplicates of the good job, as SQS may deliver.
    queue
        .send(&[good.clone(), good.clone(), busy.clone(), good.clone()])
        .await;
    client
        .send_message()
        .queue_url(&url)
        .message_body("not a job")
        .send()
        .await
        .unwrap();

    // Two consumers drain the queue at once, as two Lambdas would.
    let consume = || async {
        let received = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount,
            )
            .send()
            .await
            .unwrap();
        let jobs: Vec<QueuedJob> = received
            .messages()
            .iter()
            .map(|m| QueuedJob {
                message_id: m.message_id().unwrap_or_default().to_string(),
                receipt_handle: m.receipt_handle().unwrap_or_default().to_string(),
                body: m.body().unwrap_or_default().to_string(),
                receive_count: 1,
            })
            .collect();
        let bodies: Vec<(String, String)> = jobs
            .iter()
            .map(|j| (j.message_id.clone(), j.body.clone()))
            .collect();
        let failed = dialer::sqs_batch(&dialer, &queue, jobs).await;
        (bodies, failed)
    };
    let ((first_bodies, first_failed), (second_bodies, second_failed)) =
        tokio::join!(consume(), consume());
    let bodies: Vec<_> = first_bodies.into_iter().chain(second_bodies).collect();
    let failed: Vec<_> = first_failed.into_iter().chain(second_failed).collect();
    assert_eq!(bodies.len(), 5, "both consumers together got every message");
    let mut failed_bodies: Vec<&str> = bodies
        .iter()
        .filter(|(id, _)| failed.contains(id))
        .map(|(_, body)| body.as_str())
        .collect();
    failed_bodies.sort();
    let mut expected = vec!["not a job".to_string(), busy.to_body()];
    expected.sort();
    assert_eq!(failed_bodies, expected);

    let placed = fake
        .calls()
        .iter()
        .filter(|form| field(form, "To") == [CONTACT_PHONE])
        .count();
    assert_eq!(
        placed, 1,
        "one call for the good job, however often it came"
    );
    assert_eq!(
        scheduled(&db, busy.scheduled_call_id)
            .await
            .get_str("status")
            .unwrap(),
        "queued"
    );
}
