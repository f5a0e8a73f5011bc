//! `GET /api/health`: is the service up, and can it reach its database.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::db::DbStatus;
use crate::http::AppState;

/// How long the health check waits for the database before saying it is
/// down; a load balancer's probe must not hang on a dead server.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    pub status: &'static str,
    pub version: &'static str,
    pub database: DatabaseHealth,
}

#[derive(Debug, Serialize)]
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

async fn handler(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let health = check(&state).await;
    let code = match health.database {
        DatabaseHealth::Up(_) => StatusCode::OK,
        DatabaseHealth::Down { .. } => StatusCode::SERVICE_UNAVAILABLE,
    };
    (code, Json(health))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/health", get(handler))
}
