//! The sandboxes' secrets and who may read their logs.
//!
//! A sandbox signs webhooks that our server trusts, so its secrets are
//! never constants and never taken from the environment: each run makes
//! its own ([`new_secret`]), and the server verifies with those. Its logs
//! (`GET /sandbox/calls`, `GET /sandbox/stripe/events`, …) show every
//! tenant's numbers, transcripts and ids, so they answer only requests
//! carrying the run's access key ([`AccessKey`]): `Authorization: Bearer
//! <key>`, or `?key=<key>` for a browser.

use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// 32 random bytes from the thread's CSPRNG, as 64 lowercase hex digits.
pub fn new_secret() -> String {
    use std::fmt::Write;
    rand::random::<[u8; 32]>()
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// The key that reads a sandbox's logs; random per run.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey(String);

impl AccessKey {
    /// A new random key.
    pub fn random() -> Self {
        Self(new_secret())
    }

    /// The key as text, e.g. to hand it to `heyway demo`.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the request carries this key (bearer or `?key=`),
    /// compared in constant time.
    pub fn admits(&self, headers: &HeaderMap, uri: &Uri) -> bool {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().strip_prefix("Bearer "))
            .map(|key| key.trim().to_string());
        let query = uri.query().and_then(|query| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "key")
                .map(|(_, value)| value.into_owned())
        });
        [bearer, query]
            .into_iter()
            .flatten()
            .any(|key| subtle::ConstantTimeEq::ct_eq(key.as_bytes(), self.0.as_bytes()).into())
    }

    /// `None` when the request carries the key, else the 401 to answer.
    pub fn check(&self, headers: &HeaderMap, uri: &Uri) -> Option<Response> {
        if self.admits(headers, uri) {
            return None;
        }
        Some(
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"heyway sandbox\"")],
                Json(json!({
                    "error": "the sandbox's logs need its per-run key: \
                              `Authorization: Bearer <key>` or `?key=<key>` \
                              (heyway serve writes it to <data dir>/sandbox-key)"
                })),
            )
                .into_response(),
        )
    }
}

impl From<String> for AccessKey {
    fn from(key: String) -> Self {
        Self(key)
    }
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessKey(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_hex() {
        let a = new_secret();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, new_secret());
    }

    #[test]
    fn admits_the_key_as_bearer_or_query_only() {
        let key = AccessKey::from("k3y".to_string());
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, "Bearer k3y".parse().unwrap());
        assert!(key.admits(&bearer, &uri("/calls")));
        assert!(key.admits(&HeaderMap::new(), &uri("/calls?key=k3y")));
        assert!(!key.admits(&HeaderMap::new(), &uri("/calls")));
        assert!(!key.admits(&HeaderMap::new(), &uri("/calls?key=k3")));
        assert!(!key.admits(&HeaderMap::new(), &uri("/calls?key=")));
        let mut wrong = HeaderMap::new();
        wrong.insert(header::AUTHORIZATION, "Bearer k3yy".parse().unwrap());
        assert!(!key.admits(&wrong, &uri("/calls")));
        let refused = key.check(&wrong, &uri("/calls")).unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert!(key.check(&bearer, &uri("/calls")).is_none());
        assert_eq!(format!("{key:?}"), "AccessKey(…)");
    }
}
