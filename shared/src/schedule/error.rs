//! Why a schedule setting was refused.

use chrono::NaiveTime;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// A calling window must open before it closes, on the same day.
    #[error("quiet hours: earliest call time {earliest} must be before the latest {latest}")]
    InvalidQuietHours {
        earliest: NaiveTime,
        latest: NaiveTime,
    },
}
