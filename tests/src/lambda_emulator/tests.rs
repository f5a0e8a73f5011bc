//! The emulator's side of the Runtime API contract, spoken to directly.

use std::time::Duration;

use serde_json::json;

use super::Emulator;

const API: &str = "2018-06-01/runtime";

#[tokio::test]
async fn hands_out_events_with_lambdas_headers_and_takes_answers_and_errors() {
    let emulator = Emulator::start().await.unwrap();
    let base = format!("http://{}/{API}", emulator.runtime_api());
    let http = reqwest::Client::new();
    let first = emulator.invoke(&json!({"n": 1}));
    let second = emulator.invoke(&json!({"n": 2}));
    assert!(emulator.first_next().is_none());

    let next = http
        .get(format!("{base}/invocation/next"))
        .send()
        .await
        .unwrap();
    assert!(emulator.first_next().is_some());
    assert_eq!(next.status(), 200);
    let header = |name: &str| next.headers()[name].to_str().unwrap().to_string();
    assert_eq!(header("lambda-runtime-aws-request-id"), first.id);
    assert!(header("lambda-runtime-deadline-ms").parse::<u64>().unwrap() > 0);
    assert!(header("lambda-runtime-invoked-function-arn").starts_with("arn:aws:lambda:"));
    assert!(header("lambda-runtime-trace-id").starts_with("Root=1-"));
    assert_eq!(
        next.json::<serde_json::Value>().await.unwrap(),
        json!({"n": 1})
    );

    // The second event is not out yet: an answer to it is refused.
    let early = http
        .post(format!("{base}/invocation/{}/response", second.id))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 400);

    let answered = http
        .post(format!("{base}/invocation/{}/response", first.id))
        .body(r#"{"ok":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 202);
    let outcome = first.answer.await.unwrap();
    assert_eq!(outcome.json(), json!({"ok": true}));
    assert!(outcome.answered >= outcome.handed_out);

    http.get(format!("{base}/invocation/next"))
        .send()
        .await
        .unwrap();
    let failed = http
        .post(format!("{base}/invocation/{}/error", second.id))
        .header("lambda-runtime-function-error-type", "unhandled")
        .body(r#"{"errorType":"x","errorMessage":"y"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 202);
    let error = second.answer.await.unwrap().result.unwrap_err();
    assert_eq!(error.error_type.as_deref(), Some("unhandled"));
}

#[tokio::test]
async fn next_waits_for_an_event_and_init_errors_are_kept() {
    let emulator = Emulator::start().await.unwrap();
    let base = format!("http://{}/{API}", emulator.runtime_api());
    let http = reqwest::Client::new();
    let waiting = tokio::spawn(http.get(format!("{base}/invocation/next")).send());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "next answered with nothing queued");
    let invocation = emulator.invoke(&json!({}));
    let next = waiting.await.unwrap().unwrap();
    assert_eq!(
        next.headers()["lambda-runtime-aws-request-id"],
        invocation.id.as_str()
    );

    let init = http
        .post(format!("{base}/init/error"))
        .header("lambda-runtime-function-error-type", "Runtime.InitError")
        .body(r#"{"errorMessage":"no config"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), 202);
    let recorded = emulator.init_error().unwrap();
    assert_eq!(recorded["errorType"], "Runtime.InitError");
    assert_eq!(recorded["body"]["errorMessage"], "no config");
}
