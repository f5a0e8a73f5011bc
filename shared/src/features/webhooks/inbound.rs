//! `POST /webhooks/twilio/inbound`: a customer calls the business back.
//!
//! Twilio posts the number's voice webhook with `CallSid`, `From` (the
//! caller), `To` / `Called` (the number dialled) and `Direction=inbound`,
//! and waits for TwiML. We find:
//!
//! 1. the business: the user whose `twilioConfig.phoneNumber` is the
//!    number called, else whose verified caller ID it is
//!    (`twilioConfig.verifiedCallerIds` or `verifiedNumbers`);
//! 2. the caller among that user's contacts (any stored form);
//! 3. the last outbound call to that number, to tell the agent why the
//!    customer was called.
//!
//! We record a `calls` document (`isInbound: true`, `inboundData`), then
//! answer TwiML: ElevenLabs' `register-call` (direction `inbound`) with the
//! call's variables, or, when the user set `preferences.inboundMode` to
//! `"forward"` and has a valid `phoneNumber`, a `<Dial>` to the owner.
//! When the owner does not pick up (busy, no answer within
//! [`FORWARD_RING_SECONDS`], failed), Twilio asks the `<Dial>`'s action,
//! [`after_forward`], which connects the caller to the agent instead: no
//! customer who calls back is left ringing out.
//! An unknown number called hears a polite message and the call ends;
//! Twilio always gets TwiML with a 200. A repeated webhook for the same
//! `CallSid` reuses the call recorded the first time.
//!
//! The status webhook and the ElevenLabs post-call webhook then handle
//! the call as any other: ElevenLabs finds it by `heyway_call_id`.

use std::collections::BTreeMap;

use mongodb::bson::{oid::ObjectId, Bson, Document};
use serde_json::Value;

use super::inbound_record::record_call;
use super::repo;
use super::voice::CALL_ID_VARIABLE;
use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::infra::store;
use crate::integrations::elevenlabs::{CallDirection, ClientData, ElevenLabsClient, RegisterCall};
use crate::integrations::twilio::twiml;
use crate::model::phone;
use crate::model::{CallStatus, User};

/// What someone calling a number we do not know hears.
pub const UNKNOWN_NUMBER: &str =
    "Sorry, this number is not in service. Please check the number and try again. Goodbye.";
/// What a caller hears when the agent cannot take the call.
pub const UNAVAILABLE: &str =
    "Sorry, no one can take your call right now. Please try again later. Goodbye.";

/// `preferences.inboundMode` value that forwards inbound calls to the
/// owner's `phoneNumber` instead of the AI agent.
pub const FORWARD_MODE: &str = "forward";

/// How long the owner's phone rings before the agent takes the call.
pub const FORWARD_RING_SECONDS: u32 = 20;

/// Where Twilio reports how the forward to the owner ended (`<Dial action>`).
pub const FORWARDED_PATH: &str = "/webhooks/twilio/inbound/forwarded";

/// How a forward to the owner ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForwardEnded {
    /// The owner talked to the caller; the call is over.
    OwnerAnswered,
    /// The owner did not pick up: the agent takes the call.
    ToAgent,
}

/// The inbound call's form fields we use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundCall {
    pub call_sid: String,
    /// The caller, as Twilio sent it (may be `anonymous`).
    pub from: String,
    /// The number called, as Twilio sent it.
    pub to: String,
}

impl InboundCall {
    pub fn from_form(form: &[(String, String)]) -> Result<Self> {
        let field =
            |name: &str| crate::integrations::twilio::form::field(form, name).map(str::to_string);
        Ok(Self {
            call_sid: field("CallSid")
                .ok_or_else(|| Error::bad_request(Some("CallSid"), "CallSid is missing"))?,
            from: field("From")
                .or_else(|| field("Caller"))
                .unwrap_or_default(),
            to: field("To")
                .or_else(|| field("Called"))
                .ok_or_else(|| Error::bad_request(Some("To"), "To is missing"))?,
        })
    }
}

/// How the call was answered, for logs and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// No business has this number.
    UnknownNumber,
    /// Connected to the agent (or apologised when it was unreachable).
    Agent { call_id: ObjectId },
    /// Forwarded to the owner's phone.
    Forwarded { call_id: ObjectId },
}

/// The user the number `e164` belongs to: by Twilio number, else by a
/// verified caller ID.
pub async fn find_business(db: &Db, e164: &str) -> Result<Option<User>> {
    let forms = phone::stored_forms(e164);
    if let Some(user) = repo::user_by_twilio_number(db, &forms).await? {
        return Ok(Some(user));
    }
    if let Some(user) = repo::user_by_verified_caller_id(db, &forms).await? {
        return Ok(Some(user));
    }
    match repo::verified_number_owner(db, &forms).await? {
        Some(user_id) => store::find_by_id::<User>(db, user_id).await,
        None => Ok(None),
    }
}

/// Handles one inbound call webhook; answers the TwiML and what it did.
pub async fn answer(
    db: &Db,
    elevenlabs: Option<&ElevenLabsClient>,
    call: &InboundCall,
) -> Result<(String, Answer)> {
    let to = phone::to_e164(&call.to, None).unwrap_or_else(|_| call.to.clone());
    let Some(user) = find_business(db, &to).await? else {
        tracing::warn!(to = %call.to, "inbound call to a number no business has");
        return Ok((
            twiml::response(&format!(
                "{}{}",
                twiml::say(UNKNOWN_NUMBER),
                twiml::hangup()
            )),
            Answer::UnknownNumber,
        ));
    };
    let region = user.phone_region();
    let from = phone::to_e164(&call.from, region).ok();
    let forward_to = forward_number(&user);

    let existing = repo::inbound_call_by_sid(db, user.id, &call.call_sid).await?;
    let document = match existing {
        Some(document) => document,
        None => record_call(db, &user, call, from.as_deref(), &to, forward_to.is_some()).await?,
    };
    let call_id = document
        .get_object_id("_id")
        .map_err(|_| Error::Internal("inbound call without _id".into()))?;

    if let Some(owner) = forward_to {
        // A relative action: Twilio resolves it against this webhook's URL.
        let verbs = format!(
            "<Dial action=\"{}\" method=\"POST\" timeout=\"{FORWARD_RING_SECONDS}\"><Number>{}</Number></Dial>",
            twiml::escape(&format!("{FORWARDED_PATH}?callId={}", call_id.to_hex())),
            twiml::escape(&owner)
        );
        return Ok((twiml::response(&verbs), Answer::Forwarded { call_id }));
    }
    Ok((
        agent_twiml(elevenlabs, &document, &call.from, &to).await,
        Answer::Agent { call_id },
    ))
}

/// Twilio's `<Dial>` action after a forward to the owner: `DialCallStatus`
/// `completed` means the owner answered and the call ends; anything else
/// (`busy`, `no-answer`, `failed`, `canceled`) hands the caller to the
/// agent. The call document records `inboundData.forwardStatus`, and
/// becomes an AI call when the agent takes it.
pub async fn after_forward(
    db: &Db,
    elevenlabs: Option<&ElevenLabsClient>,
    call_id: ObjectId,
    dial_status: &str,
) -> Result<(String, ForwardEnded)> {
    let Some(document) = repo::find_inbound_call(db, call_id).await? else {
        return Err(Error::NotFound { what: "call" });
    };
    let owner_answered = dial_status == CallStatus::Completed.as_str();
    repo::record_forward(db, call_id, dial_status, !owner_answered).await?;
    if owner_answered {
        return Ok((
            twiml::response(twiml::hangup()),
            ForwardEnded::OwnerAnswered,
        ));
    }
    let inbound = document.get_document("inboundData").ok();
    let field = |name: &str| {
        inbound
            .and_then(|d| d.get_str(name).ok())
            .or_else(|| document.get_str(name).ok())
            .unwrap_or_default()
            .to_string()
    };
    let (from, to) = (field("from"), field("to"));
    Ok((
        agent_twiml(elevenlabs, &document, &from, &to).await,
        ForwardEnded::ToAgent,
    ))
}

/// The agent's TwiML for an inbound call, or an apology when the agent
/// cannot be reached.
async fn agent_twiml(
    elevenlabs: Option<&ElevenLabsClient>,
    document: &Document,
    from: &str,
    to: &str,
) -> String {
    let unavailable =
        || twiml::response(&format!("{}{}", twiml::say(UNAVAILABLE), twiml::hangup()));
    let call_id = document.get_object_id("_id").ok();
    let Some(client) = elevenlabs else {
        tracing::error!(call = ?call_id, "ElevenLabs is not configured; inbound caller told to call later");
        return unavailable();
    };
    let request = register_call(document, from, to);
    match client.register_call(&request).await {
        Ok(theirs) if theirs.contains("<Response") => theirs,
        Ok(_) => {
            tracing::error!(call = ?call_id, "ElevenLabs' TwiML has no <Response>");
            unavailable()
        }
        Err(error) => {
            tracing::error!(call = ?call_id, %error, "ElevenLabs register-call failed for an inbound call");
            unavailable()
        }
    }
}

/// The owner's phone when the user forwards inbound calls.
fn forward_number(user: &User) -> Option<String> {
    let mode = user
        .preferences
        .as_ref()
        .and_then(|p| p.get_str("inboundMode").ok())
        .map(str::trim)?;
    if mode != FORWARD_MODE {
        return None;
    }
    let own = user.phone_number.as_deref()?;
    match phone::to_e164(own, user.phone_region()) {
        Ok(number) => Some(number),
        Err(_) => {
            tracing::warn!(user = %user.id, "inboundMode is forward but phoneNumber is not valid; the agent answers");
            None
        }
    }
}

/// The `register-call` request for the inbound call `call`.
pub fn register_call(call: &Document, from: &str, to: &str) -> RegisterCall {
    let mut dynamic_variables = BTreeMap::new();
    if let Ok(variables) = call
        .get_document("aiConfig")
        .and_then(|c| c.get_document("dynamicVariables"))
    {
        for (name, value) in variables {
            if !matches!(value, Bson::Null) {
                dynamic_variables.insert(name.clone(), value.clone().into_relaxed_extjson());
            }
        }
    }
    if let Ok(id) = call.get_object_id("_id") {
        dynamic_variables.insert(CALL_ID_VARIABLE.to_string(), Value::String(id.to_hex()));
    }
    RegisterCall {
        from_number: from.to_string(),
        to_number: to.to_string(),
        direction: CallDirection::Inbound,
        client_data: ClientData {
            dynamic_variables,
            conversation_config_override: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_the_form() {
        let call = InboundCall::from_form(&form(&[
            ("CallSid", "CA1"),
            ("From", "+12125550181"),
            ("Called", "+12125550100"),
            ("Direction", "inbound"),
        ]))
        .unwrap();
        assert_eq!(call.to, "+12125550100");
        assert!(InboundCall::from_form(&form(&[("From", "+1")])).is_err());
        assert!(InboundCall::from_form(&form(&[("CallSid", "CA1")])).is_err());
    }

    #[test]
    fn register_call_is_inbound_with_the_call_id() {
        let id = ObjectId::parse_str("6a0000000000000000000001").unwrap();
        let call = doc! { "_id": id, "aiConfig": { "dynamicVariables": { "customer_name": "Pat", "x": Bson::Null } } };
        let request = register_call(&call, "+12125550181", "+12125550100");
        assert_eq!(request.direction, CallDirection::Inbound);
        assert_eq!(request.from_number, "+12125550181");
        let vars = serde_json::to_value(&request.client_data).unwrap();
        assert_eq!(
            vars["dynamic_variables"]["heyway_call_id"],
            "6a0000000000000000000001"
        );
        assert_eq!(vars["dynamic_variables"]["customer_name"], "Pat");
        assert!(vars["dynamic_variables"].get("x").is_none());
    }
}
