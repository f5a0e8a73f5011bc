//! The App Store: which app and environment signed data must name, the
//! App Store Server API key, and the root certificates the signed data's
//! chains must lead to.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::ConfigError;

/// Apple Root CA - G3 (DER), the root every App Store signing chain leads
/// to. Taken from Apple's own `@apple/app-store-server-library` npm
/// package (3.1.0, `dist/tests/unit-tests/jws_verification.test.js`,
/// `REAL_APPLE_ROOT_BASE64_ENCODED`); its SHA-256 fingerprint is checked
/// against the one Apple publishes (`integrations::app_store` tests).
pub const APPLE_ROOT_CA_G3: &[u8] = include_bytes!("AppleRootCA-G3.cer");

/// Where Apple's signed data comes from: the App Store or its sandbox
/// (TestFlight, development builds). Xcode and local-testing data is not
/// signed by Apple and is never accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AppleEnvironment {
    #[default]
    Production,
    Sandbox,
}

impl AppleEnvironment {
    /// As Apple writes it in signed data (`environment`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "Production",
            Self::Sandbox => "Sandbox",
        }
    }

    /// The App Store Server API's base URL for this environment.
    pub fn api_base_url(self) -> &'static str {
        match self {
            Self::Production => "https://api.storekit.itunes.apple.com",
            Self::Sandbox => "https://api.storekit-sandbox.itunes.apple.com",
        }
    }

    fn parse(raw: &str) -> Result<Self, ConfigError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "production" => Ok(Self::Production),
            "sandbox" => Ok(Self::Sandbox),
            _ => Err(ConfigError::Invalid {
                key: "APPLE_ENVIRONMENT",
                reason: format!("{raw:?} is neither Production nor Sandbox"),
            }),
        }
    }
}

/// App Store subscriptions: StoreKit 2 transactions, App Store Server
/// Notifications V2 and the App Store Server API.
#[derive(Clone, Debug, Default)]
pub struct AppleConfig {
    /// `APPLE_BUNDLE_ID`: the app whose signed data is accepted. Unset:
    /// App Store purchases answer 503 and its notifications 403.
    pub bundle_id: Option<String>,
    /// `APPLE_ENVIRONMENT`, default `Production`.
    pub environment: AppleEnvironment,
    /// `APPLE_APP_APPLE_ID`: the app's Apple ID (a number), which
    /// production notifications carry and must match.
    pub app_apple_id: Option<i64>,
    /// `APPLE_ISSUER_ID`: the App Store Connect API key's issuer.
    pub issuer_id: Option<String>,
    /// `APPLE_KEY_ID`: the App Store Connect API key's id (`kid`).
    pub key_id: Option<String>,
    /// `APPLE_PRIVATE_KEY`: the key's `.p8` file (PKCS#8 PEM, ES256);
    /// `\n` written as two characters is read as a line break.
    pub private_key: Option<String>,
    /// `APPLE_API_BASE_URL`, default the environment's App Store Server
    /// API (`https://api.storekit.itunes.apple.com` or
    /// `https://api.storekit-sandbox.itunes.apple.com`).
    pub api_base_url: String,
    /// The roots a signing chain must lead to (DER): those in
    /// `APPLE_ROOT_CERTIFICATES` (comma-separated base64 DER or PEM)
    /// when set, else Apple Root CA - G3 alone. Never both: a sandbox's
    /// root replaces Apple's, so data it signs is refused wherever the
    /// real root is configured.
    pub root_certificates: Vec<Vec<u8>>,
}

impl AppleConfig {
    pub(super) fn from_lookup(
        non_empty: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let environment = non_empty("APPLE_ENVIRONMENT")
            .map(|raw| AppleEnvironment::parse(&raw))
            .transpose()?
            .unwrap_or_default();
        let app_apple_id = non_empty("APPLE_APP_APPLE_ID")
            .map(|raw| {
                raw.trim().parse().map_err(|_| ConfigError::Invalid {
                    key: "APPLE_APP_APPLE_ID",
                    reason: format!("{raw:?} is not a number"),
                })
            })
            .transpose()?;
        let root_certificates = match non_empty("APPLE_ROOT_CERTIFICATES") {
            Some(list) => parse_certificates(&list)?,
            None => vec![APPLE_ROOT_CA_G3.to_vec()],
        };
        Ok(Self {
            bundle_id: non_empty("APPLE_BUNDLE_ID").map(|id| id.trim().to_string()),
            environment,
            app_apple_id,
            issuer_id: non_empty("APPLE_ISSUER_ID").map(|id| id.trim().to_string()),
            key_id: non_empty("APPLE_KEY_ID").map(|id| id.trim().to_string()),
            private_key: non_empty("APPLE_PRIVATE_KEY").map(|key| key.replace("\\n", "\n")),
            api_base_url: non_empty("APPLE_API_BASE_URL")
                .map(|url| url.trim().trim_end_matches('/').to_string())
                .unwrap_or_else(|| environment.api_base_url().to_string()),
            root_certificates,
        })
    }

    /// The App Store Server API key settings that are set, by name: any
    /// one turns `heyway serve`'s App Store sandbox off.
    pub fn real_keys(&self) -> Vec<&'static str> {
        [
            ("APPLE_ISSUER_ID", self.issuer_id.is_some()),
            ("APPLE_KEY_ID", self.key_id.is_some()),
            ("APPLE_PRIVATE_KEY", self.private_key.is_some()),
            ("APPLE_ROOT_CERTIFICATES", !self.uses_apple_root()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// Whether the roots are Apple's own (no `APPLE_ROOT_CERTIFICATES`).
    pub fn uses_apple_root(&self) -> bool {
        self.root_certificates.len() == 1 && self.root_certificates[0] == APPLE_ROOT_CA_G3
    }
}

/// The certificates of a comma-separated list, each base64 DER or PEM.
fn parse_certificates(list: &str) -> Result<Vec<Vec<u8>>, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        key: "APPLE_ROOT_CERTIFICATES",
        reason,
    };
    let mut certificates = Vec::new();
    for (i, item) in list.split(',').enumerate() {
        let body: String = item
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with("-----"))
            .collect();
        if body.is_empty() {
            continue;
        }
        let der = STANDARD
            .decode(body.replace("\\n", ""))
            .map_err(|e| invalid(format!("certificate {} is not base64: {e}", i + 1)))?;
        // A DER certificate is one SEQUENCE.
        if der.first() != Some(&0x30) {
            return Err(invalid(format!("certificate {} is not DER", i + 1)));
        }
        certificates.push(der);
    }
    if certificates.is_empty() {
        return Err(invalid("it names no certificate".into()));
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<AppleConfig, ConfigError> {
        let lookup = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        };
        AppleConfig::from_lookup(&lookup)
    }

    #[test]
    fn defaults_to_production_and_apples_root_only() {
        let cfg = config(&[]).unwrap();
        assert_eq!(cfg.environment, AppleEnvironment::Production);
        assert_eq!(cfg.api_base_url, "https://api.storekit.itunes.apple.com");
        assert!(cfg.uses_apple_root());
        assert!(cfg.real_keys().is_empty());
        let sandbox = config(&[("APPLE_ENVIRONMENT", "sandbox")]).unwrap();
        assert_eq!(
            sandbox.api_base_url,
            "https://api.storekit-sandbox.itunes.apple.com"
        );
    }

    #[test]
    fn configured_roots_replace_apples() {
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----",
            STANDARD.encode([0x30, 0x03, 0x02, 0x01, 0x01])
        );
        let cfg = config(&[("APPLE_ROOT_CERTIFICATES", &pem)]).unwrap();
        assert_eq!(
            cfg.root_certificates,
            vec![vec![0x30, 0x03, 0x02, 0x01, 0x01]]
        );
        assert!(!cfg.uses_apple_root());
        assert_eq!(cfg.real_keys(), ["APPLE_ROOT_CERTIFICATES"]);
        let err = config(&[("APPLE_ROOT_CERTIFICATES", "not base64!")]).unwrap_err();
        assert!(
            err.to_string().starts_with("APPLE_ROOT_CERTIFICATES"),
            "{err}"
        );
        let err = config(&[("APPLE_ENVIRONMENT", "Xcode")]).unwrap_err();
        assert!(err.to_string().starts_with("APPLE_ENVIRONMENT"), "{err}");
        let err = config(&[("APPLE_APP_APPLE_ID", "abc")]).unwrap_err();
        assert!(err.to_string().starts_with("APPLE_APP_APPLE_ID"), "{err}");
    }
}
