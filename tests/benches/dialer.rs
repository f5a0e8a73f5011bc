//! Dialer throughput: `BENCH_JOBS` queued calls (default 1,000) dialed by
//! one dialer against the telephony sandbox, pacing off, ten at a time as
//! one Lambda handles an SQS batch. Each job is the whole production path:
//! claim, preflight, script, calls document, `Calls.json` over HTTP,
//! placement recorded. The sandbox meanwhile plays the calls and our
//! webhooks receive their callbacks on the same process, as in `heyway
//! serve`. Prints jobs per second, per-job p50/p99, and how many calls
//! then settled through the webhooks.
//!
//! `cargo bench -p heyway-tests --bench dialer` (SecantusDB, or
//! `MONGODB_URI`); `BENCH_CONCURRENCY` changes the ten.

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use heyway::features::dialer::Disposition;
use heyway::infra::queue::DialJob;
use heyway_tests::bench::percentile;
use heyway_tests::stack::LocalStack;
use mongodb::bson::doc;

fn env_number(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let jobs = env_number("BENCH_JOBS", 1_000);
    let concurrency = env_number("BENCH_CONCURRENCY", 10).max(1);
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let mut queued = Vec::with_capacity(jobs);
    for i in 0..jobs {
        // …555-0100: answered by a person (docs/sandbox.md).
        let id = stack
            .queued_call(user, &format!("Bench Contact {i}"), "+12125550100", None)
            .await;
        queued.push(DialJob {
            scheduled_call_id: id,
            user_id: user,
            scheduled_time: chrono::Utc::now(),
        });
    }

    let started = Instant::now();
    let mut times: Vec<Duration> = stream::iter(queued.iter())
        .map(|job| {
            let dialer = &stack.dialer;
            async move {
                let t = Instant::now();
                let disposition = dialer.dial(job, 1).await.expect("dial");
                assert_eq!(disposition, Disposition::Done);
                t.elapsed()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    times.sort();
    let placed = stack
        .db
        .raw("calls")
        .count_documents(doc! { "twilioCallSid": { "$exists": true } })
        .await
        .expect("count");
    assert_eq!(placed, jobs as u64, "every job placed one call");
    #[allow(clippy::cast_precision_loss)]
    let rate = jobs as f64 / elapsed.as_secs_f64();
    println!(
        "dialer: {jobs} jobs, concurrency {concurrency}, pacing off: {:.2} s, {rate:.0} jobs/s; per job p50={:.2} ms p99={:.2} ms",
        elapsed.as_secs_f64(),
        percentile(&times, 50.0).as_secs_f64() * 1000.0,
        percentile(&times, 99.0).as_secs_f64() * 1000.0,
    );

    // The sandbox plays the calls out; count those our webhooks settled.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut completed = 0;
    while Instant::now() < deadline {
        completed = stack
            .db
            .raw("scheduledcalls")
            .count_documents(doc! { "status": "completed" })
            .await
            .expect("count");
        if completed == jobs as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "settled through the status webhook: {completed}/{jobs} completed after {:.2} s",
        started.elapsed().as_secs_f64()
    );
}
