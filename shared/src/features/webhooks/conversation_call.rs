//! Which call an ElevenLabs conversation belongs to.
//!
//! Only through what our side recorded: Twilio's call sid (stored by the
//! dialer from Twilio's answer, by the voice webhook before the agent is
//! asked to take the call, by status callbacks, and by the inbound
//! webhook when the call comes in) or ElevenLabs' conversation id (stored
//! with the first post-call delivery, and by the Node app). Whoever starts
//! a conversation with the agent sets its dynamic variables, so
//! `heyway_call_id` alone never picks a call: when present it must name
//! the call found, else the webhook is refused (409) and nothing is
//! written. A genuine redelivery names the same call again, so it still
//! answers `already_stored`.

use mongodb::bson::{oid::ObjectId, Document};
use serde_json::Value;

use super::repo::{self, ConversationRef};
use super::voice::CALL_ID_VARIABLE;
use crate::error::{Error, Result};
use crate::infra::db::Db;

/// Where the conversation's own variables are, for error messages.
const CALL_ID_FIELD: &str =
    "data.conversation_initiation_client_data.dynamic_variables.heyway_call_id";

/// The call the webhook `data` belongs to, as stored, and its id.
/// `NotFound` when neither its sid nor its conversation is one we
/// recorded; `Conflict` when they name two calls, or when its
/// `heyway_call_id` names another call than theirs.
pub async fn find_call(db: &Db, data: &Value) -> Result<(Document, ObjectId)> {
    let reference = recorded_reference(data);
    let mut calls = repo::conversation_calls(db, &reference).await?;
    if calls.len() > 1 {
        tracing::warn!(
            ?reference,
            "ElevenLabs webhook: its call sid and conversation name two calls"
        );
        return Err(Error::Conflict {
            field: Some("data.conversation_id".into()),
            message: "the conversation and its call sid belong to different calls".into(),
        });
    }
    let call = calls.pop().ok_or(Error::NotFound { what: "call" })?;
    let id = call
        .get_object_id("_id")
        .map_err(|_| Error::Internal("a call without an _id".into()))?;
    let named = &data["conversation_initiation_client_data"]["dynamic_variables"][CALL_ID_VARIABLE];
    if !names_call(named, id) {
        tracing::warn!(call = %id, %named, ?reference, "ElevenLabs webhook names another call: refused");
        return Err(Error::Conflict {
            field: Some(CALL_ID_FIELD.into()),
            message: "heyway_call_id names another call than the conversation's".into(),
        });
    }
    Ok((call, id))
}

/// The sids and conversation id ElevenLabs reports for `data`.
fn recorded_reference(data: &Value) -> ConversationRef {
    let sids = [
        &data["metadata"]["phone_call"]["call_sid"],
        // call_initiation_failure: Twilio's own answer, as ElevenLabs got it.
        &data["metadata"]["body"]["CallSid"],
        &data["metadata"]["body"]["call_sid"],
    ];
    let mut call_sids: Vec<String> = sids
        .iter()
        .filter_map(|sid| sid.as_str())
        .map(str::trim)
        .filter(|sid| !sid.is_empty())
        .map(str::to_string)
        .collect();
    call_sids.dedup();
    ConversationRef {
        call_sids,
        conversation_id: data["conversation_id"]
            .as_str()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_string),
    }
}

/// Whether the conversation's `heyway_call_id` (`named`) agrees with the
/// call `id`: absent (an older agent, a call placed without it) or the
/// same id.
fn names_call(named: &Value, id: ObjectId) -> bool {
    match named {
        Value::Null => true,
        Value::String(hex) => ObjectId::parse_str(hex.trim()).is_ok_and(|named| named == id),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_variable_must_name_the_call_found() {
        let id = ObjectId::parse_str("6a0000000000000000000001").unwrap();
        assert!(names_call(&Value::Null, id));
        assert!(names_call(&json!("6a0000000000000000000001"), id));
        assert!(names_call(&json!(" 6A0000000000000000000001 "), id));
        assert!(!names_call(&json!("6a0000000000000000000002"), id));
        assert!(!names_call(&json!(""), id));
        assert!(!names_call(&json!("not an id"), id));
        assert!(!names_call(
            &json!({"$oid": "6a0000000000000000000001"}),
            id
        ));
    }

    #[test]
    fn only_sids_and_the_conversation_count() {
        let data = json!({
            "conversation_id": " conv_1 ",
            "metadata": { "phone_call": { "call_sid": "CA1" }, "body": { "CallSid": "" } },
            "conversation_initiation_client_data": { "dynamic_variables": { "heyway_call_id": "6a0000000000000000000002" } },
        });
        assert_eq!(
            recorded_reference(&data),
            ConversationRef {
                call_sids: vec!["CA1".into()],
                conversation_id: Some("conv_1".into()),
            }
        );
        assert_eq!(recorded_reference(&json!({})), ConversationRef::default());
    }
}
