//! The `Idempotency-Key` request header: a client's name for one intent
//! ("call Sam now"), sent again unchanged with every retry of it, so the
//! server can answer a retry with what the first request answered instead
//! of doing it twice. The header is read and checked here; what a key
//! remembers is stored by `features::idempotency`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::Error;

/// The header's name, as the field of its errors.
pub const HEADER: &str = "Idempotency-Key";

/// The longest key accepted, in bytes (Stripe's limit).
pub const MAX_LEN: usize = 255;

/// The request's `Idempotency-Key`, if it sent one: 1 to [`MAX_LEN`]
/// visible ASCII characters (spaces inside allowed), as sent. A key that
/// is empty, too long or not ASCII is a 400 naming the header, so a
/// client's typo never silently turns the protection off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        let mut values = parts.headers.get_all(HEADER).iter();
        let Some(value) = values.next() else {
            return Ok(Self(None));
        };
        if values.next().is_some() {
            return Err(malformed("send one Idempotency-Key header, not several"));
        }
        let key = value
            .to_str()
            .map_err(|_| malformed("Idempotency-Key must be visible ASCII characters"))?;
        parse(key).map(|key| Self(Some(key)))
    }
}

/// Checks a key's text.
fn parse(key: &str) -> Result<String, Error> {
    if key.trim().is_empty() {
        return Err(malformed("Idempotency-Key must not be empty"));
    }
    if key.len() > MAX_LEN {
        return Err(malformed(format!(
            "Idempotency-Key must be at most {MAX_LEN} characters"
        )));
    }
    if !key.bytes().all(|byte| (b' '..=b'~').contains(&byte)) {
        return Err(malformed(
            "Idempotency-Key must be visible ASCII characters",
        ));
    }
    Ok(key.to_string())
}

fn malformed(message: impl Into<String>) -> Error {
    Error::bad_request(Some(HEADER), message)
}

/// The header as an OpenAPI parameter: `params(IdempotencyKeyHeader)`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// A key of your choosing (a UUID, say), up to 255 ASCII characters,
    /// the same on every retry of one request. Within 24 hours, the same
    /// key with the same body answers what the first request answered
    /// (with `Idempotent-Replayed: true`) and does nothing again; with
    /// another body it is a 422. While the first request is still running,
    /// a retry waits up to a few seconds for its answer, then answers 409.
    /// Keys are per user. A request that fails does not keep its key.
    #[serde(rename = "Idempotency-Key")]
    #[allow(dead_code)]
    key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert_eq!(parse("a1b2-c3").unwrap(), "a1b2-c3");
        assert_eq!(parse("call sam now").unwrap(), "call sam now");
        assert!(parse(&"k".repeat(MAX_LEN)).is_ok());
        for bad in ["", "   ", "tab\there", "ü"] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.body().error.field.as_deref(), Some(HEADER), "{bad:?}");
        }
        assert!(parse(&"k".repeat(MAX_LEN + 1)).is_err());
    }
}
