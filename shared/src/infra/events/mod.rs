//! Domain events on the EventBridge bus (`EVENT_BUS_NAME`), so a user's CRM
//! can subscribe: `Source: heyway.calls`, detail types
//! [`CALL_COMPLETED`] and [`FOLLOW_UP_NEEDED`] (docs/dialing.md).
//!
//! Publishing is best effort by design: the webhooks publish after their
//! database write, and a bus that is down must not make Twilio or
//! ElevenLabs see a failed webhook (they would not retry it anyway), so
//! [`Events::publish`] logs failures instead of returning them.

mod detail;
mod publisher;

pub use detail::{CallEvent, CALL_COMPLETED, FOLLOW_UP_NEEDED, SOURCE};
pub use publisher::{Events, PublishError};
