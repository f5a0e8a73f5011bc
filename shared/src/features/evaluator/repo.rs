//! The evaluator's reads and writes of `automations`: claiming a due one
//! for a pass, and recording what the pass did with it in the fields the
//! Node app used.

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

use crate::error::Result;
use crate::features::scheduled_calls::repo::counts::AutomationCounts;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::{Automation, Record};

/// Takes one active automation whose `nextRun` has come (or was never set)
/// out of other passes' reach: its `nextRun` moves to `now + lease`.
/// Answers it as it was before. `updatedAt` stays: nothing the owner set
/// changed.
///
/// A read, then an update whose filter asserts again what was read (due,
/// active, not edited since): of two passes that read the same automation,
/// one update matches and the other reads the next. One `findAndModify`
/// would do both, but SecantusDB scans the whole collection for its
/// write, and an `$or` of the two cases too: claims took a sixth of a
/// 100-automation pass.
pub async fn claim_next(
    db: &Db,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<Automation>> {
    let automations = db.raw(Automation::COLLECTION);
    let at = bson::DateTime::from_chrono(now);
    let lease_until = bson::DateTime::from_chrono(now + lease);
    // Each case rides the `isActive_1_nextRun_1` index.
    for next_run in [Bson::Document(doc! { "$lte": at }), Bson::Null] {
        let due = doc! { "isActive": true, "nextRun": next_run };
        while let Some(found) = automations.find_one(due.clone()).await? {
            let Ok(id) = found.get_object_id("_id") else {
                break;
            };
            let mut unchanged = doc! { "_id": id };
            unchanged.extend(due.clone());
            unchanged.extend(store::updated_at(
                found.get("updatedAt").cloned().unwrap_or(Bson::Null),
            ));
            let claimed = automations
                .update_one(unchanged, doc! { "$set": { "nextRun": lease_until } })
                .await?;
            if claimed.matched_count == 1 {
                return store::decode(found).map(Some);
            }
        }
    }
    Ok(None)
}

/// The reason recorded for a due call to a number on the do-not-call
/// registry.
pub const SKIP_DO_NOT_CALL: &str = "do-not-call";

/// A due call the pass did not record, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub contact_id: ObjectId,
    /// E.164.
    pub phone_number: String,
    pub reason: &'static str,
}

/// One `executionHistory` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryEntry {
    /// The automation was evaluated.
    Success {
        contacts_processed: usize,
        calls_scheduled: usize,
        calls_missed: usize,
        /// Due calls left out (`callsSkipped`, `skipped` in the entry).
        skipped: Vec<Skipped>,
    },
    /// Its timing could not be read: why.
    Error(String),
}

impl HistoryEntry {
    fn to_document(&self, executed_at: DateTime<Utc>) -> Document {
        let executed_at = bson::DateTime::from_chrono(executed_at);
        match self {
            Self::Success {
                contacts_processed,
                calls_scheduled,
                calls_missed,
                skipped,
            } => {
                let mut entry = doc! {
                    "executedAt": executed_at,
                    "contactsProcessed": int32(*contacts_processed),
                    "callsScheduled": int32(*calls_scheduled),
                    "callsMissed": int32(*calls_missed),
                    "status": "success",
                };
                if !skipped.is_empty() {
                    let skipped: Vec<Bson> = skipped
                        .iter()
                        .map(|s| {
                            Bson::Document(doc! {
                                "contactId": s.contact_id,
                                "phoneNumber": &s.phone_number,
                                "reason": s.reason,
                            })
                        })
                        .collect();
                    entry.insert("callsSkipped", int32(skipped.len()));
                    entry.insert("skipped", skipped);
                }
                entry
            }
            Self::Error(error) => doc! {
                "executedAt": executed_at,
                "contactsProcessed": 0,
                "status": "error",
                "error": error,
            },
        }
    }
}

/// What one pass did with an automation.
#[derive(Clone, Debug)]
pub struct Run {
    /// When the pass ran.
    pub at: DateTime<Utc>,
    /// When to look at the automation again.
    pub next_run: DateTime<Utc>,
    /// How many contacts it holds.
    pub contacts: usize,
    /// Its scheduled calls, counted after the pass recorded its own.
    pub calls: AutomationCounts,
    pub entry: HistoryEntry,
    /// Entries kept in `executionHistory`.
    pub history_cap: i32,
}

/// Writes `nextRun`, `lastRun`, the counters and the history entry of
/// `run` on automation `id`.
pub async fn record_run(db: &Db, id: ObjectId, run: &Run) -> Result<()> {
    let automations = db.raw(Automation::COLLECTION);
    // `$push` refuses a `null` history, which some documents hold.
    automations
        .update_one(
            doc! { "_id": id, "executionHistory": null },
            doc! { "$set": { "executionHistory": [] } },
        )
        .await?;
    let count = |n: u64| Bson::Int32(i32::try_from(n).unwrap_or(i32::MAX));
    let entry = run.entry.to_document(run.at);
    let update = Update::new()
        .set("nextRun", bson::DateTime::from_chrono(run.next_run))
        .set("lastRun", bson::DateTime::from_chrono(run.at))
        .set("contactsCount", count(run.contacts as u64))
        .set("pendingCount", count(run.calls.open))
        .set("completedCount", count(run.calls.completed))
        .push(
            "executionHistory",
            doc! { "$each": [entry], "$slice": -run.history_cap },
        );
    automations
        .update_one(doc! { "_id": id }, update.build())
        .await?;
    Ok(())
}

fn int32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
