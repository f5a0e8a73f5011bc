//! `tracing` set up once per process: JSON lines, filtered by `RUST_LOG`.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the JSON subscriber, writing to stderr. Lambda sends stderr to
/// CloudWatch, where one JSON object per line is searchable, and stdout
/// stays free for a command's output. `RUST_LOG` sets the level, per
/// target if wanted (`info`, `warn,heyway=debug`; default `info`); an
/// unreadable value is reported and the default used. Safe to call twice:
/// the second call does nothing.
///
/// The filter is `Targets`, not `EnvFilter`: the same level-per-target
/// syntax without span and field matching, which would link a regex
/// engine into every function for nothing we use.
pub fn init() {
    init_to(std::io::stderr);
}

/// [`init`], writing to `writer` instead of stderr (`heyway demo` sends
/// its own server's logs to a file: `Mutex::new(file)`).
pub fn init_to<W>(writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let (filter, unreadable) = filter(std::env::var("RUST_LOG").ok().as_deref());
    let format = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(false)
        .with_target(true)
        .with_writer(writer);
    let installed = tracing_subscriber::registry()
        .with(format)
        .with(filter)
        .try_init();
    if let (Ok(()), Some(value)) = (installed, unreadable) {
        tracing::warn!(rust_log = %value, "RUST_LOG is unreadable; logging at info");
    }
}

/// The filter `RUST_LOG` asks for, and the value itself when unreadable.
fn filter(rust_log: Option<&str>) -> (Targets, Option<String>) {
    let default = Targets::new().with_default(LevelFilter::INFO);
    match rust_log.map(str::trim).filter(|value| !value.is_empty()) {
        None => (default, None),
        Some(value) => match value.parse::<Targets>() {
            Ok(targets) => (targets, None),
            Err(_) => (default, Some(value.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn rust_log_sets_levels_per_target() {
        let (targets, unreadable) = filter(Some("warn,heyway=debug"));
        assert!(unreadable.is_none());
        assert!(targets.would_enable("heyway::features", &Level::DEBUG));
        assert!(!targets.would_enable("mongodb", &Level::INFO));
        assert!(targets.would_enable("mongodb", &Level::WARN));
    }

    #[test]
    fn unset_or_unreadable_is_info() {
        let (targets, _) = filter(None);
        assert!(targets.would_enable("heyway", &Level::INFO));
        assert!(!targets.would_enable("heyway", &Level::DEBUG));
        let (targets, unreadable) = filter(Some("heyway=loud"));
        assert_eq!(unreadable.as_deref(), Some("heyway=loud"));
        assert!(targets.would_enable("heyway", &Level::INFO));
    }
}
