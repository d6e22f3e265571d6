//! Core profile cases: boot, local and remote sessions, reset, unlock, configuration, authorisation,
//! power failure and offline behaviour.

use rust_ocpp::v1_6::messages::change_configuration::ChangeConfigurationRequest;
use rust_ocpp::v1_6::messages::clear_cache::ClearCacheRequest;
use rust_ocpp::v1_6::messages::get_configuration::GetConfigurationRequest;
use rust_ocpp::v1_6::messages::remote_start_transaction::RemoteStartTransactionRequest;
use rust_ocpp::v1_6::messages::remote_stop_transaction::RemoteStopTransactionRequest;
use rust_ocpp::v1_6::messages::reset::ResetRequest;
use rust_ocpp::v1_6::messages::unlock_connector::UnlockConnectorRequest;
use rust_ocpp::v1_6::types::ResetRequestStatus;
use serde_json::{json, Value};
use voltgate_ocpp::{Answer, Command};
use voltgate_store::{Engine, ENDED_WITHOUT_STOP};

use super::*;
use crate::on_both_engines;

on_both_engines!(
    tc_001_cold_boot_charge_point,
    tc_003_regular_charging_session_plugin_first,
    tc_004_1_regular_charging_session_identification_first,
    tc_004_2_identification_first_connection_timeout,
    tc_005_1_ev_side_disconnected,
    tc_007_regular_start_charging_session_cached_id,
    tc_010_remote_start_cable_plugged_in_first,
    tc_011_1_remote_start_remote_start_first,
    tc_011_2_remote_start_time_out,
    tc_012_remote_stop_charging_session,
    tc_013_hard_reset_without_transaction,
    tc_014_soft_reset_without_transaction,
    tc_017_1_unlock_connector_no_charging_session_running_not_fixed_cable,
    tc_017_2_unlock_connector_no_charging_session_running_fixed_cable,
    tc_018_1_unlock_connector_with_charging_session,
    tc_019_1_retrieve_all_configuration_keys,
    tc_019_2_retrieve_specific_configuration_key,
    tc_021_change_set_configuration,
    tc_023_1_start_charging_session_authorize_invalid,
    tc_023_2_start_charging_session_authorize_expired,
    tc_023_3_start_charging_session_authorize_blocked,
    tc_024_start_charging_session_lock_failure,
    tc_026_remote_start_charging_session_rejected,
    tc_028_remote_stop_transaction_rejected,
    tc_030_unlock_connector_unlock_failure,
    tc_031_unlock_connector_unknown_connector,
    tc_032_1_power_failure_boot_charging_point_stop_transactions,
    tc_037_1_offline_start_transaction_valid_idtag,
    tc_037_3_offline_start_transaction_invalid_idtag,
    tc_039_offline_transaction,
    tc_040_1_configuration_keys_not_supported,
    tc_040_2_configuration_keys_invalid_value,
    tc_061_clear_authorization_data_in_authorization_cache,
);

async fn tc_001_cold_boot_charge_point(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let boot = json!({"chargePointVendor": "VendorX", "chargePointModel": "ModelY"});
    let answer = ok(&mut station, "BootNotification", boot).await;
    assert_eq!(answer["status"], "Accepted");
    assert!(answer["currentTime"].is_string() && answer["interval"].as_u64() > Some(0));
    all_connectors(&mut station, "Available").await;
    assert!(ok(&mut station, "Heartbeat", json!({})).await["currentTime"].is_string());
}

async fn tc_003_regular_charging_session_plugin_first(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    status(&mut station, 1, "Preparing").await;
    assert_eq!(authorize(&mut station, TAG).await, "Accepted");
    let (accepted, transaction) = start(&mut station, TAG, 0, &now()).await;
    assert_eq!(accepted, "Accepted");
    assert!(transaction > 0);
    status(&mut station, 1, "Charging").await;
}

async fn tc_004_1_regular_charging_session_identification_first(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    assert_eq!(authorize(&mut station, TAG).await, "Accepted");
    let (accepted, transaction) = start(&mut station, TAG, 0, &now()).await;
    assert_eq!((accepted.as_str(), transaction > 0), ("Accepted", true));
    status(&mut station, 1, "Charging").await;
}

async fn tc_004_2_identification_first_connection_timeout(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    assert_eq!(authorize(&mut station, TAG).await, "Accepted");
    status(&mut station, 1, "Preparing").await;
    status_at(&mut station, 1, "Available", &minutes_from_now(0)).await;
    let running = suite
        .db
        .store
        .running_sessions(suite.installation)
        .await
        .unwrap();
    assert!(running.is_empty(), "no transaction started");
}

async fn tc_005_1_ev_side_disconnected(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let transaction = enter_charging(&mut station, TAG).await;
    status(&mut station, 1, "SuspendedEV").await;
    let stopped = stop(&mut station, transaction, TAG, "EVDisconnected", &now()).await;
    assert_eq!(stopped["idTagInfo"]["status"], "Accepted");
    status(&mut station, 1, "Finishing").await;
    status(&mut station, 1, "Available").await;
}

async fn tc_007_regular_start_charging_session_cached_id(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    status(&mut station, 1, "Preparing").await;
    let (accepted, transaction) = start(&mut station, TAG, 0, &now()).await;
    assert_eq!((accepted.as_str(), transaction > 0), ("Accepted", true));
    status(&mut station, 1, "Charging").await;
}

fn remote_start() -> Command {
    Command::RemoteStartTransaction(RemoteStartTransactionRequest {
        connector_id: Some(1),
        id_tag: TAG.into(),
        charging_profile: None,
    })
}

async fn tc_010_remote_start_cable_plugged_in_first(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    status(&mut station, 1, "Preparing").await;
    let (answer, action, payload) = suite
        .command(&mut station, remote_start(), json!({"status": "Accepted"}))
        .await;
    assert_eq!(
        (action.as_str(), payload),
        (
            "RemoteStartTransaction",
            json!({"connectorId": 1, "idTag": TAG})
        )
    );
    assert_eq!(status_of(&answer), "Accepted");
    assert_eq!(authorize(&mut station, TAG).await, "Accepted");
    let (accepted, transaction) = start(&mut station, TAG, 0, &now()).await;
    assert_eq!((accepted.as_str(), transaction > 0), ("Accepted", true));
    status(&mut station, 1, "Charging").await;
}

async fn tc_011_1_remote_start_remote_start_first(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let (answer, _, _) = suite
        .command(&mut station, remote_start(), json!({"status": "Accepted"}))
        .await;
    assert_eq!(status_of(&answer), "Accepted");
    enter_charging(&mut station, TAG).await;
}

async fn tc_011_2_remote_start_time_out(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let (answer, _, _) = suite
        .command(&mut station, remote_start(), json!({"status": "Accepted"}))
        .await;
    assert_eq!(status_of(&answer), "Accepted");
    assert_eq!(authorize(&mut station, TAG).await, "Accepted");
    status(&mut station, 1, "Preparing").await;
    status_at(&mut station, 1, "Available", &minutes_from_now(0)).await;
}

async fn tc_012_remote_stop_charging_session(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let transaction = enter_charging(&mut station, TAG).await;
    let remote_stop = Command::RemoteStopTransaction(RemoteStopTransactionRequest {
        transaction_id: transaction as i32,
    });
    let (answer, _, payload) = suite
        .command(&mut station, remote_stop, json!({"status": "Accepted"}))
        .await;
    assert_eq!(payload, json!({"transactionId": transaction}));
    assert_eq!(status_of(&answer), "Accepted");
    stop(&mut station, transaction, TAG, "Remote", &now()).await;
    status(&mut station, 1, "Finishing").await;
    status(&mut station, 1, "Available").await;
}

async fn reset(engine: Engine, kind: ResetRequestStatus, wire: &str) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let command = Command::Reset(ResetRequest { kind });
    let (answer, _, payload) = suite
        .command(&mut station, command, json!({"status": "Accepted"}))
        .await;
    assert_eq!(payload, json!({ "type": wire }));
    assert_eq!(status_of(&answer), "Accepted");
    let boot = json!({"chargePointVendor": "VendorX", "chargePointModel": "ModelY"});
    assert_eq!(
        ok(&mut station, "BootNotification", boot).await["status"],
        "Accepted"
    );
    all_connectors(&mut station, "Available").await;
}

async fn tc_013_hard_reset_without_transaction(engine: Engine) {
    reset(engine, ResetRequestStatus::Hard, "Hard").await;
}

async fn tc_014_soft_reset_without_transaction(engine: Engine) {
    reset(engine, ResetRequestStatus::Soft, "Soft").await;
}

/// UnlockConnector 1, answered with `status`; the central system reports the same.
async fn unlock(suite: &Suite, station: &mut ChargePoint, status: &str) {
    let command = Command::UnlockConnector(UnlockConnectorRequest { connector_id: 1 });
    let (answer, action, payload) = suite
        .command(station, command, json!({ "status": status }))
        .await;
    assert_eq!(
        (action.as_str(), payload),
        ("UnlockConnector", json!({"connectorId": 1}))
    );
    assert_eq!(status_of(&answer), status);
}

/// A fresh station without a session, asked to unlock and answering `status`.
async fn unlock_idle(engine: Engine, status: &str) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    unlock(&suite, &mut station, status).await;
}

async fn tc_017_1_unlock_connector_no_charging_session_running_not_fixed_cable(engine: Engine) {
    unlock_idle(engine, "Unlocked").await;
}

async fn tc_017_2_unlock_connector_no_charging_session_running_fixed_cable(engine: Engine) {
    unlock_idle(engine, "NotSupported").await;
}

async fn tc_018_1_unlock_connector_with_charging_session(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let transaction = enter_charging(&mut station, TAG).await;
    unlock(&suite, &mut station, "Unlocked").await;
    status(&mut station, 1, "Finishing").await;
    stop(&mut station, transaction, TAG, "UnlockCommand", &now()).await;
    status(&mut station, 1, "Available").await;
}

fn key(key: &str, readonly: bool, value: &str) -> Value {
    json!({"key": key, "readonly": readonly, "value": value})
}

async fn tc_019_1_retrieve_all_configuration_keys(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let keys = vec![
        key("AuthorizeRemoteTxRequests", false, "false"),
        key("ClockAlignedDataInterval", false, "0"),
        key("ConnectionTimeOut", false, "60"),
        key(
            "ConnectorPhaseRotation",
            false,
            "Unknown,NotApplicable,NotApplicable",
        ),
        key("GetConfigurationMaxKeys", true, "50"),
        key("HeartbeatInterval", false, "300"),
        key("LocalAuthorizeOffline", false, "true"),
        key("LocalPreAuthorize", false, "false"),
        key(
            "MeterValuesAlignedData",
            false,
            "Energy.Active.Import.Register",
        ),
        key(
            "MeterValuesSampledData",
            false,
            "Energy.Active.Import.Register",
        ),
        key("MeterValueSampleInterval", false, "60"),
        key("NumberOfConnectors", true, "2"),
        key("ResetRetries", false, "3"),
        key("StopTransactionOnEVSideDisconnect", false, "true"),
        key("StopTransactionOnInvalidId", false, "true"),
        key("StopTxnAlignedData", false, "Energy.Active.Import.Register"),
        key("StopTxnSampledData", false, "Energy.Active.Import.Register"),
        key(
            "SupportedFeatureProfiles",
            true,
            "Core,LocalAuthListManagement,Reservation,RemoteTrigger,SmartCharging",
        ),
        key("TransactionMessageAttempts", false, "3"),
        key("TransactionMessageRetryInterval", false, "60"),
        key("UnlockConnectorOnEVSideDisconnect", false, "true"),
        key("LocalAuthListEnabled", false, "true"),
        key("LocalAuthListMaxLength", true, "100"),
        key("SendLocalListMaxLength", true, "100"),
        key("ChargeProfileMaxStackLevel", true, "10"),
        key("ChargingScheduleAllowedChargingRateUnit", true, "A,W"),
        key("ChargingScheduleMaxPeriods", true, "24"),
        key("MaxChargingProfilesInstalled", true, "16"),
    ];
    let command = Command::GetConfiguration(GetConfigurationRequest { key: None });
    let (answer, _, payload) = suite
        .command(&mut station, command, json!({ "configurationKey": keys }))
        .await;
    assert_eq!(payload, json!({}), "the key list is left out");
    let Answer::GetConfiguration(answer) = answer else {
        panic!("a configuration")
    };
    assert_eq!(answer.unknown_key, None);
    let reported = answer.configuration_key.unwrap();
    assert_eq!(reported.len(), 28);
    for expected in &keys {
        assert!(
            reported
                .iter()
                .any(|k| k.key == expected["key"] && json!(k.readonly) == expected["readonly"]),
            "{expected}"
        );
    }
}

async fn tc_019_2_retrieve_specific_configuration_key(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let command = Command::GetConfiguration(GetConfigurationRequest {
        key: Some(vec!["SupportedFeatureProfiles".into()]),
    });
    let keys = json!({"configurationKey": [key("SupportedFeatureProfiles", true, "Core,FirmwareManagement,Reservation,RemoteTrigger,SmartCharging")]});
    let (answer, _, payload) = suite.command(&mut station, command, keys).await;
    assert_eq!(payload, json!({"key": ["SupportedFeatureProfiles"]}));
    let Answer::GetConfiguration(answer) = answer else {
        panic!("a configuration")
    };
    let reported = answer.configuration_key.unwrap();
    assert_eq!(
        (reported.len(), reported[0].key.as_str()),
        (1, "SupportedFeatureProfiles")
    );
    assert_eq!(answer.unknown_key, None);
}

async fn change_configuration(engine: Engine, key: &str, value: &str, status: &str) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let command = Command::ChangeConfiguration(ChangeConfigurationRequest {
        key: key.into(),
        value: value.into(),
    });
    let (answer, _, payload) = suite
        .command(&mut station, command, json!({ "status": status }))
        .await;
    assert_eq!(
        payload,
        json!({"key": key, "value": value}),
        "passed through as given"
    );
    assert_eq!(status_of(&answer), status);
}

async fn tc_021_change_set_configuration(engine: Engine) {
    change_configuration(engine, "MeterValueSampleInterval", "60", "Accepted").await;
}

async fn tc_040_1_configuration_keys_not_supported(engine: Engine) {
    let key = format!("UnknownConfigKey_{}", uuid::Uuid::new_v4().simple());
    change_configuration(engine, &key[..40], "123", "NotSupported").await;
}

async fn tc_040_2_configuration_keys_invalid_value(engine: Engine) {
    change_configuration(
        engine,
        "MeterValueSampleInterval",
        "INVALID_VALUE",
        "Rejected",
    )
    .await;
}

async fn tc_023_1_start_charging_session_authorize_invalid(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    assert_eq!(authorize(&mut station, "INVALID_TAG").await, "Invalid");
}

async fn tc_023_2_start_charging_session_authorize_expired(engine: Engine) {
    let suite = Suite::new(engine).await;
    let person = suite
        .tag_for_new_person("EXPIRED-TAG", "gone@example.no")
        .await;
    // Its holder's access to the installation ended: the token has expired.
    suite
        .db
        .store
        .remove_installation_role(&suite.manage().await, person)
        .await
        .unwrap();
    let mut station = suite.station().await;
    assert_eq!(authorize(&mut station, "EXPIRED-TAG").await, "Expired");
}

async fn tc_023_3_start_charging_session_authorize_blocked(engine: Engine) {
    let suite = Suite::new(engine).await;
    suite
        .tag_for_new_person("BLOCKED-TAG", "kept@example.no")
        .await;
    // The token was removed from the installation: it is blocked.
    suite
        .db
        .store
        .remove_id_tag(&suite.manage().await, "BLOCKED-TAG")
        .await
        .unwrap();
    let mut station = suite.station().await;
    assert_eq!(authorize(&mut station, "BLOCKED-TAG").await, "Blocked");
}

async fn tc_024_start_charging_session_lock_failure(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    assert_eq!(authorize(&mut station, TAG).await, "Accepted");
    status(&mut station, 1, "Preparing").await;
    let faulted = json!({"connectorId": 1, "errorCode": "ConnectorLockFailure", "status": "Faulted", "timestamp": now()});
    ok(&mut station, "StatusNotification", faulted).await;
    assert!(suite
        .db
        .store
        .running_sessions(suite.installation)
        .await
        .unwrap()
        .is_empty());
}

async fn tc_026_remote_start_charging_session_rejected(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let (answer, _, _) = suite
        .command(&mut station, remote_start(), json!({"status": "Rejected"}))
        .await;
    assert_eq!(status_of(&answer), "Rejected");
}

async fn tc_028_remote_stop_transaction_rejected(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let transaction = enter_charging(&mut station, TAG).await;
    // An unknown transaction is passed to the station too: the station decides.
    for id in [transaction as i32, 999_999] {
        let remote_stop =
            Command::RemoteStopTransaction(RemoteStopTransactionRequest { transaction_id: id });
        let (answer, _, payload) = suite
            .command(&mut station, remote_stop, json!({"status": "Rejected"}))
            .await;
        assert_eq!(payload, json!({ "transactionId": id }));
        assert_eq!(status_of(&answer), "Rejected");
    }
}

async fn tc_030_unlock_connector_unlock_failure(engine: Engine) {
    unlock_idle(engine, "UnlockFailed").await;
}

async fn tc_031_unlock_connector_unknown_connector(engine: Engine) {
    unlock_idle(engine, "NotSupported").await;
}

async fn tc_032_1_power_failure_boot_charging_point_stop_transactions(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let transaction = enter_charging(&mut station, TAG).await;
    drop(station);
    let mut station = suite.station().await;
    let boot = json!({"chargePointVendor": "VendorX", "chargePointModel": "ModelY"});
    assert_eq!(
        ok(&mut station, "BootNotification", boot).await["status"],
        "Accepted"
    );
    let history = suite
        .db
        .store
        .charge_history(suite.installation, &Default::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        history[0].stop_reason.as_deref(),
        Some(ENDED_WITHOUT_STOP),
        "the reboot ended the open session"
    );
    status(&mut station, 0, "Available").await;
    status(&mut station, 1, "Finishing").await;
    status(&mut station, 2, "Available").await;
    stop(&mut station, transaction, TAG, "PowerLoss", &now()).await;
    let history = suite
        .db
        .store
        .charge_history(suite.installation, &Default::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        (
            history.len(),
            history[0].stop_reason.as_deref(),
            history[0].meter_stop
        ),
        (1, Some("PowerLoss"), Some(10)),
        "the late StopTransaction lands on the same session"
    );
}

async fn tc_037_1_offline_start_transaction_valid_idtag(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let four_hours_ago = minutes_from_now(-240);
    let (accepted, transaction) = start(&mut station, TAG, 0, &four_hours_ago).await;
    assert_eq!((accepted.as_str(), transaction > 0), ("Accepted", true));
    status_at(&mut station, 1, "Charging", &four_hours_ago).await;
}

async fn tc_037_3_offline_start_transaction_invalid_idtag(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let four_hours_ago = minutes_from_now(-240);
    let unknown = format!("U-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let (status_, transaction) = start(&mut station, &unknown, 0, &four_hours_ago).await;
    assert_eq!(status_, "Invalid");
    assert!(transaction > 0, "the transaction exists all the same");
    status_at(&mut station, 1, "Charging", &four_hours_ago).await;
    stop(&mut station, transaction, &unknown, "DeAuthorized", &now()).await;
    status(&mut station, 1, "Finishing").await;
    let history = suite
        .db
        .store
        .charge_history(suite.installation, &Default::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        (history[0].authorized, history[0].energy_kwh()),
        (false, Some(0.01))
    );
}

async fn tc_039_offline_transaction(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let (accepted, transaction) = start(&mut station, TAG, 0, &minutes_from_now(-240)).await;
    assert_eq!((accepted.as_str(), transaction > 0), ("Accepted", true));
    stop(
        &mut station,
        transaction,
        TAG,
        "Local",
        &minutes_from_now(-180),
    )
    .await;
    let history = suite
        .db
        .store
        .charge_history(suite.installation, &Default::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(history[0].stop_reason.as_deref(), Some("Local"));
}

async fn tc_061_clear_authorization_data_in_authorization_cache(engine: Engine) {
    let suite = Suite::new(engine).await;
    let mut station = suite.station().await;
    let command = Command::ClearCache(ClearCacheRequest {});
    let (answer, action, payload) = suite
        .command(&mut station, command, json!({"status": "Accepted"}))
        .await;
    assert_eq!((action.as_str(), payload), ("ClearCache", json!({})));
    assert_eq!(status_of(&answer), "Accepted");
}
