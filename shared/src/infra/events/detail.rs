//! What a call event says: the `Detail` JSON and its detail type.

use mongodb::bson::{oid::ObjectId, Bson, Document};
use serde::Serialize;

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
    /// The event for a raw `calls` document as stored (read it back after
    /// the write that triggers the event); `None` without `_id` or
    /// `userId`. Read field by field, so an odd legacy shape elsewhere in
    /// the document cannot stop the event.
    pub fn of(detail_type: &'static str, call: &Document) -> Option<Self> {
        let id = |key: &str| call.get_object_id(key).ok().map(|id: ObjectId| id.to_hex());
        let analysis = call.get_document("analysis").ok();
        let duration_secs = call
            .get_document("metrics")
            .ok()
            .and_then(|metrics| metrics.get("duration"))
            .and_then(|value| match value {
                Bson::Int32(n) => Some(i64::from(*n)),
                Bson::Int64(n) => Some(*n),
                // Seconds are whole; a fractional duration rounds.
                #[allow(clippy::cast_possible_truncation)]
                Bson::Double(n) if n.is_finite() => Some(n.round() as i64),
                _ => None,
            });
        Some(Self {
            detail_type,
            call_id: id("_id")?,
            user_id: id("userId")?,
            scheduled_call_id: id("scheduledCallId"),
            automation_id: id("automationId"),
            contact_id: id("contactId"),
            status: call.get_str("status").unwrap_or_default().to_string(),
            category: analysis
                .and_then(|a| a.get_str("category").ok())
                .filter(|c| !c.is_empty())
                .map(str::to_string),
            follow_up_needed: analysis
                .and_then(|a| a.get_bool("followUpNeeded").ok())
                .unwrap_or(false),
            duration_secs,
        })
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
        let event = CallEvent::of(CALL_COMPLETED, &raw).unwrap();
        let json: serde_json::Value = serde_json::from_str(&event.detail_json()).unwrap();
        assert!(CallEvent::of(CALL_COMPLETED, &doc! { "_id": id }).is_none());
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
