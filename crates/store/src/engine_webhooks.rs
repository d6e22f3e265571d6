//! The webhooks' SQL, written once: a module of `sqlite.rs` and of `postgres.rs` (`#[path]`),
//! compiled against each engine's `EngineStore`. Times are Unix milliseconds.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;
use voltgate_domain::authz::ManageGroup;
use voltgate_domain::webhook::{
    fair_share, DeliveryShares, WebhookEvent, WebhookEvents, MAX_ENDPOINTS_PER_GROUP,
};
use voltgate_domain::{Authorized, ChargerId, GroupId, InstallationId};

use super::dialect::SKIP_LOCKED;
use super::{audit, EngineStore, Subject};
use crate::error::{Result, StoreError};
use crate::webhooks::*;

type Tx<'a> = sqlx::Transaction<'a, super::Db>;

fn at(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

const ENDPOINT_COLUMNS: &str =
    "id, group_id, url, events, created_at, previous_secret_until, disabled_at, disabled_reason";

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: Uuid,
    group_id: Uuid,
    url: String,
    events: i64,
    created_at: i64,
    previous_secret_until: Option<i64>,
    disabled_at: Option<i64>,
    disabled_reason: Option<String>,
}

impl EndpointRow {
    fn into_endpoint(self, now: i64) -> Result<WebhookEndpoint> {
        let events = WebhookEvents::from_bits(self.events)
            .ok_or_else(|| StoreError::Corrupt(format!("webhook {} has no events", self.id)))?;
        Ok(WebhookEndpoint {
            id: self.id,
            group: GroupId::from_uuid(self.group_id),
            url: self.url,
            events,
            created_at: at(self.created_at),
            previous_secret_until: self.previous_secret_until.filter(|u| *u > now).map(at),
            disabled: self
                .disabled_at
                .map(|when| (at(when), self.disabled_reason.unwrap_or_default())),
        })
    }
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    endpoint_id: Uuid,
    event_id: Uuid,
    event_type: String,
    at: i64,
    duration_ms: i64,
    status_code: Option<i32>,
    error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: i64,
    endpoint_id: Uuid,
    event_id: Uuid,
    event_type: String,
    body: String,
    created_at: i64,
    attempts: i32,
    url: String,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_until: Option<i64>,
}

/// Writes an event's deliveries into the outbox, inside the transaction of the change that caused
/// it: one per enabled endpoint subscribed to its type, of the group it names or else of every group
/// holding a grant on the installation.
pub(crate) async fn enqueue(tx: &mut Tx<'_>, notice: &WebhookNotice) -> Result<u64> {
    let now = notice.occurred_at.timestamp_millis();
    let recipients = if notice.group.is_some() {
        "e.group_id = $6"
    } else {
        // Groups whose grant has ended are told nothing more about the installation.
        "e.group_id IN (SELECT g.group_id FROM installation_grants g WHERE g.installation_id = $5 \
         AND (g.expires_at IS NULL OR g.expires_at > $4))"
    };
    // The last condition is always true: it names $5 and $6 so that both engines see every bound
    // parameter used, whichever recipients were chosen.
    let sql = format!(
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, body, created_at, next_attempt_at) \
         SELECT e.id, $1, $2, $3, $4, $4 FROM webhook_endpoints e \
         WHERE {recipients} AND e.disabled_at IS NULL AND (e.events & $7) <> 0 \
         AND ($5 IS NOT NULL OR $6 IS NULL)"
    );
    let done = sqlx::query(&sql)
        .bind(notice.id)
        .bind(notice.kind.as_str())
        .bind(notice.body())
        .bind(now)
        .bind(notice.installation.as_uuid())
        .bind(notice.group.map(|g| g.as_uuid()))
        .bind(notice.kind.bit())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// The installation of a charger, if it still exists.
pub(crate) async fn installation_of(
    tx: &mut Tx<'_>,
    charger: ChargerId,
) -> Result<Option<InstallationId>> {
    let id: Option<Uuid> = sqlx::query_scalar("SELECT installation_id FROM chargers WHERE id = $1")
        .bind(charger.as_uuid())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(id.map(InstallationId::from_uuid))
}

/// Enqueues a session event for the charger's installation, inside the session's transaction.
pub(crate) async fn enqueue_session(
    tx: &mut Tx<'_>,
    charger: ChargerId,
    kind: WebhookEvent,
    data: serde_json::Value,
) -> Result<()> {
    if let Some(installation) = installation_of(tx, charger).await? {
        let mut data = data;
        data["chargerId"] = json!(charger);
        enqueue(tx, &WebhookNotice::new(kind, installation, data)).await?;
    }
    Ok(())
}

impl EngineStore {
    /// Under the group's lock: `NotFound` unless the group has an endpoint with this id.
    async fn webhook_change(
        &self,
        tx: &mut Tx<'_>,
        on: &Authorized<ManageGroup>,
        id: Uuid,
        kind: &str,
    ) -> Result<String> {
        // The group's lock first: the transaction writes from its start, so on SQLite a delivery the
        // worker records meanwhile makes it wait instead of failing between its read and its write.
        super::engine::lock_group(tx, on.id()).await?;
        let url: Option<String> =
            sqlx::query_scalar("SELECT url FROM webhook_endpoints WHERE id = $1 AND group_id = $2")
                .bind(id)
                .bind(on.id().as_uuid())
                .fetch_optional(&mut **tx)
                .await?;
        let url = url.ok_or(StoreError::NotFound)?;
        let subject = Subject {
            installation: None,
            group: Some(on.id()),
        };
        audit(
            tx,
            on.principal(),
            subject,
            kind,
            json!({ "url": url, "webhook": id }),
        )
        .await?;
        Ok(url)
    }
}

#[async_trait]
impl WebhookStore for EngineStore {
    async fn create_webhook(
        &self,
        on: &Authorized<ManageGroup>,
        new: &NewWebhookEndpoint,
    ) -> Result<WebhookEndpoint> {
        let now = Utc::now().timestamp_millis();
        let mut tx = self.pool.begin().await?;
        // Counted under the group's lock, so two additions at once cannot both pass the limit.
        super::engine::lock_group(&mut tx, on.id()).await?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE group_id = $1")
                .bind(on.id().as_uuid())
                .fetch_one(&mut *tx)
                .await?;
        if count >= i64::from(MAX_ENDPOINTS_PER_GROUP) {
            return Err(StoreError::Limit(
                "err-webhook-limit",
                MAX_ENDPOINTS_PER_GROUP,
            ));
        }
        let sql = format!(
            "INSERT INTO webhook_endpoints (id, group_id, url, events, secret, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ENDPOINT_COLUMNS}"
        );
        let row: EndpointRow = sqlx::query_as(&sql)
            .bind(Uuid::new_v4())
            .bind(on.id().as_uuid())
            .bind(new.url.as_str())
            .bind(new.events.bits())
            .bind(&new.secret)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::on_foreign_key)?;
        let subject = Subject {
            installation: None,
            group: Some(on.id()),
        };
        let events: Vec<&str> = new.events.iter().map(|e| e.as_str()).collect();
        let detail = json!({ "url": row.url, "webhook": row.id, "events": events });
        audit(&mut tx, on.principal(), subject, "webhook_added", detail).await?;
        tx.commit().await?;
        row.into_endpoint(now)
    }

    async fn webhooks(&self, on: &Authorized<ManageGroup>) -> Result<Vec<WebhookEndpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE group_id = $1 ORDER BY created_at, id"
        );
        let rows: Vec<EndpointRow> = sqlx::query_as(&sql)
            .bind(on.id().as_uuid())
            .fetch_all(&self.pool)
            .await?;
        let now = Utc::now().timestamp_millis();
        rows.into_iter().map(|row| row.into_endpoint(now)).collect()
    }

    async fn delete_webhook(&self, on: &Authorized<ManageGroup>, id: Uuid) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        self.webhook_change(&mut tx, on, id, "webhook_removed")
            .await?;
        sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rotate_webhook_secret(
        &self,
        on: &Authorized<ManageGroup>,
        id: Uuid,
        secret: &str,
        overlap_until: DateTime<Utc>,
    ) -> Result<String> {
        let mut tx = self.pool.begin().await?;
        let url = self
            .webhook_change(&mut tx, on, id, "webhook_secret_rotated")
            .await?;
        sqlx::query(
            "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $2, \
             secret = $3, disabled_at = NULL, disabled_reason = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(overlap_until.timestamp_millis())
        .bind(secret)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(url)
    }

    async fn webhook_attempts(
        &self,
        on: &Authorized<ManageGroup>,
        limit: i64,
    ) -> Result<Vec<WebhookAttempt>> {
        let rows: Vec<AttemptRow> = sqlx::query_as(
            "SELECT a.endpoint_id, a.event_id, a.event_type, a.at, a.duration_ms, a.status_code, a.error \
             FROM webhook_attempts a JOIN webhook_endpoints e ON e.id = a.endpoint_id \
             WHERE e.group_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT $2",
        )
        .bind(on.id().as_uuid())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| WebhookAttempt {
                endpoint: row.endpoint_id,
                event_id: row.event_id,
                event_type: row.event_type,
                at: at(row.at),
                duration_ms: row.duration_ms,
                status_code: row.status_code,
                error: row.error,
            })
            .collect())
    }

    async fn notify(&self, notice: &WebhookNotice) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        enqueue(&mut tx, notice).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn charger_presence(&self, charger: ChargerId, online: bool) -> Result<()> {
        let kind = if online {
            WebhookEvent::ChargerOnline
        } else {
            WebhookEvent::ChargerOffline
        };
        // The charger's installation is read before the transaction, whose first statement then
        // writes: on SQLite a deferred transaction that reads first fails when another connection
        // writes between its read and its write (chargers connecting at once, the webhook worker).
        let installation: Option<Uuid> =
            sqlx::query_scalar("SELECT installation_id FROM chargers WHERE id = $1")
                .bind(charger.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
        let Some(installation) = installation.map(InstallationId::from_uuid) else {
            return Ok(());
        };
        let notice = WebhookNotice::new(kind, installation, json!({ "chargerId": charger }));
        let mut tx = self.pool.begin().await?;
        enqueue(&mut tx, &notice).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        room: usize,
        shares: DeliveryShares,
    ) -> Result<Vec<DueDelivery>> {
        if room == 0 {
            return Ok(Vec::new());
        }
        let now = now.timestamp_millis();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2));
        // What is due: each enabled endpoint's oldest deliveries, as many as one endpoint may send at
        // once; and what every endpoint is sending now (claims whose lease runs).
        let due: Vec<(i64, Uuid, Uuid)> = sqlx::query_as(
            "SELECT r.id, r.endpoint_id, r.group_id FROM (\
             SELECT d.id, d.endpoint_id, e.group_id, d.next_attempt_at, ROW_NUMBER() OVER \
             (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.id) AS n \
             FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= $1 \
             AND (d.claimed_until IS NULL OR d.claimed_until <= $1) AND e.disabled_at IS NULL) r \
             WHERE r.n <= $2 ORDER BY r.next_attempt_at, r.id",
        )
        .bind(now)
        .bind(i64::try_from(shares.per_endpoint).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let in_flight: Vec<(Uuid, Uuid, i64)> = sqlx::query_as(
            "SELECT d.endpoint_id, e.group_id, COUNT(*) FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.claimed_until > $1 \
             AND d.delivered_at IS NULL AND d.failed_at IS NULL GROUP BY d.endpoint_id, e.group_id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let candidates: Vec<(Uuid, Uuid)> = due.iter().map(|(_, e, g)| (*e, *g)).collect();
        let in_flight: Vec<(Uuid, Uuid, usize)> = in_flight
            .into_iter()
            .map(|(e, g, n)| (e, g, usize::try_from(n).unwrap_or(usize::MAX)))
            .collect();
        let picked = fair_share(&candidates, &in_flight, shares, room);
        if picked.is_empty() {
            return Ok(Vec::new());
        }
        // Claimed only if still due and unclaimed when locked: a delivery another worker claimed
        // since it was read (or is claiming: skipped on PostgreSQL) is left to it.
        let wanted: Vec<String> = (0..picked.len()).map(|n| format!("${}", n + 3)).collect();
        let claim = format!(
            "UPDATE webhook_deliveries SET claimed_until = $2 WHERE id IN (\
             SELECT d.id FROM webhook_deliveries d WHERE d.id IN ({}) \
             AND d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= $1 \
             AND (d.claimed_until IS NULL OR d.claimed_until <= $1) {SKIP_LOCKED}) RETURNING id",
            wanted.join(", ")
        );
        let mut tx = self.pool.begin().await?;
        let mut query = sqlx::query_scalar(&claim).bind(now).bind(until);
        for position in &picked {
            query = query.bind(due[*position].0);
        }
        let ids: Vec<i64> = query.fetch_all(&mut *tx).await?;
        let mut due = Vec::with_capacity(ids.len());
        for id in ids {
            let row: DueRow = sqlx::query_as(
                "SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.body, d.created_at, d.attempts, \
                 e.url, e.secret, e.previous_secret, e.previous_secret_until \
                 FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let mut secrets = vec![row.secret];
            if let (Some(previous), Some(until)) = (row.previous_secret, row.previous_secret_until)
            {
                if until > now {
                    secrets.push(previous);
                }
            }
            due.push(DueDelivery {
                id: row.id,
                endpoint: row.endpoint_id,
                url: row.url,
                event_id: row.event_id,
                event_type: row.event_type,
                body: row.body,
                created_at: at(row.created_at),
                attempts: u32::try_from(row.attempts).unwrap_or(0),
                secrets,
            });
        }
        tx.commit().await?;
        Ok(due)
    }

    async fn record_webhook_attempt(&self, record: &AttemptRecord) -> Result<()> {
        let attempt = &record.attempt;
        let when = attempt.at.timestamp_millis();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (endpoint_id, delivery_id, event_id, event_type, at, duration_ms, \
             status_code, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(attempt.endpoint)
        .bind(record.delivery)
        .bind(attempt.event_id)
        .bind(&attempt.event_type)
        .bind(when)
        .bind(attempt.duration_ms)
        .bind(attempt.status_code)
        .bind(&attempt.error)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::on_foreign_key)?;
        let (delivered, next, failed) = match &record.outcome {
            DeliveryOutcome::Delivered => (Some(when), None, None),
            DeliveryOutcome::RetryAt(next) => (None, Some(next.timestamp_millis()), None),
            DeliveryOutcome::GiveUp(_) => (None, None, Some(when)),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, claimed_until = NULL, \
             delivered_at = $2, failed_at = $3, next_attempt_at = COALESCE($4, next_attempt_at) WHERE id = $1",
        )
        .bind(record.delivery)
        .bind(delivered)
        .bind(failed)
        .bind(next)
        .execute(&mut *tx)
        .await?;
        if let DeliveryOutcome::GiveUp(reason) = &record.outcome {
            sqlx::query(
                "UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = $3 \
                 WHERE id = $1 AND disabled_at IS NULL",
            )
            .bind(attempt.endpoint)
            .bind(when)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
