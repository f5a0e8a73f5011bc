//! What `POST /api/subscriptions/apple` answers: the App Store
//! subscription as recorded.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::Subscription;

/// The App Store subscription recorded for the user.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppleSubscriptionView {
    /// `paid` while the subscription lets the user call, else `free`.
    pub plan: String,
    /// `active`, `grace_period` (Apple is retrying the payment; service
    /// continues until `endDate`), `past_due` (retrying, no service),
    /// `expired`, `refunded` or `revoked`.
    pub status: String,
    /// Whether the user may place calls by subscription (this one or
    /// another).
    pub has_active_subscription: bool,
    pub product_id: Option<String>,
    pub transaction_id: Option<String>,
    pub original_transaction_id: Option<String>,
    pub start_date: Option<DateTime<Utc>>,
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    /// The next renewal, while auto-renew is on.
    pub renewal_date: Option<DateTime<Utc>>,
    /// When the service ends (or ended) when it does not renew.
    pub end_date: Option<DateTime<Utc>>,
    /// When the App Store's signed data was last checked.
    pub last_receipt_validation: Option<DateTime<Utc>>,
    /// `valid`, or `invalid` once Apple took the purchase back.
    pub validation_status: Option<String>,
}

impl AppleSubscriptionView {
    pub fn of(sub: &Subscription, has_active_subscription: bool) -> Self {
        let date = |d: Option<mongodb::bson::DateTime>| d.map(|d| d.to_chrono());
        Self {
            plan: sub.plan.clone().unwrap_or_else(|| "free".to_string()),
            status: sub.status.clone(),
            has_active_subscription,
            product_id: sub.product_id.clone(),
            transaction_id: sub.transaction_id.clone(),
            original_transaction_id: sub.original_transaction_id.clone(),
            start_date: date(sub.start_date),
            current_period_start: date(sub.current_period_start),
            current_period_end: date(sub.current_period_end),
            renewal_date: date(sub.renewal_date),
            end_date: date(sub.end_date),
            last_receipt_validation: date(sub.last_receipt_validation),
            validation_status: sub.validation_status.clone(),
        }
    }
}
