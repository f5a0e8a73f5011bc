//! The MongoDB handle: one client per process, reused across invocations.

use std::time::{Duration, Instant};

use mongodb::bson::{doc, Document};
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Database};
use serde::Serialize;
use tokio::sync::OnceCell;

use crate::error::Result;
use crate::infra::config::{Config, ConfigError};

/// A connected database. Cheap to clone: the driver's client is a shared
/// connection pool.
#[derive(Clone, Debug)]
pub struct Db {
    database: Database,
}

impl Db {
    /// Connects to `uri` and selects `db_name`. The driver connects lazily,
    /// so this returns before the first round trip.
    pub async fn connect(uri: &str, db_name: &str) -> Result<Self> {
        let mut options = ClientOptions::parse(uri).await?;
        options.app_name.get_or_insert_with(|| "heyway".to_string());
        // One invocation at a time per Lambda environment: a small pool
        // avoids exhausting Atlas connections when many environments run.
        options.max_pool_size.get_or_insert(4);
        options
            .server_selection_timeout
            .get_or_insert(Duration::from_secs(10));
        let client = Client::with_options(options)?;
        Ok(Self {
            database: client.database(db_name),
        })
    }

    /// Connects with the process configuration.
    pub async fn from_config(config: &Config) -> Result<Self, DbSetupError> {
        let uri = config
            .mongodb_uri
            .as_deref()
            .ok_or(ConfigError::Missing { key: "MONGODB_URI" })?;
        crate::infra::mongo_uri::check_resolvable(uri)?;
        Ok(Self::connect(uri, &config.mongodb_db).await?)
    }

    /// The process-wide handle: built on first use, then shared by every
    /// invocation the Lambda environment serves.
    pub async fn shared() -> Result<&'static Self, DbSetupError> {
        static DB: OnceCell<Db> = OnceCell::const_new();
        DB.get_or_try_init(|| async { Self::from_config(Config::shared().await?).await })
            .await
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    pub fn collection<T: Send + Sync>(&self, name: &str) -> Collection<T> {
        self.database.collection(name)
    }

    /// Raw documents of a collection, for migrations and fidelity checks.
    pub fn raw(&self, name: &str) -> Collection<Document> {
        self.database.collection(name)
    }

    /// One `ping` round trip.
    pub async fn ping(&self) -> Result<DbStatus> {
        let started = Instant::now();
        self.database.run_command(doc! { "ping": 1 }).await?;
        Ok(DbStatus {
            status: "up",
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }
}

/// What `/api/health` reports about the database.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DbStatus {
    pub status: &'static str,
    pub latency_ms: f64,
}

/// Why the shared handle could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Connect(#[from] crate::error::Error),
}
