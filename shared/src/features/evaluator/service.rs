//! One evaluator pass: every automation whose `nextRun` has come records
//! its due calls and sends those due now to the dial queue at once; then
//! the sweep enqueues whatever else is due (manual calls, callbacks,
//! refused jobs, what a stopped pass left).
//!
//! Safe to run twice or concurrently: an automation is claimed with a
//! lease on `nextRun` so one pass evaluates it, each occurrence is recorded
//! once under the unique `dedupeKey` and sent by the pass that recorded it
//! ([`scheduled_calls::handoff`]), and the sweep claims calls with a token
//! before sending them.

use std::time::Instant;

use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;
use serde::Serialize;

use super::repo::{self, HistoryEntry, Run, Skipped, SKIP_DO_NOT_CALL};
use super::settings::EvaluatorSettings;
use crate::error::Result;
use crate::features::automations::repo::active_contacts;
use crate::features::do_not_call;
use crate::features::scheduled_calls::{self, record_and_send, SweepReport};
use crate::infra::db::Db;
use crate::infra::queue::DialQueue;
use crate::infra::store;
use crate::model::{Automation, NewScheduledCall, User};
use crate::schedule::plan::{self, Window};
use crate::schedule::QuietHours;

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
    /// Milliseconds spent evaluating automations, of which recording calls
    /// and sending those due now.
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
    let started = Instant::now();
    while let Some(automation) = repo::claim_next(db, now, settings.lease).await? {
        report.automations += 1;
        evaluate(db, queue, &automation, now, settings, &mut report).await?;
    }
    report.evaluate_ms = millis(started);
    let started = Instant::now();
    let swept: SweepReport =
        scheduled_calls::enqueue_due(db, queue, now, settings.max_lateness, ObjectId::new())
            .await?;
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

/// Records `automation`'s due calls, sends those due now, and records
/// when to look at it again.
async fn evaluate(
    db: &Db,
    queue: &DialQueue,
    automation: &Automation,
    now: DateTime<Utc>,
    settings: EvaluatorSettings,
    report: &mut PassReport,
) -> Result<()> {
    let timing = match automation.timing() {
        Ok(timing) => timing,
        Err(error) => {
            tracing::warn!(automation = %automation.id, %error, "automation timing unreadable");
            report.errors += 1;
            let entry = HistoryEntry::Error(error.to_string());
            let next_run = now + settings.recheck_after;
            return finish(db, automation, now, next_run, entry, settings).await;
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
        send_now: true,
    };
    let plan = plan::due_calls(automation, &timing, &contacts, quiet, window);
    let (due, skipped) = without_do_not_call(db, automation.user_id, plan.due).await?;
    let started = Instant::now();
    let recorded = record_and_send(db, queue, &due, now).await?;
    report.record_ms += millis(started);
    report.recorded += recorded.recorded;
    report.missed += recorded.missed;
    report.duplicates += recorded.duplicates;
    report.enqueued += recorded.enqueued;
    report.enqueue_failed += recorded.enqueue_failed;

    let next_run = plan.next_call.map_or(now + settings.recheck_after, |next| {
        next.min(now + settings.recheck_after)
    });
    let entry = HistoryEntry::Success {
        contacts_processed: contacts.len(),
        calls_scheduled: recorded.recorded,
        calls_missed: recorded.missed,
        skipped,
    };
    finish(db, automation, now, next_run, entry, settings).await
}

/// `due` without the calls to numbers on the owner's do-not-call registry,
/// and those left out, each with its reason.
async fn without_do_not_call(
    db: &Db,
    user_id: ObjectId,
    due: Vec<NewScheduledCall>,
) -> Result<(Vec<NewScheduledCall>, Vec<Skipped>)> {
    let numbers: Vec<String> = due.iter().map(|call| call.phone_e164.clone()).collect();
    let registered = do_not_call::registered_among(db, user_id, &numbers).await?;
    if registered.is_empty() {
        return Ok((due, Vec::new()));
    }
    let (skip, keep): (Vec<_>, Vec<_>) = due
        .into_iter()
        .partition(|call| registered.contains(&call.phone_e164));
    let skipped = skip
        .into_iter()
        .map(|call| Skipped {
            contact_id: call.contact.id,
            phone_number: call.phone_e164,
            reason: SKIP_DO_NOT_CALL,
        })
        .collect();
    Ok((keep, skipped))
}

/// Records the pass on `automation`: when to look again, the counters and
/// a history entry.
async fn finish(
    db: &Db,
    automation: &Automation,
    now: DateTime<Utc>,
    next_run: DateTime<Utc>,
    entry: HistoryEntry,
    settings: EvaluatorSettings,
) -> Result<()> {
    let run = Run {
        at: now,
        next_run,
        contacts: automation.contact_ids().len(),
        calls: scheduled_calls::repo::counts::automation_counts(db, automation.id).await?,
        entry,
        history_cap: settings.history_cap,
    };
    repo::record_run(db, automation.id, &run).await
}
