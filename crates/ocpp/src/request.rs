//! What a charger may ask of the central system, typed and checked. A payload that does not fit its
//! action is refused with the OCPP error code that says why.

use rust_ocpp::v1_6::messages::authorize::AuthorizeRequest;
use rust_ocpp::v1_6::messages::boot_notification::BootNotificationRequest;
use rust_ocpp::v1_6::messages::data_transfer::DataTransferRequest;
use rust_ocpp::v1_6::messages::diagnostics_status_notification::DiagnosticsStatusNotificationRequest;
use rust_ocpp::v1_6::messages::firmware_status_notification::FirmwareStatusNotificationRequest;
use rust_ocpp::v1_6::messages::heart_beat::HeartbeatRequest;
use rust_ocpp::v1_6::messages::meter_values::MeterValuesRequest;
use rust_ocpp::v1_6::messages::start_transaction::StartTransactionRequest;
use rust_ocpp::v1_6::messages::status_notification::StatusNotificationRequest;
use rust_ocpp::v1_6::messages::stop_transaction::StopTransactionRequest;
use serde::de::DeserializeOwned;
use serde_json::Value;
use validator::Validate;

use crate::frame::ErrorCode;

/// A request from a charger.
#[derive(Clone, Debug, PartialEq)]
pub enum ChargerRequest {
    BootNotification(BootNotificationRequest),
    Heartbeat,
    StatusNotification(StatusNotificationRequest),
    Authorize(AuthorizeRequest),
    StartTransaction(StartTransactionRequest),
    StopTransaction(StopTransactionRequest),
    MeterValues(MeterValuesRequest),
    DataTransfer(DataTransferRequest),
    FirmwareStatusNotification(FirmwareStatusNotificationRequest),
    DiagnosticsStatusNotification(DiagnosticsStatusNotificationRequest),
}

/// Why a CALL was refused: the CALLERROR to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub description: String,
}

/// Maps serde's complaint to OCPP's vocabulary: missing → ProtocolError ("incomplete"), wrong JSON type →
/// TypeConstraintViolation, a value outside its set or format → PropertyConstraintViolation.
fn classify(error: &serde_json::Error) -> Refusal {
    let message = error.to_string();
    let code = if message.starts_with("missing field") {
        ErrorCode::ProtocolError
    } else if message.starts_with("invalid type") {
        ErrorCode::TypeConstraintViolation
    } else if message.starts_with("unknown variant")
        || message.starts_with("invalid value")
        || message.contains("premature end")
        || message.contains("input contains invalid characters")
        || message.contains("input is out of range")
        || message.contains("trailing input")
    {
        ErrorCode::PropertyConstraintViolation
    } else {
        ErrorCode::FormationViolation
    };
    Refusal {
        code,
        description: message,
    }
}

fn typed<T: DeserializeOwned>(payload: Value) -> Result<T, Refusal> {
    serde_json::from_value(payload).map_err(|e| classify(&e))
}

fn validated<T: DeserializeOwned + Validate>(payload: Value) -> Result<T, Refusal> {
    let value: T = typed(payload)?;
    value.validate().map_err(|e| Refusal {
        code: ErrorCode::PropertyConstraintViolation,
        description: e.to_string().replace('\n', "; "),
    })?;
    Ok(value)
}

impl ChargerRequest {
    /// Reads the payload of a CALL for `action`.
    pub fn parse(action: &str, payload: Value) -> Result<Self, Refusal> {
        Ok(match action {
            "BootNotification" => Self::BootNotification(validated(payload)?),
            "Heartbeat" => {
                let _: HeartbeatRequest = typed(payload)?;
                Self::Heartbeat
            }
            "StatusNotification" => Self::StatusNotification(validated(payload)?),
            "Authorize" => Self::Authorize(validated(payload)?),
            "StartTransaction" => Self::StartTransaction(validated(payload)?),
            "StopTransaction" => Self::StopTransaction(validated(payload)?),
            "MeterValues" => Self::MeterValues(typed(payload)?),
            "DataTransfer" => Self::DataTransfer(validated(payload)?),
            "FirmwareStatusNotification" => Self::FirmwareStatusNotification(typed(payload)?),
            "DiagnosticsStatusNotification" => Self::DiagnosticsStatusNotification(typed(payload)?),
            other => {
                return Err(Refusal {
                    code: ErrorCode::NotImplemented,
                    description: format!(
                        "{} is not an action a charge point sends",
                        other.chars().take(40).collect::<String>()
                    ),
                })
            }
        })
    }

    /// The action's name.
    pub fn action(&self) -> &'static str {
        match self {
            Self::BootNotification(_) => "BootNotification",
            Self::Heartbeat => "Heartbeat",
            Self::StatusNotification(_) => "StatusNotification",
            Self::Authorize(_) => "Authorize",
            Self::StartTransaction(_) => "StartTransaction",
            Self::StopTransaction(_) => "StopTransaction",
            Self::MeterValues(_) => "MeterValues",
            Self::DataTransfer(_) => "DataTransfer",
            Self::FirmwareStatusNotification(_) => "FirmwareStatusNotification",
            Self::DiagnosticsStatusNotification(_) => "DiagnosticsStatusNotification",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(action: &str, payload: Value) -> ErrorCode {
        ChargerRequest::parse(action, payload).unwrap_err().code
    }

    #[test]
    fn reads_the_requests_a_charger_sends() {
        let boot = ChargerRequest::parse(
            "BootNotification",
            json!({"chargePointVendor": "V", "chargePointModel": "M"}),
        );
        assert!(matches!(boot, Ok(ChargerRequest::BootNotification(_))));
        assert_eq!(
            ChargerRequest::parse("Heartbeat", json!({})).unwrap(),
            ChargerRequest::Heartbeat
        );
        let start = json!({"connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": "2026-11-25T12:00:00Z"});
        assert!(matches!(
            ChargerRequest::parse("StartTransaction", start),
            Ok(ChargerRequest::StartTransaction(_))
        ));
    }

    #[test]
    fn refusals_carry_the_right_code() {
        assert_eq!(
            refused("FlyToTheMoon", json!({})),
            ErrorCode::NotImplemented
        );
        assert_eq!(
            refused("BootNotification", json!({"chargePointVendor": "V"})),
            ErrorCode::ProtocolError
        );
        assert_eq!(
            refused(
                "BootNotification",
                json!({"chargePointVendor": 5, "chargePointModel": "M"})
            ),
            ErrorCode::TypeConstraintViolation
        );
        assert_eq!(
            refused(
                "BootNotification",
                json!({"chargePointVendor": "V".repeat(21), "chargePointModel": "M"})
            ),
            ErrorCode::PropertyConstraintViolation
        );
        let status = json!({"connectorId": 1, "errorCode": "NoError", "status": "Exploding"});
        assert_eq!(
            refused("StatusNotification", status),
            ErrorCode::PropertyConstraintViolation
        );
        let start =
            json!({"connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": "yesterday"});
        assert_eq!(
            refused("StartTransaction", start),
            ErrorCode::PropertyConstraintViolation
        );
    }
}
