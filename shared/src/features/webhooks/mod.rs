//! Webhooks: how Twilio and ElevenLabs tell us what happened to a call.
//! Public (Lambda function URL on AWS, `heyway serve` locally), outside
//! `/api` and the OpenAPI document; every request is authenticated by its
//! signature, nothing else. docs/dialing.md is the contract with the
//! dialer that hands out these URLs.
//!
//! - `POST /webhooks/twilio/status?callId=…`: call progress
//!   ([`status`]), onto the call and its scheduled call
//!   ([`scheduled_end`]), callbacks and the "Call Completed" event;
//! - `POST /webhooks/twilio/voice?callId=…`: the TwiML for the call's
//!   mode ([`voice`]);
//! - `POST /webhooks/twilio/caller-id?userId=…`: a caller ID validation's
//!   outcome ([`crate::features::caller_ids`]);
//! - `POST /webhooks/twilio/inbound`: a customer calls a business number
//!   ([`inbound`]): the call is recorded (`inbound_record.rs`) and
//!   answered by the agent, or forwarded to the owner;
//! - `POST /webhooks/elevenlabs`: transcript and analysis ([`post_call`],
//!   [`analysis`]) onto the call whose sid or conversation we recorded
//!   ([`conversation_call`]), opt-outs, the "Follow-up Needed" event;
//!   a report that never came is fetched after the evaluator's pass
//!   ([`missed_reports`]), through the same code;
//! - `POST /webhooks/stripe`: subscriptions ([`crate::features::billing`]);
//! - `POST /webhooks/apple`: App Store Server Notifications V2
//!   ([`crate::features::apple_subscriptions`]).
//!
//! Files: `routes.rs` holds every handler (signature checks, then the
//! plain functions above); `repo/` every query and write, one file per
//! concern; `public_url.rs` the URL Twilio signed.

pub mod analysis;
pub mod conversation_call;
pub mod inbound;
mod inbound_record;
pub mod missed_reports;
pub mod post_call;
pub mod public_url;
mod repo;
pub mod routes;
pub mod scheduled_end;
pub mod status;
pub mod voice;

pub use missed_reports::{MissedReports, MissedReportsReport};
pub use post_call::{PostCall, ReportSource};
pub use public_url::{public_url, PublicOrigin};
pub use routes::{
    routes, APPLE_PATH, ELEVENLABS_PATH, STRIPE_PATH, TWILIO_CALLER_ID_PATH, TWILIO_INBOUND_PATH,
    TWILIO_STATUS_PATH, TWILIO_VOICE_PATH,
};
pub use status::{apply_status, StatusApplied, StatusCallback};
pub use voice::{voice_twiml, VoicePlan, CALL_ID_VARIABLE};
