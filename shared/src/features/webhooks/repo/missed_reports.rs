//! Post-call reports that never arrived: the conversation id a call was
//! connected to, the completed calls still waiting for their report, and
//! the fetch attempts (`elevenLabsData.report_fetch`) claimed with a
//! compare-and-set so two passes never fetch the same call at once.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};

use crate::error::Result;
use crate::infra::db::Db;
use crate::model::{Call, CallStatus, Record};

/// Records ElevenLabs' `conversation` on the call `id`, unless one is
/// there already (the first stays); `true` when this recorded it.
/// `updatedAt` is left as it is.
pub async fn record_conversation_id(db: &Db, id: ObjectId, conversation: &str) -> Result<bool> {
    let result = db
        .raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": id, "elevenLabsData.conversation_id": { "$exists": false } },
            doc! { "$set": { "elevenLabsData.conversation_id": conversation } },
        )
        .await?;
    Ok(result.modified_count == 1)
}

/// Records that the agent `agent_id` was asked to take the call `id`
/// (`register-call` answered): the mark that lets the sweep look for
/// the call's conversation when no id was named. `updatedAt` stays.
pub async fn record_agent(db: &Db, id: ObjectId, agent_id: &str) -> Result<()> {
    db.raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "elevenLabsData.agent_id": agent_id } },
        )
        .await?;
    Ok(())
}

/// Which of `conversations` are already recorded on a call.
pub async fn conversations_taken(db: &Db, conversations: &[String]) -> Result<Vec<String>> {
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<Document> = db
        .raw(Call::COLLECTION)
        .find(doc! { "elevenLabsData.conversation_id": { "$in": conversations } })
        .projection(doc! { "_id": 0, "elevenLabsData.conversation_id": 1 })
        .await?
        .try_collect()
        .await?;
    Ok(found
        .iter()
        .filter_map(|call| {
            let data = call.get_document("elevenLabsData").ok()?;
            Some(data.get_str("conversation_id").ok()?.to_string())
        })
        .collect())
}

/// A completed call still waiting for its post-call report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwaitedReport {
    pub call_id: ObjectId,
    /// `None`: ElevenLabs named none; found through [`Self::lookup`].
    pub conversation_id: Option<String>,
    /// What finds the conversation in ElevenLabs' list when no id is
    /// recorded.
    pub lookup: Option<ConversationLookup>,
    /// Fetches tried so far.
    pub attempts: i64,
}

/// A call whose conversation is looked for in the agent's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationLookup {
    /// The agent `register-call` asked (`elevenLabsData.agent_id`).
    pub agent_id: String,
    pub call_sid: String,
    pub started_at: DateTime,
    pub ended_at: DateTime,
}

/// When to look at a call.
#[derive(Clone, Copy, Debug)]
pub struct AwaitedWindow {
    /// Calls that ended before this (and after `ended_after`).
    pub ended_before: DateTime,
    pub ended_after: DateTime,
    /// Not tried since this.
    pub tried_before: DateTime,
    pub limit: i64,
}

/// The completed calls of `window` with a conversation id (or, without
/// one, with the agent asked, Twilio's sid and start time), no report
/// (no `post_call_received_at`, no transcript), not given up, and not
/// tried lately; oldest end first. Rides `heyway_status_1_endedAt_1`.
pub async fn awaited_reports(db: &Db, window: AwaitedWindow) -> Result<Vec<AwaitedReport>> {
    let filter = doc! {
        "status": CallStatus::Completed.as_str(),
        "endedAt": { "$gte": window.ended_after, "$lte": window.ended_before },
        "elevenLabsData.post_call_received_at": { "$exists": false },
        "elevenLabsData.report_fetch.gave_up_at": { "$exists": false },
        // A call the Node app reported has its turns, and no marker.
        "transcription.0": { "$exists": false },
        "$and": [
            { "$or": [
                { "elevenLabsData.conversation_id": { "$type": "string" } },
                {
                    "elevenLabsData.conversation_id": { "$exists": false },
                    "elevenLabsData.agent_id": { "$type": "string" },
                    "twilioCallSid": { "$type": "string" },
                    "startedAt": { "$type": "date" },
                },
            ] },
            { "$or": [
                { "elevenLabsData.report_fetch.last_attempt_at": { "$exists": false } },
                { "elevenLabsData.report_fetch.last_attempt_at": { "$lte": window.tried_before } },
            ] },
        ],
    };
    let found: Vec<Document> = db
        .raw(Call::COLLECTION)
        .find(filter)
        .projection(doc! {
            "_id": 1, "elevenLabsData": 1, "twilioCallSid": 1, "startedAt": 1, "endedAt": 1,
        })
        .sort(doc! { "endedAt": 1 })
        .limit(window.limit)
        .await?
        .try_collect()
        .await?;
    Ok(found
        .iter()
        .filter_map(|call| {
            let data = call.get_document("elevenLabsData").ok()?;
            let attempts = data
                .get_document("report_fetch")
                .ok()
                .and_then(|f| match f.get("attempts") {
                    Some(Bson::Int32(n)) => Some(i64::from(*n)),
                    Some(Bson::Int64(n)) => Some(*n),
                    Some(Bson::Double(n)) => Some(*n as i64),
                    _ => None,
                })
                .unwrap_or(0);
            let conversation_id = data.get_str("conversation_id").ok().map(str::to_string);
            let lookup = if conversation_id.is_none() {
                Some(ConversationLookup {
                    agent_id: data.get_str("agent_id").ok()?.to_string(),
                    call_sid: call.get_str("twilioCallSid").ok()?.to_string(),
                    started_at: *call.get_datetime("startedAt").ok()?,
                    ended_at: *call.get_datetime("endedAt").ok()?,
                })
            } else {
                None
            };
            Some(AwaitedReport {
                call_id: call.get_object_id("_id").ok()?,
                conversation_id,
                lookup,
                attempts,
            })
        })
        .collect())
}

/// Takes the next fetch of `report` at `at`: `true` when this pass won
/// it (the count was still the one read, no report, not given up).
pub async fn claim_attempt(db: &Db, report: &AwaitedReport, at: DateTime) -> Result<bool> {
    let attempts = if report.attempts == 0 {
        Bson::Document(doc! { "$exists": false })
    } else {
        Bson::Int64(report.attempts)
    };
    let claimed = db
        .raw(Call::COLLECTION)
        .update_one(
            doc! {
                "_id": report.call_id,
                "elevenLabsData.post_call_received_at": { "$exists": false },
                "elevenLabsData.report_fetch.gave_up_at": { "$exists": false },
                "elevenLabsData.report_fetch.attempts": attempts,
            },
            doc! { "$set": {
                "elevenLabsData.report_fetch.attempts": report.attempts + 1,
                "elevenLabsData.report_fetch.last_attempt_at": at,
            } },
        )
        .await?;
    Ok(claimed.modified_count == 1)
}

/// Records why the call `id`'s report is no longer fetched, unless its
/// report arrived meanwhile; `true` when this recorded it.
pub async fn give_up(db: &Db, id: ObjectId, reason: &str, at: DateTime) -> Result<bool> {
    let result = db
        .raw(Call::COLLECTION)
        .update_one(
            doc! {
                "_id": id,
                "elevenLabsData.post_call_received_at": { "$exists": false },
                "elevenLabsData.report_fetch.gave_up_at": { "$exists": false },
            },
            doc! { "$set": {
                "elevenLabsData.report_fetch.gave_up_at": at,
                "elevenLabsData.report_fetch.reason": reason,
            } },
        )
        .await?;
    Ok(result.modified_count == 1)
}

/// Records the last answer that left the report to a later pass.
pub async fn note_attempt(db: &Db, id: ObjectId, outcome: &str) -> Result<()> {
    db.raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "elevenLabsData.report_fetch.last_outcome": outcome } },
        )
        .await?;
    Ok(())
}
