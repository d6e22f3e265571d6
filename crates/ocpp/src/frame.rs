//! OCPP-J frames: `[2, id, action, payload]` (CALL), `[3, id, payload]` (CALLRESULT),
//! `[4, id, code, description, details]` (CALLERROR).

use serde::Serialize;
use serde_json::{json, Value};

/// The longest message id OCPP 1.6 allows.
pub const MAX_ID_LEN: usize = 36;

/// CALLERROR codes of OCPP 1.6 (the spec spells "Occurence").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    NotImplemented,
    NotSupported,
    InternalError,
    ProtocolError,
    SecurityError,
    FormationViolation,
    PropertyConstraintViolation,
    OccurenceConstraintViolation,
    TypeConstraintViolation,
    GenericError,
}

impl ErrorCode {
    /// The code as it travels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotImplemented => "NotImplemented",
            Self::NotSupported => "NotSupported",
            Self::InternalError => "InternalError",
            Self::ProtocolError => "ProtocolError",
            Self::SecurityError => "SecurityError",
            Self::FormationViolation => "FormationViolation",
            Self::PropertyConstraintViolation => "PropertyConstraintViolation",
            Self::OccurenceConstraintViolation => "OccurenceConstraintViolation",
            Self::TypeConstraintViolation => "TypeConstraintViolation",
            Self::GenericError => "GenericError",
        }
    }

    /// Reads a code a charger sent; unknown codes count as `GenericError`.
    pub fn parse(raw: &str) -> Self {
        [
            Self::NotImplemented,
            Self::NotSupported,
            Self::InternalError,
            Self::ProtocolError,
            Self::SecurityError,
            Self::FormationViolation,
            Self::PropertyConstraintViolation,
            Self::OccurenceConstraintViolation,
            Self::TypeConstraintViolation,
        ]
        .into_iter()
        .find(|code| code.as_str() == raw)
        .unwrap_or(Self::GenericError)
    }
}

/// One OCPP-J message.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    Call {
        id: String,
        action: String,
        payload: Value,
    },
    CallResult {
        id: String,
        payload: Value,
    },
    CallError {
        id: String,
        code: ErrorCode,
        description: String,
        details: Value,
    },
}

/// A text that is not a well-formed frame, with what to answer.
#[derive(Clone, Debug, PartialEq)]
pub struct BadFrame {
    /// The message id, when one could be read (else the answer uses `-1`).
    pub id: Option<String>,
    pub code: ErrorCode,
    pub description: String,
}

fn bad(id: Option<&str>, description: &str) -> BadFrame {
    BadFrame {
        id: id.map(str::to_owned),
        code: ErrorCode::FormationViolation,
        description: description.to_owned(),
    }
}

impl Frame {
    /// Reads a frame; anything else is a [`BadFrame`] to answer with a CALLERROR. The payload is taken
    /// out of the parsed JSON, not copied.
    pub fn parse(text: &[u8]) -> Result<Self, BadFrame> {
        let value: Value = serde_json::from_slice(text).map_err(|_| bad(None, "not valid JSON"))?;
        let Value::Array(items) = value else {
            return Err(bad(None, "a frame is a JSON array"));
        };
        let id = items
            .get(1)
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty() && id.len() <= MAX_ID_LEN);
        let Some(id) = id else {
            return Err(bad(
                None,
                "the message id must be a string of 1 to 36 characters",
            ));
        };
        let id = id.to_owned();
        let kind = items.first().and_then(Value::as_u64);
        let mut rest = items.into_iter().skip(2);
        let object = |item: Option<Value>| match item {
            Some(payload @ Value::Object(_)) => Ok(payload),
            _ => Err(bad(Some(&id), "the payload must be a JSON object")),
        };
        match (kind, rest.len()) {
            (Some(2), 2) => {
                let Some(Value::String(action)) = rest.next() else {
                    return Err(bad(Some(&id), "the action must be a string"));
                };
                let payload = object(rest.next())?;
                Ok(Self::Call {
                    id,
                    action,
                    payload,
                })
            }
            (Some(3), 1) => {
                let payload = object(rest.next())?;
                Ok(Self::CallResult { id, payload })
            }
            (Some(4), 3) => {
                let Some(Value::String(code)) = rest.next() else {
                    return Err(bad(Some(&id), "the error code must be a string"));
                };
                let description = match rest.next() {
                    Some(Value::String(text)) => text,
                    _ => String::new(),
                };
                let details = object(rest.next()).unwrap_or_else(|_| json!({}));
                Ok(Self::CallError {
                    id,
                    code: ErrorCode::parse(&code),
                    description,
                    details,
                })
            }
            (Some(2..=4), _) => Err(bad(
                Some(&id),
                "wrong number of elements for this message type",
            )),
            _ => Err(BadFrame {
                id: Some(id),
                code: ErrorCode::ProtocolError,
                description: "unknown message type".into(),
            }),
        }
    }

    /// The frame as text.
    pub fn to_text(&self) -> String {
        match self {
            Self::Call {
                id,
                action,
                payload,
            } => call_text(id, action, payload),
            Self::CallResult { id, payload } => result_text(id, payload),
            Self::CallError {
                id,
                code,
                description,
                ..
            } => error_text(Some(id), *code, description),
        }
    }
}

/// The text of a CALL, serialised straight from the typed payload.
pub fn call_text<P: Serialize + ?Sized>(id: &str, action: &str, payload: &P) -> String {
    serde_json::to_string(&(2, id, action, payload))
        .unwrap_or_else(|_| error_text(Some(id), ErrorCode::InternalError, "unserialisable"))
}

/// The text of a CALLRESULT.
pub fn result_text<P: Serialize + ?Sized>(id: &str, payload: &P) -> String {
    serde_json::to_string(&(3, id, payload)).unwrap_or_else(|_| {
        error_text(
            Some(id),
            ErrorCode::InternalError,
            "the answer could not be written",
        )
    })
}

/// The text of a CALLERROR answering `id` (or `-1` when the id could not be read).
pub fn error_text(id: Option<&str>, code: ErrorCode, description: &str) -> String {
    let details = serde_json::Map::new();
    serde_json::to_string(&(4, id.unwrap_or("-1"), code.as_str(), description, details))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_the_three_kinds() {
        let call = Frame::parse(br#"[2,"19223201","Heartbeat",{}]"#).unwrap();
        assert_eq!(
            call,
            Frame::Call {
                id: "19223201".into(),
                action: "Heartbeat".into(),
                payload: json!({})
            }
        );
        let result = Frame::parse(br#"[3,"a",{"status":"Accepted"}]"#).unwrap();
        assert_eq!(
            result,
            Frame::CallResult {
                id: "a".into(),
                payload: json!({"status": "Accepted"})
            }
        );
        let error = Frame::parse(br#"[4,"b","NotSupported","no",{}]"#).unwrap();
        assert!(matches!(
            error,
            Frame::CallError {
                code: ErrorCode::NotSupported,
                ..
            }
        ));
        assert_eq!(Frame::parse(call.to_text().as_bytes()).unwrap(), call);
    }

    #[test]
    fn refuses_malformed_frames_with_the_right_code() {
        for (text, id, code) in [
            ("not json", None, ErrorCode::FormationViolation),
            ("{}", None, ErrorCode::FormationViolation),
            ("[2]", None, ErrorCode::FormationViolation),
            (
                r#"[2,"",  "Heartbeat",{}]"#,
                None,
                ErrorCode::FormationViolation,
            ),
            (
                &format!(r#"[2,"{}","Heartbeat",{{}}]"#, "x".repeat(37)),
                None,
                ErrorCode::FormationViolation,
            ),
            (
                r#"[2,"1","Heartbeat"]"#,
                Some("1"),
                ErrorCode::FormationViolation,
            ),
            (
                r#"[2,"1","Heartbeat",[]]"#,
                Some("1"),
                ErrorCode::FormationViolation,
            ),
            (r#"[2,"1",5,{}]"#, Some("1"), ErrorCode::FormationViolation),
            (r#"[7,"1",{}]"#, Some("1"), ErrorCode::ProtocolError),
        ] {
            let refused = Frame::parse(text.as_bytes()).unwrap_err();
            assert_eq!((refused.id.as_deref(), refused.code), (id, code), "{text}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC*") {
            let _ = Frame::parse(text.as_bytes());
        }

        #[test]
        fn calls_round_trip(id in "[a-zA-Z0-9-]{1,36}", action in "[A-Za-z]{1,30}") {
            let call = Frame::Call { id, action, payload: json!({"k": 1}) };
            prop_assert_eq!(Frame::parse(call.to_text().as_bytes()).unwrap(), call);
        }
    }
}
