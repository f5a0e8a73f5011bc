//! How a call ended, as far as an automation cares: from Twilio's final
//! status and answering-machine detection to whether to call back and how
//! the scheduled call ends.

use crate::model::status::{CallStatus, ScheduledCallStatus};

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    Answered,
    NoAnswer,
    Busy,
    Failed,
    /// Answered by a machine (voicemail, fax).
    Voicemail,
    /// Canceled before it rang, by us or the owner: not retried.
    Canceled,
}

impl CallOutcome {
    /// The scheduled call's end state for this outcome: `completed` when a
    /// person (or an unknown party) answered, `failed` otherwise, with the
    /// owner-facing reason.
    pub fn scheduled_end(self) -> (ScheduledCallStatus, Option<&'static str>) {
        use ScheduledCallStatus::{Completed, Failed};
        match self {
            Self::Answered => (Completed, None),
            Self::NoAnswer => (Failed, Some("Nobody answered.")),
            Self::Busy => (Failed, Some("The line was busy.")),
            Self::Failed => (Failed, Some("The call could not be connected.")),
            Self::Voicemail => (
                Failed,
                Some("An answering machine picked up, so no message was left."),
            ),
            Self::Canceled => (
                Failed,
                Some("The call was canceled before it was answered."),
            ),
        }
    }

    /// From Twilio's status callback: `CallStatus` and, with answering
    /// machine detection, `AnsweredBy`.
    ///
    /// `completed` is [`Answered`](Self::Answered) unless `AnsweredBy` says
    /// a machine (`machine_start`, `machine_end_beep`,
    /// `machine_end_silence`, `machine_end_other`) or `fax` took it, which
    /// is [`Voicemail`](Self::Voicemail); `human`, `unknown` or none is a
    /// person. A status that is not final (`queued`, `ringing`,
    /// `in-progress`, …) or unknown is [`Failed`](Self::Failed): the call
    /// reached nobody as far as we know. See [`Self::parse_twilio`] to
    /// tell those apart.
    pub fn from_twilio(call_status: &str, answered_by: Option<&str>) -> Self {
        Self::parse_twilio(call_status, answered_by).unwrap_or(Self::Failed)
    }

    /// [`Self::from_twilio`] for final statuses only; `None` otherwise.
    pub fn parse_twilio(call_status: &str, answered_by: Option<&str>) -> Option<Self> {
        Some(match CallStatus::normalize(call_status)? {
            CallStatus::Completed => {
                let machine = answered_by
                    .map(|by| by.trim().to_ascii_lowercase())
                    .is_some_and(|by| by.starts_with("machine_") || by == "fax");
                if machine {
                    Self::Voicemail
                } else {
                    Self::Answered
                }
            }
            CallStatus::Busy => Self::Busy,
            CallStatus::Failed => Self::Failed,
            CallStatus::NoAnswer => Self::NoAnswer,
            CallStatus::Canceled => Self::Canceled,
            _ => return None,
        })
    }

    /// True for the outcomes that call for another attempt: no answer,
    /// busy, failed, voicemail.
    pub fn wants_callback(self) -> bool {
        matches!(
            self,
            Self::NoAnswer | Self::Busy | Self::Failed | Self::Voicemail
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_outcomes() {
        use CallOutcome::*;
        for (status, by, outcome) in [
            ("completed", None, Answered),
            ("completed", Some("human"), Answered),
            ("completed", Some("unknown"), Answered),
            ("completed", Some("machine_start"), Voicemail),
            ("completed", Some("machine_end_beep"), Voicemail),
            ("completed", Some("machine_end_silence"), Voicemail),
            ("completed", Some("machine_end_other"), Voicemail),
            ("completed", Some("fax"), Voicemail),
            ("busy", None, Busy),
            ("failed", None, Failed),
            ("no-answer", None, NoAnswer),
            ("no-answer", Some("machine_start"), NoAnswer),
            ("canceled", None, Canceled),
            ("Completed", Some("MACHINE_END_BEEP"), Voicemail),
            ("in-progress", None, Failed),
            ("whatever", None, Failed),
        ] {
            assert_eq!(
                CallOutcome::from_twilio(status, by),
                outcome,
                "{status} {by:?}"
            );
        }
        assert_eq!(CallOutcome::parse_twilio("ringing", None), None);
        assert_eq!(CallOutcome::parse_twilio("busy", None), Some(Busy));
    }
}
