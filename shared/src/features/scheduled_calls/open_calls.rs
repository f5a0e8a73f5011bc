//! One open manual call per contact (or number): a manual call to a
//! callee who already has one pending, queued or in progress is a 409
//! naming that call, unless the request says `"allowConcurrent": true`.
//! Without this, a double-click on "call now" rang a customer twice.
//!
//! The rule is atomic: each manual call is recorded holding its callee's
//! key (`manualOpenKey`, `<userId>:contact:<id>` or
//! `<userId>:number:<E.164>`) under a unique sparse index, so of two
//! concurrent requests the database lets one insert and refuses the
//! other. Every write that ends a scheduled call (cancel, missed, the
//! dialer's finish, the status webhook, reconcile) `$unset`s the key. A
//! call that ended some other way (an automation deleted, say) keeps its
//! key until the next manual call to that callee finds it ended and
//! frees it, so a missed `$unset` costs one extra write, never a blocked
//! contact. Legacy documents never hold the key; open legacy manual calls
//! of the contact are found by a query first.

use mongodb::bson::oid::ObjectId;

use super::repo::inserts::{self, CheckedCall};
use super::repo::open;
use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::model::{ScheduledCall, ScheduledCallStatus};

/// Tries of an insert that met a key held by an ended call.
const ATTEMPTS: usize = 3;

/// The callee's key: its contact, else its number.
fn open_key(call: &CheckedCall) -> String {
    match call.contact_id {
        Some(contact) => format!("{}:contact:{}", call.user_id.to_hex(), contact.to_hex()),
        None => format!("{}:number:{}", call.user_id.to_hex(), call.phone_e164),
    }
}

/// The request field a conflict names.
fn field(call: &CheckedCall) -> &'static str {
    if call.contact_id.is_some() {
        "contactId"
    } else {
        "phoneNumber"
    }
}

/// Records `call`, unless its callee has an open manual call and
/// `allow_concurrent` is false: then a 409 naming that call.
pub async fn record(db: &Db, call: &CheckedCall, allow_concurrent: bool) -> Result<ScheduledCall> {
    if allow_concurrent {
        return inserted(inserts::insert_manual(db, call, None).await?);
    }
    if let Some(contact) = call.contact_id {
        if let Some(open) = open::open_call_to_contact(db, call.user_id, contact).await? {
            return Err(busy(&open, field(call)));
        }
    }
    let key = open_key(call);
    for _ in 0..ATTEMPTS {
        if let Some(recorded) = inserts::insert_manual(db, call, Some(&key)).await? {
            return Ok(recorded);
        }
        match open::holder(db, call.user_id, &key).await? {
            Some(holder) if is_open(&holder) => return Err(busy(&holder, field(call))),
            Some(ended) => {
                open::free_from_ended(db, ended.id, &key).await?;
            }
            // Freed meanwhile: try again.
            None => {}
        }
    }
    Err(Error::Conflict {
        field: Some(field(call).into()),
        message: "another call to this callee is being recorded; try again".into(),
    })
}

fn inserted(recorded: Option<ScheduledCall>) -> Result<ScheduledCall> {
    recorded.ok_or_else(|| Error::Internal("a call recorded without a key met one".into()))
}

/// Whether `call` is still open (a status this backend does not know
/// counts as ended, so its key can be freed).
fn is_open(call: &ScheduledCall) -> bool {
    ScheduledCallStatus::parse(&call.status)
        .is_some_and(|status| ScheduledCallStatus::OPEN.contains(&status))
}

/// The 409 naming the open call `open`.
fn busy(open: &ScheduledCall, field: &str) -> Error {
    Error::Conflict {
        field: Some(field.into()),
        message: busy_message(open.id, &open.status),
    }
}

fn busy_message(id: ObjectId, status: &str) -> String {
    let id = id.to_hex();
    format!(
        "this callee already has an open call: scheduled call {id} ({status}). \
         Cancel it (DELETE /api/scheduled-calls/{id}), wait for it to end, \
         or send \"allowConcurrent\": true to call anyway"
    )
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn call(contact_id: Option<ObjectId>) -> CheckedCall {
        CheckedCall {
            user_id: ObjectId::parse_str("64b000000000000000000001").unwrap(),
            name: "Sam".into(),
            phone_e164: "+12155550100".into(),
            email: String::new(),
            contact_id,
            notes: String::new(),
            scheduled_time: Utc::now(),
            call_mode: "ai-only",
            automation_id: None,
            claim: None,
        }
    }

    #[test]
    fn the_key_is_the_users_contact_or_number() {
        let contact = ObjectId::parse_str("64b000000000000000000002").unwrap();
        assert_eq!(
            open_key(&call(Some(contact))),
            "64b000000000000000000001:contact:64b000000000000000000002"
        );
        assert_eq!(field(&call(Some(contact))), "contactId");
        assert_eq!(
            open_key(&call(None)),
            "64b000000000000000000001:number:+12155550100"
        );
        assert_eq!(field(&call(None)), "phoneNumber");
    }

    #[test]
    fn the_conflict_names_the_open_call() {
        let id = ObjectId::new();
        let message = busy_message(id, "queued");
        assert!(message.contains(&id.to_hex()), "{message}");
        assert!(message.contains("(queued)"), "{message}");
        assert!(message.contains("allowConcurrent"), "{message}");
    }
}
