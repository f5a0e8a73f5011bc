//! Sending call events to EventBridge with `PutEvents`.

use std::sync::Arc;

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use tokio::sync::OnceCell;

use super::detail::{CallEvent, SOURCE};

/// Where events go. Cheap to clone; one per process.
#[derive(Clone, Debug)]
pub struct Events {
    sink: Arc<Sink>,
}

#[derive(Debug)]
enum Sink {
    /// Events are logged, not sent: `heyway serve` and tests that do not
    /// look at events (no AWS account to reach).
    Off,
    /// The bus, with a client built on first use (the SDK's configuration
    /// is async; Lambdas that never publish never build it).
    EventBridge {
        bus: String,
        client: OnceCell<Client>,
    },
}

/// Why `PutEvents` did not take an event.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("EventBridge refused the request: {0}")]
    Request(String),
    #[error("EventBridge refused the event: {code}: {message}")]
    Entry { code: String, message: String },
}

impl Events {
    /// Events are only logged.
    pub fn off() -> Self {
        Self {
            sink: Arc::new(Sink::Off),
        }
    }

    /// Events go to `bus` through `client`.
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            sink: Arc::new(Sink::EventBridge {
                bus: bus.into(),
                client: OnceCell::new_with(Some(client)),
            }),
        }
    }

    /// Events go to `bus` through a client from the environment's AWS
    /// configuration (rustls on ring, see [`crate::infra::aws`]), built on the
    /// first event.
    pub fn from_env(bus: impl Into<String>) -> Self {
        Self {
            sink: Arc::new(Sink::EventBridge {
                bus: bus.into(),
                client: OnceCell::new(),
            }),
        }
    }

    /// Publishes `event`; a failure is logged, never returned: callers
    /// have already written what the event reports.
    pub async fn publish(&self, event: &CallEvent) {
        match self.try_publish(event).await {
            Ok(()) => {
                tracing::info!(detail_type = event.detail_type, call = %event.call_id, "event published");
            }
            Err(error) => {
                tracing::error!(%error, detail_type = event.detail_type, call = %event.call_id, "event not published");
            }
        }
    }

    /// Publishes `event`, saying why it failed.
    pub async fn try_publish(&self, event: &CallEvent) -> Result<(), PublishError> {
        let (bus, client) = match self.sink.as_ref() {
            Sink::Off => {
                tracing::info!(
                    detail_type = event.detail_type,
                    detail = %event.detail_json(),
                    "event (publishing off)"
                );
                return Ok(());
            }
            Sink::EventBridge { bus, client } => {
                let client = client
                    .get_or_init(|| async { Client::new(&crate::infra::aws::sdk_config().await) })
                    .await;
                (bus, client)
            }
        };
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(bus)
            .source(SOURCE)
            .detail_type(event.detail_type)
            .detail(event.detail_json())
            .build();
        let output = client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| {
                PublishError::Request(
                    aws_sdk_eventbridge::error::DisplayErrorContext(&e).to_string(),
                )
            })?;
        if output.failed_entry_count() > 0 {
            let failed = output.entries().first();
            return Err(PublishError::Entry {
                code: failed
                    .and_then(|e| e.error_code())
                    .unwrap_or("unknown")
                    .to_string(),
                message: failed
                    .and_then(|e| e.error_message())
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        Ok(())
    }
}
