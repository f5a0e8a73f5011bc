//! What a call event says: the `Detail` JSON and its detail type.

use mongodb::bson::oid::ObjectId;
use serde::Serialize;

use crate::model::Call;

/// `Source` of every call event.
pub const SOURCE: &str = "heyway.calls";
/// Published once when a call first reaches its final status.
pub const CALL_COMPLETED: &str = "Call Completed";
/// Published once when a call's analysis first says a follow-up is needed.
pub const FOLLOW_UP_NEEDED: &str = "Follow-up Needed";

/// `Detail` of a call event: ids as 24-hex strings, absent keys left out.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallEvent {
    /// [`CALL_COMPLETED`] or [`FOLLOW_UP_NEEDED`]; not part of `Detail`.
    #[serde(skip)]
    pub detail_type: &'static str,
    pub call_id: String,
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_call_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    /// The call's status (`completed`, `no-answer`, …).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub follow_up_needed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<i64>,
}

impl CallEvent {
    /// The event for `call` as stored (read it back after the write that
    /// triggers the event).
    pub fn of(detail_type: &'static str, call: &Call, raw: &mongodb::bson::Document) -> Self {
        let id = |key: &str| raw.get_object_id(key).ok().map(|id: ObjectId| id.to_hex());
        let duration_secs = raw
            .get_document("metrics")
            .ok()
            .and_then(|metrics| metrics.get("duration"))
            .and_then(|value| match value {
                mongodb::bson::Bson::Int32(n) => Some(i64::from(*n)),
                mongodb::bson::Bson::Int64(n) => Some(*n),
                // Seconds are whole; a fractional duration rounds.
                #[allow(clippy::cast_possible_truncation)]
                mongodb::bson::Bson::Double(n) if n.is_finite() => Some(n.round() as i64),
                _ => None,
            });
        Self {
            detail_type,
            call_id: call.id.to_hex(),
            user_id: call.user_id.to_hex(),
            scheduled_call_id: id("scheduledCallId"),
            automation_id: call.automation_id.map(|id| id.to_hex()),
            contact_id: id("contactId"),
            status: call.status.clone(),
            category: call.analysis_category().map(str::to_string),
            follow_up_needed: call.follow_up_needed(),
            duration_secs,
        }
    }

    /// The `Detail` JSON.
    pub fn detail_json(&self) -> String {
        // Plain strings, numbers and booleans: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    #[test]
    fn detail_leaves_absent_keys_out() {
        let id = ObjectId::parse_str("6a0000000000000000000001").unwrap();
        let user = ObjectId::parse_str("6a0000000000000000000002").unwrap();
        let raw =
            doc! { "_id": id, "userId": user, "status": "busy", "metrics": { "duration": 0 } };
        let call: Call = mongodb::bson::from_document(raw.clone()).unwrap();
        let event = CallEvent::of(CALL_COMPLETED, &call, &raw);
        let json: serde_json::Value = serde_json::from_str(&event.detail_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "callId": "6a0000000000000000000001",
                "userId": "6a0000000000000000000002",
                "status": "busy",
                "followUpNeeded": false,
                "durationSecs": 0,
            })
        );
    }
}
