//! Verifying what the App Store signs (a StoreKit 2 transaction, renewal
//! info, a server notification's `signedPayload`): a compact JWS whose
//! header names `ES256` and carries the signing chain in `x5c`.
//!
//! The rules are those of Apple's `app-store-server-library`
//! (`SignedDataVerifier` without online checks), so the two agree on
//! every input (tests/tests/app_store_verifier.rs runs both):
//!
//! 1. the header's `alg` is `ES256` and `x5c` holds exactly three
//!    certificates (leaf, intermediate, root); the third is not trusted
//!    for anything;
//! 2. the leaf chains through the intermediate to one of the configured
//!    roots (rustls-webpki), checked at the payload's `signedDate` (the
//!    moment Apple signed), or now when it has none;
//! 3. the leaf carries Apple's marker extension `1.2.840.113635.100.6.11.1`
//!    and the intermediate `1.2.840.113635.100.6.2.1`;
//! 4. the ES256 signature verifies with the leaf's P-256 key (ring);
//! 5. the payload names our bundle id and environment (and, for a
//!    production notification, our app's Apple ID).
//!
//! The roots come from the configuration ([`AppleConfig`]): Apple Root
//! CA - G3 in production, a sandbox's own root locally, never both.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Utc};
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use webpki::EndEntityCert;

use super::der::{self, INTERMEDIATE_MARKER_OID, LEAF_MARKER_OID};
use super::payloads::{NotificationPayload, RenewalInfoPayload, TransactionPayload};
use crate::infra::config::{AppleConfig, AppleEnvironment};

/// Why signed data was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("not a compact JWS: {0}")]
    Malformed(&'static str),
    #[error("the JWS algorithm is not ES256")]
    Algorithm,
    #[error("the x5c chain does not hold exactly three certificates")]
    ChainLength,
    #[error("a certificate of the x5c chain is unreadable")]
    Certificate,
    #[error("the x5c chain does not lead to a trusted root: {0}")]
    Chain(String),
    #[error("the {0} certificate lacks Apple's marker extension")]
    Marker(&'static str),
    #[error("the signature does not verify")]
    Signature,
    #[error("the signed payload is not what Apple signs: {0}")]
    Payload(String),
    #[error("signed for another app")]
    AppIdentifier,
    #[error("signed for another environment")]
    Environment,
    #[error("no trusted root is configured")]
    NoRoots,
}

/// Checks Apple's signed data against the configured roots, bundle id
/// and environment.
#[derive(Debug)]
pub struct SignedDataVerifier {
    roots: Vec<TrustAnchor<'static>>,
    bundle_id: String,
    environment: AppleEnvironment,
    app_apple_id: Option<i64>,
}

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    #[serde(default)]
    x5c: Vec<String>,
}

impl SignedDataVerifier {
    /// The verifier `config` describes; `None` without `APPLE_BUNDLE_ID`.
    /// Roots that are not certificates are skipped (logged).
    pub fn from_config(config: &AppleConfig) -> Option<Self> {
        let bundle_id = config.bundle_id.clone()?;
        Some(Self::new(
            &config.root_certificates,
            bundle_id,
            config.environment,
            config.app_apple_id,
        ))
    }

    pub fn new(
        roots: &[Vec<u8>],
        bundle_id: String,
        environment: AppleEnvironment,
        app_apple_id: Option<i64>,
    ) -> Self {
        let roots = roots
            .iter()
            .filter_map(|der| {
                let cert = CertificateDer::from(der.as_slice());
                match webpki::anchor_from_trusted_cert(&cert) {
                    Ok(anchor) => Some(anchor.to_owned()),
                    Err(error) => {
                        tracing::error!(?error, "an Apple root certificate is unreadable: skipped");
                        None
                    }
                }
            })
            .collect();
        Self {
            roots,
            bundle_id,
            environment,
            app_apple_id,
        }
    }

    pub fn environment(&self) -> AppleEnvironment {
        self.environment
    }

    /// A signed transaction (`jwsRepresentation`, `signedTransactionInfo`).
    pub fn verify_transaction(
        &self,
        jws: &str,
        now: DateTime<Utc>,
    ) -> Result<TransactionPayload, VerifyError> {
        let payload: TransactionPayload = self.decode(jws, now)?;
        if payload.bundle_id.as_deref() != Some(self.bundle_id.as_str()) {
            return Err(VerifyError::AppIdentifier);
        }
        self.check_environment(payload.environment.as_deref())?;
        Ok(payload)
    }

    /// Signed renewal info (`signedRenewalInfo`).
    pub fn verify_renewal_info(
        &self,
        jws: &str,
        now: DateTime<Utc>,
    ) -> Result<RenewalInfoPayload, VerifyError> {
        let payload: RenewalInfoPayload = self.decode(jws, now)?;
        self.check_environment(payload.environment.as_deref())?;
        Ok(payload)
    }

    /// A server notification's `signedPayload`. Its nested transaction and
    /// renewal info are verified by their own calls.
    pub fn verify_notification(
        &self,
        jws: &str,
        now: DateTime<Utc>,
    ) -> Result<NotificationPayload, VerifyError> {
        let payload: NotificationPayload = self.decode(jws, now)?;
        let (bundle_id, app_apple_id, environment) = notification_app(&payload);
        let production = self.environment == AppleEnvironment::Production;
        if bundle_id.as_deref() != Some(self.bundle_id.as_str())
            || (production && app_apple_id != self.app_apple_id)
        {
            return Err(VerifyError::AppIdentifier);
        }
        self.check_environment(environment.as_deref())?;
        Ok(payload)
    }

    fn check_environment(&self, environment: Option<&str>) -> Result<(), VerifyError> {
        if environment != Some(self.environment.as_str()) {
            return Err(VerifyError::Environment);
        }
        Ok(())
    }

    /// The payload of `jws` once its chain and signature hold.
    fn decode<T: DeserializeOwned>(&self, jws: &str, now: DateTime<Utc>) -> Result<T, VerifyError> {
        let mut parts = jws.trim().split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed("it does not have three parts"));
        };
        let decode = |part: &str, what: &'static str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| VerifyError::Malformed(what))
        };
        let header: Header = serde_json::from_slice(&decode(header_b64, "bad header")?)
            .map_err(|_| VerifyError::Malformed("the header is not JSON"))?;
        let payload_bytes = decode(payload_b64, "bad payload")?;
        let payload: Value = serde_json::from_slice(&payload_bytes)
            .map_err(|_| VerifyError::Malformed("the payload is not JSON"))?;
        let signature = decode(signature_b64, "bad signature")?;
        if header.x5c.is_empty() {
            return Err(VerifyError::Malformed("x5c is missing"));
        }
        if header.alg.as_deref() != Some("ES256") {
            return Err(VerifyError::Algorithm);
        }
        // Apple's rule: the chain is checked when the data was signed.
        let signed_ms = payload
            .get("signedDate")
            .or_else(|| payload.get("receiptCreationDate"))
            .and_then(Value::as_i64);
        let at = signed_ms.map_or(now.timestamp(), |ms| ms.div_euclid(1000));
        let leaf = self.verify_chain(&header.x5c, at)?;
        let message = format!("{header_b64}.{payload_b64}");
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &leaf)
            .verify(message.as_bytes(), &signature)
            .map_err(|_| VerifyError::Signature)?;
        serde_json::from_value(payload).map_err(|e| VerifyError::Payload(e.to_string()))
    }

    /// The leaf's P-256 key, once the chain leads to a root at `at`
    /// (Unix seconds) and both markers are there.
    fn verify_chain(&self, x5c: &[String], at: i64) -> Result<Vec<u8>, VerifyError> {
        if self.roots.is_empty() {
            return Err(VerifyError::NoRoots);
        }
        if x5c.len() != 3 {
            return Err(VerifyError::ChainLength);
        }
        let read = |b64: &String| STANDARD.decode(b64).map_err(|_| VerifyError::Certificate);
        let leaf_der = read(&x5c[0])?;
        let intermediate_der = read(&x5c[1])?;
        let leaf_cert = CertificateDer::from(leaf_der.as_slice());
        let leaf = EndEntityCert::try_from(&leaf_cert).map_err(|_| VerifyError::Certificate)?;
        let intermediates = [CertificateDer::from(intermediate_der.as_slice())];
        let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            u64::try_from(at).unwrap_or(0),
        ));
        let algorithms = [
            webpki::ring::ECDSA_P256_SHA256,
            webpki::ring::ECDSA_P256_SHA384,
            webpki::ring::ECDSA_P384_SHA256,
            webpki::ring::ECDSA_P384_SHA384,
        ];
        let path = leaf
            .verify_for_usage(
                &algorithms,
                &self.roots,
                &intermediates,
                time,
                // Apple's leaves have no EKU; one that has some is not
                // refused for it (as OpenSSL does not).
                AnyUsage,
                None,
                None,
            )
            .map_err(|e| VerifyError::Chain(format!("{e:?}")))?;
        // The leaf, the intermediate, the root: no shorter path.
        if path.intermediate_certificates().count() != 1 {
            return Err(VerifyError::ChainLength);
        }
        let marked = |cert: &[u8], oid: &[u8]| der::has_extension(cert, oid).unwrap_or(false);
        if !marked(&leaf_der, LEAF_MARKER_OID) {
            return Err(VerifyError::Marker("leaf"));
        }
        if !marked(&intermediate_der, INTERMEDIATE_MARKER_OID) {
            return Err(VerifyError::Marker("intermediate"));
        }
        match der::p256_public_key(&leaf_der) {
            Ok(Some(key)) => Ok(key.to_vec()),
            _ => Err(VerifyError::Signature),
        }
    }
}

/// Accepts any extended key usage: the App Store's chain is not TLS.
struct AnyUsage;

impl webpki::ExtendedKeyUsageValidator for AnyUsage {
    fn validate(&self, _: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

/// The bundle id, app Apple ID and environment a notification is for:
/// from `data`, else `summary`, else `externalPurchaseToken` (whose
/// environment is its id's `SANDBOX` prefix), else `appData`.
fn notification_app(
    payload: &NotificationPayload,
) -> (Option<String>, Option<i64>, Option<String>) {
    if let Some(data) = &payload.data {
        return (
            data.bundle_id.clone(),
            data.app_apple_id,
            data.environment.clone(),
        );
    }
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let number = |v: &Value, key: &str| v.get(key).and_then(Value::as_i64);
    if let Some(summary) = &payload.summary {
        return (
            text(summary, "bundleId"),
            number(summary, "appAppleId"),
            text(summary, "environment"),
        );
    }
    if let Some(token) = &payload.external_purchase_token {
        let sandbox = text(token, "externalPurchaseId").is_some_and(|id| id.starts_with("SANDBOX"));
        let environment = if sandbox { "Sandbox" } else { "Production" };
        return (
            text(token, "bundleId"),
            number(token, "appAppleId"),
            Some(environment.to_string()),
        );
    }
    if let Some(app) = &payload.app_data {
        return (
            text(app, "bundleId"),
            number(app, "appAppleId"),
            text(app, "environment"),
        );
    }
    (None, None, None)
}
