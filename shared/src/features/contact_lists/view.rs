//! What the API shows of a contact list.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::http::json::object_json;
use crate::model::ContactList;

/// A contact list as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactListView {
    /// 24-hex id.
    pub id: String,
    pub name: String,
    /// `""` when none was given.
    pub description: String,
    pub color: Option<String>,
    /// Ids of the listed contacts, in the order they were added.
    pub contact_ids: Vec<String>,
    /// The number of entries in the list.
    pub contacts_count: u64,
    /// Lists an automation manages.
    pub is_system: bool,
    #[schema(value_type = Object)]
    pub settings: Value,
    /// Free-form; `lastUsed` is when an automation or call last used the list.
    #[schema(value_type = Object)]
    pub metadata: Value,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<&ContactList> for ContactListView {
    fn from(list: &ContactList) -> Self {
        Self {
            id: list.id.to_hex(),
            name: list.name.clone(),
            description: list.description.clone().unwrap_or_default(),
            color: list.color.clone().filter(|c| !c.is_empty()),
            contact_ids: list.contact_ids().iter().map(|id| id.to_hex()).collect(),
            contacts_count: list.contacts.len() as u64,
            is_system: list.is_system.unwrap_or(false),
            settings: object_json(list.settings.as_ref()),
            metadata: object_json(list.metadata.as_ref()),
            created_at: list.created_at.map(|d| d.to_chrono()),
            updated_at: list.updated_at.map(|d| d.to_chrono()),
        }
    }
}
