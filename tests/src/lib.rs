//! Test harness: a real MongoDB wire-protocol server for the whole test
//! binary, and a fresh database for every test so tests run in parallel.
//!
//! Uses `MONGODB_URI` when set; otherwise starts SecantusDB
//! (`secantusd-rs` if on `PATH`, else `secantusd-py`) on a free port in a
//! temporary directory. There is no in-memory stand-in.

use std::sync::atomic::{AtomicU32, Ordering};

use heyway::local_db::LocalDb;
use heyway::Db;
use tokio::sync::OnceCell;

/// The server every test in this binary shares.
struct Server {
    uri: String,
    _local: Option<(LocalDb, tempfile::TempDir)>,
}

static SERVER: OnceCell<Server> = OnceCell::const_new();

async fn server() -> &'static Server {
    SERVER
        .get_or_init(|| async {
            if let Some(uri) = std::env::var("MONGODB_URI").ok().filter(|u| !u.is_empty()) {
                return Server { uri, _local: None };
            }
            let dir = tempfile::tempdir().expect("temp dir for the test database");
            let local = LocalDb::start(dir.path())
                .await
                .unwrap_or_else(|error| panic!("cannot start the test database: {error}"));
            Server {
                uri: local.uri().to_string(),
                _local: Some((local, dir)),
            }
        })
        .await
}

/// A database of its own for one test.
pub struct TestDb {
    pub db: Db,
    pub name: String,
}

impl TestDb {
    /// A new, empty database on the shared server.
    pub async fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "heyway_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let db = Db::connect(&server().await.uri, &name)
            .await
            .expect("connect to the test database");
        Self { db, name }
    }
}

pub mod legacy;
