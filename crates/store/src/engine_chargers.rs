// The chargers' SQL, written once; included by `sqlite.rs` and `postgres.rs` inside a module that
// sees their `Db` and `EngineStore`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;
use voltgate_domain::authz::{ControlChargers, ManageUsers};
use voltgate_domain::{Authorized, ChargerId, InstallationId, UserId};

use super::{audit, Subject};
use crate::chargers::*;
use crate::error::{Result, StoreError};
use crate::rows::{ChargeSessionRow, ChargerRow, ConnectorRow, IdTagRow};

const CHARGER_COLUMNS: &str = "c.id, c.installation_id, c.identity, c.name, c.connectors, c.vendor, c.model, \
     c.serial_number, c.firmware_version, c.booted_at, c.last_seen_at, c.created_at";

impl EngineStore {
    async fn charger_where(&self, condition: &str, bind: Uuid) -> Result<Option<(Charger, String)>> {
        let sql = format!("SELECT {CHARGER_COLUMNS}, c.password_hash FROM chargers c WHERE {condition}");
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
    async fn create_charger(&self, on: &Authorized<ManageUsers>, new: &NewCharger) -> Result<Charger> {
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
        let detail = json!({ "charger": id, "identity": new.identity.as_str(), "name": new.name.as_str() });
        audit(&mut tx, actor, Subject { installation: Some(installation), group: None }, "charger_added", detail).await?;
        tx.commit().await?;
        self.charger(id).await?.ok_or(StoreError::NotFound)
    }

    async fn set_charger_password(&self, on: &Authorized<ManageUsers>, id: ChargerId, password_hash: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query("UPDATE chargers SET password_hash = $2 WHERE id = $1 AND installation_id = $3")
            .bind(id.as_uuid())
            .bind(password_hash)
            .bind(on.id().as_uuid())
            .execute(&mut *tx)
            .await?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let subject = Subject { installation: Some(on.id()), group: None };
        audit(&mut tx, on.principal(), subject, "charger_password_changed", json!({ "charger": id })).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn charger(&self, id: ChargerId) -> Result<Option<Charger>> {
        Ok(self.charger_where("c.id = $1", id.as_uuid()).await?.map(|(charger, _)| charger))
    }

    async fn charger_credentials(&self, identity: &str) -> Result<Option<(Charger, String)>> {
        let sql = format!("SELECT {CHARGER_COLUMNS}, c.password_hash FROM chargers c WHERE c.identity = $1");
        let row = sqlx::query_as::<_, ChargerRow>(&sql).bind(identity).fetch_optional(&self.pool).await?;
        Ok(row.map(|row| {
            let hash = row.password_hash.clone().unwrap_or_default();
            (row.into(), hash)
        }))
    }

    async fn chargers(&self, installation: InstallationId) -> Result<Vec<(Charger, Vec<ConnectorState>)>> {
        let sql = format!(
            "SELECT {CHARGER_COLUMNS}, NULL AS password_hash FROM chargers c WHERE c.installation_id = $1 ORDER BY c.name, c.identity"
        );
        let chargers = sqlx::query_as::<_, ChargerRow>(&sql).bind(installation.as_uuid()).fetch_all(&self.pool).await?;
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
            .map(|row| {
                let charger: Charger = row.into();
                let connectors = states
                    .iter()
                    .filter(|s| s.charger_id == charger.id.as_uuid())
                    .map(ConnectorState::from)
                    .collect();
                (charger, connectors)
            })
            .collect())
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
        sqlx::query("UPDATE chargers SET last_seen_at = $2 WHERE id = $1").bind(id.as_uuid()).bind(at).execute(&self.pool).await?;
        Ok(())
    }

    async fn record_status(&self, id: ChargerId, connector: i32, status: &str, error_code: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO connector_states (charger_id, connector_id, status, error_code, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (charger_id, connector_id) DO UPDATE SET \
             status = excluded.status, error_code = excluded.error_code, updated_at = excluded.updated_at",
        )
        .bind(id.as_uuid())
        .bind(connector)
        .bind(status)
        .bind(error_code)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_reading(&self, id: ChargerId, connector: i32, reading: &MeterReading, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO connector_states (charger_id, connector_id, status, error_code, power_w, current_l1, \
             current_l2, current_l3, energy_wh, updated_at) VALUES ($1, $2, 'Unknown', 'NoError', $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (charger_id, connector_id) DO UPDATE SET \
             power_w = COALESCE(excluded.power_w, connector_states.power_w), \
             current_l1 = COALESCE(excluded.current_l1, connector_states.current_l1), \
             current_l2 = COALESCE(excluded.current_l2, connector_states.current_l2), \
             current_l3 = COALESCE(excluded.current_l3, connector_states.current_l3), \
             energy_wh = COALESCE(excluded.energy_wh, connector_states.energy_wh), updated_at = excluded.updated_at",
        )
        .bind(id.as_uuid())
        .bind(connector)
        .bind(reading.power_w)
        .bind(reading.current[0])
        .bind(reading.current[1])
        .bind(reading.current[2])
        .bind(reading.energy_wh)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn id_tag_user(&self, installation: InstallationId, id_tag: &str) -> Result<Option<UserId>> {
        let user: Option<Uuid> = sqlx::query_scalar("SELECT user_id FROM id_tags WHERE installation_id = $1 AND id_tag = $2")
            .bind(installation.as_uuid())
            .bind(id_tag)
            .fetch_optional(&self.pool)
            .await?;
        Ok(user.map(UserId::from_uuid))
    }

    async fn add_id_tag(&self, on: &Authorized<ManageUsers>, id_tag: &str, user: UserId) -> Result<()> {
        let installation = on.id();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO id_tags (installation_id, id_tag, user_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (installation_id, id_tag) DO UPDATE SET user_id = excluded.user_id",
        )
        .bind(installation.as_uuid())
        .bind(id_tag)
        .bind(user.as_uuid())
        .bind(Utc::now())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::on_foreign_key)?;
        let subject = Subject { installation: Some(installation), group: None };
        audit(&mut tx, on.principal(), subject, "id_tag_set", json!({ "id_tag": id_tag, "user": user })).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn id_tags(&self, installation: InstallationId) -> Result<Vec<(String, crate::model::User)>> {
        let rows = sqlx::query_as::<_, IdTagRow>(
            "SELECT t.id_tag, u.id, u.email, u.full_name, u.language, u.created_at FROM id_tags t \
             JOIN users u ON u.id = t.user_id WHERE t.installation_id = $1 ORDER BY t.id_tag",
        )
        .bind(installation.as_uuid())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|row| (row.id_tag, row.user.into())).collect())
    }

    async fn remove_id_tag(&self, on: &Authorized<ManageUsers>, id_tag: &str) -> Result<()> {
        let installation = on.id();
        let mut tx = self.pool.begin().await?;
        let removed = sqlx::query("DELETE FROM id_tags WHERE installation_id = $1 AND id_tag = $2")
            .bind(installation.as_uuid())
            .bind(id_tag)
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let subject = Subject { installation: Some(installation), group: None };
        audit(&mut tx, on.principal(), subject, "id_tag_removed", json!({ "id_tag": id_tag })).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn start_charge_session(&self, charger: ChargerId, new: &NewChargeSession) -> Result<i32> {
        let inserted: Option<i32> = sqlx::query_scalar(
            "INSERT INTO charge_sessions (charger_id, connector_id, id_tag, user_id, started_at, meter_start) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (charger_id, connector_id, id_tag, started_at, meter_start) DO NOTHING RETURNING id",
        )
        .bind(charger.as_uuid())
        .bind(new.connector_id)
        .bind(&new.id_tag)
        .bind(new.user.map(|u| u.as_uuid()))
        .bind(new.started_at)
        .bind(new.meter_start)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(id) = inserted {
            return Ok(id);
        }
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
        transaction: i32,
        at: DateTime<Utc>,
        meter_stop: i64,
        reason: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE charge_sessions SET stopped_at = $3, meter_stop = $4, stop_reason = $5 \
             WHERE id = $1 AND charger_id = $2 AND stopped_at IS NULL",
        )
        .bind(transaction)
        .bind(charger.as_uuid())
        .bind(at)
        .bind(meter_stop)
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn add_meter_samples(&self, charger: ChargerId, transaction: i32, samples: &[(DateTime<Utc>, f64)]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let owned: Option<i32> = sqlx::query_scalar("SELECT id FROM charge_sessions WHERE id = $1 AND charger_id = $2")
            .bind(transaction)
            .bind(charger.as_uuid())
            .fetch_optional(&mut *tx)
            .await?;
        if owned.is_none() {
            return Ok(());
        }
        for (at, energy_wh) in samples {
            sqlx::query(
                "INSERT INTO meter_samples (session_id, sampled_at, energy_wh) VALUES ($1, $2, $3) \
                 ON CONFLICT (session_id, sampled_at) DO NOTHING",
            )
            .bind(transaction)
            .bind(*at)
            .bind(*energy_wh)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn meter_samples(&self, transaction: i32) -> Result<Vec<(DateTime<Utc>, f64)>> {
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
        let rows = sqlx::query_as::<_, ChargeSessionRow>(
            "SELECT s.id, s.charger_id, c.name AS charger_name, s.connector_id, s.id_tag, u.email AS user_email, \
             s.started_at, s.meter_start, s.stopped_at, s.meter_stop, s.stop_reason \
             FROM charge_sessions s JOIN chargers c ON c.id = s.charger_id LEFT JOIN users u ON u.id = s.user_id \
             WHERE c.installation_id = $1 AND ($2 IS NULL OR s.charger_id = $2) AND ($3 IS NULL OR s.user_id = $3) \
             AND ($4 IS NULL OR s.started_at >= $4) AND ($5 IS NULL OR s.started_at < $5) \
             ORDER BY s.started_at DESC, s.id DESC LIMIT $6 OFFSET $7",
        )
        .bind(installation.as_uuid())
        .bind(filter.charger.map(|c| c.as_uuid()))
        .bind(filter.user.map(|u| u.as_uuid()))
        .bind(filter.from)
        .bind(filter.to)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(ChargeSession::from).collect())
    }

    async fn running_sessions(&self, installation: InstallationId) -> Result<Vec<RunningSession>> {
        let rows: Vec<(i32, Uuid, String, i32, DateTime<Utc>, i64)> = sqlx::query_as(
            "SELECT s.id, c.id, c.identity, s.connector_id, s.started_at, s.meter_start FROM charge_sessions s \
             JOIN chargers c ON c.id = s.charger_id \
             WHERE c.installation_id = $1 AND s.stopped_at IS NULL ORDER BY s.started_at, s.id",
        )
        .bind(installation.as_uuid())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(transaction, charger, identity, connector_id, started_at, meter_start)| RunningSession {
                transaction,
                charger_id: ChargerId::from_uuid(charger),
                identity,
                connector_id,
                started_at,
                meter_start,
            })
            .collect())
    }

    async fn record_charger_command(
        &self,
        on: &Authorized<ControlChargers>,
        charger: &Charger,
        command: &str,
        outcome: &str,
    ) -> Result<()> {
        if charger.installation_id != on.id() {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.pool.begin().await?;
        let detail = json!({ "charger": charger.id, "charger_name": charger.name, "command": command, "outcome": outcome });
        let subject = Subject { installation: Some(charger.installation_id), group: None };
        audit(&mut tx, on.principal(), subject, "charger_command", detail).await?;
        tx.commit().await?;
        Ok(())
    }
}
