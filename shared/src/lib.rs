//! HeyWay's core crate.
//!
//! Every Lambda in `functions/` and the `heyway` command are thin adapters
//! over this crate: they read [`Config`] once, build [`AppState`] once and
//! hand requests or events to the plain async functions here.
//!
//! Its layers, each importing only those before it (the architecture test
//! in `tests/tests/architecture.rs` keeps it so; `docs/architecture.md`
//! draws it):
//!
//! 1. base: [`error`], [`model`] (the Node app's documents), [`schedule`]
//!    (pure timing rules), [`infra`] (configuration, MongoDB, queues,
//!    events, storage) and [`integrations`] (Twilio, ElevenLabs, Stripe);
//! 2. [`http`]: the toolkit every route uses (state, extractors, input
//!    checks), which runs no queries;
//! 3. [`features`]: one folder per resource or job;
//! 4. [`app`]: the composition root that merges the routers and builds
//!    each entry point's state.

pub mod error;
pub mod model;
pub mod schedule;

pub mod infra;
pub mod integrations;

pub mod http;

pub mod features;

pub mod app;

pub use error::{Error, Result};
pub use http::AppState;
pub use infra::config::Config;
pub use infra::db::Db;
