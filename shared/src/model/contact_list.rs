use mongodb::bson::{oid::ObjectId, DateTime, Document};
use serde::{Deserialize, Serialize};

use super::{record, Number};

/// `contactlists`: a named set of contacts. Automations create "system"
/// lists of their own (`isSystem: true`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactList {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub user_id: ObjectId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Entries as the Node app wrote them: `{contactId, addedAt, …}`.
    #[serde(default)]
    pub contacts: Vec<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts_count: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_system: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Document>,
    /// Holds `lastUsed`, which an index sorts on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime>,
    #[serde(rename = "__v", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Number>,
}

record!(ContactList, "contactlists");

impl ContactList {
    /// The ids of the listed contacts, in list order, skipping entries
    /// without a readable `contactId`.
    pub fn contact_ids(&self) -> Vec<ObjectId> {
        self.contacts
            .iter()
            .filter_map(|entry| entry.get_object_id("contactId").ok())
            .collect()
    }
}
