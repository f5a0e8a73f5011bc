//! References to other documents, stored as an ObjectId or as its hex text.

use std::str::FromStr;

use mongodb::bson::oid::ObjectId;
use mongodb::bson::Bson;
use serde::{de, Deserialize, Deserializer, Serialize};

/// A reference the Node app sometimes stored as text, such as automations'
/// `audioMessage: "68cb2bf86279c0b4f77b4057"`. Keeps the stored form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum IdRef {
    Id(ObjectId),
    Text(String),
}

impl IdRef {
    /// The referenced id, if the text holds one.
    pub fn object_id(&self) -> Option<ObjectId> {
        match self {
            Self::Id(id) => Some(*id),
            Self::Text(text) => ObjectId::from_str(text.trim()).ok(),
        }
    }
}

/// Through [`Bson`], so the stored type decides the variant: an untagged
/// enum would read hex text as an ObjectId and write it back retyped.
impl<'de> Deserialize<'de> for IdRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Bson::deserialize(deserializer)? {
            Bson::ObjectId(id) => Ok(Self::Id(id)),
            Bson::String(text) => Ok(Self::Text(text)),
            other => Err(de::Error::custom(format!(
                "expected an ObjectId or its hex text, found {:?}",
                other.element_type()
            ))),
        }
    }
}

impl From<ObjectId> for IdRef {
    fn from(id: ObjectId) -> Self {
        Self::Id(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{self, doc, Bson};

    #[derive(Serialize, Deserialize)]
    struct Holder {
        r: IdRef,
    }

    #[test]
    fn keeps_text_and_object_id_forms() {
        let id = ObjectId::new();
        for stored in [Bson::ObjectId(id), Bson::String(id.to_hex())] {
            let holder: Holder = bson::from_document(doc! { "r": stored.clone() }).unwrap();
            assert_eq!(holder.r.object_id(), Some(id));
            assert_eq!(bson::to_document(&holder).unwrap().get("r"), Some(&stored));
        }
    }

    #[test]
    fn text_that_is_not_an_id_is_kept_but_resolves_to_none() {
        let holder: Holder = bson::from_document(doc! { "r": "" }).unwrap();
        assert_eq!(holder.r.object_id(), None);
    }
}
