use mongodb::bson::{oid::ObjectId, DateTime};
use serde::{Deserialize, Serialize};

use super::{record, Number};

/// `donotcall`: one business's request not to call a number, from the
/// agent hearing "stop calling", the owner (`POST /api/do-not-call`) or an
/// import column. Only this backend uses it.
///
/// A removal is recorded (`removedAt`, `removedBy`), never erased; only an
/// active entry carries `activeKey` (`<userId>:<E.164>`), whose unique
/// index lets one active entry per number and business exist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DoNotCall {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub user_id: ObjectId,
    /// E.164.
    pub phone_number: String,
    /// Every form the number may be stored in ([`super::phone::stored_forms`]).
    pub phone_forms: Vec<String>,
    /// `agent`, `manual` or `import`.
    pub source: String,
    /// When the number was registered.
    pub added_at: DateTime,
    /// The user who registered it (manual entries and imports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by: Option<ObjectId>,
    /// The call on which the recipient asked (agent detection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<ObjectId>,
    /// The contact holding the number, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ObjectId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Present while the entry is active; see the type's comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_by: Option<ObjectId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime>,
    #[serde(rename = "__v", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Number>,
}

record!(DoNotCall, "donotcall");

impl DoNotCall {
    /// The `activeKey` of `user_id`'s entry for `e164`.
    pub fn active_key(user_id: ObjectId, e164: &str) -> String {
        format!("{}:{e164}", user_id.to_hex())
    }
}
