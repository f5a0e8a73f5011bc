//! Where recordings' audio lives, and the signed URLs that reach it.
//!
//! - `s3`: `s3://bucket/key`, S3 SigV4 presigned URLs ([`s3_presign`]);
//! - `gcs`: `gs://bucket/key`, GCS V4 signed URLs with a service-account
//!   key ([`gcs_sign`]);
//! - `local` (`heyway serve`): `local://key` under a directory, reached
//!   through our own `/api/recordings/files/{key}` route with an HMAC token.
//!
//! Nothing here sends a request: the browser and Twilio do the transfers,
//! and server-side uploads (text-to-speech) PUT to a signed URL with our own
//! client.

mod gcs_sign;
mod s3_presign;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::Sha256;

pub use gcs_sign::{GcsSignError, GcsSigner};
pub use s3_presign::{S3SignError, S3Signer};

use crate::error::{Error, Result};
pub use crate::infra::config::storage::{StorageConfig, StoreKind};
use crate::infra::config::{Config, KeyPurpose};

/// How long an upload URL stays valid.
pub const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a playback URL stays valid: the browser plays at once, and
/// Twilio fetches the audio within seconds of the answer.
pub const PLAY_TTL: Duration = Duration::from_secs(60 * 60);
/// The prefix every key we hand out starts with.
pub const KEY_PREFIX: &str = "recordings/";
/// A stored `filePath`, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    S3 {
        bucket: String,
        key: String,
    },
    Gcs {
        bucket: String,
        key: String,
    },
    Local {
        key: String,
    },
    /// Already a URL (`https://…`).
    Url(String),
}

impl Location {
    /// `s3://bucket/key`, `gs://bucket/key`, `local://key` or an http(s) URL.
    pub fn parse(path: &str) -> Option<Self> {
        let path = path.trim();
        if path.starts_with("https://") || path.starts_with("http://") {
            return Some(Self::Url(path.to_string()));
        }
        let (scheme, rest) = path.split_once("://")?;
        if scheme == "local" {
            return valid_key(rest).then(|| Self::Local {
                key: rest.to_string(),
            });
        }
        let (bucket, key) = rest.split_once('/')?;
        if bucket.is_empty() || key.is_empty() {
            return None;
        }
        let (bucket, key) = (bucket.to_string(), key.to_string());
        match scheme {
            "s3" => Some(Self::S3 { bucket, key }),
            "gs" => Some(Self::Gcs { bucket, key }),
            _ => None,
        }
    }

    pub fn key(&self) -> Option<&str> {
        match self {
            Self::S3 { key, .. } | Self::Gcs { key, .. } | Self::Local { key } => Some(key),
            Self::Url(_) => None,
        }
    }
}

/// Keys we hand out: `recordings/…` of letters, digits, `.`, `_`, `-`
/// and `/`, with no empty or dot-only segment.
pub fn valid_key(key: &str) -> bool {
    key.starts_with(KEY_PREFIX)
        && key.len() <= 512
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        && key
            .split('/')
            .all(|segment| !segment.is_empty() && segment.chars().any(|c| c != '.'))
}

/// A signed URL and when it stops working.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedUrl {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// A recording's playback URL, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Playback {
    Url(SignedUrl),
    Unavailable(String),
}

/// The configured store, ready to sign. Cheap to build per request.
#[derive(Clone, Debug)]
pub struct Storage {
    config: StorageConfig,
    /// Signs local-store tokens: the key derived from `JWT_SECRET` for
    /// them alone; `None` without a valid secret, when nothing is signed.
    key: Option<[u8; 32]>,
    /// Origin of our own API, for local-store URLs.
    public_base: String,
}

impl Storage {
    pub fn from_config(config: &Config) -> Self {
        Self {
            config: config.recordings.clone(),
            key: config.signing_key(KeyPurpose::RecordingFiles).ok(),
            public_base: config
                .webhook_base_url
                .clone()
                .unwrap_or_else(|| format!("http://localhost:{}", config.port)),
        }
    }

    pub fn kind(&self) -> StoreKind {
        self.config.store
    }

    pub fn local_dir(&self) -> &std::path::Path {
        &self.config.local_dir
    }

    /// The `filePath` for a new object at `key` in the configured store.
    pub fn file_path(&self, key: &str) -> String {
        let bucket = self.config.bucket.as_deref().unwrap_or_default();
        match self.config.store {
            StoreKind::S3 => format!("s3://{bucket}/{key}"),
            StoreKind::Gcs => format!("gs://{bucket}/{key}"),
            StoreKind::Local => format!("local://{key}"),
        }
    }

    /// `path` if it names an object of the configured store and bucket.
    pub fn own_location(&self, path: &str) -> Option<Location> {
        let location = Location::parse(path)?;
        let bucket = self.config.bucket.as_deref();
        let ours = match (&location, self.config.store) {
            (Location::S3 { bucket: b, .. }, StoreKind::S3)
            | (Location::Gcs { bucket: b, .. }, StoreKind::Gcs) => Some(b.as_str()) == bucket,
            (Location::Local { .. }, StoreKind::Local) => true,
            _ => false,
        };
        ours.then_some(location)
    }

    /// A URL the browser PUTs the audio to.
    pub async fn upload_url(&self, key: &str) -> Result<SignedUrl> {
        let location = self
            .own_location(&self.file_path(key))
            .ok_or_else(|| Error::Internal("recordings store has no bucket".into()))?;
        self.sign(Method::PUT, &location, UPLOAD_TTL).await
    }

    /// A URL that plays `file_path` for the next hour, or why there is none.
    pub async fn playback(&self, file_path: Option<&str>) -> Playback {
        let Some(path) = file_path.map(str::trim).filter(|p| !p.is_empty()) else {
            return Playback::Unavailable("the recording has no file".into());
        };
        let Some(location) = Location::parse(path) else {
            return Playback::Unavailable(format!("unrecognized storage path {path:?}"));
        };
        match self.sign(Method::GET, &location, PLAY_TTL).await {
            Ok(url) => Playback::Url(url),
            Err(Error::Unavailable(reason)) => Playback::Unavailable(reason),
            Err(error) => {
                tracing::warn!(%error, "could not sign a recording URL");
                Playback::Unavailable("the recording's URL could not be signed".into())
            }
        }
    }

    /// Signs `method` on `location` for `ttl`.
    pub async fn sign(
        &self,
        method: Method,
        location: &Location,
        ttl: Duration,
    ) -> Result<SignedUrl> {
        let now = Utc::now();
        let expires_at = now + ttl_delta(ttl)?;
        let url = match location {
            Location::Url(url) => {
                return Ok(SignedUrl {
                    url: url.clone(),
                    expires_at,
                })
            }
            Location::Local { key } => {
                if self.config.store != StoreKind::Local {
                    return Err(Error::Unavailable(
                        "the recording is in a local store this server does not serve".into(),
                    ));
                }
                let signing_key = self.key.ok_or_else(|| {
                    Error::Unavailable("JWT_SECRET is not set: local URLs cannot be signed".into())
                })?;
                let expires = expires_at.timestamp();
                let signature = local_token(&signing_key, method.as_str(), key, expires);
                format!(
                    "{}/api/recordings/files/{key}?expires={expires}&signature={signature}",
                    self.public_base
                )
            }
            Location::S3 { bucket, key } => {
                if self.config.store != StoreKind::S3
                    || self.config.bucket.as_deref() != Some(bucket)
                {
                    return Err(Error::Unavailable(format!(
                        "S3 bucket {bucket} is not this server's recordings bucket"
                    )));
                }
                S3Signer::from_settings(&self.config.s3_settings)
                    .and_then(|signer| {
                        signer.presign(method.as_str(), bucket, key, now.into(), ttl)
                    })
                    .map_err(unavailable)?
            }
            Location::Gcs { bucket, key } => {
                let Some((var, value)) = &self.config.gcs_key else {
                    return Err(Error::Unavailable(
                        "gs:// recordings need GCS service-account credentials \
                         (GOOGLE_SERVICE_ACCOUNT_KEY or GOOGLE_APPLICATION_CREDENTIALS), \
                         which this server does not have"
                            .into(),
                    ));
                };
                gcs_signer(var, value)?
                    .sign(method.as_str(), bucket, key, now, ttl)
                    .map_err(unavailable)?
            }
        };
        Ok(SignedUrl { url, expires_at })
    }

    /// Checks a local-store token from the files route.
    pub fn verify_local(&self, method: &str, key: &str, expires: i64, signature: &str) -> bool {
        if expires < Utc::now().timestamp() {
            return false;
        }
        let Ok(given) = hex::decode(signature) else {
            return false;
        };
        let Some(signing_key) = self.key else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&signing_key) else {
            return false;
        };
        mac.update(token_input(method, key, expires).as_bytes());
        mac.verify_slice(&given).is_ok()
    }
}

fn token_input(method: &str, key: &str, expires: i64) -> String {
    format!("heyway-recording-file\n{method}\n{key}\n{expires}")
}

fn local_token(secret: &[u8], method: &str, key: &str, expires: i64) -> String {
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(token_input(method, key, expires).as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// The signer for the key in `var` (the key's JSON, or a key file's path),
/// read and parsed once per process: a list of recordings signs a URL for
/// each, and reading the file and checking the RSA key each time would
/// repeat the same work.
fn gcs_signer(var: &str, value: &str) -> Result<Arc<GcsSigner>> {
    static LOADED: Mutex<Option<(String, Arc<GcsSigner>)>> = Mutex::new(None);
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, signer)) = loaded.as_ref().filter(|(source, _)| source == value) {
        return Ok(signer.clone());
    }
    let json = if var == "GOOGLE_SERVICE_ACCOUNT_KEY" {
        value.to_string()
    } else {
        std::fs::read_to_string(value)
            .map_err(|e| unavailable(format!("{var} names {value}, which cannot be read: {e}")))?
    };
    let signer = Arc::new(GcsSigner::from_json(&json).map_err(unavailable)?);
    *loaded = Some((value.to_string(), signer.clone()));
    Ok(signer)
}

fn ttl_delta(ttl: Duration) -> Result<chrono::Duration> {
    chrono::Duration::from_std(ttl).map_err(|e| Error::Internal(e.to_string()))
}

fn unavailable(error: impl std::fmt::Display) -> Error {
    tracing::warn!(%error, "recordings storage");
    Error::Unavailable(format!("recordings storage is not available: {error}"))
}

/// Object keys in URL paths: every byte but unreserved characters and `/`
/// percent-encoded, as S3 and GCS canonical requests expect.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');
/// Query values in a canonical query string: the same, `/` included.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode_key(key: &str) -> String {
    utf8_percent_encode(key, PATH).to_string()
}

fn encode_query_part(value: &str) -> String {
    utf8_percent_encode(value, QUERY).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths() {
        assert_eq!(
            Location::parse("gs://heyway-voice-recordings/recording-1.mp3"),
            Some(Location::Gcs {
                bucket: "heyway-voice-recordings".into(),
                key: "recording-1.mp3".into()
            })
        );
        assert_eq!(
            Location::parse("local://recordings/u/a.mp3"),
            Some(Location::Local {
                key: "recordings/u/a.mp3".into()
            })
        );
        assert_eq!(Location::parse("local://recordings/../x"), None);
        assert_eq!(Location::parse("ftp://x/y"), None);
        assert!(valid_key("recordings/abc/def.mp3"));
        assert!(!valid_key("recordings//x"));
        assert!(!valid_key("other/x"));
    }

    fn s3_config() -> Config {
        let env = std::collections::HashMap::from([
            ("RECORDINGS_STORE", "s3"),
            ("RECORDINGS_BUCKET", "examplebucket"),
            ("JWT_SECRET", "storage-test-secret-of-32-bytes!"),
        ]);
        Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap()
    }

    #[tokio::test]
    async fn local_tokens_verify_and_expire() {
        let mut config = s3_config();
        config.recordings = StorageConfig::default();
        let storage = Storage::from_config(&config);
        let key = "recordings/u/a.mp3";
        let signed = storage
            .sign(
                Method::PUT,
                &Location::Local { key: key.into() },
                UPLOAD_TTL,
            )
            .await
            .unwrap();
        let query = signed.url.split_once('?').unwrap().1;
        let pairs: std::collections::HashMap<_, _> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let expires: i64 = pairs["expires"].parse().unwrap();
        assert!(storage.verify_local("PUT", key, expires, &pairs["signature"]));
        assert!(!storage.verify_local("GET", key, expires, &pairs["signature"]));
        assert!(!storage.verify_local("PUT", "recordings/u/b.mp3", expires, &pairs["signature"]));
        assert!(!storage.verify_local("PUT", key, expires - 3600, &pairs["signature"]));
    }

    #[tokio::test]
    async fn legacy_gcs_without_credentials_is_explained() {
        let storage = Storage::from_config(&s3_config());
        match storage
            .playback(Some("gs://heyway-voice-recordings/r.mp3"))
            .await
        {
            Playback::Unavailable(reason) => assert!(reason.contains("GCS"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
