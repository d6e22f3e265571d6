//! What several voltgate processes on one PostgreSQL share so that they act as one service: messages
//! between processes (LISTEN/NOTIFY; a payload too large for a notification waits in a table and the
//! notification carries its number). SQLite has none of this: one process is the whole service.

use std::fmt;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::Result;

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
    pub(crate) fn new(pool: PgPool, side: PgPool) -> Self {
        Self { pool, side }
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
