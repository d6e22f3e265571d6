//! Rows as the databases return them, and their conversion into checked domain values.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;
use voltgate_domain::settings::{Amperes, AvailableCurrent, InstallationSettings, Phases};
use voltgate_domain::{GrantRights, GroupId, GroupRole, InstallationId, LookupKey, Role, UserId};

use crate::error::StoreError;
use crate::model::*;

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    full_name: String,
    language: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId::from_uuid(row.id),
            email: row.email,
            full_name: row.full_name,
            language: row.language,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CredentialsRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub password_hash: String,
    pub session_epoch: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct InstallationRow {
    id: Uuid,
    name: String,
    address: String,
    installation_type: String,
    max_current: f64,
    available_current_mode: String,
    available_current_phase1: f64,
    available_current_phase2: f64,
    available_current_phase3: f64,
    authentication_required: bool,
    phases: i32,
    time_zone: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The stored columns of [`InstallationSettings`]: mode and the three phase limits.
pub(crate) fn settings_columns(settings: &InstallationSettings) -> (&'static str, [f64; 3]) {
    let mode = match settings.available_current {
        AvailableCurrent::AllPhases(_) => "all",
        AvailableCurrent::PerPhase(_) => "per_phase",
    };
    (mode, settings.available_current.phases().map(Amperes::get))
}

impl TryFrom<InstallationRow> for Installation {
    type Error = StoreError;

    fn try_from(row: InstallationRow) -> Result<Self, StoreError> {
        let amps = |value: f64| Amperes::new(value).map_err(corrupt);
        let phases = [
            amps(row.available_current_phase1)?,
            amps(row.available_current_phase2)?,
            amps(row.available_current_phase3)?,
        ];
        let available_current = match row.available_current_mode.as_str() {
            "all" => AvailableCurrent::AllPhases(phases[0]),
            "per_phase" => AvailableCurrent::PerPhase(phases),
            other => return Err(corrupt(format!("available current mode {other:?}"))),
        };
        Ok(Installation {
            id: InstallationId::from_uuid(row.id),
            name: row.name,
            address: row.address,
            installation_type: row.installation_type.parse().map_err(corrupt)?,
            settings: InstallationSettings {
                max_current: amps(row.max_current)?,
                available_current,
                authentication_required: row.authentication_required,
                phases: Phases::from_count(row.phases.into()).ok_or_else(|| corrupt("phases"))?,
            },
            time_zone: voltgate_domain::Zone::parse(&row.time_zone)
                .map_err(|_| corrupt("time zone"))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct InstallationWithRoleRow {
    #[sqlx(flatten)]
    pub installation: InstallationRow,
    pub role: Option<String>,
}

pub(crate) fn parse_role(role: Option<String>) -> Result<Option<Role>, StoreError> {
    role.map(|r| r.parse().map_err(corrupt)).transpose()
}

/// The condition that grant `g` has not ended at the instant in parameter `now` (milliseconds since the
/// epoch): every query that gives a principal access through a grant adds it.
pub(crate) fn grant_in_force(now: &str) -> String {
    format!("(g.expires_at IS NULL OR g.expires_at > {now})")
}

/// A grant's rights as the store keeps them.
pub(crate) fn grant_rights(bits: i64) -> Result<GrantRights, StoreError> {
    GrantRights::from_bits(bits).ok_or_else(|| corrupt(format!("grant rights {bits}")))
}

/// A grant's end as the store keeps it.
pub(crate) fn grant_end(ms: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    ms.map(|ms| {
        DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt(format!("grant end {ms}")))
    })
    .transpose()
}

pub(crate) fn parse_group_role(role: &str) -> Result<GroupRole, StoreError> {
    role.parse().map_err(corrupt)
}

#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub role: String,
    pub since: DateTime<Utc>,
}

impl TryFrom<MemberRow> for InstallationMember {
    type Error = StoreError;

    fn try_from(row: MemberRow) -> Result<Self, StoreError> {
        let role = row.role.parse().map_err(corrupt)?;
        Ok(InstallationMember {
            user: row.user.into(),
            role,
            since: row.since,
        })
    }
}

impl TryFrom<MemberRow> for GroupMember {
    type Error = StoreError;

    fn try_from(row: MemberRow) -> Result<Self, StoreError> {
        Ok(GroupMember {
            role: parse_group_role(&row.role)?,
            user: row.user.into(),
            since: row.since,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct GroupRow {
    id: Uuid,
    name: String,
    description: String,
    support_email: Option<String>,
    support_url: Option<String>,
    lookup_key: String,
    created_at: DateTime<Utc>,
    verified_at: Option<DateTime<Utc>>,
}

impl GroupRow {
    pub(crate) fn id(&self) -> Uuid {
        self.id
    }

    pub(crate) fn into_group(self, return_urls: Vec<String>) -> Result<Group, StoreError> {
        Ok(Group {
            id: GroupId::from_uuid(self.id),
            name: self.name,
            description: self.description,
            support_email: self.support_email,
            support_url: self.support_url,
            lookup_key: LookupKey::parse(&self.lookup_key).map_err(corrupt)?,
            return_urls,
            created_at: self.created_at,
            verified_at: self.verified_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct GroupWithRoleRow {
    #[sqlx(flatten)]
    pub group: GroupRow,
    pub role: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor_id: Option<Uuid>,
    actor_email: Option<String>,
    installation_id: Option<Uuid>,
    group_id: Option<Uuid>,
    kind: String,
    detail: Json<serde_json::Value>,
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> Self {
        AuditEvent {
            id: row.id,
            at: row.at,
            actor: row.actor_id.map(UserId::from_uuid),
            actor_email: row.actor_email,
            installation: row.installation_id.map(InstallationId::from_uuid),
            group: row.group_id.map(GroupId::from_uuid),
            kind: row.kind,
            detail: row.detail.0,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct GrantRow {
    #[sqlx(flatten)]
    pub group: GroupRow,
    pub granted_by: Option<Uuid>,
    pub granted_at: DateTime<Utc>,
    pub rights: i64,
    pub expires_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChargerRow {
    id: Uuid,
    installation_id: Uuid,
    identity: String,
    name: String,
    connectors: i32,
    vendor: Option<String>,
    model: Option<String>,
    serial_number: Option<String>,
    firmware_version: Option<String>,
    booted_at: Option<DateTime<Utc>>,
    last_seen_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    pub password_hash: Option<String>,
}

impl From<ChargerRow> for crate::chargers::Charger {
    fn from(row: ChargerRow) -> Self {
        Self {
            id: voltgate_domain::ChargerId::from_uuid(row.id),
            installation_id: InstallationId::from_uuid(row.installation_id),
            identity: row.identity,
            name: row.name,
            connectors: row.connectors,
            vendor: row.vendor,
            model: row.model,
            serial_number: row.serial_number,
            firmware_version: row.firmware_version,
            booted_at: row.booted_at,
            last_seen_at: row.last_seen_at,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConnectorRow {
    pub charger_id: Uuid,
    connector_id: i32,
    status: String,
    error_code: String,
    power_w: Option<f64>,
    current_l1: Option<f64>,
    current_l2: Option<f64>,
    current_l3: Option<f64>,
    energy_wh: Option<f64>,
    updated_at: DateTime<Utc>,
}

impl From<&ConnectorRow> for crate::chargers::ConnectorState {
    fn from(row: &ConnectorRow) -> Self {
        Self {
            connector_id: row.connector_id,
            status: row.status.clone(),
            error_code: row.error_code.clone(),
            power_w: row.power_w,
            current: [row.current_l1, row.current_l2, row.current_l3],
            energy_wh: row.energy_wh,
            updated_at: row.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChargeSessionRow {
    id: i32,
    charger_id: Uuid,
    charger_name: String,
    connector_id: i32,
    id_tag: String,
    user_email: Option<String>,
    user_id: Option<Uuid>,
    user_full_name: Option<String>,
    started_at: DateTime<Utc>,
    meter_start: i64,
    stopped_at: Option<DateTime<Utc>>,
    meter_stop: Option<i64>,
    stop_reason: Option<String>,
    authorized: bool,
    stop_confirmed: bool,
    energy_wh: Option<f64>,
}

impl From<ChargeSessionRow> for crate::chargers::ChargeSession {
    fn from(row: ChargeSessionRow) -> Self {
        Self {
            id: row.id,
            charger_id: voltgate_domain::ChargerId::from_uuid(row.charger_id),
            charger_name: row.charger_name,
            connector_id: row.connector_id,
            id_tag: row.id_tag,
            user_email: row.user_email,
            user_id: row.user_id.map(UserId::from_uuid),
            user_full_name: row.user_full_name,
            started_at: row.started_at,
            meter_start: row.meter_start,
            stopped_at: row.stopped_at,
            meter_stop: row.meter_stop,
            stop_reason: row.stop_reason,
            authorized: row.authorized,
            stop_confirmed: row.stop_confirmed,
            energy_wh: row.energy_wh,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConnectorLimitRow {
    charger_id: Uuid,
    connector_id: i32,
    default_accepted: Option<f64>,
    default_uncertain: Option<f64>,
    tx_transaction: Option<i32>,
    tx_accepted: Option<f64>,
    tx_uncertain: Option<f64>,
    tx_refused: bool,
    problem: Option<String>,
}

impl From<ConnectorLimitRow> for crate::chargers::ConnectorLimit {
    fn from(row: ConnectorLimitRow) -> Self {
        Self {
            charger_id: voltgate_domain::ChargerId::from_uuid(row.charger_id),
            connector_id: row.connector_id,
            default_accepted: row.default_accepted,
            default_uncertain: row.default_uncertain,
            tx_transaction: row.tx_transaction,
            tx_accepted: row.tx_accepted,
            tx_uncertain: row.tx_uncertain,
            tx_refused: row.tx_refused,
            problem: row.problem,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct IdTagRow {
    pub id_tag: String,
    #[sqlx(flatten)]
    pub user: UserRow,
}
