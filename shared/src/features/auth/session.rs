//! Sessions: the access and refresh token pair a sign-in answers, and its
//! renewal by spending the refresh token.

use mongodb::bson::oid::ObjectId;
use serde::Serialize;
use utoipa::ToSchema;

use super::refresh_token;
use crate::error::{Error, Result};
use crate::features::me::UserView;
use crate::http::AppState;
use crate::infra::store;
use crate::model::User;

/// A signed-in session: a short-lived access token and a refresh token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Access token (JWT); send as `Authorization: Bearer …`.
    pub token: String,
    /// Spend once at `/api/auth/refresh` for a new pair.
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds the access token lives.
    pub expires_in: u64,
    pub user: UserView,
}

/// Issues a token pair for `user`, continuing refresh `family` if given.
pub async fn start_session(
    state: &AppState,
    user: &User,
    family: Option<ObjectId>,
) -> Result<Session> {
    let refresh = refresh_token::issue(
        &state.db,
        user.id,
        family,
        state.config.refresh_token_ttl_days,
    )
    .await?;
    Ok(Session {
        token: state.tokens.issue(user.id)?,
        refresh_token: refresh.token,
        token_type: "Bearer",
        expires_in: state.tokens.ttl_secs(),
        user: UserView::from(user),
    })
}

/// Spends `token` for a new pair in its family; a reused token is refused
/// and ends its whole family.
pub async fn renew(state: &AppState, token: &str) -> Result<Session> {
    let refused = || Error::BadCredentials("refresh token is invalid, expired or already used");
    let (user_id, family) = refresh_token::spend(&state.db, token)
        .await
        .map_err(|e| match e {
            Error::Unauthorized => refused(),
            other => other,
        })?;
    let user = store::find_by_id::<User>(&state.db, user_id)
        .await?
        .ok_or_else(refused)?;
    start_session(state, &user, Some(family)).await
}
