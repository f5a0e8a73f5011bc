//! `POST /api/subscriptions/apple`: a thin handler over
//! [`super::service::link_purchase`].

use crate::http::routes;
use axum::extract::State;
use axum::Json;
use chrono::Utc;

use super::service::{self, PurchaseInput};
use super::view::AppleSubscriptionView;
use crate::error::{ErrorBody, Result};
use crate::http::responses::{MalformedJson, Unauthorized};
use crate::http::{ApiJson, ApiRouter, AppState, AuthUser};
use crate::integrations::app_store::{AppStoreClient, SignedDataVerifier};

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(link_purchase))
}

/// An App Store purchase made in the iOS app: send the StoreKit 2
/// transaction's `jwsRepresentation`. It is verified (Apple's signature
/// and certificate chain, this app, this environment), its subscription's
/// current state is read from the App Store Server API, and the plan is
/// recorded for the signed-in user (or the user its `appAccountToken`
/// names, which must be the same).
#[utoipa::path(
    post,
    path = "/api/subscriptions/apple",
    tag = "billing",
    security(("bearer" = [])),
    request_body = PurchaseInput,
    responses(
        (status = 200, body = AppleSubscriptionView),
        MalformedJson,
        Unauthorized,
        (status = 409, description = "The purchase belongs to another account", body = ErrorBody),
        (status = 422, description = "Not a subscription the App Store signed for this app, or unknown to the App Store", body = ErrorBody),
        (status = 503, description = "App Store purchases are not configured, or the App Store is not answering", body = ErrorBody),
    )
)]
async fn link_purchase(
    user: AuthUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<PurchaseInput>,
) -> Result<Json<AppleSubscriptionView>> {
    let apple = &state.config.apple;
    let verifier = SignedDataVerifier::from_config(apple);
    let client = AppStoreClient::from_config(state.http.clone(), apple);
    service::link_purchase(
        &state.db,
        verifier.as_ref(),
        client.as_ref(),
        user.user_id,
        input,
        Utc::now(),
    )
    .await
    .map(Json)
}
