//! Evaluator throughput: 100,000 contacts across 100 automations, all due
//! in one pass, against two floors measured in the same run with the very
//! documents the pass recorded (read back after it, then `insert_many`d
//! 1,000 at a time into fresh collections):
//!
//! - one index: a collection with only `_id`;
//! - fair: a collection with every index `scheduledcalls` has
//!   ([`heyway::infra::indexes::all`]), unique `dedupeKey` included. No
//!   pass can record faster than this. Measured twice, one before and one
//!   after the other floor, and averaged: the load of a shared machine
//!   drifts.
//!
//! Each ratio is the floor's time over the pass's (1.0: as fast as the
//! floor). Peak memory is the pass's own: the kernel's high-water mark
//! (`VmHWM`) is reset (`/proc/self/clear_refs`, `5`) once setup is done and
//! read as soon as the pass returns, before the floors. It counts this
//! whole process (the evaluator, the driver, the queue's consumer and
//! whatever the allocator kept from setup, shown as the RSS at the start),
//! not the database server, which is another process.
//!
//! `cargo bench -p heyway-tests --bench evaluator` (SecantusDB, or
//! `MONGODB_URI`). `BENCH_CONTACTS` and `BENCH_AUTOMATIONS` scale it.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use heyway::features::evaluator::{run_pass, EvaluatorSettings};
use heyway::infra::queue::{DialQueue, InProcessQueue};
use heyway::Db;
use heyway_tests::TestDb;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document, RawDocumentBuf};

/// The collection the pass records into.
const SCHEDULED_CALLS: &str = "scheduledcalls";
/// Documents per `insert_many` of the floors, as the pass inserts them.
const FLOOR_BATCH: usize = 1_000;

fn env_number(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A `kB` line of `/proc/self/status` (`VmHWM`, `VmRSS`), in MiB.
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Starts the high-water mark again from the current RSS (Linux ≥ 4.0);
/// `false` when the kernel refused, and the peak includes setup.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn contact(user: ObjectId, i: usize, created: bson::DateTime) -> Document {
    doc! {
        "_id": ObjectId::new(), "userId": user, "name": format!("Bench Contact {i}"),
        "phoneNumber": format!("+1212555{:04}", i % 10_000), "email": "",
        "groups": [], "tags": [], "metadata": { "purchaseDate": "2026-11-22" },
        "isActive": true, "createdAt": created, "updatedAt": created, "__v": 0,
    }
}

/// The owner, `contacts` contacts and `automations` automations calling
/// them, all due at 23:00 UTC on the pass's day.
async fn setup(db: &Db, contacts: usize, automations: usize, now: DateTime<Utc>) {
    let per_automation = contacts.div_ceil(automations);
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
    // A slice at a time, so setup leaves little for the pass's RSS.
    let mut ids: Vec<Bson> = Vec::with_capacity(contacts);
    for start in (0..contacts).step_by(5_000) {
        let slice: Vec<Document> = (start..contacts.min(start + 5_000))
            .map(|i| contact(user, i, created))
            .collect();
        ids.extend(slice.iter().filter_map(|c| c.get("_id").cloned()));
        db.raw("contacts")
            .insert_many(slice)
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
}

/// Seconds to `insert_many` `documents` into a new collection `name`
/// holding the indexes `scheduledcalls` has (`with_indexes`) or `_id`
/// alone.
async fn floor(db: &Db, name: &str, documents: &[RawDocumentBuf], with_indexes: bool) -> f64 {
    db.database()
        .create_collection(name)
        .await
        .expect("floor collection");
    let collection = db.database().collection::<RawDocumentBuf>(name);
    if with_indexes {
        for spec in heyway::infra::indexes::all() {
            if spec.collection == SCHEDULED_CALLS {
                collection
                    .create_index(spec.model())
                    .await
                    .expect("floor index");
            }
        }
    }
    let started = Instant::now();
    for chunk in documents.chunks(FLOOR_BATCH) {
        collection
            .insert_many(chunk)
            .ordered(false)
            .await
            .expect("floor insert");
    }
    started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let contacts = env_number("BENCH_CONTACTS", 100_000);
    let automations = env_number("BENCH_AUTOMATIONS", 100).max(1);
    let t = TestDb::new().await;
    let db = &t.db;
    heyway::infra::indexes::migrate(db).await.expect("migrate");
    let now: DateTime<Utc> = "2026-11-29T23:00:30Z".parse().expect("instant");
    setup(db, contacts, automations, now).await;

    // The pass: record every due call and enqueue every one.
    let (queue, mut jobs) = InProcessQueue::new();
    // Counts the distinct calls it receives; ends when the queue is dropped.
    let consumer = tokio::spawn(async move {
        let mut calls = HashSet::new();
        let mut jobs_received = 0_usize;
        while let Some(job) = jobs.recv().await {
            jobs_received += 1;
            calls.insert(job.scheduled_call_id);
        }
        (jobs_received, calls.len())
    });
    let reset = reset_peak_rss();
    let rss_start = status_mib("VmRSS:");
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
    let peak = status_mib("VmHWM:");
    let (jobs_received, distinct) = consumer.await.expect("consumer");
    assert_eq!(
        report.recorded, contacts,
        "every contact's call recorded: {report:?}"
    );
    assert_eq!(report.enqueued, contacts, "every call enqueued: {report:?}");
    assert_eq!(
        (jobs_received, distinct),
        (contacts, contacts),
        "one job per call"
    );

    // The floors, with the documents the pass wrote.
    let recorded: Vec<RawDocumentBuf> = db
        .database()
        .collection::<RawDocumentBuf>(SCHEDULED_CALLS)
        .find(doc! {})
        .await
        .expect("read back")
        .try_collect()
        .await
        .expect("read back");
    assert_eq!(recorded.len(), contacts, "one document per call");
    // The fair floor twice, around the other, as the machine's load drifts.
    let fair_first = floor(db, "bench_floor_fair_1", &recorded, true).await;
    let one_secs = floor(db, "bench_floor_one_index", &recorded, false).await;
    let fair_second = floor(db, "bench_floor_fair_2", &recorded, true).await;
    let fair_secs = (fair_first + fair_second) / 2.0;
    let indexes = heyway::infra::indexes::all()
        .iter()
        .filter(|spec| spec.collection == SCHEDULED_CALLS)
        .count()
        + 1;

    let rate = |secs: f64| contacts as f64 / secs;
    println!("evaluator benchmark: {contacts} contacts, {automations} automations, one pass");
    println!(
        "  evaluator pass            {contacts:>7} calls recorded and enqueued in {pass_secs:>7.2} s = {:>7.0} calls/s",
        rate(pass_secs)
    );
    println!(
        "    of which                evaluate {} ms (recording and sending {} ms), sweep {} ms",
        report.evaluate_ms, report.record_ms, report.sweep_ms
    );
    println!(
        "  floor, one index          {contacts:>7} docs insert_many'd in {one_secs:>7.2} s = {:>7.0} docs/s; pass ratio {:.2}",
        rate(one_secs),
        one_secs / pass_secs
    );
    println!(
        "  floor, fair ({indexes} indexes)  {contacts:>7} docs insert_many'd in {fair_secs:>7.2} s = {:>7.0} docs/s; pass ratio {:.2} (goal >= 0.5)",
        rate(fair_secs),
        fair_secs / pass_secs
    );
    println!("    (mean of two runs: {fair_first:.2} s and {fair_second:.2} s)");
    println!("  jobs received             {jobs_received} ({distinct} distinct calls)");
    let how = if reset {
        "VmHWM reset before the pass"
    } else {
        "VmHWM, setup included: the kernel refused the reset"
    };
    println!("  peak memory of the pass   {peak:.0} MiB ({how}; RSS at its start {rss_start:.0} MiB; goal < 256)");
}
