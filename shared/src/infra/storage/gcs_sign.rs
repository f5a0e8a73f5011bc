//! GCS V4 signed URLs (`GOOG4-RSA-SHA256`) with a service-account key,
//! for the Node app's `gs://` recordings.
//!
//! The steps are Google's ("Signed URLs", "Canonical requests",
//! "Signatures": a canonical request of the method, the path, the sorted
//! query, the `host` header and `UNSIGNED-PAYLOAD`; its SHA-256 in a string
//! to sign with the date and scope; an RSA PKCS #1 v1.5 SHA-256 signature of
//! that, in hex). RSA signing is `ring`'s, already linked for TLS. The URL
//! is the one `object_store`'s GCS store builds; a test in the e2e suite
//! signs with both in the same second and compares them byte for byte
//! (RSA PKCS #1 v1.5 signatures are deterministic).

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use sha2::{Digest, Sha256};

use super::{encode_key, encode_query_part};

const HOST: &str = "storage.googleapis.com";

/// A service account that signs: its e-mail and RSA key.
pub struct GcsSigner {
    email: String,
    key: RsaKeyPair,
}

/// Why a GCS URL cannot be signed.
#[derive(Debug, thiserror::Error)]
pub enum GcsSignError {
    #[error("the GCS service-account key is not usable: {0}")]
    Key(String),
    #[error("GCS URLs are valid for at most 7 days")]
    TooLong,
    #[error("signing failed")]
    Sign,
}

#[derive(serde::Deserialize)]
struct ServiceAccountKey {
    client_email: String,
    private_key: String,
}

impl GcsSigner {
    /// From a service-account key file's JSON (`client_email`,
    /// `private_key` as a PKCS #8 PEM).
    pub fn from_json(json: &str) -> Result<Self, GcsSignError> {
        let key: ServiceAccountKey =
            serde_json::from_str(json).map_err(|e| GcsSignError::Key(e.to_string()))?;
        let der = pem_body(&key.private_key)
            .ok_or_else(|| GcsSignError::Key("private_key is not a PEM private key".into()))?;
        let pair = RsaKeyPair::from_pkcs8(&der).map_err(|e| GcsSignError::Key(e.to_string()))?;
        Ok(Self {
            email: key.client_email,
            key: pair,
        })
    }

    /// `method` on `bucket`/`key`, valid for `ttl` from `now`.
    pub fn sign(
        &self,
        method: &str,
        bucket: &str,
        key: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<String, GcsSignError> {
        if ttl > Duration::from_secs(7 * 24 * 3600) {
            return Err(GcsSignError::TooLong);
        }
        let path = format!("/{bucket}/{}", encode_key(key));
        let datetime = now.format("%Y%m%dT%H%M%SZ").to_string();
        let scope = format!("{}/auto/storage/goog4_request", now.format("%Y%m%d"));
        let credential = format!("{}/{scope}", self.email);
        let expires = ttl.as_secs().to_string();
        // Already in canonical (sorted) order.
        let query = [
            ("X-Goog-Algorithm", "GOOG4-RSA-SHA256"),
            ("X-Goog-Credential", credential.as_str()),
            ("X-Goog-Date", datetime.as_str()),
            ("X-Goog-Expires", expires.as_str()),
            ("X-Goog-SignedHeaders", "host"),
        ]
        .iter()
        .map(|(name, value)| format!("{name}={}", encode_query_part(value)))
        .collect::<Vec<_>>()
        .join("&");
        let canonical = format!("{method}\n{path}\n{query}\nhost:{HOST}\n\nhost\nUNSIGNED-PAYLOAD");
        let string_to_sign = format!(
            "GOOG4-RSA-SHA256\n{datetime}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                string_to_sign.as_bytes(),
                &mut signature,
            )
            .map_err(|_| GcsSignError::Sign)?;
        Ok(format!(
            "https://{HOST}{path}?{query}&X-Goog-Signature={}",
            hex::encode(signature)
        ))
    }
}

/// The DER inside a `-----BEGIN PRIVATE KEY-----` block.
fn pem_body(pem: &str) -> Option<Vec<u8>> {
    let body = pem
        .split("-----BEGIN PRIVATE KEY-----")
        .nth(1)?
        .split("-----END PRIVATE KEY-----")
        .next()?;
    let base64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(base64)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../../../../tests/fixtures/gcs-test-service-account.json");

    #[test]
    fn signs_a_url_google_can_check() {
        let signer = GcsSigner::from_json(KEY).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-08-01T12:00:00Z")
            .unwrap()
            .to_utc();
        let url = signer
            .sign(
                "GET",
                "legacy-bucket",
                "recordings/a b.mp3",
                at,
                Duration::from_secs(3600),
            )
            .unwrap();
        assert!(url.starts_with(
            "https://storage.googleapis.com/legacy-bucket/recordings/a%20b.mp3?X-Goog-Algorithm=GOOG4-RSA-SHA256\
             &X-Goog-Credential=heyway-test%40example-project.iam.gserviceaccount.com%2F20260801%2Fauto%2Fstorage%2Fgoog4_request\
             &X-Goog-Date=20260801T120000Z&X-Goog-Expires=3600&X-Goog-SignedHeaders=host&X-Goog-Signature="
        ), "{url}");
        // The signature verifies with the key's public half over the string to sign.
        let signature = hex::decode(url.rsplit("X-Goog-Signature=").next().unwrap()).unwrap();
        let canonical = "GET\n/legacy-bucket/recordings/a%20b.mp3\n".to_string()
            + url
                .split_once('?')
                .unwrap()
                .1
                .split("&X-Goog-Signature")
                .next()
                .unwrap()
            + "\nhost:storage.googleapis.com\n\nhost\nUNSIGNED-PAYLOAD";
        let to_sign = format!(
            "GOOG4-RSA-SHA256\n20260801T120000Z\n20260801/auto/storage/goog4_request\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            signer.key.public().as_ref(),
        );
        assert!(public.verify(to_sign.as_bytes(), &signature).is_ok());
        assert!(public.verify(b"something else", &signature).is_err());
    }

    #[test]
    fn refuses_bad_keys_and_long_lifetimes() {
        assert!(matches!(
            GcsSigner::from_json("{}"),
            Err(GcsSignError::Key(_))
        ));
        let not_pem = r#"{"client_email":"a@b","private_key":"nope"}"#;
        assert!(matches!(
            GcsSigner::from_json(not_pem),
            Err(GcsSignError::Key(_))
        ));
        let signer = GcsSigner::from_json(KEY).unwrap();
        let week_and_a_second = Duration::from_secs(7 * 24 * 3600 + 1);
        assert!(matches!(
            signer.sign("GET", "b", "k", Utc::now(), week_and_a_second),
            Err(GcsSignError::TooLong)
        ));
    }
}
