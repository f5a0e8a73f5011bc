use mongodb::bson::{oid::ObjectId, DateTime};
use serde::{Deserialize, Serialize};

use super::{record, Number};

/// `subscriptions`: a user's plan. Older documents come from app-store
/// receipts (`productId`, `receiptData`, all `null` in production), newer
/// ones from Stripe or from the App Store's signed transactions and
/// notifications (`features::apple_subscriptions`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub user_id: ObjectId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_date: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_period_start: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_period_end: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls_used_this_period: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_limit: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_receipt_validation: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_price_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_subscription_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_subscription_item_id: Option<String>,
    /// Ours: the `created` time of the last Stripe event applied, so an
    /// older event delivered late does not roll the state back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_stripe_event_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime>,
    #[serde(rename = "__v", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Number>,
}

record!(Subscription, "subscriptions");

impl Subscription {
    /// The statuses of a subscription that gives the plan: Stripe's
    /// `active` and `trialing`, and the App Store's billing grace period
    /// (`grace_period`), during which Apple keeps the subscriber's
    /// service on while it retries the payment.
    pub const ACTIVE_STATUSES: [&'static str; 3] = ["active", "trialing", "grace_period"];

    /// Stripe's and the app stores' statuses that let a user place calls.
    pub fn is_active(&self) -> bool {
        Self::ACTIVE_STATUSES.contains(&self.status.as_str())
    }
}
