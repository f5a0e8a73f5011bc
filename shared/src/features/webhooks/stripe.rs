//! `POST /webhooks/stripe`: Stripe's events, served by the Webhooks
//! Lambda's function URL like Twilio's and ElevenLabs'.
//!
//! Answers 403 for a missing, wrong or stale `Stripe-Signature` (or no
//! `STRIPE_WEBHOOK_SECRET`), before anything is read or written; 400 for a
//! body that is not an event; 200 JSON otherwise, unknown types included
//! (`{"status":"ignored"}`), so Stripe does not retry them. A database
//! failure answers 500 and Stripe retries; the event's claim is released
//! first, so the retry applies it.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::features::billing::webhook::{self, Handled};
use crate::http::AppState;
use crate::integrations::stripe::signature as stripe_signature;

pub const STRIPE_PATH: &str = "/webhooks/stripe";

pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let Some(secret) = state.config.stripe.webhook_secret.as_deref() else {
        tracing::error!("STRIPE_WEBHOOK_SECRET is not set: Stripe webhooks are refused");
        return Err(Error::BadSignature("webhook signing key is not configured"));
    };
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::BadSignature("Stripe-Signature is missing"))?;
    let now = Utc::now();
    stripe_signature::verify(
        secret,
        header,
        &body,
        now.timestamp(),
        stripe_signature::DEFAULT_TOLERANCE_SECS,
    )
    .map_err(|error| {
        tracing::warn!(%error, "Stripe webhook refused");
        Error::BadSignature(error.describe())
    })?;
    let handled = webhook::handle(&state.db, &body, now).await?;
    tracing::info!(?handled, "Stripe webhook");
    let mut answer = json!({ "status": handled.label() });
    match handled {
        Handled::Applied {
            subscription_id,
            status,
            ..
        } => {
            answer["subscriptionId"] = json!(subscription_id);
            answer["subscriptionStatus"] = json!(status);
        }
        Handled::Stale { subscription_id } => answer["subscriptionId"] = json!(subscription_id),
        Handled::Ignored { kind } => answer["type"] = json!(kind),
        Handled::Duplicate | Handled::Unmatched => {}
    }
    Ok(Json(answer))
}
