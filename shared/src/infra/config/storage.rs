//! Recordings' object storage settings (`RECORDINGS_STORE`,
//! `RECORDINGS_BUCKET`, …); [`crate::infra::storage`] is the store itself.

use std::path::PathBuf;

use super::ConfigError;

/// Environment variables that give a GCS service-account key.
const GCS_KEY_VARS: [&str; 4] = [
    "GOOGLE_SERVICE_ACCOUNT_KEY",
    "GOOGLE_SERVICE_ACCOUNT",
    "GOOGLE_SERVICE_ACCOUNT_PATH",
    "GOOGLE_APPLICATION_CREDENTIALS",
];

/// The AWS variables the S3 store reads (credentials, region, endpoint),
/// taken through the configuration lookup rather than straight from the
/// process environment, so tests (and tools) can give them per instance.
/// On Lambda the runtime sets the credentials and region variables.
const S3_VARS: [&str; 10] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT",
    "AWS_ALLOW_HTTP",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
];

/// `RECORDINGS_STORE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    S3,
    Gcs,
    Local,
}

/// Recordings' storage settings.
#[derive(Clone, Debug)]
pub struct StorageConfig {
    /// `RECORDINGS_STORE`: `s3`, `gcs` or `local`; default `s3` when a
    /// bucket is set, else `local`.
    pub store: StoreKind,
    /// `RECORDINGS_BUCKET`, required for `s3` and `gcs`.
    pub bucket: Option<String>,
    /// `RECORDINGS_LOCAL_DIR`, default `.data/recordings`.
    pub local_dir: PathBuf,
    /// Where the GCS service-account key is, when one is configured: the
    /// first of [`GCS_KEY_VARS`] set, and its value (the key's JSON for
    /// `GOOGLE_SERVICE_ACCOUNT_KEY`, a file's path for the others). With
    /// it, legacy `gs://` paths can be signed.
    pub gcs_key: Option<(&'static str, String)>,
    /// The `AWS_*` settings the S3 store is built with ([`S3_VARS`]).
    pub s3_settings: Vec<(&'static str, String)>,
}

impl StorageConfig {
    pub fn from_lookup(non_empty: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let bucket = non_empty("RECORDINGS_BUCKET").map(|b| b.trim().to_string());
        let store = match non_empty("RECORDINGS_STORE")
            .map(|s| s.trim().to_ascii_lowercase())
            .as_deref()
        {
            None if bucket.is_some() => StoreKind::S3,
            None | Some("local") => StoreKind::Local,
            Some("s3") => StoreKind::S3,
            Some("gcs") | Some("gs") => StoreKind::Gcs,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    key: "RECORDINGS_STORE",
                    reason: format!("{other:?} is not s3, gcs or local"),
                })
            }
        };
        if store != StoreKind::Local && bucket.is_none() {
            return Err(ConfigError::Missing {
                key: "RECORDINGS_BUCKET",
            });
        }
        Ok(Self {
            store,
            bucket,
            local_dir: non_empty("RECORDINGS_LOCAL_DIR")
                .map_or_else(|| PathBuf::from(".data/recordings"), PathBuf::from),
            gcs_key: GCS_KEY_VARS
                .iter()
                .find_map(|key| non_empty(key).map(|value| (*key, value))),
            s3_settings: S3_VARS
                .iter()
                .filter_map(|key| non_empty(key).map(|value| (*key, value)))
                .collect(),
        })
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            store: StoreKind::Local,
            bucket: None,
            local_dir: PathBuf::from(".data/recordings"),
            gcs_key: None,
            s3_settings: Vec::new(),
        }
    }
}
