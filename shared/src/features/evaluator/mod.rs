//! The automation evaluator: one pass per EventBridge tick (or `heyway
//! serve`'s minute) claims the automations whose `nextRun` has come,
//! records their due calls as scheduled calls and sends what is due to
//! the dial queue.
//!
//! - `service.rs`: one pass, automation by automation, then the sweep;
//! - `settings.rs`: how a pass behaves;
//! - `repo.rs`: claiming an automation and recording its run.

pub mod repo;
pub mod service;
pub mod settings;

pub use service::{run_pass, PassReport};
pub use settings::EvaluatorSettings;
