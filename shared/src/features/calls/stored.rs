//! A stored call as the API reads it: the typed [`Call`] plus the fields
//! the dialer added to the old app's shape (`contactId`,
//! `scheduledCallId`, `answeredBy`, `voicemailLeft`), read from the same
//! document.

use mongodb::bson::{self, oid::ObjectId, Document};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{Call, Record};

#[derive(Clone, Debug, PartialEq)]
pub struct StoredCall {
    pub call: Call,
    /// The contact called, when the dialer knew it.
    pub contact_id: Option<ObjectId>,
    /// The scheduled call this call placed.
    pub scheduled_call_id: Option<ObjectId>,
    /// Twilio's `AnsweredBy` (`human`, `machine_start`, …).
    pub answered_by: Option<String>,
    /// `voicemailLeft`: the message was played to a voicemail box.
    pub voicemail_left: bool,
}

impl StoredCall {
    /// Reads `document`; the extra fields are optional and ignored when
    /// they have another type.
    pub fn from_document(document: Document) -> Result<Self, bson::de::Error> {
        let contact_id = document.get_object_id("contactId").ok();
        let scheduled_call_id = document.get_object_id("scheduledCallId").ok();
        let answered_by = document
            .get_str("answeredBy")
            .ok()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_string);
        let voicemail_left = document.get_bool("voicemailLeft").unwrap_or(false);
        Ok(Self {
            call: bson::from_document(document)?,
            voicemail_left,
            contact_id,
            scheduled_call_id,
            answered_by,
        })
    }
}

impl<'de> Deserialize<'de> for StoredCall {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let document = Document::deserialize(deserializer)?;
        Self::from_document(document).map_err(D::Error::custom)
    }
}

/// Only the typed part: the API never writes a whole call back.
impl Serialize for StoredCall {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.call.serialize(serializer)
    }
}

impl Record for StoredCall {
    const COLLECTION: &'static str = Call::COLLECTION;

    fn id(&self) -> ObjectId {
        self.call.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    #[test]
    fn reads_the_dialers_fields_beside_the_model() {
        let contact = ObjectId::new();
        let document = doc! {
            "_id": ObjectId::new(), "userId": ObjectId::new(), "status": "completed",
            "contactId": contact, "scheduledCallId": "not an id", "answeredBy": "human",
        };
        let stored: StoredCall = bson::from_document(document).unwrap();
        assert_eq!(stored.contact_id, Some(contact));
        assert_eq!(stored.scheduled_call_id, None);
        assert_eq!(stored.answered_by.as_deref(), Some("human"));
        assert_eq!(stored.call.status, "completed");
    }
}
