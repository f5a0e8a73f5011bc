//! What the billing routes do: read the plan and usage, start Checkout
//! and the Billing Portal.

use chrono::{DateTime, Utc};
use mongodb::bson::{doc, oid::ObjectId, Document};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::webhook::ACTIVE_STATUSES;
use crate::error::{Error, Result};
use crate::infra::config::StripeConfig;
use crate::infra::db::Db;
use crate::infra::store;
use crate::integrations::stripe::client::{NewCheckout, StripeClient};
use crate::model::{Record, Subscription, Usage, User};

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

/// `POST /api/billing/checkout`.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckoutInput {
    /// A Stripe price (`price_…`); the configured plan when absent.
    #[serde(default)]
    pub price_id: Option<String>,
}

/// A Stripe-hosted page to send the user to.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedirectView {
    pub id: String,
    pub url: String,
}

async fn user(db: &Db, user_id: ObjectId) -> Result<User> {
    store::find_by_id::<User>(db, user_id)
        .await?
        .ok_or(Error::NotFound { what: "user" })
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The user's subscription that matters: an active one first, else the
/// most recently updated.
pub async fn current_subscription(db: &Db, user_id: ObjectId) -> Result<Option<Subscription>> {
    let mut found: Vec<Subscription> = Vec::new();
    let mut cursor = db
        .raw(Subscription::COLLECTION)
        .find(doc! { "userId": user_id })
        .sort(doc! { "updatedAt": -1, "_id": -1 })
        .limit(20)
        .await?;
    while cursor.advance().await? {
        let document: Document = cursor.deserialize_current()?;
        found.push(store::decode(document)?);
    }
    let active = found.iter().position(Subscription::is_active);
    Ok(match active {
        Some(i) => Some(found.swap_remove(i)),
        None => found.into_iter().next(),
    })
}

pub async fn subscription(db: &Db, user_id: ObjectId) -> Result<SubscriptionView> {
    let user = user(db, user_id).await?;
    let sub = current_subscription(db, user_id).await?;
    let active = user.has_active_subscription == Some(true)
        || sub.as_ref().is_some_and(Subscription::is_active);
    let date = |d: Option<mongodb::bson::DateTime>| d.map(|d| d.to_chrono());
    let Some(sub) = sub else {
        return Ok(SubscriptionView {
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
            stripe_customer_id: non_blank(&user.stripe_customer_id).map(str::to_string),
            stripe_price_id: non_blank(&user.stripe_price_id).map(str::to_string),
            stripe_subscription_id: non_blank(&user.stripe_subscription_id).map(str::to_string),
            product_id: None,
            original_transaction_id: None,
            validation_status: None,
        });
    };
    let source = if sub.stripe_subscription_id.is_some() {
        "stripe"
    } else if sub.product_id.is_some()
        || sub.original_transaction_id.is_some()
        || sub.validation_status.is_some()
    {
        "app_store"
    } else {
        "none"
    };
    Ok(SubscriptionView {
        plan: non_blank(&sub.plan)
            .unwrap_or(if sub.is_active() { "paid" } else { "free" })
            .to_string(),
        status: sub.status.clone(),
        has_active_subscription: active,
        source: source.to_string(),
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
    })
}

/// The `usage` document of the user's Stripe customer for the current
/// period: the latest by `resetDate`.
pub async fn usage_doc(db: &Db, customer: &str) -> Result<Option<Usage>> {
    let found = db
        .raw(Usage::COLLECTION)
        .find_one(doc! { "customerId": customer })
        .sort(doc! { "resetDate": -1, "_id": -1 })
        .await?;
    found.map(store::decode).transpose()
}

pub async fn usage(db: &Db, user_id: ObjectId, now: DateTime<Utc>) -> Result<UsageView> {
    let user = user(db, user_id).await?;
    let sub = current_subscription(db, user_id).await?;
    let usage = match non_blank(&user.stripe_customer_id) {
        Some(customer) => usage_doc(db, customer).await?,
        None => None,
    };
    // A period that has reset counts from zero until the next call rolls
    // the document over.
    let current = usage
        .as_ref()
        .filter(|u| u.reset_date.is_none_or(|reset| reset.to_chrono() > now));
    let call_limit = sub.as_ref().and_then(|s| s.call_limit).map(|n| n.as_f64());
    let calls_used = sub
        .as_ref()
        .and_then(|s| s.calls_used_this_period)
        .map(|n| n.as_f64());
    let reset_date = current
        .and_then(|u| u.reset_date)
        .or_else(|| sub.as_ref().and_then(|s| s.current_period_end))
        .map(|d| d.to_chrono());
    Ok(UsageView {
        minutes_used: current.map_or(0.0, |u| u.minutes_used.as_f64()),
        free_minutes: user.free_minutes(),
        free_calls: user.free_calls.map_or(0.0, |n| n.as_f64()),
        call_limit,
        calls_used_this_period: calls_used,
        calls_left: call_limit.map(|limit| (limit - calls_used.unwrap_or(0.0)).max(0.0)),
        reset_date,
        has_active_subscription: user.has_active_subscription == Some(true)
            || sub.as_ref().is_some_and(Subscription::is_active),
    })
}

fn not_configured(what: &str) -> Error {
    tracing::error!("{what} is not set: billing is unavailable");
    Error::Unavailable("billing is not configured".to_string())
}

/// The user's Stripe customer, created (and stored) on first use.
async fn customer(db: &Db, stripe: &StripeClient, user: &User) -> Result<String> {
    if let Some(id) = non_blank(&user.stripe_customer_id) {
        return Ok(id.to_string());
    }
    let id = stripe
        .create_customer(&user.id.to_hex(), user.email(), non_blank(&user.name))
        .await?;
    db.raw(User::COLLECTION)
        .update_one(
            doc! { "_id": user.id },
            doc! { "$set": { "stripeCustomerId": &id, "updatedAt": mongodb::bson::DateTime::now() } },
        )
        .await?;
    Ok(id)
}

pub async fn checkout(
    db: &Db,
    stripe: Option<&StripeClient>,
    config: &StripeConfig,
    user_id: ObjectId,
    input: CheckoutInput,
) -> Result<RedirectView> {
    let price = match input.price_id.as_deref().map(str::trim) {
        Some(price) if !price.starts_with("price_") || price.len() > 255 => {
            return Err(Error::validation(
                "priceId",
                "must be a Stripe price id (price_…)",
            ));
        }
        Some(price) => price.to_string(),
        None => config
            .price_id
            .clone()
            .ok_or_else(|| not_configured("STRIPE_PRICE_ID"))?,
    };
    let stripe = stripe.ok_or_else(|| not_configured("STRIPE_SECRET_KEY"))?;
    let success_url = config
        .success_url
        .as_deref()
        .ok_or_else(|| not_configured("STRIPE_SUCCESS_URL"))?;
    let cancel_url = config
        .cancel_url
        .as_deref()
        .ok_or_else(|| not_configured("STRIPE_CANCEL_URL"))?;
    let user = user(db, user_id).await?;
    let has_stripe_sub = db
        .raw(Subscription::COLLECTION)
        .find_one(doc! {
            "userId": user_id,
            "stripeSubscriptionId": { "$exists": true },
            "status": { "$in": ACTIVE_STATUSES.to_vec() },
        })
        .await?
        .is_some();
    if has_stripe_sub {
        return Err(Error::Conflict {
            field: None,
            message: "already subscribed; manage the plan in the billing portal".to_string(),
        });
    }
    let customer = customer(db, stripe, &user).await?;
    let user_hex = user_id.to_hex();
    let session = stripe
        .create_checkout_session(&NewCheckout {
            customer: &customer,
            price_id: &price,
            user_id: &user_hex,
            success_url,
            cancel_url,
        })
        .await?;
    Ok(RedirectView {
        id: session.id,
        url: session.url,
    })
}

pub async fn portal(
    db: &Db,
    stripe: Option<&StripeClient>,
    config: &StripeConfig,
    user_id: ObjectId,
) -> Result<RedirectView> {
    let stripe = stripe.ok_or_else(|| not_configured("STRIPE_SECRET_KEY"))?;
    let return_url = config
        .portal_return_url
        .as_deref()
        .ok_or_else(|| not_configured("STRIPE_PORTAL_RETURN_URL"))?;
    let user = user(db, user_id).await?;
    let Some(customer) = non_blank(&user.stripe_customer_id) else {
        return Err(Error::Conflict {
            field: None,
            message: "no billing account yet; subscribe first".to_string(),
        });
    };
    let session = stripe.create_portal_session(customer, return_url).await?;
    Ok(RedirectView {
        id: session.id,
        url: session.url,
    })
}
