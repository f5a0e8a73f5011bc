//! `Stripe-Signature`: proof that a webhook came from Stripe.
//!
//! The header is `t=<unix secs>,v1=<hex>[,v1=<hex>…]` (plus `v0` test-mode
//! parts, ignored); each `v1 = hex(HMAC-SHA256(whsec, t + "." + raw body))`.
//! Any `v1` may match (Stripe sends two while a secret is being rolled);
//! the comparison is constant-time. Then, as Stripe's libraries do, a `t`
//! older than the tolerance (300 s) is refused: a replay.

use crate::integrations::timestamped_hmac::{self, HeaderError, SignedHeader};

/// Stripe's libraries' default tolerance.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a Stripe webhook signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("malformed Stripe-Signature header: {0}")]
    Malformed(&'static str),
    #[error("Stripe-Signature does not match the body")]
    Mismatch,
    /// Signed longer ago than the tolerance: a replay.
    #[error("Stripe-Signature timestamp is too old")]
    Expired,
}

impl SignatureError {
    /// A fixed description, for [`crate::Error::BadSignature`].
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "Stripe-Signature is malformed",
            Self::Mismatch => "Stripe-Signature does not match",
            Self::Expired => "Stripe-Signature timestamp is too old",
        }
    }
}

/// The `v1` signature Stripe computes for `payload` at `t`, hex.
pub fn compute(secret: &str, t: i64, payload: &[u8]) -> String {
    timestamped_hmac::compute(secret, t, payload)
}

pub fn sign(secret: &str, t: i64, payload: &[u8]) -> String {
    format!("t={t},v1={}", compute(secret, t, payload))
}

pub fn verify(
    secret: &str,
    header: &str,
    payload: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let SignedHeader { t, signatures } =
        timestamped_hmac::parse(header, "v1").map_err(|error| match error {
            HeaderError::BadTimestamp => SignatureError::Malformed("t is not a number"),
            HeaderError::NoTimestamp => SignatureError::Malformed("no t"),
            HeaderError::NoSignature => SignatureError::Malformed("no v1"),
        })?;
    if !timestamped_hmac::any_matches(secret, t, payload, &signatures) {
        return Err(SignatureError::Mismatch);
    }
    if t < now_unix.saturating_sub(tolerance_secs) {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // contracts.md's vector.
    const SECRET: &str = "whsec_test_secret";
    const T: i64 = 1_700_000_000;
    const PAYLOAD: &[u8] = br#"{"id":"evt_test","object":"event","type":"invoice.paid"}"#;
    const V1: &str = "02b5890a3376a18a176fde670ba47bc920bc30c6ae0deb7adf58049a4ead9aff";

    #[test]
    fn computes_the_contract_vector() {
        assert_eq!(compute(SECRET, T, PAYLOAD), V1);
        assert_eq!(sign(SECRET, T, PAYLOAD), format!("t={T},v1={V1}"));
    }

    #[test]
    fn verifies_the_vector_with_any_matching_v1() {
        let tol = DEFAULT_TOLERANCE_SECS;
        assert_eq!(
            verify(SECRET, &format!("t={T},v1={V1}"), PAYLOAD, T + 10, tol),
            Ok(())
        );
        let rolled = format!("t={T}, v1={}, v1={V1}, v0=abcd", "00".repeat(32));
        assert_eq!(verify(SECRET, &rolled, PAYLOAD, T, tol), Ok(()));
    }

    #[test]
    fn refuses_wrong_secret_payload_timestamp_or_signature() {
        let tol = DEFAULT_TOLERANCE_SECS;
        let header = format!("t={T},v1={V1}");
        assert_eq!(
            verify("whsec_other", &header, PAYLOAD, T, tol),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, &header, b"{}", T, tol),
            Err(SignatureError::Mismatch)
        );
        let moved = format!("t={},v1={V1}", T + 1);
        assert_eq!(
            verify(SECRET, &moved, PAYLOAD, T, tol),
            Err(SignatureError::Mismatch)
        );
        let not_hex = format!("t={T},v1=zz");
        assert_eq!(
            verify(SECRET, &not_hex, PAYLOAD, T, tol),
            Err(SignatureError::Mismatch)
        );
        // A v0 (test-mode scheme) alone does not count.
        let v0_only = format!("t={T},v0={V1}");
        assert!(matches!(
            verify(SECRET, &v0_only, PAYLOAD, T, tol),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn refuses_timestamps_older_than_the_tolerance() {
        let tol = DEFAULT_TOLERANCE_SECS;
        let header = format!("t={T},v1={V1}");
        assert_eq!(verify(SECRET, &header, PAYLOAD, T + tol, tol), Ok(()));
        assert_eq!(
            verify(SECRET, &header, PAYLOAD, T + tol + 1, tol),
            Err(SignatureError::Expired)
        );
    }

    #[test]
    fn refuses_malformed_headers() {
        for header in [
            "",
            "garbage",
            &format!("v1={V1}"),
            &format!("t=soon,v1={V1}"),
            &format!("t={T}"),
        ] {
            assert!(
                matches!(
                    verify(SECRET, header, PAYLOAD, T, DEFAULT_TOLERANCE_SECS),
                    Err(SignatureError::Malformed(_))
                ),
                "{header:?}"
            );
        }
    }
}
