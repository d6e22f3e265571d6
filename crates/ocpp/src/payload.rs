//! Reading a payload into its typed message. The deserialiser here works on the JSON a frame already
//! holds and reports *what kind* of mistake it met (a field missing, a wrong JSON type, a value outside
//! its set), so the CALLERROR code follows from the kind, never from the wording of a message.

use std::fmt;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Unexpected, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::Value;

use crate::frame::ErrorCode;

/// What was wrong with a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mistake {
    /// A required field is absent.
    Missing,
    /// A field has the wrong JSON type (`"connectorId": "one"`).
    WrongType,
    /// A value outside its enumeration, range or format.
    BadValue,
    /// A list with too many or too few items.
    WrongCount,
}

impl Mistake {
    /// The CALLERROR code OCPP-J 1.6 gives this kind of mistake.
    pub fn code(self) -> ErrorCode {
        match self {
            Self::Missing => ErrorCode::ProtocolError,
            Self::WrongType => ErrorCode::TypeConstraintViolation,
            Self::BadValue => ErrorCode::PropertyConstraintViolation,
            Self::WrongCount => ErrorCode::OccurenceConstraintViolation,
        }
    }
}

/// A payload that does not fit its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadError {
    pub mistake: Mistake,
    pub description: String,
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

impl std::error::Error for PayloadError {}

impl PayloadError {
    fn new(mistake: Mistake, description: impl fmt::Display) -> Self {
        Self {
            mistake,
            description: description.to_string(),
        }
    }
}

impl de::Error for PayloadError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(Mistake::BadValue, message)
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self::new(
            Mistake::WrongType,
            format_args!("invalid type: {unexpected}, expected {expected}"),
        )
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self::new(
            Mistake::BadValue,
            format_args!("invalid value: {unexpected}, expected {expected}"),
        )
    }

    fn invalid_length(len: usize, expected: &dyn de::Expected) -> Self {
        Self::new(
            Mistake::WrongCount,
            format_args!("{len} items, expected {expected}"),
        )
    }

    fn unknown_variant(variant: &str, _expected: &'static [&'static str]) -> Self {
        let shown: String = variant.chars().take(40).collect();
        Self::new(Mistake::BadValue, format_args!("unknown value `{shown}`"))
    }

    fn missing_field(field: &'static str) -> Self {
        Self::new(Mistake::Missing, format_args!("missing field `{field}`"))
    }
}

/// Reads `payload` as a `T`, taking its strings without copying them.
pub fn read<T: DeserializeOwned>(payload: Value) -> Result<T, PayloadError> {
    T::deserialize(Node(payload))
}

/// A JSON value as a serde deserialiser whose errors say their kind.
pub struct Node(pub Value);

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("a number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<'de> de::Deserializer<'de> for Node {
    type Error = PayloadError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PayloadError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(Node));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Object(fields) => {
                let mut map = MapDeserializer::new(fields.into_iter().map(|(k, v)| (k, Node(v))));
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PayloadError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Node(other)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PayloadError> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            other => Err(de::Error::invalid_type(unexpected(&other), &"a string")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PayloadError> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, PayloadError> for Node {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        connector_id: u32,
        meter: i64,
        tags: Option<Vec<String>>,
        kind: Option<Kind>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    enum Kind {
        Fast,
    }

    fn mistake(payload: Value) -> Mistake {
        read::<Sample>(payload).unwrap_err().mistake
    }

    #[test]
    fn reads_what_fits() {
        let sample: Sample = read(json!({"connectorId": 1, "meter": 3_000_000_000_i64, "tags": ["a"], "kind": "Fast", "extra": true})).unwrap();
        assert_eq!(sample.meter, 3_000_000_000);
        assert_eq!(sample.kind, Some(Kind::Fast));
    }

    #[test]
    fn each_mistake_has_its_kind() {
        assert_eq!(mistake(json!({"meter": 1})), Mistake::Missing);
        assert_eq!(
            mistake(json!({"connectorId": "1", "meter": 1})),
            Mistake::WrongType
        );
        assert_eq!(
            mistake(json!({"connectorId": -1, "meter": 1})),
            Mistake::BadValue
        );
        assert_eq!(
            mistake(json!({"connectorId": 5_000_000_000_u64, "meter": 1})),
            Mistake::BadValue
        );
        assert_eq!(
            mistake(json!({"connectorId": 1, "meter": 1, "kind": "Slow"})),
            Mistake::BadValue
        );
        assert_eq!(
            mistake(json!({"connectorId": 1, "meter": 1, "kind": 7})),
            Mistake::WrongType
        );
        assert_eq!(
            mistake(json!({"connectorId": 1, "meter": 1.5})),
            Mistake::WrongType
        );
        assert_eq!(
            mistake(json!({"connectorId": 1, "meter": 1, "tags": "a"})),
            Mistake::WrongType
        );
    }
}
