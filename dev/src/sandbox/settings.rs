//! What the sandbox signs with, where it posts, and how fast it plays calls.
//!
//! Its secrets (the Twilio auth token, the `xi-api-key`, the post-call
//! webhook secret, the log's access key) are made for each run
//! ([`SandboxSettings::development`]): never constants, never from the
//! environment. Account SID and agent id are not secrets and stay fixed.

use std::time::Duration;

use super::access::{new_secret, AccessKey};

/// The development account the sandbox answers for (`AC` and 32 hex
/// digits, like a real one).
pub const DEV_ACCOUNT_SID: &str = "AC00000000000000000000000000005a4d";
/// The agent every sandbox conversation talks to by default.
pub const DEV_AGENT_ID: &str = "agent_sandbox_0001";
/// The number ElevenLabs dials from in `outbound-call` (its imported
/// Twilio number), and the `agent_number` of every conversation.
pub const AGENT_NUMBER: &str = "+15005550006";

/// How long the parts of a played call take in real time. The durations
/// *reported* (`CallDuration`, `call_duration_secs`) come from the script,
/// not from these, so tests can play calls instantly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Between queued, initiated, ringing and answered.
    pub step: Duration,
    /// From answered to hang-up.
    pub talk: Duration,
    /// From hang-up to the post-call webhook (ElevenLabs analyses first).
    pub analysis: Duration,
}

impl Timing {
    /// No waiting at all: for tests.
    pub const fn instant() -> Self {
        Self {
            step: Duration::ZERO,
            talk: Duration::ZERO,
            analysis: Duration::ZERO,
        }
    }

    /// A few seconds per call, so a person watching `heyway serve` sees
    /// the statuses move.
    pub const fn lifelike() -> Self {
        Self {
            step: Duration::from_secs(1),
            talk: Duration::from_secs(3),
            analysis: Duration::from_secs(1),
        }
    }
}

/// Everything the sandbox needs; see [`SandboxSettings::development`].
#[derive(Clone, Debug)]
pub struct SandboxSettings {
    /// The account `Calls.json` answers for (basic auth user).
    pub account_sid: String,
    /// Basic auth password, and the key of `X-Twilio-Signature`.
    pub auth_token: String,
    /// The `xi-api-key` ElevenLabs requests must carry.
    pub elevenlabs_api_key: String,
    /// The agent conversations run on; requests naming another are refused.
    pub agent_id: String,
    /// The key of `ElevenLabs-Signature` on post-call webhooks.
    pub elevenlabs_webhook_secret: String,
    /// Where post-call webhooks go (the agent's configured webhook);
    /// `None` skips them.
    pub elevenlabs_webhook_url: Option<String>,
    /// Reads the log (`GET /calls`).
    pub access_key: AccessKey,
    /// Fetches TwiML and delivers callbacks.
    pub http: reqwest::Client,
    pub timing: Timing,
}

impl SandboxSettings {
    /// The development account and agent with fresh random secrets,
    /// playing calls at a lifelike pace.
    pub fn development(http: reqwest::Client) -> Self {
        Self {
            account_sid: DEV_ACCOUNT_SID.to_string(),
            auth_token: new_secret(),
            elevenlabs_api_key: format!("sk_sandbox_{}", new_secret()),
            agent_id: DEV_AGENT_ID.to_string(),
            elevenlabs_webhook_secret: format!("wsec_sandbox_{}", new_secret()),
            access_key: AccessKey::random(),
            elevenlabs_webhook_url: None,
            http,
            timing: Timing::lifelike(),
        }
    }
}
