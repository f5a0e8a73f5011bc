use mongodb::bson::{oid::ObjectId, DateTime};
use serde::{Deserialize, Serialize};

use super::{record, Number};

/// `usage`: metered minutes per Stripe customer for the current period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Stripe customer (`cus_…`); `null` on some production documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Fractional minutes (`1.1099999999999999`), or int32 when whole.
    pub minutes_used: Number,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_date: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime>,
    #[serde(rename = "__v", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Number>,
}

record!(Usage, "usage");
