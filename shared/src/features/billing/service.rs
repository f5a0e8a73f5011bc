//! What the billing routes do: read the plan and usage, start Checkout
//! and the Billing Portal.

use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;
use serde::Deserialize;
use utoipa::ToSchema;

use super::repo;
use super::view::{RedirectView, SubscriptionView, UsageView};
use crate::error::{Error, Result};
use crate::infra::config::StripeConfig;
use crate::infra::db::Db;
use crate::infra::store;
use crate::integrations::stripe::client::{NewCheckout, StripeClient};
use crate::model::{non_blank, Subscription, User};

/// `POST /api/billing/checkout`.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckoutInput {
    /// A plan on sale (`STRIPE_PRICE_ID` or one of `STRIPE_PRICE_IDS`);
    /// the default plan (`STRIPE_PRICE_ID`) when absent.
    #[serde(default)]
    pub price_id: Option<String>,
}

async fn user(db: &Db, user_id: ObjectId) -> Result<User> {
    store::find_by_id::<User>(db, user_id)
        .await?
        .ok_or(Error::NotFound { what: "user" })
}

/// The user's subscription that matters: an active paid one first (a
/// legacy free plan stays behind a subscription bought since), then any
/// active one, else the most recently updated.
pub async fn current_subscription(db: &Db, user_id: ObjectId) -> Result<Option<Subscription>> {
    let mut found = repo::subscriptions::recent_of(db, user_id).await?;
    let free = |s: &Subscription| {
        s.plan
            .as_deref()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("free"))
    };
    let active = found
        .iter()
        .position(|s| s.is_active() && !free(s))
        .or_else(|| found.iter().position(Subscription::is_active));
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
    Ok(match &sub {
        Some(sub) => SubscriptionView::of_subscription(&user, sub, active),
        None => SubscriptionView::of_user(&user, active),
    })
}

pub async fn usage(db: &Db, user_id: ObjectId, now: DateTime<Utc>) -> Result<UsageView> {
    let user = user(db, user_id).await?;
    let sub = current_subscription(db, user_id).await?;
    let usage = match non_blank(&user.stripe_customer_id) {
        Some(customer) => repo::usage::current(db, customer).await?,
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
    repo::users::set_stripe_customer(db, user.id, &id).await?;
    Ok(id)
}

/// The price Checkout is to sell: the one the client named, if it is on
/// sale (`STRIPE_PRICE_ID` or `STRIPE_PRICE_IDS`), else the default plan.
/// Checked before anything reaches Stripe, which would sell any price of
/// the account: test prices, another customer's discount, retired plans.
fn price_on_sale(config: &StripeConfig, named: Option<&str>) -> Result<String> {
    let Some(price) = named.map(str::trim) else {
        return config
            .price_id
            .clone()
            .ok_or_else(|| not_configured("STRIPE_PRICE_ID"));
    };
    if config.sells(price) {
        return Ok(price.to_string());
    }
    let on_sale: Vec<&str> = config
        .price_id
        .iter()
        .chain(&config.price_ids)
        .map(String::as_str)
        .collect();
    if on_sale.is_empty() {
        return Err(not_configured("STRIPE_PRICE_ID"));
    }
    Err(Error::validation(
        "priceId",
        format!("is not a plan on sale; one of: {}", on_sale.join(", ")),
    ))
}

pub async fn checkout(
    db: &Db,
    stripe: Option<&StripeClient>,
    config: &StripeConfig,
    user_id: ObjectId,
    input: CheckoutInput,
) -> Result<RedirectView> {
    let price = price_on_sale(config, input.price_id.as_deref())?;
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
    let has_stripe_sub = repo::subscriptions::has_active_stripe(db, user_id).await?;
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
