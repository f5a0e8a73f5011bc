//! Evaluator throughput: 100,000 contacts across 100 automations, all due
//! in one pass, against a raw `insert_many` of as many documents into the
//! same database in the same run. Prints both rates, their ratio and the
//! process's peak memory.
//!
//! `cargo bench -p heyway-tests --bench evaluator` (SecantusDB, or
//! `MONGODB_URI`). `BENCH_CONTACTS` and `BENCH_AUTOMATIONS` scale it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use heyway::features::evaluator::{run_pass, EvaluatorSettings};
use heyway::infra::queue::{DialQueue, InProcessQueue};
use heyway_tests::TestDb;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

fn env_number(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Peak resident memory of this process, from the kernel.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn contact(user: ObjectId, i: usize, created: bson::DateTime) -> Document {
    doc! {
        "_id": ObjectId::new(), "userId": user, "name": format!("Bench Contact {i}"),
        "phoneNumber": format!("+1212555{:04}", i % 10_000), "email": "",
        "groups": [], "tags": [], "metadata": { "purchaseDate": "2026-11-22" },
        "isActive": true, "createdAt": created, "updatedAt": created, "__v": 0,
    }
}

#[tokio::main]
async fn main() {
    let contacts = env_number("BENCH_CONTACTS", 100_000);
    let automations = env_number("BENCH_AUTOMATIONS", 100).max(1);
    let per_automation = contacts.div_ceil(automations);
    let t = TestDb::new().await;
    let db = &t.db;
    heyway::infra::indexes::migrate(db).await.expect("migrate");
    let now: DateTime<Utc> = "2026-11-29T23:00:30Z".parse().expect("instant");
    let created = bson::DateTime::from_chrono(
        "2026-01-01T00:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("instant"),
    );
    let user = ObjectId::new();
    db.raw("users")
        .insert_one(
            doc! { "_id": user, "name": "Bench Owner", "freeMinutes": 0, "createdAt": created },
        )
        .await
        .expect("user");

    // Setup: contacts and automations, all due at 23:00 UTC.
    let mut all: Vec<Document> = (0..contacts).map(|i| contact(user, i, created)).collect();
    let ids: Vec<Bson> = all
        .iter()
        .map(|c| c.get("_id").cloned().unwrap_or(Bson::Null))
        .collect();
    for chunk in all.chunks(5_000) {
        db.raw("contacts")
            .insert_many(chunk)
            .await
            .expect("contacts");
    }
    let last_run = bson::DateTime::from_chrono(now - chrono::Duration::minutes(5));
    for chunk in ids.chunks(per_automation) {
        db.raw("automations")
            .insert_one(doc! {
                "_id": ObjectId::new(), "userId": user, "name": "Bench automation", "description": "",
                "isActive": true, "timingMode": "after", "daysOffset": 7, "fixedDate": Bson::Null,
                "timeOfDay": "18:00", "timezone": "America/New_York", "referenceField": "metadata.purchaseDate",
                "contacts": chunk.to_vec(), "lastRun": last_run, "nextRun": last_run,
                "createdAt": created, "updatedAt": created, "__v": 0,
            })
            .await
            .expect("automation");
    }

    // Baseline: a raw insert_many of as many documents, same database.
    for document in &mut all {
        document.insert("_id", ObjectId::new());
    }
    let started = Instant::now();
    for chunk in all.chunks(1_000) {
        db.raw("bench_raw")
            .insert_many(chunk)
            .await
            .expect("raw insert");
    }
    let raw_secs = started.elapsed().as_secs_f64();
    drop(all);

    // The pass: record every due call, then enqueue every one.
    let (queue, mut jobs) = InProcessQueue::new();
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let consumer = tokio::spawn(async move {
        while jobs.recv().await.is_some() {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    let rss_before = peak_rss_mib();
    let started = Instant::now();
    let report = run_pass(
        db,
        &DialQueue::InProcess(queue),
        now,
        EvaluatorSettings::default(),
    )
    .await
    .expect("pass");
    let pass_secs = started.elapsed().as_secs_f64();
    consumer.abort();

    assert_eq!(
        report.recorded, contacts,
        "every contact's call recorded: {report:?}"
    );
    assert_eq!(report.enqueued, contacts, "every call enqueued: {report:?}");
    let rate = |n: usize, secs: f64| n as f64 / secs;
    println!("evaluator benchmark: {contacts} contacts, {automations} automations, one pass");
    println!(
        "  raw insert_many        {contacts:>7} docs in {raw_secs:>7.2} s  = {:>9.0} docs/s",
        rate(contacts, raw_secs)
    );
    println!(
        "  evaluator pass         {:>7} calls recorded and enqueued in {pass_secs:>7.2} s  = {:>9.0} calls/s",
        report.recorded,
        rate(report.recorded, pass_secs)
    );
    println!("  ratio (pass / raw)     {:.2}", raw_secs / pass_secs);
    println!(
        "  of which               evaluate {} ms (recording {} ms), sweep {} ms",
        report.evaluate_ms, report.record_ms, report.sweep_ms
    );
    println!(
        "  jobs received          {}",
        received.load(Ordering::Relaxed)
    );
    println!(
        "  peak memory (VmHWM)    {:.0} MiB (before the pass: {rss_before:.0} MiB, after setup)",
        peak_rss_mib()
    );
}
