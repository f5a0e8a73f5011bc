//! An in-process Lambda Runtime API (version 2018-06-01), so the function
//! binaries run here exactly as Lambda runs them: the binary is started with
//! `AWS_LAMBDA_RUNTIME_API` pointing at us, long-polls
//! `GET /runtime/invocation/next` for an event and posts its answer to
//! `/runtime/invocation/{id}/response` (or `/error`; `/runtime/init/error`
//! when it cannot start).
//!
//! It records what the cold-start bench and the binary test need: when the
//! first `next` arrived (the end of init), when each event was handed out
//! and answered (the invocation), the answers themselves and init errors.
//! [`process`] starts a binary against it.

mod api;
pub mod process;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

pub use process::{ColdStart, EmulatorError, LambdaProcess};

/// One emulated Lambda execution environment's Runtime API, on a free
/// loopback port; stopped when dropped.
pub struct Emulator {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

/// What the handlers and the [`Emulator`] share.
struct Shared {
    /// Events waiting for a `next`.
    queued: mpsc::UnboundedSender<Queued>,
    /// The other end, held by the one `next` being served (Lambda's
    /// runtime polls one at a time).
    next: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
    /// When the first `next` arrived.
    first_next: watch::Sender<Option<Instant>>,
    /// The latest `/runtime/init/error` body.
    init_error: watch::Sender<Option<Value>>,
    /// Events handed out or queued, by request id, until answered.
    open: Mutex<HashMap<String, Open>>,
}

struct Queued {
    id: String,
    event: Bytes,
}

/// An event not answered yet.
struct Open {
    handed_out: Option<Instant>,
    answer: oneshot::Sender<Outcome>,
}

/// How the function answered one event.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub handed_out: Instant,
    pub answered: Instant,
    /// The response body, or the error the function reported.
    pub result: Result<Bytes, InvocationError>,
}

/// A `/runtime/invocation/{id}/error` post.
#[derive(Clone, Debug)]
pub struct InvocationError {
    /// `Lambda-Runtime-Function-Error-Type`.
    pub error_type: Option<String>,
    pub body: Bytes,
}

impl Outcome {
    /// From handing the event out to receiving the answer.
    pub fn duration(&self) -> Duration {
        self.answered.saturating_duration_since(self.handed_out)
    }

    /// The response body as JSON (`Value::Null` for an error or non-JSON).
    pub fn json(&self) -> Value {
        self.result
            .as_ref()
            .ok()
            .and_then(|body| serde_json::from_slice(body).ok())
            .unwrap_or(Value::Null)
    }
}

/// An event put on the queue; [`LambdaProcess::answer`] waits for it.
pub struct Invocation {
    pub id: String,
    answer: oneshot::Receiver<Outcome>,
}

impl Emulator {
    /// Serves the Runtime API on `127.0.0.1` at a free port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (queued, next) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queued,
            next: tokio::sync::Mutex::new(next),
            first_next: watch::Sender::new(None),
            init_error: watch::Sender::new(None),
            open: Mutex::new(HashMap::new()),
        });
        let app = api::router(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            address,
            shared,
            server,
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> String {
        self.address.to_string()
    }

    /// Queues `event` for the next `next`.
    pub fn invoke(&self, event: &Value) -> Invocation {
        self.invoke_raw(Bytes::from(event.to_string()))
    }

    /// Queues an event body as it is.
    pub fn invoke_raw(&self, event: Bytes) -> Invocation {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("00000000-0000-4000-8000-{n:012x}");
        let (answer, receiver) = oneshot::channel();
        self.shared.open_events().insert(
            id.clone(),
            Open {
                handed_out: None,
                answer,
            },
        );
        // The receiver lives in `shared`, as long as `self`.
        let _ = self.shared.queued.send(Queued {
            id: id.clone(),
            event,
        });
        Invocation {
            id,
            answer: receiver,
        }
    }

    /// When the first `next` arrived, if it has.
    pub fn first_next(&self) -> Option<Instant> {
        *self.shared.first_next.borrow()
    }

    /// The body of the last `/runtime/init/error`, if any.
    pub fn init_error(&self) -> Option<Value> {
        self.shared.init_error.borrow().clone()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Shared {
    /// The open events; a panicked handler's lock is still usable.
    fn open_events(&self) -> std::sync::MutexGuard<'_, HashMap<String, Open>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
