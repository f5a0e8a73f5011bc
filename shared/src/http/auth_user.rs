//! The signed-in user of a request, from its `Authorization: Bearer` token.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use mongodb::bson::oid::ObjectId;

use super::AppState;
use crate::error::Error;

/// Proof that the request carries a valid access token. Every handler
/// that takes one scopes its queries by `user_id`, so another tenant's ids
/// are simply not found.
#[derive(Clone, Copy, Debug)]
pub struct AuthUser {
    pub user_id: ObjectId,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or(Error::Unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(Error::Unauthorized)?;
        let user_id = state.tokens.verify(token.trim())?;
        Ok(Self { user_id })
    }
}
