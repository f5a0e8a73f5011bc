//! The composition root: the one place that knows every feature. It merges
//! the features' routers into the API (and, with the `openapi` feature, its
//! OpenAPI document: `app/openapi.rs`), gives each Lambda its app, and
//! builds a Lambda's state from the environment.
//! The same router runs inside `lambda_http` on AWS ([`run_lambda`]) and
//! inside `heyway serve`.

mod lambda;
#[cfg(feature = "openapi")]
mod openapi;

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;

use crate::features;
use crate::http::{catch_panics, not_found, ApiRouter, AppState};

pub use lambda::{from_lambda, lambda_state, run_lambda, worker, LambdaSetupError, Worker};
#[cfg(feature = "openapi")]
pub use openapi::{api_routes, openapi, router};

/// The webhooks Twilio, ElevenLabs, Stripe and the App Store call: not part of the API
/// (not under /api, not in the OpenAPI document).
fn webhook_routes() -> Router<AppState> {
    features::webhooks::routes()
}

/// One resource's routes as a complete app, for that resource's Lambda.
pub fn single(routes: ApiRouter, state: AppState) -> Router {
    catch_panics(
        routes
            .split_for_parts()
            .0
            .fallback(not_found)
            .with_state(state),
    )
}

/// The webhooks as a complete app, for their Lambda.
pub fn webhooks(state: AppState) -> Router {
    catch_panics(webhook_routes().fallback(not_found).with_state(state))
}

/// The health Lambda's app: `/api/health`, `/api/openapi.json`.
/// The document is the committed `shared/openapi.json`, not generated here:
/// generating it would link every feature into this one small function. A
/// test keeps the file equal to [`openapi`]'s output.
pub fn meta(state: AppState) -> Router {
    let routes = features::health::routes().split_for_parts().0;
    let app = routes
        .route(
            "/api/openapi.json",
            get(|| async { ([(CONTENT_TYPE, "application/json")], OPENAPI_JSON) }),
        )
        .fallback(not_found)
        .with_state(state);
    catch_panics(app)
}

/// [`openapi`]'s output when last committed (`shared/openapi.json`).
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");
