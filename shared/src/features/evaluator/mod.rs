//! The automation evaluator: one pass per EventBridge tick (or `heyway
//! serve`'s minute) claims the automations whose `nextRun` has come,
//! records their due calls as scheduled calls and sends what is due to
//! the dial queue.

pub mod service;

pub use service::*;
