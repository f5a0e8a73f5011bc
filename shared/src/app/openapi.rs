//! The whole API with its OpenAPI document, for `heyway serve` and the
//! tests (the `openapi` feature). No Lambda links this: each serves only
//! its own routes ([`super::single`]), and the health function serves the
//! committed document ([`super::OPENAPI_JSON`]).

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use super::webhook_routes;
use crate::error::ErrorBody;
use crate::features;
use crate::http::{catch_panics, not_found, ApiRouter, AppState};

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
        .merge(features::do_not_call::routes())
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

/// Every route of the API, plus `/api/openapi.json`, and the webhooks.
/// (`heyway serve` adds the `/api/docs` page that reads the document.)
pub fn router(state: AppState) -> Router {
    let (routes, api) = api_routes().split_for_parts();
    let app = with_docs(routes, Arc::new(api))
        .merge(webhook_routes())
        .fallback(not_found)
        .with_state(state);
    catch_panics(app)
}

/// `routes` plus the OpenAPI document `api`.
fn with_docs(routes: Router<AppState>, api: Arc<OpenApiDoc>) -> Router<AppState> {
    routes.route(
        "/api/openapi.json",
        get(move || async move { Json(api.as_ref().clone()) }),
    )
}
