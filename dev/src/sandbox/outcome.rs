//! The destination number chooses how a sandbox call goes, in the spirit
//! of Twilio's test credentials.
//!
//! | `To` | what happens |
//! |---|---|
//! | `+15005550001` | refused at creation: 21217, not a valid phone number |
//! | `+15005550002` | refused at creation: 21214, cannot be reached |
//! | `+15005550003` | refused at creation: 21215, no geographic permission |
//! | `+15005550004` | refused at creation: 21216, blocked |
//! | `…555-0101` | busy |
//! | `…555-0102` | no answer (rings, nobody picks up) |
//! | `…555-0103` | voicemail: a machine answers with a greeting and a beep (`machine_end_beep`); with `MachineDetection=DetectMessageEnd` the TwiML is fetched after the beep and what it plays is recorded in the box ([`crate::sandbox::VoicemailBox`]) |
//! | `…555-0104` | failed (the carrier could not connect it) |
//! | `…555-0105` | answered; the person asks not to be called again |
//! | `…555-0106` | answered as `…555-0100`, but the status callbacks arrive out of order and `completed` twice |
//! | `…555-0107` | answered as `…555-0100`, but ElevenLabs' post-call webhook is lost: the report is only in `GET /v1/convai/conversations/{id}` |
//! | `…555-0108` | answered as `…555-0100`, the webhook is lost and the conversation stays `processing` |
//! | `…555-0109` | as `…555-0107` (webhook lost), and `register-call`'s TwiML names no conversation id, as ElevenLabs' own most likely does: the conversation is only found through `GET /v1/convai/conversations` |
//! | anything else (`…555-0100`) | answered by a person, who asks for a call back |
//!
//! `…555-01NN` means the last seven digits of the number, any area code:
//! `+12125550101` and `+14155550101` are both busy. 555-0100 to 555-0199
//! are reserved for fiction in North America, so no real person is behind
//! them.

use serde::Serialize;

/// How a call that Twilio accepted goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// A person answers and talks; they would like a call back.
    Answered,
    Busy,
    NoAnswer,
    /// An answering machine picks up after the beep.
    Voicemail,
    /// The carrier fails the call before it rings.
    Failed,
    /// A person answers and asks not to be called again.
    OptOut,
    /// As [`Outcome::Answered`], but Twilio delivers `ringing` and
    /// `in-progress` after `completed`, then repeats `completed`: the
    /// webhooks must still end in the right state.
    OutOfOrder,
    /// As [`Outcome::Answered`], but the post-call webhook is never
    /// delivered: the conversation can only be fetched.
    LostReport,
    /// As [`Outcome::LostReport`], and ElevenLabs never finishes
    /// processing the conversation.
    StuckProcessing,
    /// As [`Outcome::LostReport`], and `register-call`'s TwiML names no
    /// conversation id: the conversation is found only through the list.
    UnnamedConversation,
}

impl Outcome {
    /// Twilio's final `CallStatus` for this outcome.
    pub fn final_status(self) -> &'static str {
        match self {
            Self::Answered
            | Self::Voicemail
            | Self::OptOut
            | Self::OutOfOrder
            | Self::LostReport
            | Self::StuckProcessing
            | Self::UnnamedConversation => "completed",
            Self::Busy => "busy",
            Self::NoAnswer => "no-answer",
            Self::Failed => "failed",
        }
    }

    /// Whether the call is picked up (by a person or a machine): every
    /// picked-up call ends `completed`, and only those do.
    pub fn is_answered(self) -> bool {
        self.final_status() == "completed"
    }

    /// Whether a person picks up.
    pub fn is_human(self) -> bool {
        matches!(
            self,
            Self::Answered
                | Self::OptOut
                | Self::OutOfOrder
                | Self::LostReport
                | Self::StuckProcessing
                | Self::UnnamedConversation
        )
    }

    /// Whether ElevenLabs posts the post-call webhook.
    pub fn reports(self) -> bool {
        !matches!(
            self,
            Self::LostReport | Self::StuckProcessing | Self::UnnamedConversation
        )
    }

    /// Twilio's `AnsweredBy` for an answered call.
    pub fn answered_by(self) -> &'static str {
        if self == Self::Voicemail {
            "machine_end_beep"
        } else {
            "human"
        }
    }
}

/// A refusal at creation time, as Twilio answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// HTTP status.
    pub status: u16,
    /// Twilio's error code.
    pub code: u32,
    pub message: &'static str,
}

impl Refused {
    pub const fn bad_request(code: u32, message: &'static str) -> Self {
        Self {
            status: 400,
            code,
            message,
        }
    }
}

/// The outcome of a call to `to`, or Twilio's refusal to place it.
pub fn for_number(to: &str) -> Result<Outcome, Refused> {
    match to {
        "+15005550001" => {
            return Err(Refused::bad_request(
                21217,
                "Phone number does not appear to be valid",
            ))
        }
        "+15005550002" => {
            return Err(Refused::bad_request(
                21214,
                "'To' phone number cannot be reached",
            ))
        }
        "+15005550003" => return Err(Refused::bad_request(
            21215,
            "Account not authorized to call this number. Please check your geographic permissions.",
        )),
        "+15005550004" => {
            return Err(Refused::bad_request(
                21216,
                "Account not allowed to call this number: it is blocked",
            ))
        }
        _ => {}
    }
    let digits: String = to.chars().filter(char::is_ascii_digit).collect();
    let last_seven = digits.get(digits.len().saturating_sub(7)..).unwrap_or("");
    Ok(match last_seven {
        "5550101" => Outcome::Busy,
        "5550102" => Outcome::NoAnswer,
        "5550103" => Outcome::Voicemail,
        "5550104" => Outcome::Failed,
        "5550105" => Outcome::OptOut,
        "5550106" => Outcome::OutOfOrder,
        "5550107" => Outcome::LostReport,
        "5550108" => Outcome::StuckProcessing,
        "5550109" => Outcome::UnnamedConversation,
        _ => Outcome::Answered,
    })
}

/// Whether `number` looks like E.164: `+`, then 8 to 15 digits, the first
/// not 0.
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_are_refused_with_twilio_codes() {
        let code = |to| for_number(to).map_err(|r| r.code);
        assert_eq!(code("+15005550001"), Err(21217));
        assert_eq!(code("+15005550002"), Err(21214));
        assert_eq!(code("+15005550003"), Err(21215));
        assert_eq!(code("+15005550004"), Err(21216));
    }

    #[test]
    fn last_seven_digits_choose_the_outcome() {
        assert_eq!(for_number("+12125550100"), Ok(Outcome::Answered));
        assert_eq!(for_number("+12125550101"), Ok(Outcome::Busy));
        assert_eq!(for_number("+14155550102"), Ok(Outcome::NoAnswer));
        assert_eq!(for_number("+13125550103"), Ok(Outcome::Voicemail));
        assert_eq!(for_number("+13125550104"), Ok(Outcome::Failed));
        assert_eq!(for_number("+13125550105"), Ok(Outcome::OptOut));
        assert_eq!(for_number("+13125550106"), Ok(Outcome::OutOfOrder));
        assert_eq!(for_number("+13125550107"), Ok(Outcome::LostReport));
        assert_eq!(for_number("+13125550108"), Ok(Outcome::StuckProcessing));
        assert_eq!(for_number("+13125550109"), Ok(Outcome::UnnamedConversation));
        assert!(!Outcome::UnnamedConversation.reports());
        assert!(!Outcome::LostReport.reports() && Outcome::Answered.reports());
        assert_eq!(for_number("+447700900123"), Ok(Outcome::Answered));
        assert_eq!(for_number("+1"), Ok(Outcome::Answered));
    }

    #[test]
    fn outcomes_map_to_twilio_statuses() {
        assert_eq!(Outcome::NoAnswer.final_status(), "no-answer");
        assert_eq!(Outcome::OptOut.final_status(), "completed");
        assert_eq!(Outcome::Voicemail.answered_by(), "machine_end_beep");
        assert!(!Outcome::Busy.is_answered());
        assert!(Outcome::Voicemail.is_answered() && !Outcome::Voicemail.is_human());
    }

    #[test]
    fn e164_shape() {
        assert!(is_e164("+12125550100"));
        assert!(!is_e164("2125550100"));
        assert!(!is_e164("+1212555010a"));
        assert!(!is_e164("+0212555010"));
        assert!(!is_e164("+1234567"));
    }
}
