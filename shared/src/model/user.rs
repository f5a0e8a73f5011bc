use chrono_tz::Tz;
use mongodb::bson::{oid::ObjectId, DateTime, Document};
use serde::{Deserialize, Serialize};

use super::{non_blank, record, Number};

/// `users`: an account. Signs in by email and bcrypt password, or by a
/// phone number verified by SMS (then most email fields are absent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Stored as typed; sign-in compares case-insensitively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// bcrypt hash (`$2b$10$…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_phone_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_verification: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// May be `""` when no caller ID was picked.
    #[serde(
        rename = "preferredCallerID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub preferred_caller_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_minutes: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_calls: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_active_subscription: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_price_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_subscription_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_subscription_item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferences: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_config: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twilio_config: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime>,
    #[serde(rename = "__v", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Number>,
}

record!(User, "users");

impl User {
    /// The caller ID the user picked, if any.
    pub fn preferred_caller_id(&self) -> Option<&str> {
        non_blank(&self.preferred_caller_id)
    }

    pub fn email(&self) -> Option<&str> {
        non_blank(&self.email)
    }

    /// The user's zone, when it names a real IANA zone.
    pub fn time_zone(&self) -> Option<Tz> {
        non_blank(&self.timezone).and_then(|zone| zone.parse().ok())
    }

    /// The region whose numbers the user writes without a country code:
    /// `preferences.region` (ISO 3166 code such as `GB`) when set, else the
    /// country of the user's own phone number; `None` means the default
    /// (US).
    pub fn phone_region(&self) -> Option<phonenumber::country::Id> {
        let preferred = self
            .preferences
            .as_ref()
            .and_then(|p| p.get_str("region").ok())
            .and_then(|code| code.trim().to_ascii_uppercase().parse().ok());
        preferred.or_else(|| {
            let own = non_blank(&self.phone_number)?;
            phonenumber::parse(None, own).ok()?.country().id()
        })
    }

    pub fn free_minutes(&self) -> f64 {
        self.free_minutes.map_or(0.0, Number::as_f64)
    }
}
