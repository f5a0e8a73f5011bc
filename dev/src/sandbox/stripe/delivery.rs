//! Sending the sandbox's events as Stripe sends webhooks: `POST` of the
//! event's JSON to the endpoint, `Stripe-Signature: t=…,v1=…` signed
//! with the endpoint's secret by the same code production verifies
//! with; every attempt is logged ([`Delivery`], `GET /sandbox/stripe/events`).
//!
//! Unlike Stripe, which delivers in the background and retries for days,
//! the sandbox delivers while the hosted page waits and does not retry: a
//! developer sees a refused event on the page at once.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::Value;

use super::settings::StripeSandboxSettings;
use heyway::integrations::stripe::signature as stripe_signature;

/// Deliveries kept; the oldest go first.
const KEPT: usize = 1000;

/// One event sent.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    /// The endpoint's HTTP status; `None` when it could not be reached.
    pub status: Option<u16>,
    /// The endpoint's answer (its start), or why it was not reached.
    pub answer: String,
    /// Unix seconds.
    pub sent_at: i64,
}

impl Delivery {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The deliveries so far, oldest first. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct DeliveryLog(Arc<Mutex<Vec<Delivery>>>);

impl DeliveryLog {
    pub fn all(&self) -> Vec<Delivery> {
        self.lock().clone()
    }

    fn push(&self, delivery: Delivery) {
        let mut log = self.lock();
        if log.len() >= KEPT {
            log.remove(0);
        }
        log.push(delivery);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Delivery>> {
        // Plain data: usable even if a holder panicked.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Sends `events` in order, each once; stops at the first the endpoint
/// refuses (Stripe would retry it; its successors make no sense alone).
/// Answers the deliveries made.
pub(super) async fn send_all(
    settings: &StripeSandboxSettings,
    log: &DeliveryLog,
    events: &[Value],
) -> Vec<Delivery> {
    let mut sent = Vec::with_capacity(events.len());
    for event in events {
        let delivery = send(settings, event).await;
        log.push(delivery.clone());
        let delivered = delivery.delivered();
        if !delivered {
            tracing::warn!(event = %delivery.event_id, kind = %delivery.kind, status = ?delivery.status,
                answer = %delivery.answer, "Stripe sandbox: webhook refused");
        }
        sent.push(delivery);
        if !delivered {
            break;
        }
    }
    sent
}

async fn send(settings: &StripeSandboxSettings, event: &Value) -> Delivery {
    let body = event.to_string();
    let now = chrono::Utc::now().timestamp();
    let signature = stripe_signature::sign(&settings.webhook_secret, now, body.as_bytes());
    let answer = settings
        .http
        .post(&settings.webhook_url)
        .header("content-type", "application/json; charset=utf-8")
        .header("stripe-signature", signature)
        .header(
            "user-agent",
            "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        )
        .body(body)
        .send()
        .await;
    let (status, answer) = match answer {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            (Some(status), text.chars().take(500).collect())
        }
        Err(error) => (None, error.to_string()),
    };
    Delivery {
        event_id: event["id"].as_str().unwrap_or_default().to_string(),
        kind: event["type"].as_str().unwrap_or_default().to_string(),
        url: settings.webhook_url.clone(),
        status,
        answer,
        sent_at: now,
    }
}
