//! `ElevenLabs-Signature`: proof that a post-call webhook came from
//! ElevenLabs.
//!
//! The header is `t=<unix secs>,v0=<hex>` (more parts may follow);
//! `v0 = hex(HMAC-SHA256(secret, t + "." + raw body))`. The timestamp is
//! inside the MAC, so refusing old ones stops replays; the SDKs allow 30
//! minutes.

use crate::integrations::timestamped_hmac::{self, HeaderError, SignedHeader};

/// How old a signed webhook may be, as the official SDKs allow.
pub const DEFAULT_TOLERANCE_SECS: i64 = 30 * 60;

/// Why a webhook signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("malformed ElevenLabs-Signature header: {0}")]
    Malformed(&'static str),
    /// Older than the tolerance, or as far in the future: a replay or a
    /// badly wrong clock.
    #[error("ElevenLabs-Signature timestamp is outside the tolerance")]
    Expired,
    #[error("ElevenLabs-Signature does not match the body")]
    Mismatch,
}

/// The header value ElevenLabs would send for `body` at `t`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v0={}", timestamped_hmac::compute(secret, t, body))
}

pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let SignedHeader { t, signatures } =
        timestamped_hmac::parse(header, "v0").map_err(|error| match error {
            HeaderError::BadTimestamp => SignatureError::Malformed("t is not a number"),
            HeaderError::NoTimestamp => SignatureError::Malformed("no t"),
            HeaderError::NoSignature => SignatureError::Malformed("no v0"),
        })?;
    if now_unix.saturating_sub(t).saturating_abs() > tolerance_secs {
        return Err(SignatureError::Expired);
    }
    if timestamped_hmac::any_matches(secret, t, body, &signatures) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "test_secret";
    const T: i64 = 1_700_000_000;
    const BODY: &[u8] =
        br#"{"type":"post_call_transcription","event_timestamp":1700000000,"data":{"conversation_id":"abc"}}"#;
    const V0: &str = "fdc2cc277468fda6feb6106f7db0195f7508e561bfcfd2bf7c02c511cb98c1ee";

    fn header() -> String {
        format!("t={T},v0={V0}")
    }

    #[test]
    fn signs_the_vector() {
        assert_eq!(sign(SECRET, T, BODY), header());
    }

    #[test]
    fn verifies_the_vector() {
        assert_eq!(
            verify(SECRET, &header(), BODY, T + 60, DEFAULT_TOLERANCE_SECS),
            Ok(())
        );
        // Extra parts and spaces are tolerated; a second v0 may match.
        let extended = format!("t={T}, v0=00ff, v0={V0}, v1=whatever");
        assert_eq!(
            verify(SECRET, &extended, BODY, T, DEFAULT_TOLERANCE_SECS),
            Ok(())
        );
    }

    #[test]
    fn refuses_wrong_secret_body_or_signature() {
        let tolerance = DEFAULT_TOLERANCE_SECS;
        assert_eq!(
            verify("other", &header(), BODY, T, tolerance),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, &header(), b"{}", T, tolerance),
            Err(SignatureError::Mismatch)
        );
        let bad = format!("t={T},v0={}", V0.replace('f', "e"));
        assert_eq!(
            verify(SECRET, &bad, BODY, T, tolerance),
            Err(SignatureError::Mismatch)
        );
        let not_hex = format!("t={T},v0=zz");
        assert_eq!(
            verify(SECRET, &not_hex, BODY, T, tolerance),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is signed: changing it breaks the signature.
        let moved = format!("t={},v0={V0}", T + 1);
        assert_eq!(
            verify(SECRET, &moved, BODY, T, tolerance),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn refuses_old_and_far_future_timestamps() {
        let tolerance = DEFAULT_TOLERANCE_SECS;
        assert_eq!(
            verify(SECRET, &header(), BODY, T + tolerance, tolerance),
            Ok(())
        );
        assert_eq!(
            verify(SECRET, &header(), BODY, T + tolerance + 1, tolerance),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            verify(SECRET, &header(), BODY, T - tolerance - 1, tolerance),
            Err(SignatureError::Expired)
        );
    }

    #[test]
    fn refuses_malformed_headers() {
        for header in [
            "",
            "garbage",
            &format!("v0={V0}"),
            &format!("t=soon,v0={V0}"),
            &format!("t={T}"),
        ] {
            assert!(
                matches!(
                    verify(SECRET, header, BODY, T, DEFAULT_TOLERANCE_SECS),
                    Err(SignatureError::Malformed(_))
                ),
                "{header:?}"
            );
        }
    }
}
