//! The open manual calls of a contact or a number: found by the key they
//! hold (`manualOpenKey`), or, for calls recorded without it (legacy ones,
//! `allowConcurrent` ones), by their contact; and a key freed from a call
//! that ended without giving it up.

use mongodb::bson::{doc, oid::ObjectId};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::scheduled_call::MANUAL_OPEN_KEY;
use crate::model::{Record, ScheduledCall, ScheduledCallStatus};

/// The call of `user_id` that holds `key`, whatever its status.
pub async fn holder(db: &Db, user_id: ObjectId, key: &str) -> Result<Option<ScheduledCall>> {
    store::find_one(db, doc! { "userId": user_id, MANUAL_OPEN_KEY: key }).await
}

/// One open manual call (no automation) of `user_id` to `contact_id`, by
/// the `contactId` this backend writes or the recipient's, as the Node
/// app wrote it.
pub async fn open_call_to_contact(
    db: &Db,
    user_id: ObjectId,
    contact_id: ObjectId,
) -> Result<Option<ScheduledCall>> {
    let open = ScheduledCallStatus::strings(&ScheduledCallStatus::OPEN);
    let filter = doc! {
        "userId": user_id,
        "status": { "$in": open },
        "automationId": null,
        "$or": [{ "contactId": contact_id }, { "recipients.contactId": contact_id }],
    };
    store::find_one(db, filter).await
}

/// Frees `key` from call `id` if the call is no longer open: a write
/// that ended it did not `$unset` the key. `false` when the call holds no
/// such key or is open.
pub async fn free_from_ended(db: &Db, id: ObjectId, key: &str) -> Result<bool> {
    let open = ScheduledCallStatus::strings(&ScheduledCallStatus::OPEN);
    let result = db
        .raw(ScheduledCall::COLLECTION)
        .update_one(
            doc! { "_id": id, MANUAL_OPEN_KEY: key, "status": { "$nin": open } },
            Update::new().unset(MANUAL_OPEN_KEY).build(),
        )
        .await?;
    Ok(result.modified_count == 1)
}
