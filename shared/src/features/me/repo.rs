//! `users`, as the profile writes it: the fields `PATCH /api/me` may
//! change.

use mongodb::bson::{doc, oid::ObjectId, Bson, Document};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::User;

/// The profile fields to change; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileChanges {
    pub name: Option<String>,
    /// An IANA zone name.
    pub timezone: Option<String>,
    /// E.164, or `""` for none.
    pub preferred_caller_id: Option<String>,
    /// The whole merged sub-document.
    pub preferences: Option<Document>,
    /// The whole merged sub-document.
    pub ai_config: Option<Document>,
}

/// Writes `changes` onto user `user_id` with one update; nothing when
/// there are none. Fails with `NotFound` when the user is gone.
pub async fn save_profile(db: &Db, user_id: ObjectId, changes: ProfileChanges) -> Result<()> {
    let mut update = Update::new();
    let fields: [(&str, Option<Bson>); 5] = [
        ("name", changes.name.map(Into::into)),
        ("timezone", changes.timezone.map(Into::into)),
        (
            "preferredCallerID",
            changes.preferred_caller_id.map(Into::into),
        ),
        ("preferences", changes.preferences.map(Into::into)),
        ("aiConfig", changes.ai_config.map(Into::into)),
    ];
    for (field, value) in fields {
        if let Some(value) = value {
            update = update.set(field, value);
        }
    }
    if update.fields().is_empty() {
        return Ok(());
    }
    store::update_one::<User>(db, doc! { "_id": user_id }, update).await
}
