//! The telephony sandbox: Twilio's and ElevenLabs' APIs, answered locally.
//!
//! When no Twilio or ElevenLabs key is set, `heyway serve` mounts this router
//! under `/sandbox` and points the real clients ([`CallsClient`],
//! [`ElevenLabsClient`]) at it through their base URLs, so a call placed
//! locally takes the production code path. The sandbox then plays each
//! call as the real services would: it fetches the TwiML, sends the
//! signed status callbacks in order, asks its "agent" for a short
//! conversation when the TwiML connects to it, and posts the signed
//! post-call webhook. The destination number picks the outcome
//! ([`outcome`] has the table; `docs/sandbox.md` too).
//!
//! Routes, relative to where the router is mounted:
//! - `POST /twilio/2010-04-01/Accounts/{sid}/Calls.json`
//! - `POST /elevenlabs/v1/convai/twilio/register-call`
//! - `POST /elevenlabs/v1/convai/twilio/outbound-call`
//! - `GET /elevenlabs/v1/convai/conversations/{id}`: the conversation,
//!   `processing` until analysed, then the post-call webhook's `data`
//!   (also for the numbers whose webhook is lost, [`outcome`])
//! - `GET /elevenlabs/v1/convai/conversations`: the list, by `agent_id`
//!   and start time (`call_start_after_unix`, `call_start_before_unix`),
//!   paged (`page_size`, `cursor`)
//! - `POST|GET /twilio/2010-04-01/Accounts/{sid}/OutgoingCallerIds.json`,
//!   `DELETE /twilio/2010-04-01/Accounts/{sid}/OutgoingCallerIds/{PN…}.json`
//!   (caller ID validation; [`caller_ids_api`])
//! - `GET /calls`: the calls played so far ([`PlayedCall`]), only with
//!   the run's access key ([`access`]).
//!
//! Every secret it checks or signs with is random per run
//! ([`SandboxSettings::development`]), so nobody who merely reaches the
//! port can place calls through it or have it sign webhooks.
//!
//! Stripe has a sandbox of its own, [`stripe`], mounted beside this one
//! at `/sandbox/stripe` when no Stripe key is set, and so has the App
//! Store, [`app_store`], at `/sandbox/app-store` when no App Store key is
//! set.
//!
//! [`CallsClient`]: heyway::integrations::twilio::CallsClient
//! [`ElevenLabsClient`]: heyway::integrations::elevenlabs::ElevenLabsClient

pub mod access;
pub mod app_store;
mod caller_ids_api;
pub mod conversation;
mod elevenlabs_api;
pub mod log;
pub mod outcome;
mod play;
pub mod settings;
pub mod stripe;
mod twilio_api;
pub mod twiml;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};

pub use access::AccessKey;
pub use caller_ids_api::SandboxCallerId;
pub use conversation::Conversation;
pub use log::{CallLog, Delivery, PlacedThrough, PlayedCall, VoicemailBox};
pub use outcome::Outcome;
pub use play::{VOICEMAIL_BEEP_AT_SECS, VOICEMAIL_GREETING};
pub use settings::{SandboxSettings, Timing};

/// Where `heyway serve` mounts the sandbox.
pub const MOUNT: &str = "/sandbox";
/// The Twilio API's base, relative to the mount point.
pub const TWILIO_PATH: &str = "/twilio";
/// The ElevenLabs API's base, relative to the mount point.
pub const ELEVENLABS_PATH: &str = "/elevenlabs";

/// The sandbox: settings, the conversations ElevenLabs was asked to hold,
/// and the log of played calls. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: SandboxSettings,
    log: CallLog,
    conversations: Mutex<HashMap<String, Conversation>>,
    /// Each analysed conversation's report: the post-call webhook's
    /// `data`, which `GET /v1/convai/conversations/{id}` answers.
    reports: Mutex<HashMap<String, serde_json::Value>>,
    caller_ids: Mutex<Vec<SandboxCallerId>>,
}

impl Sandbox {
    pub fn new(settings: SandboxSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                log: CallLog::default(),
                conversations: Mutex::default(),
                reports: Mutex::default(),
                caller_ids: Mutex::default(),
            }),
        }
    }

    pub fn settings(&self) -> &SandboxSettings {
        &self.inner.settings
    }

    /// The calls played so far, oldest first.
    pub fn calls(&self) -> Vec<PlayedCall> {
        self.inner.log.all()
    }

    /// The call `sid` once the sandbox is done with it, or as it stands
    /// when `timeout` runs out; `None` for an unknown call.
    pub async fn finished(&self, sid: &str, timeout: Duration) -> Option<PlayedCall> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let call = self.inner.log.get(sid)?;
            if call.finished || tokio::time::Instant::now() >= deadline {
                return Some(call);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Every route, relative to the mount point.
    pub fn router(&self) -> Router {
        let twilio = Router::new()
            .route(
                "/2010-04-01/Accounts/{account_sid}/Calls.json",
                post(twilio_api::create_call),
            )
            .route(
                "/2010-04-01/Accounts/{account_sid}/OutgoingCallerIds.json",
                post(caller_ids_api::create).get(caller_ids_api::list),
            )
            .route(
                "/2010-04-01/Accounts/{account_sid}/OutgoingCallerIds/{sid}",
                delete(caller_ids_api::delete),
            )
            .with_state(self.clone());
        let elevenlabs = Router::new()
            .route(
                "/v1/convai/twilio/register-call",
                post(elevenlabs_api::register_call),
            )
            .route(
                "/v1/convai/twilio/outbound-call",
                post(elevenlabs_api::outbound_call),
            )
            .route(
                "/v1/convai/conversations",
                get(elevenlabs_api::list_conversations),
            )
            .route(
                "/v1/convai/conversations/{conversation_id}",
                get(elevenlabs_api::get_conversation),
            )
            .with_state(self.clone());
        let log = Router::new()
            .route("/calls", get(list_calls))
            .with_state(self.clone());
        Router::new()
            .nest(TWILIO_PATH, twilio)
            .nest(ELEVENLABS_PATH, elevenlabs)
            .merge(log)
    }

    /// The caller IDs verified so far.
    pub fn verified_caller_ids(&self) -> Vec<SandboxCallerId> {
        self.caller_ids().clone()
    }

    fn caller_ids(&self) -> std::sync::MutexGuard<'_, Vec<SandboxCallerId>> {
        self.inner
            .caller_ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn caller_ids_mut(&self) -> std::sync::MutexGuard<'_, Vec<SandboxCallerId>> {
        self.caller_ids()
    }

    fn log(&self) -> &CallLog {
        &self.inner.log
    }

    fn remember(&self, conversation: Conversation) {
        self.conversations()
            .insert(conversation.id.clone(), conversation);
    }

    fn conversation(&self, id: &str) -> Option<Conversation> {
        self.conversations().get(id).cloned()
    }

    /// The conversation whose unnamed TwiML carried `session`.
    fn conversation_by_session(&self, session: &str) -> Option<Conversation> {
        self.conversations()
            .values()
            .find(|c| c.session.as_deref() == Some(session))
            .cloned()
    }

    fn all_conversations(&self) -> Vec<Conversation> {
        self.conversations().values().cloned().collect()
    }

    fn keep_report(&self, conversation_id: &str, data: serde_json::Value) {
        let mut reports = self.inner.reports.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded like the call log: a long-running server forgets the oldest.
        if reports.len() >= 1000 {
            reports.clear();
        }
        reports.insert(conversation_id.to_string(), data);
    }

    fn report(&self, conversation_id: &str) -> Option<serde_json::Value> {
        self.inner
            .reports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(conversation_id)
            .cloned()
    }

    fn conversations(&self) -> std::sync::MutexGuard<'_, HashMap<String, Conversation>> {
        // Plain data: usable even if a holder panicked.
        self.inner
            .conversations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// `GET /calls`: the log, for the holder of the access key only.
async fn list_calls(State(sandbox): State<Sandbox>, headers: HeaderMap, uri: Uri) -> Response {
    if let Some(refused) = sandbox.settings().access_key.check(&headers, &uri) {
        return refused;
    }
    Json(sandbox.calls()).into_response()
}

/// `prefix` followed by `hex_len` random lowercase hex digits.
fn random_id(prefix: &str, hex_len: usize) -> String {
    use std::fmt::Write;
    let mut id = String::with_capacity(prefix.len() + hex_len);
    id.push_str(prefix);
    while id.len() < prefix.len() + hex_len {
        let _ = write!(id, "{:02x}", rand::random::<u8>());
    }
    id.truncate(prefix.len() + hex_len);
    id
}

/// Now as Twilio writes dates: RFC 2822.
fn rfc2822_now() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_twilio_and_elevenlabs_ids() {
        let sid = random_id("CA", 32);
        assert_eq!(sid.len(), 34);
        assert!(sid[2..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(sid, random_id("CA", 32));
        assert_eq!(random_id("conv_", 5).len(), 10);
    }

    #[test]
    fn dates_are_rfc_2822() {
        let date = rfc2822_now();
        assert!(
            chrono::DateTime::parse_from_rfc2822(&date).is_ok(),
            "{date}"
        );
    }
}
