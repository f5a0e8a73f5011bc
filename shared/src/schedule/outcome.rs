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
    /// Answered by a machine (voicemail, fax), no message left.
    Voicemail,
    /// Answered by a machine, and the automation's message was played
    /// after its beep (`calls.voicemailLeft`).
    VoicemailLeft,
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
            // The message was delivered, to the voicemail box.
            Self::VoicemailLeft => (Completed, None),
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

    /// The word the callback rule (`callbackOn`) and the API use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::NoAnswer => "no-answer",
            Self::Busy => "busy",
            Self::Failed => "failed",
            Self::Voicemail => "voicemail",
            Self::VoicemailLeft => "voicemail-left",
            Self::Canceled => "canceled",
        }
    }

    /// [`Self::from_twilio`] for a stored call: a `completed` call whose
    /// message went to the voicemail box (`voicemail_left`) is
    /// [`VoicemailLeft`](Self::VoicemailLeft), whatever `answered_by` says.
    pub fn of_call(call_status: &str, answered_by: Option<&str>, voicemail_left: bool) -> Self {
        match Self::from_twilio(call_status, answered_by) {
            Self::Answered | Self::Voicemail if voicemail_left => Self::VoicemailLeft,
            outcome => outcome,
        }
    }

    /// Whether the callback rule may call back after this outcome:
    /// `outcomes` (`callbackOn`) when the automation set it, else the
    /// default of no answer, busy, failed and voicemail (no message left).
    pub fn calls_back_under(self, outcomes: Option<&[String]>) -> bool {
        match outcomes {
            Some(words) => {
                !matches!(self, Self::Answered | Self::Canceled)
                    && words.iter().any(|w| w.trim() == self.as_str())
            }
            None => self.wants_callback(),
        }
    }

    /// True for the outcomes that call for another attempt by default: no
    /// answer, busy, failed, voicemail (no message left).
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
        assert_eq!(
            CallOutcome::of_call("completed", Some("machine_end_beep"), true),
            VoicemailLeft
        );
        assert_eq!(CallOutcome::of_call("completed", None, true), VoicemailLeft);
        assert_eq!(
            CallOutcome::of_call("completed", Some("machine_end_beep"), false),
            Voicemail
        );
        // A message that never played on an unanswered call changes nothing.
        assert_eq!(CallOutcome::of_call("no-answer", None, true), NoAnswer);
    }

    #[test]
    fn the_callback_rule_can_tell_a_message_left_from_no_answer() {
        use CallOutcome::*;
        assert!(!VoicemailLeft.calls_back_under(None));
        assert!(Voicemail.calls_back_under(None));
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let only_left = words(&["voicemail-left"]);
        assert!(VoicemailLeft.calls_back_under(Some(&only_left)));
        assert!(!NoAnswer.calls_back_under(Some(&only_left)));
        let no_answer = words(&["no-answer", "busy"]);
        assert!(NoAnswer.calls_back_under(Some(&no_answer)));
        assert!(!VoicemailLeft.calls_back_under(Some(&no_answer)));
        assert!(!Voicemail.calls_back_under(Some(&no_answer)));
        assert!(!Answered.calls_back_under(Some(&words(&["answered"]))));
        assert_eq!(
            VoicemailLeft.scheduled_end().0,
            ScheduledCallStatus::Completed
        );
        assert_eq!(CallOutcome::parse_twilio("busy", None), Some(Busy));
    }
}
