//! Issue 16, part 6: ElevenLabs' post-call webhook is lost (the sandbox
//! drops it for `…555-0107`), and the sweep after the evaluator's pass
//! fetches the conversation from ElevenLabs' API (the sandbox answers it)
//! and stores exactly what the webhook would have, once. For `…555-0109`
//! the sandbox's `register-call` TwiML names no conversation id (as
//! ElevenLabs' own most likely does): the sweep finds the conversation
//! through the agent's list (`GET /v1/convai/conversations`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use heyway::features::dialer::consumer::dial_until_done;
use heyway::features::webhooks::missed_reports::{
    MissedReports, MissedReportsReport, MAX_ATTEMPTS, NOT_FOUND, NOT_MATCHED_YET, NO_MATCH,
    RETRY_EVERY, STILL_PROCESSING,
};
use heyway::infra::aws::Service;
use heyway::infra::events::Events;
use heyway::infra::queue::DialJob;
use heyway::integrations::elevenlabs::ElevenLabsClient;
use heyway_tests::moto;
use heyway_tests::stack::LocalStack;
use mongodb::bson::{doc, oid::ObjectId, Document};
use serde_json::{json, Value};

const WAIT: chrono::Duration = chrono::Duration::minutes(5);

fn sweeper(stack: &LocalStack) -> MissedReports {
    sweeper_with(stack, Events::off())
}

fn sweeper_with(stack: &LocalStack, events: Events) -> MissedReports {
    let client = ElevenLabsClient::from_config(
        heyway::infra::outbound::http_client().unwrap(),
        &stack.state.config.elevenlabs,
    );
    assert!(client.is_some());
    MissedReports::new(client, events, WAIT)
}

async fn call_record(stack: &LocalStack, scheduled: ObjectId) -> Document {
    let call = stack
        .db
        .raw("scheduledcalls")
        .find_one(doc! { "_id": scheduled })
        .await
        .unwrap()
        .unwrap();
    let id = call.get_object_id("callId").unwrap();
    stack
        .db
        .raw("calls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap()
}

/// Dials a call to `phone` and waits until the sandbox is done with it
/// (every callback and, unless dropped, the webhook delivered).
async fn played(stack: &LocalStack, user: ObjectId, name: &str, phone: &str) -> Document {
    let scheduled = stack.queued_call(user, name, phone, None).await;
    let job = DialJob {
        scheduled_call_id: scheduled,
        user_id: user,
        scheduled_time: Utc::now(),
    };
    dial_until_done(&stack.dialer, &job).await;
    let record = call_record(stack, scheduled).await;
    let sid = record.get_str("twilioCallSid").unwrap().to_string();
    let call = stack
        .sandbox
        .finished(&sid, Duration::from_secs(20))
        .await
        .unwrap();
    assert!(call.finished, "{call:?}");
    // The webhook, when sent, is answered before the sandbox finishes.
    let record = call_record(stack, scheduled).await;
    assert_eq!(record.get_str("status").unwrap(), "completed", "{record:?}");
    record
}

fn ended_at(record: &Document) -> DateTime<Utc> {
    record.get_datetime("endedAt").unwrap().to_chrono()
}

async fn reload(stack: &LocalStack, record: &Document) -> Document {
    let id = record.get_object_id("_id").unwrap();
    stack
        .db
        .raw("calls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap()
}

fn eleven_labs_data(record: &Document) -> &Document {
    record.get_document("elevenLabsData").unwrap()
}

#[tokio::test]
async fn a_lost_webhook_is_fetched_once_and_stored_as_the_webhook_would() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    // The same conversation twice: once reported by the webhook, once lost.
    let delivered = played(&stack, user, "Dana Pebble", "+12125550100").await;
    let lost = played(&stack, user, "Dana Pebble", "+14155550107").await;
    assert_eq!(
        eleven_labs_data(&delivered)
            .get_str("post_call_source")
            .unwrap(),
        "webhook"
    );
    assert!(lost.get_array("transcription").unwrap().is_empty());
    assert!(lost.get("analysis").is_none(), "{lost:?}");
    let conversation = eleven_labs_data(&lost)
        .get_str("conversation_id")
        .unwrap()
        .to_string();
    let sid = lost.get_str("twilioCallSid").unwrap();
    let sandbox_call = stack
        .sandbox
        .calls()
        .into_iter()
        .find(|c| c.sid == sid)
        .unwrap();
    assert!(
        sandbox_call
            .deliveries
            .iter()
            .all(|d| d.kind != "post_call_transcription"),
        "{:?}",
        sandbox_call.deliveries
    );

    // The sweep's events go to a bus of its own (moto), read back below.
    let bus = format!("heyway-test-missed-{}", std::process::id());
    let queue = moto::bus_to_queue(&bus).await;
    let sweep = sweeper_with(
        &stack,
        Events::new(moto::aws(Service::EventBridge).await, bus),
    );
    // Within the wait: the webhook may still come.
    let early = sweep
        .sweep(&stack.db, ended_at(&lost) + chrono::Duration::minutes(4))
        .await;
    assert_eq!(early.unwrap(), MissedReportsReport::default());
    assert!(reload(&stack, &lost).await.get("analysis").is_none());

    // Two passes at once: one fetch stores it.
    let at = ended_at(&lost) + WAIT + chrono::Duration::seconds(30);
    let (first, second) = tokio::join!(sweep.sweep(&stack.db, at), sweep.sweep(&stack.db, at));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.stored + second.stored, 1, "{first:?} {second:?}");
    assert_eq!(first.given_up + second.given_up, 0);
    // The delivered call was left alone.
    assert_eq!(
        first.stored + first.already_stored + second.stored + second.already_stored,
        1
    );

    let fetched = reload(&stack, &lost).await;
    let delivered = reload(&stack, &delivered).await;
    // Exactly what the webhook gave the same conversation.
    assert_eq!(
        fetched.get_array("transcription").unwrap(),
        delivered.get_array("transcription").unwrap()
    );
    assert!(fetched.get_array("transcription").unwrap().len() >= 2);
    assert_eq!(
        fetched.get_document("analysis").unwrap(),
        delivered.get_document("analysis").unwrap()
    );
    assert!(fetched
        .get_document("analysis")
        .unwrap()
        .get_bool("followUpNeeded")
        .unwrap());
    let data = eleven_labs_data(&fetched);
    assert_eq!(data.get_str("post_call_source").unwrap(), "api");
    assert_eq!(data.get_str("status").unwrap(), "done");
    assert_eq!(data.get_str("conversation_id").unwrap(), conversation);
    assert_eq!(
        data.get_document("report_fetch")
            .unwrap()
            .get_i64("attempts")
            .unwrap(),
        1
    );
    // Twilio's billed duration stays.
    assert_eq!(
        fetched.get_document("metrics").unwrap().get("duration"),
        lost.get_document("metrics").unwrap().get("duration")
    );

    // The follow-up is announced once, as the webhook would have.
    let events = moto::received_events(&queue).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["detail-type"], "Follow-up Needed");
    assert_eq!(
        events[0]["detail"]["callId"],
        lost.get_object_id("_id").unwrap().to_hex()
    );
    assert_eq!(events[0]["detail"]["followUpNeeded"], true);

    // The owner sees it through the API.
    let token = stack.state.tokens.issue(user).unwrap();
    let detail: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/calls/{}",
            stack.base_url,
            lost.get_object_id("_id").unwrap().to_hex()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["conversationId"], conversation, "{detail}");
    assert_eq!(
        detail["transcript"].as_array().unwrap().len(),
        fetched.get_array("transcription").unwrap().len(),
        "{detail}"
    );
    assert_eq!(detail["analysis"]["followUpNeeded"], true, "{detail}");

    // Later passes leave it.
    let later = sweep
        .sweep(&stack.db, at + chrono::Duration::minutes(30))
        .await;
    assert_eq!(later.unwrap(), MissedReportsReport::default());

    // The webhook turns up after all: accepted, nothing changes.
    let report = ask_elevenlabs(&stack, &conversation).await;
    let body = json!({
        "type": "post_call_transcription",
        "event_timestamp": Utc::now().timestamp(),
        "data": report,
    });
    let (status, answer) = post_webhook(&stack, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "already_stored", "{answer}");
    let after = reload(&stack, &lost).await;
    assert_eq!(
        after.get_array("transcription").unwrap(),
        fetched.get_array("transcription").unwrap()
    );
    assert_eq!(
        eleven_labs_data(&after)
            .get_str("post_call_source")
            .unwrap(),
        "api"
    );
    assert_eq!(
        eleven_labs_data(&after)
            .get_datetime("post_call_received_at")
            .unwrap(),
        data.get_datetime("post_call_received_at").unwrap()
    );
}

#[tokio::test]
async fn a_conversation_still_processing_is_retried_then_given_up() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let stuck = played(&stack, user, "Kim Slate", "+12125550108").await;
    let conversation = eleven_labs_data(&stuck)
        .get_str("conversation_id")
        .unwrap()
        .to_string();
    assert_eq!(
        ask_elevenlabs(&stack, &conversation).await["status"],
        "processing"
    );

    let sweep = sweeper(&stack);
    let mut at = ended_at(&stuck) + WAIT;
    let first = sweep.sweep(&stack.db, at).await.unwrap();
    assert_eq!(first.later, 1, "{first:?}");
    let record = reload(&stack, &stuck).await;
    let fetch = eleven_labs_data(&record)
        .get_document("report_fetch")
        .unwrap();
    assert_eq!(fetch.get_i64("attempts").unwrap(), 1);
    assert_eq!(fetch.get_str("last_outcome").unwrap(), "status processing");
    assert!(fetch.get("gave_up_at").is_none());
    // Not again within RETRY_EVERY.
    let soon = sweep
        .sweep(&stack.db, at + chrono::Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(soon, MissedReportsReport::default());

    for attempt in 2..=MAX_ATTEMPTS {
        at += RETRY_EVERY;
        let report = sweep.sweep(&stack.db, at).await.unwrap();
        if attempt < MAX_ATTEMPTS {
            assert_eq!(report.later, 1, "attempt {attempt}: {report:?}");
        } else {
            assert_eq!(report.given_up, 1, "attempt {attempt}: {report:?}");
        }
    }
    let record = reload(&stack, &stuck).await;
    let fetch = eleven_labs_data(&record)
        .get_document("report_fetch")
        .unwrap();
    assert_eq!(fetch.get_i64("attempts").unwrap(), MAX_ATTEMPTS);
    assert_eq!(fetch.get_str("reason").unwrap(), STILL_PROCESSING);
    assert!(fetch.get_datetime("gave_up_at").is_ok());
    assert!(record.get("analysis").is_none());
    let after = sweep.sweep(&stack.db, at + RETRY_EVERY).await.unwrap();
    assert_eq!(after, MissedReportsReport::default());
}

#[tokio::test]
async fn a_conversation_elevenlabs_does_not_know_is_given_up_at_once() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let lost = played(&stack, user, "Lee Marble", "+12125550107").await;
    let id = lost.get_object_id("_id").unwrap();
    stack
        .db
        .raw("calls")
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "elevenLabsData.conversation_id": "conv_unknown_00001" } },
        )
        .await
        .unwrap();
    let (status, _) = get_conversation(&stack, "conv_unknown_00001").await;
    assert_eq!(status, 404);

    let sweep = sweeper(&stack);
    let report = sweep
        .sweep(&stack.db, ended_at(&lost) + WAIT)
        .await
        .unwrap();
    assert_eq!(report.given_up, 1, "{report:?}");
    let record = reload(&stack, &lost).await;
    let fetch = eleven_labs_data(&record)
        .get_document("report_fetch")
        .unwrap();
    assert_eq!(fetch.get_str("reason").unwrap(), NOT_FOUND);
    assert!(record.get("analysis").is_none());
}

#[tokio::test]
async fn the_sandbox_answers_conversations_only_with_the_key() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let lost = played(&stack, user, "Dana Pebble", "+12125550107").await;
    let conversation = eleven_labs_data(&lost).get_str("conversation_id").unwrap();
    let url = format!(
        "{}{}{}/v1/convai/conversations/{conversation}",
        stack.base_url,
        heyway_dev::sandbox::MOUNT,
        heyway_dev::sandbox::ELEVENLABS_PATH
    );
    let refused = reqwest::Client::new()
        .get(&url)
        .header("xi-api-key", "not-the-key")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let report = ask_elevenlabs(&stack, conversation).await;
    assert_eq!(report["status"], "done");
    assert_eq!(report["conversation_id"], conversation);
    assert_eq!(
        report["metadata"]["phone_call"]["call_sid"],
        lost.get_str("twilioCallSid").unwrap()
    );
    assert!(report["transcript"].as_array().unwrap().len() >= 2);
    assert!(report["analysis"]["data_collection_results"].is_object());
    assert_eq!(
        report["conversation_initiation_client_data"]["dynamic_variables"]["heyway_call_id"],
        lost.get_object_id("_id").unwrap().to_hex()
    );
}

/// The conversation the sandbox connected the call `record` to.
fn sandbox_conversation(stack: &LocalStack, record: &Document) -> String {
    let sid = record.get_str("twilioCallSid").unwrap();
    stack
        .sandbox
        .calls()
        .into_iter()
        .find(|c| c.sid == sid)
        .and_then(|c| c.conversation_id)
        .unwrap()
}

#[tokio::test]
async fn a_conversation_the_twiml_did_not_name_is_found_through_the_list_once() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    // Two calls whose TwiML named no conversation and whose webhook was
    // lost, close enough that each one's window lists both conversations.
    let first = played(&stack, user, "Robin Quartz", "+12125550109").await;
    let second = played(&stack, user, "Sasha Flint", "+14155550109").await;
    for call in [&first, &second] {
        let data = eleven_labs_data(call);
        assert!(data.get("conversation_id").is_none(), "{call:?}");
        assert_eq!(
            data.get_str("agent_id").unwrap(),
            stack.sandbox.settings().agent_id
        );
        assert!(call.get_array("transcription").unwrap().is_empty());
    }
    let (first_conversation, second_conversation) = (
        sandbox_conversation(&stack, &first),
        sandbox_conversation(&stack, &second),
    );
    assert_ne!(first_conversation, second_conversation);
    let listed = list_conversations(
        &stack,
        &[
            ("agent_id", stack.sandbox.settings().agent_id.clone()),
            (
                "call_start_after_unix",
                (ended_at(&first).timestamp() - 120).to_string(),
            ),
        ],
    )
    .await;
    let ids: Vec<&str> = listed["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversation_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&first_conversation.as_str()), "{listed}");
    assert!(ids.contains(&second_conversation.as_str()), "{listed}");

    // Two passes at once: each call is looked up and stored once.
    let sweep = sweeper(&stack);
    let at = ended_at(&second) + WAIT + chrono::Duration::seconds(30);
    let (one, two) = tokio::join!(sweep.sweep(&stack.db, at), sweep.sweep(&stack.db, at));
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.stored + two.stored, 2, "{one:?} {two:?}");
    assert_eq!(one.later + two.later + one.given_up + two.given_up, 0);

    // Each call got its own conversation, not the other one in its window.
    for (call, conversation) in [
        (&first, &first_conversation),
        (&second, &second_conversation),
    ] {
        let fetched = reload(&stack, call).await;
        let data = eleven_labs_data(&fetched);
        assert_eq!(data.get_str("conversation_id").unwrap(), conversation);
        assert_eq!(data.get_str("post_call_source").unwrap(), "api");
        assert_eq!(
            data.get_document("report_fetch")
                .unwrap()
                .get_i64("attempts")
                .unwrap(),
            1
        );
        let report = ask_elevenlabs(&stack, conversation).await;
        assert_eq!(
            fetched.get_array("transcription").unwrap().len(),
            report["transcript"].as_array().unwrap().len()
        );
        assert!(fetched.get_array("transcription").unwrap().len() >= 2);
        assert!(fetched
            .get_document("analysis")
            .unwrap()
            .get_bool("followUpNeeded")
            .unwrap());
    }
    let later = sweep
        .sweep(&stack.db, at + chrono::Duration::minutes(30))
        .await;
    assert_eq!(later.unwrap(), MissedReportsReport::default());
}

#[tokio::test]
async fn a_call_whose_conversation_is_not_in_the_list_is_retried_then_given_up() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let played = played(&stack, user, "Jules Basalt", "+13125550109").await;
    let theirs = sandbox_conversation(&stack, &played);
    // A call of ours in the same window whose conversation ElevenLabs
    // never held: the only one listed is another call's.
    let mut orphan = played.clone();
    let orphan_id = ObjectId::new();
    orphan.insert("_id", orphan_id);
    orphan.insert("twilioCallSid", "CA00000000000000000000000000000555");
    let calls = stack.db.raw("calls");
    calls
        .delete_one(doc! { "_id": played.get_object_id("_id").unwrap() })
        .await
        .unwrap();
    calls.insert_one(&orphan).await.unwrap();

    let sweep = sweeper(&stack);
    let mut at = ended_at(&orphan) + WAIT;
    let first = sweep.sweep(&stack.db, at).await.unwrap();
    assert_eq!(first.later, 1, "{first:?}");
    let record = reload(&stack, &orphan).await;
    let data = eleven_labs_data(&record);
    assert!(data.get("conversation_id").is_none(), "{record:?}");
    let fetch = data.get_document("report_fetch").unwrap();
    assert_eq!(fetch.get_str("last_outcome").unwrap(), NOT_MATCHED_YET);
    assert_eq!(fetch.get_i64("attempts").unwrap(), 1);

    for attempt in 2..=MAX_ATTEMPTS {
        at += RETRY_EVERY;
        let report = sweep.sweep(&stack.db, at).await.unwrap();
        if attempt < MAX_ATTEMPTS {
            assert_eq!(report.later, 1, "attempt {attempt}: {report:?}");
        } else {
            assert_eq!(report.given_up, 1, "attempt {attempt}: {report:?}");
        }
    }
    let record = reload(&stack, &orphan).await;
    let data = eleven_labs_data(&record);
    assert!(data.get("conversation_id").is_none(), "{record:?}");
    let fetch = data.get_document("report_fetch").unwrap();
    assert_eq!(fetch.get_str("reason").unwrap(), NO_MATCH);
    assert_eq!(fetch.get_i64("attempts").unwrap(), MAX_ATTEMPTS);
    assert!(record.get("analysis").is_none());
    assert!(record.get_array("transcription").unwrap().is_empty());
    // The other call's conversation is still nobody's.
    let holders = calls
        .count_documents(doc! { "elevenLabsData.conversation_id": &theirs })
        .await
        .unwrap();
    assert_eq!(holders, 0);
}

#[tokio::test]
async fn the_sandbox_lists_conversations_by_agent_and_start_only_with_the_key() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let call = played(&stack, user, "Noor Shale", "+12125550109").await;
    let conversation = sandbox_conversation(&stack, &call);
    let start = ask_elevenlabs(&stack, &conversation).await["metadata"]["start_time_unix_secs"]
        .as_i64()
        .unwrap();
    let agent = stack.sandbox.settings().agent_id.clone();
    let window = |after: i64, before: i64| {
        vec![
            ("agent_id", agent.clone()),
            ("call_start_after_unix", after.to_string()),
            ("call_start_before_unix", before.to_string()),
            ("page_size", "10".to_string()),
        ]
    };
    let listed = list_conversations(&stack, &window(start - 1, start + 1)).await;
    assert_eq!(listed["has_more"], false, "{listed}");
    let found = &listed["conversations"][0];
    assert_eq!(found["conversation_id"], conversation, "{listed}");
    assert_eq!(found["start_time_unix_secs"], start);
    assert_eq!(found["status"], "done");
    assert_eq!(found["agent_id"], agent);
    assert!(found["call_duration_secs"].as_i64().unwrap() > 0);
    let before = list_conversations(&stack, &window(start - 100, start - 1)).await;
    assert_eq!(before["conversations"], json!([]), "{before}");
    let mut other_agent = window(start - 1, start + 1);
    other_agent[0].1 = "agent_someone_else".to_string();
    let other = list_conversations(&stack, &other_agent).await;
    assert_eq!(other["conversations"], json!([]), "{other}");

    let url = conversations_url(&stack);
    let refused = reqwest::Client::new()
        .get(&url)
        .header("xi-api-key", "not-the-key")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let too_big = reqwest::Client::new()
        .get(&url)
        .query(&[("page_size", "101")])
        .header("xi-api-key", &stack.sandbox.settings().elevenlabs_api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 422);
}

fn conversations_url(stack: &LocalStack) -> String {
    format!(
        "{}{}{}/v1/convai/conversations",
        stack.base_url,
        heyway_dev::sandbox::MOUNT,
        heyway_dev::sandbox::ELEVENLABS_PATH
    )
}

async fn list_conversations(stack: &LocalStack, query: &[(&str, String)]) -> Value {
    let response = reqwest::Client::new()
        .get(conversations_url(stack))
        .query(query)
        .header("xi-api-key", &stack.sandbox.settings().elevenlabs_api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn get_conversation(stack: &LocalStack, id: &str) -> (u16, Value) {
    let url = format!(
        "{}{}{}/v1/convai/conversations/{id}",
        stack.base_url,
        heyway_dev::sandbox::MOUNT,
        heyway_dev::sandbox::ELEVENLABS_PATH
    );
    let response = reqwest::Client::new()
        .get(url)
        .header("xi-api-key", &stack.sandbox.settings().elevenlabs_api_key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn ask_elevenlabs(stack: &LocalStack, id: &str) -> Value {
    let (status, body) = get_conversation(stack, id).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Posts `body` to our ElevenLabs webhook, signed with the sandbox's secret.
async fn post_webhook(stack: &LocalStack, body: &Value) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let signature = heyway::integrations::elevenlabs::signature::sign(
        &stack.sandbox.settings().elevenlabs_webhook_secret,
        Utc::now().timestamp(),
        &bytes,
    );
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/elevenlabs", stack.base_url))
        .header("ElevenLabs-Signature", signature)
        .header("Content-Type", "application/json")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
