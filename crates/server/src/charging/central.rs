//! The central system's answers to chargers, kept in the store.
//!
//! No session stays open forever: a reboot, a connector reported free or a new start on the same
//! connector ends what the server still holds open there (as "ended without StopTransaction", with the
//! last meter reading known); a StopTransaction that comes later still lands and replaces the estimate.

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use rust_ocpp::v1_6::messages::authorize::AuthorizeResponse;
use rust_ocpp::v1_6::messages::boot_notification::{
    BootNotificationRequest, BootNotificationResponse,
};
use rust_ocpp::v1_6::messages::data_transfer::DataTransferResponse;
use rust_ocpp::v1_6::messages::diagnostics_status_notification::DiagnosticsStatusNotificationResponse;
use rust_ocpp::v1_6::messages::firmware_status_notification::FirmwareStatusNotificationResponse;
use rust_ocpp::v1_6::messages::heart_beat::HeartbeatResponse;
use rust_ocpp::v1_6::messages::meter_values::MeterValuesResponse;
use rust_ocpp::v1_6::messages::start_transaction::StartTransactionResponse;
use rust_ocpp::v1_6::messages::status_notification::StatusNotificationResponse;
use rust_ocpp::v1_6::messages::stop_transaction::StopTransactionResponse;
use rust_ocpp::v1_6::types::{
    AuthorizationData, AuthorizationStatus, ChargePointStatus, DataTransferStatus, IdTagInfo,
    RegistrationStatus,
};
use voltgate_domain::authz::rules::may_hold_id_tag;
use voltgate_domain::clock::charger_time;
use voltgate_domain::id_tag::{tag_status, Registration, TagStatus};
use voltgate_domain::text::reported;
use voltgate_domain::{InstallationId, Principal, UserId};
use voltgate_ocpp::central::HandlerError;
use voltgate_ocpp::command::wire_name;
use voltgate_ocpp::request::{
    readable, Refusal, StartTransaction, StatusNotification, StopTransaction,
};
use voltgate_ocpp::{CentralSystem, ChargerRef, ChargerRequest, ChargerResponse, ErrorCode};
use voltgate_store::{BootInfo, NewChargeSession, StopReport, Stopped, StoreError};

use super::meter::{readings, samples};
use super::Charging;
use crate::events::Event;

/// Seconds between heartbeats that chargers are told to keep.
pub const HEARTBEAT_INTERVAL: u32 = 60;

/// Why a request could not be answered.
enum Failure {
    Refused(Refusal),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

fn id_tag_info(status: TagStatus) -> IdTagInfo {
    IdTagInfo {
        expiry_date: None,
        parent_id_tag: None,
        status: match status {
            TagStatus::Accepted => AuthorizationStatus::Accepted,
            TagStatus::Blocked => AuthorizationStatus::Blocked,
            TagStatus::Expired => AuthorizationStatus::Expired,
            TagStatus::Invalid => AuthorizationStatus::Invalid,
        },
    }
}

/// Optional text from a charger, cleaned for storing and showing.
fn clean(text: Option<String>) -> Option<String> {
    text.map(|t| reported(&t).into_owned())
}

/// What a BootNotification says, cleaned; empty strings were already read as absent.
fn boot_info(boot: BootNotificationRequest) -> BootInfo {
    BootInfo {
        vendor: reported(&boot.charge_point_vendor).into_owned(),
        model: reported(&boot.charge_point_model).into_owned(),
        serial_number: clean(
            boot.charge_point_serial_number
                .or(boot.charge_box_serial_number),
        ),
        firmware_version: clean(boot.firmware_version),
    }
}

impl Charging {
    /// Enqueues `charger.online` / `charger.offline` webhooks for the charger's installation.
    async fn note_presence(&self, charger: &ChargerRef, online: bool) {
        if let Err(error) = self.store.charger_presence(charger.id, online).await {
            tracing::warn!(charger = %charger.identity, %error, "could not enqueue the presence webhook");
        }
    }

    /// Whether an idTag may charge here, and whose it is.
    async fn check_tag(
        &self,
        charger: &ChargerRef,
        id_tag: &str,
    ) -> Result<(TagStatus, Option<UserId>), StoreError> {
        let installation = charger.installation;
        let holder = self.store.id_tag_holder(installation, id_tag).await?;
        let registration = match holder {
            Some(holder) => {
                let holder_has_access = self
                    .store
                    .installation_for(&Principal::User(holder.user), installation)
                    .await?
                    .is_some_and(|(_, access)| may_hold_id_tag(&access));
                Some(Registration {
                    removed: holder.removed,
                    holder_has_access,
                })
            }
            None => None,
        };
        let required = self
            .store
            .installation(installation)
            .await?
            .is_some_and(|installation| installation.settings.authentication_required);
        let status = tag_status(required, registration);
        let user = holder
            .filter(|_| status == TagStatus::Accepted)
            .map(|holder| holder.user);
        Ok((status, user))
    }

    /// The installation's RFID tokens as a local authorization list (SendLocalList): each with the
    /// status a charger would hear for it now.
    pub async fn authorization_list(
        &self,
        installation: InstallationId,
    ) -> Result<Vec<AuthorizationData>, StoreError> {
        let required = self
            .store
            .installation(installation)
            .await?
            .is_some_and(|installation| installation.settings.authentication_required);
        let mut list = Vec::new();
        for (tag, holder) in self.store.id_tags(installation).await? {
            let holder_has_access = self
                .store
                .installation_for(&Principal::User(holder.id), installation)
                .await?
                .is_some_and(|(_, access)| may_hold_id_tag(&access));
            let registration = Registration {
                removed: false,
                holder_has_access,
            };
            list.push(AuthorizationData {
                id_tag: tag,
                id_tag_info: Some(id_tag_info(tag_status(required, Some(registration)))),
            });
        }
        Ok(list)
    }

    /// Ends what the server holds open on a charger (or one connector), and rebalances if anything
    /// ended.
    async fn end_open(
        &self,
        charger: &ChargerRef,
        connector: Option<i32>,
        before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let ended = self
            .store
            .end_open_sessions(charger.id, connector, before, before)
            .await?;
        if !ended.is_empty() {
            tracing::info!(charger = %charger.identity, sessions = ?ended, "sessions ended without StopTransaction");
            for transaction in ended {
                self.events.publish(Event::SessionEnded {
                    installation: charger.installation,
                    charger: charger.id,
                    transaction,
                    confirmed: false,
                    at: before,
                });
            }
            self.rebalance(charger.installation);
        }
        Ok(())
    }

    async fn status(
        &self,
        charger: &ChargerRef,
        status: StatusNotification,
    ) -> Result<ChargerResponse, Failure> {
        let received = now();
        let at = status
            .timestamp
            .map_or(received, |t| charger_time(t.0, received).min(received));
        let connector = status.connector_id as i32;
        let (name, error_code) = (wire_name(&status.status), wire_name(&status.error_code));
        let stored = self
            .store
            .record_status(charger.id, connector, &name, &error_code, at)
            .await?;
        if stored {
            self.events.publish(Event::ConnectorStatus {
                installation: charger.installation,
                charger: charger.id,
                connector: status.connector_id,
                status: name,
                error_code,
                at,
            });
        }
        if stored && connector > 0 && status.status == ChargePointStatus::Available {
            self.end_open(charger, Some(connector), at).await?;
        }
        Ok(ChargerResponse::StatusNotification(
            StatusNotificationResponse {},
        ))
    }

    async fn start(
        &self,
        charger: &ChargerRef,
        start: StartTransaction,
    ) -> Result<ChargerResponse, Failure> {
        if start.connector_id == 0 || start.connector_id > charger.connectors {
            return Err(Failure::Refused(Refusal {
                code: ErrorCode::PropertyConstraintViolation,
                description: format!(
                    "connector {} does not exist on this charge point (it has 1 to {})",
                    start.connector_id, charger.connectors
                ),
            }));
        }
        let id_tag = reported(&start.id_tag).into_owned();
        let (status, user) = self.check_tag(charger, &id_tag).await?;
        let connector = start.connector_id as i32;
        let received = now();
        let started_at = charger_time(start.timestamp.0, received);
        self.end_open(charger, Some(connector), started_at).await?;
        let new = NewChargeSession {
            connector_id: connector,
            id_tag,
            user,
            started_at,
            meter_start: start.meter_start,
            authorized: status == TagStatus::Accepted,
            received_at: received,
        };
        let transaction = self.store.start_charge_session(charger.id, &new).await?;
        // The start on its way (if one was) has arrived: the connector's state says so from now on.
        self.starts.release(charger.id, start.connector_id);
        self.events.publish(Event::SessionStarted {
            installation: charger.installation,
            charger: charger.id,
            connector: start.connector_id,
            transaction,
            at: started_at,
        });
        self.rebalance(charger.installation);
        Ok(ChargerResponse::StartTransaction(
            StartTransactionResponse {
                id_tag_info: id_tag_info(status),
                transaction_id: transaction,
            },
        ))
    }

    async fn stop(
        &self,
        charger: &ChargerRef,
        stop: StopTransaction,
    ) -> Result<ChargerResponse, Failure> {
        let data = stop.transaction_data.as_deref().unwrap_or_default();
        let received = now();
        let samples = samples(readable(data), received);
        let stopped_at = charger_time(stop.timestamp.0, received);
        let reason = stop.reason.as_ref().map(wire_name);
        let report = StopReport {
            transaction: stop.transaction_id,
            at: stopped_at,
            meter_stop: stop.meter_stop,
            reason: reason.as_deref(),
            samples: &samples,
        };
        let stopped = self.store.stop_charge_session(charger.id, &report).await?;
        if stopped != Stopped::Unknown {
            self.events.publish(Event::SessionEnded {
                installation: charger.installation,
                charger: charger.id,
                transaction: stop.transaction_id,
                confirmed: true,
                at: stopped_at,
            });
        }
        if stopped == Stopped::Stopped {
            self.rebalance(charger.installation);
        }
        let id_tag_info = match stop.id_tag {
            Some(tag) => Some(id_tag_info(
                self.check_tag(charger, &reported(&tag)).await?.0,
            )),
            None => None,
        };
        Ok(ChargerResponse::StopTransaction(StopTransactionResponse {
            id_tag_info,
        }))
    }

    async fn answer(
        &self,
        charger: &ChargerRef,
        request: ChargerRequest,
    ) -> Result<ChargerResponse, Failure> {
        let id = charger.id;
        Ok(match request {
            ChargerRequest::BootNotification(boot) => {
                let at = now();
                self.store.record_boot(id, &boot_info(boot), at).await?;
                self.end_open(charger, None, at).await?;
                self.balancer.charger_connected(charger.id);
                self.rebalance(charger.installation);
                ChargerResponse::BootNotification(BootNotificationResponse {
                    current_time: at,
                    interval: HEARTBEAT_INTERVAL,
                    status: RegistrationStatus::Accepted,
                })
            }
            ChargerRequest::Heartbeat => {
                let at = now();
                self.store.record_seen(id, at).await?;
                ChargerResponse::Heartbeat(HeartbeatResponse { current_time: at })
            }
            ChargerRequest::StatusNotification(status) => self.status(charger, status).await?,
            ChargerRequest::Authorize(request) => {
                let (status, _) = self.check_tag(charger, &reported(&request.id_tag)).await?;
                ChargerResponse::Authorize(AuthorizeResponse {
                    id_tag_info: id_tag_info(status),
                })
            }
            ChargerRequest::StartTransaction(start) => self.start(charger, start).await?,
            ChargerRequest::StopTransaction(stop) => self.stop(charger, stop).await?,
            ChargerRequest::MeterValues(meter) => {
                let connector = meter.connector_id as i32;
                let values: Vec<_> = readable(&meter.meter_value).collect();
                if let Some(reading) = readings(values.iter().copied()) {
                    let at = now();
                    self.store
                        .record_reading(id, connector, &reading, at)
                        .await?;
                    self.events.publish(Event::MeterReading {
                        installation: charger.installation,
                        charger: id,
                        connector: meter.connector_id,
                        power_w: reading.power_w,
                        current: reading.current,
                        energy_wh: reading.energy_wh,
                        at,
                    });
                }
                if let Some(transaction) = meter.transaction_id {
                    let samples = samples(values.iter().copied(), now());
                    if !samples.is_empty() {
                        self.store
                            .add_meter_samples(id, transaction, &samples)
                            .await?;
                    }
                }
                ChargerResponse::MeterValues(MeterValuesResponse {})
            }
            ChargerRequest::DataTransfer(_) => {
                ChargerResponse::DataTransfer(DataTransferResponse {
                    status: DataTransferStatus::UnknownVendorId,
                    data: None,
                })
            }
            ChargerRequest::FirmwareStatusNotification(_) => {
                self.store.record_seen(id, now()).await?;
                ChargerResponse::FirmwareStatusNotification(FirmwareStatusNotificationResponse {})
            }
            ChargerRequest::DiagnosticsStatusNotification(_) => {
                self.store.record_seen(id, now()).await?;
                ChargerResponse::DiagnosticsStatusNotification(
                    DiagnosticsStatusNotificationResponse {},
                )
            }
        })
    }
}

#[async_trait]
impl CentralSystem for Charging {
    async fn handle(
        &self,
        charger: &ChargerRef,
        request: ChargerRequest,
    ) -> Result<ChargerResponse, HandlerError> {
        self.answer(charger, request)
            .await
            .map_err(|failure| match failure {
                Failure::Refused(refusal) => HandlerError::Refused(refusal),
                Failure::Store(error) => HandlerError::Failed(error.to_string()),
            })
    }

    async fn connected(&self, charger: &ChargerRef) {
        if let Err(error) = self.store.record_seen(charger.id, Utc::now()).await {
            tracing::warn!(charger = %charger.identity, %error, "could not note the connection");
        }
        self.routes.connected(charger).await;
        self.note_presence(charger, true).await;
        self.learn_capabilities(charger);
        self.events.publish(Event::ChargerOnline {
            installation: charger.installation,
            charger: charger.id,
        });
        tracing::info!(charger = %charger.identity, "charger connected");
    }

    async fn disconnected(&self, charger: &ChargerRef) {
        tracing::info!(charger = %charger.identity, "charger disconnected");
        if self.registry.is_online(charger.identity.as_str()) {
            // A newer connection of the charger took this one's place.
            return;
        }
        if self.routes.disconnected(charger).await {
            // It connected to another process of the service, which closed this connection.
            return;
        }
        self.note_presence(charger, false).await;
        self.events.publish(Event::ChargerOffline {
            installation: charger.installation,
            charger: charger.id,
        });
    }
}
