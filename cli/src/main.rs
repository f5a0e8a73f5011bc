//! `heyway`: the whole system on one machine.
//!
//! - `heyway serve`: every API route on `HOST`:`PORT` (default
//!   127.0.0.1:3000), against `MONGODB_URI`, or a SecantusDB it starts
//!   itself with data in `./.data`.
//! - `heyway migrate`: creates the collections and indexes production has.
//! - `heyway demo`: a demo owner's first calls against the telephony sandbox.
//! - `heyway calling-rules`: the federal and state calling-hours table.
//!
//! Without Twilio or ElevenLabs keys, `serve` runs the telephony sandbox
//! (`sandbox.rs`, docs/sandbox.md): no real calls are placed. Without
//! Stripe keys, the Stripe sandbox: nothing is charged. Without App Store
//! keys, the App Store sandbox: purchases are signed by a per-run chain. Their secrets are
//! random per run; their logs need the run's key, which `serve` writes
//! to `<data dir>/sandbox-key`.

mod calling_rules;
mod demo;
mod sandbox;

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use heyway::app;
use heyway::features::billing::metering::MeteringSweep;
use heyway::features::dialer::{self, Dialer};
use heyway::features::evaluator::{self, EvaluatorSettings, PassReport};
use heyway::features::webhooks::MissedReports;
use heyway::http::AppState;
use heyway::infra::events::Events;
use heyway::infra::queue::{DialQueue, InProcessQueue, SqsQueue};
use heyway::infra::{indexes, logging};
use heyway::{Config, Db};
use heyway_dev::local_db::LocalDb;
use heyway_dev::sandbox::AccessKey;

/// Where `serve` writes the sandboxes' per-run access key, in its data dir.
const SANDBOX_KEY_FILE: &str = "sandbox-key";

#[derive(Parser)]
#[command(name = "heyway", version, about = "HeyWay backend on one machine")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API locally.
    Serve {
        /// Where the local SecantusDB keeps its data when MONGODB_URI is
        /// unset, and where the sandboxes' per-run key is written
        /// (`sandbox-key`).
        #[arg(long, default_value = ".data")]
        data_dir: PathBuf,
        /// The address to listen on. Only this machine by default: set
        /// `HOST=0.0.0.0` to accept other machines.
        #[arg(long, env = "HOST", default_value = "127.0.0.1")]
        host: String,
    },
    /// Run one evaluator pass at the given instant (default now): record
    /// the due calls and hand them to the dial queue (SQS when
    /// DIAL_QUEUE_URL is set; otherwise they stay pending for `serve`).
    Evaluate {
        /// The pass's clock, RFC 3339 (e.g. 2026-11-29T23:00:00Z).
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        #[arg(long, default_value = ".data")]
        data_dir: PathBuf,
    },
    /// Through the API: sign up a demo owner, verify a caller ID, subscribe
    /// (Stripe sandbox), add contacts on the telephony sandbox's outcome
    /// numbers and an automation due at the next minute, and print each
    /// call as it ends.
    Demo {
        /// A running `heyway serve` to use (its sandboxes on); without it
        /// the demo starts its own server, sandboxes and database in this
        /// process, its logs in `<data dir>/server.log`.
        #[arg(long)]
        api: Option<String>,
        /// How long to wait for the calls, in seconds.
        #[arg(long, default_value_t = 240)]
        timeout: u64,
        /// Where the demo's own SecantusDB keeps its data (without --api
        /// and MONGODB_URI) and its server logs (`server.log`).
        #[arg(long, default_value = ".data-demo")]
        data_dir: PathBuf,
        /// With --api: the server's sandbox key, which reads the sandbox's
        /// call log (default: read from --sandbox-key-file).
        #[arg(long, env = "HEYWAY_SANDBOX_KEY", hide_env_values = true)]
        sandbox_key: Option<String>,
        /// With --api: where that server wrote its sandbox key.
        #[arg(long, default_value = ".data/sandbox-key")]
        sandbox_key_file: PathBuf,
    },
    /// Create missing collections and indexes (safe to run again).
    Migrate {
        /// Where the local SecantusDB keeps its data when MONGODB_URI is unset.
        #[arg(long, default_value = ".data")]
        data_dir: PathBuf,
    },
    /// Print the calling-hours rules the evaluator, the preview and the
    /// dialer apply: the federal floor and the stricter states, each with
    /// its source, the date it was checked and whether it is uncertain.
    CallingRules {
        /// Only this state's row (code or name), with the federal floor.
        state: Option<String>,
        /// Also show the state this number's area code places it in, and
        /// only its rules.
        #[arg(long)]
        number: Option<String>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the standard mongodb:// form of a mongodb+srv:// string (the
    /// form the Lambdas take: they do not resolve SRV records).
    MongoUri {
        /// The SRV string (default: MONGODB_URI).
        uri: Option<String>,
    },
}

/// Runs the command; a failure is one line on stderr (its causes joined
/// by `: `) and exit status 1, never a backtrace.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("heyway: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // Needs no configuration, database or logs.
    if let Command::CallingRules {
        state,
        number,
        json,
    } = cli.command
    {
        return calling_rules::command(state, number, json);
    }
    // The demo's own server logs to a file, so its output stays readable.
    let demo_log = match &cli.command {
        Command::Demo {
            api: None,
            data_dir,
            ..
        } => {
            let (path, file) = demo::server_log(data_dir)?;
            logging::init_to(std::sync::Mutex::new(file));
            Some(path)
        }
        _ => {
            logging::init();
            None
        }
    };
    let config = Config::from_env()?;
    match cli.command {
        Command::Serve { data_dir, host } => {
            let (db, local) = connect(&config, &data_dir).await?;
            report(indexes::migrate(&db).await?);
            let options = ServeOptions {
                host,
                access_key: AccessKey::random(),
                key_file: Some(data_dir.join(SANDBOX_KEY_FILE)),
            };
            let served = serve(db, config, options).await;
            stop(local).await;
            served
        }
        Command::Evaluate { at, data_dir } => {
            let (db, local) = connect(&config, &data_dir).await?;
            let result = evaluate_once(&db, &config, at.unwrap_or_else(chrono::Utc::now)).await;
            stop(local).await;
            let report = result?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Demo {
            api,
            timeout,
            data_dir,
            sandbox_key,
            sandbox_key_file,
        } => {
            let sandbox_key = sandbox_key.or_else(|| read_key_file(&sandbox_key_file));
            demo::command(
                config,
                api,
                timeout,
                &data_dir,
                sandbox_key,
                demo_log.as_deref(),
            )
            .await
        }
        Command::Migrate { data_dir } => {
            let (db, local) = connect(&config, &data_dir).await?;
            let migrated = indexes::migrate(&db).await;
            stop(local).await;
            report(migrated?);
            Ok(())
        }
        Command::CallingRules { .. } => Ok(()),
        Command::MongoUri { uri } => {
            let uri = uri
                .or(config.mongodb_uri)
                .context("give the mongodb+srv:// string, or set MONGODB_URI")?;
            println!("{}", heyway::infra::mongo_uri::resolve(&uri).await?);
            Ok(())
        }
    }
}

/// Connects to `MONGODB_URI`, or starts a SecantusDB in `data_dir`; the
/// returned server, if any, stops when dropped.
async fn connect(
    config: &Config,
    data_dir: &std::path::Path,
) -> anyhow::Result<(Db, Option<LocalDb>)> {
    if let Some(uri) = &config.mongodb_uri {
        return Ok((Db::connect(uri, &config.mongodb_db).await?, None));
    }
    let local = LocalDb::start(data_dir)
        .await
        .context("starting the local database")?;
    let db = Db::connect(local.uri(), &config.mongodb_db).await?;
    Ok((db, Some(local)))
}

async fn evaluate_once(
    db: &Db,
    config: &Config,
    at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<PassReport> {
    indexes::migrate(db).await?;
    let queue = match &config.dial_queue_url {
        Some(url) => DialQueue::Sqs(SqsQueue::new(url)),
        None => DialQueue::InProcess(InProcessQueue::new().0),
    };
    let report =
        evaluator::run_pass(db, &queue, at, EvaluatorSettings::from_config(config)).await?;
    MeteringSweep::from_config(config)?.run(db, at).await;
    MissedReports::from_config(config, Events::off())?
        .run(db, at)
        .await;
    Ok(report)
}

/// The local stand-in for the EventBridge schedule: a pass at the start of
/// every minute, feeding the in-process dial queue.
async fn evaluator_tick(
    db: Db,
    settings: EvaluatorSettings,
    metering: MeteringSweep,
    missed_reports: MissedReports,
    queue: DialQueue,
) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        ticks.tick().await;
        let now = chrono::Utc::now();
        if let Err(error) = evaluator::run_pass(&db, &queue, now, settings).await {
            tracing::error!(%error, "evaluator pass failed");
        }
        metering.run(&db, now).await;
        missed_reports.run(&db, now).await;
    }
}

/// The local stand-in for the dial queue and the dialer Lambda: jobs from
/// the evaluator and from `POST /api/calls` are dialed in-process.
fn start_local_dialer(dialer: Option<Dialer>) -> DialQueue {
    let (queue, mut jobs) = InProcessQueue::new();
    match dialer {
        Some(dialer) => {
            tokio::spawn(dialer::run_in_process(dialer, jobs));
        }
        None => {
            tokio::spawn(async move {
                while let Some(job) = jobs.recv().await {
                    tracing::info!(scheduled_call = %job.scheduled_call_id, at = %job.scheduled_time, "dial job ready (no dialer: Twilio is not configured)");
                }
            });
        }
    }
    DialQueue::InProcess(queue)
}

async fn stop(local: Option<LocalDb>) {
    if let Some(local) = local {
        local.stop().await;
    }
}

fn report(report: indexes::MigrationReport) {
    tracing::info!(
        collections_created = report.collections_created.len(),
        indexes_created = report.indexes_created.len(),
        indexes_present = report.indexes_present.len(),
        indexes_unsupported = ?report.indexes_unsupported,
        "database migrated"
    );
}

/// How `serve` listens and hands out the sandboxes' access key.
struct ServeOptions {
    /// The address to bind (`HOST`, default 127.0.0.1).
    host: String,
    /// Reads the sandboxes' logs; random per run.
    access_key: AccessKey,
    /// Where to write `access_key` (mode 0600) when a sandbox is on.
    key_file: Option<PathBuf>,
}

/// Where this server reaches itself: the sandboxes' base URLs and the
/// default `WEBHOOK_BASE_URL`. Loopback for a wildcard or loopback bind,
/// else the bound address itself.
fn local_origin(host: &str, port: u16) -> String {
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) if ip.is_unspecified() => format!("http://127.0.0.1:{port}"),
        Ok(std::net::IpAddr::V6(ip)) if ip.is_unspecified() => format!("http://[::1]:{port}"),
        Ok(std::net::IpAddr::V6(ip)) => format!("http://[{ip}]:{port}"),
        Ok(std::net::IpAddr::V4(ip)) => format!("http://{ip}:{port}"),
        Err(_) => format!("http://{host}:{port}"),
    }
}

async fn serve(db: Db, mut config: Config, options: ServeOptions) -> anyhow::Result<()> {
    if config.jwt_secret.is_none() {
        tracing::warn!(
            "JWT_SECRET is not set: using a random one, so sign-ins last until this server stops"
        );
        config.jwt_secret = Some(random_secret());
    }
    let port = config.port;
    let origin = local_origin(&options.host, port);
    let telephony_sandbox = sandbox::configure(&mut config, &origin, &options.access_key)?;
    let stripe_sandbox = sandbox::configure_stripe(&mut config, &origin, &options.access_key)?;
    let app_store_sandbox =
        sandbox::configure_app_store(&mut config, &origin, &options.access_key)?;
    if let Some(path) = &options.key_file {
        if telephony_sandbox.is_some() || stripe_sandbox.is_some() || app_store_sandbox.is_some() {
            write_key_file(path, options.access_key.expose())
                .with_context(|| format!("writing the sandbox key to {}", path.display()))?;
            tracing::warn!(
                path = %path.display(),
                "the sandboxes' logs (GET /sandbox/calls, /sandbox/stripe/events, \
                 /sandbox/stripe/meter_events, /sandbox/app-store/notifications) and the App \
                 Store sandbox's purchases need this run's key, written to {}: \
                 `Authorization: Bearer <key>` or `?key=<key>`",
                path.display()
            );
        } else if let Err(error) = std::fs::remove_file(path) {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(%error, path = %path.display(), "could not remove the old sandbox key");
            }
        }
    }
    let queue = start_local_dialer(local_dialer(&db, &config, &origin)?);
    if config.evaluator_enabled {
        tokio::spawn(evaluator_tick(
            db.clone(),
            EvaluatorSettings::from_config(&config),
            MeteringSweep::from_config(&config)?,
            MissedReports::from_config(&config, Events::off())?,
            queue.clone(),
        ));
    } else {
        tracing::info!("HEYWAY_EVALUATOR=off: automations are not evaluated");
    }
    // The API, and the page that shows its document (assets in this binary).
    let mut app = app::router(AppState::new(db, config)?.with_dial_queue(queue))
        .merge(heyway_dev::api_docs::router());
    if let Some(telephony_sandbox) = telephony_sandbox {
        app = app.nest(heyway_dev::sandbox::MOUNT, telephony_sandbox.router());
    }
    if let Some(stripe_sandbox) = stripe_sandbox {
        let mount = format!(
            "{}{}",
            heyway_dev::sandbox::MOUNT,
            heyway_dev::sandbox::stripe::STRIPE_PATH
        );
        app = app.nest(&mount, stripe_sandbox.router());
    }
    if let Some(app_store_sandbox) = app_store_sandbox {
        let mount = format!(
            "{}{}",
            heyway_dev::sandbox::MOUNT,
            heyway_dev::sandbox::app_store::APP_STORE_PATH
        );
        app = app.nest(&mount, app_store_sandbox.router());
    }
    let host = options.host.as_str();
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .with_context(|| format!("binding {host} port {port}"))?;
    let bound = listener.local_addr()?;
    tracing::info!(%bound, "heyway listening on {origin} (bound to {bound}; HOST chooses the address)");
    // Peer addresses feed the per-IP sign-in rate limits.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

/// The dialer of the in-process queue, placing calls through the
/// configured Twilio (real, or the sandbox); `None` when Twilio is not
/// configured.
fn local_dialer(db: &Db, config: &Config, origin: &str) -> anyhow::Result<Option<Dialer>> {
    if config.twilio.account_sid.is_none() {
        return Ok(None);
    }
    let mut config = config.clone();
    if config.webhook_base_url.is_none() {
        config.webhook_base_url = Some(origin.to_string());
    }
    Ok(Some(Dialer::from_config(
        db.clone(),
        heyway::infra::outbound::http_client()?,
        &config,
    )?))
}

/// A `JWT_SECRET` for one run: 32 random bytes, hex (64 characters).
fn random_secret() -> String {
    use std::fmt::Write;
    rand::random::<[u8; 32]>()
        .iter()
        .fold(String::new(), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// Writes the sandboxes' access key to `path`, readable by this user only.
fn write_key_file(path: &Path, key: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // A file left by an older run keeps its mode when opened: narrow it.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    writeln!(file, "{key}")
}

/// The key in a file `serve` wrote, if there is one.
fn read_key_file(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|key| key.trim().to_string())
        .filter(|key| !key.is_empty())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_reaches_itself_on_loopback_unless_bound_to_one_address() {
        assert_eq!(local_origin("127.0.0.1", 3000), "http://127.0.0.1:3000");
        assert_eq!(local_origin("0.0.0.0", 3000), "http://127.0.0.1:3000");
        assert_eq!(local_origin("::", 3000), "http://[::1]:3000");
        assert_eq!(local_origin("::1", 3000), "http://[::1]:3000");
        assert_eq!(local_origin("192.168.1.20", 80), "http://192.168.1.20:80");
        assert_eq!(local_origin("localhost", 3000), "http://localhost:3000");
    }

    #[test]
    fn the_random_jwt_secret_is_long_enough() {
        let secret = random_secret();
        assert_eq!(secret.len(), 64, "32 random bytes, hex");
        heyway::infra::config::secret::check(&secret).unwrap();
        assert_ne!(secret, random_secret());
    }

    #[test]
    fn the_key_file_is_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join(SANDBOX_KEY_FILE);
        write_key_file(&path, "first").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        write_key_file(&path, "second").unwrap();
        assert_eq!(read_key_file(&path).as_deref(), Some("second"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        assert_eq!(read_key_file(&dir.path().join("missing")), None);
    }
}
