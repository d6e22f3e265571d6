//! The SQLite engine: one file, WAL mode, foreign keys on, a busy timeout for concurrent writers.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::Result;
use crate::sessions::SessionBackend;
use crate::{Database, Engine};

type Db = sqlx::Sqlite;

/// The store on a SQLite pool.
pub(crate) struct EngineStore {
    pool: sqlx::SqlitePool,
    /// The charger hot path's writes, waiting for the next batch.
    pending: crate::batch::Pending,
    /// Bearer tokens' checks, kept while the access generation holds.
    access: crate::access_cache::AccessCache,
}

/// Where tower-sessions keeps browser sessions on this engine.
const SESSIONS_TABLE: &str = "tower_sessions";

/// The few SQL words that differ between the engines, for the queries that answer a whole page as one
/// JSON value (SQLite hands each row to the async side through a thread switch).
mod dialect {
    /// Aggregates rows into a JSON array (`[]` for none).
    pub(crate) const JSON_ARRAY_AGG: &str = "json_group_array";
    /// A JSON array of these values (a row whose fields serde reads by position).
    pub(crate) const JSON_ARRAY: &str = "json_array";
    /// Embeds a subquery's JSON as JSON (SQLite forgets that a subquery's text is JSON).
    pub(crate) const JSON_EMBED: &str = "json";

    /// Whether the charger `p` is connected to a live process, as SQL: unknown here (one process,
    /// which knows its connections itself).
    pub(crate) const ONLINE: &str = "NULL";

    /// Whether a page beside another row comes as rows rather than one JSON value (each row would cost a thread switch).
    pub(crate) const SUMMARY_AS_ROWS: bool = false;
    /// Locks the rows a worker claims; nothing here: one process, and SQLite writes one at a time.
    pub(crate) const SKIP_LOCKED: &str = "";

    /// Orders text by its bytes, alike on both engines (not by the database's locale).
    pub(crate) const BYTE_ORDER: &str = "COLLATE BINARY";

    /// The seconds from one timestamp column to another, as a double.
    pub(crate) fn seconds_between(from: &str, to: &str) -> String {
        format!("(unixepoch({to}, 'subsec') - unixepoch({from}, 'subsec'))")
    }

    /// A UUID column as text (a BLOB here).
    pub(crate) fn uuid_text(column: &str) -> String {
        format!("lower(hex({column}))")
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

/// Opens (creating if missing) and migrates the SQLite database at `url`.
pub(crate) async fn connect(url: &str) -> Result<Database> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    // A connection of this pool cannot go away underneath (it is a file), so it is not pinged each
    // time it is taken: that ping was a round trip to the connection's thread per query.
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    let sessions = tower_sessions_sqlx_store::SqliteStore::new(pool.clone());
    sessions.migrate().await?;
    let store = Arc::new(EngineStore {
        pool,
        pending: Default::default(),
        access: Default::default(),
    });
    store.fill_name_skeletons().await?;
    crate::batch::spawn_writer(Arc::downgrade(&store));
    Ok(Database {
        store,
        cluster: None,
        sessions: SessionBackend::Sqlite(sessions),
        engine: Engine::Sqlite,
    })
}
