//! One shape for the two transcript shapes stored in `calls.transcription`:
//! the old app's `{speaker, text, timestamp}` turns and ElevenLabs'
//! `{role, message, time_in_call_secs}` turns.

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::{Bson, Document};
use serde::Serialize;
use utoipa::ToSchema;

/// One turn of the conversation.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptTurn {
    /// `agent` (the AI) or `user` (the person called); other stored
    /// speakers are passed through in lower case.
    pub role: String,
    pub text: String,
    /// When it was said, when stored or derivable from the call's start.
    pub at: Option<DateTime<Utc>>,
    /// Seconds into the call, when stored or derivable from `at`.
    pub offset_secs: Option<f64>,
}

/// The readable turns of `turns`; turns without text (ElevenLabs' tool
/// calls) are left out. `started_at` anchors offsets to instants.
pub fn transcript(turns: &[Document], started_at: Option<DateTime<Utc>>) -> Vec<TranscriptTurn> {
    turns
        .iter()
        .filter_map(|turn| read_turn(turn, started_at))
        .collect()
}

fn read_turn(turn: &Document, started_at: Option<DateTime<Utc>>) -> Option<TranscriptTurn> {
    let text = ["message", "text"]
        .iter()
        .find_map(|key| turn.get_str(key).ok())
        .map(str::trim)
        .filter(|text| !text.is_empty())?
        .to_string();
    let role = ["role", "speaker"]
        .iter()
        .find_map(|key| turn.get_str(key).ok())
        .map_or_else(|| "unknown".to_string(), normalize_role);
    let stored_at = turn.get("timestamp").and_then(instant);
    let stored_offset = turn.get("time_in_call_secs").and_then(number);
    let offset_secs = stored_offset.or_else(|| {
        let (at, start) = (stored_at?, started_at?);
        Some((at - start).num_milliseconds() as f64 / 1000.0)
    });
    let at = stored_at.or_else(|| {
        let millis = (stored_offset? * 1000.0).round();
        if !millis.is_finite() {
            return None;
        }
        started_at?.checked_add_signed(Duration::milliseconds(millis as i64))
    });
    Some(TranscriptTurn {
        role,
        text,
        at,
        offset_secs,
    })
}

fn normalize_role(raw: &str) -> String {
    let role = raw.trim().to_lowercase();
    match role.as_str() {
        "agent" | "ai" | "assistant" | "bot" => "agent".to_string(),
        "user" | "human" | "customer" | "caller" | "callee" | "contact" => "user".to_string(),
        _ => role,
    }
}

fn instant(value: &Bson) -> Option<DateTime<Utc>> {
    match value {
        Bson::DateTime(at) => Some(at.to_chrono()),
        Bson::String(text) => DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|at| at.with_timezone(&Utc)),
        _ => None,
    }
}

/// A stored number of any BSON numeric type.
pub(super) fn number(value: &Bson) -> Option<f64> {
    match value {
        Bson::Int32(n) => Some(f64::from(*n)),
        Bson::Int64(n) => Some(*n as f64),
        Bson::Double(n) if n.is_finite() => Some(*n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{doc, DateTime as BsonDate};

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn legacy_turns_get_offsets_from_the_start() {
        let turns = [
            doc! { "speaker": "agent", "text": "Hi", "timestamp": BsonDate::from_chrono(at("2025-09-16T22:00:05Z")) },
            doc! { "speaker": "User", "text": " Fine ", "timestamp": "2025-09-16T22:00:09Z" },
        ];
        let read = transcript(&turns, Some(at("2025-09-16T22:00:00Z")));
        assert_eq!(
            read,
            vec![
                TranscriptTurn {
                    role: "agent".into(),
                    text: "Hi".into(),
                    at: Some(at("2025-09-16T22:00:05Z")),
                    offset_secs: Some(5.0)
                },
                TranscriptTurn {
                    role: "user".into(),
                    text: "Fine".into(),
                    at: Some(at("2025-09-16T22:00:09Z")),
                    offset_secs: Some(9.0)
                },
            ]
        );
    }

    #[test]
    fn elevenlabs_turns_get_instants_and_tool_calls_are_skipped() {
        let turns = [
            doc! { "role": "agent", "message": "Hello", "time_in_call_secs": 1 },
            doc! { "role": "agent", "message": Bson::Null, "time_in_call_secs": 2, "tool_calls": [] },
            doc! { "role": "user", "message": "Hi", "time_in_call_secs": 3.5 },
        ];
        let read = transcript(&turns, Some(at("2025-09-16T22:00:00Z")));
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].role, "user");
        assert_eq!(read[1].offset_secs, Some(3.5));
        assert_eq!(read[1].at, Some(at("2025-09-16T22:00:03.500Z")));
        let unanchored = transcript(&turns, None);
        assert_eq!(unanchored[0].at, None);
        assert_eq!(unanchored[0].offset_secs, Some(1.0));
    }
}
