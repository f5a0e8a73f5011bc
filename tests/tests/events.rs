//! Call events reach EventBridge (moto server): a rule on a bus of our own
//! forwards `heyway.calls` events to an SQS queue, which the test reads.

use heyway::infra::aws::Service;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::StatusCode;
use heyway::infra::events::{CallEvent, Events, CALL_COMPLETED};
use heyway_tests::moto;
use heyway_tests::webhooks::{
    post_call, send_elevenlabs, send_twilio, twilio_signed, webhook_config, PlacedCall,
    TWILIO_TOKEN,
};
use heyway_tests::TestApp;
use serde_json::{json, Value};

/// An app whose events go to a new bus; answers the queue they land in.
async fn app_with_bus() -> (TestApp, String) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let bus = format!(
        "heyway-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let queue = moto::bus_to_queue(&bus).await;
    let mut app = TestApp::with_config(webhook_config(&[])).await;
    app.state.events = Events::new(moto::aws(Service::EventBridge).await, bus);
    app.router = heyway::app::router(app.state.clone());
    (app, queue)
}

#[tokio::test]
async fn call_completed_is_published_once() {
    let (app, queue) = app_with_bus().await;
    let call = PlacedCall::insert(
        &app,
        "recording",
        mongodb::bson::doc! { "audioUrl": "https://cdn.example.test/hello.mp3" },
    )
    .await;
    let path = format!("/webhooks/twilio/status?callId={}", call.call.to_hex());
    let requests = twilio_signed(
        TWILIO_TOKEN,
        &[
            (path.clone(), call.status_form("ringing", &[])),
            (
                path.clone(),
                call.status_form(
                    "completed",
                    &[("CallDuration", "42"), ("AnsweredBy", "human")],
                ),
            ),
            (
                path.clone(),
                call.status_form("completed", &[("CallDuration", "42")]),
            ),
            (path.clone(), call.status_form("in-progress", &[])),
        ],
    );
    for request in &requests {
        assert_eq!(send_twilio(&app, request).await.0, StatusCode::NO_CONTENT);
    }
    let events = moto::received_events(&queue).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["source"], "heyway.calls");
    assert_eq!(event["detail-type"], "Call Completed");
    assert_eq!(
        event["detail"],
        json!({
            "callId": call.call.to_hex(),
            "userId": call.user.to_hex(),
            "scheduledCallId": call.scheduled_call.to_hex(),
            "automationId": call.automation.to_hex(),
            "contactId": call.contact.to_hex(),
            "status": "completed",
            "followUpNeeded": false,
            "durationSecs": 42,
        })
    );
}

#[tokio::test]
async fn follow_up_needed_is_published_once() {
    let (app, queue) = app_with_bus().await;
    let call = PlacedCall::insert(&app, "ai-only", PlacedCall::ai_config(None)).await;
    let body = post_call(
        &call,
        "conv_events_0001",
        &["The car makes a noise, can someone call me back?"],
        json!({"category": {"data_collection_id": "category", "value": "vehicle_issue"}}),
    );
    assert_eq!(send_elevenlabs(&app, &body).await.0, StatusCode::OK);
    assert_eq!(send_elevenlabs(&app, &body).await.0, StatusCode::OK);
    let events = moto::received_events(&queue).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["detail-type"], "Follow-up Needed");
    let detail: &Value = &events[0]["detail"];
    assert_eq!(detail["callId"], call.call.to_hex());
    assert_eq!(detail["category"], "vehicle_issue");
    assert_eq!(detail["followUpNeeded"], true);
    assert_eq!(detail["status"], "initiated");
    assert_eq!(detail["durationSecs"], 47);
}

#[tokio::test]
async fn a_missing_bus_is_logged_not_raised() {
    let events = Events::new(moto::aws(Service::EventBridge).await, "no-such-bus-heyway");
    let raw = mongodb::bson::doc! {
        "_id": mongodb::bson::oid::ObjectId::new(), "userId": mongodb::bson::oid::ObjectId::new(), "status": "completed",
    };
    let event = CallEvent::of(CALL_COMPLETED, &raw).unwrap();
    assert!(events.try_publish(&event).await.is_err());
    // `publish` only logs.
    events.publish(&event).await;
}
