//! JSON from the services into BSON the way the Node app stores values:
//! whole numbers as int32 when they fit, others as double (see
//! [`Number::node`]), objects as documents.

use mongodb::bson::{Bson, Document};
use serde_json::Value;

use crate::model::Number;

/// `value` as BSON, numbers stored as the Node driver would.
pub fn to_bson(value: &Value) -> Bson {
    match value {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            // Beyond int32 but whole: int64 keeps it exact.
            Some(i) if i32::try_from(i).is_err() => Bson::Int64(i),
            _ => number(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Bson::String(s.clone()),
        Value::Array(items) => Bson::Array(items.iter().map(to_bson).collect()),
        Value::Object(map) => Bson::Document(
            map.iter()
                .map(|(k, v)| (k.clone(), to_bson(v)))
                .collect::<Document>(),
        ),
    }
}

/// A number as the Node driver stores it.
pub fn number(value: f64) -> Bson {
    match Number::node(value) {
        Number::Int32(n) => Bson::Int32(n),
        Number::Int64(n) => Bson::Int64(n),
        Number::Double(n) => Bson::Double(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;
    use serde_json::json;

    #[test]
    fn numbers_as_node_stores_them() {
        assert_eq!(
            to_bson(
                &json!({"a": 47, "b": 2.5, "c": 1_795_993_500_000_i64, "d": [true, null, "x"], "e": 3.0})
            ),
            Bson::Document(doc! {
                "a": 47, "b": 2.5, "c": 1_795_993_500_000_i64, "d": [true, Bson::Null, "x"], "e": 3,
            })
        );
    }
}
