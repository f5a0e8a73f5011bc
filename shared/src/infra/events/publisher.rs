//! Sending call events to EventBridge with `PutEvents`.

use std::sync::Arc;

use serde_json::json;

use super::detail::{CallEvent, SOURCE};
use crate::infra::aws::{AwsError, AwsJson, Service};

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
    /// The bus, reached with the environment's credentials on the first
    /// event: Lambdas that never publish never build anything.
    EventBridge { bus: String, client: AwsJson },
}

/// Why `PutEvents` did not take an event.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("EventBridge refused the request: {0}")]
    Request(#[from] AwsError),
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

    /// Events go to `bus`, signed with the environment's credentials.
    pub fn to_bus(bus: impl Into<String>) -> Self {
        Self::new(AwsJson::new(Service::EventBridge), bus)
    }

    /// Events go to `bus` through `client`.
    pub fn new(client: AwsJson, bus: impl Into<String>) -> Self {
        Self {
            sink: Arc::new(Sink::EventBridge {
                bus: bus.into(),
                client,
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
            Sink::EventBridge { bus, client } => (bus, client),
        };
        let entry = json!({
            "EventBusName": bus,
            "Source": SOURCE,
            "DetailType": event.detail_type,
            "Detail": event.detail_json(),
        });
        let output = client
            .call("PutEvents", &json!({ "Entries": [entry] }))
            .await?;
        if output["FailedEntryCount"].as_u64().unwrap_or(0) == 0 {
            return Ok(());
        }
        let failed = &output["Entries"][0];
        Err(PublishError::Entry {
            code: failed["ErrorCode"]
                .as_str()
                .unwrap_or("unknown")
                .to_string(),
            message: failed["ErrorMessage"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        })
    }
}
