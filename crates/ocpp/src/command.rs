//! What the central system asks of a charger, as rust-ocpp's request types: each command a CALL with a
//! correlation id, answered by the charger's CALLRESULT (read into the matching response type) or
//! CALLERROR, or by its deadline passing.

use rust_ocpp::v1_6::messages::change_availability::{
    ChangeAvailabilityRequest, ChangeAvailabilityResponse,
};
use rust_ocpp::v1_6::messages::change_configuration::{
    ChangeConfigurationRequest, ChangeConfigurationResponse,
};
use rust_ocpp::v1_6::messages::clear_cache::{ClearCacheRequest, ClearCacheResponse};
use rust_ocpp::v1_6::messages::clear_charging_profile::{
    ClearChargingProfileRequest, ClearChargingProfileResponse,
};
use rust_ocpp::v1_6::messages::data_transfer::{DataTransferRequest, DataTransferResponse};
use rust_ocpp::v1_6::messages::get_composite_schedule::{
    GetCompositeScheduleRequest, GetCompositeScheduleResponse,
};
use rust_ocpp::v1_6::messages::get_configuration::{
    GetConfigurationRequest, GetConfigurationResponse,
};
use rust_ocpp::v1_6::messages::get_diagnostics::{GetDiagnosticsRequest, GetDiagnosticsResponse};
use rust_ocpp::v1_6::messages::get_local_list_version::{
    GetLocalListVersionRequest, GetLocalListVersionResponse,
};
use rust_ocpp::v1_6::messages::remote_start_transaction::{
    RemoteStartTransactionRequest, RemoteStartTransactionResponse,
};
use rust_ocpp::v1_6::messages::remote_stop_transaction::{
    RemoteStopTransactionRequest, RemoteStopTransactionResponse,
};
use rust_ocpp::v1_6::messages::reset::{ResetRequest, ResetResponse};
use rust_ocpp::v1_6::messages::send_local_list::{SendLocalListRequest, SendLocalListResponse};
use rust_ocpp::v1_6::messages::set_charging_profile::{
    SetChargingProfileRequest, SetChargingProfileResponse,
};
use rust_ocpp::v1_6::messages::trigger_message::{TriggerMessageRequest, TriggerMessageResponse};
use rust_ocpp::v1_6::messages::unlock_connector::{
    UnlockConnectorRequest, UnlockConnectorResponse,
};
use rust_ocpp::v1_6::messages::update_firmware::{UpdateFirmwareRequest, UpdateFirmwareResponse};
use serde::Serialize;
use serde_json::Value;

use crate::frame::{call_text, ErrorCode};
use crate::payload::{self, PayloadError};

macro_rules! commands {
    ($($name:ident($request:ty) -> $response:ty,)*) => {
        /// A request from the central system to a charger.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Command {
            $($name($request),)*
        }

        /// A charger's answer to a [`Command`], typed after the command.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Answer {
            $($name($response),)*
        }

        impl Command {
            /// The action name of the CALL.
            pub fn action(&self) -> &'static str {
                match self {
                    $(Self::$name(_) => stringify!($name),)*
                }
            }

            /// The CALL's text with message id `id`.
            pub fn call_text(&self, id: &str) -> String {
                match self {
                    $(Self::$name(request) => call_text(id, stringify!($name), request),)*
                }
            }

            /// The CALL's payload as JSON (for the audit log and tests).
            pub fn payload(&self) -> Value {
                let payload = match self {
                    $(Self::$name(request) => serde_json::to_value(request),)*
                };
                payload.unwrap_or_default()
            }

            /// Reads a command back from its action and payload (as another process sent it).
            pub fn read(action: &str, payload: Value) -> Result<Self, PayloadError> {
                match action {
                    $(stringify!($name) => Ok(Self::$name(payload::read(payload)?)),)*
                    _ => Err(PayloadError {
                        mistake: payload::Mistake::BadValue,
                        description: format!("{action} is not a command"),
                    }),
                }
            }
        }

        impl Answer {
            /// Reads the CALLRESULT payload answering a command of `action`.
            pub fn read(action: &str, payload: Value) -> Result<Self, PayloadError> {
                match action {
                    $(stringify!($name) => Ok(Self::$name(payload::read(payload)?)),)*
                    _ => Err(PayloadError {
                        mistake: payload::Mistake::BadValue,
                        description: format!("{action} is not a command"),
                    }),
                }
            }
        }
    };
}

commands! {
    RemoteStartTransaction(RemoteStartTransactionRequest) -> RemoteStartTransactionResponse,
    RemoteStopTransaction(RemoteStopTransactionRequest) -> RemoteStopTransactionResponse,
    Reset(ResetRequest) -> ResetResponse,
    UnlockConnector(UnlockConnectorRequest) -> UnlockConnectorResponse,
    ChangeAvailability(ChangeAvailabilityRequest) -> ChangeAvailabilityResponse,
    GetConfiguration(GetConfigurationRequest) -> GetConfigurationResponse,
    ChangeConfiguration(ChangeConfigurationRequest) -> ChangeConfigurationResponse,
    SetChargingProfile(SetChargingProfileRequest) -> SetChargingProfileResponse,
    ClearChargingProfile(ClearChargingProfileRequest) -> ClearChargingProfileResponse,
    TriggerMessage(TriggerMessageRequest) -> TriggerMessageResponse,
    ClearCache(ClearCacheRequest) -> ClearCacheResponse,
    GetLocalListVersion(GetLocalListVersionRequest) -> GetLocalListVersionResponse,
    SendLocalList(SendLocalListRequest) -> SendLocalListResponse,
    UpdateFirmware(UpdateFirmwareRequest) -> UpdateFirmwareResponse,
    GetDiagnostics(GetDiagnosticsRequest) -> GetDiagnosticsResponse,
    GetCompositeSchedule(GetCompositeScheduleRequest) -> GetCompositeScheduleResponse,
    DataTransfer(DataTransferRequest) -> DataTransferResponse,
}

/// The name an OCPP enumeration value has on the wire (`"Accepted"`, `"Charging"`).
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => String::new(),
    }
}

impl Answer {
    /// The answer in a few words: its status (`Accepted`, `Unlocked`, …) or what it holds.
    pub fn summary(&self) -> String {
        match self {
            Self::GetConfiguration(answer) => {
                let known = answer.configuration_key.as_ref().map_or(0, Vec::len);
                let unknown = answer.unknown_key.as_ref().map_or(0, Vec::len);
                format!("{known} keys, {unknown} unknown")
            }
            Self::GetLocalListVersion(answer) => format!("list version {}", answer.list_version),
            Self::GetDiagnostics(answer) => match &answer.file_name {
                Some(name) => format!("file {name}"),
                None => "no file".to_owned(),
            },
            Self::UpdateFirmware(_) => "Accepted".to_owned(),
            other => match serde_json::to_value(other) {
                Ok(Value::Object(fields)) => match fields.get("status") {
                    Some(Value::String(status)) => status.clone(),
                    _ => "done".to_owned(),
                },
                _ => "done".to_owned(),
            },
        }
    }
}

/// Why a command got no answer the caller can use.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CommandError {
    /// No connection to this charger here.
    #[error("the charger is offline")]
    Offline,
    /// Earlier commands kept the charger busy until this one's deadline; it was never sent.
    #[error("the charger was busy until the deadline; the command was not sent")]
    Expired,
    /// The connection closed before the command could be sent.
    #[error("the charger's connection closed before the command was sent")]
    Dropped,
    /// The charger did not answer in time.
    #[error("the charger did not answer within {} seconds", .0.as_secs_f64())]
    Timeout(std::time::Duration),
    /// The connection closed before the answer came.
    #[error("the charger disconnected before answering")]
    Disconnected,
    /// A newer connection of the charger replaced the one the command went out on.
    #[error("the charger reconnected before answering; the outcome is unknown")]
    Replaced,
    /// The charger answered with a CALLERROR.
    #[error("the charger refused: {code} {description}", code = .0.as_str(), description = .1)]
    Refused(ErrorCode, String),
    /// Too many commands are queued for this charger.
    #[error("the charger is busy; try again")]
    Busy,
    /// The charger's answer does not fit the command's response.
    #[error("the charger's answer could not be read: {0}")]
    BadAnswer(String),
}

impl CommandError {
    /// Whether the charger may have carried the command out: true once it was sent and no clear
    /// refusal came back.
    pub fn may_have_run(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::Disconnected | Self::Replaced | Self::BadAnswer(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_ocpp::v1_6::types::ResetRequestStatus;
    use serde_json::json;

    #[test]
    fn calls_leave_out_what_is_not_given() {
        let start = Command::RemoteStartTransaction(RemoteStartTransactionRequest {
            connector_id: None,
            id_tag: "TAG".into(),
            charging_profile: None,
        });
        assert_eq!(start.payload(), json!({"idTag": "TAG"}));
        let reset = Command::Reset(ResetRequest {
            kind: ResetRequestStatus::Hard,
        });
        assert_eq!(reset.call_text("7"), r#"[2,"7","Reset",{"type":"Hard"}]"#);
        assert_eq!(
            Command::GetConfiguration(GetConfigurationRequest { key: None }).payload(),
            json!({})
        );
        assert_eq!(
            Command::ClearCache(ClearCacheRequest {}).call_text("1"),
            r#"[2,"1","ClearCache",{}]"#
        );
        let clear = Command::ClearChargingProfile(ClearChargingProfileRequest {
            connector_id: Some(1),
            ..Default::default()
        });
        assert_eq!(clear.payload(), json!({"connectorId": 1}));
    }

    #[test]
    fn answers_are_read_by_their_command() {
        let answer = Answer::read("UnlockConnector", json!({"status": "Unlocked"})).unwrap();
        assert_eq!(answer.summary(), "Unlocked");
        assert!(Answer::read("UnlockConnector", json!({"status": "Opened"})).is_err());
        let answer = Answer::read("GetDiagnostics", json!({"fileName": "diag.log"})).unwrap();
        assert_eq!(answer.summary(), "file diag.log");
        assert_eq!(
            Answer::read("UpdateFirmware", json!({})).unwrap().summary(),
            "Accepted"
        );
    }
}
