//! The SQLite engine: one file, WAL mode, foreign keys on, a busy timeout for concurrent writers.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::sessions::SessionBackend;
use crate::{Database, Engine};

type Db = sqlx::Sqlite;

/// The store on a SQLite pool.
pub(crate) struct EngineStore {
    pool: sqlx::SqlitePool,
    /// The charger hot path's writes, waiting for the next batch.
    pending: crate::batch::Pending,
}

/// Where tower-sessions keeps browser sessions on this engine.
const SESSIONS_TABLE: &str = "tower_sessions";

include!("engine.rs");

mod chargers_sql {
    use super::EngineStore;
    include!("engine_chargers.rs");
}

mod tokens_sql {
    use super::EngineStore;
    include!("engine_tokens.rs");
}

mod history_sql {
    include!("engine_history.rs");
}

/// Opens (creating if missing) and migrates the SQLite database at `url`.
pub(crate) async fn connect(url: &str) -> Result<Database> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    let sessions = tower_sessions_sqlx_store::SqliteStore::new(pool.clone());
    sessions.migrate().await?;
    let store = Arc::new(EngineStore {
        pool,
        pending: Default::default(),
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
