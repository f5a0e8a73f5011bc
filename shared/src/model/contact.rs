use mongodb::bson::{oid::ObjectId, DateTime, Document};
use phonenumber::country;
use serde::{Deserialize, Serialize};

use super::{non_blank, record, IdRef, Number};
use crate::model::phone;

/// `contacts`: a person a user may call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub user_id: ObjectId,
    pub name: String,
    /// As stored: E.164 (`+12155550100`) from this backend, often without a
    /// country code (`2155550100`) from the old app. See [`Contact::phone_e164`].
    pub phone_number: String,
    /// `""` when the owner gave none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub groups: Vec<IdRef>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Free-form columns from imports, such as `purchaseDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    /// The contact's own IANA zone, when known; new in this backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime>,
    #[serde(rename = "__v", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Number>,
}

record!(Contact, "contacts");

impl Contact {
    /// The number in E.164, reading a number stored without a country code
    /// as one of `region`'s (the user's; the US by default).
    pub fn phone_e164(&self, region: Option<country::Id>) -> Option<String> {
        phone::to_e164(&self.phone_number, region).ok()
    }

    pub fn email(&self) -> Option<&str> {
        non_blank(&self.email)
    }

    /// A contact nobody deactivated is active (the Node default).
    pub fn is_active(&self) -> bool {
        self.is_active.unwrap_or(true)
    }
}
