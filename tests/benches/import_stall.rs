//! Can one user stall the server with a small import? `GET /api/health`
//! latency through the whole router, first alone, then while two clients
//! keep a hostile JSON import in flight (one row with 120,000 distinct
//! keys, 1.6 MB: the reproduction, 17 s of CPU before the fix).
//! Prints p50, p99 and the maximum of each phase, the difference, and how
//! the hostile imports were answered.
//!
//! The runtime has 2 worker threads, like a small server. The issue's
//! target: health stays within 100 ms of its usual time.
//!
//! `cargo bench -p heyway-tests --bench import_stall` (SecantusDB, or
//! `MONGODB_URI`). `BENCH_PROBES` (default 200) health requests per phase,
//! `BENCH_KEYS` (default 120000) keys in the hostile row.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use heyway_tests::bench::percentile;
use heyway_tests::{TestApp, TestUser};
use serde_json::{json, Map, Value};

/// Pause between health probes: a load balancer's probes, not a flood.
const PROBE_GAP: Duration = Duration::from_millis(10);

fn env_number(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One row with a name, a phone and `keys` more distinct keys.
fn hostile_body(keys: usize) -> String {
    let mut row = Map::new();
    row.insert("name".into(), json!("Wide"));
    row.insert("phone".into(), json!("2155550100"));
    for i in 0..keys {
        row.insert(format!("col{i:06}"), json!(1));
    }
    json!([row]).to_string()
}

async fn hostile_import(app: &TestApp, user: &TestUser, body: &str) -> StatusCode {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/contacts/import")
        .header("authorization", format!("Bearer {}", user.token))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    app.send_raw(request).await.0
}

/// `probes` health requests, one after another, each timed.
async fn probe_health(app: &TestApp, probes: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(probes);
    for _ in 0..probes {
        let started = Instant::now();
        let (status, body) = app.send(Method::GET, "/api/health", None, None).await;
        times.push(started.elapsed());
        assert_eq!(status, StatusCode::OK, "{body}");
        tokio::time::sleep(PROBE_GAP).await;
    }
    times.sort();
    times
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn report(name: &str, times: &[Duration]) {
    println!(
        "{name}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
        times.len(),
        ms(percentile(times, 50.0)),
        ms(percentile(times, 99.0)),
        ms(times.last().copied().unwrap_or_default()),
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let probes = env_number("BENCH_PROBES", 200);
    let keys = env_number("BENCH_KEYS", 120_000);
    let app = Arc::new(TestApp::new().await);
    let user = app.user("Hostile").await;
    let body: Arc<str> = hostile_body(keys).into();
    println!("hostile row: {keys} keys, {} bytes", body.len());

    // Warm up the connection pool and the router.
    probe_health(&app, 20).await;
    let quiet = probe_health(&app, probes).await;

    let stop = Arc::new(AtomicBool::new(false));
    let attackers: Vec<_> = (0..2)
        .map(|_| {
            let (app, user, body, stop) = (app.clone(), user.clone(), body.clone(), stop.clone());
            tokio::spawn(async move {
                let mut answers: Vec<(StatusCode, Duration)> = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let status = hostile_import(&app, &user, &body).await;
                    answers.push((status, started.elapsed()));
                }
                answers
            })
        })
        .collect();
    // Let both imports get going before probing.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let loaded = probe_health(&app, probes).await;
    stop.store(true, Ordering::Relaxed);
    let mut answers = Vec::new();
    for attacker in attackers {
        answers.extend(attacker.await.expect("attacker task"));
    }

    report("health, quiet", &quiet);
    report("health, two hostile imports in flight", &loaded);
    println!(
        "difference: p50 {:+.2} ms, p99 {:+.2} ms (target: within 100 ms)",
        ms(percentile(&loaded, 50.0)) - ms(percentile(&quiet, 50.0)),
        ms(percentile(&loaded, 99.0)) - ms(percentile(&quiet, 99.0)),
    );
    let mut import_times: Vec<Duration> = answers.iter().map(|(_, took)| *took).collect();
    import_times.sort();
    let statuses: Value = answers
        .iter()
        .fold(Map::new(), |mut counts, (status, _)| {
            let count = counts
                .entry(status.as_u16().to_string())
                .or_insert(json!(0));
            *count = json!(count.as_u64().unwrap_or(0) + 1);
            counts
        })
        .into();
    println!("hostile imports answered: {statuses}");
    report("hostile import", &import_times);
}
