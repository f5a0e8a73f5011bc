//! What the API shows of a group.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::http::json::object_json;
use crate::model::Group;

/// A group of calls as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    /// 24-hex id.
    pub id: String,
    pub name: String,
    /// `""` when none was given.
    pub description: String,
    /// `#rrggbb`.
    pub color: Option<String>,
    /// Ids of the grouped calls.
    pub call_ids: Vec<String>,
    pub is_active: bool,
    #[schema(value_type = Object)]
    pub metadata: Value,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<&Group> for GroupView {
    fn from(group: &Group) -> Self {
        Self {
            id: group.id.to_hex(),
            name: group.name.clone(),
            description: group.description.clone().unwrap_or_default(),
            color: group.color.clone().filter(|c| !c.is_empty()),
            call_ids: group
                .calls
                .iter()
                .filter_map(|call| call.object_id())
                .map(|id| id.to_hex())
                .collect(),
            is_active: group.is_active.unwrap_or(true),
            metadata: object_json(group.metadata.as_ref()),
            created_at: group.created_at.map(|d| d.to_chrono()),
            updated_at: group.updated_at.map(|d| d.to_chrono()),
        }
    }
}
