//! What the sandbox did with each call, in memory, for tests and for
//! `heyway demo` (`GET /sandbox/calls`).

use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde_json::Value;

use super::outcome::Outcome;

/// Who placed the call: our Twilio client, or ElevenLabs' `outbound-call`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlacedThrough {
    Twilio,
    ElevenLabs,
}

/// One delivery the sandbox made: a TwiML fetch, a status callback, the
/// AMD callback or a post-call webhook.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// `twiml`, `status:<CallStatus>`, `amd`, `post_call_transcription`, …
    pub kind: String,
    pub url: String,
    /// The receiver's HTTP status; `None` when it could not be reached.
    pub status: Option<u16>,
}

/// A call the sandbox accepted, as it plays out.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlayedCall {
    /// Twilio's `CA…`.
    pub sid: String,
    pub placed_through: PlacedThrough,
    pub from: String,
    pub to: String,
    pub outcome: Outcome,
    /// The latest `CallStatus`.
    pub status: String,
    pub answered_by: Option<String>,
    /// `CallDuration` reported when it ended.
    pub duration_secs: Option<u64>,
    /// The ElevenLabs conversation the call joined, if any.
    pub conversation_id: Option<String>,
    /// The post-call transcript's turns, once posted.
    pub transcript: Vec<Value>,
    /// The post-call `analysis`, once posted.
    pub analysis: Option<Value>,
    /// Every request made to the application, in order.
    pub deliveries: Vec<Delivery>,
    /// What the callee heard from our TwiML, in order: `<Say>` text and
    /// `<Play>` URLs (not the agent's conversation).
    pub heard: Vec<String>,
    /// The voicemail box of a call a machine answered.
    pub voicemail: Option<VoicemailBox>,
    /// Whether the sandbox is done with the call (all callbacks sent).
    pub finished: bool,
}

/// The answering machine of a voicemail number (`…555-0103`): its
/// greeting, its beep, and what it recorded after the beep.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VoicemailBox {
    pub greeting: String,
    /// Seconds into the call the beep sounded.
    pub beep_at_secs: u64,
    /// `<Say>` text and `<Play>` URLs played after the beep, each once per
    /// time it was played: what the owner of the box will hear. Empty
    /// when our TwiML spoke over the greeting (detection without
    /// `DetectMessageEnd`) or hung up.
    pub recorded: Vec<String>,
}

/// The calls played so far, oldest first.
#[derive(Clone, Debug, Default)]
pub struct CallLog {
    calls: Arc<Mutex<Vec<PlayedCall>>>,
}

/// Calls kept; older ones are forgotten so a long-running server does
/// not grow without bound.
const KEPT: usize = 1000;

impl CallLog {
    fn lock(&self) -> MutexGuard<'_, Vec<PlayedCall>> {
        // A panic while holding the lock leaves plain data behind: use it.
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, call: PlayedCall) {
        let mut calls = self.lock();
        if calls.len() >= KEPT {
            calls.remove(0);
        }
        calls.push(call);
    }

    /// Changes the call `sid`, if it is still kept.
    pub fn update(&self, sid: &str, change: impl FnOnce(&mut PlayedCall)) {
        if let Some(call) = self.lock().iter_mut().find(|c| c.sid == sid) {
            change(call);
        }
    }

    pub fn get(&self, sid: &str) -> Option<PlayedCall> {
        self.lock().iter().find(|c| c.sid == sid).cloned()
    }

    pub fn all(&self) -> Vec<PlayedCall> {
        self.lock().clone()
    }
}
