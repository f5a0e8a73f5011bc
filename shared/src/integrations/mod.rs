//! The carriers' HTTP APIs and webhook signatures: Twilio (calls, caller
//! IDs, Verify, TwiML), ElevenLabs (Conversational AI, text to speech),
//! Stripe (Billing) and the App Store (signed transactions and
//! notifications, the App Store Server API). Each client takes its base URL from the
//! configuration, so tests and the sandbox point it at a local server.

pub mod app_store;
pub mod elevenlabs;
pub mod stripe;
pub mod timestamped_hmac;
pub mod twilio;
