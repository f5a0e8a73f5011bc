//! What every handler may use, built once per process.

use std::sync::Arc;

use super::AccessTokens;
use crate::infra::config::{Config, ConfigError, KeyPurpose};
use crate::infra::db::Db;
use crate::infra::events::Events;
use crate::infra::queue::DialQueue;

/// What every handler may use, built once per process.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub tokens: AccessTokens,
    pub config: Arc<Config>,
    /// One HTTP client (connection pool) for the external APIs.
    pub http: reqwest::Client,
    /// Where `POST /api/calls` sends its dial job at once. `None`: the call
    /// stays `pending` and the evaluator's next sweep sends it.
    pub dial_queue: Option<DialQueue>,
    /// The domain events' bus: off (logged only) unless a Lambda or a
    /// test sets one.
    pub events: Events,
}

impl AppState {
    /// State for `config`, which must have a `JWT_SECRET` of at least 32
    /// bytes; access tokens are signed with the key derived from it for
    /// them, never with the secret itself.
    pub fn new(db: Db, config: Config) -> Result<Self, ConfigError> {
        let key = config.signing_key(KeyPurpose::AccessTokens)?;
        let tokens = AccessTokens::new(&key, config.access_token_ttl_secs);
        let http = crate::infra::outbound::http_client()?;
        Ok(Self {
            db,
            tokens,
            config: Arc::new(config),
            http,
            dial_queue: None,
            events: Events::off(),
        })
    }

    /// The same state, sending calls placed now to `queue`.
    pub fn with_dial_queue(mut self, queue: DialQueue) -> Self {
        self.dial_queue = Some(queue);
        self
    }
}
