//! The chargers part of the store: registration, what chargers report, charge sessions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use voltgate_domain::authz::{ControlChargers, ManageUsers};
use voltgate_domain::text::Name;
use voltgate_domain::{Authorized, ChargePointIdentity, ChargerId, InstallationId, UserId};

use crate::error::Result;

/// A registered charger.
#[derive(Clone, Debug, PartialEq)]
pub struct Charger {
    pub id: ChargerId,
    pub installation_id: InstallationId,
    pub identity: String,
    pub name: String,
    pub connectors: i32,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub firmware_version: Option<String>,
    pub booted_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A charger to register; its password is given only as a hash.
#[derive(Clone, Debug)]
pub struct NewCharger {
    pub identity: ChargePointIdentity,
    pub name: Name,
    pub connectors: u8,
    pub password_hash: String,
}

/// What a BootNotification says about the charger.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BootInfo {
    pub vendor: String,
    pub model: String,
    pub serial_number: Option<String>,
    pub firmware_version: Option<String>,
}

/// The last known state of one connector.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectorState {
    pub connector_id: i32,
    pub status: String,
    pub error_code: String,
    pub power_w: Option<f64>,
    pub current: [Option<f64>; 3],
    pub energy_wh: Option<f64>,
    pub updated_at: DateTime<Utc>,
}

impl ConnectorState {
    /// Whether any phase current is known.
    pub fn has_currents(&self) -> bool {
        self.current.iter().any(Option::is_some)
    }
}

/// Live readings from MeterValues; absent values leave the stored ones alone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeterReading {
    pub power_w: Option<f64>,
    pub current: [Option<f64>; 3],
    pub energy_wh: Option<f64>,
}

/// A StartTransaction as the charger reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewChargeSession {
    pub connector_id: i32,
    pub id_tag: String,
    pub user: Option<UserId>,
    pub started_at: DateTime<Utc>,
    pub meter_start: i64,
}

/// A charge session (OCPP transaction).
#[derive(Clone, Debug, PartialEq)]
pub struct ChargeSession {
    pub id: i32,
    pub charger_id: ChargerId,
    pub charger_name: String,
    pub connector_id: i32,
    pub id_tag: String,
    pub user_email: Option<String>,
    pub started_at: DateTime<Utc>,
    pub meter_start: i64,
    pub stopped_at: Option<DateTime<Utc>>,
    pub meter_stop: Option<i64>,
    pub stop_reason: Option<String>,
}

impl ChargeSession {
    /// Energy delivered, in kWh, once the session has stopped.
    pub fn energy_kwh(&self) -> Option<f64> {
        self.meter_stop
            .map(|stop| (stop - self.meter_start).max(0) as f64 / 1000.0)
    }
}

/// A session that is charging now, for load balancing.
#[derive(Clone, Debug, PartialEq)]
pub struct RunningSession {
    pub transaction: i32,
    pub charger_id: ChargerId,
    pub identity: String,
    pub connector_id: i32,
    pub started_at: DateTime<Utc>,
    /// The connector's meter at the start (Wh).
    pub meter_start: i64,
}

/// Which sessions a history shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryFilter {
    pub charger: Option<ChargerId>,
    pub user: Option<UserId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Chargers and their reports.
#[async_trait]
pub trait ChargerStore: Send + Sync {
    /// Registers a charger on an installation (audited); `Conflict("identity")` when taken.
    async fn create_charger(
        &self,
        on: &Authorized<ManageUsers>,
        new: &NewCharger,
    ) -> Result<Charger>;
    /// Replaces the password hash of a charger of the installation (audited); `NotFound` for a
    /// charger elsewhere.
    async fn set_charger_password(
        &self,
        on: &Authorized<ManageUsers>,
        id: ChargerId,
        password_hash: &str,
    ) -> Result<()>;
    /// One charger.
    async fn charger(&self, id: ChargerId) -> Result<Option<Charger>>;
    /// The charger with this identity and its password hash, for authenticating a connection.
    async fn charger_credentials(&self, identity: &str) -> Result<Option<(Charger, String)>>;
    /// An installation's chargers with their connectors' last state, by name.
    async fn chargers(
        &self,
        installation: InstallationId,
    ) -> Result<Vec<(Charger, Vec<ConnectorState>)>>;
    /// Stores what a BootNotification said.
    async fn record_boot(&self, id: ChargerId, boot: &BootInfo, at: DateTime<Utc>) -> Result<()>;
    /// Notes that the charger was heard from.
    async fn record_seen(&self, id: ChargerId, at: DateTime<Utc>) -> Result<()>;
    /// Stores a connector's status.
    async fn record_status(
        &self,
        id: ChargerId,
        connector: i32,
        status: &str,
        error_code: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Stores a connector's latest readings.
    async fn record_reading(
        &self,
        id: ChargerId,
        connector: i32,
        reading: &MeterReading,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// The user an RFID token belongs to on an installation.
    async fn id_tag_user(
        &self,
        installation: InstallationId,
        id_tag: &str,
    ) -> Result<Option<UserId>>;
    /// Registers an RFID token to a user of the installation (audited).
    async fn add_id_tag(
        &self,
        on: &Authorized<ManageUsers>,
        id_tag: &str,
        user: UserId,
    ) -> Result<()>;
    /// An installation's RFID tokens and whom they belong to, by token.
    async fn id_tags(
        &self,
        installation: InstallationId,
    ) -> Result<Vec<(String, crate::model::User)>>;
    /// Removes an RFID token (audited); `NotFound` when there was none.
    async fn remove_id_tag(&self, on: &Authorized<ManageUsers>, id_tag: &str) -> Result<()>;
    /// Starts a session and returns its transaction id; the same start reported again (after a
    /// reconnect) returns the same id.
    async fn start_charge_session(&self, charger: ChargerId, new: &NewChargeSession)
        -> Result<i32>;
    /// Stops a running session; false when it is unknown, another charger's, or already stopped.
    async fn stop_charge_session(
        &self,
        charger: ChargerId,
        transaction: i32,
        at: DateTime<Utc>,
        meter_stop: i64,
        reason: Option<&str>,
    ) -> Result<bool>;
    /// Adds energy samples (Wh) to a session of this charger; repeats are ignored.
    async fn add_meter_samples(
        &self,
        charger: ChargerId,
        transaction: i32,
        samples: &[(DateTime<Utc>, f64)],
    ) -> Result<()>;
    /// The energy samples of a session, in time order.
    async fn meter_samples(&self, transaction: i32) -> Result<Vec<(DateTime<Utc>, f64)>>;
    /// An installation's charge sessions, newest first.
    async fn charge_history(
        &self,
        installation: InstallationId,
        filter: &HistoryFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ChargeSession>>;
    /// The sessions of an installation that have not stopped, oldest first.
    async fn running_sessions(&self, installation: InstallationId) -> Result<Vec<RunningSession>>;
    /// Records a command sent to a charger of the installation and its outcome in the installation's
    /// audit log; `NotFound` for a charger elsewhere.
    async fn record_charger_command(
        &self,
        on: &Authorized<ControlChargers>,
        charger: &Charger,
        command: &str,
        outcome: &str,
    ) -> Result<()>;
}
