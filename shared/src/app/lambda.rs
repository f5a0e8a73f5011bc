//! Running as a Lambda: the HTTP functions' lazy app, the request
//! context's facts, and what each kind of function builds on its first
//! event.
//!
//! Nothing is built before the first event. Lambda bills and waits for the
//! init phase on every cold start, and an event may never need a database
//! client, an AWS client or the settings secret; so init only starts the
//! runtime, and the first event reads the configuration (with its secret),
//! builds the state and keeps it for the life of the process.

use std::convert::Infallible;
use std::net::IpAddr;

use axum::response::{IntoResponse, Response};
use axum::Router;
use lambda_http::request::RequestContext;
use lambda_http::{service_fn, RequestExt};
use tokio::sync::OnceCell;
use tower::ServiceExt;

use crate::error::Error;
use crate::features::auth::PeerAddr;
use crate::features::webhooks::PublicOrigin;
use crate::http::AppState;
use crate::infra::config::{Config, ConfigError};
use crate::infra::db::{Db, DbSetupError};
use crate::infra::events::Events;
use crate::infra::queue::{DialQueue, SqsQueue};

/// Serves the app `build` makes as this process's Lambda handler; every
/// HTTP function's `main` is this one call. The app is built on the first
/// request (see the module's doc); a request that finds the function
/// unable to start (a missing setting, an unreadable secret) is answered
/// 503 and the next one tries again.
pub async fn run_lambda<F>(build: F) -> Result<(), lambda_http::Error>
where
    F: Fn(AppState) -> Router + Send + Sync,
{
    crate::infra::logging::init();
    let app = LazyApp {
        build,
        router: OnceCell::new(),
    };
    let app = &app;
    lambda_http::run(service_fn(move |request| app.respond(request))).await
}

/// A router built on its first request.
struct LazyApp<F> {
    build: F,
    router: OnceCell<Router>,
}

impl<F: Fn(AppState) -> Router> LazyApp<F> {
    async fn respond(&self, request: lambda_http::Request) -> Result<Response, Infallible> {
        let built = self
            .router
            .get_or_try_init(|| async {
                Ok::<_, LambdaSetupError>((self.build)(lambda_state().await?))
            })
            .await;
        match built {
            Ok(router) => router.clone().oneshot(from_lambda(request)).await,
            Err(error) => {
                tracing::error!(%error, "the function could not start; the next request tries again");
                Ok(
                    Error::Unavailable("the service is starting up; try again shortly".into())
                        .into_response(),
                )
            }
        }
    }
}

/// `request` with what API Gateway's HTTP API (or a function URL's) request
/// context says, as the typed extensions the features read: the client's
/// address ([`PeerAddr`], from `sourceIp`, which no header can change) and
/// the public origin ([`PublicOrigin`], from the domain name, for webhook
/// signatures when `WEBHOOK_BASE_URL` is not set).
pub fn from_lambda(mut request: lambda_http::Request) -> lambda_http::Request {
    let (source_ip, domain) = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            (context.http.source_ip.clone(), context.domain_name.clone())
        }
        _ => (None, None),
    };
    if let Some(ip) = source_ip.and_then(|ip| ip.trim().parse::<IpAddr>().ok()) {
        request.extensions_mut().insert(PeerAddr(ip));
    }
    if let Some(domain) = domain.filter(|d| !d.is_empty()) {
        request
            .extensions_mut()
            .insert(PublicOrigin::https(&domain));
    }
    request
}

/// What a resource's Lambda builds on its first event: the configuration
/// (with its secret), the shared database handle, the state, the events'
/// bus, and the SQS dial queue when `DIAL_QUEUE_URL` is set. The database
/// and AWS clients connect on their first use, not here.
pub async fn lambda_state() -> Result<AppState, LambdaSetupError> {
    let config = Config::shared().await?;
    let db = Db::shared().await?.clone();
    let mut state = AppState::new(db, config.clone())?;
    state.events = Events::to_bus(config.event_bus_name.clone());
    Ok(match &config.dial_queue_url {
        Some(url) => state.with_dial_queue(DialQueue::Sqs(SqsQueue::new(url))),
        None => state,
    })
}

/// What the queue workers' Lambdas (the evaluator and the dialer) build
/// on their first event.
pub struct Worker {
    pub config: &'static Config,
    pub db: &'static Db,
    /// The SQS dial queue (`DIAL_QUEUE_URL`, required).
    pub queue: SqsQueue,
}

/// The process's worker setup, built on first use: the configuration, the
/// shared database handle and the SQS dial queue.
pub async fn worker() -> Result<&'static Worker, LambdaSetupError> {
    static WORKER: OnceCell<Worker> = OnceCell::const_new();
    WORKER
        .get_or_try_init(|| async {
            crate::infra::logging::init();
            let config = Config::shared().await?;
            let db = Db::shared().await?;
            let url = config
                .dial_queue_url
                .as_deref()
                .ok_or(ConfigError::Missing {
                    key: "DIAL_QUEUE_URL",
                })?;
            Ok(Worker {
                config,
                db,
                queue: SqsQueue::new(url),
            })
        })
        .await
}

/// Why a Lambda could not start.
#[derive(Debug, thiserror::Error)]
pub enum LambdaSetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Db(#[from] DbSetupError),
}
