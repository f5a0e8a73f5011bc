//! The `calls` document an inbound call is recorded as: who is calling
//! (the business's contact with that number, our last outbound call to
//! them), the agent's dynamic variables, and the document in the shape
//! the Node app's calls have, `isInbound` and `inboundData` included.

use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};

use super::inbound::{InboundCall, FORWARD_MODE};
use super::repo;
use super::voice::CALL_ID_VARIABLE;
use crate::error::Result;
use crate::infra::db::Db;
use crate::model::phone;
use crate::model::{CallStatus, Contact, User};

/// Records the inbound call `call` to `user`, from the E.164 number
/// `from` when it parses; answers the document as stored.
pub(super) async fn record_call(
    db: &Db,
    user: &User,
    call: &InboundCall,
    from: Option<&str>,
    to: &str,
    forwarded: bool,
) -> Result<Document> {
    let new = NewCall {
        id: ObjectId::new(),
        user,
        call,
        caller: find_caller(db, user, call, from).await?,
        to,
        forwarded,
    };
    let now = DateTime::now();
    repo::insert_inbound_call(db, new.document(now), now).await
}

/// What we know of the caller before answering.
struct Caller {
    /// E.164 when it parses, else as Twilio sent it.
    number: String,
    /// The user's contact with this number.
    contact: Option<Contact>,
    /// The user's latest outbound call to them.
    last_call: Option<LastCall>,
}

/// The caller of `call` to `user`: the contact and the last outbound call
/// are looked for only when the number parses (`from`).
async fn find_caller(
    db: &Db,
    user: &User,
    call: &InboundCall,
    from: Option<&str>,
) -> Result<Caller> {
    let number = from.unwrap_or(call.from.as_str()).to_string();
    let Some(e164) = from else {
        return Ok(Caller {
            number,
            contact: None,
            last_call: None,
        });
    };
    let forms = phone::stored_forms(e164);
    let contact = repo::contact_by_number(db, user.id, &forms).await?;
    let contact_id = contact.as_ref().map(|c| c.id);
    let last = repo::last_outbound_call(db, user.id, &forms, contact_id).await?;
    Ok(Caller {
        number,
        contact,
        last_call: last.as_ref().map(LastCall::of),
    })
}

impl Caller {
    fn contact_id(&self) -> Option<ObjectId> {
        self.contact.as_ref().map(|c| c.id)
    }

    fn contact_name(&self) -> Option<String> {
        self.contact.as_ref().map(|c| c.name.clone())
    }
}

/// The user's latest outbound call to the caller: why they were called.
struct LastCall {
    id: Option<ObjectId>,
    /// Its `analysis.summary`.
    summary: Option<String>,
    /// Its `aiConfig.instructions`.
    instructions: Option<String>,
}

impl LastCall {
    fn of(call: &Document) -> Self {
        let text = |parent: &str, key: &str| {
            call.get_document(parent)
                .ok()
                .and_then(|d| d.get_str(key).ok())
                .map(str::to_string)
        };
        Self {
            id: call.get_object_id("_id").ok(),
            summary: text("analysis", "summary"),
            instructions: text("aiConfig", "instructions"),
        }
    }

    /// Why the customer was called, for the agent.
    fn reason(&self) -> String {
        match (&self.summary, &self.instructions) {
            (Some(summary), _) => format!("We called them before: {summary}"),
            (None, Some(instructions)) => format!("We called them before to: {instructions}"),
            (None, None) => String::new(),
        }
    }
}

/// The business's name for the agent: the AI settings', the profile's,
/// else the user's.
fn business_name(user: &User) -> String {
    user.ai_config
        .as_ref()
        .and_then(|c| c.get_str("businessName").ok())
        .or_else(|| {
            user.profile
                .as_ref()
                .and_then(|p| p.get_str("businessName").ok())
        })
        .or(user.name.as_deref())
        .unwrap_or_default()
        .to_string()
}

/// An inbound call about to be recorded.
struct NewCall<'a> {
    id: ObjectId,
    user: &'a User,
    call: &'a InboundCall,
    caller: Caller,
    /// The number called, E.164 when it parses.
    to: &'a str,
    /// Forwarded to the owner rather than answered by the agent.
    forwarded: bool,
}

impl NewCall<'_> {
    /// The agent's dynamic variables.
    fn variables(&self) -> Document {
        let last = self.caller.last_call.as_ref();
        let mut variables = doc! {
            CALL_ID_VARIABLE: self.id.to_hex(),
            "customer_name": self.caller.contact_name().unwrap_or_default(),
            "caller_number": &self.caller.number,
            "business_name": business_name(self.user),
            "call_reason": last.map(LastCall::reason).unwrap_or_default(),
            "last_call_summary": last.and_then(|l| l.summary.clone()).unwrap_or_default(),
            "last_call_instructions": last.and_then(|l| l.instructions.clone()).unwrap_or_default(),
        };
        if let Some(Ok(instructions)) = self
            .user
            .ai_config
            .as_ref()
            .map(|c| c.get_str("inboundInstructions"))
        {
            variables.insert("inbound_instructions", instructions);
        }
        variables
    }

    /// The new `calls` document, started `now` (the stamps are the repo's).
    fn document(&self, now: DateTime) -> Document {
        let (caller, to, forwarded) = (&self.caller.number, self.to, self.forwarded);
        let contact_id = self.caller.contact_id();
        let contact_name = self.caller.contact_name();
        let last = self.caller.last_call.as_ref();
        let mut participant = doc! { "phoneNumber": caller, "name": contact_name.clone().unwrap_or_default(), "role": "caller" };
        if let Some(id) = contact_id {
            participant.insert("contactId", id);
        }
        let mut document = doc! {
            "_id": self.id,
            "userId": self.user.id,
            "sessionId": format!("inbound-{}", self.call.call_sid),
            "status": CallStatus::Initiated,
            "callMode": if forwarded { FORWARD_MODE } else { "ai-only" },
            "participants": [participant],
            "transcription": [],
            "aiConfig": { "dynamicVariables": self.variables(), "useAIResponse": !forwarded },
            "startedAt": now,
            "isInbound": true,
            "callerNumber": caller,
            "from": caller,
            "to": to,
            "twilioCallSid": &self.call.call_sid,
            "inboundData": {
                "from": caller,
                "to": to,
                "contactId": contact_id.map_or(Bson::Null, Bson::ObjectId),
                "contactName": contact_name.map_or(Bson::Null, Bson::String),
                "lastOutboundCallId": last.and_then(|l| l.id).map_or(Bson::Null, Bson::ObjectId),
                "lastOutboundSummary": last.and_then(|l| l.summary.clone()).map_or(Bson::Null, Bson::String),
                "forwardedToOwner": forwarded,
            },
        };
        if let Some(id) = contact_id {
            document.insert("contactId", id);
        }
        document
    }
}
