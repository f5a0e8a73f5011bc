//! A call's progress as Twilio reports it: the call read by id or by its
//! `CallSid`, and the conditional updates that keep the first sid, the
//! first `answeredBy` and a status that only moves forward.

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Document};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::Update;
use crate::model::{node_json, Call, CallStatus, Record};

/// The call `id`, as stored (a raw `calls` document: the webhooks read
/// fields the model does not know).
pub async fn find_call(db: &Db, id: ObjectId) -> Result<Option<Document>> {
    Ok(db
        .raw(Call::COLLECTION)
        .find_one(doc! { "_id": id })
        .await?)
}

/// The inbound call Twilio's `sid` names, if one was recorded.
pub async fn inbound_call_id_by_sid(db: &Db, sid: &str) -> Result<Option<ObjectId>> {
    let call = db
        .raw(Call::COLLECTION)
        .find_one(doc! { "twilioCallSid": sid, "isInbound": true })
        .projection(doc! { "_id": 1 })
        .await?;
    Ok(call.and_then(|call| call.get_object_id("_id").ok()))
}

/// Records Twilio's `sid` on the call `id` unless it has one (Twilio can
/// call back before the dialer stored it). `updatedAt` is left as it is.
pub async fn record_sid(db: &Db, id: ObjectId, sid: &str) -> Result<()> {
    db.raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": id, "twilioCallSid": { "$exists": false } },
            doc! { "$set": { "twilioCallSid": sid } },
        )
        .await?;
    Ok(())
}

/// Records that the call `id`'s message was left on a voicemail box
/// (`voicemailLeft: true`, `voicemailLeftAt`), once.
pub async fn record_voicemail_left(db: &Db, id: ObjectId, now: DateTime<Utc>) -> Result<()> {
    let update = Update::new()
        .set("voicemailLeft", true)
        .set("voicemailLeftAt", bson::DateTime::from_chrono(now))
        .stamped_at(now);
    db.raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": id, "voicemailLeft": { "$ne": true } },
            update.build(),
        )
        .await?;
    Ok(())
}

/// Records `answered_by` on the call `id` unless it has one: the first
/// answer stays.
pub async fn record_answered_by(
    db: &Db,
    id: ObjectId,
    answered_by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let update = Update::new().set("answeredBy", answered_by).stamped_at(now);
    db.raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": id, "answeredBy": { "$exists": false } },
            update.build(),
        )
        .await?;
    Ok(())
}

/// How a call ended, recorded with its final status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ending {
    pub ended_at: DateTime<Utc>,
    /// Twilio's `CallDuration`, whole seconds.
    pub duration_secs: Option<i64>,
}

/// Moves the call `id` to `status` (with its `ending` when final) if it
/// is in a status `status` may replace; `true` when it moved.
pub async fn advance_status(
    db: &Db,
    id: ObjectId,
    status: CallStatus,
    ending: Option<Ending>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut update = Update::new().set("status", status);
    if let Some(ending) = ending {
        update = update.set("endedAt", bson::DateTime::from_chrono(ending.ended_at));
        if let Some(duration) = ending.duration_secs {
            // Whole seconds, well inside int32: stored as Node would.
            #[allow(clippy::cast_precision_loss)]
            let duration = node_json::number(duration as f64);
            update = update.set("metrics.duration", duration);
        }
    }
    let replaceable = CallStatus::strings(&status.replaceable());
    let result = db
        .raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": id, "status": { "$in": replaceable } },
            update.stamped_at(now).build(),
        )
        .await?;
    Ok(result.modified_count == 1)
}
