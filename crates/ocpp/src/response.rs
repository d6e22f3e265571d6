//! The central system's answers to chargers' requests, as rust-ocpp's types: a schema change breaks
//! the build, not a charger.

use rust_ocpp::v1_6::messages::authorize::AuthorizeResponse;
use rust_ocpp::v1_6::messages::boot_notification::BootNotificationResponse;
use rust_ocpp::v1_6::messages::data_transfer::DataTransferResponse;
use rust_ocpp::v1_6::messages::diagnostics_status_notification::DiagnosticsStatusNotificationResponse;
use rust_ocpp::v1_6::messages::firmware_status_notification::FirmwareStatusNotificationResponse;
use rust_ocpp::v1_6::messages::heart_beat::HeartbeatResponse;
use rust_ocpp::v1_6::messages::meter_values::MeterValuesResponse;
use rust_ocpp::v1_6::messages::start_transaction::StartTransactionResponse;
use rust_ocpp::v1_6::messages::status_notification::StatusNotificationResponse;
use rust_ocpp::v1_6::messages::stop_transaction::StopTransactionResponse;
use serde::Serialize;

/// The payload of a CALLRESULT to a charger.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ChargerResponse {
    BootNotification(BootNotificationResponse),
    Heartbeat(HeartbeatResponse),
    StatusNotification(StatusNotificationResponse),
    Authorize(AuthorizeResponse),
    StartTransaction(StartTransactionResponse),
    StopTransaction(StopTransactionResponse),
    MeterValues(MeterValuesResponse),
    DataTransfer(DataTransferResponse),
    FirmwareStatusNotification(FirmwareStatusNotificationResponse),
    DiagnosticsStatusNotification(DiagnosticsStatusNotificationResponse),
}
