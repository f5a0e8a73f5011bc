//! Status-callback latency: `BENCH_CALLS` placed calls (default 300), each
//! sent `ringing`, `in-progress` and `completed` through the router as
//! Twilio would (signed, form-encoded), timed per request; prints p50, p99
//! and the maximum for the progress callbacks and for the final one (which
//! also ends the scheduled call and asks for a callback when unanswered).
//!
//! `cargo bench -p heyway-tests --bench webhooks` (SecantusDB, or
//! `MONGODB_URI`).

use std::time::{Duration, Instant};

use heyway_tests::bench::percentile;
use heyway_tests::webhooks::{
    send_twilio, webhook_config, PlacedCall, TwilioRequest, BASE_URL, TWILIO_TOKEN,
};
use heyway_tests::TestApp;
use mongodb::bson::doc;

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
        times.len(),
        percentile(&times, 50.0).as_secs_f64() * 1000.0,
        percentile(&times, 99.0).as_secs_f64() * 1000.0,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
}

#[tokio::main]
async fn main() {
    let calls: usize = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let app = TestApp::with_config(webhook_config(&[])).await;
    let mut progress = Vec::new();
    let mut finals = Vec::new();
    for i in 0..calls {
        let call = PlacedCall::insert(
            &app,
            "recording",
            doc! { "audioUrl": "https://cdn.example.test/hello.mp3" },
        )
        .await;
        let path = format!("/webhooks/twilio/status?callId={}", call.call.to_hex());
        // Every third call goes unanswered: the slow path with a callback.
        let last = if i % 3 == 0 { "no-answer" } else { "completed" };
        for status in ["ringing", "in-progress", last] {
            let form = call.status_form(status, &[("CallDuration", "12")]);
            let signature = heyway::integrations::twilio::signature::sign(
                TWILIO_TOKEN,
                &format!("{BASE_URL}{path}"),
                &form,
            );
            let request = TwilioRequest {
                path_and_query: path.clone(),
                form,
                signature,
            };
            let started = Instant::now();
            let (code, body, _) = send_twilio(&app, &request).await;
            let took = started.elapsed();
            assert!(code.is_success(), "{code}: {body}");
            if status == last {
                finals.push(took);
            } else {
                progress.push(took);
            }
        }
    }
    report("progress callbacks", progress);
    report("final callbacks", finals);
}
