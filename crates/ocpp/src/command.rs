//! What the central system asks of a charger: each command a CALL with a correlation id, answered by
//! the charger's CALLRESULT or CALLERROR, or by a timeout.

use serde_json::{json, Value};

use crate::frame::ErrorCode;

/// A request from the central system to a charger.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    RemoteStartTransaction {
        connector_id: Option<u32>,
        id_tag: String,
    },
    RemoteStopTransaction {
        transaction_id: i32,
    },
    Reset {
        hard: bool,
    },
    UnlockConnector {
        connector_id: u32,
    },
    ChangeAvailability {
        connector_id: u32,
        operative: bool,
    },
    GetConfiguration {
        keys: Vec<String>,
    },
    ChangeConfiguration {
        key: String,
        value: String,
    },
    /// A charging profile, as its OCPP JSON (`csChargingProfiles`).
    SetChargingProfile {
        connector_id: u32,
        profile: Value,
    },
    ClearChargingProfile {
        id: Option<i32>,
        connector_id: Option<u32>,
        purpose: Option<String>,
    },
    TriggerMessage {
        message: String,
        connector_id: Option<u32>,
    },
}

impl Command {
    /// The action name of the CALL.
    pub fn action(&self) -> &'static str {
        match self {
            Self::RemoteStartTransaction { .. } => "RemoteStartTransaction",
            Self::RemoteStopTransaction { .. } => "RemoteStopTransaction",
            Self::Reset { .. } => "Reset",
            Self::UnlockConnector { .. } => "UnlockConnector",
            Self::ChangeAvailability { .. } => "ChangeAvailability",
            Self::GetConfiguration { .. } => "GetConfiguration",
            Self::ChangeConfiguration { .. } => "ChangeConfiguration",
            Self::SetChargingProfile { .. } => "SetChargingProfile",
            Self::ClearChargingProfile { .. } => "ClearChargingProfile",
            Self::TriggerMessage { .. } => "TriggerMessage",
        }
    }

    /// The CALL's payload.
    pub fn payload(&self) -> Value {
        let mut payload = match self {
            Self::RemoteStartTransaction {
                connector_id,
                id_tag,
            } => json!({"connectorId": connector_id, "idTag": id_tag}),
            Self::RemoteStopTransaction { transaction_id } => {
                json!({"transactionId": transaction_id})
            }
            Self::Reset { hard } => json!({"type": if *hard { "Hard" } else { "Soft" }}),
            Self::UnlockConnector { connector_id } => json!({"connectorId": connector_id}),
            Self::ChangeAvailability {
                connector_id,
                operative,
            } => {
                json!({"connectorId": connector_id, "type": if *operative { "Operative" } else { "Inoperative" }})
            }
            Self::GetConfiguration { keys } if keys.is_empty() => json!({}),
            Self::GetConfiguration { keys } => json!({"key": keys}),
            Self::ChangeConfiguration { key, value } => json!({"key": key, "value": value}),
            Self::SetChargingProfile {
                connector_id,
                profile,
            } => {
                json!({"connectorId": connector_id, "csChargingProfiles": profile})
            }
            Self::ClearChargingProfile {
                id,
                connector_id,
                purpose,
            } => {
                json!({"id": id, "connectorId": connector_id, "chargingProfilePurpose": purpose})
            }
            Self::TriggerMessage {
                message,
                connector_id,
            } => json!({"requestedMessage": message, "connectorId": connector_id}),
        };
        if let Some(object) = payload.as_object_mut() {
            object.retain(|_, value| !value.is_null());
        }
        payload
    }
}

/// Why a command got no answer the caller can use.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CommandError {
    /// No connection to this charger here.
    #[error("the charger is offline")]
    Offline,
    /// The charger did not answer in time.
    #[error("the charger did not answer within {} seconds", .0.as_secs_f64())]
    Timeout(std::time::Duration),
    /// The connection closed before the answer came.
    #[error("the charger disconnected before answering")]
    Disconnected,
    /// The charger answered with a CALLERROR.
    #[error("the charger refused: {code} {description}", code = .0.as_str(), description = .1)]
    Refused(ErrorCode, String),
    /// Too many commands are queued for this charger.
    #[error("the charger is busy; try again")]
    Busy,
}

/// The `status` field of an answer (`Accepted`, `Rejected`, …), if it has one.
pub fn status_of(answer: &Value) -> Option<&str> {
    answer.get("status").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_leave_out_what_is_not_given() {
        let start = Command::RemoteStartTransaction {
            connector_id: None,
            id_tag: "TAG".into(),
        };
        assert_eq!(start.payload(), json!({"idTag": "TAG"}));
        assert_eq!(
            Command::Reset { hard: true }.payload(),
            json!({"type": "Hard"})
        );
        assert_eq!(
            Command::GetConfiguration { keys: vec![] }.payload(),
            json!({})
        );
        let clear = Command::ClearChargingProfile {
            id: None,
            connector_id: Some(1),
            purpose: None,
        };
        assert_eq!(clear.payload(), json!({"connectorId": 1}));
    }
}
