//! Configuration from the environment, read once per process.

use std::sync::OnceLock;

/// Database name used when `MONGODB_DB` is not set.
pub const DEFAULT_DB_NAME: &str = "heyway";

/// Port of the local server when `PORT` is not set.
pub const DEFAULT_PORT: u16 = 3000;

/// Settings every entry point shares. Read from the environment once
/// ([`Config::get`]) so a Lambda does not re-parse it on each invocation.
#[derive(Clone, Debug)]
pub struct Config {
    /// `MONGODB_URI`; `None` means "start a local SecantusDB" for the
    /// `heyway` command and is an error for a Lambda.
    pub mongodb_uri: Option<String>,
    /// `MONGODB_DB`.
    pub mongodb_db: String,
    /// `PORT` of the local server.
    pub port: u16,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch
    /// the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |key: &str| lookup(key).filter(|value| !value.trim().is_empty());
        let port = match non_empty("PORT") {
            None => DEFAULT_PORT,
            Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
                key: "PORT",
                reason: format!("{raw:?} is not a port number"),
            })?,
        };
        Ok(Self {
            mongodb_uri: non_empty("MONGODB_URI"),
            mongodb_db: non_empty("MONGODB_DB").unwrap_or_else(|| DEFAULT_DB_NAME.to_string()),
            port,
        })
    }

    /// The process-wide configuration, read from the environment on first use.
    pub fn get() -> Result<&'static Self, ConfigError> {
        static CONFIG: OnceLock<Config> = OnceLock::new();
        if let Some(config) = CONFIG.get() {
            return Ok(config);
        }
        let config = Self::from_env()?;
        Ok(CONFIG.get_or_init(|| config))
    }
}

/// A setting that is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{key} is not set")]
    Missing { key: &'static str },
    #[error("{key} is invalid: {reason}")]
    Invalid { key: &'static str, reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|key| env.get(key).cloned())
    }

    #[test]
    fn defaults_apply_when_unset_or_blank() {
        let cfg = config(&[("MONGODB_URI", " ")]).unwrap();
        assert_eq!(cfg.mongodb_uri, None);
        assert_eq!(cfg.mongodb_db, "heyway");
        assert_eq!(cfg.port, 3000);
    }

    #[test]
    fn reads_values() {
        let cfg = config(&[
            ("MONGODB_URI", "mongodb://127.0.0.1:1"),
            ("MONGODB_DB", "prod"),
            ("PORT", "8080"),
        ])
        .unwrap();
        assert_eq!(cfg.mongodb_uri.as_deref(), Some("mongodb://127.0.0.1:1"));
        assert_eq!(cfg.mongodb_db, "prod");
        assert_eq!(cfg.port, 8080);
    }

    #[test]
    fn bad_port_names_the_key() {
        let err = config(&[("PORT", "eighty")]).unwrap_err();
        assert!(err.to_string().starts_with("PORT is invalid"), "{err}");
    }
}
