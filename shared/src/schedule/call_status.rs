//! The order of a call's statuses (Twilio's words), and what a final one
//! means for the scheduled call and its owner.
//!
//! Twilio's callbacks arrive out of order and repeated, so a status only
//! ever moves forward: `initiated`/`queued` → `ringing` → `in-progress` →
//! one final status, and the first final status stays.

use crate::schedule::CallOutcome;

/// The final statuses.
pub const FINAL: [&str; 5] = ["completed", "busy", "no-answer", "failed", "canceled"];

/// Every status we know, in order (finals last).
const ORDER: [(&str, u8); 9] = [
    ("initiated", 0),
    ("queued", 0),
    ("ringing", 1),
    ("in-progress", 2),
    ("completed", 3),
    ("busy", 3),
    ("no-answer", 3),
    ("failed", 3),
    ("canceled", 3),
];

/// `status`'s place in the order; `None` when Twilio never says it.
pub fn rank(status: &str) -> Option<u8> {
    ORDER.iter().find(|(s, _)| *s == status).map(|(_, r)| *r)
}

pub fn is_final(status: &str) -> bool {
    FINAL.contains(&status)
}

/// The statuses a call may be in for `status` to replace it: those before
/// it in the order. Empty for an unknown status.
pub fn replaceable_by(status: &str) -> Vec<&'static str> {
    let Some(new) = rank(status) else {
        return Vec::new();
    };
    ORDER
        .iter()
        .filter(|(_, r)| *r < new)
        .map(|(s, _)| *s)
        .collect()
}

/// Twilio's `CallStatus`, normalized (`no_answer`, `cancelled` and case
/// variants accepted); `None` when it is not a call status.
pub fn normalize(call_status: &str) -> Option<&'static str> {
    let status = call_status.trim().to_ascii_lowercase().replace('_', "-");
    let status = match status.as_str() {
        "cancelled" => "canceled",
        "noanswer" => "no-answer",
        other => other,
    };
    ORDER.iter().map(|(s, _)| *s).find(|s| *s == status)
}

/// The scheduled call's end state for `outcome`: `completed` when a
/// person (or an unknown party) answered, `failed` otherwise, with the
/// owner-facing reason.
pub fn scheduled_outcome(outcome: CallOutcome) -> (&'static str, Option<&'static str>) {
    use crate::model::scheduled_call::status::{COMPLETED, FAILED};
    match outcome {
        CallOutcome::Answered => (COMPLETED, None),
        CallOutcome::NoAnswer => (FAILED, Some("Nobody answered.")),
        CallOutcome::Busy => (FAILED, Some("The line was busy.")),
        CallOutcome::Failed => (FAILED, Some("The call could not be connected.")),
        CallOutcome::Voicemail => (
            FAILED,
            Some("An answering machine picked up, so no message was left."),
        ),
        CallOutcome::Canceled => (
            FAILED,
            Some("The call was canceled before it was answered."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_only_move_forward() {
        assert_eq!(replaceable_by("initiated"), Vec::<&str>::new());
        assert_eq!(replaceable_by("ringing"), ["initiated", "queued"]);
        assert_eq!(
            replaceable_by("in-progress"),
            ["initiated", "queued", "ringing"]
        );
        for final_status in FINAL {
            let replaceable = replaceable_by(final_status);
            assert_eq!(
                replaceable,
                ["initiated", "queued", "ringing", "in-progress"]
            );
            assert!(is_final(final_status));
        }
        assert!(replaceable_by("answered").is_empty());
        assert!(!is_final("in-progress"));
    }

    #[test]
    fn normalizes_twilio_spellings() {
        assert_eq!(normalize("no-answer"), Some("no-answer"));
        assert_eq!(normalize("No_Answer"), Some("no-answer"));
        assert_eq!(normalize("cancelled"), Some("canceled"));
        assert_eq!(normalize(" in-progress "), Some("in-progress"));
        assert_eq!(normalize("answered"), None);
        assert_eq!(normalize(""), None);
    }

    #[test]
    fn outcomes_end_the_scheduled_call() {
        assert_eq!(
            scheduled_outcome(CallOutcome::Answered),
            ("completed", None)
        );
        for outcome in [
            CallOutcome::NoAnswer,
            CallOutcome::Busy,
            CallOutcome::Failed,
            CallOutcome::Voicemail,
            CallOutcome::Canceled,
        ] {
            let (status, message) = scheduled_outcome(outcome);
            assert_eq!(status, "failed");
            assert!(message.is_some_and(|m| m.ends_with('.')));
        }
    }
}
