//! A scheduled call ended with its call's outcome: from `processing`, or
//! corrected from `completed` when a machine was reported late.

use mongodb::bson::{doc, oid::ObjectId, Bson};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::Update;
use crate::model::scheduled_call::MANUAL_OPEN_KEY;
use crate::model::{Record, ScheduledCall, ScheduledCallStatus};

/// The end written onto a scheduled call; a manual call gives up its
/// open key (`model::scheduled_call::MANUAL_OPEN_KEY`).
fn end(status: ScheduledCallStatus, message: Option<&str>) -> Update {
    Update::new()
        .set("status", status)
        .set("errorMessage", message.map_or(Bson::Null, Bson::from))
        .unset(MANUAL_OPEN_KEY)
}

/// Ends the scheduled call `id` in `status` with the owner-facing
/// `message`, if it is still `processing`; its lease goes.
pub async fn end_processing(
    db: &Db,
    id: ObjectId,
    status: ScheduledCallStatus,
    message: Option<&str>,
) -> Result<()> {
    let update = end(status, message).unset("leaseUntil");
    db.raw(ScheduledCall::COLLECTION)
        .update_one(
            doc! { "_id": id, "status": ScheduledCallStatus::Processing },
            update.build(),
        )
        .await?;
    Ok(())
}

/// Moves the scheduled call `id`, ended `completed` by the call `call_id`,
/// to `status` with `message`; `true` when it was so ended and moved.
pub async fn correct_answered_end(
    db: &Db,
    id: ObjectId,
    call_id: ObjectId,
    status: ScheduledCallStatus,
    message: Option<&str>,
) -> Result<bool> {
    let filter = doc! {
        "_id": id,
        "status": ScheduledCallStatus::Completed,
        "callId": call_id,
    };
    let result = db
        .raw(ScheduledCall::COLLECTION)
        .update_one(filter, end(status, message).build())
        .await?;
    Ok(result.modified_count == 1)
}
