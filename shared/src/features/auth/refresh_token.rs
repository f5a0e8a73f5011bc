//! Rotating refresh tokens, stored hashed.
//!
//! Each refresh spends the presented token and issues a new one in the same
//! family. A token presented a second time means it was stolen (or the
//! client raced itself): the whole family is revoked, so whoever holds the
//! newest token must sign in again.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mongodb::bson::{oid::ObjectId, DateTime};
use sha2::{Digest, Sha256};

use super::repo::refresh_tokens::{self, NewToken};
use crate::error::{Error, Result};
use crate::infra::db::Db;

/// A new token: the secret for the client, and its stored record's id.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: String,
    pub id: ObjectId,
}

/// Issues a new token for `user_id`, starting a family when `family` is
/// `None`.
pub async fn issue(
    db: &Db,
    user_id: ObjectId,
    family: Option<ObjectId>,
    ttl_days: u64,
) -> Result<IssuedToken> {
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let id = ObjectId::new();
    let now = DateTime::now();
    let ttl_ms = i64::try_from(ttl_days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
    let token_hash = hash(&token);
    let new = NewToken {
        id,
        user_id,
        token_hash: &token_hash,
        family: family.unwrap_or(id),
        expires_at: DateTime::from_millis(now.timestamp_millis().saturating_add(ttl_ms)),
    };
    refresh_tokens::insert(db, &new, now).await?;
    Ok(IssuedToken { token, id })
}

/// Spends `token` and returns its user and family for the next token.
/// Unknown, expired, revoked or already-spent tokens are `Unauthorized`;
/// a spent one also revokes its family.
pub async fn spend(db: &Db, token: &str) -> Result<(ObjectId, ObjectId)> {
    let stored = refresh_tokens::with_hash(db, &hash(token))
        .await?
        .ok_or(Error::Unauthorized)?;
    if refresh_tokens::spend(db, stored.id, DateTime::now()).await? {
        return Ok((stored.user_id, stored.family));
    }
    // Not spendable: expired, revoked, or spent before. Spent before means
    // a copy of the token is in someone else's hands.
    if refresh_tokens::was_spent(db, stored.id).await? {
        let (user, family) = (stored.user_id, stored.family);
        tracing::warn!(%user, %family, "refresh token reused; revoking its family");
        revoke_family(db, family).await?;
    }
    Err(Error::Unauthorized)
}

/// Revokes every token of a family.
pub async fn revoke_family(db: &Db, family: ObjectId) -> Result<()> {
    refresh_tokens::revoke_family(db, family, DateTime::now()).await
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
