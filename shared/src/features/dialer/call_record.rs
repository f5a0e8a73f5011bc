//! The `calls` document of a placed call: its identity, fixed before it is
//! written, and what it says about whom the call rings
//! ([`super::repo::calls`] writes it).

use chrono::{DateTime, Utc};
use mongodb::bson::{self, oid::ObjectId};

use super::repo::calls::{self, CallRecord};
use super::script::Script;
use super::Ready;
use crate::error::Result;
use crate::infra::db::Db;
use crate::model::ScheduledCall;

/// The new call's identity, fixed before it is written.
#[derive(Clone, Debug)]
pub struct NewCall {
    pub id: ObjectId,
    pub session_id: String,
}

impl NewCall {
    pub fn new() -> Self {
        Self {
            id: ObjectId::new(),
            session_id: bson::Uuid::new().to_string(),
        }
    }
}

impl Default for NewCall {
    fn default() -> Self {
        Self::new()
    }
}

/// Inserts the `calls` document for `scheduled`, placed at `now`.
pub async fn insert(
    db: &Db,
    new: &NewCall,
    scheduled: &ScheduledCall,
    ready: &Ready,
    script: &Script,
    now: DateTime<Utc>,
) -> Result<()> {
    let record = CallRecord {
        new,
        user_id: scheduled.user_id,
        scheduled_call_id: scheduled.id,
        automation_id: scheduled.automation_id,
        contact_id: ready.contact.as_ref().map(|c| c.id),
        callee_name: callee_name(scheduled, ready),
        to: &ready.to,
        from: &ready.from,
        script,
        started_at: now,
    };
    calls::insert(db, &record).await
}

/// The contact's name, else the name the call was scheduled with.
fn callee_name(scheduled: &ScheduledCall, ready: &Ready) -> String {
    ready
        .contact
        .as_ref()
        .map(|c| c.name.clone())
        .or_else(|| {
            scheduled
                .recipients
                .first()
                .and_then(|r| r.get_str("name").ok())
                .map(str::to_string)
        })
        .unwrap_or_default()
}
