//! Numbers as the Node driver stores them.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A stored number that remembers its BSON type.
///
/// The Node driver writes whole numbers as int32 and others as double
/// (`minutesUsed: 1.1099999999999999`, a `duration` of 6 or 6.5), and other
/// writers may have left int64. Reading into a plain `f64` and writing back
/// would retype `6` to `6.0`; this type writes back exactly what it read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Int32(i32),
    Int64(i64),
    Double(f64),
}

impl Number {
    /// A new value stored the way the Node app stores it: int32 when whole
    /// and in range, double otherwise.
    pub fn node(value: f64) -> Self {
        if value.fract() == 0.0 && value >= f64::from(i32::MIN) && value <= f64::from(i32::MAX) {
            Self::Int32(value as i32)
        } else {
            Self::Double(value)
        }
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Self::Int32(n) => f64::from(n),
            Self::Int64(n) => n as f64,
            Self::Double(n) => n,
        }
    }

    /// The value as a whole number, truncating any fraction and saturating
    /// at the bounds of `i64`.
    pub fn as_i64(self) -> i64 {
        match self {
            Self::Int32(n) => i64::from(n),
            Self::Int64(n) => n,
            Self::Double(n) => n as i64,
        }
    }
}

impl From<i32> for Number {
    fn from(n: i32) -> Self {
        Self::Int32(n)
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Self::Int32(n) => serializer.serialize_i32(n),
            Self::Int64(n) => serializer.serialize_i64(n),
            Self::Double(n) => serializer.serialize_f64(n),
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumberVisitor)
    }
}

struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_i32<E: de::Error>(self, n: i32) -> Result<Number, E> {
        Ok(Number::Int32(n))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Number, E> {
        Ok(Number::Int64(n))
    }

    /// Only text formats (JSON) produce unsigned integers; BSON has none.
    /// Store them the Node way.
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Number, E> {
        Ok(i32::try_from(n).map_or(Number::node(n as f64), Number::Int32))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Number, E> {
        Ok(Number::Double(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{self, doc, Bson};

    #[derive(Serialize, Deserialize)]
    struct Holder {
        n: Number,
    }

    fn round_trip(value: Bson) -> Bson {
        let holder: Holder = bson::from_document(doc! { "n": value }).unwrap();
        bson::to_document(&holder)
            .unwrap()
            .get("n")
            .unwrap()
            .clone()
    }

    #[test]
    fn keeps_the_stored_bson_type() {
        assert_eq!(round_trip(Bson::Int32(6)), Bson::Int32(6));
        assert_eq!(round_trip(Bson::Int64(6)), Bson::Int64(6));
        assert_eq!(round_trip(Bson::Double(6.0)), Bson::Double(6.0));
        assert_eq!(
            round_trip(Bson::Double(1.1099999999999999)),
            Bson::Double(1.1099999999999999)
        );
    }

    #[test]
    fn new_values_follow_the_node_convention() {
        assert_eq!(Number::node(6.0), Number::Int32(6));
        assert_eq!(Number::node(6.5), Number::Double(6.5));
        assert_eq!(Number::node(1e12), Number::Double(1e12));
    }

    #[test]
    fn reads_json_numbers() {
        let holder: Holder = serde_json::from_str(r#"{"n": 7}"#).unwrap();
        assert_eq!(holder.n, Number::Int32(7));
        let holder: Holder = serde_json::from_str(r#"{"n": 7.25}"#).unwrap();
        assert_eq!(holder.n.as_f64(), 7.25);
    }
}
