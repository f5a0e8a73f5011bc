//! How long a contacts page takes at production's size, on each local
//! database server: `BENCH_CONTACTS` (10,000) contacts of one owner,
//! imported through `POST /api/contacts/import`, then the first page
//! (`GET /api/contacts`, 50 contacts by name and the total) through the
//! API's router, and the same two queries (count, then find sorted by
//! name with `limit 50`) through the driver alone, `BENCH_PAGES`
//! (20) times each. Prints the import's time and each page's p50 and max,
//! per server.
//!
//! Servers: `BENCH_SERVERS` (comma-separated names or paths), else every
//! SecantusDB server installed (`secantusd-rs` on PATH, `secantusd-py` on
//! PATH or in `.venv/bin`), each on a data directory of its own.
//! `cargo bench -p heyway-tests --bench contacts_page` (from the
//! repository root, after `scripts/setup`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use heyway::http::AppState;
use heyway::infra::store;
use heyway::model::User;
use heyway::Db;
use heyway_dev::local_db::{LocalDb, SERVER_BINARIES, VENV_BIN};
use heyway_tests::bench::percentile;
use heyway_tests::test_config;
use mongodb::bson::{doc, oid::ObjectId, Document};
use serde_json::{json, Value};
use tower::ServiceExt;

fn env_number(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The servers to compare: `BENCH_SERVERS`, else every one installed.
fn servers() -> Vec<PathBuf> {
    if let Ok(list) = std::env::var("BENCH_SERVERS") {
        return list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| find(name).unwrap_or_else(|| panic!("{name} is not installed")))
            .collect();
    }
    SERVER_BINARIES
        .iter()
        .filter_map(|name| find(name))
        .collect()
}

/// `name` as a path, or on PATH, or in `.venv/bin`.
fn find(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from(VENV_BIN)])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn summary(times: &mut [Duration]) -> String {
    times.sort();
    format!(
        "p50 {:>8.1} ms, max {:>8.1} ms",
        ms(percentile(times, 50.0)),
        ms(times.last().copied().unwrap_or_default())
    )
}

/// `count` contacts with made-up names and 555 numbers, as an import body.
fn import_body(count: usize) -> String {
    let rows: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "name": format!("Customer {i:05}"),
                "phone": format!("+1{}555{:04}", 201 + i / 10_000, i % 10_000),
                "email": format!("customer{i}@example.test"),
                "purchaseDate": "2026-03-02",
            })
        })
        .collect();
    Value::Array(rows).to_string()
}

async fn request(
    router: &axum::Router,
    method: &str,
    path: &str,
    token: &str,
    body: Option<String>,
) -> (u16, Value) {
    let mut builder = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    let request = builder
        .body(axum::body::Body::from(body.unwrap_or_default()))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("router");
    let status = response.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// One server's whole run, start to stop.
async fn bench(server: &Path, contacts: usize, pages: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let local = LocalDb::start_with(server, dir.path())
        .await
        .unwrap_or_else(|error| panic!("{}: {error}", server.display()));
    let db = Db::connect(local.uri(), "heyway_bench_contacts")
        .await
        .expect("connect");
    heyway::infra::indexes::migrate(&db).await.expect("migrate");
    let state = AppState::new(db.clone(), test_config(&[])).expect("state");
    let router = heyway::app::router(state.clone());
    let user: User = mongodb::bson::from_document(doc! {
        "_id": ObjectId::new(), "name": "Bench Owner", "email": "bench.owner@example.test",
        "timezone": "America/New_York", "freeMinutes": 0,
    })
    .expect("user");
    let user = store::insert(&db, &user).await.expect("insert user");
    let token = state.tokens.issue(user.id).expect("token");

    println!("{}", server.display());
    let started = Instant::now();
    let (status, answer) = request(
        &router,
        "POST",
        "/api/contacts/import",
        &token,
        Some(import_body(contacts)),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    println!(
        "  import of {contacts} contacts: {:.1} s ({answer})",
        started.elapsed().as_secs_f64()
    );

    let mut api = Vec::with_capacity(pages);
    for _ in 0..pages {
        let started = Instant::now();
        let (status, page) = request(&router, "GET", "/api/contacts", &token, None).await;
        api.push(started.elapsed());
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total"], contacts, "{}", page["total"]);
        assert_eq!(page["items"].as_array().map(Vec::len), Some(50));
    }
    println!(
        "  GET /api/contacts (50 of {contacts}): {}",
        summary(&mut api)
    );

    let collection = db.raw("contacts");
    let mut driver = Vec::with_capacity(pages);
    for _ in 0..pages {
        let started = Instant::now();
        let filter = doc! { "userId": user.id };
        let total = collection
            .count_documents(filter.clone())
            .await
            .expect("count");
        let items: Vec<Document> = collection
            .find(filter)
            .sort(doc! { "name": 1, "_id": 1 })
            .limit(50)
            .await
            .expect("find")
            .try_collect()
            .await
            .expect("page");
        driver.push(started.elapsed());
        assert_eq!((total, items.len()), (contacts as u64, 50));
    }
    println!(
        "  driver count + find (50):           {}",
        summary(&mut driver)
    );
    local.stop().await;
}

fn main() {
    let contacts = env_number("BENCH_CONTACTS", 10_000);
    let pages = env_number("BENCH_PAGES", 20);
    let servers = servers();
    assert!(
        !servers.is_empty(),
        "no SecantusDB server installed: run scripts/setup"
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for server in &servers {
        runtime.block_on(bench(server, contacts, pages));
    }
}
