//! One dial job, from claim to a placed (or refused) call.

use std::time::Duration;

use chrono::Utc;
use mongodb::bson::oid::ObjectId;

use super::allowance::{self, Allowance};
use super::call_record::{self, NewCall};
use super::claim::{self, Claim};
use super::frequency::{self, Verdict};
use super::pacing::{Pace, Pacer};
use super::repo::{calls, claims};
use super::script::{self, Script, ScriptError, ScriptInputs};
use super::{checks, Ready, Refusal};
use crate::error::Result;
use crate::infra::config::{Config, ConfigError};
use crate::infra::db::Db;
use crate::infra::queue::DialJob;
use crate::infra::store::{self, owned};
use crate::integrations::twilio::calls::{CallError, CallScript, CallsClient, PlaceCall};
use crate::model::{Automation, Recording, ScheduledCall, ScheduledCallStatus};

/// How long a claim holds before another delivery may take the call over:
/// longer than a pacing wait plus Twilio's answer.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(2);
/// The longest a dialer waits for a pacing slot before handing the job
/// back to the queue.
pub const MAX_PACING_WAIT: Duration = Duration::from_secs(20);
/// Seconds Twilio lets the phone ring before `no-answer`.
pub const RING_TIMEOUT_SECS: u32 = 30;

/// What to tell the queue about a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Handled (placed, refused, deferred, or nothing to do): delete it.
    Done,
    /// Transient trouble: deliver it again after this long. The delivery
    /// counts toward the dead-letter limit.
    Retry { after: Duration },
    /// Not now (no pacing slot): send it again as a new message after this
    /// long, without spending a delivery attempt.
    Requeue { after: Duration },
}

/// Places dial jobs: the database, Twilio's Calls API, the public webhook
/// base and the pacing budget, built once per process.
#[derive(Clone, Debug)]
pub struct Dialer {
    pub db: Db,
    pub calls: CallsClient,
    /// `WEBHOOK_BASE_URL`, without a trailing slash.
    pub webhook_base: String,
    pub pacer: Pacer,
    /// Deliveries before a transiently failing call is given up.
    pub max_attempts: u32,
    /// Signs recordings' URLs for `<Play>`.
    pub storage: crate::infra::storage::Storage,
    /// `MAX_CALL_LATENESS_MINUTES`: an automation's call over its
    /// frequency cap until later than this after it was due is skipped.
    pub max_lateness: chrono::Duration,
}

impl Dialer {
    /// From the configuration: Twilio credentials and `WEBHOOK_BASE_URL`
    /// are required.
    pub fn from_config(
        db: Db,
        http: reqwest::Client,
        config: &Config,
    ) -> Result<Self, ConfigError> {
        let calls = CallsClient::from_config(http, &config.twilio).ok_or(ConfigError::Missing {
            key: "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
        })?;
        let webhook_base = config
            .webhook_base_url
            .clone()
            .ok_or(ConfigError::Missing {
                key: "WEBHOOK_BASE_URL",
            })?;
        let account = config.twilio.account_sid.clone().unwrap_or_default();
        Ok(Self {
            db,
            calls,
            webhook_base,
            pacer: Pacer::new(account, config.dialer_calls_per_second, MAX_PACING_WAIT),
            max_attempts: u32::try_from(config.dialer_max_attempts.max(1)).unwrap_or(5),
            storage: crate::infra::storage::Storage::from_config(config),
            max_lateness: chrono::Duration::minutes(
                i64::try_from(config.max_call_lateness_minutes).unwrap_or(i64::MAX / 60_000),
            ),
        })
    }

    /// Handles `job` on its `attempt`th delivery (1 for the first).
    pub async fn dial(&self, job: &DialJob, attempt: u32) -> Result<Disposition> {
        self.dial_at(job, attempt, Utc::now()).await
    }

    /// [`dial`](Self::dial) with the clock the claim and the quiet-hours
    /// check read.
    pub async fn dial_at(
        &self,
        job: &DialJob,
        attempt: u32,
        now: chrono::DateTime<Utc>,
    ) -> Result<Disposition> {
        let call = match claim::claim(&self.db, job, now, LEASE).await? {
            Claim::Claimed(call) => call,
            Claim::AlreadyTaken | Claim::NotFound => {
                tracing::info!(scheduled_call = %job.scheduled_call_id, "dial job has nothing to do");
                return Ok(Disposition::Done);
            }
        };
        if let Some(call_id) = call.call_id {
            return self.resume(&call, call_id).await;
        }
        let ready = match checks::preflight(&self.db, &call, now).await? {
            Ok(ready) => ready,
            Err(refusal) => return self.refuse(&call, refusal).await,
        };
        let new = NewCall::new();
        let script = match self.script(&call, &ready, new.id).await? {
            Ok(script) => script,
            Err(error) => {
                self.fail(call.id, Some(error.message())).await?;
                return Ok(Disposition::Done);
            }
        };
        match self.pacer.reserve(&self.db, Utc::now()).await? {
            Pace::After(wait) => tokio::time::sleep(wait).await,
            Pace::Later(after) => {
                claims::release(&self.db, call.id).await?;
                return Ok(Disposition::Requeue { after });
            }
        }
        let verdict = frequency::reserve(
            &self.db,
            &call,
            &ready.user,
            &ready.to,
            now,
            self.max_lateness,
        )
        .await?;
        match verdict {
            Verdict::Allowed => {}
            Verdict::Deferred(at) => {
                tracing::info!(scheduled_call = %call.id, %at, "over the frequency cap: deferred");
                claims::defer(&self.db, call.id, at).await?;
                return Ok(Disposition::Done);
            }
            Verdict::Skipped => {
                self.fail(call.id, Some(frequency::SKIPPED_MESSAGE)).await?;
                return Ok(Disposition::Done);
            }
        }
        if !allowance::spend(&self.db, call.user_id, &ready.allowance, now).await? {
            let refusal = match ready.allowance {
                Allowance::FreePlan { .. } => Refusal::PlanLimit,
                _ => Refusal::NoMinutes,
            };
            self.fail(call.id, refusal.message()).await?;
            return Ok(Disposition::Done);
        }
        self.place(&call, &ready, &new, &script, attempt).await
    }

    /// Not now (deferred to the recipient's next allowed instant) or not at
    /// all (failed with the owner-facing reason).
    async fn refuse(&self, call: &ScheduledCall, refusal: Refusal) -> Result<Disposition> {
        if let Refusal::TooEarlyOrLate { retry_at } = refusal {
            tracing::info!(scheduled_call = %call.id, %retry_at, "outside calling hours: deferred");
            claims::defer(&self.db, call.id, retry_at).await?;
        } else {
            let message = refusal.message().unwrap_or("The call was not placed.");
            tracing::info!(scheduled_call = %call.id, message, "call refused before dialing");
            self.fail(call.id, Some(message)).await?;
        }
        Ok(Disposition::Done)
    }

    /// What the call says: from its automation (the user's) and that
    /// automation's recording, played from a signed URL.
    async fn script(
        &self,
        call: &ScheduledCall,
        ready: &Ready,
        call_id: ObjectId,
    ) -> Result<Result<Script, ScriptError>> {
        let automation = match call.automation_id {
            Some(id) => {
                store::find_one::<Automation>(&self.db, owned::scoped(call.user_id, id)).await?
            }
            None => None,
        };
        let recording = match automation.as_ref().and_then(script::recording_id) {
            Some(id) => {
                store::find_one::<Recording>(&self.db, owned::scoped(call.user_id, id)).await?
            }
            None => None,
        };
        let recording_url = match recording.as_ref() {
            Some(r) => crate::features::recordings::play_url(&self.storage, r).await,
            None => None,
        };
        Ok(script::build(&ScriptInputs {
            call,
            automation: automation.as_ref(),
            recording: recording.as_ref(),
            recording_url: recording_url.as_deref(),
            user: &ready.user,
            contact: ready.contact.as_ref(),
            call_id,
        }))
    }

    /// Writes and links the call record, then asks Twilio to place the
    /// call: placed, refused for good (failed, the allowance given back),
    /// or refused for now (everything undone, retried).
    async fn place(
        &self,
        call: &ScheduledCall,
        ready: &Ready,
        new: &NewCall,
        script: &Script,
        attempt: u32,
    ) -> Result<Disposition> {
        call_record::insert(&self.db, new, call, ready, script, Utc::now()).await?;
        claims::link_call(&self.db, call.id, new.id, &new.session_id).await?;
        let request = PlaceCall {
            to: ready.to.clone(),
            from: ready.from.clone(),
            script: CallScript::Url(self.webhook_url("/webhooks/twilio/voice", new.id)),
            status_callback: Some(self.webhook_url("/webhooks/twilio/status", new.id)),
            amd_status_callback: Some(self.webhook_url("/webhooks/twilio/status", new.id)),
            timeout_secs: Some(RING_TIMEOUT_SECS),
            // A message to leave: Twilio answers the voice webhook after
            // the machine's beep (docs/dialing.md, "Voicemail drop").
            wait_for_beep: script.leaves_voicemail(),
        };
        match self.calls.place_call(&request).await {
            Ok(placed) => {
                calls::set_sid(&self.db, new.id, &placed.sid).await?;
                claims::mark_placed(&self.db, call.id, &placed.sid).await?;
                tracing::info!(scheduled_call = %call.id, call = %new.id, sid = %placed.sid, "call placed");
                Ok(Disposition::Done)
            }
            Err(error) if error.is_transient() => {
                allowance::give_back(&self.db, call.user_id, &ready.allowance).await?;
                calls::discard(&self.db, new.id).await?;
                claims::unlink_call(&self.db, call.id).await?;
                self.after_transient(call, &error, attempt).await
            }
            Err(error) => {
                let message = error.owner_message();
                tracing::warn!(scheduled_call = %call.id, %error, "Twilio did not place the call");
                allowance::give_back(&self.db, call.user_id, &ready.allowance).await?;
                calls::mark_failed(&self.db, new.id, &message).await?;
                self.fail(call.id, Some(&message)).await?;
                Ok(Disposition::Done)
            }
        }
    }

    /// Ends the claimed call `id` failed, with the owner-facing `message`.
    async fn fail(&self, id: ObjectId, message: Option<&str>) -> Result<()> {
        claims::finish(&self.db, id, ScheduledCallStatus::Failed, message).await
    }

    /// A call an earlier delivery linked before dying: placed if its
    /// record holds Twilio's sid; otherwise nobody knows whether Twilio
    /// dialed, and dialing again could ring the person twice, so the call
    /// ends failed with a word to check the history.
    async fn resume(&self, call: &ScheduledCall, call_id: ObjectId) -> Result<Disposition> {
        if let Some(sid) = calls::placed_sid(&self.db, call_id).await? {
            claims::mark_placed(&self.db, call.id, &sid).await?;
            return Ok(Disposition::Done);
        }
        let message = CallError::Unconfirmed(String::new()).owner_message();
        calls::mark_failed(&self.db, call_id, &message).await?;
        self.fail(call.id, Some(&message)).await?;
        Ok(Disposition::Done)
    }

    /// Back to the queue with backoff, or, on the last attempt, failed
    /// with the reason (the message then goes to the dead-letter queue).
    async fn after_transient(
        &self,
        call: &ScheduledCall,
        error: &CallError,
        attempt: u32,
    ) -> Result<Disposition> {
        let after = backoff(attempt, retry_after(error));
        if attempt >= self.max_attempts {
            let message = format!(
                "{} We tried {attempt} times and gave up.",
                error
                    .owner_message()
                    .trim_end_matches(" We will try again shortly.")
            );
            tracing::error!(scheduled_call = %call.id, %error, attempt, "giving up on the call");
            self.fail(call.id, Some(&message)).await?;
        } else {
            tracing::warn!(scheduled_call = %call.id, %error, attempt, ?after, "call not placed: will retry");
            claims::release(&self.db, call.id).await?;
        }
        Ok(Disposition::Retry { after })
    }

    fn webhook_url(&self, path: &str, call_id: ObjectId) -> String {
        format!("{}{path}?callId={}", self.webhook_base, call_id.to_hex())
    }
}

fn retry_after(error: &CallError) -> Option<Duration> {
    match error {
        CallError::Transient {
            retry_after_secs, ..
        } => retry_after_secs.map(Duration::from_secs),
        _ => None,
    }
}

/// 30 s, 1 min, 2 min, … up to 15 min, or Twilio's `Retry-After` when longer.
pub fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    let exponential =
        Duration::from_secs(30u64.saturating_mul(1 << attempt.clamp(1, 6).saturating_sub(1)));
    exponential
        .max(retry_after.unwrap_or_default())
        .min(Duration::from_secs(15 * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1, None), Duration::from_secs(30));
        assert_eq!(backoff(2, None), Duration::from_secs(60));
        assert_eq!(backoff(3, None), Duration::from_secs(120));
        assert_eq!(backoff(9, None), Duration::from_secs(900));
        assert_eq!(
            backoff(1, Some(Duration::from_secs(90))),
            Duration::from_secs(90)
        );
    }
}
