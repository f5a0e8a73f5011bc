//! The statuses of calls and scheduled calls, each spelled once.
//!
//! Documents keep them as strings (the Node app's, and whatever a future
//! version writes reads back), so records hold `String`s; these enums are
//! the values this backend knows, writes and filters by. They serialize to
//! exactly the stored strings.

use mongodb::bson::Bson;
use serde::{Deserialize, Serialize};

/// `calls.status`: Twilio's `CallStatus` words. A call only ever moves
/// forward: `initiated`/`queued` → `ringing` → `in-progress` → one final
/// status, and the first final status stays (Twilio's callbacks arrive out
/// of order and repeated).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatus {
    /// Written by the dialer before Twilio's first callback.
    Initiated,
    Queued,
    Ringing,
    InProgress,
    Completed,
    Busy,
    NoAnswer,
    /// Twilio could not connect it, or we never got it placed.
    Failed,
    Canceled,
}

impl CallStatus {
    /// Every status, in order (finals last).
    pub const ALL: [Self; 9] = [
        Self::Initiated,
        Self::Queued,
        Self::Ringing,
        Self::InProgress,
        Self::Completed,
        Self::Busy,
        Self::NoAnswer,
        Self::Failed,
        Self::Canceled,
    ];
    /// The statuses a call ends in.
    pub const FINAL: [Self; 5] = [
        Self::Completed,
        Self::Busy,
        Self::NoAnswer,
        Self::Failed,
        Self::Canceled,
    ];
    /// The statuses of a call that was picked up.
    pub const ANSWERED: [Self; 2] = [Self::InProgress, Self::Completed];

    /// The stored string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Initiated => "initiated",
            Self::Queued => "queued",
            Self::Ringing => "ringing",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Busy => "busy",
            Self::NoAnswer => "no-answer",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    /// The status spelled exactly `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Twilio's `CallStatus`, normalized (`no_answer`, `cancelled` and case
    /// variants accepted); `None` when it is not a call status.
    pub fn normalize(call_status: &str) -> Option<Self> {
        let status = call_status.trim().to_ascii_lowercase().replace('_', "-");
        match status.as_str() {
            "cancelled" => Some(Self::Canceled),
            "noanswer" => Some(Self::NoAnswer),
            other => Self::parse(other),
        }
    }

    /// Its place in the order.
    pub const fn rank(self) -> u8 {
        match self {
            Self::Initiated | Self::Queued => 0,
            Self::Ringing => 1,
            Self::InProgress => 2,
            _ => 3,
        }
    }

    pub const fn is_final(self) -> bool {
        self.rank() == 3
    }

    /// The statuses a call may be in for `self` to replace it: those
    /// before it in the order.
    pub fn replaceable(self) -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|status| status.rank() < self.rank())
            .collect()
    }

    /// The stored strings of `statuses`, for an `$in`.
    pub fn strings(statuses: &[Self]) -> Vec<&'static str> {
        statuses.iter().map(|status| status.as_str()).collect()
    }
}

/// `scheduledcalls.status`: from `pending` through `processing` to an end
/// state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduledCallStatus {
    /// Recorded, waiting for its time (or for a retry of its enqueue).
    Pending,
    /// Claimed by one evaluator's sweep, being sent to the dial queue.
    Enqueuing,
    /// On the dial queue.
    Queued,
    /// Claimed by a dialer.
    Processing,
    Completed,
    Failed,
    Cancelled,
    /// Found too late to place (an outage, a paused evaluator).
    Missed,
}

impl ScheduledCallStatus {
    /// Every status, from recorded to ended.
    pub const ALL: [Self; 8] = [
        Self::Pending,
        Self::Enqueuing,
        Self::Queued,
        Self::Processing,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
        Self::Missed,
    ];
    /// Not started: may still be cancelled.
    pub const NOT_STARTED: [Self; 3] = [Self::Pending, Self::Enqueuing, Self::Queued];
    /// Counted as the automation's `pendingCount`.
    pub const OPEN: [Self; 4] = [
        Self::Pending,
        Self::Enqueuing,
        Self::Queued,
        Self::Processing,
    ];

    /// The stored string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Enqueuing => "enqueuing",
            Self::Queued => "queued",
            Self::Processing => "processing",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Missed => "missed",
        }
    }

    /// The status spelled exactly `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// The stored strings of `statuses`, for an `$in`.
    pub fn strings(statuses: &[Self]) -> Vec<&'static str> {
        statuses.iter().map(|status| status.as_str()).collect()
    }
}

impl std::fmt::Display for CallStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for ScheduledCallStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<CallStatus> for Bson {
    fn from(status: CallStatus) -> Self {
        Bson::String(status.as_str().to_string())
    }
}

impl From<ScheduledCallStatus> for Bson {
    fn from(status: ScheduledCallStatus) -> Self {
        Bson::String(status.as_str().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialize_to_the_stored_strings() {
        for status in CallStatus::ALL {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, status.as_str());
            assert_eq!(CallStatus::parse(status.as_str()), Some(status));
        }
        for status in ScheduledCallStatus::ALL {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, status.as_str());
            assert_eq!(ScheduledCallStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(CallStatus::InProgress.as_str(), "in-progress");
        assert_eq!(CallStatus::NoAnswer.as_str(), "no-answer");
    }

    #[test]
    fn statuses_only_move_forward() {
        use CallStatus::*;
        assert!(Initiated.replaceable().is_empty());
        assert_eq!(Ringing.replaceable(), [Initiated, Queued]);
        assert_eq!(InProgress.replaceable(), [Initiated, Queued, Ringing]);
        for status in CallStatus::FINAL {
            assert_eq!(
                status.replaceable(),
                [Initiated, Queued, Ringing, InProgress]
            );
            assert!(status.is_final());
        }
        assert!(!InProgress.is_final());
    }

    #[test]
    fn normalizes_twilio_spellings() {
        use CallStatus::*;
        assert_eq!(CallStatus::normalize("no-answer"), Some(NoAnswer));
        assert_eq!(CallStatus::normalize("No_Answer"), Some(NoAnswer));
        assert_eq!(CallStatus::normalize("cancelled"), Some(Canceled));
        assert_eq!(CallStatus::normalize(" in-progress "), Some(InProgress));
        assert_eq!(CallStatus::normalize("answered"), None);
        assert_eq!(CallStatus::normalize(""), None);
    }
}
