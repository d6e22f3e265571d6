//! The central system's answers to chargers, kept in the store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde_json::{json, Value};
use voltgate_domain::authz::rules::may_hold_id_tag;
use voltgate_domain::{InstallationId, Principal, UserId};
use voltgate_ocpp::central::HandlerError;
use voltgate_ocpp::{CentralSystem, ChargerRef, ChargerRequest, Registry};
use voltgate_store::{BootInfo, NewChargeSession, Store, StoreError};

use super::balance;
use super::meter::{readings, samples, wire_name};

/// Seconds between heartbeats that chargers are told to keep.
pub const HEARTBEAT_INTERVAL: i32 = 60;

/// The central system, over the store.
pub struct OcppCentral {
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    command_timeout: Duration,
}

impl OcppCentral {
    pub fn new(store: Arc<dyn Store>, registry: Arc<Registry>, command_timeout: Duration) -> Self {
        Self {
            store,
            registry,
            command_timeout,
        }
    }

    /// Shares the installation's current anew, in the background: the charger whose request caused it
    /// may itself be sent a limit, which its session can only handle once this request is answered.
    async fn rebalance_later(&self, charger: &ChargerRef) -> Result<(), StoreError> {
        let installation = self.installation_of(charger).await?;
        tokio::spawn(balance::rebalance(
            self.store.clone(),
            self.registry.clone(),
            installation,
            self.command_timeout,
        ));
        Ok(())
    }

    fn now() -> String {
        Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    async fn installation_of(&self, charger: &ChargerRef) -> Result<InstallationId, StoreError> {
        Ok(self
            .store
            .charger(charger.id)
            .await?
            .ok_or(StoreError::NotFound)?
            .installation_id)
    }

    /// Whether an idTag may charge here, and whose it is: any tag when the installation does not require
    /// authentication; else only a tag registered to someone who still has access to the installation.
    async fn check_tag(
        &self,
        charger: &ChargerRef,
        id_tag: &str,
    ) -> Result<(bool, Option<UserId>), StoreError> {
        let installation = self.installation_of(charger).await?;
        let owner = self.store.id_tag_user(installation, id_tag).await?;
        let holder_has_access = match owner {
            Some(user) => self
                .store
                .installation_for(&Principal::User(user), installation)
                .await?
                .is_some_and(|(_, access)| may_hold_id_tag(&access)),
            None => false,
        };
        let required = self
            .store
            .installation(installation)
            .await?
            .is_some_and(|installation| installation.settings.authentication_required);
        Ok((
            !required || holder_has_access,
            owner.filter(|_| holder_has_access),
        ))
    }

    async fn answer(
        &self,
        charger: &ChargerRef,
        request: ChargerRequest,
    ) -> Result<Value, StoreError> {
        let now = Utc::now();
        let id = charger.id;
        Ok(match request {
            ChargerRequest::BootNotification(boot) => {
                let info = BootInfo {
                    vendor: boot.charge_point_vendor,
                    model: boot.charge_point_model,
                    serial_number: boot
                        .charge_point_serial_number
                        .or(boot.charge_box_serial_number),
                    firmware_version: boot.firmware_version,
                };
                self.store.record_boot(id, &info, now).await?;
                json!({"status": "Accepted", "currentTime": Self::now(), "interval": HEARTBEAT_INTERVAL})
            }
            ChargerRequest::Heartbeat => {
                self.store.record_seen(id, now).await?;
                json!({"currentTime": Self::now()})
            }
            ChargerRequest::StatusNotification(status) => {
                let (state, error) = (wire_name(&status.status), wire_name(&status.error_code));
                self.store
                    .record_status(id, status.connector_id as i32, &state, &error, now)
                    .await?;
                json!({})
            }
            ChargerRequest::Authorize(request) => {
                let (accepted, _) = self.check_tag(charger, &request.id_tag).await?;
                json!({"idTagInfo": {"status": if accepted { "Accepted" } else { "Invalid" }}})
            }
            ChargerRequest::StartTransaction(start) => {
                let (accepted, user) = self.check_tag(charger, &start.id_tag).await?;
                if !accepted {
                    return Ok(json!({"idTagInfo": {"status": "Invalid"}, "transactionId": 0}));
                }
                let new = NewChargeSession {
                    connector_id: start.connector_id as i32,
                    id_tag: start.id_tag,
                    user,
                    started_at: start.timestamp,
                    meter_start: i64::from(start.meter_start),
                };
                let transaction = self.store.start_charge_session(id, &new).await?;
                self.rebalance_later(charger).await?;
                json!({"idTagInfo": {"status": "Accepted"}, "transactionId": transaction})
            }
            ChargerRequest::StopTransaction(stop) => {
                let reason = stop.reason.as_ref().map(wire_name);
                let samples = samples(stop.transaction_data.as_deref().unwrap_or_default());
                self.store
                    .add_meter_samples(id, stop.transaction_id, &samples)
                    .await?;
                self.store
                    .stop_charge_session(
                        id,
                        stop.transaction_id,
                        stop.timestamp,
                        i64::from(stop.meter_stop),
                        reason.as_deref(),
                    )
                    .await?;
                self.rebalance_later(charger).await?;
                json!({"idTagInfo": {"status": "Accepted"}})
            }
            ChargerRequest::MeterValues(meter) => {
                let connector = meter.connector_id as i32;
                if let Some(reading) = readings(&meter.meter_value) {
                    self.store
                        .record_reading(id, connector, &reading, now)
                        .await?;
                }
                if let Some(transaction) = meter.transaction_id {
                    self.store
                        .add_meter_samples(id, transaction, &samples(&meter.meter_value))
                        .await?;
                }
                json!({})
            }
            ChargerRequest::DataTransfer(_) => json!({"status": "UnknownVendorId"}),
            ChargerRequest::FirmwareStatusNotification(_)
            | ChargerRequest::DiagnosticsStatusNotification(_) => {
                self.store.record_seen(id, now).await?;
                json!({})
            }
        })
    }
}

#[async_trait]
impl CentralSystem for OcppCentral {
    async fn handle(
        &self,
        charger: &ChargerRef,
        request: ChargerRequest,
    ) -> Result<Value, HandlerError> {
        self.answer(charger, request)
            .await
            .map_err(|e| HandlerError(e.to_string()))
    }

    async fn connected(&self, charger: &ChargerRef) {
        if let Err(error) = self.store.record_seen(charger.id, Utc::now()).await {
            tracing::warn!(charger = %charger.identity, %error, "could not note the connection");
        }
        tracing::info!(charger = %charger.identity, "charger connected");
    }

    async fn disconnected(&self, charger: &ChargerRef) {
        tracing::info!(charger = %charger.identity, "charger disconnected");
    }
}
