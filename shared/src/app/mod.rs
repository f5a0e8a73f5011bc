//! The composition root: the one place that knows every feature. It merges
//! the features' routers into the API (and its OpenAPI document), gives
//! each Lambda its app, and builds a Lambda's state from the environment.
//! The same router runs inside `lambda_http` on AWS ([`run_lambda`]) and
//! inside `heyway serve`.

mod lambda;

use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ErrorBody;
use crate::features;
use crate::http::{catch_panics, docs, not_found, ApiRouter, AppState};

pub use lambda::{from_lambda, lambda_state, run_lambda, worker, LambdaSetupError, Worker};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "HeyWay API",
        description = "Automated calls for small businesses. Errors answer `{\"error\":{\"code\",\"message\",\"field\"}}`."
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every resource's routes, documented.
pub fn api_routes() -> ApiRouter {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(features::health::routes())
        .merge(features::auth::routes())
        .merge(features::me::routes())
        .merge(features::contacts::routes())
        .merge(features::contact_lists::routes())
        .merge(features::groups::routes())
        .merge(features::feedback::routes())
        .merge(features::automations::routes())
        .merge(features::scheduled_calls::routes())
        .merge(features::calls::routes())
        .merge(features::caller_ids::routes())
        .merge(features::recordings::routes())
        .merge(features::billing::routes())
        .merge(features::apple_subscriptions::routes())
}

/// The OpenAPI document of the whole API.
pub fn openapi() -> OpenApiDoc {
    api_routes().split_for_parts().1
}

/// The webhooks Twilio, ElevenLabs, Stripe and the App Store call: not part of the API
/// (not under /api, not in the OpenAPI document).
fn webhook_routes() -> Router<AppState> {
    features::webhooks::routes()
}

/// Every route of the API, plus `/api/openapi.json` and the `/api/docs`
/// page that reads it, and the webhooks.
pub fn router(state: AppState) -> Router {
    let (routes, api) = api_routes().split_for_parts();
    let app = with_docs(routes, Arc::new(api))
        .merge(webhook_routes())
        .fallback(not_found)
        .with_state(state);
    catch_panics(app)
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

/// The health Lambda's app: `/api/health`, `/api/openapi.json`, `/api/docs`.
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
        .route("/api/docs", get(docs::page))
        .fallback(not_found)
        .with_state(state);
    catch_panics(app)
}

/// [`openapi`]'s output when last committed (`shared/openapi.json`).
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// `routes` plus the OpenAPI document `api` and the page that shows it.
fn with_docs(routes: Router<AppState>, api: Arc<OpenApiDoc>) -> Router<AppState> {
    routes
        .route(
            "/api/openapi.json",
            get(move || async move { Json(api.as_ref().clone()) }),
        )
        .route("/api/docs", get(docs::page))
}
