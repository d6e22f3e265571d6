//! voltgate's persistence: one [`Store`] API, implemented for SQLite (the embedded default) and for
//! PostgreSQL (scale-out). The SQL is written once (`engine.rs`) and compiled for each engine with its
//! own native types; each engine has its own migrations.

mod access_cache;
mod accounts;
mod audit;
pub mod batch;
pub mod chargers;
pub mod cluster;
mod error;
mod groups;
pub mod history;
mod installations;
mod model;
pub mod partners;
mod postgres;
mod rows;
mod sessions;
mod sqlite;
mod store;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod tokens;
pub mod webhooks;

use std::sync::Arc;

pub use accounts::AccountStore;
pub use audit::AuditStore;
pub use chargers::*;
pub use error::{Result, StoreError};
pub use groups::GroupStore;
pub use history::{
    HistoryOrder, HistorySession, HistoryStore, ImportedSession, ReportFilter, ReportGroup,
    ReportKey, ReportRow, ReportStore,
};
pub use installations::InstallationStore;
pub use model::*;
pub use partners::*;
pub use sessions::SessionBackend;
pub use store::Store;
pub use tokens::*;
pub use webhooks::*;

/// Which database engine a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// An embedded SQLite file (`sqlite:…`).
    Sqlite,
    /// A PostgreSQL server (`postgres://…`).
    Postgres,
}

impl Engine {
    /// The engine a `DATABASE_URL` names, if any.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// An open, migrated database: the store and the session store on the same connections.
#[derive(Clone)]
pub struct Database {
    /// The data voltgate keeps.
    pub store: Arc<dyn Store>,
    /// What processes sharing the database use to act as one (PostgreSQL only).
    pub cluster: Option<cluster::Cluster>,
    /// Browser sessions, shared by every process on the database.
    pub sessions: SessionBackend,
    /// Which engine is behind it.
    pub engine: Engine,
}

/// Connections a process opens to PostgreSQL at most, by default (see [`connect_with`]).
pub const DEFAULT_CONNECTIONS: u32 = 28;

/// The fewest connections a process may be given (see [`connect_with`]).
pub const MIN_CONNECTIONS: u32 = 8;
/// The most connections a process may be given (PostgreSQL allows at most 262 143 in all).
pub const MAX_CONNECTIONS: u32 = 10_000;

/// Opens the database a URL names (creating a SQLite file if needed) and runs pending migrations.
pub async fn connect(url: &str) -> Result<Database> {
    connect_with(url, DEFAULT_CONNECTIONS).await
}

/// Opens the database as [`connect`] does, opening at most `connections` connections to PostgreSQL
/// (taken into [`MIN_CONNECTIONS`]..=[`MAX_CONNECTIONS`]; SQLite ignores it): the sum over a cluster's processes must stay below the server's
/// `max_connections`.
pub async fn connect_with(url: &str, connections: u32) -> Result<Database> {
    match Engine::of_url(url) {
        Some(Engine::Sqlite) => sqlite::connect(url).await,
        Some(Engine::Postgres) => postgres::connect(url, postgres::Budget::of(connections)).await,
        None => Err(StoreError::Config(
            "the database URL must start with sqlite: or postgres://".into(),
        )),
    }
}
