//! The composition root: the one place that knows every feature. It merges
//! the features' routers into the API (and its OpenAPI document), gives
//! each Lambda its app, and builds a Lambda's state from the environment.
//! The same router runs inside `lambda_http` on AWS ([`run_lambda`]) and
//! inside `heyway serve`.

use std::net::IpAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;
use tower::ServiceExt;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ErrorBody;
use crate::features;
use crate::features::auth::PeerAddr;
use crate::features::webhooks::PublicOrigin;
use crate::http::{catch_panics, docs, not_found, ApiRouter, AppState};
use crate::infra::config::{Config, ConfigError};
use crate::infra::db::{Db, DbSetupError};
use crate::infra::events::Events;
use crate::infra::queue::{DialQueue, SqsQueue};

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
}

/// The OpenAPI document of the whole API.
pub fn openapi() -> OpenApiDoc {
    api_routes().split_for_parts().1
}

/// The webhooks Twilio, ElevenLabs and Stripe call: not part of the API
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
pub fn meta(state: AppState) -> Router {
    let routes = features::health::routes().split_for_parts().0;
    let app = with_docs(routes, Arc::new(openapi()))
        .fallback(not_found)
        .with_state(state);
    catch_panics(app)
}

/// `routes` plus the OpenAPI document `api` and the page that shows it.
fn with_docs(routes: Router<AppState>, api: Arc<OpenApiDoc>) -> Router<AppState> {
    routes
        .route(
            "/api/openapi.json",
            get(move || async move { Json(api.as_ref().clone()) }),
        )
        .route("/api/docs", get(docs::page))
}

/// Serves `app` as this process's Lambda handler: every HTTP function's
/// `main` ends here, so each gets the request context's facts the same
/// way ([`from_lambda`]).
pub async fn run_lambda(app: Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(app.map_request(from_lambda)).await
}

/// `request` with what API Gateway's (or a function URL's) request
/// context says, as the typed extensions the features read: the client's
/// address ([`PeerAddr`], from `sourceIp`, which no header can change) and
/// the public origin ([`PublicOrigin`], from the domain name, for webhook
/// signatures when `WEBHOOK_BASE_URL` is not set).
pub fn from_lambda(mut request: lambda_http::Request) -> lambda_http::Request {
    let (source_ip, domain) = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            (context.http.source_ip.clone(), context.domain_name.clone())
        }
        Some(RequestContext::ApiGatewayV1(context)) => (
            context.identity.source_ip.clone(),
            context.domain_name.clone(),
        ),
        _ => (None, None),
    };
    if let Some(ip) = source_ip.and_then(|ip| ip.trim().parse::<IpAddr>().ok()) {
        request.extensions_mut().insert(PeerAddr(ip));
    }
    if let Some(domain) = domain.filter(|d| !d.is_empty()) {
        request
            .extensions_mut()
            .insert(PublicOrigin::https(&domain));
    }
    request
}

/// Everything a resource's Lambda builds once per process: logging, the
/// configuration, the shared database handle, the state, and the SQS dial
/// queue when `DIAL_QUEUE_URL` is set.
pub async fn lambda_state() -> Result<AppState, LambdaSetupError> {
    crate::infra::logging::init();
    let config = Config::get()?.clone();
    let db = Db::shared().await?.clone();
    let queue_url = config.dial_queue_url.clone();
    let bus = config.event_bus_name.clone();
    let mut state = AppState::new(db, config)?;
    state.events = Events::from_env(bus);
    Ok(match queue_url {
        Some(url) => state.with_dial_queue(DialQueue::Sqs(SqsQueue::from_env(url).await)),
        None => state,
    })
}

/// What the queue workers' Lambdas (the evaluator and the dialer) build
/// once per process.
pub struct Worker {
    pub config: &'static Config,
    pub db: &'static Db,
    /// The SQS dial queue (`DIAL_QUEUE_URL`, required).
    pub queue: SqsQueue,
}

/// Logging, the configuration, the shared database handle and the SQS
/// dial queue, for a queue worker's Lambda.
pub async fn worker() -> Result<Worker, LambdaSetupError> {
    crate::infra::logging::init();
    let config = Config::get()?;
    let db = Db::shared().await?;
    let url = config
        .dial_queue_url
        .as_deref()
        .ok_or(ConfigError::Missing {
            key: "DIAL_QUEUE_URL",
        })?;
    let queue = SqsQueue::from_env(url).await;
    Ok(Worker { config, db, queue })
}

/// Why a Lambda could not start.
#[derive(Debug, thiserror::Error)]
pub enum LambdaSetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Db(#[from] DbSetupError),
}
