//! A SecantusDB server (a MongoDB wire-protocol server) started by this
//! process, for `heyway serve` without `MONGODB_URI` and for tests.
//!
//! `secantusd-rs` is preferred when on `PATH` (it is faster: `cargo
//! install secantus-mdb`, see the README); otherwise `secantusd-py`, on
//! `PATH` or in the project's `.venv/bin` (where `scripts/setup` installs
//! it), looked up from the current directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The server binaries, most preferred first.
pub const SERVER_BINARIES: [&str; 2] = ["secantusd-rs", "secantusd-py"];

/// How long a fresh server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the server as a child of `sh`, which kills it once our end of its
/// stdin closes. That happens when this process exits for any reason,
/// panics and test harness exits included, so no server outlives us. The
/// watchdog itself must not be killed (no `kill_on_drop`), or nobody is
/// left to stop the server.
const WATCHDOG: &str = r#""$0" "$@" & server=$!
cat >/dev/null
kill "$server" 2>/dev/null
wait "$server""#;

#[derive(Debug, thiserror::Error)]
pub enum LocalDbError {
    #[error("no SecantusDB server on PATH nor in .venv/bin: run scripts/setup from the repository (it installs secantusd-py into .venv/), or set MONGODB_URI")]
    NotInstalled,
    #[error("could not start {binary}: {source}")]
    Spawn {
        binary: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{binary} exited before accepting connections; see {log}")]
    Exited { binary: String, log: String },
    #[error("{binary} did not accept connections within {seconds} s; see {log}")]
    Timeout {
        binary: String,
        seconds: u64,
        log: String,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A running server; dropping it stops the server.
#[derive(Debug)]
pub struct LocalDb {
    uri: String,
    binary: String,
    watchdog: Child,
}

impl LocalDb {
    /// Starts a server ([`find_server`]) on a free loopback port with its
    /// data in `data_dir`.
    pub async fn start(data_dir: &Path) -> Result<Self, LocalDbError> {
        let binary = find_server().ok_or(LocalDbError::NotInstalled)?;
        Self::start_with(&binary, data_dir).await
    }

    /// [`LocalDb::start`] with this server binary (benchmarks compare them).
    pub async fn start_with(binary: &Path, data_dir: &Path) -> Result<Self, LocalDbError> {
        std::fs::create_dir_all(data_dir)?;
        let port = free_port()?;
        let log_path = data_dir.join("secantusd.log");
        let log = std::fs::File::create(&log_path)?;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--storage-path")
            .arg(data_dir.join("db"))
            .stdin(Stdio::piped())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|source| LocalDbError::Spawn {
                binary: binary.display().to_string(),
                source,
            })?;
        let name = binary.display().to_string();
        let log = log_path.display().to_string();
        let started = Instant::now();
        loop {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            if child.try_wait()?.is_some() {
                return Err(LocalDbError::Exited { binary: name, log });
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(LocalDbError::Timeout {
                    binary: name,
                    seconds: START_TIMEOUT.as_secs(),
                    log,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tracing::info!(server = %name, port, "started local SecantusDB");
        Ok(Self {
            uri: format!("mongodb://127.0.0.1:{port}/?directConnection=true"),
            binary: name,
            watchdog: child,
        })
    }

    /// The connection string for the server.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The server binary that runs.
    pub fn binary(&self) -> &str {
        &self.binary
    }

    /// Stops the server and waits until it has exited, so its data is
    /// flushed. Dropping the handle stops it too, without waiting.
    pub async fn stop(mut self) {
        drop(self.watchdog.stdin.take());
        let _ = self.watchdog.wait().await;
    }
}

/// Where `scripts/setup` installs `secantusd-py`, from the repository root.
pub const VENV_BIN: &str = ".venv/bin";

/// The preferred server binary: on `PATH`, else in [`VENV_BIN`].
pub fn find_server() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .chain(std::env::current_dir().ok().map(|dir| dir.join(VENV_BIN)))
        .collect();
    SERVER_BINARIES.iter().find_map(|name| {
        dirs.iter()
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}
