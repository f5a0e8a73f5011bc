//! The HTTP toolkit every feature's routes use: the state built once per
//! process ([`AppState`]), the extractors that turn a bad request into a
//! 4xx naming the field (the `Idempotency-Key` header among them), JSON
//! and input checks, page and id-list types, the common error responses
//! of the OpenAPI document, and the panic and 404 layers. It runs no
//! queries: features' repos do. The routers are merged in [`crate::app`].

pub mod access_token;
mod auth_user;
pub mod extract;
pub mod id_list;
pub mod idempotency_key;
pub mod input;
pub mod json;
pub mod page;
pub mod responses;
mod routes;
mod state;

use axum::http::Uri;
use axum::response::IntoResponse;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa_axum::router::OpenApiRouter;

pub use access_token::AccessTokens;
pub use auth_user::AuthUser;
pub use extract::{ApiJson, ApiQuery};
pub use idempotency_key::IdempotencyKey;
pub(crate) use routes::routes;
pub use state::AppState;

use crate::error::Error;

/// A resource's routes with their OpenAPI operations.
pub type ApiRouter = OpenApiRouter<AppState>;

/// A panic in a handler answers a JSON 500 instead of dropping the
/// connection; the panic is logged.
pub fn catch_panics(router: Router) -> Router {
    router.layer(CatchPanicLayer::custom(
        |_panic: Box<dyn std::any::Any + Send>| {
            Error::Internal("handler panicked".into()).into_response()
        },
    ))
}

/// The fallback of every app: a JSON 404.
pub async fn not_found(uri: Uri) -> Error {
    tracing::debug!(path = %uri.path(), "no route");
    Error::NotFound { what: "route" }
}
