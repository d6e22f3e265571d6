//! The chargers' SQL, written once: a module of `sqlite.rs` and of `postgres.rs` (`#[path]`), compiled
//! against each engine's `Db` and `EngineStore`.

use super::EngineStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;
use voltgate_domain::authz::{ChargerRight, ConfigureChargers, ControlChargers, ManageUsers};
use voltgate_domain::id_tag::delivered_wh;
use voltgate_domain::text::reported;
use voltgate_domain::{Authorized, ChargerId, InstallationId, UserId};

use super::webhooks_sql::enqueue_session;
use super::{audit, Subject};
use crate::batch::{Flush, Queue, Status, ROWS_PER_STATEMENT};
use crate::chargers::*;
use crate::error::{Result, StoreError};
use crate::rows::{ChargeSessionRow, ChargerRow, ConnectorLimitRow, ConnectorRow, IdTagRow};
use voltgate_domain::webhook::WebhookEvent;

/// The columns of a [`ChargeSession`], from `s` (sessions), `c` (chargers) and `u` (users).
pub(crate) const SESSION_COLUMNS: &str = "s.id, s.charger_id, c.name AS charger_name, s.connector_id, s.id_tag, \
     u.email AS user_email, u.id AS user_id, u.full_name AS user_full_name, s.started_at, s.meter_start, s.stopped_at, \
     s.meter_stop, s.stop_reason, s.authorized, s.stop_confirmed, s.energy_wh";
const CHARGER_COLUMNS: &str =
    "c.id, c.installation_id, c.identity, c.name, c.connectors, c.vendor, c.model, \
     c.serial_number, c.firmware_version, c.booted_at, c.last_seen_at, c.created_at";

/// One charger of [`ChargerStore::charger_page`] as the query's JSON gives it: an array whose items
/// are these fields in this order (as `page_columns` writes them; so are [`StateJson`] and
/// [`RunningJson`]).
#[derive(serde::Deserialize)]
struct OverviewJson {
    id: String,
    identity: String,
    name: String,
    connectors: i32,
    vendor: Option<String>,
    model: Option<String>,
    serial_number: Option<String>,
    firmware_version: Option<String>,
    booted_at: Option<String>,
    last_seen_at: Option<String>,
    created_at: String,
    /// Whether a live process holds its connection, where the database knows (PostgreSQL).
    online: Option<bool>,
    states: Option<Vec<StateJson>>,
    running: Option<Vec<RunningJson>>,
}

#[derive(serde::Deserialize)]
struct StateJson {
    connector_id: i32,
    status: String,
    error_code: String,
    power_w: Option<f64>,
    current_l1: Option<f64>,
    current_l2: Option<f64>,
    current_l3: Option<f64>,
    energy_wh: Option<f64>,
    updated_at: String,
}

#[derive(serde::Deserialize)]
struct RunningJson {
    id: i32,
    connector_id: i32,
    started_at: String,
    received_at: Option<String>,
    meter_start: i64,
    /// A boolean on PostgreSQL, 0 or 1 on SQLite.
    paused: serde_json::Value,
}

/// A time as the engines write it into JSON (RFC 3339, or SQLite's `YYYY-MM-DD HH:MM:SS`).
fn json_time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .map(|at| at.and_utc())
        })
        .map_err(|_| StoreError::Corrupt(format!("a time: {text:?}")))
}

fn json_uuid(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt(format!("an id: {text:?}")))
}

/// The two columns of a charger page, `total` (how many chargers the installation has) and `page` (one
/// JSON array: a page of its chargers by name, each with its connectors' last state, its running
/// sessions and, on PostgreSQL, whether a live process holds its connection), for the installation,
/// limit and offset in these placeholders. With a `guard`, both are NULL where it does not hold.
pub(crate) fn page_columns(
    installation: &str,
    limit: &str,
    offset: &str,
    guard: Option<&str>,
) -> String {
    use super::dialect::{
        uuid_text, JSON_ARRAY as ROW, JSON_ARRAY_AGG as AGG, JSON_EMBED as EMBED, ONLINE,
    };
    let total = format!("(SELECT COUNT(*) FROM chargers WHERE installation_id = {installation})");
    // Each charger, state and session is an array in the order of its struct's fields (serde reads a
    // struct from an array by position): no key is written, matched or stored for every row. The
    // aggregate keeps the page's order itself (SQLite 3.44+, PostgreSQL).
    let page = format!(
        "CAST((SELECT {AGG}({ROW}({id}, p.identity, p.name, p.connectors, p.vendor, p.model, \
           p.serial_number, p.firmware_version, p.booted_at, p.last_seen_at, p.created_at, {ONLINE}, \
           {EMBED}((SELECT {AGG}({ROW}(s.connector_id, s.status, s.error_code, s.power_w, s.current_l1, \
             s.current_l2, s.current_l3, s.energy_wh, s.updated_at)) \
             FROM connector_states s WHERE s.charger_id = p.id)), \
           {EMBED}((SELECT {AGG}({ROW}(r.id, r.connector_id, r.started_at, r.received_at, r.meter_start, r.paused)) \
             FROM charge_sessions r WHERE r.charger_id = p.id AND r.stopped_at IS NULL))) \
           ORDER BY p.name, p.identity) \
          FROM (SELECT c.id, c.identity, c.name, c.connectors, c.vendor, c.model, c.serial_number, \
                c.firmware_version, c.booted_at, c.last_seen_at, c.created_at FROM chargers c \
                WHERE c.installation_id = {installation} ORDER BY c.name, c.identity LIMIT {limit} OFFSET {offset}) p) AS TEXT)",
        id = uuid_text("p.id"),
    );
    match guard {
        Some(guard) => format!("CASE WHEN {guard} THEN {total} END AS total, CASE WHEN {guard} THEN {page} END AS page"),
        None => format!("{total} AS total, {page} AS page"),
    }
}

/// The chargers of a page read with [`page_columns`], in the database's order of names.
pub(crate) fn decode_page(
    page: Option<String>,
    installation: InstallationId,
) -> Result<Vec<ChargerOverview>> {
    let page: Vec<OverviewJson> = match page {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("a charger page: {e}")))?,
        None => Vec::new(),
    };
    page.into_iter()
        .map(|charger| charger.into_overview(installation))
        .collect()
}

/// A page of an installation's chargers as a table of rows (aliased `cp` by [`summary_columns`]): each
/// charger's id, identity, name and creation time, the connector its list entry speaks of (the lowest
/// with a running session, else 1), that connector's status and whether a session running there is
/// paused, and (PostgreSQL) whether a live process holds its
/// connection.
fn summary_page(installation: &str, limit: &str, offset: &str) -> String {
    use super::dialect::ONLINE;
    format!(
        "(SELECT q.id AS charger_id, q.identity AS charger_identity, q.name AS charger_name, \
           q.created_at AS charger_created_at, q.connector AS charger_connector, q.online AS charger_online, \
           (SELECT s.status FROM connector_states s WHERE s.charger_id = q.id AND s.connector_id = q.connector) \
             AS connector_status, \
           EXISTS (SELECT 1 FROM charge_sessions r WHERE r.charger_id = q.id AND r.stopped_at IS NULL \
             AND r.connector_id = q.connector AND r.paused) AS connector_paused \
         FROM (SELECT p.id, p.identity, p.name, p.created_at, {ONLINE} AS online, \
                 COALESCE((SELECT MIN(r.connector_id) FROM charge_sessions r \
                   WHERE r.charger_id = p.id AND r.stopped_at IS NULL AND r.connector_id > 0), 1) AS connector \
               FROM chargers p WHERE p.installation_id = {installation} \
               ORDER BY p.name, p.identity LIMIT {limit} OFFSET {offset}) q)"
    )
}

/// A page of an installation's chargers (see `summary_page`) beside a row whose `guard` says whether it
/// may be read: the columns to select, the join to add and what to order by after the row's own order.
/// On PostgreSQL the page comes as rows (one per charger, columns as [`SUMMARY_COLUMNS`]); on SQLite,
/// which hands every row to the async side through a thread switch, as one JSON column `summaries`
/// (read with [`decode_summaries`]).
pub(crate) fn summary_columns(
    (installation, limit, offset): (&str, &str, &str),
    guard: &str,
) -> (String, String, &'static str) {
    use super::dialect::{uuid_text, JSON_ARRAY as ROW, JSON_ARRAY_AGG as AGG, SUMMARY_AS_ROWS};
    let page = summary_page(installation, limit, offset);
    if SUMMARY_AS_ROWS {
        return (
            SUMMARY_COLUMNS.to_owned(),
            format!(" LEFT JOIN {page} AS cp ON {guard}"),
            ", cp.charger_name, cp.charger_identity",
        );
    }
    let json = format!(
        "CASE WHEN {guard} THEN (SELECT {AGG}({ROW}({id}, cp.charger_identity, cp.charger_name, \
           cp.charger_created_at, cp.charger_connector, cp.charger_online, cp.connector_status, \
           cp.connector_paused) ORDER BY cp.charger_name, cp.charger_identity) FROM {page} AS cp) END AS summaries",
        id = uuid_text("cp.charger_id"),
    );
    (json, String::new(), "")
}

/// The columns of a page as rows (see [`summary_columns`]).
const SUMMARY_COLUMNS: &str = "cp.charger_id, cp.charger_identity, cp.charger_name, \
    cp.charger_created_at, cp.charger_connector, cp.charger_online, cp.connector_status, cp.connector_paused";

/// One charger of a page as JSON (see [`summary_columns`]): an array of these fields in this order.
#[derive(serde::Deserialize)]
struct SummaryJson {
    id: String,
    identity: String,
    name: String,
    created_at: String,
    connector: i64,
    online: Option<bool>,
    status: Option<String>,
    /// A boolean on PostgreSQL, 0 or 1 on SQLite; NULL without a running session.
    paused: serde_json::Value,
}

/// The chargers of a page read as JSON with [`summary_columns`], in the database's order of names.
pub(crate) fn decode_summaries(page: Option<String>) -> Result<Vec<ChargerSummary>> {
    let Some(text) = page else {
        return Ok(Vec::new());
    };
    let page: Vec<SummaryJson> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("a charger page: {e}")))?;
    page.into_iter()
        .map(|charger| {
            Ok(ChargerSummary {
                id: ChargerId::from_uuid(json_uuid(&charger.id)?),
                identity: charger.identity,
                name: charger.name,
                created_at: json_time(&charger.created_at)?,
                connector: u32::try_from(charger.connector.max(1)).unwrap_or(1),
                status: charger.status,
                paused: json_flag(&charger.paused),
                online: charger.online,
            })
        })
        .collect()
}

/// A flag as the engines write it into JSON: a boolean (PostgreSQL) or 0/1 (SQLite); NULL is false.
fn json_flag(value: &serde_json::Value) -> bool {
    value
        .as_bool()
        .unwrap_or_else(|| value.as_i64().is_some_and(|n| n != 0))
}

impl OverviewJson {
    fn into_overview(self, installation: InstallationId) -> Result<ChargerOverview> {
        let optional = |at: Option<String>| at.as_deref().map(json_time).transpose();
        let charger = Charger {
            id: ChargerId::from_uuid(json_uuid(&self.id)?),
            installation_id: installation,
            identity: self.identity,
            name: self.name,
            connectors: self.connectors,
            vendor: self.vendor,
            model: self.model,
            serial_number: self.serial_number,
            firmware_version: self.firmware_version,
            booted_at: optional(self.booted_at)?,
            last_seen_at: optional(self.last_seen_at)?,
            created_at: json_time(&self.created_at)?,
        };
        let mut connectors = self
            .states
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                Ok(ConnectorState {
                    connector_id: s.connector_id,
                    status: s.status,
                    error_code: s.error_code,
                    power_w: s.power_w,
                    current: [s.current_l1, s.current_l2, s.current_l3],
                    energy_wh: s.energy_wh,
                    updated_at: json_time(&s.updated_at)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        connectors.sort_by_key(|c| c.connector_id);
        let mut running = self
            .running
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                let started_at = json_time(&r.started_at)?;
                Ok(RunningSession {
                    transaction: r.id,
                    charger_id: charger.id,
                    identity: charger.identity.clone(),
                    connector_id: r.connector_id,
                    started_at,
                    received_at: optional(r.received_at)?.unwrap_or(started_at),
                    meter_start: r.meter_start,
                    paused: json_flag(&r.paused),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        running.sort_by_key(|r| (r.received_at, r.transaction));
        Ok(ChargerOverview {
            charger,
            connectors,
            running,
            online: self.online,
        })
    }
}

impl EngineStore {
    async fn charger_where(
        &self,
        condition: &str,
        bind: Uuid,
    ) -> Result<Option<(Charger, String)>> {
        let sql =
            format!("SELECT {CHARGER_COLUMNS}, c.password_hash FROM chargers c WHERE {condition}");
        let row: Option<(ChargerRow, String)> = sqlx::query_as::<_, ChargerRow>(&sql)
            .bind(bind)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| {
                let hash = row.password_hash.clone().unwrap_or_default();
                (row, hash)
            });
        Ok(row.map(|(row, hash)| (row.into(), hash)))
    }
}

#[async_trait]
impl ChargerStore for EngineStore {
    async fn create_charger(
        &self,
        on: &Authorized<ManageUsers>,
        new: &NewCharger,
    ) -> Result<Charger> {
        let (installation, actor) = (on.id(), on.principal());
        let id = ChargerId::random();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO chargers (id, installation_id, identity, name, connectors, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.as_uuid())
        .bind(installation.as_uuid())
        .bind(new.identity.as_str())
        .bind(new.name.as_str())
        .bind(i32::from(new.connectors))
        .bind(&new.password_hash)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await
        .map_err(|e| match StoreError::on_unique("identity")(e) {
            StoreError::Database(e) => StoreError::on_foreign_key(e),
            other => other,
        })?;
        let detail =
            json!({ "charger": id, "identity": new.identity.as_str(), "name": new.name.as_str() });
        audit(
            &mut tx,
            actor,
            Subject {
                installation: Some(installation),
                group: None,
            },
            "charger_added",
            detail,
        )
        .await?;
        tx.commit().await?;
        self.charger(id).await?.ok_or(StoreError::NotFound)
    }

    async fn set_charger_password(
        &self,
        on: &Authorized<ManageUsers>,
        id: ChargerId,
        password_hash: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE chargers SET password_hash = $2 WHERE id = $1 AND installation_id = $3",
        )
        .bind(id.as_uuid())
        .bind(password_hash)
        .bind(on.id().as_uuid())
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let subject = Subject::acting_on(on);
        audit(
            &mut tx,
            on.principal(),
            subject,
            "charger_password_changed",
            json!({ "charger": id }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_charger_settings(
        &self,
        on: &Authorized<ConfigureChargers>,
        id: ChargerId,
        settings: &ChargerSettings,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let ours: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM chargers WHERE id = $1 AND installation_id = $2")
                .bind(id.as_uuid())
                .bind(on.id().as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
        if ours.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO charger_settings (charger_id, max_current, min_current, max_phases, offline_current, \
             offline_phases, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (charger_id) DO UPDATE SET \
             max_current = COALESCE(excluded.max_current, charger_settings.max_current), \
             min_current = COALESCE(excluded.min_current, charger_settings.min_current), \
             max_phases = COALESCE(excluded.max_phases, charger_settings.max_phases), \
             offline_current = COALESCE(excluded.offline_current, charger_settings.offline_current), \
             offline_phases = COALESCE(excluded.offline_phases, charger_settings.offline_phases), \
             updated_at = excluded.updated_at",
        )
        .bind(id.as_uuid())
        .bind(settings.max_current)
        .bind(settings.min_current)
        .bind(settings.max_phases)
        .bind(settings.offline_current)
        .bind(settings.offline_phases)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        let subject = Subject::acting_on(on);
        let detail = json!({
            "charger": id,
            "max_current": settings.max_current,
            "min_current": settings.min_current,
            "max_phases": settings.max_phases,
            "offline_current": settings.offline_current,
            "offline_phases": settings.offline_phases,
        });
        audit(
            &mut tx,
            on.principal(),
            subject,
            "charger_settings_changed",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn charger_settings(&self, id: ChargerId) -> Result<ChargerSettings> {
        type Row = (
            Option<f64>,
            Option<f64>,
            Option<i32>,
            Option<f64>,
            Option<i32>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT max_current, min_current, max_phases, offline_current, offline_phases \
             FROM charger_settings WHERE charger_id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map_or_else(
            ChargerSettings::default,
            |(max_current, min_current, max_phases, offline_current, offline_phases)| {
                ChargerSettings {
                    max_current,
                    min_current,
                    max_phases,
                    offline_current,
                    offline_phases,
                }
            },
        ))
    }

    async fn charger_caps(&self, installation: InstallationId) -> Result<Vec<(ChargerId, f64)>> {
        let rows: Vec<(Uuid, f64)> = sqlx::query_as(
            "SELECT s.charger_id, s.max_current FROM charger_settings s JOIN chargers c ON c.id = s.charger_id \
             WHERE c.installation_id = $1 AND s.max_current IS NOT NULL",
        )
        .bind(installation.as_uuid())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, cap)| (ChargerId::from_uuid(id), cap))
            .collect())
    }

    async fn charger(&self, id: ChargerId) -> Result<Option<Charger>> {
        // Commands look chargers up here: they do not wait for the batch (its `last_seen_at` may be a
        // quarter second old); pages read `chargers`, which writes the batch first.
        Ok(self
            .charger_where("c.id = $1", id.as_uuid())
            .await?
            .map(|(charger, _)| charger))
    }

    async fn charger_credentials(&self, identity: &str) -> Result<Option<(Charger, String)>> {
        let sql = format!(
            "SELECT {CHARGER_COLUMNS}, c.password_hash FROM chargers c WHERE c.identity = $1"
        );
        let row = sqlx::query_as::<_, ChargerRow>(&sql)
            .bind(identity)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| {
            let hash = row.password_hash.clone().unwrap_or_default();
            (row.into(), hash)
        }))
    }

    async fn charger_list(&self, installation: InstallationId) -> Result<Vec<Charger>> {
        let sql = format!(
            "SELECT {CHARGER_COLUMNS}, NULL AS password_hash FROM chargers c WHERE c.installation_id = $1 ORDER BY c.name, c.identity"
        );
        let rows = sqlx::query_as::<_, ChargerRow>(&sql)
            .bind(installation.as_uuid())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Charger::from).collect())
    }

    async fn connector_states(&self, charger: ChargerId) -> Result<Vec<ConnectorState>> {
        self.flush_pending().await?;
        let states = sqlx::query_as::<_, ConnectorRow>(
            "SELECT s.charger_id, s.connector_id, s.status, s.error_code, s.power_w, s.current_l1, s.current_l2, \
             s.current_l3, s.energy_wh, s.updated_at FROM connector_states s WHERE s.charger_id = $1 \
             ORDER BY s.connector_id",
        )
        .bind(charger.as_uuid())
        .fetch_all(&self.pool)
        .await?;
        Ok(states.iter().map(ConnectorState::from).collect())
    }

    async fn chargers(
        &self,
        installation: InstallationId,
    ) -> Result<Vec<(Charger, Vec<ConnectorState>)>> {
        self.flush_pending().await?;
        let chargers = self.charger_list(installation).await?;
        let states = sqlx::query_as::<_, ConnectorRow>(
            "SELECT s.charger_id, s.connector_id, s.status, s.error_code, s.power_w, s.current_l1, s.current_l2, \
             s.current_l3, s.energy_wh, s.updated_at FROM connector_states s JOIN chargers c ON c.id = s.charger_id \
             WHERE c.installation_id = $1 ORDER BY s.connector_id",
        )
        .bind(installation.as_uuid())
        .fetch_all(&self.pool)
        .await?;
        Ok(chargers
            .into_iter()
            .map(|charger| {
                let connectors = states
                    .iter()
                    .filter(|s| s.charger_id == charger.id.as_uuid())
                    .map(ConnectorState::from)
                    .collect();
                (charger, connectors)
            })
            .collect())
    }

    async fn charger_page(
        &self,
        installation: InstallationId,
        limit: Option<i64>,
        offset: i64,
    ) -> Result<(Vec<ChargerOverview>, i64)> {
        self.flush_pending().await?;
        // One row for the whole page: its chargers with their connectors and running sessions as JSON.
        static SQL: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| format!("SELECT {}", page_columns("$1", "$2", "$3", None)));
        let (total, page): (Option<i64>, Option<String>) = sqlx::query_as(SQL.as_str())
            .bind(installation.as_uuid())
            .bind(limit.unwrap_or(i64::MAX))
            .bind(offset)
            .fetch_one(&self.pool)
            .await?;
        Ok((decode_page(page, installation)?, total.unwrap_or(0)))
    }

    async fn record_boot(&self, id: ChargerId, boot: &BootInfo, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE chargers SET vendor = $2, model = $3, serial_number = $4, firmware_version = $5, \
             booted_at = $6, last_seen_at = $6 WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(&boot.vendor)
        .bind(&boot.model)
        .bind(&boot.serial_number)
        .bind(&boot.firmware_version)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_seen(&self, id: ChargerId, at: DateTime<Utc>) -> Result<()> {
        self.pending.seen(id, at);
        Ok(())
    }

    async fn record_status(
        &self,
        id: ChargerId,
        connector: i32,
        status: &str,
        error_code: &str,
        status_at: DateTime<Utc>,
    ) -> Result<bool> {
        let status = Status {
            status: status.to_owned(),
            error_code: error_code.to_owned(),
            status_at,
            received_at: Utc::now(),
        };
        Ok(self.pending.status(id, connector, status))
    }

    async fn record_reading(
        &self,
        id: ChargerId,
        connector: i32,
        reading: &MeterReading,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.pending.reading(id, connector, reading, at);
        Ok(())
    }

    async fn flush(&self) -> Result<()> {
        self.flush_pending().await
    }

    async fn id_tag_holder(
        &self,
        installation: InstallationId,
        id_tag: &str,
    ) -> Result<Option<IdTagHolder>> {
        let row: Option<(Uuid, bool)> = sqlx::query_as(
            "SELECT user_id, removed_at IS NOT NULL FROM id_tags WHERE installation_id = $1 AND id_tag = $2",
        )
        .bind(installation.as_uuid())
        .bind(id_tag)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(user, removed)| IdTagHolder {
            user: UserId::from_uuid(user),
            removed,
        }))
    }

    async fn api_id_tag(
        &self,
        on: &Authorized<ControlChargers>,
        candidate: &str,
    ) -> Result<String> {
        let installation = on.id();
        let user = on
            .principal()
            .user()
            .ok_or_else(|| StoreError::Config("only a person holds an RFID token".into()))?;
        let mut tx = self.pool.begin().await?;
        // One at a time per installation, so two starts at once make one token, not two.
        super::lock_installation(&mut tx, installation).await?;
        let held: Option<String> = sqlx::query_scalar(
            "SELECT id_tag FROM id_tags WHERE installation_id = $1 AND user_id = $2 AND removed_at IS NULL \
             ORDER BY created_at, id_tag LIMIT 1",
        )
        .bind(installation.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(tag) = held {
            return Ok(tag);
        }
        let added = sqlx::query(
            "INSERT INTO id_tags (installation_id, id_tag, user_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (installation_id, id_tag) DO NOTHING",
        )
        .bind(installation.as_uuid())
        .bind(candidate)
        .bind(user.as_uuid())
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        if added.rows_affected() == 0 {
            return Err(StoreError::Conflict("id_tag"));
        }
        let subject = Subject::acting_on(on);
        let detail = json!({ "id_tag": candidate, "user": user, "for": "api_start" });
        audit(&mut tx, on.principal(), subject, "id_tag_set", detail).await?;
        tx.commit().await?;
        Ok(candidate.to_owned())
    }

    async fn add_id_tag(
        &self,
        on: &Authorized<ManageUsers>,
        id_tag: &str,
        user: UserId,
    ) -> Result<()> {
        let installation = on.id();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO id_tags (installation_id, id_tag, user_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (installation_id, id_tag) DO UPDATE SET user_id = excluded.user_id, removed_at = NULL",
        )
        .bind(installation.as_uuid())
        .bind(id_tag)
        .bind(user.as_uuid())
        .bind(Utc::now())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::on_foreign_key)?;
        let subject = Subject::acting_on(on);
        audit(
            &mut tx,
            on.principal(),
            subject,
            "id_tag_set",
            json!({ "id_tag": id_tag, "user": user }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn id_tags(
        &self,
        installation: InstallationId,
    ) -> Result<Vec<(String, crate::model::User)>> {
        let rows = sqlx::query_as::<_, IdTagRow>(
            "SELECT t.id_tag, u.id, u.email, u.full_name, u.language, u.created_at FROM id_tags t \
             JOIN users u ON u.id = t.user_id WHERE t.installation_id = $1 AND t.removed_at IS NULL ORDER BY t.id_tag",
        )
        .bind(installation.as_uuid())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.id_tag, row.user.into()))
            .collect())
    }

    async fn remove_id_tag(&self, on: &Authorized<ManageUsers>, id_tag: &str) -> Result<()> {
        let installation = on.id();
        let mut tx = self.pool.begin().await?;
        let removed = sqlx::query(
            "UPDATE id_tags SET removed_at = $3 WHERE installation_id = $1 AND id_tag = $2 AND removed_at IS NULL",
        )
        .bind(installation.as_uuid())
        .bind(id_tag)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let subject = Subject::acting_on(on);
        audit(
            &mut tx,
            on.principal(),
            subject,
            "id_tag_removed",
            json!({ "id_tag": id_tag }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn start_charge_session(
        &self,
        charger: ChargerId,
        new: &NewChargeSession,
    ) -> Result<i32> {
        let mut tx = self.pool.begin().await?;
        let inserted: Option<i32> = sqlx::query_scalar(
            "INSERT INTO charge_sessions (charger_id, connector_id, id_tag, user_id, started_at, meter_start, \
             authorized, received_at, installation_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT installation_id FROM chargers WHERE id = $1)) \
             ON CONFLICT (charger_id, connector_id, id_tag, started_at, meter_start) DO NOTHING RETURNING id",
        )
        .bind(charger.as_uuid())
        .bind(new.connector_id)
        .bind(&new.id_tag)
        .bind(new.user.map(|u| u.as_uuid()))
        .bind(new.started_at)
        .bind(new.meter_start)
        .bind(new.authorized)
        .bind(new.received_at)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = inserted {
            let data = json!({
                "transactionId": id,
                "connectorId": new.connector_id,
                "startedAt": new.started_at,
                "meterStartWh": new.meter_start,
            });
            enqueue_session(&mut tx, charger, WebhookEvent::SessionStarted, data).await?;
            tx.commit().await?;
            return Ok(id);
        }
        tx.commit().await?;
        Ok(sqlx::query_scalar(
            "SELECT id FROM charge_sessions WHERE charger_id = $1 AND connector_id = $2 AND id_tag = $3 \
             AND started_at = $4 AND meter_start = $5",
        )
        .bind(charger.as_uuid())
        .bind(new.connector_id)
        .bind(&new.id_tag)
        .bind(new.started_at)
        .bind(new.meter_start)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn stop_charge_session(
        &self,
        charger: ChargerId,
        stop: &StopReport<'_>,
    ) -> Result<Stopped> {
        self.flush_pending().await?;
        let mut tx = self.pool.begin().await?;
        lock_charger(&mut tx, charger).await?;
        let session: Option<(i64, bool, bool)> = sqlx::query_as(
            "SELECT meter_start, stopped_at IS NULL, stop_confirmed FROM charge_sessions WHERE id = $1 AND charger_id = $2",
        )
        .bind(stop.transaction)
        .bind(charger.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match session {
            Some((_, true, _)) => Stopped::Stopped,
            Some((_, false, false)) => Stopped::Corrected,
            _ => return Ok(Stopped::Unknown),
        };
        let meter_start = session.map_or(0, |(start, _, _)| start);
        insert_samples(&mut tx, stop.transaction, stop.samples).await?;
        let readings = session_readings(&mut tx, stop.transaction).await?;
        let energy = delivered_wh(meter_start as f64, &readings, stop.meter_stop as f64);
        sqlx::query(
            "UPDATE charge_sessions SET stopped_at = $3, meter_stop = $4, stop_reason = $5, stop_confirmed = TRUE, \
             energy_wh = $6, paused = FALSE WHERE id = $1 AND charger_id = $2",
        )
        .bind(stop.transaction)
        .bind(charger.as_uuid())
        .bind(stop.at)
        .bind(stop.meter_stop)
        .bind(stop.reason)
        .bind(energy)
        .execute(&mut *tx)
        .await?;
        if outcome == Stopped::Stopped {
            let data = json!({
                "transactionId": stop.transaction,
                "stoppedAt": stop.at,
                "energyWh": energy,
                "reason": stop.reason,
                "confirmed": true,
            });
            enqueue_session(&mut tx, charger, WebhookEvent::SessionEnded, data).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn end_open_sessions(
        &self,
        charger: ChargerId,
        connector: Option<i32>,
        before: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Vec<i32>> {
        self.flush_pending().await?;
        let mut tx = self.pool.begin().await?;
        lock_charger(&mut tx, charger).await?;
        let open: Vec<(i32, i64)> = sqlx::query_as(
            "SELECT id, meter_start FROM charge_sessions WHERE charger_id = $1 AND stopped_at IS NULL \
             AND ($2 IS NULL OR connector_id = $2) AND started_at < $3 ORDER BY id",
        )
        .bind(charger.as_uuid())
        .bind(connector)
        .bind(before)
        .fetch_all(&mut *tx)
        .await?;
        for (id, meter_start) in &open {
            end_estimated(&mut tx, charger, *id, *meter_start, at).await?;
        }
        tx.commit().await?;
        Ok(open.into_iter().map(|(id, _)| id).collect())
    }

    async fn end_session(&self, charger: ChargerId, transaction: i32) -> Result<bool> {
        self.flush_pending().await?;
        let mut tx = self.pool.begin().await?;
        lock_charger(&mut tx, charger).await?;
        let meter_start: Option<i64> = sqlx::query_scalar(
            "SELECT meter_start FROM charge_sessions WHERE id = $1 AND charger_id = $2 AND stopped_at IS NULL",
        )
        .bind(transaction)
        .bind(charger.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(meter_start) = meter_start else {
            return Ok(false);
        };
        end_estimated(&mut tx, charger, transaction, meter_start, Utc::now()).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_session_paused(
        &self,
        charger: ChargerId,
        transaction: i32,
        paused: bool,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE charge_sessions SET paused = $3 WHERE id = $1 AND charger_id = $2 AND stopped_at IS NULL",
        )
        .bind(transaction)
        .bind(charger.as_uuid())
        .bind(paused)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn add_meter_samples(
        &self,
        charger: ChargerId,
        transaction: i32,
        samples: &[(DateTime<Utc>, f64)],
    ) -> Result<()> {
        self.pending.samples(charger, transaction, samples);
        Ok(())
    }

    async fn meter_samples_of(
        &self,
        transactions: &[i32],
    ) -> Result<std::collections::HashMap<i32, Vec<(DateTime<Utc>, f64)>>> {
        let mut by_session: std::collections::HashMap<i32, Vec<(DateTime<Utc>, f64)>> =
            transactions.iter().map(|id| (*id, Vec::new())).collect();
        if transactions.is_empty() {
            return Ok(by_session);
        }
        self.flush_pending().await?;
        let placeholders: Vec<String> = (1..=transactions.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT session_id, sampled_at, energy_wh FROM meter_samples WHERE session_id IN ({}) \
             ORDER BY session_id, sampled_at",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_as::<_, (i32, DateTime<Utc>, f64)>(&sql);
        for id in transactions {
            query = query.bind(*id);
        }
        for (session, at, wh) in query.fetch_all(&self.pool).await? {
            by_session.entry(session).or_default().push((at, wh));
        }
        Ok(by_session)
    }

    async fn meter_samples(&self, transaction: i32) -> Result<Vec<(DateTime<Utc>, f64)>> {
        self.flush_pending().await?;
        Ok(sqlx::query_as("SELECT sampled_at, energy_wh FROM meter_samples WHERE session_id = $1 ORDER BY sampled_at")
            .bind(transaction)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn charge_history(
        &self,
        installation: InstallationId,
        filter: &HistoryFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ChargeSession>> {
        self.history_page(installation, filter, limit, offset).await
    }

    async fn charge_history_totals(
        &self,
        installation: InstallationId,
        filter: &HistoryFilter,
    ) -> Result<HistoryTotals> {
        self.history_totals(installation, filter).await
    }

    async fn charge_session(&self, id: i32) -> Result<Option<(ChargeSession, InstallationId)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            session: ChargeSessionRow,
            installation_id: Uuid,
        }
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, c.installation_id FROM charge_sessions s JOIN chargers c ON c.id = s.charger_id \
             LEFT JOIN users u ON u.id = s.user_id WHERE s.id = $1"
        );
        let row = sqlx::query_as::<_, Row>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| {
            (
                ChargeSession::from(row.session),
                InstallationId::from_uuid(row.installation_id),
            )
        }))
    }

    async fn running_sessions(&self, installation: InstallationId) -> Result<Vec<RunningSession>> {
        type Row = (
            i32,
            Uuid,
            String,
            i32,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            i64,
            bool,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT s.id, c.id, c.identity, s.connector_id, s.started_at, s.received_at, s.meter_start, s.paused \
             FROM charge_sessions s JOIN chargers c ON c.id = s.charger_id \
             WHERE c.installation_id = $1 AND s.stopped_at IS NULL ORDER BY COALESCE(s.received_at, s.started_at), s.id",
        )
        .bind(installation.as_uuid())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    transaction,
                    charger,
                    identity,
                    connector_id,
                    started_at,
                    received_at,
                    meter_start,
                    paused,
                )| {
                    RunningSession {
                        transaction,
                        charger_id: ChargerId::from_uuid(charger),
                        identity,
                        connector_id,
                        started_at,
                        received_at: received_at.unwrap_or(started_at),
                        meter_start,
                        paused,
                    }
                },
            )
            .collect())
    }

    async fn begin_charger_command(
        &self,
        on: &ChargerRight,
        charger: &Charger,
        command: &CommandAudit,
    ) -> Result<i64> {
        if charger.installation_id != on.id() {
            return Err(StoreError::NotFound);
        }
        let actor = on.principal();
        let mut detail = command_detail(charger, command, None);
        if let Some(via) = actor.via() {
            detail["via"] = json!(via);
        }
        // The group through which the actor holds the right, when not by a role of their own.
        let via_group = on.acting_group();
        Ok(sqlx::query_scalar(
            "INSERT INTO audit_events (at, actor_id, installation_id, group_id, kind, detail) \
             VALUES ($1, $2, $3, $4, 'charger_command', $5) RETURNING id",
        )
        .bind(Utc::now())
        .bind(actor.user().map(|id| id.as_uuid()))
        .bind(charger.installation_id.as_uuid())
        .bind(via_group.map(|g| g.as_uuid()))
        .bind(sqlx::types::Json(detail))
        .fetch_one(&self.pool)
        .await?)
    }

    async fn finish_charger_command(
        &self,
        event: i64,
        charger: &Charger,
        command: &CommandAudit,
        outcome: &serde_json::Value,
    ) -> Result<()> {
        let mut detail = command_detail(charger, command, Some(outcome));
        // Keep what the first write said about the way the actor came (the API, the command line).
        let stored: Option<sqlx::types::Json<serde_json::Value>> = sqlx::query_scalar(
            "SELECT detail FROM audit_events WHERE id = $1 AND kind = 'charger_command'",
        )
        .bind(event)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(via) = stored.as_ref().and_then(|stored| stored.0.get("via")) {
            detail["via"] = via.clone();
        }
        sqlx::query(
            "UPDATE audit_events SET detail = $2 WHERE id = $1 AND kind = 'charger_command'",
        )
        .bind(event)
        .bind(sqlx::types::Json(detail))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn connector_limits(&self, installation: InstallationId) -> Result<Vec<ConnectorLimit>> {
        let rows = sqlx::query_as::<_, ConnectorLimitRow>(
            "SELECT l.charger_id, l.connector_id, l.default_accepted, l.default_uncertain, l.tx_transaction, \
             l.tx_accepted, l.tx_uncertain, l.tx_refused, l.problem FROM connector_limits l \
             JOIN chargers c ON c.id = l.charger_id WHERE c.installation_id = $1",
        )
        .bind(installation.as_uuid())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(ConnectorLimit::from).collect())
    }

    async fn charger_limits(&self, charger: ChargerId) -> Result<Vec<ConnectorLimit>> {
        let rows = sqlx::query_as::<_, ConnectorLimitRow>(
            "SELECT l.charger_id, l.connector_id, l.default_accepted, l.default_uncertain, l.tx_transaction, \
             l.tx_accepted, l.tx_uncertain, l.tx_refused, l.problem FROM connector_limits l WHERE l.charger_id = $1",
        )
        .bind(charger.as_uuid())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(ConnectorLimit::from).collect())
    }

    async fn save_connector_limit(&self, limit: &ConnectorLimit) -> Result<()> {
        sqlx::query(
            "INSERT INTO connector_limits (charger_id, connector_id, default_accepted, default_uncertain, \
             tx_transaction, tx_accepted, tx_uncertain, tx_refused, problem, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (charger_id, connector_id) DO UPDATE SET \
             default_accepted = excluded.default_accepted, default_uncertain = excluded.default_uncertain, \
             tx_transaction = excluded.tx_transaction, tx_accepted = excluded.tx_accepted, \
             tx_uncertain = excluded.tx_uncertain, tx_refused = excluded.tx_refused, problem = excluded.problem, \
             updated_at = excluded.updated_at",
        )
        .bind(limit.charger_id.as_uuid())
        .bind(limit.connector_id)
        .bind(limit.default_accepted)
        .bind(limit.default_uncertain)
        .bind(limit.tx_transaction)
        .bind(limit.tx_accepted)
        .bind(limit.tx_uncertain)
        .bind(limit.tx_refused)
        .bind(limit.problem.as_deref().map(reported))
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(StoreError::on_foreign_key)?;
        Ok(())
    }
}

/// The JSON of a command's audit event, every string cleaned of what the databases cannot hold.
fn command_detail(
    charger: &Charger,
    command: &CommandAudit,
    outcome: Option<&serde_json::Value>,
) -> serde_json::Value {
    let mut detail = json!({
        "charger": charger.id, "charger_name": charger.name, "command": command.command,
        "request": command.request, "outcome": outcome,
    });
    clean_strings(&mut detail);
    detail
}

fn clean_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => {
            if let std::borrow::Cow::Owned(clean) = reported(text) {
                *text = clean;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(clean_strings),
        serde_json::Value::Object(fields) => {
            let keys: Vec<String> = fields
                .keys()
                .filter(|k| reported(k) != k.as_str())
                .cloned()
                .collect();
            for key in keys {
                if let Some(item) = fields.remove(&key) {
                    fields.insert(reported(&key).into_owned(), item);
                }
            }
            fields.values_mut().for_each(clean_strings);
        }
        _ => {}
    }
}

/// Takes the charger's row lock (PostgreSQL) or the write lock (SQLite) first, so a transaction that reads
/// and then writes a charger's sessions neither races another one nor fails on SQLite's snapshot rule.
async fn lock_charger(tx: &mut sqlx::Transaction<'_, super::Db>, charger: ChargerId) -> Result<()> {
    sqlx::query("UPDATE chargers SET last_seen_at = last_seen_at WHERE id = $1")
        .bind(charger.as_uuid())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_samples(
    tx: &mut sqlx::Transaction<'_, super::Db>,
    session: i32,
    samples: &[(DateTime<Utc>, f64)],
) -> Result<()> {
    for (at, energy_wh) in samples {
        sqlx::query(
            "INSERT INTO meter_samples (session_id, sampled_at, energy_wh) VALUES ($1, $2, $3) \
             ON CONFLICT (session_id, sampled_at) DO NOTHING",
        )
        .bind(session)
        .bind(*at)
        .bind(*energy_wh)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A session's energy readings (Wh), in time order.
async fn session_readings(
    tx: &mut sqlx::Transaction<'_, super::Db>,
    session: i32,
) -> Result<Vec<f64>> {
    Ok(sqlx::query_scalar(
        "SELECT energy_wh FROM meter_samples WHERE session_id = $1 ORDER BY sampled_at",
    )
    .bind(session)
    .fetch_all(&mut **tx)
    .await?)
}

/// Ends an open session with the last reading known, as the server's estimate.
async fn end_estimated(
    tx: &mut sqlx::Transaction<'_, super::Db>,
    charger: ChargerId,
    session: i32,
    meter_start: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    let readings = session_readings(tx, session).await?;
    let last = readings
        .last()
        .copied()
        .map_or(meter_start, |wh| wh.round() as i64);
    let energy = delivered_wh(meter_start as f64, &readings, last as f64);
    sqlx::query(
        "UPDATE charge_sessions SET stopped_at = $2, meter_stop = $3, stop_reason = $4, stop_confirmed = FALSE, \
         energy_wh = $5, paused = FALSE WHERE id = $1 AND stopped_at IS NULL",
    )
    .bind(session)
    .bind(at)
    .bind(last)
    .bind(ENDED_WITHOUT_STOP)
    .bind(energy)
    .execute(&mut **tx)
    .await?;
    let data = json!({
        "transactionId": session,
        "stoppedAt": at,
        "energyWh": energy,
        "reason": ENDED_WITHOUT_STOP,
        "confirmed": false,
    });
    enqueue_session(tx, charger, WebhookEvent::SessionEnded, data).await
}

#[async_trait]
impl Flush for EngineStore {
    /// Writes what waits in memory, in one transaction; what fails goes back to wait for the next try.
    async fn flush_pending(&self) -> Result<()> {
        let _writing = self.pending.writing.lock().await;
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = self.pending.take();
        if let Err(error) = write_batch(&self.pool, &batch).await {
            self.pending.restore(batch);
            return Err(error);
        }
        Ok(())
    }
}

/// Writes a batch with multi-row statements, rows in charger order (so concurrent writers lock alike).
async fn write_batch(pool: &sqlx::Pool<super::Db>, batch: &Queue) -> Result<()> {
    let mut tx = pool.begin().await?;
    let mut seen: Vec<_> = batch
        .seen
        .iter()
        .map(|(id, at)| (id.as_uuid(), *at))
        .collect();
    seen.sort_unstable_by_key(|(id, _)| *id);
    for rows in seen.chunks(ROWS_PER_STATEMENT) {
        let mut sql = sqlx::QueryBuilder::<super::Db>::new("WITH v (id, seen) AS (");
        sql.push_values(rows, |mut row, (id, at)| {
            row.push_bind(*id).push_bind(*at);
        });
        sql.push(
            ") UPDATE chargers SET last_seen_at = v.seen FROM v WHERE chargers.id = v.id \
             AND (chargers.last_seen_at IS NULL OR chargers.last_seen_at < v.seen)",
        );
        sql.build().execute(&mut *tx).await?;
    }
    let mut statuses: Vec<_> = batch
        .statuses
        .iter()
        .map(|((id, connector), s)| (id.as_uuid(), *connector, s))
        .collect();
    statuses.sort_unstable_by_key(|(id, connector, _)| (*id, *connector));
    for rows in statuses.chunks(ROWS_PER_STATEMENT) {
        let mut sql = sqlx::QueryBuilder::<super::Db>::new(
            "INSERT INTO connector_states (charger_id, connector_id, status, error_code, status_at, updated_at) ",
        );
        sql.push_values(rows, |mut row, (id, connector, s)| {
            row.push_bind(*id)
                .push_bind(*connector)
                .push_bind(s.status.clone())
                .push_bind(s.error_code.clone())
                .push_bind(s.status_at)
                .push_bind(s.received_at);
        });
        sql.push(
            " ON CONFLICT (charger_id, connector_id) DO UPDATE SET \
             status = excluded.status, error_code = excluded.error_code, status_at = excluded.status_at, \
             updated_at = excluded.updated_at \
             WHERE connector_states.status_at IS NULL OR connector_states.status_at <= excluded.status_at",
        );
        sql.build().execute(&mut *tx).await?;
    }
    let mut readings: Vec<_> = batch
        .readings
        .iter()
        .map(|((id, connector), r)| (id.as_uuid(), *connector, r))
        .collect();
    readings.sort_unstable_by_key(|(id, connector, _)| (*id, *connector));
    for rows in readings.chunks(ROWS_PER_STATEMENT) {
        let mut sql = sqlx::QueryBuilder::<super::Db>::new(
            "INSERT INTO connector_states (charger_id, connector_id, status, error_code, power_w, current_l1, \
             current_l2, current_l3, energy_wh, updated_at) ",
        );
        sql.push_values(rows, |mut row, (id, connector, (reading, at))| {
            row.push_bind(*id)
                .push_bind(*connector)
                .push_bind("Unknown")
                .push_bind("NoError")
                .push_bind(reading.power_w)
                .push_bind(reading.current[0])
                .push_bind(reading.current[1])
                .push_bind(reading.current[2])
                .push_bind(reading.energy_wh)
                .push_bind(*at);
        });
        sql.push(
            " ON CONFLICT (charger_id, connector_id) DO UPDATE SET \
             power_w = COALESCE(excluded.power_w, connector_states.power_w), \
             current_l1 = COALESCE(excluded.current_l1, connector_states.current_l1), \
             current_l2 = COALESCE(excluded.current_l2, connector_states.current_l2), \
             current_l3 = COALESCE(excluded.current_l3, connector_states.current_l3), \
             energy_wh = COALESCE(excluded.energy_wh, connector_states.energy_wh), updated_at = excluded.updated_at",
        );
        sql.build().execute(&mut *tx).await?;
    }
    // Each sample checks that its session belongs to the charger that reported it.
    for rows in batch.samples.chunks(ROWS_PER_STATEMENT) {
        let mut sql = sqlx::QueryBuilder::<super::Db>::new(
            "WITH v (session_id, sampled_at, energy_wh, charger_id) AS (",
        );
        sql.push_values(rows, |mut row, sample| {
            row.push_bind(sample.transaction)
                .push_bind(sample.at)
                .push_bind(sample.energy_wh)
                .push_bind(sample.charger.as_uuid());
        });
        sql.push(
            ") INSERT INTO meter_samples (session_id, sampled_at, energy_wh) \
             SELECT v.session_id, v.sampled_at, v.energy_wh FROM v \
             WHERE EXISTS (SELECT 1 FROM charge_sessions s WHERE s.id = v.session_id AND s.charger_id = v.charger_id) \
             ON CONFLICT (session_id, sampled_at) DO NOTHING",
        );
        sql.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
