//! The whole loop, as `heyway serve` runs it: the dialer places calls
//! through the real Twilio client against the sandbox, the sandbox fetches
//! our TwiML (the real ElevenLabs client registers the call), sends signed
//! status callbacks and the signed post-call webhook, and our webhooks turn
//! them into the call's final state, transcript and analysis.

use std::time::Duration;

use heyway::features::dialer::consumer::dial_until_done;
use heyway::infra::queue::DialJob;
use heyway_dev::sandbox::{ELEVENLABS_PATH, MOUNT};
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

/// Issue 12's attack, as it was seen: someone with the sandbox's
/// ElevenLabs key asks it to place a call whose `heyway_call_id` is
/// another tenant's call, with an attacker's first message and an opt-out.
/// The sandbox's post-call webhook is signed correctly, but its
/// conversation and call SID are no call of ours: refused, and the
/// victim's call, transcript, category, cost and contact stay as they were.
#[tokio::test]
async fn an_outbound_call_naming_another_tenants_call_changes_nothing() {
    let stack = LocalStack::start(0).await;
    let victim_user = stack.user().await;
    let victim = stack
        .queued_call(victim_user, "Lee Marble", "+12125550101", None)
        .await;
    let job = DialJob {
        scheduled_call_id: victim,
        user_id: victim_user,
        scheduled_time: chrono::Utc::now(),
    };
    dial_until_done(&stack.dialer, &job).await;
    let (_, record) = settled(&stack, victim, |r| r.get_str("status") == Ok("busy")).await;
    let victim_call = record.get_object_id("_id").unwrap();
    // Every callback of the victim's call delivered: nothing moves it now.
    let victim_sid = record.get_str("twilioCallSid").unwrap();
    let played = stack
        .sandbox
        .finished(victim_sid, Duration::from_secs(10))
        .await;
    assert!(played.is_some_and(|p| p.finished));
    let record = stack
        .db
        .raw("calls")
        .find_one(doc! { "_id": victim_call })
        .await
        .unwrap()
        .unwrap();
    let contact_id = record.get_object_id("contactId").unwrap();
    let contact = || async {
        stack
            .db
            .raw("contacts")
            .find_one(doc! { "_id": contact_id })
            .await
            .unwrap()
            .unwrap()
    };
    let contact_before = contact().await;

    let keys = stack.sandbox.settings();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}{MOUNT}{ELEVENLABS_PATH}/v1/convai/twilio/outbound-call",
            stack.base_url
        ))
        .header("xi-api-key", &keys.elevenlabs_api_key)
        .json(&serde_json::json!({
            "agent_id": keys.agent_id,
            "agent_phone_number_id": "phnum_attacker",
            // 555-0105: the sandbox's callee asks not to be called again.
            "to_number": "+13125550105",
            "conversation_initiation_client_data": {
                "dynamic_variables": { "heyway_call_id": victim_call.to_hex() },
                "conversation_config_override": {
                    "agent": { "first_message": "ATTACKER CONTROLLED TRANSCRIPT" },
                },
            },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sid = answer["callSid"].as_str().unwrap().to_string();
    let played = stack
        .sandbox
        .finished(&sid, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(played.finished, "{played:?}");
    let delivery = played
        .deliveries
        .iter()
        .find(|d| d.kind == "post_call_transcription")
        .unwrap_or_else(|| panic!("no post-call webhook: {played:?}"));
    // Its conversation and SID are no call of ours: refused as unknown.
    assert_eq!(delivery.status, Some(404), "{played:?}");

    let after = stack
        .db
        .raw("calls")
        .find_one(doc! { "_id": victim_call })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, record);
    assert!(after.get("analysis").is_none());
    assert_eq!(contact().await, contact_before);
}
