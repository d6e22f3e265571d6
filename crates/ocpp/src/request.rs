//! What a charger may ask of the central system, typed and checked against the OCPP 1.6 JSON schemas'
//! own constraints (types, enumerations, maxLength) — no stricter ones. A payload that does not fit its
//! action is refused with the error code its kind of mistake calls for.
//!
//! Most requests are rust-ocpp's types. Four are our own, shaped like rust-ocpp's, because the schema
//! allows more than those types accept: StartTransaction and StopTransaction carry meter readings above
//! 2³¹−1 Wh (the schema's `integer` has no bound), every timestamp may come without a time zone (read
//! as UTC), and sampled values may carry units and measurands from the 1.6 errata (`Hertz`) or be
//! unreadable altogether — one such sample never costs the whole message.

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_ocpp::v1_6::messages::authorize::AuthorizeRequest;
use rust_ocpp::v1_6::messages::boot_notification::BootNotificationRequest;
use rust_ocpp::v1_6::messages::data_transfer::DataTransferRequest;
use rust_ocpp::v1_6::messages::diagnostics_status_notification::DiagnosticsStatusNotificationRequest;
use rust_ocpp::v1_6::messages::firmware_status_notification::FirmwareStatusNotificationRequest;
use rust_ocpp::v1_6::messages::heart_beat::HeartbeatRequest;
use rust_ocpp::v1_6::types::{
    ChargePointErrorCode, ChargePointStatus, Location, Measurand, Phase, ReadingContext, Reason,
    UnitOfMeasure, ValueFormat,
};
use serde::de::{self, DeserializeOwned, Deserializer, Unexpected, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::frame::ErrorCode;
use crate::payload::{self, PayloadError};

/// A point in time as a charger reports it: RFC 3339, or without a zone, which is read as UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

/// Reads an RFC 3339 time, or one without a zone as UTC (`2026-11-25T12:00:00`, with or without a
/// fraction of a second).
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Some(time.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Time;
        impl Visitor<'_> for Time {
            type Value = Timestamp;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a date and time such as 2026-11-25T12:00:00Z")
            }
            fn visit_str<E: de::Error>(self, raw: &str) -> Result<Timestamp, E> {
                parse_time(raw)
                    .map(Timestamp)
                    .ok_or_else(|| E::invalid_value(Unexpected::Str(raw), &self))
            }
        }
        deserializer.deserialize_str(Time)
    }
}

/// An enumerated value as reported: one OCPP 1.6 names, or another (an errata unit such as `Hertz`,
/// a vendor's word), kept as it came.
#[derive(Clone, Debug, PartialEq)]
pub enum Reported<T> {
    Known(T),
    Other(String),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Reported<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        let known = T::deserialize(de::value::StrDeserializer::<de::value::Error>::new(&raw));
        Ok(match known {
            Ok(value) => Self::Known(value),
            Err(_) => Self::Other(raw),
        })
    }
}

impl<T> Reported<T> {
    /// The value, when it is one OCPP 1.6 names.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(value) => Some(value),
            Self::Other(_) => None,
        }
    }
}

/// One item of a list, read on its own: an unreadable item is left out, never a reason to refuse the
/// message that carries it.
#[derive(Clone, Debug, PartialEq)]
pub enum Item<T> {
    Read(T),
    Unreadable(String),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(match payload::read::<T>(value) {
            Ok(item) => Self::Read(item),
            Err(error) => Self::Unreadable(error.description),
        })
    }
}

/// The readable items of a list.
pub fn readable<T>(items: &[Item<T>]) -> impl Iterator<Item = &T> {
    items.iter().filter_map(|item| match item {
        Item::Read(value) => Some(value),
        Item::Unreadable(_) => None,
    })
}

/// One sampled value (rust-ocpp's `SampledValue`, with errata-tolerant enumerations).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SampledValue {
    pub value: String,
    pub context: Option<Reported<ReadingContext>>,
    pub format: Option<Reported<ValueFormat>>,
    pub measurand: Option<Reported<Measurand>>,
    pub phase: Option<Reported<Phase>>,
    pub location: Option<Reported<Location>>,
    pub unit: Option<Reported<UnitOfMeasure>>,
}

/// Sampled values taken at one moment.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterValue {
    pub timestamp: Timestamp,
    #[serde(default)]
    pub sampled_value: Vec<Item<SampledValue>>,
}

/// StatusNotification.req.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusNotification {
    pub connector_id: u32,
    pub error_code: ChargePointErrorCode,
    pub info: Option<String>,
    pub status: ChargePointStatus,
    pub timestamp: Option<Timestamp>,
    pub vendor_id: Option<String>,
    pub vendor_error_code: Option<String>,
}

/// StartTransaction.req.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartTransaction {
    pub connector_id: u32,
    pub id_tag: String,
    /// Wh; the schema's integer is not bounded to 32 bits.
    pub meter_start: i64,
    pub reservation_id: Option<i32>,
    pub timestamp: Timestamp,
}

/// StopTransaction.req.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopTransaction {
    pub id_tag: Option<String>,
    /// Wh.
    pub meter_stop: i64,
    pub timestamp: Timestamp,
    pub transaction_id: i32,
    pub reason: Option<Reason>,
    pub transaction_data: Option<Vec<Item<MeterValue>>>,
}

/// MeterValues.req.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterValues {
    pub connector_id: u32,
    pub transaction_id: Option<i32>,
    #[serde(default)]
    pub meter_value: Vec<Item<MeterValue>>,
}

/// A request from a charger.
#[derive(Clone, Debug, PartialEq)]
pub enum ChargerRequest {
    BootNotification(BootNotificationRequest),
    Heartbeat,
    StatusNotification(StatusNotification),
    Authorize(AuthorizeRequest),
    StartTransaction(StartTransaction),
    StopTransaction(StopTransaction),
    MeterValues(MeterValues),
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

impl From<PayloadError> for Refusal {
    fn from(error: PayloadError) -> Self {
        Self {
            code: error.mistake.code(),
            description: error.description,
        }
    }
}

/// The schema's `maxLength`, counted in characters.
fn at_most(field: &str, value: &str, max: usize) -> Result<(), Refusal> {
    if value.len() <= max || value.chars().count() <= max {
        return Ok(());
    }
    Err(Refusal {
        code: ErrorCode::PropertyConstraintViolation,
        description: format!("`{field}` is longer than {max} characters"),
    })
}

fn at_most_opt(field: &str, value: &Option<String>, max: usize) -> Result<(), Refusal> {
    value
        .as_deref()
        .map_or(Ok(()), |value| at_most(field, value, max))
}

/// An empty optional string is stored as absent.
fn absent_if_empty(value: &mut Option<String>) {
    if value.as_deref() == Some("") {
        *value = None;
    }
}

fn boot(payload: Value) -> Result<BootNotificationRequest, Refusal> {
    let mut boot: BootNotificationRequest = payload::read(payload)?;
    at_most("chargePointVendor", &boot.charge_point_vendor, 20)?;
    at_most("chargePointModel", &boot.charge_point_model, 20)?;
    for (field, value, max) in [
        (
            "chargePointSerialNumber",
            &mut boot.charge_point_serial_number,
            25,
        ),
        (
            "chargeBoxSerialNumber",
            &mut boot.charge_box_serial_number,
            25,
        ),
        ("firmwareVersion", &mut boot.firmware_version, 50),
        ("iccid", &mut boot.iccid, 20),
        ("imsi", &mut boot.imsi, 20),
        ("meterType", &mut boot.meter_type, 25),
        ("meterSerialNumber", &mut boot.meter_serial_number, 25),
    ] {
        at_most_opt(field, value, max)?;
        absent_if_empty(value);
    }
    Ok(boot)
}

fn status(payload: Value) -> Result<StatusNotification, Refusal> {
    let mut status: StatusNotification = payload::read(payload)?;
    for (field, value, max) in [
        ("info", &mut status.info, 50),
        ("vendorId", &mut status.vendor_id, 255),
        ("vendorErrorCode", &mut status.vendor_error_code, 50),
    ] {
        at_most_opt(field, value, max)?;
        absent_if_empty(value);
    }
    Ok(status)
}

fn data_transfer(payload: Value) -> Result<DataTransferRequest, Refusal> {
    let mut data: DataTransferRequest = payload::read(payload)?;
    at_most("vendorId", &data.vendor_string, 255)?;
    at_most_opt("messageId", &data.message_id, 50)?;
    absent_if_empty(&mut data.message_id);
    Ok(data)
}

impl ChargerRequest {
    /// Reads the payload of a CALL for `action`.
    pub fn parse(action: &str, payload: Value) -> Result<Self, Refusal> {
        Ok(match action {
            "BootNotification" => Self::BootNotification(boot(payload)?),
            "Heartbeat" => {
                let _: HeartbeatRequest = payload::read(payload)?;
                Self::Heartbeat
            }
            "StatusNotification" => Self::StatusNotification(status(payload)?),
            "Authorize" => {
                let authorize: AuthorizeRequest = payload::read(payload)?;
                at_most("idTag", &authorize.id_tag, 20)?;
                Self::Authorize(authorize)
            }
            "StartTransaction" => {
                let start: StartTransaction = payload::read(payload)?;
                at_most("idTag", &start.id_tag, 20)?;
                Self::StartTransaction(start)
            }
            "StopTransaction" => {
                let mut stop: StopTransaction = payload::read(payload)?;
                at_most_opt("idTag", &stop.id_tag, 20)?;
                absent_if_empty(&mut stop.id_tag);
                Self::StopTransaction(stop)
            }
            "MeterValues" => Self::MeterValues(payload::read(payload)?),
            "DataTransfer" => Self::DataTransfer(data_transfer(payload)?),
            "FirmwareStatusNotification" => {
                Self::FirmwareStatusNotification(payload::read(payload)?)
            }
            "DiagnosticsStatusNotification" => {
                Self::DiagnosticsStatusNotification(payload::read(payload)?)
            }
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
    fn empty_optional_strings_are_valid_and_absent() {
        let boot = json!({"chargePointVendor": "", "chargePointModel": "M", "iccid": "", "imsi": "",
            "chargePointSerialNumber": "", "chargeBoxSerialNumber": "", "firmwareVersion": "",
            "meterType": "", "meterSerialNumber": ""});
        let Ok(ChargerRequest::BootNotification(boot)) =
            ChargerRequest::parse("BootNotification", boot)
        else {
            panic!("a boot with empty optional strings is valid");
        };
        assert_eq!(
            (
                boot.iccid,
                boot.imsi,
                boot.firmware_version,
                boot.meter_type
            ),
            (None, None, None, None)
        );
        let status = json!({"connectorId": 1, "errorCode": "NoError", "status": "Available", "info": "", "vendorId": ""});
        assert!(ChargerRequest::parse("StatusNotification", status).is_ok());
        let data = json!({"vendorId": "v", "data": "x".repeat(1000)});
        assert!(
            ChargerRequest::parse("DataTransfer", data).is_ok(),
            "the schema sets no maxLength on data"
        );
    }

    #[test]
    fn large_meters_zoneless_times_and_errata_units_are_read() {
        let start = json!({"connectorId": 1, "idTag": "T", "meterStart": 3_000_000_000_i64, "timestamp": "2026-11-25T12:00:00"});
        let Ok(ChargerRequest::StartTransaction(start)) =
            ChargerRequest::parse("StartTransaction", start)
        else {
            panic!("read")
        };
        assert_eq!(start.meter_start, 3_000_000_000);
        assert_eq!(start.timestamp.0.to_rfc3339(), "2026-11-25T12:00:00+00:00");
        let meter = json!({"connectorId": 1, "meterValue": [{"timestamp": "2026-11-25T12:00:00.5", "sampledValue": [
            {"value": "50.0", "measurand": "Frequency", "unit": "Hertz"},
            {"value": "21", "measurand": "Temperature", "unit": "Celcius"},
            {"value": "21", "measurand": "Temperature", "unit": "Celsius"},
            {"value": 12},
            {"value": "1", "measurand": "Something.New"}]}]});
        let Ok(ChargerRequest::MeterValues(meter)) = ChargerRequest::parse("MeterValues", meter)
        else {
            panic!("read")
        };
        let Item::Read(value) = &meter.meter_value[0] else {
            panic!()
        };
        let samples: Vec<&SampledValue> = readable(&value.sampled_value).collect();
        assert_eq!(samples.len(), 4, "the unreadable sample is left out");
        assert_eq!(samples[0].unit, Some(Reported::Other("Hertz".into())));
        assert_eq!(
            samples[1].unit,
            Some(Reported::Known(UnitOfMeasure::Celsius))
        );
        assert_eq!(
            samples[3].measurand,
            Some(Reported::Other("Something.New".into()))
        );
    }

    #[test]
    fn a_stop_with_unreadable_samples_still_stops() {
        let stop = json!({"transactionId": 5, "meterStop": 12000, "timestamp": "2026-11-25T12:00:00Z",
            "transactionData": [{"timestamp": "garbage", "sampledValue": []},
                                {"timestamp": "2026-11-25T11:00:00Z", "sampledValue": [{"value": "11000"}]}]});
        let Ok(ChargerRequest::StopTransaction(stop)) =
            ChargerRequest::parse("StopTransaction", stop)
        else {
            panic!("read")
        };
        assert_eq!(stop.meter_stop, 12000);
        assert_eq!(
            readable(stop.transaction_data.as_deref().unwrap()).count(),
            1
        );
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
        let start = json!({"connectorId": -1, "idTag": "TAG", "meterStart": 0, "timestamp": "2026-11-25T12:00:00Z"});
        assert_eq!(
            refused("StartTransaction", start),
            ErrorCode::PropertyConstraintViolation
        );
    }
}
