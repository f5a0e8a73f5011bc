//! `tracing` set up once per process: JSON lines, filtered by `RUST_LOG`.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber, writing to stderr. Lambda sends stderr to
/// CloudWatch, where one JSON object per line is searchable, and stdout
/// stays free for a command's output; `RUST_LOG` sets the level (default
/// `info`). Safe to call twice: the second call does nothing.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(true)
        .with_writer(std::io::stderr)
        .try_init();
}
