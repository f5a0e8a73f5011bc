//! The credentials and region a call is signed with, from the environment
//! Lambda sets (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_REGION`). Read on each call, not cached:
//! reading four variables costs nothing next to a round trip, and a test
//! or a long-running `heyway serve` sees a changed environment.

/// Who signs, and where.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// A variable the signer needs is not set.
#[derive(Debug, thiserror::Error)]
#[error("{0} is not set: AWS calls are signed with the environment's credentials")]
pub struct CredentialsError(pub &'static str);

impl Credentials {
    /// The process environment's credentials.
    pub fn from_env() -> Result<Self, CredentialsError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// The credentials `lookup` gives, so tests need not touch the process
    /// environment. The region is `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, CredentialsError> {
        let get = |key: &'static str| {
            lookup(key)
                .filter(|value| !value.trim().is_empty())
                .ok_or(CredentialsError(key))
        };
        Ok(Self {
            access_key_id: get("AWS_ACCESS_KEY_ID")?,
            secret_access_key: get("AWS_SECRET_ACCESS_KEY")?,
            session_token: get("AWS_SESSION_TOKEN").ok(),
            region: get("AWS_REGION").or_else(|_| get("AWS_DEFAULT_REGION"))?,
        })
    }
}
