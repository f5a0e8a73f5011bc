//! Every end-to-end test, one module per capability, in one binary.
//!
//! Run one module with `cargo test -p heyway-tests --test e2e billing::`.

mod auth;
mod automations_api;
mod billing;
mod billing_sandbox;
mod binaries;
mod callbacks;
mod caller_ids;
mod calls_api;
mod client_ip;
mod contact_lists;
mod contacts;
mod contacts_duplicates;
mod contacts_hostile;
mod contacts_import;
mod deploy;
mod dial_queue;
mod dialer;
mod dialer_checks;
mod dialer_claim;
mod elevenlabs;
mod evaluator;
mod events;
mod feedback;
mod groups;
mod health;
mod idempotency;
mod inbound_calls;
mod inserts;
mod me;
mod migrate;
mod openapi;
mod plan_limits;
mod reconcile;
mod recordings;
mod recordings_delete;
mod round_trip;
mod sandbox;
mod scheduled_calls_api;
mod signing_keys;
mod telephony_e2e;
mod twilio_calls;
mod twilio_signature;
mod webhooks_elevenlabs;
mod webhooks_twilio;
