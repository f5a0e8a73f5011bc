//! HeyWay's core crate.
//!
//! Every Lambda in `functions/` and the `heyway` command are thin adapters
//! over this crate: they read [`Config`] once, build [`AppState`] once and
//! hand requests or events to the plain async functions here.

pub mod auth;
pub mod automations;
pub mod aws;
pub mod billing;
pub mod caller_ids;
pub mod calls;
pub mod config;
pub mod contact_lists;
pub mod contacts;
pub mod db;
pub mod dialer;
pub mod elevenlabs;
pub mod error;
pub mod events;
pub mod feedback;
pub mod groups;
pub mod health;
pub mod http;
pub mod indexes;
pub mod local_db;
pub mod logging;
pub mod me;
pub mod members;
pub mod model;
pub mod outbound;
pub mod owned;
pub mod phone;
pub mod queue;
pub mod recordings;
pub mod regex_escape;
pub mod sandbox;
pub mod schedule;
pub mod scheduled_calls;
pub mod store;
pub mod timestamped_hmac;
pub mod twilio;
pub mod webhooks;

pub use config::Config;
pub use db::Db;
pub use error::{Error, Result};
pub use http::AppState;
