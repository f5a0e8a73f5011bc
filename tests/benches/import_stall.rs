//! Can one user stall the server with a small import? `GET /api/health`
//! latency through `heyway`'s whole router, served over TCP as `heyway
//! serve` serves it, first alone, then while two clients keep a hostile
//! JSON import in flight (one row with 120,000 distinct keys, 1.6 MB: the
//! issue's reproduction, 17 s of CPU before the fix). Prints p50, p99 and
//! the maximum of each phase, the difference, and how the hostile imports
//! were answered.
//!
//! The server's runtime has 2 worker threads, like a small server; the
//! clients run on a runtime of their own, so only the server can stall.
//! The target: health stays within 100 ms of its usual time.
//!
//! `cargo bench -p heyway-tests --bench import_stall` (SecantusDB, or
//! `MONGODB_URI`). `BENCH_PROBES` (default 200) health requests per phase,
//! `BENCH_KEYS` (default 120000) keys in the hostile row.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use heyway_tests::bench::percentile;
use heyway_tests::TestApp;
use serde_json::{json, Map, Value};

/// Pause between health probes: a load balancer's probes, not a flood.
const PROBE_GAP: Duration = Duration::from_millis(10);
/// Worker threads of the server's runtime.
const SERVER_WORKERS: usize = 2;

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

/// Starts the API on a migrated test database, on `runtime`, listening on
/// a free local port; its address and a user's token.
fn start_server(runtime: &tokio::runtime::Runtime) -> (SocketAddr, String) {
    runtime.block_on(async {
        let app = TestApp::new().await;
        let user = app.user("Hostile").await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let router = app.router.clone();
        tokio::spawn(async move {
            let _app = app;
            axum::serve(listener, router).await.expect("serve");
        });
        (address, user.token)
    })
}

/// `probes` health requests, one after another, each timed.
async fn probe_health(client: &reqwest::Client, base: &str, probes: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(probes);
    for _ in 0..probes {
        let started = Instant::now();
        let response = client
            .get(format!("{base}/api/health"))
            .send()
            .await
            .expect("health");
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        times.push(started.elapsed());
        assert!(status.is_success(), "{status}: {body}");
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

/// Two clients posting `body` as an import again and again until `stop`;
/// each answer's status and time.
fn attack(
    base: &str,
    token: &str,
    body: &Arc<str>,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<(u16, Duration)>>> {
    (0..2)
        .map(|_| {
            // A client each: two connections, as two attackers would open.
            let client = reqwest::Client::new();
            let url = format!("{base}/api/contacts/import");
            let (token, body, stop) = (token.to_string(), body.clone(), stop.clone());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let response = client
                        .post(&url)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body.to_string())
                        .send()
                        .await
                        .expect("import");
                    answers.push((response.status().as_u16(), started.elapsed()));
                }
                answers
            })
        })
        .collect()
}

fn main() {
    let probes = env_number("BENCH_PROBES", 200);
    let keys = env_number("BENCH_KEYS", 120_000);
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(SERVER_WORKERS)
        .enable_all()
        .build()
        .expect("server runtime");
    let (address, token) = start_server(&server);
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime");
    clients.block_on(async {
        let base = format!("http://{address}");
        let body: Arc<str> = hostile_body(keys).into();
        println!(
            "hostile row: {keys} keys, {} bytes; server: {SERVER_WORKERS} workers",
            body.len()
        );
        let client = reqwest::Client::new();
        // Warm up the connection pools and the router.
        probe_health(&client, &base, 20).await;
        let quiet = probe_health(&client, &base, probes).await;

        let stop = Arc::new(AtomicBool::new(false));
        let attackers = attack(&base, &token, &body, &stop);
        // Let both imports reach the server before probing.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let loaded = probe_health(&client, &base, probes).await;
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
        let mut counts = Map::new();
        for (status, _) in &answers {
            let count = counts.entry(status.to_string()).or_insert(json!(0));
            *count = json!(count.as_u64().unwrap_or(0) + 1);
        }
        println!("hostile imports answered: {}", Value::from(counts));
        let mut import_times: Vec<Duration> = answers.iter().map(|(_, took)| *took).collect();
        import_times.sort();
        report("hostile import", &import_times);
    });
    // The server's tasks (and the database it started) end with it.
    drop(clients);
    drop(server);
}
