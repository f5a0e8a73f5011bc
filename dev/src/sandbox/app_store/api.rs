//! The sandbox's App Store Server API: `GET
//! /inApps/v1/subscriptions/{transactionId}` (Get All Subscription
//! Statuses), answered only to a request whose bearer token is the JWT
//! Apple requires, checked as Apple checks it:
//!
//! - header: `alg: ES256`, `kid` the run's key id, `typ: JWT`;
//! - claims: `iss` the run's issuer id, `aud: appstoreconnect-v1`, `bid`
//!   the app's bundle id, `iat` not in the future, `exp` after now and at
//!   most an hour after `iat`;
//! - the ES256 signature, with the public half of the run's key.
//!
//! Anything else is Apple's 401, with nothing answered.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// What the token must name and be signed with.
#[derive(Clone, Debug)]
pub struct Expected<'a> {
    pub key_id: &'a str,
    pub issuer_id: &'a str,
    pub bundle_id: &'a str,
    /// The uncompressed P-256 point of the run's API key.
    pub public_key: &'a [u8],
}

/// Checks `Authorization: Bearer <jwt>` at `now` (Unix seconds).
pub fn check_token(
    authorization: Option<&str>,
    expected: &Expected<'_>,
    now: i64,
) -> Result<(), Refused> {
    let refuse = |why: &str| Err(Refused(why.to_string()));
    let Some(token) = authorization.and_then(|v| v.trim().strip_prefix("Bearer ")) else {
        return refuse("no bearer token");
    };
    let parts: Vec<&str> = token.trim().split('.').collect();
    let [header_b64, claims_b64, signature_b64] = parts[..] else {
        return refuse("not a JWT");
    };
    let json = |part: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    let (Some(header), Some(claims)) = (json(header_b64), json(claims_b64)) else {
        return refuse("the header or claims are not base64url JSON");
    };
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    if text(&header, "alg").as_deref() != Some("ES256") {
        return refuse("alg is not ES256");
    }
    if text(&header, "kid").as_deref() != Some(expected.key_id) {
        return refuse("kid is not the key's id");
    }
    if text(&header, "typ").as_deref() != Some("JWT") {
        return refuse("typ is not JWT");
    }
    if text(&claims, "iss").as_deref() != Some(expected.issuer_id) {
        return refuse("iss is not the issuer id");
    }
    if text(&claims, "aud").as_deref() != Some("appstoreconnect-v1") {
        return refuse("aud is not appstoreconnect-v1");
    }
    if text(&claims, "bid").as_deref() != Some(expected.bundle_id) {
        return refuse("bid is not the app's bundle id");
    }
    let (Some(iat), Some(exp)) = (
        claims.get("iat").and_then(Value::as_i64),
        claims.get("exp").and_then(Value::as_i64),
    ) else {
        return refuse("iat or exp is missing");
    };
    if iat > now + 60 {
        return refuse("iat is in the future");
    }
    if exp <= now {
        return refuse("the token expired");
    }
    if exp - iat > 3600 {
        return refuse("exp is more than an hour after iat");
    }
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature_b64) else {
        return refuse("the signature is not base64url");
    };
    let message = format!("{header_b64}.{claims_b64}");
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_FIXED,
        expected.public_key,
    )
    .verify(message.as_bytes(), &signature)
    .map_err(|_| Refused("the signature does not verify with the key".to_string()))
}
