//! `/api/billing/*` and `/api/usage`: thin handlers over [`super::service`].

use crate::http::routes;
use axum::extract::State;
use axum::Json;
use chrono::Utc;

use super::service::{self, CheckoutInput};
use super::view::{RedirectView, SubscriptionView, UsageView};
use crate::error::{ErrorBody, Result};
use crate::http::responses::{MalformedJson, Unauthorized};
use crate::http::{ApiJson, ApiRouter, AppState, AuthUser};
use crate::integrations::stripe::client::StripeClient;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(get_subscription))
        .routes(routes!(checkout))
        .routes(routes!(portal))
        .routes(routes!(get_usage))
}

fn stripe(state: &AppState) -> Option<StripeClient> {
    StripeClient::from_config(state.http.clone(), &state.config.stripe)
}

/// The user's plan: status, period and limits, from Stripe or the App
/// Store.
#[utoipa::path(
    get,
    path = "/api/billing/subscription",
    tag = "billing",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SubscriptionView),
        Unauthorized,
    )
)]
async fn get_subscription(
    user: AuthUser,
    State(state): State<AppState>,
) -> Result<Json<SubscriptionView>> {
    service::subscription(&state.db, user.user_id)
        .await
        .map(Json)
}

/// A Stripe Checkout Session for the default plan, or for `priceId` if it
/// is on sale; send the user to its `url`. The subscription arrives by
/// webhook.
#[utoipa::path(
    post,
    path = "/api/billing/checkout",
    tag = "billing",
    security(("bearer" = [])),
    request_body = CheckoutInput,
    responses(
        (status = 200, body = RedirectView),
        MalformedJson,
        Unauthorized,
        (status = 409, description = "Already subscribed", body = ErrorBody),
        (status = 422, description = "Not a plan on sale, or refused by Stripe", body = ErrorBody),
        (status = 503, description = "Billing is not configured or Stripe is not answering", body = ErrorBody),
    )
)]
async fn checkout(
    user: AuthUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CheckoutInput>,
) -> Result<Json<RedirectView>> {
    service::checkout(
        &state.db,
        stripe(&state).as_ref(),
        &state.config.stripe,
        user.user_id,
        input,
    )
    .await
    .map(Json)
}

/// A Stripe Billing Portal session: change card, plan, or cancel.
#[utoipa::path(
    post,
    path = "/api/billing/portal",
    tag = "billing",
    security(("bearer" = [])),
    responses(
        (status = 200, body = RedirectView),
        Unauthorized,
        (status = 409, description = "No billing account yet", body = ErrorBody),
        (status = 422, description = "Refused by Stripe", body = ErrorBody),
        (status = 503, description = "Billing is not configured or Stripe is not answering", body = ErrorBody),
    )
)]
async fn portal(user: AuthUser, State(state): State<AppState>) -> Result<Json<RedirectView>> {
    service::portal(
        &state.db,
        stripe(&state).as_ref(),
        &state.config.stripe,
        user.user_id,
    )
    .await
    .map(Json)
}

/// Minutes used this period, free minutes and calls left, the call limit
/// and when the period resets.
#[utoipa::path(
    get,
    path = "/api/usage",
    tag = "billing",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UsageView),
        Unauthorized,
    )
)]
async fn get_usage(user: AuthUser, State(state): State<AppState>) -> Result<Json<UsageView>> {
    service::usage(&state.db, user.user_id, Utc::now())
        .await
        .map(Json)
}
