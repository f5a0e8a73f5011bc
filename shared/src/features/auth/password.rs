//! Password hashing: bcrypt, cost 10, `$2b$` — what production's hashes are.

use crate::error::{Error, Result};

pub const COST: u32 = 10;

/// Shortest password accepted at registration.
pub const MIN_LENGTH: usize = 8;

/// bcrypt reads at most 72 bytes; longer passwords would be silently cut.
pub const MAX_BYTES: usize = 72;

/// Refuses passwords bcrypt cannot hold or that are too short.
pub fn validate(password: &str) -> Result<()> {
    if password.chars().count() < MIN_LENGTH {
        return Err(Error::validation(
            "password",
            format!("password must have at least {MIN_LENGTH} characters"),
        ));
    }
    if password.len() > MAX_BYTES {
        return Err(Error::validation(
            "password",
            format!("password must be at most {MAX_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// Hashes on a blocking thread: bcrypt takes tens of milliseconds of CPU.
pub async fn hash(password: &str) -> Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        bcrypt::hash_with_result(password, COST)
            .map(|parts| parts.format_for_version(bcrypt::Version::TwoB))
    })
    .await
    .map_err(|e| Error::Internal(format!("hashing task: {e}")))?
    .map_err(|e| Error::Internal(format!("hashing: {e}")))
}

/// True when `password` matches `stored`. A missing or malformed hash is
/// false after the same bcrypt work as a real check, so the answer time
/// does not tell which emails have accounts.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool> {
    let password = password.to_string();
    let stored = stored
        .filter(|hash| hash.starts_with("$2"))
        .map(str::to_string);
    tokio::task::spawn_blocking(move || match stored {
        Some(hash) => bcrypt::verify(password, &hash).unwrap_or(false),
        None => {
            let _ = bcrypt::hash(password, COST);
            false
        }
    })
    .await
    .map_err(|e| Error::Internal(format!("verifying task: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_2b_cost_10_and_verify() {
        let hash = hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$2b$10$"), "{hash}");
        assert!(verify("correct horse", Some(&hash)).await.unwrap());
        assert!(!verify("wrong horse", Some(&hash)).await.unwrap());
    }

    #[tokio::test]
    async fn missing_hash_never_verifies() {
        assert!(!verify("anything", None).await.unwrap());
        assert!(!verify("anything", Some("")).await.unwrap());
    }

    #[test]
    fn length_rules() {
        assert!(validate("short").is_err());
        assert!(validate(&"x".repeat(73)).is_err());
        assert!(validate("long enough").is_ok());
    }
}
