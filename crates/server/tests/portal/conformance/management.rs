//! Local authorisation lists, firmware and diagnostics, trigger messages, smart charging, data transfer
//! and the security cases voltgate covers (HTTP Basic authentication, subprotocol negotiation).

use rust_decimal::Decimal;
use rust_ocpp::v1_6::messages::clear_charging_profile::ClearChargingProfileRequest;
use rust_ocpp::v1_6::messages::get_composite_schedule::GetCompositeScheduleRequest;
use rust_ocpp::v1_6::messages::get_diagnostics::GetDiagnosticsRequest;
use rust_ocpp::v1_6::messages::get_local_list_version::GetLocalListVersionRequest;
use rust_ocpp::v1_6::messages::remote_start_transaction::RemoteStartTransactionRequest;
use rust_ocpp::v1_6::messages::send_local_list::SendLocalListRequest;
use rust_ocpp::v1_6::messages::set_charging_profile::SetChargingProfileRequest;
use rust_ocpp::v1_6::messages::trigger_message::TriggerMessageRequest;
use rust_ocpp::v1_6::messages::update_firmware::UpdateFirmwareRequest;
use rust_ocpp::v1_6::types::{
    ChargingProfile, ChargingProfileKindType, ChargingProfilePurposeType, ChargingRateUnitType,
    ChargingSchedule, ChargingSchedulePeriod, MessageTrigger, UpdateType,
};
use serde_json::json;
use voltgate_ocpp::{Answer, Command};
use voltgate_store::Engine;

use super::*;
use crate::charge_point::{http_status, open};
use crate::on_both_engines;

on_both_engines!(
    tc_042_1_get_local_list_version_not_supported,
    tc_042_2_get_local_list_version_empty,
    tc_043_1_send_local_authorization_list_not_supported,
    tc_043_3_send_local_authorization_list_failed,
    tc_043_4_send_local_authorization_list_full,
    tc_043_5_send_local_authorization_list_differential,
    tc_044_1_firmware_update_download_and_install,
    tc_044_2_firmware_update_download_failed,
    tc_044_3_firmware_update_installation_failed,
    tc_045_1_get_diagnostics,
    tc_045_2_get_diagnostics_upload_failed,
    tc_054_trigger_message,
    tc_055_trigger_message_rejected,
    tc_056_central_smart_charging_txdefaultprofile,
    tc_057_central_smart_charging_txprofile,
    tc_059_remote_start_transaction_with_charging_profile,
    tc_064_data_transfer_to_a_central_system,
    tc_066_get_composite_schedule,
    tc_067_clear_charging_profile,
    tc_085_basic_authentication_valid_username_password_combination,
    tc_088_websocket_subprotocol_validation,
);

async fn list_version(engine: Engine, version: i32) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let command = Command::GetLocalListVersion(GetLocalListVersionRequest {});
    let (answer, action, payload) = suite
        .command(&mut station, command, json!({ "listVersion": version }))
        .await;
    assert_eq!(
        (action.as_str(), payload),
        ("GetLocalListVersion", json!({}))
    );
    let Answer::GetLocalListVersion(answer) = answer else {
        panic!("a list version")
    };
    assert_eq!(answer.list_version, version);
}

async fn tc_042_1_get_local_list_version_not_supported(engine: Engine) {
    list_version(engine, -1).await;
}

async fn tc_042_2_get_local_list_version_empty(engine: Engine) {
    list_version(engine, 0).await;
}

/// SendLocalList version 1, the installation's whole list, answered with `status`.
async fn full_list(engine: Engine, status: &str) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let list = suite
        .charging
        .authorization_list(suite.installation)
        .await
        .unwrap();
    let command = Command::SendLocalList(SendLocalListRequest {
        list_version: 1,
        local_authorization_list: Some(list),
        update_type: UpdateType::Full,
    });
    let (answer, _, payload) = suite
        .command(&mut station, command, json!({ "status": status }))
        .await;
    assert_eq!(
        payload,
        json!({"listVersion": 1, "updateType": "Full",
               "localAuthorizationList": [{"idTag": TAG, "idTagInfo": {"status": "Accepted"}}]}),
        "the full list is the installation's tokens"
    );
    assert_eq!(status_of(&answer), status);
}

async fn tc_043_1_send_local_authorization_list_not_supported(engine: Engine) {
    full_list(engine, "NotSupported").await;
}

async fn tc_043_3_send_local_authorization_list_failed(engine: Engine) {
    full_list(engine, "Failed").await;
}

async fn tc_043_4_send_local_authorization_list_full(engine: Engine) {
    full_list(engine, "Accepted").await;
}

async fn tc_043_5_send_local_authorization_list_differential(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let command = Command::GetLocalListVersion(GetLocalListVersionRequest {});
    let (answer, _, _) = suite
        .command(&mut station, command, json!({"listVersion": 1}))
        .await;
    assert_eq!(status_of(&answer), "list version 1");
    suite.tag_for_new_person("NEW-TAG", "new@example.no").await;
    let list = suite
        .charging
        .authorization_list(suite.installation)
        .await
        .unwrap();
    let new_only = list
        .into_iter()
        .filter(|entry| entry.id_tag == "NEW-TAG")
        .collect();
    let command = Command::SendLocalList(SendLocalListRequest {
        list_version: 2,
        local_authorization_list: Some(new_only),
        update_type: UpdateType::Differential,
    });
    let (answer, _, payload) = suite
        .command(&mut station, command, json!({"status": "Accepted"}))
        .await;
    assert_eq!(
        payload,
        json!({"listVersion": 2, "updateType": "Differential",
               "localAuthorizationList": [{"idTag": "NEW-TAG", "idTagInfo": {"status": "Accepted"}}]})
    );
    assert_eq!(status_of(&answer), "Accepted");
}

fn firmware_status(status: &str) -> serde_json::Value {
    json!({ "status": status })
}

/// UpdateFirmware, answered with an empty confirmation; then the station reports `steps`.
async fn firmware(engine: Engine, steps: &[&str]) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let retrieve = chrono::Utc::now() + chrono::Duration::minutes(1);
    let command = Command::UpdateFirmware(UpdateFirmwareRequest {
        location: "https://example.org/fw.bin".into(),
        retries: Some(1),
        retrieve_date: retrieve,
        retry_interval: Some(1),
    });
    let (answer, _, payload) = suite.command(&mut station, command, json!({})).await;
    assert_eq!(payload["location"], "https://example.org/fw.bin");
    assert_eq!(
        (payload["retries"].clone(), payload["retryInterval"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(status_of(&answer), "Accepted");
    for step in steps {
        match *step {
            "Unavailable" | "Available" => all_connectors(&mut station, step).await,
            "Boot" => {
                let boot = json!({"chargePointVendor": "VendorX", "chargePointModel": "ModelY"});
                assert_eq!(
                    ok(&mut station, "BootNotification", boot).await["status"],
                    "Accepted"
                );
            }
            firmware => {
                ok(
                    &mut station,
                    "FirmwareStatusNotification",
                    firmware_status(firmware),
                )
                .await;
            }
        }
    }
}

async fn tc_044_1_firmware_update_download_and_install(engine: Engine) {
    let steps = [
        "Downloading",
        "Downloaded",
        "Unavailable",
        "Installing",
        "Boot",
        "Available",
        "Installed",
    ];
    firmware(engine, &steps).await;
}

async fn tc_044_2_firmware_update_download_failed(engine: Engine) {
    firmware(engine, &["Downloading", "DownloadFailed"]).await;
}

async fn tc_044_3_firmware_update_installation_failed(engine: Engine) {
    let steps = [
        "Downloading",
        "Downloaded",
        "Unavailable",
        "Installing",
        "Boot",
        "Available",
        "InstallationFailed",
    ];
    firmware(engine, &steps).await;
}

async fn diagnostics(engine: Engine, last: &str) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let now = chrono::Utc::now();
    let command = Command::GetDiagnostics(GetDiagnosticsRequest {
        location: "ftp://user:pass@example.org/logs".into(),
        retries: Some(1),
        retry_interval: Some(1),
        start_time: Some(now - chrono::Duration::hours(2)),
        stop_time: Some(now - chrono::Duration::hours(1)),
    });
    let (answer, _, payload) = suite
        .command(&mut station, command, json!({"fileName": "diag.log"}))
        .await;
    assert_eq!(payload["location"], "ftp://user:pass@example.org/logs");
    let Answer::GetDiagnostics(answer) = answer else {
        panic!("diagnostics")
    };
    assert_eq!(answer.file_name.as_deref(), Some("diag.log"));
    for step in ["Uploading", last] {
        ok(
            &mut station,
            "DiagnosticsStatusNotification",
            json!({ "status": step }),
        )
        .await;
    }
    let audit = suite
        .db
        .store
        .installation_audit(&suite.manage().await.also().unwrap(), 1, 0)
        .await
        .unwrap();
    assert_eq!(
        audit[0].detail["request"]["location"], "ftp://user:***@example.org/logs",
        "a location's password stays out of the audit log"
    );
}

async fn tc_045_1_get_diagnostics(engine: Engine) {
    diagnostics(engine, "Uploaded").await;
}

async fn tc_045_2_get_diagnostics_upload_failed(engine: Engine) {
    diagnostics(engine, "UploadFailed").await;
}

fn trigger(message: MessageTrigger, connector: Option<u32>) -> Command {
    Command::TriggerMessage(TriggerMessageRequest {
        requested_message: message,
        connector_id: connector,
    })
}

async fn tc_054_trigger_message(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let rounds = [
        (
            MessageTrigger::MeterValues,
            Some(1),
            "MeterValues",
            json!({"connectorId": 1, "meterValue": []}),
        ),
        (MessageTrigger::Heartbeat, None, "Heartbeat", json!({})),
        (
            MessageTrigger::StatusNotification,
            Some(1),
            "StatusNotification",
            json!({"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
        ),
        (
            MessageTrigger::DiagnosticsStatusNotification,
            None,
            "DiagnosticsStatusNotification",
            json!({"status": "Idle"}),
        ),
        (
            MessageTrigger::FirmwareStatusNotification,
            None,
            "FirmwareStatusNotification",
            json!({"status": "Idle"}),
        ),
    ];
    for (message, connector, action, follow_up) in rounds {
        let (answer, _, payload) = suite
            .command(
                &mut station,
                trigger(message, connector),
                json!({"status": "Accepted"}),
            )
            .await;
        assert_eq!(payload["requestedMessage"], action);
        assert_eq!(
            payload.get("connectorId").and_then(|c| c.as_u64()),
            connector.map(u64::from)
        );
        assert_eq!(status_of(&answer), "Accepted");
        ok(&mut station, action, follow_up).await;
    }
}

async fn tc_055_trigger_message_rejected(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let (answer, _, _) = suite
        .command(
            &mut station,
            trigger(MessageTrigger::MeterValues, Some(1)),
            json!({"status": "Rejected"}),
        )
        .await;
    assert_eq!(status_of(&answer), "Rejected");
}

/// A profile of stack level 0, kind Absolute, in watts, with one period of `limit`.
fn profile(
    id: i32,
    purpose: ChargingProfilePurposeType,
    limit: i64,
    duration: i32,
) -> ChargingProfile {
    ChargingProfile {
        charging_profile_id: id,
        transaction_id: None,
        stack_level: 0,
        charging_profile_purpose: purpose,
        charging_profile_kind: ChargingProfileKindType::Absolute,
        recurrency_kind: None,
        valid_from: None,
        valid_to: None,
        charging_schedule: ChargingSchedule {
            duration: Some(duration),
            start_schedule: None,
            charging_rate_unit: ChargingRateUnitType::W,
            charging_schedule_period: vec![ChargingSchedulePeriod {
                start_period: 0,
                limit: Decimal::new(limit * 10, 1),
                number_phases: None,
            }],
            min_charging_rate: None,
        },
    }
}

fn set_profile(connector: i32, profile: ChargingProfile) -> Command {
    Command::SetChargingProfile(SetChargingProfileRequest {
        connector_id: connector,
        cs_charging_profiles: profile,
    })
}

async fn tc_056_central_smart_charging_txdefaultprofile(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let now = chrono::Utc::now();
    let mut default = profile(1, ChargingProfilePurposeType::TxDefaultProfile, 6, 3600);
    default.valid_from = Some(now + chrono::Duration::minutes(1));
    default.valid_to = Some(now + chrono::Duration::hours(2));
    default.charging_schedule.start_schedule = Some(now + chrono::Duration::minutes(2));
    default.charging_schedule.charging_schedule_period[0].number_phases = Some(3);
    let (answer, action, payload) = suite
        .command(
            &mut station,
            set_profile(1, default),
            json!({"status": "Accepted"}),
        )
        .await;
    assert_eq!(action, "SetChargingProfile");
    let sent = &payload["csChargingProfiles"];
    assert_eq!(
        (
            sent["stackLevel"].clone(),
            sent["chargingProfilePurpose"].clone(),
            sent["chargingProfileKind"].clone()
        ),
        (json!(0), json!("TxDefaultProfile"), json!("Absolute"))
    );
    assert!(sent.get("transactionId").is_none() && sent["validFrom"].is_string());
    assert_eq!(
        sent["chargingSchedule"]["chargingSchedulePeriod"][0]["numberPhases"],
        3
    );
    assert_eq!(status_of(&answer), "Accepted");
}

async fn tc_057_central_smart_charging_txprofile(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let transaction = enter_charging(&mut station, TAG).await;
    station.settle(std::time::Duration::from_millis(200)).await;
    let mut tx = profile(2, ChargingProfilePurposeType::TxProfile, 6, 1800);
    tx.transaction_id = Some(transaction as i32);
    let (answer, _, payload) = suite
        .command(
            &mut station,
            set_profile(1, tx),
            json!({"status": "Accepted"}),
        )
        .await;
    assert_eq!(payload["csChargingProfiles"]["transactionId"], transaction);
    assert_eq!(status_of(&answer), "Accepted");
}

async fn tc_059_remote_start_transaction_with_charging_profile(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let command = Command::RemoteStartTransaction(RemoteStartTransactionRequest {
        connector_id: Some(1),
        id_tag: TAG.into(),
        charging_profile: Some(profile(3, ChargingProfilePurposeType::TxProfile, 6, 1200)),
    });
    let (answer, _, payload) = suite
        .command(&mut station, command, json!({"status": "Accepted"}))
        .await;
    assert_eq!(
        payload["chargingProfile"]["chargingProfilePurpose"],
        "TxProfile"
    );
    assert!(payload["chargingProfile"].get("transactionId").is_none());
    assert_eq!(status_of(&answer), "Accepted");
    enter_charging(&mut station, TAG).await;
}

async fn tc_064_data_transfer_to_a_central_system(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let data = json!({"vendorId": "specific-vendor-id", "messageId": "test-message", "data": "test-payload"});
    let answer = ok(&mut station, "DataTransfer", data).await;
    assert!(
        ["Rejected", "UnknownMessageId", "UnknownVendorId"]
            .contains(&answer["status"].as_str().unwrap()),
        "{answer}"
    );
}

async fn tc_066_get_composite_schedule(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let command = Command::GetCompositeSchedule(GetCompositeScheduleRequest {
        connector_id: 1,
        duration: 300,
        charging_rate_unit: Some(ChargingRateUnitType::W),
    });
    let schedule = json!({"status": "Accepted", "connectorId": 1, "scheduleStart": now(),
        "chargingSchedule": {"chargingRateUnit": "W", "duration": 300,
                             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6.0}]}});
    let (answer, _, payload) = suite.command(&mut station, command, schedule).await;
    assert_eq!(
        payload,
        json!({"connectorId": 1, "duration": 300, "chargingRateUnit": "W"})
    );
    let Answer::GetCompositeSchedule(answer) = answer else {
        panic!("a schedule")
    };
    assert_eq!(
        status_of(&Answer::GetCompositeSchedule(answer.clone())),
        "Accepted"
    );
    assert_eq!(answer.charging_schedule.unwrap().duration, Some(300));
}

async fn tc_067_clear_charging_profile(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let transaction = enter_charging(&mut station, TAG).await;
    station.settle(std::time::Duration::from_millis(200)).await;
    let mut tx = profile(13, ChargingProfilePurposeType::TxProfile, 11, 900);
    tx.transaction_id = Some(transaction as i32);
    for (connector, sent) in [
        (
            0,
            profile(
                11,
                ChargingProfilePurposeType::ChargePointMaxProfile,
                7,
                900,
            ),
        ),
        (
            1,
            profile(12, ChargingProfilePurposeType::TxDefaultProfile, 9, 900),
        ),
        (1, tx),
    ] {
        let (answer, _, _) = suite
            .command(
                &mut station,
                set_profile(connector, sent),
                json!({"status": "Accepted"}),
            )
            .await;
        assert_eq!(status_of(&answer), "Accepted");
    }
    let clears = [
        (
            ClearChargingProfileRequest {
                id: Some(11),
                ..Default::default()
            },
            json!({"id": 11}),
        ),
        (
            ClearChargingProfileRequest {
                connector_id: Some(1),
                charging_profile_purpose: Some(ChargingProfilePurposeType::TxDefaultProfile),
                stack_level: Some(0),
                ..Default::default()
            },
            json!({"connectorId": 1, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0}),
        ),
        (ClearChargingProfileRequest::default(), json!({})),
    ];
    for (clear, expected) in clears {
        let (answer, action, payload) = suite
            .command(
                &mut station,
                Command::ClearChargingProfile(clear),
                json!({"status": "Accepted"}),
            )
            .await;
        assert_eq!(
            (action.as_str(), payload),
            ("ClearChargingProfile", expected)
        );
        assert_eq!(status_of(&answer), "Accepted");
    }
}

async fn tc_085_basic_authentication_valid_username_password_combination(engine: Engine) {
    let suite = Suite::new(engine).await;
    let refused = open(&suite.base, STATION, None, Some("ocpp1.6"))
        .await
        .unwrap_err();
    assert_eq!(http_status(refused), 401, "no password, no connection");
    let mut station = suite.station().await;
    let boot = json!({"chargePointVendor": "VendorX", "chargePointModel": "ModelY"});
    assert_eq!(
        ok(&mut station, "BootNotification", boot).await["status"],
        "Accepted"
    );
    all_connectors(&mut station, "Available").await;
}

async fn tc_088_websocket_subprotocol_validation(engine: Engine) {
    let suite = Suite::new(engine).await;
    let refused = open(&suite.base, STATION, Some(&suite.password), Some("ocpp0.1"))
        .await
        .unwrap_err();
    assert_eq!(http_status(refused), 400);
    let url = format!(
        "{}/ocpp/{STATION}",
        suite.base.replacen("http://", "ws://", 1)
    );
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .unwrap();
    let credentials = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{STATION}:{}", suite.password),
    );
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "ocpp0.1, ocpp1.6".parse().unwrap(),
    );
    request.headers_mut().insert(
        "Authorization",
        format!("Basic {credentials}").parse().unwrap(),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "ocpp1.6");
    let mut station = ChargePoint::new(socket);
    let boot = json!({"chargePointVendor": "VendorX", "chargePointModel": "ModelY"});
    assert_eq!(
        ok(&mut station, "BootNotification", boot).await["status"],
        "Accepted"
    );
}
