//! Short-lived access tokens: HS256 JWTs whose subject is the user's id.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mongodb::bson::oid::ObjectId;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Marks an access token, so no other JWT signed with the same key passes
/// as one. (The key is used for nothing else either: it is derived from
/// `JWT_SECRET` for access tokens alone, see `Config::signing_key`.)
const TOKEN_USE: &str = "access";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: u64,
    exp: u64,
    token_use: String,
}

/// Issues and checks access tokens with one key.
#[derive(Clone)]
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl_secs: u64,
}

impl std::fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokens")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl AccessTokens {
    /// Tokens signed with `key`: the access-token key derived from
    /// `JWT_SECRET` (`Config::signing_key(KeyPurpose::AccessTokens)`).
    pub fn new(key: &[u8], ttl_secs: u64) -> Self {
        crate::infra::jwt::install();
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            ttl_secs,
        }
    }

    /// Seconds an access token lives.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// A token for `user_id`, valid from now for the configured time.
    pub fn issue(&self, user_id: ObjectId) -> Result<String> {
        self.issue_at(user_id, unix_now())
    }

    pub fn issue_at(&self, user_id: ObjectId, now: u64) -> Result<String> {
        let claims = Claims {
            sub: user_id.to_hex(),
            iat: now,
            exp: now + self.ttl_secs,
            token_use: TOKEN_USE.to_string(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Internal(format!("signing a token: {e}")))
    }

    /// The user a valid, unexpired access token names; `Unauthorized`
    /// for anything else.
    pub fn verify(&self, token: &str) -> Result<ObjectId> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        let data = decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| Error::Unauthorized)?;
        if data.claims.token_use != TOKEN_USE {
            return Err(Error::Unauthorized);
        }
        data.claims.sub.parse().map_err(|_| Error::Unauthorized)
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify() {
        let tokens = AccessTokens::new(b"test-secret", 900);
        let user = ObjectId::new();
        assert_eq!(tokens.verify(&tokens.issue(user).unwrap()).unwrap(), user);
    }

    #[test]
    fn expired_tokens_are_refused() {
        let tokens = AccessTokens::new(b"test-secret", 900);
        let token = tokens.issue_at(ObjectId::new(), unix_now() - 1000).unwrap();
        assert!(matches!(tokens.verify(&token), Err(Error::Unauthorized)));
    }

    #[test]
    fn other_secrets_and_garbage_are_refused() {
        let ours = AccessTokens::new(b"test-secret", 900);
        let theirs = AccessTokens::new(b"other-secret", 900);
        let token = theirs.issue(ObjectId::new()).unwrap();
        assert!(matches!(ours.verify(&token), Err(Error::Unauthorized)));
        assert!(matches!(ours.verify("not.a.jwt"), Err(Error::Unauthorized)));
    }
}
