//! The whole loop, as `heyway serve` runs it: the dialer places calls
//! through the real Twilio client against the sandbox, the sandbox fetches
//! our TwiML (the real ElevenLabs client registers the call), sends signed
//! status callbacks and the signed post-call webhook, and our webhooks turn
//! them into the call's final state, transcript and analysis.

use std::time::Duration;

use heyway::features::dialer::consumer::dial_until_done;
use heyway::infra::queue::DialJob;
use heyway_tests::stack::LocalStack;
use mongodb::bson::{doc, oid::ObjectId, Document};

async fn scheduled(stack: &LocalStack, id: ObjectId) -> Document {
    stack
        .db
        .raw("scheduledcalls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap()
}

/// Polls until the scheduled call leaves `processing` and its call has
/// what `ready` wants.
async fn settled(
    stack: &LocalStack,
    id: ObjectId,
    ready: impl Fn(&Document) -> bool,
) -> (Document, Document) {
    for _ in 0..200 {
        let call = scheduled(stack, id).await;
        if call.get_str("status").unwrap() != "processing" {
            if let Ok(call_id) = call.get_object_id("callId") {
                let record = stack
                    .db
                    .raw("calls")
                    .find_one(doc! { "_id": call_id })
                    .await
                    .unwrap()
                    .unwrap();
                if ready(&record) {
                    return (call, record);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("call {id} did not settle: {:?}", scheduled(stack, id).await);
}

#[tokio::test]
async fn calls_play_out_through_the_sandbox_and_the_webhooks() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let answered = stack
        .queued_call(user, "Dana Pebble", "+12125550100", None)
        .await;
    let busy = stack
        .queued_call(user, "Lee Marble", "+12125550101", None)
        .await;
    let opt_out = stack
        .queued_call(user, "Kim Slate", "+12125550105", None)
        .await;
    for id in [answered, busy, opt_out] {
        let job = DialJob {
            scheduled_call_id: id,
            user_id: user,
            scheduled_time: chrono::Utc::now(),
        };
        dial_until_done(&stack.dialer, &job).await;
    }

    let (call, record) = settled(&stack, answered, |r| r.get("analysis").is_some()).await;
    assert_eq!(call.get_str("status").unwrap(), "completed");
    assert_eq!(record.get_str("status").unwrap(), "completed");
    let transcript = record.get_array("transcription").unwrap();
    assert!(transcript.len() >= 2, "{transcript:?}");
    let said: Vec<&str> = transcript
        .iter()
        .filter_map(|t| t.as_document()?.get_str("message").ok())
        .collect();
    assert!(said.iter().any(|m| m.contains("Dana")), "{said:?}");
    let analysis = record.get_document("analysis").unwrap();
    assert!(analysis.get_str("category").is_ok(), "{analysis:?}");
    assert!(analysis.get_bool("followUpNeeded").is_ok(), "{analysis:?}");
    assert!(record
        .get_document("elevenLabsData")
        .unwrap()
        .get_str("conversation_id")
        .is_ok());
    assert!(record
        .get_document("metrics")
        .unwrap()
        .get("duration")
        .is_some());
    assert!(record.get_datetime("endedAt").is_ok());

    let (call, record) = settled(&stack, busy, |_| true).await;
    assert_eq!(call.get_str("status").unwrap(), "failed");
    assert_eq!(call.get_str("errorMessage").unwrap(), "The line was busy.");
    assert_eq!(record.get_str("status").unwrap(), "busy");

    let (call, record) = settled(&stack, opt_out, |r| r.get("analysis").is_some()).await;
    assert_eq!(call.get_str("status").unwrap(), "completed");
    let contact_id = record.get_object_id("contactId").unwrap();
    // The post-call webhook stores the analysis, then opts the contact out.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let contact = stack
            .db
            .raw("contacts")
            .find_one(doc! { "_id": contact_id })
            .await
            .unwrap()
            .unwrap();
        if contact.get_bool("optedOut").unwrap_or(false) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{contact:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // The sandbox saw one Twilio call per scheduled call.
    assert_eq!(stack.sandbox.calls().len(), 3);
}
