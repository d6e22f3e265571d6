//! OCPP-J frames: `[2, id, action, payload]` (CALL), `[3, id, payload]` (CALLRESULT),
//! `[4, id, code, description, details]` (CALLERROR).

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
    /// Reads a frame; anything else is a [`BadFrame`] to answer with a CALLERROR.
    pub fn parse(text: &str) -> Result<Self, BadFrame> {
        let value: Value = serde_json::from_str(text).map_err(|_| bad(None, "not valid JSON"))?;
        let items = value
            .as_array()
            .ok_or_else(|| bad(None, "a frame is a JSON array"))?;
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
        let object = |index: usize| items.get(index).filter(|v| v.is_object()).cloned();
        match (items.first().and_then(Value::as_u64), items.len()) {
            (Some(2), 4) => {
                let action = items[2]
                    .as_str()
                    .ok_or_else(|| bad(Some(id), "the action must be a string"))?;
                let payload =
                    object(3).ok_or_else(|| bad(Some(id), "the payload must be a JSON object"))?;
                Ok(Self::Call {
                    id: id.to_owned(),
                    action: action.to_owned(),
                    payload,
                })
            }
            (Some(3), 3) => {
                let payload =
                    object(2).ok_or_else(|| bad(Some(id), "the payload must be a JSON object"))?;
                Ok(Self::CallResult {
                    id: id.to_owned(),
                    payload,
                })
            }
            (Some(4), 5) => {
                let code = items[2]
                    .as_str()
                    .ok_or_else(|| bad(Some(id), "the error code must be a string"))?;
                let description = items[3].as_str().unwrap_or_default().to_owned();
                let details = object(4).unwrap_or_else(|| json!({}));
                Ok(Self::CallError {
                    id: id.to_owned(),
                    code: ErrorCode::parse(code),
                    description,
                    details,
                })
            }
            (Some(2..=4), _) => Err(bad(
                Some(id),
                "wrong number of elements for this message type",
            )),
            _ => Err(BadFrame {
                id: Some(id.to_owned()),
                code: ErrorCode::ProtocolError,
                description: "unknown message type".into(),
            }),
        }
    }

    /// The frame as text.
    pub fn to_text(&self) -> String {
        let value = match self {
            Self::Call {
                id,
                action,
                payload,
            } => json!([2, id, action, payload]),
            Self::CallResult { id, payload } => json!([3, id, payload]),
            Self::CallError {
                id,
                code,
                description,
                details,
            } => json!([4, id, code.as_str(), description, details]),
        };
        value.to_string()
    }

    /// A CALLERROR answering `id` (or `-1` when the id could not be read).
    pub fn error(id: Option<&str>, code: ErrorCode, description: &str) -> Self {
        Self::CallError {
            id: id.unwrap_or("-1").to_owned(),
            code,
            description: description.to_owned(),
            details: json!({}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_the_three_kinds() {
        let call = Frame::parse(r#"[2,"19223201","Heartbeat",{}]"#).unwrap();
        assert_eq!(
            call,
            Frame::Call {
                id: "19223201".into(),
                action: "Heartbeat".into(),
                payload: json!({})
            }
        );
        let result = Frame::parse(r#"[3,"a",{"status":"Accepted"}]"#).unwrap();
        assert_eq!(
            result,
            Frame::CallResult {
                id: "a".into(),
                payload: json!({"status": "Accepted"})
            }
        );
        let error = Frame::parse(r#"[4,"b","NotSupported","no",{}]"#).unwrap();
        assert!(matches!(
            error,
            Frame::CallError {
                code: ErrorCode::NotSupported,
                ..
            }
        ));
        assert_eq!(Frame::parse(&call.to_text()).unwrap(), call);
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
            let refused = Frame::parse(text).unwrap_err();
            assert_eq!((refused.id.as_deref(), refused.code), (id, code), "{text}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC*") {
            let _ = Frame::parse(&text);
        }

        #[test]
        fn calls_round_trip(id in "[a-zA-Z0-9-]{1,36}", action in "[A-Za-z]{1,30}") {
            let call = Frame::Call { id, action, payload: json!({"k": 1}) };
            prop_assert_eq!(Frame::parse(&call.to_text()).unwrap(), call);
        }
    }
}
