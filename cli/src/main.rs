//! `heyway`: the whole system on one machine.
//!
//! - `heyway serve`: every API route on `PORT` (default 3000), against
//!   `MONGODB_URI`, or a SecantusDB it starts itself with data in `./.data`.
//! - `heyway migrate`: creates the collections and indexes production has.
//! - `heyway demo`: a demo owner's first calls against the telephony sandbox.
//!
//! Without `TWILIO_ACCOUNT_SID`, `serve` runs the telephony sandbox
//! (`sandbox.rs`, docs/sandbox.md): no real calls are placed. Without
//! `STRIPE_SECRET_KEY`, the Stripe sandbox: nothing is charged.

mod demo;
mod sandbox;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use heyway::app;
use heyway::features::billing::metering::MeteringSweep;
use heyway::features::dialer::{self, Dialer};
use heyway::features::evaluator::{self, EvaluatorSettings, PassReport};
use heyway::http::AppState;
use heyway::infra::queue::{DialQueue, InProcessQueue, SqsQueue};
use heyway::infra::{indexes, logging};
use heyway::{Config, Db};
use heyway_dev::local_db::LocalDb;

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
        /// Where the local SecantusDB keeps its data when MONGODB_URI is unset.
        #[arg(long, default_value = ".data")]
        data_dir: PathBuf,
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
    /// Sign up a demo owner, add contacts on the sandbox's outcome numbers,
    /// schedule AI calls to them now and print each call as it ends.
    Demo {
        /// A running `heyway serve` to use; without it the demo starts its
        /// own server, sandbox and database in this process.
        #[arg(long)]
        api: Option<String>,
        /// How long to wait for the calls, in seconds.
        #[arg(long, default_value_t = 240)]
        timeout: u64,
        /// Where the demo's own SecantusDB keeps its data (without --api
        /// and MONGODB_URI).
        #[arg(long, default_value = ".data-demo")]
        data_dir: PathBuf,
    },
    /// Create missing collections and indexes (safe to run again).
    Migrate {
        /// Where the local SecantusDB keeps its data when MONGODB_URI is unset.
        #[arg(long, default_value = ".data")]
        data_dir: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    logging::init();
    let cli = Cli::parse();
    let config = Config::from_env()?;
    match cli.command {
        Command::Serve { data_dir } => {
            let (db, local) = connect(&config, &data_dir).await?;
            report(indexes::migrate(&db).await?);
            let served = serve(db, config).await;
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
        } => demo::command(config, api, timeout, &data_dir).await,
        Command::Migrate { data_dir } => {
            let (db, local) = connect(&config, &data_dir).await?;
            let migrated = indexes::migrate(&db).await;
            stop(local).await;
            report(migrated?);
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
        Some(url) => DialQueue::Sqs(SqsQueue::from_env(url).await),
        None => DialQueue::InProcess(InProcessQueue::new().0),
    };
    let report =
        evaluator::run_pass(db, &queue, at, EvaluatorSettings::from_config(config)).await?;
    MeteringSweep::from_config(config)?.run(db, at).await;
    Ok(report)
}

/// The local stand-in for the EventBridge schedule: a pass at the start of
/// every minute, feeding the in-process dial queue.
async fn evaluator_tick(
    db: Db,
    settings: EvaluatorSettings,
    metering: MeteringSweep,
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

async fn serve(db: Db, mut config: Config) -> anyhow::Result<()> {
    if config.jwt_secret.is_none() {
        tracing::warn!(
            "JWT_SECRET is not set: using a random one, so sign-ins last until this server stops"
        );
        config.jwt_secret = Some(random_secret());
    }
    let port = config.port;
    let telephony_sandbox = sandbox::configure(&mut config)?;
    let stripe_sandbox = sandbox::configure_stripe(&mut config)?;
    let queue = start_local_dialer(local_dialer(&db, &config)?);
    if config.evaluator_enabled {
        tokio::spawn(evaluator_tick(
            db.clone(),
            EvaluatorSettings::from_config(&config),
            MeteringSweep::from_config(&config)?,
            queue.clone(),
        ));
    } else {
        tracing::info!("HEYWAY_EVALUATOR=off: automations are not evaluated");
    }
    let mut app = app::router(AppState::new(db, config)?.with_dial_queue(queue));
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
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port))
        .await
        .with_context(|| format!("binding port {port}"))?;
    tracing::info!(port, "heyway listening on http://localhost:{port}");
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
fn local_dialer(db: &Db, config: &Config) -> anyhow::Result<Option<Dialer>> {
    if config.twilio.account_sid.is_none() {
        return Ok(None);
    }
    let mut config = config.clone();
    if config.webhook_base_url.is_none() {
        config.webhook_base_url = Some(format!("http://127.0.0.1:{}", config.port));
    }
    Ok(Some(Dialer::from_config(
        db.clone(),
        heyway::infra::outbound::http_client()?,
        &config,
    )?))
}

fn random_secret() -> String {
    use std::fmt::Write;
    rand::random::<[u8; 32]>()
        .iter()
        .fold(String::new(), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
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
