//! What several voltgate processes on one PostgreSQL share so that they act as one service: messages
//! between processes (LISTEN/NOTIFY; a payload too large for a notification waits in a table and the
//! notification carries its number). SQLite has none of this: one process is the whole service.

use std::fmt;

use serde_json::json;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use uuid::Uuid;
use voltgate_domain::webhook::WebhookEvent;

use crate::error::Result;
use crate::webhooks::WebhookNotice;

/// The largest payload sent as a notification; PostgreSQL refuses 8000 bytes and more.
pub const NOTIFY_LIMIT: usize = 7900;

/// How long a payload that went through the table is kept for its readers.
const MESSAGE_LIFETIME: &str = "5 minutes";

/// One process of the service, for as long as it runs (a new one at every start).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct NodeId(Uuid);

impl NodeId {
    /// A fresh node id.
    pub fn random() -> Self {
        Self(Uuid::new_v4())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.simple().fmt(f)
    }
}

/// PostgreSQL's facilities for processes that share it.
#[derive(Clone)]
pub struct Cluster {
    /// The store's pool, for short statements.
    pool: PgPool,
    /// Connections held for long: listeners.
    side: PgPool,
    /// Connections that hold rebalancing locks.
    locks: PgPool,
}

/// What a listener hears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// A message on one of the channels listened to.
    Message { channel: String, payload: String },
    /// The connection was lost and is back: messages sent meanwhile were missed.
    Gap,
}

/// Listens on some channels, on a connection of its own.
pub struct Listener {
    listener: PgListener,
    pool: PgPool,
}

impl Cluster {
    pub(crate) fn new(pool: PgPool, side: PgPool, locks: PgPool) -> Self {
        Self { pool, side, locks }
    }

    /// Sends each payload to every process listening on `channel`, in order, in one statement. A
    /// payload over [`NOTIFY_LIMIT`] bytes is stored and its number sent instead; the listener reads it
    /// back. Identical payloads sent together arrive once (PostgreSQL folds them): make them differ.
    pub async fn notify(&self, channel: &str, payloads: Vec<String>) -> Result<()> {
        let mut texts = Vec::with_capacity(payloads.len());
        for payload in payloads {
            if payload.len() <= NOTIFY_LIMIT {
                texts.push(payload);
                continue;
            }
            let id: i64 =
                sqlx::query_scalar("INSERT INTO cluster_messages (body) VALUES ($1) RETURNING id")
                    .bind(&payload)
                    .fetch_one(&self.pool)
                    .await?;
            texts.push(format!("@{id}"));
        }
        sqlx::query("SELECT pg_notify($1, payload) FROM UNNEST($2::text[]) AS payload")
            .bind(channel)
            .bind(&texts)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Starts listening on `channels`.
    pub async fn listen(&self, channels: &[&str]) -> Result<Listener> {
        let mut listener = PgListener::connect_with(&self.side).await?;
        listener.listen_all(channels.iter().copied()).await?;
        Ok(Listener {
            listener,
            pool: self.pool.clone(),
        })
    }

    /// Forgets payloads old enough that every listener has read them.
    pub async fn sweep_messages(&self) -> Result<u64> {
        let sql = format!(
            "DELETE FROM cluster_messages WHERE created_at < now() - INTERVAL '{MESSAGE_LIFETIME}'"
        );
        Ok(sqlx::query(&sql).execute(&self.pool).await?.rows_affected())
    }
}

impl Listener {
    /// The next message, or a gap when the connection was lost (it is opened again at once).
    pub async fn recv(&mut self) -> Result<Heard> {
        let Some(notification) = self.listener.try_recv().await? else {
            return Ok(Heard::Gap);
        };
        let channel = notification.channel().to_owned();
        let payload = match notification.payload().strip_prefix('@') {
            None => notification.payload().to_owned(),
            Some(number) => {
                let id: i64 = number.parse().unwrap_or_default();
                let body: Option<String> =
                    sqlx::query_scalar("SELECT body FROM cluster_messages WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                body.unwrap_or_default()
            }
        };
        Ok(Heard::Message { channel, payload })
    }
}

/// What a charger supports of smart charging, as it answered when it connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Its `ChargeProfileMaxStackLevel`.
    pub max_stack_level: i64,
    /// Whether it takes limits in amperes (else in watts).
    pub amperes: bool,
}

/// A charger whose connection was forgotten because the process holding it stopped renewing its lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Orphan {
    pub charger: voltgate_domain::ChargerId,
    pub installation: voltgate_domain::InstallationId,
}

/// One rebalance at a time per installation across the processes: a PostgreSQL advisory lock, held
/// on a connection of its own until [`InstallationLock::release`] (or until the connection closes).
pub struct InstallationLock {
    connection: Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
    key: i64,
}

impl InstallationLock {
    /// Gives the lock back.
    pub async fn release(mut self) -> Result<()> {
        if let Some(mut connection) = self.connection.take() {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(self.key)
                .execute(&mut *connection)
                .await?;
        }
        Ok(())
    }
}

impl Drop for InstallationLock {
    fn drop(&mut self) {
        // Not released (the run failed or was dropped): closing the connection frees the lock.
        if let Some(connection) = self.connection.take() {
            drop(connection.detach());
        }
    }
}

/// The advisory-lock key of an installation: its id folded to 64 bits.
fn lock_key(installation: voltgate_domain::InstallationId) -> i64 {
    let bytes = installation.as_uuid().into_bytes();
    let (high, low) = bytes.split_at(8);
    let fold = |half: &[u8]| half.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    (fold(high) ^ fold(low)) as i64
}

impl Cluster {
    /// Joins the service as `node`, holding its place for `lease`.
    pub async fn join(&self, node: NodeId, lease: std::time::Duration) -> Result<()> {
        sqlx::query(
            "INSERT INTO cluster_nodes (id, started_at, lease_until) \
             VALUES ($1, now(), now() + make_interval(secs => $2)) \
             ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until",
        )
        .bind(node.0)
        .bind(lease.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Renews `node`'s lease; false when it had run out and others forgot the node (and its chargers).
    pub async fn renew(&self, node: NodeId, lease: std::time::Duration) -> Result<bool> {
        let renewed = sqlx::query(
            "UPDATE cluster_nodes SET lease_until = now() + make_interval(secs => $2) WHERE id = $1",
        )
        .bind(node.0)
        .bind(lease.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// Leaves the service (a clean stop): the node's chargers are forgotten with it.
    pub async fn leave(&self, node: NodeId) -> Result<()> {
        sqlx::query("DELETE FROM cluster_nodes WHERE id = $1")
            .bind(node.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Notes that `charger` is connected to `node` (connection `generation` there), its capabilities
    /// not known yet, and answers which live node held it before, if another.
    pub async fn claim(
        &self,
        charger: voltgate_domain::ChargerId,
        node: NodeId,
        generation: i64,
    ) -> Result<Option<NodeId>> {
        let mut tx = self.pool.begin().await?;
        let before: Option<Uuid> = sqlx::query_scalar(
            "SELECT c.node_id FROM charger_connections c JOIN cluster_nodes n ON n.id = c.node_id \
             WHERE c.charger_id = $1 AND n.lease_until > now() FOR UPDATE OF c",
        )
        .bind(charger.as_uuid())
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO charger_connections (charger_id, node_id, generation, connected_at) \
             VALUES ($1, $2, $3, now()) ON CONFLICT (charger_id) DO UPDATE SET \
             node_id = excluded.node_id, generation = excluded.generation, \
             connected_at = excluded.connected_at, max_stack_level = NULL, amperes = NULL",
        )
        .bind(charger.as_uuid())
        .bind(node.0)
        .bind(generation)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(before.map(NodeId).filter(|before| *before != node))
    }

    /// Forgets connection `generation` of `charger` to `node`, unless a newer one took its place;
    /// answers whether the charger is still connected (to another node).
    pub async fn release(
        &self,
        charger: voltgate_domain::ChargerId,
        node: NodeId,
        generation: i64,
    ) -> Result<bool> {
        sqlx::query(
            "DELETE FROM charger_connections WHERE charger_id = $1 AND node_id = $2 AND generation = $3",
        )
        .bind(charger.as_uuid())
        .bind(node.0)
        .bind(generation)
        .execute(&self.pool)
        .await?;
        Ok(self.holder(charger).await?.is_some())
    }

    /// The live node the charger is connected to.
    pub async fn holder(&self, charger: voltgate_domain::ChargerId) -> Result<Option<NodeId>> {
        let node: Option<Uuid> = sqlx::query_scalar(
            "SELECT c.node_id FROM charger_connections c JOIN cluster_nodes n ON n.id = c.node_id \
             WHERE c.charger_id = $1 AND n.lease_until > now()",
        )
        .bind(charger.as_uuid())
        .fetch_optional(&self.pool)
        .await?;
        Ok(node.map(NodeId))
    }

    /// Which of `chargers` are connected to a live node.
    pub async fn online(
        &self,
        chargers: &[voltgate_domain::ChargerId],
    ) -> Result<Vec<voltgate_domain::ChargerId>> {
        let ids: Vec<Uuid> = chargers.iter().map(|c| c.as_uuid()).collect();
        let online: Vec<Uuid> = sqlx::query_scalar(
            "SELECT c.charger_id FROM charger_connections c JOIN cluster_nodes n ON n.id = c.node_id \
             WHERE c.charger_id = ANY($1) AND n.lease_until > now()",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(online
            .into_iter()
            .map(voltgate_domain::ChargerId::from_uuid)
            .collect())
    }

    /// Notes what connection `generation` of `charger` to `node` said it supports (nothing when a newer
    /// connection took its place).
    pub async fn note_capabilities(
        &self,
        charger: voltgate_domain::ChargerId,
        node: NodeId,
        generation: i64,
        capabilities: Capabilities,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE charger_connections SET max_stack_level = $4, amperes = $5 \
             WHERE charger_id = $1 AND node_id = $2 AND generation = $3",
        )
        .bind(charger.as_uuid())
        .bind(node.0)
        .bind(generation)
        .bind(capabilities.max_stack_level)
        .bind(capabilities.amperes)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Which of `chargers` are connected to a live node with their capabilities known, and these.
    pub async fn ready(
        &self,
        chargers: &[voltgate_domain::ChargerId],
    ) -> Result<Vec<(voltgate_domain::ChargerId, Capabilities)>> {
        let ids: Vec<Uuid> = chargers.iter().map(|c| c.as_uuid()).collect();
        let ready: Vec<(Uuid, i64, bool)> = sqlx::query_as(
            "SELECT c.charger_id, c.max_stack_level, c.amperes \
             FROM charger_connections c JOIN cluster_nodes n ON n.id = c.node_id \
             WHERE c.charger_id = ANY($1) AND n.lease_until > now() \
             AND c.max_stack_level IS NOT NULL AND c.amperes IS NOT NULL",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(ready
            .into_iter()
            .map(|(charger, max_stack_level, amperes)| {
                let capabilities = Capabilities {
                    max_stack_level,
                    amperes,
                };
                (voltgate_domain::ChargerId::from_uuid(charger), capabilities)
            })
            .collect())
    }

    /// Forgets nodes whose lease ran out `grace` ago and answers the chargers they held (each once,
    /// to whichever process asks first). Each such charger's `charger.offline` webhooks are written to
    /// the outbox in the same transaction: a charger is forgotten and said offline together, once,
    /// however many processes reap at the same time (the rows a reap deletes are not returned to a
    /// concurrent one).
    pub async fn reap(&self, grace: std::time::Duration) -> Result<Vec<Orphan>> {
        let mut tx = self.pool.begin().await?;
        let orphans: Vec<(Uuid, Uuid)> = sqlx::query_as(
            "DELETE FROM charger_connections c USING cluster_nodes n, chargers ch \
             WHERE n.id = c.node_id AND ch.id = c.charger_id \
             AND n.lease_until < now() - make_interval(secs => $1) \
             RETURNING c.charger_id, ch.installation_id",
        )
        .bind(grace.as_secs_f64())
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM cluster_nodes WHERE lease_until < now() - make_interval(secs => $1)",
        )
        .bind(grace.as_secs_f64())
        .execute(&mut *tx)
        .await?;
        let orphans: Vec<Orphan> = orphans
            .into_iter()
            .map(|(charger, installation)| Orphan {
                charger: voltgate_domain::ChargerId::from_uuid(charger),
                installation: voltgate_domain::InstallationId::from_uuid(installation),
            })
            .collect();
        for orphan in &orphans {
            let notice = WebhookNotice::new(
                WebhookEvent::ChargerOffline,
                orphan.installation,
                json!({ "chargerId": orphan.charger }),
            );
            crate::postgres::enqueue_webhook(&mut tx, &notice).await?;
        }
        tx.commit().await?;
        Ok(orphans)
    }

    /// Takes the installation's rebalancing lock, waiting for whichever process holds it.
    pub async fn lock_installation(
        &self,
        installation: voltgate_domain::InstallationId,
    ) -> Result<InstallationLock> {
        let key = lock_key(installation);
        let mut connection = self.locks.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(key)
            .execute(&mut *connection)
            .await?;
        Ok(InstallationLock {
            connection: Some(connection),
            key,
        })
    }
}
