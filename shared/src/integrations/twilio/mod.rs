//! Twilio's HTTP APIs, spoken directly (form-encoded, basic auth), with
//! base URLs from configuration so tests can point them at local servers.

pub mod caller_ids;
pub mod calls;
pub mod form;
pub mod signature;
pub mod twiml;
pub mod verify;

pub use caller_ids::{CallerIdError, CallerIdsClient};
pub use calls::{CallError, CallScript, CallsClient, PlaceCall, PlacedCall, Refusal};
pub use verify::VerifyClient;
