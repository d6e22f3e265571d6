//! The chargers part of the store: registration, what chargers report, charge sessions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use voltgate_domain::authz::{ChargerRight, ConfigureChargers, ControlChargers, ManageUsers};
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

/// A charger with what the API's charger list shows of it: its connectors' last state and its running
/// sessions.
#[derive(Clone, Debug, PartialEq)]
pub struct ChargerOverview {
    pub charger: Charger,
    /// By connector.
    pub connectors: Vec<ConnectorState>,
    /// In the order the server heard of them.
    pub running: Vec<RunningSession>,
    /// Whether a live process of the service holds its connection, where the database knows it (the
    /// cluster's routing table on PostgreSQL); `None` on SQLite, where the one process knows.
    pub online: Option<bool>,
}

impl ChargerOverview {
    /// The connector its list entry and commands speak of: the lowest with a running session, else 1.
    pub fn connector_in_use(&self) -> u32 {
        self.running
            .iter()
            .filter(|s| s.charger_id == self.charger.id && s.connector_id > 0)
            .map(|s| s.connector_id.unsigned_abs())
            .min()
            .unwrap_or(1)
    }

    /// The session running on the connector (the latest the server heard of).
    pub fn session(&self, connector: u32) -> Option<&RunningSession> {
        self.running
            .iter()
            .rfind(|s| s.charger_id == self.charger.id && s.connector_id == connector as i32)
    }

    /// Whether a session running on the connector is paused.
    pub fn paused(&self, connector: u32) -> bool {
        self.running.iter().any(|s| {
            s.charger_id == self.charger.id && s.connector_id == connector as i32 && s.paused
        })
    }

    /// The connector's last reported status (OCPP), if any.
    pub fn status(&self, connector: u32) -> Option<&str> {
        self.connectors
            .iter()
            .find(|c| c.connector_id == connector as i32)
            .map(|c| c.status.as_str())
    }

    /// What the charger list shows of it.
    pub fn summary(&self) -> ChargerSummary {
        let connector = self.connector_in_use();
        let charger = &self.charger;
        ChargerSummary {
            id: charger.id,
            identity: charger.identity.clone(),
            name: charger.name.clone(),
            created_at: charger.created_at,
            connector,
            status: self.status(connector).map(str::to_owned),
            paused: self.paused(connector),
            online: self.online,
        }
    }
}

/// What the API's charger list shows of a charger, read without its connectors' and sessions' details.
#[derive(Clone, Debug, PartialEq)]
pub struct ChargerSummary {
    pub id: ChargerId,
    pub identity: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// The connector the list speaks of: the lowest with a running session, else 1.
    pub connector: u32,
    /// That connector's last reported status (OCPP), if any.
    pub status: Option<String>,
    /// Whether the session running on that connector is paused.
    pub paused: bool,
    /// As [`ChargerOverview::online`].
    pub online: Option<bool>,
}

/// A charger's own settings as set through the API, in Zaptec's terms; `None` is not set.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChargerSettings {
    /// A: 0 stops charging, else 6–32.
    pub max_current: Option<f64>,
    /// A: 0 for none, else 6–32.
    pub min_current: Option<f64>,
    /// 1 or 3.
    pub max_phases: Option<i32>,
    /// A while offline; −1 automatic.
    pub offline_current: Option<f64>,
    /// Phases while offline; 0 automatic.
    pub offline_phases: Option<i32>,
}

impl ChargerSettings {
    /// `newer`'s values where it has them, else these.
    pub fn merged(self, newer: &ChargerSettings) -> ChargerSettings {
        ChargerSettings {
            max_current: newer.max_current.or(self.max_current),
            min_current: newer.min_current.or(self.min_current),
            max_phases: newer.max_phases.or(self.max_phases),
            offline_current: newer.offline_current.or(self.offline_current),
            offline_phases: newer.offline_phases.or(self.offline_phases),
        }
    }
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
    /// By the charger's clock.
    pub started_at: DateTime<Utc>,
    pub meter_start: i64,
    /// Whether the token was accepted; a session of a refused token is kept all the same, so its
    /// energy is in the history if the charger charges anyway.
    pub authorized: bool,
    /// When the server heard of it: the order in which sessions queue for current.
    pub received_at: DateTime<Utc>,
}

/// The `stop_reason` of a session that ended without a StopTransaction (the charger rebooted, reported
/// the connector free, started anew on it, or someone ended it in the portal).
pub const ENDED_WITHOUT_STOP: &str = "EndedWithoutStopTransaction";

/// A StopTransaction as the charger reported it, with its samples (Wh).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StopReport<'a> {
    pub transaction: i32,
    pub at: DateTime<Utc>,
    pub meter_stop: i64,
    pub reason: Option<&'a str>,
    pub samples: &'a [(DateTime<Utc>, f64)],
}

/// What a StopTransaction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// It ended a running session.
    Stopped,
    /// It replaced the estimate of a session that had been ended without it.
    Corrected,
    /// Not a session of this charger, or stopped already.
    Unknown,
}

/// Whom an RFID token is registered to on an installation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdTagHolder {
    pub user: UserId,
    /// Removed by someone who manages the installation (kept so the charger hears "Blocked").
    pub removed: bool,
}

/// One connector's charging limits as the charger last accepted them, in amperes, for load balancing.
/// "Uncertain" is a limit sent without a clear answer: the charger may be applying it.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectorLimit {
    pub charger_id: ChargerId,
    pub connector_id: i32,
    /// The TxDefaultProfile's limit (what a new session starts with).
    pub default_accepted: Option<f64>,
    pub default_uncertain: Option<f64>,
    /// The transaction a TxProfile was accepted for, and its limit.
    pub tx_transaction: Option<i32>,
    pub tx_accepted: Option<f64>,
    pub tx_uncertain: Option<f64>,
    /// The charger refused a TxProfile: its sessions are limited through the default profile.
    pub tx_refused: bool,
    /// Why the last limit did not arrive (rejected, offline, no answer), for the installation page.
    pub problem: Option<String>,
}

impl ConnectorLimit {
    /// A connector of which nothing is known yet.
    pub fn unknown(charger_id: ChargerId, connector_id: i32) -> Self {
        Self {
            charger_id,
            connector_id,
            default_accepted: None,
            default_uncertain: None,
            tx_transaction: None,
            tx_accepted: None,
            tx_uncertain: None,
            tx_refused: false,
            problem: None,
        }
    }
}

/// A command on its way to a charger, for the audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandAudit {
    /// The OCPP action, or what a person asked for (`Pause`).
    pub command: String,
    /// The particulars (the CALL's payload).
    pub request: serde_json::Value,
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
    /// The account whose token started it, while that account exists.
    pub user_id: Option<UserId>,
    pub user_full_name: Option<String>,
    pub started_at: DateTime<Utc>,
    pub meter_start: i64,
    pub stopped_at: Option<DateTime<Utc>>,
    pub meter_stop: Option<i64>,
    pub stop_reason: Option<String>,
    /// Whether the token was accepted when the session started.
    pub authorized: bool,
    /// False while the stop is the server's estimate (ended without a StopTransaction).
    pub stop_confirmed: bool,
    /// Energy delivered (Wh), once stopped.
    pub energy_wh: Option<f64>,
}

impl ChargeSession {
    /// Energy delivered, in kWh, once the session has stopped.
    pub fn energy_kwh(&self) -> Option<f64> {
        self.energy_wh.map(|wh| wh.max(0.0) / 1000.0)
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
    /// When the server heard of it (queue order for load balancing).
    pub received_at: DateTime<Utc>,
    /// The connector's meter at the start (Wh).
    pub meter_start: i64,
    /// Paused by a person: it gets no current, and its share goes to others.
    pub paused: bool,
}

/// How many sessions a history filter matches and the energy they delivered, counted in SQL.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HistoryTotals {
    pub sessions: i64,
    /// Energy of the stopped ones (Wh).
    pub energy_wh: f64,
    /// When the earliest and the latest of them started.
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
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
    /// Stores a charger's own settings (audited); each `None` leaves one as it is. `NotFound` for a
    /// charger of another installation.
    async fn set_charger_settings(
        &self,
        on: &Authorized<ConfigureChargers>,
        id: ChargerId,
        settings: &ChargerSettings,
    ) -> Result<()>;
    /// A charger's own settings as stored (all `None` when never set).
    async fn charger_settings(&self, id: ChargerId) -> Result<ChargerSettings>;
    /// The chargers of an installation that have a maximum current of their own (`max_current` of
    /// their settings, in A), for load balancing.
    async fn charger_caps(&self, installation: InstallationId) -> Result<Vec<(ChargerId, f64)>>;
    /// One charger.
    async fn charger(&self, id: ChargerId) -> Result<Option<Charger>>;
    /// The charger with this identity and its password hash, for authenticating a connection.
    async fn charger_credentials(&self, identity: &str) -> Result<Option<(Charger, String)>>;
    /// An installation's chargers, by name.
    async fn charger_list(&self, installation: InstallationId) -> Result<Vec<Charger>>;
    /// An installation's chargers with their connectors' last state, by name.
    async fn chargers(
        &self,
        installation: InstallationId,
    ) -> Result<Vec<(Charger, Vec<ConnectorState>)>>;
    /// One charger's connectors with their last state, including what this process received and has
    /// not written yet.
    async fn connector_states(&self, charger: ChargerId) -> Result<Vec<ConnectorState>>;
    /// One page of an installation's chargers by name (`limit` rows from `offset`, or all when
    /// `limit` is `None`) with their connectors and running sessions, in one query, and how many
    /// chargers the installation has.
    async fn charger_page(
        &self,
        installation: InstallationId,
        limit: Option<i64>,
        offset: i64,
    ) -> Result<(Vec<ChargerOverview>, i64)>;
    /// Stores what a BootNotification said.
    async fn record_boot(&self, id: ChargerId, boot: &BootInfo, at: DateTime<Utc>) -> Result<()>;
    /// Writes at once what the charger hot path left waiting in memory (see [`crate::batch`]); reads of
    /// charger state do this themselves.
    async fn flush(&self) -> Result<()>;
    /// Notes that the charger was heard from (written with the next batch).
    async fn record_seen(&self, id: ChargerId, at: DateTime<Utc>) -> Result<()>;
    /// Stores a connector's status as of `status_at` (the charger's time), unless a newer one is stored
    /// (written with the next batch); answers whether it is newer than any this process took for the
    /// connector.
    async fn record_status(
        &self,
        id: ChargerId,
        connector: i32,
        status: &str,
        error_code: &str,
        status_at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Stores a connector's latest readings (written with the next batch).
    async fn record_reading(
        &self,
        id: ChargerId,
        connector: i32,
        reading: &MeterReading,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Whom an RFID token is (or was, before its removal) registered to on an installation.
    async fn id_tag_holder(
        &self,
        installation: InstallationId,
        id_tag: &str,
    ) -> Result<Option<IdTagHolder>>;
    /// The RFID token a charging session started through the API by the capability's holder is started
    /// with, so that the session is theirs: their oldest token on the installation, else `candidate`,
    /// registered to them now (audited). `Conflict("id_tag")` when `candidate` is someone else's.
    async fn api_id_tag(&self, on: &Authorized<ControlChargers>, candidate: &str)
        -> Result<String>;
    /// Registers an RFID token to a user of the installation (audited).
    async fn add_id_tag(
        &self,
        on: &Authorized<ManageUsers>,
        id_tag: &str,
        user: UserId,
    ) -> Result<()>;
    /// An installation's RFID tokens (not removed) and whom they belong to, by token.
    async fn id_tags(
        &self,
        installation: InstallationId,
    ) -> Result<Vec<(String, crate::model::User)>>;
    /// Removes an RFID token (audited); `NotFound` when there was none. The installation remembers it
    /// was removed.
    async fn remove_id_tag(&self, on: &Authorized<ManageUsers>, id_tag: &str) -> Result<()>;
    /// Starts a session and returns its transaction id; the same start reported again (after a
    /// reconnect) returns the same id.
    async fn start_charge_session(&self, charger: ChargerId, new: &NewChargeSession)
        -> Result<i32>;
    /// Stops a session with its samples, in one transaction: a running one, or one the server had
    /// ended without a StopTransaction (its estimate is replaced, never counted twice).
    async fn stop_charge_session(
        &self,
        charger: ChargerId,
        stop: &StopReport<'_>,
    ) -> Result<Stopped>;
    /// Ends the charger's open sessions that started before `before` (on one connector, or all) as
    /// [`ENDED_WITHOUT_STOP`], at `at`, with the last meter reading known; returns their ids.
    async fn end_open_sessions(
        &self,
        charger: ChargerId,
        connector: Option<i32>,
        before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Vec<i32>>;
    /// Ends one running session of a charger as [`ENDED_WITHOUT_STOP`] (a person's decision, audited
    /// by the caller with the command); false when it was not running.
    async fn end_session(&self, charger: ChargerId, transaction: i32) -> Result<bool>;
    /// Marks a running session paused or not; false when it is not running on this charger.
    async fn set_session_paused(
        &self,
        charger: ChargerId,
        transaction: i32,
        paused: bool,
    ) -> Result<bool>;
    /// Adds energy samples (Wh) to a session of this charger (written with the next batch); repeats
    /// are ignored.
    async fn add_meter_samples(
        &self,
        charger: ChargerId,
        transaction: i32,
        samples: &[(DateTime<Utc>, f64)],
    ) -> Result<()>;
    /// The energy samples of a session, in time order.
    /// The meter samples of each of these sessions, in one query (a page of a history).
    async fn meter_samples_of(
        &self,
        transactions: &[i32],
    ) -> Result<std::collections::HashMap<i32, Vec<(DateTime<Utc>, f64)>>>;
    async fn meter_samples(&self, transaction: i32) -> Result<Vec<(DateTime<Utc>, f64)>>;
    /// An installation's charge sessions, newest first.
    async fn charge_history(
        &self,
        installation: InstallationId,
        filter: &HistoryFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ChargeSession>>;
    /// How many sessions `charge_history` would list with no limit, and their energy.
    async fn charge_history_totals(
        &self,
        installation: InstallationId,
        filter: &HistoryFilter,
    ) -> Result<HistoryTotals>;
    /// One charge session and its charger's installation.
    async fn charge_session(&self, id: i32) -> Result<Option<(ChargeSession, InstallationId)>>;
    /// The sessions of an installation that have not stopped, oldest first.
    async fn running_sessions(&self, installation: InstallationId) -> Result<Vec<RunningSession>>;
    /// Writes the audit event of a command about to be sent to a charger of the installation (who,
    /// through which group, what) and returns its id for the outcome; `NotFound` for a charger
    /// elsewhere. Text is cleaned of what the databases cannot hold (NUL) first.
    async fn begin_charger_command(
        &self,
        on: &ChargerRight,
        charger: &Charger,
        command: &CommandAudit,
    ) -> Result<i64>;
    /// Adds the outcome to a command's audit event: a code with arguments the portal translates
    /// (`{"id": "outcome-answered", "args": {"status": "Accepted"}}`); its text is cleaned like the rest.
    async fn finish_charger_command(
        &self,
        event: i64,
        charger: &Charger,
        command: &CommandAudit,
        outcome: &serde_json::Value,
    ) -> Result<()>;
    /// The charging limits of an installation's connectors.
    async fn connector_limits(&self, installation: InstallationId) -> Result<Vec<ConnectorLimit>>;
    /// The charging limits of one charger's connectors.
    async fn charger_limits(&self, charger: ChargerId) -> Result<Vec<ConnectorLimit>>;
    /// Stores a connector's charging limits.
    async fn save_connector_limit(&self, limit: &ConnectorLimit) -> Result<()>;
}
