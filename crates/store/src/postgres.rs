//! The PostgreSQL engine, for running several voltgate processes on one database.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use crate::cluster::Cluster;
use crate::sessions::SessionBackend;
use crate::{Database, Engine};

type Db = sqlx::Postgres;

/// The store on a PostgreSQL pool.
pub(crate) struct EngineStore {
    pool: sqlx::PgPool,
    /// The charger hot path's writes, waiting for the next batch.
    pending: crate::batch::Pending,
}

/// Where tower-sessions keeps browser sessions on this engine.
const SESSIONS_TABLE: &str = "tower_sessions.session";

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

/// Connects to and migrates the PostgreSQL database at `url`.
pub(crate) async fn connect(url: &str) -> Result<Database> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    // Connections held for long (listeners) come from a pool of their own, opened when first needed.
    let side = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(pool.connect_options().as_ref().clone());
    // Rebalancing locks are held on connections of their own, so runs waiting for one never starve
    // the store of connections.
    let locks = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(120))
        .connect_lazy_with(pool.connect_options().as_ref().clone());
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    let sessions = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
    sessions.migrate().await?;
    let cluster = Cluster::new(pool.clone(), side, locks);
    let store = Arc::new(EngineStore {
        pool,
        pending: Default::default(),
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
