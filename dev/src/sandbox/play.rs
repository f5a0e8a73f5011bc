//! Playing a call out, as Twilio (and ElevenLabs) would: progress
//! callbacks in order, the TwiML fetch on answer, answering-machine
//! detection, the agent's conversation and the post-call webhook.

use serde_json::Value;

use super::conversation::{self, Conversation, PhoneCall};
use super::log::{Delivery, PlacedThrough, PlayedCall, VoicemailBox};
use super::outcome::Outcome;
use super::settings::AGENT_NUMBER;
use super::twiml::{self, Verb};
use super::{rfc2822_now, Sandbox};
use heyway::integrations::twilio::signature;

/// A call Twilio accepted through `Calls.json`.
#[derive(Clone, Debug)]
pub(super) struct TwilioCall {
    pub sid: String,
    pub account_sid: String,
    pub from: String,
    pub to: String,
    pub url: Option<String>,
    pub method: String,
    pub twiml: Option<String>,
    pub status_callback: Option<String>,
    pub status_callback_method: String,
    /// The `StatusCallbackEvent`s asked for (`completed` when none).
    pub events: Vec<String>,
    pub machine_detection: bool,
    /// `MachineDetection=DetectMessageEnd`: a machine is reported once
    /// its greeting ended (at the beep).
    pub wait_for_beep: bool,
    pub async_amd: bool,
    pub amd_callback: Option<String>,
    pub amd_callback_method: String,
    pub outcome: Outcome,
}

/// What the voicemail number's answering machine says before its beep.
pub const VOICEMAIL_GREETING: &str =
    "Hi, you have reached Sam Placeholder. I can't take your call right now. Please leave a message after the tone.";
/// When the beep sounds, seconds after the machine picked up.
pub const VOICEMAIL_BEEP_AT_SECS: u64 = 7;

/// Logs `call` and plays it in the background.
pub(super) fn start_twilio_call(sandbox: Sandbox, call: TwilioCall) {
    sandbox.log().push(PlayedCall {
        sid: call.sid.clone(),
        placed_through: PlacedThrough::Twilio,
        from: call.from.clone(),
        to: call.to.clone(),
        outcome: call.outcome,
        status: "queued".to_string(),
        answered_by: None,
        duration_secs: None,
        conversation_id: None,
        transcript: Vec::new(),
        analysis: None,
        deliveries: Vec::new(),
        heard: Vec::new(),
        voicemail: None,
        finished: false,
    });
    tokio::spawn(async move {
        let sid = call.sid.clone();
        Player::new(sandbox.clone(), call).play().await;
        sandbox.log().update(&sid, |c| c.finished = true);
    });
}

fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Sandbox {
    /// Sends a Twilio-signed form request; logs it on the call `sid`.
    /// Answers the receiver's status and body, `None` when unreachable.
    pub(super) async fn twilio_request(
        &self,
        sid: &str,
        kind: &str,
        url: &str,
        method: &str,
        params: Vec<(String, String)>,
    ) -> Option<(u16, String)> {
        let settings = self.settings();
        let request = if method == "GET" {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&params)
                .finish();
            let separator = if url.contains('?') { '&' } else { '?' };
            let full = if query.is_empty() {
                url.to_string()
            } else {
                format!("{url}{separator}{query}")
            };
            let signed = signature::sign(&settings.auth_token, &full, &[]);
            settings.http.get(full).header("X-Twilio-Signature", signed)
        } else {
            let signed = signature::sign(&settings.auth_token, url, &params);
            settings
                .http
                .post(url)
                .header("X-Twilio-Signature", signed)
                .form(&params)
        };
        let answer = match request.header("User-Agent", "TwilioProxy/1.1").send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                Some((status, body))
            }
            Err(error) => {
                tracing::warn!(%error, url, kind, "sandbox: could not deliver to the application");
                None
            }
        };
        self.record(sid, kind, url, answer.as_ref().map(|(status, _)| *status));
        answer
    }

    fn record(&self, sid: &str, kind: &str, url: &str, status: Option<u16>) {
        self.log().update(sid, |c| {
            c.deliveries.push(Delivery {
                kind: kind.to_string(),
                url: url.to_string(),
                status,
            });
        });
    }

    /// Posts an ElevenLabs webhook body, signed, to the configured URL.
    async fn post_elevenlabs_webhook(&self, sid: &str, body: &Value) {
        let settings = self.settings();
        let Some(url) = settings.elevenlabs_webhook_url.clone() else {
            return;
        };
        let kind = body["type"].as_str().unwrap_or("webhook").to_string();
        let bytes = match serde_json::to_vec(body) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::error!(%error, "sandbox: webhook body");
                return;
            }
        };
        let header = heyway::integrations::elevenlabs::signature::sign(
            &settings.elevenlabs_webhook_secret,
            now_unix(),
            &bytes,
        );
        let status = match settings
            .http
            .post(&url)
            .header("ElevenLabs-Signature", header)
            .header("Content-Type", "application/json")
            .body(bytes)
            .send()
            .await
        {
            Ok(response) => Some(response.status().as_u16()),
            Err(error) => {
                tracing::warn!(%error, %url, "sandbox: could not deliver the post-call webhook");
                None
            }
        };
        self.record(sid, &kind, &url, status);
    }

    /// Posts the post-call transcription for `conversation` and keeps its
    /// transcript and analysis in the log.
    async fn report_conversation(
        &self,
        sid: &str,
        conversation: &Conversation,
        outcome: Outcome,
        call: PhoneCall<'_>,
    ) {
        tokio::time::sleep(self.settings().timing.analysis).await;
        let body = conversation::post_call_transcription(conversation, outcome, &call, now_unix());
        self.log().update(sid, |c| {
            c.conversation_id = Some(conversation.id.clone());
            c.transcript = body["data"]["transcript"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            c.analysis = Some(body["data"]["analysis"].clone());
        });
        if outcome == Outcome::StuckProcessing {
            tracing::info!(conversation = %conversation.id, "sandbox: the conversation stays processing");
            return;
        }
        // What `GET /v1/convai/conversations/{id}` answers from now on.
        self.keep_report(&conversation.id, body["data"].clone());
        if outcome.reports() {
            self.post_elevenlabs_webhook(sid, &body).await;
        } else {
            tracing::info!(conversation = %conversation.id, "sandbox: the post-call webhook is lost");
        }
    }
}

/// A status callback ready to send.
#[derive(Clone, Debug)]
struct Callback {
    kind: String,
    url: String,
    params: Vec<(String, String)>,
}

/// Plays one Twilio call.
struct Player {
    sandbox: Sandbox,
    call: TwilioCall,
    sequence: u32,
    /// [`Outcome::OutOfOrder`]: callbacks held back until after `completed`.
    held: Vec<Callback>,
}

impl Player {
    fn new(sandbox: Sandbox, call: TwilioCall) -> Self {
        Self {
            sandbox,
            call,
            sequence: 0,
            held: Vec::new(),
        }
    }

    async fn step(&self) {
        tokio::time::sleep(self.sandbox.settings().timing.step).await;
    }

    /// The fields of every request about the call.
    fn base(&self, call_status: &str) -> Vec<(String, String)> {
        let call = &self.call;
        pairs(&[
            ("AccountSid", &call.account_sid),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", &call.sid),
            ("CallStatus", call_status),
            ("Called", &call.to),
            ("Caller", &call.from),
            ("Direction", "outbound-api"),
            ("From", &call.from),
            ("To", &call.to),
        ])
    }

    /// The status callback for `event`, when it was asked for.
    async fn status(&mut self, event: &str, call_status: &str, extra: &[(&str, &str)]) {
        self.sandbox
            .log()
            .update(&self.call.sid, |c| c.status = call_status.to_string());
        let Some(url) = self.call.status_callback.clone() else {
            return;
        };
        if !self.call.events.iter().any(|e| e == event) {
            return;
        }
        let mut params = self.base(call_status);
        let sequence = self.sequence.to_string();
        self.sequence += 1;
        params.extend(pairs(&[
            ("CallbackSource", "call-progress-events"),
            ("SequenceNumber", &sequence),
            ("Timestamp", &rfc2822_now()),
        ]));
        params.extend(pairs(extra));
        let callback = Callback {
            kind: format!("status:{call_status}"),
            url,
            params,
        };
        let out_of_order = self.call.outcome == Outcome::OutOfOrder;
        if out_of_order && matches!(call_status, "ringing" | "in-progress") {
            self.held.push(callback);
            return;
        }
        self.send(&callback).await;
        if out_of_order && call_status == "completed" {
            for held in std::mem::take(&mut self.held) {
                self.send(&held).await;
            }
            // Delivered again, as Twilio may.
            self.send(&callback).await;
        }
    }

    async fn send(&self, callback: &Callback) {
        let method = self.call.status_callback_method.clone();
        self.sandbox
            .twilio_request(
                &self.call.sid,
                &callback.kind,
                &callback.url,
                &method,
                callback.params.clone(),
            )
            .await;
    }

    /// The TwiML the call runs once answered: fetched from `Url`, or inline.
    async fn fetch_twiml(&self, answered_by: Option<&str>) -> String {
        if let Some(twiml) = &self.call.twiml {
            return twiml.clone();
        }
        let Some(url) = &self.call.url else {
            return String::new();
        };
        let mut params = self.base("in-progress");
        if let Some(answered_by) = answered_by {
            params.push(("AnsweredBy".to_string(), answered_by.to_string()));
        }
        match self
            .sandbox
            .twilio_request(&self.call.sid, "twiml", url, &self.call.method, params)
            .await
        {
            Some((status, body)) if (200..300).contains(&status) => body,
            // Twilio says "an application error has occurred" and hangs up.
            _ => String::new(),
        }
    }

    async fn play(mut self) {
        let outcome = self.call.outcome;
        self.step().await;
        self.status("initiated", "initiated", &[]).await;
        self.step().await;
        if outcome != Outcome::Failed {
            self.status("ringing", "ringing", &[]).await;
            self.step().await;
        }
        if !outcome.is_answered() {
            let zero = [("CallDuration", "0")];
            self.status("completed", outcome.final_status(), &zero)
                .await;
            return;
        }
        let answered_by = outcome.answered_by();
        let detect = self.call.machine_detection;
        // Synchronous detection delays the answer until it knows; the
        // asynchronous kind reports to its own callback later.
        let sync_answered_by = (detect && !self.call.async_amd).then_some(answered_by);
        let answered: Vec<(&str, &str)> = sync_answered_by
            .map(|a| vec![("AnsweredBy", a)])
            .unwrap_or_default();
        self.sandbox.log().update(&self.call.sid, |c| {
            c.answered_by = detect.then(|| answered_by.to_string());
        });
        self.status("answered", "in-progress", &answered).await;
        let twiml = self.fetch_twiml(sync_answered_by).await;
        if detect && self.call.async_amd {
            if let Some(url) = self.call.amd_callback.clone() {
                let params = pairs(&[
                    ("AccountSid", &self.call.account_sid),
                    ("AnsweredBy", answered_by),
                    ("CallSid", &self.call.sid),
                    ("MachineDetectionDuration", "2300"),
                ]);
                let method = self.call.amd_callback_method.clone();
                self.sandbox
                    .twilio_request(&self.call.sid, "amd", &url, &method, params)
                    .await;
            }
        }
        let verbs = twiml::verbs(&twiml);
        let heard = twiml::heard(&verbs);
        let machine = (outcome == Outcome::Voicemail).then(|| {
            // Synchronous `DetectMessageEnd` fetched the TwiML after the
            // beep: the box records it. Otherwise it played over the
            // greeting, and the box recorded nothing of it.
            let after_beep = detect && self.call.wait_for_beep && !self.call.async_amd;
            VoicemailBox {
                greeting: VOICEMAIL_GREETING.to_string(),
                beep_at_secs: VOICEMAIL_BEEP_AT_SECS,
                recorded: if after_beep {
                    heard.clone()
                } else {
                    Vec::new()
                },
            }
        });
        let greeting_secs = machine.as_ref().map_or(0, |m| m.beep_at_secs);
        self.sandbox.log().update(&self.call.sid, |c| {
            c.heard = heard;
            c.voicemail = machine;
        });
        let conversation = verbs.iter().find_map(|verb| match verb {
            Verb::Stream {
                conversation_id: Some(id),
                ..
            } => self.sandbox.conversation(id),
            Verb::Stream {
                url,
                conversation_id: None,
            } => twiml::session_of(url).and_then(|s| self.sandbox.conversation_by_session(&s)),
            _ => None,
        });
        if let Some(conversation) = &conversation {
            self.sandbox.log().update(&self.call.sid, |c| {
                c.conversation_id = Some(conversation.id.clone());
            });
        }
        let talk_secs = match (&conversation, outcome.is_human()) {
            (Some(conversation), true) => {
                conversation::duration_secs(&conversation::transcript(conversation, outcome))
            }
            _ => 0,
        };
        let duration = (greeting_secs + twiml::spoken_secs(&verbs) + talk_secs).max(1);
        let start = chrono::Utc::now().timestamp();
        tokio::time::sleep(self.sandbox.settings().timing.talk).await;
        let duration_text = duration.to_string();
        let mut completed = vec![("CallDuration", duration_text.as_str())];
        if detect {
            completed.push(("AnsweredBy", answered_by));
        }
        self.sandbox
            .log()
            .update(&self.call.sid, |c| c.duration_secs = Some(duration));
        self.status("completed", "completed", &completed).await;
        if let (Some(conversation), true) = (&conversation, outcome.is_human()) {
            let call = PhoneCall {
                call_sid: &self.call.sid,
                external_number: &self.call.to,
                agent_number: &self.call.from,
                start_time_unix_secs: start,
            };
            self.sandbox
                .report_conversation(&self.call.sid, conversation, outcome, call)
                .await;
        }
    }
}

/// Plays a call ElevenLabs placed itself (`outbound-call`): Twilio's
/// callbacks go to ElevenLabs, so the application only hears the
/// post-call webhook (or `call_initiation_failure`).
pub(super) fn start_elevenlabs_call(
    sandbox: Sandbox,
    sid: String,
    conversation: Conversation,
    outcome: Outcome,
) {
    sandbox.log().push(PlayedCall {
        sid: sid.clone(),
        placed_through: PlacedThrough::ElevenLabs,
        from: conversation.from_number.clone(),
        to: conversation.to_number.clone(),
        outcome,
        status: "queued".to_string(),
        answered_by: None,
        duration_secs: None,
        conversation_id: Some(conversation.id.clone()),
        transcript: Vec::new(),
        analysis: None,
        deliveries: Vec::new(),
        heard: Vec::new(),
        voicemail: None,
        finished: false,
    });
    tokio::spawn(async move {
        let timing = sandbox.settings().timing;
        let set_status = |status: &str| {
            sandbox
                .log()
                .update(&sid, |c| c.status = status.to_string());
        };
        tokio::time::sleep(timing.step).await;
        set_status("ringing");
        tokio::time::sleep(timing.step).await;
        if outcome.is_answered() {
            set_status("in-progress");
            let start = now_unix();
            tokio::time::sleep(timing.talk).await;
            let duration =
                conversation::duration_secs(&conversation::transcript(&conversation, outcome));
            sandbox.log().update(&sid, |c| {
                c.status = "completed".to_string();
                c.duration_secs = Some(duration);
                c.answered_by = Some(outcome.answered_by().to_string());
            });
            let call = PhoneCall {
                call_sid: &sid,
                external_number: &conversation.to_number,
                agent_number: AGENT_NUMBER,
                start_time_unix_secs: start,
            };
            sandbox
                .report_conversation(&sid, &conversation, outcome, call)
                .await;
        } else {
            set_status(outcome.final_status());
            tokio::time::sleep(timing.analysis).await;
            let body = conversation::call_initiation_failure(
                &conversation,
                &sid,
                outcome.final_status(),
                now_unix(),
            );
            sandbox.post_elevenlabs_webhook(&sid, &body).await;
        }
        sandbox.log().update(&sid, |c| c.finished = true);
    });
}
