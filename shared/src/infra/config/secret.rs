//! `JWT_SECRET` and the keys derived from it. The secret itself signs
//! nothing: each use gets its own key (HKDF-SHA256 of the secret, with the
//! use's label as `info`), so a token made for one use never verifies as
//! another's, and a key that leaks from one use does not give the others.

use hkdf::Hkdf;
use sha2::Sha256;

use super::{Config, ConfigError};

/// The shortest `JWT_SECRET` accepted: 32 bytes, the strength of the
/// HMAC-SHA256 keys derived from it.
pub const MIN_SECRET_BYTES: usize = 32;

/// What a derived key signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPurpose {
    /// Access tokens (HS256 JWTs, `http::AccessTokens`).
    AccessTokens,
    /// The local recordings store's file URLs (`infra::storage`).
    RecordingFiles,
}

impl KeyPurpose {
    /// The HKDF `info` label. The version lets a later scheme change every
    /// key of one purpose without touching the others.
    fn label(self) -> &'static [u8] {
        match self {
            Self::AccessTokens => b"heyway access tokens v1",
            Self::RecordingFiles => b"heyway recording files v1",
        }
    }
}

/// Refuses a `JWT_SECRET` shorter than [`MIN_SECRET_BYTES`].
pub fn check(secret: &str) -> Result<(), ConfigError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(ConfigError::Invalid {
            key: "JWT_SECRET",
            reason: format!(
                "it is {} bytes; it must be at least {MIN_SECRET_BYTES} \
                 (e.g. `openssl rand -hex 32`)",
                secret.len()
            ),
        });
    }
    Ok(())
}

/// The 32-byte key for `purpose` derived from `secret`. HKDF-SHA256 only
/// refuses outputs over 255 blocks, so the error is never seen in practice.
pub fn derive_key(secret: &[u8], purpose: KeyPurpose) -> Result<[u8; 32], ConfigError> {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(None, secret)
        .expand(purpose.label(), &mut key)
        .map_err(|_| ConfigError::Invalid {
            key: "JWT_SECRET",
            reason: "HKDF-SHA256 could not derive a key from it".into(),
        })?;
    Ok(key)
}

impl Config {
    /// The key for `purpose`, derived from `JWT_SECRET`: `Missing` when it
    /// is not set, `Invalid` when it is shorter than 32 bytes (a
    /// configuration built in code, not read by [`Config::from_lookup`]).
    pub fn signing_key(&self, purpose: KeyPurpose) -> Result<[u8; 32], ConfigError> {
        let secret = self
            .jwt_secret
            .as_deref()
            .ok_or(ConfigError::Missing { key: "JWT_SECRET" })?;
        check(secret)?;
        derive_key(secret.as_bytes(), purpose)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn short_secrets_are_refused_naming_the_variable() {
        let err = check("too-short").unwrap_err();
        assert!(
            err.to_string().starts_with("JWT_SECRET is invalid"),
            "{err}"
        );
        assert!(err.to_string().contains("at least 32"), "{err}");
        assert!(check(SECRET).is_ok());
    }

    #[test]
    fn each_purpose_has_its_own_key_and_none_is_the_secret() {
        let access = derive_key(SECRET.as_bytes(), KeyPurpose::AccessTokens).unwrap();
        let files = derive_key(SECRET.as_bytes(), KeyPurpose::RecordingFiles).unwrap();
        assert_ne!(access, files);
        assert_ne!(&access[..], SECRET.as_bytes());
        assert_eq!(
            access,
            derive_key(SECRET.as_bytes(), KeyPurpose::AccessTokens).unwrap()
        );
        let other = derive_key(
            b"fedcba9876543210fedcba9876543210",
            KeyPurpose::AccessTokens,
        )
        .unwrap();
        assert_ne!(access, other);
    }
}
