//! Twilio's HTTP APIs, spoken directly (form-encoded, basic auth), with
//! base URLs from configuration so tests can point them at local servers.

pub mod verify;

pub use verify::VerifyClient;
