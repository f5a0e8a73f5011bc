//! When automated calls happen: pure functions of an automation, a contact
//! and a clock (always a parameter; nothing here reads the time or does I/O).
//!
//! - [`local_time`]: a wall-clock time on a day in a zone, safe across
//!   daylight-saving gaps and folds.
//! - [`quiet_hours`]: the recipient's calling window (08:00–21:00 unless the
//!   user set another).
//! - [`recipient_zone`]: the zone a recipient lives in (their own, their
//!   number's, else the automation's).
//! - [`recipient_state`]: the US state a recipient is in (their address,
//!   their zone, else their area code).
//! - [`calling_hours`]: the federal floor and the state rules, joined with
//!   the owner's window.
//! - [`reference_date`]: the contact date a relative automation counts from.
//! - [`due`]: when a call is due, and when it may actually be placed.
//! - [`outcome`]: how a call ended, and how its scheduled call ends.
//! - [`callback`]: when to try again after a call ends unanswered.
//! - [`plan`]: which calls of one automation are due in a window.
//! - [`frequency_caps`]: how often one number may be called.

pub mod callback;
pub mod calling_hours;
pub mod due;
pub mod error;
pub mod frequency_caps;
pub mod local_time;
pub mod outcome;
pub mod plan;
pub mod quiet_hours;
pub mod recipient_state;
pub mod recipient_zone;
pub mod reference_date;

pub use callback::{next_attempt, DEFAULT_MAX_ATTEMPTS};
pub use calling_hours::CallingHours;
pub use due::{call_time, due_instant, fallback_date};
pub use error::ScheduleError;
pub use local_time::at_local;
pub use outcome::CallOutcome;
pub use quiet_hours::QuietHours;
pub use recipient_state::recipient_state;
pub use recipient_zone::{
    contact_zone, recipient_zone, recipient_zones, zone_for_number, zones_for_number,
};
pub use reference_date::{lookup_field, parse_date_value, reference_date};
