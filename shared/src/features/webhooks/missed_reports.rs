//! Post-call reports that never arrived (docs/dialing.md, "Missed
//! post-call reports").
//!
//! ElevenLabs posts its post-call webhook once, without retrying by
//! default; when it is lost, the call would keep no transcript, analysis
//! or follow-up. After each evaluator pass, [`MissedReports::run`] looks
//! at the calls Twilio reported `completed` a few minutes ago
//! (`POST_CALL_REPORT_WAIT_MINUTES`, default 5) that hold ElevenLabs'
//! conversation id but no report, fetches each conversation (`GET
//! /v1/convai/conversations/{id}`, the webhook's `data` in the same
//! shape) and stores it through the webhook's own code
//! ([`post_call::transcription`]), so the call gets exactly what the
//! webhook would have given it, once: the report's compare-and-set
//! (`post_call_received_at`) makes a late webhook, or a second pass, find
//! it already stored.
//!
//! A conversation still `in-progress` or `processing` is tried again
//! [`RETRY_EVERY`] later, [`MAX_ATTEMPTS`] times in all; a conversation
//! ElevenLabs does not know (404) or could not analyse (`failed`), or one
//! still processing after the last attempt, is given up with the reason
//! (`elevenLabsData.report_fetch`). Each attempt is claimed with a
//! compare-and-set on the attempt count, so two passes never fetch the
//! same call at once.
//!
//! The conversation id of a call we placed is recorded by the voice
//! webhook from ElevenLabs' `register-call` TwiML when it names one
//! ([`conversation_in_twiml`]), by an `outbound-call` answer, or by an
//! earlier webhook. ElevenLabs' real TwiML most likely names none: then
//! the call (marked by the voice webhook with the agent it asked,
//! `elevenLabsData.agent_id`) is looked up in the agent's list (`GET
//! /v1/convai/conversations`, conversations that started from
//! [`LOOKUP_MARGIN`] before the call's start to as long after its end);
//! the nearest [`MAX_CANDIDATES`] not already on another call are
//! fetched, and the one whose `metadata.phone_call.call_sid` is the
//! call's Twilio sid (and whose `heyway_call_id` variable, if any, is
//! the call's id) is recorded on the call (first one stays) and stored
//! as above.
//! None matching counts as an attempt ([`NOT_MATCHED_YET`]), given up
//! after the last one ([`NO_MATCH`]).

use chrono::{DateTime, Duration, Utc};
use mongodb::bson;
use serde::Serialize;
use serde_json::Value;

use super::post_call::{self, PostCall, ReportSource};
use super::repo::{self, AwaitedReport, AwaitedWindow};
use crate::error::{Error, Result};
use crate::infra::config::ConfigError;
use crate::infra::db::Db;
use crate::infra::events::Events;
use crate::integrations::elevenlabs::{ConversationsQuery, ElevenLabsClient, ElevenLabsError};

/// Tried again this long after an attempt that left it for later.
pub const RETRY_EVERY: Duration = Duration::minutes(5);
/// Fetches per call, at most (so about half an hour of `processing`).
pub const MAX_ATTEMPTS: i64 = 6;
/// Calls that ended longer ago than this are not looked at (the Node
/// app's calls, calls from before this existed).
pub const HORIZON: Duration = Duration::hours(24);
/// The list's window around the call: from this long before its start
/// to this long after its end.
pub const LOOKUP_MARGIN: Duration = Duration::minutes(2);
/// Conversations of the window fetched per attempt, at most (nearest
/// start first).
pub const MAX_CANDIDATES: usize = 10;
/// Pages of the list read per attempt, at most.
const MAX_PAGES: usize = 3;
/// Conversations per page asked for (ElevenLabs allows 100).
const PAGE_SIZE: u32 = 50;
/// Calls looked at per pass, at most.
const BATCH: i64 = 50;
/// No new fetch starts after this much of a sweep: the evaluator Lambda
/// has 55 seconds for its pass and the sweeps; the rest waits a minute.
const TIME_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// Reasons recorded in `elevenLabsData.report_fetch.reason`.
pub const NOT_FOUND: &str = "ElevenLabs does not know this conversation (404).";
pub const FAILED: &str = "ElevenLabs could not process this conversation (status failed).";
pub const STILL_PROCESSING: &str =
    "ElevenLabs was still processing this conversation after the last attempt.";
pub const REFUSED: &str = "ElevenLabs refused to answer for this conversation.";
pub const NOT_OURS: &str = "The conversation ElevenLabs answered belongs to another call.";
pub const GAVE_UP: &str = "No answer from ElevenLabs after the last attempt:";
pub const NO_MATCH: &str =
    "No conversation in ElevenLabs' list for the agent matched this call's Twilio sid.";
/// How an attempt that found no matching conversation is noted.
pub const NOT_MATCHED_YET: &str = "no matching conversation in the list yet";
/// How a not-yet-done status is noted (`last_outcome`).
const PROCESSING: &str = "status ";

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissedReportsReport {
    /// Conversations fetched and stored on their call.
    pub stored: usize,
    /// Reports that arrived (or another pass stored) meanwhile.
    pub already_stored: usize,
    /// Left for a later pass (still processing, ElevenLabs unavailable).
    pub later: usize,
    /// Given up, with the reason on the call.
    pub given_up: usize,
}

/// The sweep, built once per process.
#[derive(Clone, Debug)]
pub struct MissedReports {
    client: Option<ElevenLabsClient>,
    events: Events,
    /// How long after the call's end the webhook is waited for.
    pub wait: Duration,
}

impl MissedReports {
    /// From the configuration: the ElevenLabs client (none without a
    /// key: the sweep does nothing) and `POST_CALL_REPORT_WAIT_MINUTES`.
    pub fn from_config(
        config: &crate::Config,
        events: Events,
    ) -> std::result::Result<Self, ConfigError> {
        let http = crate::infra::outbound::http_client()?;
        Ok(Self::new(
            ElevenLabsClient::from_config(http, &config.elevenlabs),
            events,
            Duration::minutes(
                i64::try_from(config.post_call_report_wait_minutes).unwrap_or(i64::MAX / 60_000),
            ),
        ))
    }

    pub fn new(client: Option<ElevenLabsClient>, events: Events, wait: Duration) -> Self {
        Self {
            client,
            events,
            wait,
        }
    }

    /// One sweep at `now`; errors are logged, never fatal to the
    /// evaluator pass.
    pub async fn run(&self, db: &Db, now: DateTime<Utc>) -> MissedReportsReport {
        match self.sweep(db, now).await {
            Ok(report) => {
                if report != MissedReportsReport::default() {
                    tracing::info!(?report, "missed post-call reports");
                }
                report
            }
            Err(error) => {
                tracing::warn!(%error, "missed post-call reports not fetched");
                MissedReportsReport::default()
            }
        }
    }

    /// One sweep at `now`.
    pub async fn sweep(&self, db: &Db, now: DateTime<Utc>) -> Result<MissedReportsReport> {
        let mut report = MissedReportsReport::default();
        let Some(client) = &self.client else {
            return Ok(report);
        };
        let window = AwaitedWindow {
            ended_before: bson::DateTime::from_chrono(now - self.wait),
            ended_after: bson::DateTime::from_chrono(now - self.wait - HORIZON),
            tried_before: bson::DateTime::from_chrono(now - RETRY_EVERY),
            limit: BATCH,
        };
        let started = std::time::Instant::now();
        for awaited in repo::awaited_reports(db, window).await? {
            if started.elapsed() > TIME_BUDGET {
                tracing::info!(
                    ?report,
                    "missed post-call reports: out of time, the rest next pass"
                );
                break;
            }
            let at = bson::DateTime::from_chrono(now);
            if !repo::claim_attempt(db, &awaited, at).await? {
                continue;
            }
            let done = match self.fetch_and_store(db, client, &awaited, now).await {
                Ok(done) => done,
                Err(error) => {
                    tracing::warn!(call = %awaited.call_id, %error, "fetched post-call report not stored");
                    Done::Later(error.to_string())
                }
            };
            match done {
                Done::Stored => report.stored += 1,
                Done::AlreadyStored => report.already_stored += 1,
                Done::Later(outcome) => {
                    repo::note_attempt(db, awaited.call_id, &outcome).await?;
                    if awaited.attempts + 1 >= MAX_ATTEMPTS {
                        let reason = if outcome.starts_with(PROCESSING) {
                            STILL_PROCESSING.to_string()
                        } else if outcome == NOT_MATCHED_YET {
                            NO_MATCH.to_string()
                        } else {
                            format!("{GAVE_UP} {outcome}")
                        };
                        give_up(db, &awaited, &reason, at, &mut report).await?;
                    } else {
                        report.later += 1;
                    }
                }
                Done::GiveUp(reason) => give_up(db, &awaited, reason, at, &mut report).await?,
            }
        }
        Ok(report)
    }

    /// Fetches `awaited`'s conversation and, once ElevenLabs is done
    /// with it, stores it as the webhook would have.
    async fn fetch_and_store(
        &self,
        db: &Db,
        client: &ElevenLabsClient,
        awaited: &AwaitedReport,
        now: DateTime<Utc>,
    ) -> Result<Done> {
        let fetched = match (&awaited.conversation_id, &awaited.lookup) {
            (Some(id), _) => client.conversation(id).await,
            (None, Some(lookup)) => match self.look_up(db, client, awaited, lookup).await? {
                Ok(None) => return Ok(Done::Later(NOT_MATCHED_YET.to_string())),
                found => found,
            },
            (None, None) => return Ok(Done::GiveUp(NOT_FOUND)),
        };
        let conversation = match fetched {
            Ok(Some(conversation)) => conversation,
            Ok(None) => return Ok(Done::GiveUp(NOT_FOUND)),
            Err(error) => return Ok(Done::Later(refused(awaited, &error))),
        };
        match conversation_status(&conversation) {
            Status::Done => {}
            Status::Failed => return Ok(Done::GiveUp(FAILED)),
            Status::NotYet(status) => return Ok(Done::Later(format!("{PROCESSING}{status}"))),
        }
        let stored =
            post_call::transcription(db, &self.events, &conversation, ReportSource::Api, now).await;
        match stored {
            Ok(PostCall::Stored { call_id, .. }) if call_id == awaited.call_id => {
                tracing::info!(call = %call_id, "post-call report fetched from ElevenLabs");
                Ok(Done::Stored)
            }
            Ok(PostCall::AlreadyStored { call_id }) if call_id == awaited.call_id => {
                Ok(Done::AlreadyStored)
            }
            Ok(other) => {
                tracing::error!(call = %awaited.call_id, ?other, "fetched conversation stored elsewhere");
                Ok(Done::GiveUp(NOT_OURS))
            }
            Err(Error::Conflict { .. } | Error::NotFound { .. }) => Ok(Done::GiveUp(NOT_OURS)),
            Err(error) => Err(error),
        }
    }

    /// Finds `awaited`'s conversation in the agent's list: the candidate
    /// that names the call, recorded on it; `Ok(None)` when none does
    /// (or another id got recorded meanwhile: the first stays, the next
    /// pass fetches that one). ElevenLabs' errors come back inside.
    async fn look_up(
        &self,
        db: &Db,
        client: &ElevenLabsClient,
        awaited: &AwaitedReport,
        lookup: &repo::ConversationLookup,
    ) -> Result<std::result::Result<Option<Value>, ElevenLabsError>> {
        let started = lookup.started_at.to_chrono();
        let mut query = ConversationsQuery {
            agent_id: lookup.agent_id.clone(),
            started_after_unix: (started - LOOKUP_MARGIN).timestamp(),
            started_before_unix: (lookup.ended_at.to_chrono() + LOOKUP_MARGIN).timestamp(),
            page_size: PAGE_SIZE,
            cursor: None,
        };
        let mut listed = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = match client.conversations_page(&query).await {
                Ok(page) => page,
                Err(error) => return Ok(Err(error)),
            };
            listed.extend(page.conversations);
            match page.next_cursor {
                Some(cursor) if page.has_more && !cursor.is_empty() => query.cursor = Some(cursor),
                _ => break,
            }
        }
        let ids: Vec<String> = listed.iter().map(|c| c.conversation_id.clone()).collect();
        let taken = repo::conversations_taken(db, &ids).await?;
        let mut candidates: Vec<_> = listed
            .into_iter()
            .filter(|c| !taken.contains(&c.conversation_id))
            .collect();
        candidates.sort_by_key(|c| (c.start_time_unix_secs - started.timestamp()).abs());
        candidates.dedup_by(|a, b| a.conversation_id == b.conversation_id);
        let call_id = awaited.call_id.to_hex();
        for candidate in candidates.iter().take(MAX_CANDIDATES) {
            let conversation = match client.conversation(&candidate.conversation_id).await {
                Ok(Some(conversation)) => conversation,
                Ok(None) => continue,
                Err(error) => return Ok(Err(error)),
            };
            if !names_call(&conversation, &lookup.call_sid, &call_id) {
                continue;
            }
            if !repo::record_conversation_id(db, awaited.call_id, &candidate.conversation_id)
                .await?
            {
                tracing::warn!(call = %awaited.call_id, "another conversation id was recorded meanwhile");
                return Ok(Ok(None));
            }
            tracing::info!(call = %awaited.call_id, conversation = %candidate.conversation_id, "conversation found in ElevenLabs' list");
            return Ok(Ok(Some(conversation)));
        }
        Ok(Ok(None))
    }
}

/// Whether `conversation` took place on the call with Twilio sid
/// `call_sid` (what our side recorded, as the webhook's lookup demands),
/// without a `heyway_call_id` naming another call. The variable alone is
/// not enough: whoever talks to the agent can set it.
fn names_call(conversation: &Value, call_sid: &str, call_id: &str) -> bool {
    let sid = conversation["metadata"]["phone_call"]["call_sid"].as_str();
    let ours = conversation["conversation_initiation_client_data"]["dynamic_variables"]
        ["heyway_call_id"]
        .as_str();
    sid == Some(call_sid) && ours.is_none_or(|id| id == call_id)
}

/// How an ElevenLabs error is noted on the attempt.
fn refused(awaited: &AwaitedReport, error: &ElevenLabsError) -> String {
    if error.is_transient() {
        error.to_string()
    } else {
        tracing::warn!(call = %awaited.call_id, %error, "ElevenLabs refused the conversation");
        format!("{REFUSED} {error}")
    }
}

/// Records that `awaited`'s report is no longer fetched, and why.
async fn give_up(
    db: &Db,
    awaited: &AwaitedReport,
    reason: &str,
    at: bson::DateTime,
    report: &mut MissedReportsReport,
) -> Result<()> {
    if repo::give_up(db, awaited.call_id, reason, at).await? {
        tracing::warn!(call = %awaited.call_id, conversation = ?awaited.conversation_id, reason, "post-call report given up");
        report.given_up += 1;
    }
    Ok(())
}

/// What became of one fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Done {
    Stored,
    AlreadyStored,
    /// Tried again by a later pass; what ElevenLabs answered.
    Later(String),
    GiveUp(&'static str),
}

/// A conversation's `status`, as far as the report goes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    /// `done`: transcript and analysis are final.
    Done,
    Failed,
    /// `initiated`, `in-progress`, `processing` (or anything new).
    NotYet(String),
}

fn conversation_status(conversation: &Value) -> Status {
    match conversation["status"].as_str().unwrap_or("") {
        "done" => Status::Done,
        "failed" => Status::Failed,
        other => Status::NotYet(other.to_string()),
    }
}

/// The conversation id a `register-call` TwiML names, if any: a
/// `<Parameter name="conversation_id" value="…"/>` or a
/// `conversation_id=…` query parameter of the stream's URL.
pub fn conversation_in_twiml(twiml: &str) -> Option<String> {
    let id_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let valid = |id: &str| (1..=128).contains(&id.len()) && id.chars().all(id_char);
    if let Some(at) = twiml.find("name=\"conversation_id\"") {
        let tag_end = twiml[at..].find('>').map_or(twiml.len(), |end| at + end);
        let tag = &twiml[at..tag_end];
        if let Some(start) = tag.find("value=\"") {
            let value = &tag[start + 7..];
            let id = &value[..value.find('"').unwrap_or(value.len())];
            if valid(id) {
                return Some(id.to_string());
            }
        }
    }
    let mut rest = twiml;
    while let Some(at) = rest.find("conversation_id=") {
        let preceded = rest[..at].chars().next_back();
        let value = &rest[at + "conversation_id=".len()..];
        let id: String = value.chars().take_while(|c| id_char(*c)).collect();
        if matches!(preceded, Some('?' | '&' | ';')) && valid(&id) {
            return Some(id);
        }
        rest = value;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_conversation_id_is_read_from_either_place_in_the_twiml() {
        let parameter = r#"<Response><Connect><Stream url="wss://x.invalid/twilio"><Parameter name="conversation_id" value="conv_01abc"/></Stream></Connect></Response>"#;
        assert_eq!(
            conversation_in_twiml(parameter).as_deref(),
            Some("conv_01abc")
        );
        let query = r#"<Response><Connect><Stream url="wss://x.invalid/twilio?agent_id=a&amp;conversation_id=conv_9"/></Connect></Response>"#;
        assert_eq!(conversation_in_twiml(query).as_deref(), Some("conv_9"));
        assert_eq!(
            conversation_in_twiml(
                "<Response><Connect><Stream url=\"wss://x\"/></Connect></Response>"
            ),
            None
        );
        let hostile = r#"<Parameter name="conversation_id" value="a&quot; b"/>"#;
        assert_eq!(conversation_in_twiml(hostile), None);
        assert_eq!(conversation_in_twiml("my_conversation_id=conv_1"), None);
    }

    #[test]
    fn a_candidate_matches_on_our_sid_or_our_call_id_only() {
        let on = |sid: &str, id: &str| {
            json!({
                "metadata": {"phone_call": {"call_sid": sid}},
                "conversation_initiation_client_data": {"dynamic_variables": {"heyway_call_id": id}},
            })
        };
        assert!(names_call(&on("CA1", "c1"), "CA1", "c1"));
        let no_variable = json!({"metadata": {"phone_call": {"call_sid": "CA1"}}});
        assert!(names_call(&no_variable, "CA1", "c1"));
        // Our sid with another call's id, or our id on another sid: no.
        assert!(!names_call(&on("CA1", "c9"), "CA1", "c1"));
        assert!(!names_call(&on("CA9", "c1"), "CA1", "c1"));
        assert!(!names_call(&json!({}), "CA1", "c1"));
    }

    #[test]
    fn only_done_is_final() {
        assert_eq!(
            conversation_status(&json!({"status": "done"})),
            Status::Done
        );
        assert_eq!(
            conversation_status(&json!({"status": "failed"})),
            Status::Failed
        );
        assert_eq!(
            conversation_status(&json!({"status": "processing"})),
            Status::NotYet("processing".into())
        );
        assert_eq!(
            conversation_status(&json!({})),
            Status::NotYet(String::new())
        );
    }
}
