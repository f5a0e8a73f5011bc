//! One evaluator pass: every automation whose `nextRun` has come records
//! its due calls, then the sweep enqueues everything due.
//!
//! Safe to run twice or concurrently: an automation is claimed with a
//! lease on `nextRun` so one pass evaluates it, each occurrence is recorded
//! once under the unique `dedupeKey`, and the sweep claims calls with a
//! token before sending them.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use mongodb::options::ReturnDocument;
use serde::Serialize;

use crate::error::Result;
use crate::features::automations::repo::active_contacts;
use crate::features::scheduled_calls::{self, record_all, SweepReport};
use crate::infra::db::Db;
use crate::infra::queue::DialQueue;
use crate::infra::store;
use crate::model::scheduled_call::status;
use crate::model::{Automation, Record, ScheduledCall, User};
use crate::schedule::plan::{self, Window};
use crate::schedule::QuietHours;

/// How the evaluator behaves; from the environment in production.
#[derive(Clone, Copy, Debug)]
pub struct EvaluatorSettings {
    /// A call found later than this is recorded as missed, not placed.
    pub max_lateness: Duration,
    /// Entries kept in `executionHistory`.
    pub history_cap: i32,
    /// An automation with nothing upcoming is looked at again after this,
    /// so edits made by other writers are picked up.
    pub recheck_after: Duration,
    /// How long a claimed automation stays out of other passes.
    pub lease: Duration,
}

impl Default for EvaluatorSettings {
    fn default() -> Self {
        Self {
            max_lateness: Duration::hours(3),
            history_cap: 50,
            recheck_after: Duration::hours(24),
            lease: Duration::minutes(5),
        }
    }
}

impl EvaluatorSettings {
    pub fn from_config(config: &crate::Config) -> Self {
        Self {
            max_lateness: Duration::minutes(
                i64::try_from(config.max_call_lateness_minutes).unwrap_or(i64::MAX / 60_000),
            ),
            ..Self::default()
        }
    }
}

/// What a pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassReport {
    pub automations: usize,
    pub recorded: usize,
    pub missed: usize,
    pub duplicates: usize,
    pub enqueued: usize,
    pub enqueue_failed: usize,
    /// Automations whose timing could not be read.
    pub errors: usize,
    /// Milliseconds spent evaluating automations, of which recording calls.
    pub evaluate_ms: u64,
    pub record_ms: u64,
    /// Milliseconds spent in the sweep.
    pub sweep_ms: u64,
    /// Calls stuck in `processing` that the pass ended
    /// ([`scheduled_calls::reconcile`]).
    pub settled: usize,
}

/// Runs one pass at `now`.
pub async fn run_pass(
    db: &Db,
    queue: &DialQueue,
    now: DateTime<Utc>,
    settings: EvaluatorSettings,
) -> Result<PassReport> {
    let mut report = PassReport::default();
    // Calls due now are recorded already claimed with the sweep's token, so
    // the sweep sends them without rewriting each one first.
    let sweep_token = ObjectId::new();
    let started = Instant::now();
    while let Some(automation) = claim_next(db, now, settings).await? {
        report.automations += 1;
        evaluate(db, &automation, now, settings, sweep_token, &mut report).await?;
    }
    report.evaluate_ms = millis(started);
    let started = Instant::now();
    let swept: SweepReport =
        scheduled_calls::enqueue_due(db, queue, now, settings.max_lateness, sweep_token).await?;
    report.sweep_ms = millis(started);
    report.enqueued += swept.enqueued;
    report.enqueue_failed += swept.failed;
    report.missed += swept.missed;
    let settled = scheduled_calls::reconcile::settle_stuck(db, now).await?;
    report.settled = settled.settled + settled.expired;
    tracing::info!(report = ?report, at = %now, "evaluator pass");
    Ok(report)
}

fn millis(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Takes one due automation out of other passes' reach for the lease.
async fn claim_next(
    db: &Db,
    now: DateTime<Utc>,
    settings: EvaluatorSettings,
) -> Result<Option<Automation>> {
    let at = bson::DateTime::from_chrono(now);
    let claimed = db
        .raw(Automation::COLLECTION)
        .find_one_and_update(
            doc! { "isActive": true, "$or": [ { "nextRun": { "$lte": at } }, { "nextRun": null } ] },
            doc! { "$set": { "nextRun": bson::DateTime::from_chrono(now + settings.lease) } },
        )
        .return_document(ReturnDocument::Before)
        .await?;
    claimed.map(store::decode).transpose()
}

async fn evaluate(
    db: &Db,
    automation: &Automation,
    now: DateTime<Utc>,
    settings: EvaluatorSettings,
    sweep_token: ObjectId,
    report: &mut PassReport,
) -> Result<()> {
    let timing = match automation.timing() {
        Ok(timing) => timing,
        Err(error) => {
            tracing::warn!(automation = %automation.id, %error, "automation timing unreadable");
            report.errors += 1;
            let entry = doc! { "executedAt": bson::DateTime::from_chrono(now), "contactsProcessed": 0, "status": "error", "error": error.to_string() };
            return finish(
                db,
                automation,
                now,
                now + settings.recheck_after,
                entry,
                settings,
            )
            .await;
        }
    };
    let owner: Option<User> = store::find_by_id(db, automation.user_id).await?;
    let quiet = QuietHours::from_preferences(owner.as_ref().and_then(|u| u.preferences.as_ref()));
    let contacts = active_contacts(db, automation).await?;
    let since = automation
        .last_run
        .or(automation.created_at)
        .map_or(now - settings.recheck_after, |at| at.to_chrono());
    let window = Window {
        since,
        now,
        max_lateness: settings.max_lateness,
        claim: Some(sweep_token),
    };
    let plan = plan::due_calls(automation, &timing, &contacts, quiet, window);
    let started = Instant::now();
    let recorded = record_all(db, &plan.due).await?;
    report.record_ms += millis(started);
    report.recorded += recorded.recorded;
    report.missed += recorded.missed;
    report.duplicates += recorded.duplicates;

    let next_run = plan.next_call.map_or(now + settings.recheck_after, |next| {
        next.min(now + settings.recheck_after)
    });
    let entry = doc! {
        "executedAt": bson::DateTime::from_chrono(now),
        "contactsProcessed": i32::try_from(contacts.len()).unwrap_or(i32::MAX),
        "callsScheduled": i32::try_from(recorded.recorded).unwrap_or(i32::MAX),
        "callsMissed": i32::try_from(recorded.missed).unwrap_or(i32::MAX),
        "status": "success",
    };
    finish(db, automation, now, next_run, entry, settings).await
}

/// Writes `nextRun`, `lastRun`, the counters and a history entry in the
/// fields the Node app used.
async fn finish(
    db: &Db,
    automation: &Automation,
    now: DateTime<Utc>,
    next_run: DateTime<Utc>,
    entry: Document,
    settings: EvaluatorSettings,
) -> Result<()> {
    let calls = db.raw(ScheduledCall::COLLECTION);
    let pending = calls
        .count_documents(
            doc! { "automationId": automation.id, "status": { "$in": status::OPEN.to_vec() } },
        )
        .await?;
    let completed = calls
        .count_documents(doc! { "automationId": automation.id, "status": status::COMPLETED })
        .await?;
    let count = |n: u64| Bson::Int32(i32::try_from(n).unwrap_or(i32::MAX));
    let automations = db.raw(Automation::COLLECTION);
    // `$push` refuses a `null` history, which some documents hold.
    automations
        .update_one(
            doc! { "_id": automation.id, "executionHistory": null },
            doc! { "$set": { "executionHistory": [] } },
        )
        .await?;
    automations
        .update_one(
            doc! { "_id": automation.id },
            doc! {
                "$set": {
                    "nextRun": bson::DateTime::from_chrono(next_run),
                    "lastRun": bson::DateTime::from_chrono(now),
                    "contactsCount": count(automation.contact_ids().len() as u64),
                    "pendingCount": count(pending),
                    "completedCount": count(completed),
                    "updatedAt": bson::DateTime::now(),
                },
                "$push": { "executionHistory": { "$each": [entry], "$slice": -settings.history_cap } },
            },
        )
        .await?;
    Ok(())
}
