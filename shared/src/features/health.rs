//! `GET /api/health`: is the service up, and can it reach its database.

use std::time::Duration;

use crate::http::routes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::{ApiRouter, AppState};
use crate::infra::db::DbStatus;

/// How long the health check waits for the database before saying it is
/// down; a load balancer's probe must not hang on a dead server.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    pub status: &'static str,
    pub version: &'static str,
    pub database: DatabaseHealth,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum DatabaseHealth {
    Up(DbStatus),
    Down { status: &'static str, error: String },
}

/// Checks the database once.
pub async fn check(state: &AppState) -> Health {
    let database = match tokio::time::timeout(PING_TIMEOUT, state.db.ping()).await {
        Ok(Ok(status)) => DatabaseHealth::Up(status),
        Ok(Err(error)) => DatabaseHealth::Down {
            status: "down",
            error: error.to_string(),
        },
        Err(_) => DatabaseHealth::Down {
            status: "down",
            error: format!("no answer within {} s", PING_TIMEOUT.as_secs()),
        },
    };
    let status = match database {
        DatabaseHealth::Up(_) => "ok",
        DatabaseHealth::Down { .. } => "degraded",
    };
    Health {
        status,
        version: env!("CARGO_PKG_VERSION"),
        database,
    }
}

/// Service and database status.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "health",
    responses(
        (status = 200, description = "Up, database reachable", body = Health),
        (status = 503, description = "Database unreachable", body = Health),
    )
)]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let health = check(&state).await;
    let code = match health.database {
        DatabaseHealth::Up(_) => StatusCode::OK,
        DatabaseHealth::Down { .. } => StatusCode::SERVICE_UNAVAILABLE,
    };
    (code, Json(health))
}

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(health))
}
