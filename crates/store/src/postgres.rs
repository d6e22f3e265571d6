//! The PostgreSQL engine, for running several voltgate processes on one database.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use crate::cluster::Cluster;
use crate::error::Result;
use crate::sessions::SessionBackend;
use crate::{Database, Engine};

type Db = sqlx::Postgres;

/// The store on a PostgreSQL pool.
pub(crate) struct EngineStore {
    pool: sqlx::PgPool,
    /// The charger hot path's writes, waiting for the next batch.
    pending: crate::batch::Pending,
    /// Bearer tokens' checks, kept while the access generation holds.
    access: crate::access_cache::AccessCache,
}

/// Where tower-sessions keeps browser sessions on this engine.
const SESSIONS_TABLE: &str = "tower_sessions.session";

/// The few SQL words that differ between the engines, for the queries that answer a whole page as one
/// JSON value.
mod dialect {
    /// Aggregates rows into a JSON array (NULL for none).
    pub(crate) const JSON_ARRAY_AGG: &str = "json_agg";
    /// A JSON array of these values (a row whose fields serde reads by position).
    pub(crate) const JSON_ARRAY: &str = "json_build_array";
    /// Embeds a subquery's JSON as JSON (PostgreSQL keeps its type: nothing to do).
    pub(crate) const JSON_EMBED: &str = "";

    /// Whether the charger `p` is connected to a live process, as SQL: the cluster's routing table.
    pub(crate) const ONLINE: &str =
        "EXISTS (SELECT 1 FROM charger_connections cc JOIN cluster_nodes n ON n.id = cc.node_id \
         WHERE cc.charger_id = p.id AND n.lease_until > now())";

    /// Whether a page beside another row comes as rows rather than one JSON value (the wire carries rows cheaply).
    pub(crate) const SUMMARY_AS_ROWS: bool = true;
    /// Locks the rows a worker claims; rows another transaction is claiming are left to it.
    pub(crate) const SKIP_LOCKED: &str = "FOR UPDATE SKIP LOCKED";

    /// Orders text by its bytes, alike on both engines (not by the database's locale).
    pub(crate) const BYTE_ORDER: &str = "COLLATE \"C\"";

    /// The seconds from one timestamp column to another, as a double.
    pub(crate) fn seconds_between(from: &str, to: &str) -> String {
        format!("CAST(EXTRACT(EPOCH FROM ({to} - {from})) AS DOUBLE PRECISION)")
    }

    /// A UUID column as text.
    pub(crate) fn uuid_text(column: &str) -> String {
        format!("{column}::text")
    }
}

// The same SQL files are modules of both engines on purpose: one source, compiled against each.
#[allow(clippy::duplicate_mod)]
#[path = "engine.rs"]
mod engine;
use engine::*;

#[allow(clippy::duplicate_mod)]
#[path = "engine_chargers.rs"]
mod chargers_sql;

#[allow(clippy::duplicate_mod)]
#[path = "engine_tokens.rs"]
mod tokens_sql;

#[allow(clippy::duplicate_mod)]
#[path = "engine_history.rs"]
mod history_sql;

#[allow(clippy::duplicate_mod)]
#[path = "engine_partners.rs"]
mod partners_sql;

#[allow(clippy::duplicate_mod)]
#[path = "engine_webhooks.rs"]
mod webhooks_sql;

/// Writes an event's webhook deliveries into the outbox inside `tx` (the cluster's reap uses it).
pub(crate) use webhooks_sql::enqueue as enqueue_webhook;

/// How a process's connections are shared out: the store's queries, long-held listeners and the
/// rebalancing locks each have a pool of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Budget {
    store: u32,
    side: u32,
    locks: u32,
}

impl Budget {
    /// `total` connections (from [`crate::MIN_CONNECTIONS`] to [`crate::MAX_CONNECTIONS`]) shared 4 : 1 : 2.
    pub(crate) fn of(total: u32) -> Self {
        let total = total.clamp(crate::MIN_CONNECTIONS, crate::MAX_CONNECTIONS);
        let side = (total / 7).max(2);
        let locks = (total * 2 / 7).max(2);
        Self {
            store: total - side - locks,
            side,
            locks,
        }
    }
}

/// Connects to and migrates the PostgreSQL database at `url`.
pub(crate) async fn connect(url: &str, budget: Budget) -> Result<Database> {
    // Not pinged each time a connection is taken: that was one more round trip per query, doubling
    // the cost of the API's reads. (sqlx still pings a connection when it goes back to the pool, so a
    // broken one is dropped there.)
    let pool = PgPoolOptions::new()
        .max_connections(budget.store)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    // Connections held for long (listeners) come from a pool of their own, opened when first needed.
    let side = PgPoolOptions::new()
        .max_connections(budget.side)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(pool.connect_options().as_ref().clone());
    // Rebalancing locks are held on connections of their own, so runs waiting for one never starve
    // the store of connections.
    let locks = PgPoolOptions::new()
        .max_connections(budget.locks)
        .acquire_timeout(Duration::from_secs(120))
        .connect_lazy_with(pool.connect_options().as_ref().clone());
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    let sessions = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
    sessions.migrate().await?;
    let cluster = Cluster::new(pool.clone(), side, locks);
    let store = Arc::new(EngineStore {
        pool,
        pending: Default::default(),
        access: Default::default(),
    });
    store.fill_name_skeletons().await?;
    crate::batch::spawn_writer(Arc::downgrade(&store));
    Ok(Database {
        store,
        cluster: Some(cluster),
        sessions: SessionBackend::Postgres(sessions),
        engine: Engine::Postgres,
    })
}

#[cfg(test)]
mod tests {
    use super::Budget;

    #[test]
    fn a_budget_is_shared_out_whole_and_never_below_two_each() {
        assert_eq!(
            Budget::of(28),
            Budget {
                store: 16,
                side: 4,
                locks: 8
            }
        );
        for total in (0..200).chain([crate::MAX_CONNECTIONS, u32::MAX]) {
            let budget = Budget::of(total);
            assert_eq!(
                budget.store + budget.side + budget.locks,
                total.clamp(crate::MIN_CONNECTIONS, crate::MAX_CONNECTIONS)
            );
            assert!(
                budget.store >= 2 && budget.side >= 2 && budget.locks >= 2,
                "{budget:?}"
            );
        }
    }
}
