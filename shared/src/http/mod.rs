//! The HTTP API: one router per resource, merged here. The same router
//! runs inside `lambda_http` on AWS and inside `heyway serve`.

use axum::http::Uri;
use axum::Router;

use crate::db::Db;
use crate::error::Error;
use crate::health;

/// What every handler may use, built once per process.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
}

impl AppState {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// Every route of the API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(uri: Uri) -> Error {
    tracing::debug!(path = %uri.path(), "no route");
    Error::NotFound { what: "route" }
}

/// One resource's routes as a complete app, for that resource's Lambda.
pub fn single(routes: Router<AppState>, state: AppState) -> Router {
    routes.fallback(not_found).with_state(state)
}
