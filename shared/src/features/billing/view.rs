//! What the billing routes answer: the plan, the usage, and a Stripe page
//! to send the user to.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{non_blank, Subscription, User};

/// `GET /api/billing/subscription`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    /// The stored plan name (`free`), `paid` for an active subscription
    /// without one, else `free`.
    pub plan: String,
    /// Stripe's or the App Store's status (`active`, `trialing`,
    /// `past_due`, `canceled`, …); `none` without any subscription.
    pub status: String,
    /// Whether the user may place calls by subscription.
    pub has_active_subscription: bool,
    /// `stripe`, `app_store` or `none`.
    pub source: String,
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub renewal_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    /// Calls a free plan allows per period; `null` when unlimited.
    pub call_limit: Option<f64>,
    pub calls_used_this_period: Option<f64>,
    pub stripe_customer_id: Option<String>,
    pub stripe_price_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    /// App Store fields, as stored.
    pub product_id: Option<String>,
    pub original_transaction_id: Option<String>,
    pub validation_status: Option<String>,
}

impl SubscriptionView {
    /// A user without any subscription document: what the user's own
    /// fields say.
    pub fn of_user(user: &User, active: bool) -> Self {
        let text = |value: &Option<String>| non_blank(value).map(str::to_string);
        Self {
            plan: if active { "paid" } else { "free" }.to_string(),
            status: non_blank(&user.subscription_status)
                .unwrap_or("none")
                .to_string(),
            has_active_subscription: active,
            source: "none".to_string(),
            current_period_start: None,
            current_period_end: None,
            renewal_date: None,
            end_date: None,
            call_limit: None,
            calls_used_this_period: None,
            stripe_customer_id: text(&user.stripe_customer_id),
            stripe_price_id: text(&user.stripe_price_id),
            stripe_subscription_id: text(&user.stripe_subscription_id),
            product_id: None,
            original_transaction_id: None,
            validation_status: None,
        }
    }

    /// The user's subscription `sub`.
    pub fn of_subscription(user: &User, sub: &Subscription, active: bool) -> Self {
        let date = |d: Option<mongodb::bson::DateTime>| d.map(|d| d.to_chrono());
        Self {
            plan: non_blank(&sub.plan)
                .unwrap_or(if sub.is_active() { "paid" } else { "free" })
                .to_string(),
            status: sub.status.clone(),
            has_active_subscription: active,
            source: source(sub).to_string(),
            current_period_start: date(sub.current_period_start),
            current_period_end: date(sub.current_period_end),
            renewal_date: date(sub.renewal_date),
            end_date: date(sub.end_date),
            call_limit: sub.call_limit.map(|n| n.as_f64()),
            calls_used_this_period: sub.calls_used_this_period.map(|n| n.as_f64()),
            stripe_customer_id: sub
                .stripe_customer_id
                .clone()
                .or_else(|| non_blank(&user.stripe_customer_id).map(str::to_string)),
            stripe_price_id: sub.stripe_price_id.clone(),
            stripe_subscription_id: sub.stripe_subscription_id.clone(),
            product_id: sub.product_id.clone(),
            original_transaction_id: sub.original_transaction_id.clone(),
            validation_status: sub.validation_status.clone(),
        }
    }
}

/// Where the subscription came from: `stripe`, `app_store` or `none`.
fn source(sub: &Subscription) -> &'static str {
    if sub.stripe_subscription_id.is_some() {
        "stripe"
    } else if sub.product_id.is_some()
        || sub.original_transaction_id.is_some()
        || sub.validation_status.is_some()
    {
        "app_store"
    } else {
        "none"
    }
}

/// `GET /api/usage`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
    /// Paid minutes used this period.
    pub minutes_used: f64,
    /// Free minutes left.
    pub free_minutes: f64,
    /// Free calls left.
    pub free_calls: f64,
    pub call_limit: Option<f64>,
    pub calls_used_this_period: Option<f64>,
    /// Calls left this period on a limited plan; `null` when unlimited.
    pub calls_left: Option<f64>,
    /// When the period's usage resets.
    pub reset_date: Option<DateTime<Utc>>,
    pub has_active_subscription: bool,
}

/// A Stripe-hosted page to send the user to.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedirectView {
    pub id: String,
    pub url: String,
}
