//! Free-form BSON (`metadata`, `preferences`) to and from the API's JSON.

use mongodb::bson::{Bson, Document};
use serde_json::{Map, Value};

use crate::model::Number;

/// BSON as plain JSON: dates as RFC 3339 text, ids as hex, numbers as
/// numbers.
pub fn to_json(value: &Bson) -> Value {
    match value {
        Bson::Null | Bson::Undefined => Value::Null,
        Bson::Boolean(b) => Value::Bool(*b),
        Bson::Int32(n) => Value::from(*n),
        Bson::Int64(n) => Value::from(*n),
        Bson::Double(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        Bson::String(s) => Value::String(s.clone()),
        Bson::ObjectId(id) => Value::String(id.to_hex()),
        Bson::DateTime(date) => Value::String(
            date.try_to_rfc3339_string()
                .unwrap_or_else(|_| date.timestamp_millis().to_string()),
        ),
        Bson::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Bson::Document(doc) => document_to_json(doc),
        Bson::Decimal128(d) => Value::String(d.to_string()),
        other => other.clone().into_relaxed_extjson(),
    }
}

pub fn document_to_json(doc: &Document) -> Value {
    Value::Object(
        doc.iter()
            .map(|(k, v)| (k.clone(), to_json(v)))
            .collect::<Map<_, _>>(),
    )
}

/// A stored free-form object (`settings`, `metadata`) as JSON; `{}` when
/// absent.
pub fn object_json(document: Option<&Document>) -> Value {
    document.map_or_else(|| Value::Object(Default::default()), document_to_json)
}

/// JSON from a client as BSON, numbers stored the Node way.
pub fn from_json(value: &Value) -> Bson {
    match value {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Number(n) => match n.as_f64().map(Number::node) {
            Some(Number::Int32(i)) => Bson::Int32(i),
            Some(Number::Int64(i)) => Bson::Int64(i),
            Some(Number::Double(d)) => Bson::Double(d),
            None => Bson::Null,
        },
        Value::String(s) => Bson::String(s.clone()),
        Value::Array(items) => Bson::Array(items.iter().map(from_json).collect()),
        Value::Object(map) => Bson::Document(object_to_document(map)),
    }
}

pub fn object_to_document(map: &Map<String, Value>) -> Document {
    map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{doc, oid::ObjectId, DateTime};

    #[test]
    fn bson_reads_as_plain_json() {
        let id = ObjectId::new();
        let doc =
            doc! { "id": id, "at": DateTime::from_millis(0), "n": 6, "x": 6.5, "list": [1, "a"] };
        assert_eq!(
            document_to_json(&doc),
            serde_json::json!({ "id": id.to_hex(), "at": "1970-01-01T00:00:00Z", "n": 6, "x": 6.5, "list": [1, "a"] })
        );
    }

    #[test]
    fn json_numbers_are_stored_the_node_way() {
        let value = serde_json::json!({ "whole": 7, "part": 7.5 });
        let doc = object_to_document(value.as_object().unwrap());
        assert_eq!(doc, doc! { "whole": 7_i32, "part": 7.5 });
    }
}
