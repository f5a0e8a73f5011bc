//! ElevenLabs' post-call webhooks: the call a conversation belongs to,
//! the transcript and analysis stored once, a failed start's reason, and
//! the contact's opt-out.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::Update;
use crate::model::{Call, Contact, Record};

/// What a conversation says that our side recorded on its call when it
/// was placed or answered: never a variable whoever started the
/// conversation could set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationRef {
    /// Twilio's call sids, as ElevenLabs reported them (`twilioCallSid`).
    pub call_sids: Vec<String>,
    /// ElevenLabs' `conversation_id` (`elevenLabsData.conversation_id`).
    pub conversation_id: Option<String>,
}

/// The calls that recorded one of `reference`'s sids or its conversation
/// id: none, the one, or two when they disagree (no more are read).
pub async fn conversation_calls(db: &Db, reference: &ConversationRef) -> Result<Vec<Document>> {
    let mut any = Vec::new();
    if !reference.call_sids.is_empty() {
        any.push(doc! { "twilioCallSid": { "$in": &reference.call_sids } });
    }
    if let Some(conversation) = &reference.conversation_id {
        any.push(doc! { "elevenLabsData.conversation_id": conversation });
    }
    if any.is_empty() {
        return Ok(Vec::new());
    }
    let calls = db
        .raw(Call::COLLECTION)
        .find(doc! { "$or": any })
        .limit(2)
        .await?
        .try_collect()
        .await?;
    Ok(calls)
}

/// The post-call webhook's fields for a call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PostCallRecord {
    /// The turns, as stored in `transcription`.
    pub transcription: Vec<Bson>,
    /// Our `analysis` of the call.
    pub analysis: Document,
    /// What ElevenLabs sent about the conversation, under its own keys,
    /// for `elevenLabsData`.
    pub eleven_labs_data: Document,
    /// `metrics.duration`, seconds; `None` leaves it (Twilio's stays).
    pub duration: Option<Bson>,
    /// `metrics.cost`.
    pub cost: Option<Bson>,
    /// How the report came: `webhook`, or `api` when the evaluator
    /// fetched it (`elevenLabsData.post_call_source`).
    pub source: &'static str,
    /// The agent heard an opt-out: `elevenLabsData.opt_out_pending` is
    /// stored with the report and cleared once the opt-out is recorded,
    /// so a redelivery finishes one that failed half-way.
    pub opt_out_pending: bool,
}

/// Stores `record` on the call `id`, stamped `received_at`, unless a
/// post-call webhook was stored before; `true` when this one was.
pub async fn store_post_call(
    db: &Db,
    id: ObjectId,
    record: PostCallRecord,
    received_at: DateTime,
) -> Result<bool> {
    let mut update = Update::new()
        .set("transcription", record.transcription)
        .set("analysis", record.analysis)
        .set("elevenLabsData.post_call_received_at", received_at)
        .set("elevenLabsData.post_call_source", record.source);
    if record.opt_out_pending {
        update = update.set("elevenLabsData.opt_out_pending", true);
    }
    for (key, value) in record.eleven_labs_data {
        update = update.set(format!("elevenLabsData.{key}"), value);
    }
    if let Some(duration) = record.duration {
        update = update.set("metrics.duration", duration);
    }
    if let Some(cost) = record.cost {
        update = update.set("metrics.cost", cost);
    }
    let stored = db
        .raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": id, "elevenLabsData.post_call_received_at": { "$exists": false } },
            update.stamped_at(received_at).build(),
        )
        .await?;
    Ok(stored.modified_count == 1)
}

/// Records why ElevenLabs could not start the call `id`, the first reason
/// only. `updatedAt` is left to the status this failure then applies.
pub async fn record_failure_reason(db: &Db, id: ObjectId, reason: &str) -> Result<()> {
    db.raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": id, "elevenLabsData.failure_reason": { "$exists": false } },
            doc! { "$set": { "elevenLabsData.failure_reason": reason } },
        )
        .await?;
    Ok(())
}

/// Marks `user_id`'s contact `contact` `optedOut` at `at`; `true` when
/// this changed it.
pub async fn opt_out_contact(
    db: &Db,
    contact: ObjectId,
    user_id: ObjectId,
    at: DateTime,
) -> Result<bool> {
    let update = Update::new()
        .set("optedOut", true)
        .set("optedOutAt", at)
        .stamped_at(at);
    let result = db
        .raw(Contact::COLLECTION)
        .update_one(
            doc! { "_id": contact, "userId": user_id, "optedOut": { "$ne": true } },
            update.build(),
        )
        .await?;
    Ok(result.modified_count == 1)
}

/// The opt-out heard on the call `id` is recorded: its pending mark goes.
pub async fn opt_out_recorded(db: &Db, id: ObjectId) -> Result<()> {
    db.raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": id },
            doc! { "$unset": { "elevenLabsData.opt_out_pending": "" } },
        )
        .await?;
    Ok(())
}
