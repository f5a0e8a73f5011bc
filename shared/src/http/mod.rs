//! The HTTP API: one router per resource, merged here with the OpenAPI
//! document generated from the handlers' annotations. The same router runs
//! inside `lambda_http` on AWS and inside `heyway serve`.

mod auth_user;
mod docs;
pub mod extract;
pub mod id_list;
pub mod input;
pub mod json;
pub mod page;

use std::sync::Arc;

use axum::http::Uri;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

pub use auth_user::AuthUser;
pub use extract::{ApiJson, ApiQuery};

use crate::auth::AccessTokens;
use crate::config::{Config, ConfigError};
use crate::db::Db;
use crate::error::{Error, ErrorBody};
use crate::health;

/// A resource's routes with their OpenAPI operations.
pub type ApiRouter = OpenApiRouter<AppState>;

/// What every handler may use, built once per process.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub tokens: AccessTokens,
    pub config: Arc<Config>,
    /// One HTTP client (connection pool) for the external APIs.
    pub http: reqwest::Client,
    /// Where `POST /api/calls` sends its dial job at once. `None`: the call
    /// stays `pending` and the evaluator's next sweep sends it.
    pub dial_queue: Option<crate::queue::DialQueue>,
    /// The domain events' bus: off (logged only) unless a Lambda or a
    /// test sets one.
    pub events: crate::events::Events,
}

impl AppState {
    /// State for `config`, which must have a `JWT_SECRET`.
    pub fn new(db: Db, config: Config) -> Result<Self, ConfigError> {
        let secret = config
            .jwt_secret
            .as_deref()
            .ok_or(ConfigError::Missing { key: "JWT_SECRET" })?;
        let tokens = AccessTokens::new(secret.as_bytes(), config.access_token_ttl_secs);
        let http = crate::outbound::http_client()?;
        Ok(Self {
            db,
            tokens,
            config: Arc::new(config),
            http,
            dial_queue: None,
            events: crate::events::Events::off(),
        })
    }

    /// The same state, sending calls placed now to `queue`.
    pub fn with_dial_queue(mut self, queue: crate::queue::DialQueue) -> Self {
        self.dial_queue = Some(queue);
        self
    }
}

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
        .merge(health::routes())
        .merge(crate::auth::routes())
        .merge(crate::me::routes())
        .merge(crate::contacts::routes())
        .merge(crate::contact_lists::routes())
        .merge(crate::groups::routes())
        .merge(crate::feedback::routes())
        .merge(crate::automations::routes())
        .merge(crate::scheduled_calls::routes())
        .merge(crate::calls::routes())
        .merge(crate::caller_ids::routes())
        .merge(crate::recordings::routes())
        .merge(crate::billing::routes())
}

/// The OpenAPI document of the whole API.
pub fn openapi() -> OpenApiDoc {
    api_routes().split_for_parts().1
}

/// Every route of the API, plus `/api/openapi.json` and the `/api/docs`
/// page that reads it.
pub fn router(state: AppState) -> Router {
    let (routes, api) = api_routes().split_for_parts();
    let api = Arc::new(api);
    let app = routes
        .route(
            "/api/openapi.json",
            get(move || async move { Json(api.as_ref().clone()) }),
        )
        .route("/api/docs", get(docs::page))
        // Twilio and ElevenLabs call these; they are not part of the API
        // (not under /api, not in the OpenAPI document).
        .merge(crate::webhooks::routes())
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

/// A panic in a handler answers a JSON 500 instead of dropping the
/// connection; the panic is logged.
pub(crate) fn catch_panics(router: Router) -> Router {
    router.layer(CatchPanicLayer::custom(
        |_panic: Box<dyn std::any::Any + Send>| {
            Error::Internal("handler panicked".into()).into_response()
        },
    ))
}

pub(crate) async fn not_found(uri: Uri) -> Error {
    tracing::debug!(path = %uri.path(), "no route");
    Error::NotFound { what: "route" }
}

/// The health Lambda's app: `/api/health`, `/api/openapi.json`, `/api/docs`.
pub fn meta(state: AppState) -> Router {
    let api = Arc::new(openapi());
    let app = health::routes()
        .split_for_parts()
        .0
        .route(
            "/api/openapi.json",
            get(move || async move { Json(api.as_ref().clone()) }),
        )
        .route("/api/docs", get(docs::page))
        .fallback(not_found)
        .with_state(state);
    catch_panics(app)
}

/// Everything a resource's Lambda builds once per process: logging, the
/// configuration, the shared database handle, the state, and the SQS dial
/// queue when `DIAL_QUEUE_URL` is set.
pub async fn lambda_state() -> Result<AppState, LambdaSetupError> {
    crate::logging::init();
    let config = Config::get()?.clone();
    let db = Db::shared().await?.clone();
    let queue_url = config.dial_queue_url.clone();
    let bus = config.event_bus_name.clone();
    let mut state = AppState::new(db, config)?;
    state.events = crate::events::Events::from_env(bus);
    Ok(match queue_url {
        Some(url) => state.with_dial_queue(crate::queue::DialQueue::Sqs(
            crate::queue::SqsQueue::from_env(url).await,
        )),
        None => state,
    })
}

/// Why a Lambda could not start.
#[derive(Debug, thiserror::Error)]
pub enum LambdaSetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Db(#[from] crate::db::DbSetupError),
}
