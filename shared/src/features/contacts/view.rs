//! The JSON shape of a contact the API answers with.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::json::document_to_json;
use crate::model::{Contact, IdRef};

/// A contact as the frontend reads it: ids as hex, dates as RFC 3339, the
/// number in E.164 whatever form the old app stored it in.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    pub id: String,
    pub name: String,
    /// E.164 when the stored number parses (legacy `2155550123` reads as
    /// `+12155550123`), else exactly as stored.
    pub phone_number: String,
    /// `null` when none is stored (production stores `""`).
    pub email: Option<String>,
    pub tags: Vec<String>,
    /// Group ids as hex.
    pub groups: Vec<String>,
    /// Free-form columns, such as `purchaseDate` from an import.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub is_active: bool,
    /// The contact's IANA zone, when known.
    pub timezone: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<&Contact> for ContactView {
    fn from(contact: &Contact) -> Self {
        Self {
            id: contact.id.to_hex(),
            name: contact.name.clone(),
            phone_number: contact
                .phone_e164(None)
                .unwrap_or_else(|| contact.phone_number.clone()),
            email: contact.email().map(str::to_string),
            tags: contact.tags.clone(),
            groups: contact.groups.iter().map(group_hex).collect(),
            metadata: contact
                .metadata
                .as_ref()
                .map_or_else(|| serde_json::json!({}), document_to_json),
            is_active: contact.is_active(),
            timezone: contact
                .timezone
                .as_deref()
                .map(str::trim)
                .filter(|zone| !zone.is_empty())
                .map(str::to_string),
            created_at: contact.created_at.map(|at| at.to_chrono()),
            updated_at: contact.updated_at.map(|at| at.to_chrono()),
        }
    }
}

impl From<Contact> for ContactView {
    fn from(contact: Contact) -> Self {
        Self::from(&contact)
    }
}

/// A group reference as hex; text that is not an id is shown as stored
/// rather than dropped, so nothing the old app wrote disappears.
fn group_hex(group: &IdRef) -> String {
    match (group.object_id(), group) {
        (Some(id), _) => id.to_hex(),
        (None, IdRef::Text(text)) => text.clone(),
        (None, IdRef::Id(id)) => id.to_hex(),
    }
}
