//! The webhook endpoints: check who is calling, then hand the request to
//! the plain functions of this module.
//!
//! Answers, for Twilio's and ElevenLabs' sake:
//! - 403 for a missing, wrong or stale signature, before anything is read
//!   or written;
//! - 400 for a malformed request (no `callId`, unknown `CallStatus`, a body
//!   that is not JSON);
//! - 404 for a call we do not know. Twilio does not retry status callbacks
//!   on a 4xx (it logs a debugger warning, which is what we want to see),
//!   and ElevenLabs does not retry at all by default, so a 404 neither
//!   loops nor loses anything a 200 would have kept: there is nowhere to
//!   store it.
//! - 204 for a status callback applied (or a repeat that changed nothing),
//!   TwiML for the voice webhook, 200 JSON for ElevenLabs.
//!
//! App Store Server Notifications (`POST /webhooks/apple`) are answered
//! 403 when the `signedPayload` (or the transaction or renewal info in
//! it) does not verify, or without `APPLE_BUNDLE_ID`, before anything is
//! written; 400 for a body without a `signedPayload`; 200 JSON otherwise,
//! unknown transactions and types included, so Apple stops retrying; 500
//! on a database failure, the claim released, so Apple's retry applies it
//! ([`crate::features::apple_subscriptions::notifications`]).
//!
//! Stripe's events (`POST /webhooks/stripe`) are answered 403 for a
//! missing, wrong or stale `Stripe-Signature` (or no
//! `STRIPE_WEBHOOK_SECRET`), before anything is read or written; 400 for a
//! body that is not an event; 200 JSON otherwise, unknown types included
//! (`{"status":"ignored"}`), so Stripe does not retry them. A database
//! failure answers 500 and Stripe retries; the event's claim is released
//! first, so the retry applies it.

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use mongodb::bson::oid::ObjectId;
use serde_json::{json, Value};

use super::inbound::{self, InboundCall};
use super::post_call::{self, PostCall};
use super::public_url::public_url;
use super::repo;
use super::status::{apply_status, call_id_from_query, StatusCallback};
use super::voice::voice_twiml;
use crate::error::{Error, Result};
use crate::features::apple_subscriptions::{self, Handled as AppleHandled};
use crate::features::billing::webhook::{self as stripe_webhook, Handled};
use crate::http::AppState;
use crate::integrations::app_store::SignedDataVerifier;
use crate::integrations::elevenlabs::signature as elevenlabs_signature;
use crate::integrations::elevenlabs::ElevenLabsClient;
use crate::integrations::stripe::signature as stripe_signature;
use crate::integrations::twilio::signature as twilio_signature;
use crate::model::CallStatus;

/// Twilio's forms are small; ElevenLabs' transcripts can be long.
const BODY_LIMIT: usize = 8 * 1024 * 1024;

pub const TWILIO_STATUS_PATH: &str = "/webhooks/twilio/status";
pub const TWILIO_VOICE_PATH: &str = "/webhooks/twilio/voice";
pub const ELEVENLABS_PATH: &str = "/webhooks/elevenlabs";
pub const TWILIO_CALLER_ID_PATH: &str = crate::features::caller_ids::CALLBACK_PATH;
pub const STRIPE_PATH: &str = "/webhooks/stripe";
pub const APPLE_PATH: &str = "/webhooks/apple";
pub const TWILIO_INBOUND_PATH: &str = "/webhooks/twilio/inbound";

/// The webhook routes, to merge into an app.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(TWILIO_STATUS_PATH, post(twilio_status))
        .route(TWILIO_VOICE_PATH, post(twilio_voice))
        .route(ELEVENLABS_PATH, post(elevenlabs))
        .route(TWILIO_CALLER_ID_PATH, post(twilio_caller_id))
        .route(TWILIO_INBOUND_PATH, post(twilio_inbound))
        .route(inbound::FORWARDED_PATH, post(twilio_inbound_forwarded))
        .route(STRIPE_PATH, post(stripe))
        .route(APPLE_PATH, post(apple))
}

async fn read(request: Request) -> Result<(Parts, Bytes)> {
    let (parts, body): (Parts, Body) = request.into_parts();
    let bytes = to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|e| Error::bad_request(None, format!("unreadable body: {e}")))?;
    Ok((parts, bytes))
}

/// The form fields of a verified-to-be Twilio request, after checking
/// `X-Twilio-Signature` against the public URL.
fn verified_twilio_form(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
) -> Result<Vec<(String, String)>> {
    let Some(token) = state.config.twilio.auth_token.as_deref() else {
        tracing::error!("TWILIO_AUTH_TOKEN is not set: Twilio webhooks are refused");
        return Err(Error::BadSignature("webhook signing key is not configured"));
    };
    let signature = parts
        .headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::BadSignature("X-Twilio-Signature is missing"))?;
    let url = public_url(state.config.webhook_base_url.as_deref(), parts)
        .ok_or(Error::BadSignature("cannot tell which URL was called"))?;
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    if !twilio_signature::validate(token, &url, &params, signature) {
        tracing::warn!(%url, "Twilio webhook with a bad signature");
        return Err(Error::BadSignature("X-Twilio-Signature does not match"));
    }
    Ok(params)
}

async fn twilio_status(State(state): State<AppState>, request: Request) -> Result<StatusCode> {
    let (parts, body) = read(request).await?;
    let params = verified_twilio_form(&state, &parts, &body)?;
    let call_id = match call_id_from_query(parts.uri.query()) {
        Ok(id) => id,
        // An inbound call's number has one status URL for every call:
        // the call is found by its CallSid instead.
        Err(error) => call_id_by_sid(&state, &params).await?.ok_or(error)?,
    };
    let callback = StatusCallback::from_form(&params)?;
    let now = Utc::now();
    let applied = apply_status(&state.db, &state.events, call_id, &callback, now).await?;
    if applied.status == CallStatus::Completed.as_str() {
        let stripe = crate::integrations::stripe::StripeClient::from_config(
            state.http.clone(),
            &state.config.stripe,
        );
        let metered = crate::features::billing::metering::meter_call(
            &state.db,
            stripe.as_ref(),
            &state.config.stripe.meter_event_name,
            call_id,
            now,
        )
        .await?;
        tracing::info!(call = %call_id, ?metered, "call metered");
    }
    tracing::info!(
        call = %call_id,
        status = %applied.status,
        finalized = applied.finalized,
        scheduled = ?applied.scheduled_status,
        callback = ?applied.callback,
        "Twilio status callback"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// The inbound call Twilio's `CallSid` names, if we recorded one.
async fn call_id_by_sid(state: &AppState, params: &[(String, String)]) -> Result<Option<ObjectId>> {
    match crate::integrations::twilio::form::field(params, "CallSid") {
        Some(sid) => repo::inbound_call_id_by_sid(&state.db, sid).await,
        None => Ok(None),
    }
}

/// Twilio's outcome of a caller ID validation call.
async fn twilio_caller_id(State(state): State<AppState>, request: Request) -> Result<StatusCode> {
    let (parts, body) = read(request).await?;
    let params = verified_twilio_form(&state, &parts, &body)?;
    let user_id = parts
        .uri
        .query()
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(name, _)| name == "userId")
                .map(|(_, value)| value.into_owned())
        })
        .ok_or_else(|| Error::bad_request(Some("userId"), "userId is missing"))?;
    let user_id = crate::http::extract::object_id("userId", &user_id)?;
    let outcome = crate::features::caller_ids::apply_callback(&state.db, user_id, &params).await?;
    tracing::info!(user = %user_id, ?outcome, "Twilio caller ID callback");
    Ok(StatusCode::NO_CONTENT)
}

/// A customer calls a business number: TwiML for the call.
async fn twilio_inbound(State(state): State<AppState>, request: Request) -> Result<Response> {
    let (parts, body) = read(request).await?;
    let params = verified_twilio_form(&state, &parts, &body)?;
    let call = InboundCall::from_form(&params)?;
    let client = ElevenLabsClient::from_config(state.http.clone(), &state.config.elevenlabs);
    let (twiml, answered) = inbound::answer(&state.db, client.as_ref(), &call).await?;
    tracing::info!(sid = %call.call_sid, ?answered, "Twilio inbound call");
    Ok(([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], twiml).into_response())
}

/// The owner did or did not pick up a forwarded inbound call.
async fn twilio_inbound_forwarded(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response> {
    let (parts, body) = read(request).await?;
    let params = verified_twilio_form(&state, &parts, &body)?;
    let call_id = call_id_from_query(parts.uri.query())?;
    let dial_status = crate::integrations::twilio::form::field(&params, "DialCallStatus")
        .ok_or_else(|| Error::bad_request(Some("DialCallStatus"), "DialCallStatus is missing"))?;
    let client = ElevenLabsClient::from_config(state.http.clone(), &state.config.elevenlabs);
    let (twiml, ended) =
        inbound::after_forward(&state.db, client.as_ref(), call_id, dial_status).await?;
    tracing::info!(call = %call_id, dial_status, ?ended, "forwarded inbound call ended");
    Ok(([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], twiml).into_response())
}

async fn twilio_voice(State(state): State<AppState>, request: Request) -> Result<Response> {
    let (parts, body) = read(request).await?;
    let params = verified_twilio_form(&state, &parts, &body)?;
    let call_id = call_id_from_query(parts.uri.query())?;
    let sid = crate::integrations::twilio::form::field(&params, "CallSid");
    // Synchronous detection (voicemail drop) reports who answered here.
    let answered_by = crate::integrations::twilio::form::field(&params, "AnsweredBy");
    let client = ElevenLabsClient::from_config(state.http.clone(), &state.config.elevenlabs);
    let twiml = voice_twiml(&state.db, client.as_ref(), call_id, sid, answered_by).await?;
    Ok(([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], twiml).into_response())
}

async fn elevenlabs(State(state): State<AppState>, request: Request) -> Result<Response> {
    let (parts, body) = read(request).await?;
    let Some(secret) = state.config.elevenlabs.webhook_secret.as_deref() else {
        tracing::error!("ELEVENLABS_WEBHOOK_SECRET is not set: ElevenLabs webhooks are refused");
        return Err(Error::BadSignature("webhook signing key is not configured"));
    };
    let header = parts
        .headers
        .get("elevenlabs-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::BadSignature("ElevenLabs-Signature is missing"))?;
    let now = Utc::now();
    elevenlabs_signature::verify(
        secret,
        header,
        &body,
        now.timestamp(),
        elevenlabs_signature::DEFAULT_TOLERANCE_SECS,
    )
    .map_err(|error| {
        tracing::warn!(%error, "ElevenLabs webhook refused");
        Error::BadSignature(match error {
            elevenlabs_signature::SignatureError::Expired => {
                "ElevenLabs-Signature timestamp is too old"
            }
            elevenlabs_signature::SignatureError::Malformed(_) => {
                "ElevenLabs-Signature is malformed"
            }
            elevenlabs_signature::SignatureError::Mismatch => "ElevenLabs-Signature does not match",
        })
    })?;
    let handled = post_call::handle(&state.db, &state.events, &body, now).await?;
    tracing::info!(?handled, "ElevenLabs webhook");
    let body = match handled {
        PostCall::Stored {
            call_id,
            follow_up_needed,
            opted_out,
        } => {
            json!({ "status": "stored", "callId": call_id.to_hex(), "followUpNeeded": follow_up_needed, "optedOut": opted_out })
        }
        PostCall::AlreadyStored { call_id } => {
            json!({ "status": "already_stored", "callId": call_id.to_hex() })
        }
        PostCall::Failed { call_id, status } => {
            json!({ "status": "failed", "callId": call_id.to_hex(), "callStatus": status })
        }
        PostCall::Ignored { kind } => json!({ "status": "ignored", "type": kind }),
    };
    Ok(Json(body).into_response())
}

/// Stripe's events, served by the Webhooks Lambda's function URL like
/// Twilio's and ElevenLabs'.
async fn stripe(
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
    let handled = stripe_webhook::handle(&state.db, &body, now).await?;
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

/// App Store Server Notifications V2, served by the Webhooks Lambda's
/// function URL like the others.
async fn apple(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>> {
    let verifier = SignedDataVerifier::from_config(&state.config.apple);
    let handled =
        apple_subscriptions::handle_notification(&state.db, verifier.as_ref(), &body, Utc::now())
            .await?;
    tracing::info!(?handled, "App Store notification");
    let mut answer = json!({ "status": handled.label() });
    match handled {
        AppleHandled::Applied {
            original_transaction_id,
            status,
            ..
        } => {
            answer["originalTransactionId"] = json!(original_transaction_id);
            answer["subscriptionStatus"] = json!(status);
        }
        AppleHandled::Stale {
            original_transaction_id,
        } => answer["originalTransactionId"] = json!(original_transaction_id),
        AppleHandled::Unmatched {
            original_transaction_id,
        } => answer["originalTransactionId"] = json!(original_transaction_id),
        AppleHandled::Ignored { kind } => answer["type"] = json!(kind),
        AppleHandled::Duplicate => {}
    }
    Ok(Json(answer))
}
