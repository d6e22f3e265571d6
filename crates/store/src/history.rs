//! Charge history beyond a page: the whole filtered history as a stream (CSV export) and the sums that
//! charts draw, all computed in SQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use voltgate_domain::{ChargerId, InstallationId};

use crate::chargers::{ChargeSession, HistoryFilter};
use crate::error::Result;

/// Charge history for exports and charts.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Every session a filter matches, newest first, as the database hands them out: rows are read
    /// while the stream is consumed (a bounded buffer), never collected in memory first.
    fn charge_history_stream(
        &self,
        installation: InstallationId,
        filter: &HistoryFilter,
    ) -> BoxStream<'static, Result<ChargeSession>>;

    /// The energy (Wh) of the sessions a filter matches, summed per bucket by when they started:
    /// bucket `i` holds the sessions with `bounds[i] <= started_at < bounds[i + 1]`. Answers one sum
    /// per bucket (`bounds.len() - 1`, zeros where nothing charged).
    async fn energy_by_bucket(
        &self,
        installation: InstallationId,
        filter: &HistoryFilter,
        bounds: &[DateTime<Utc>],
    ) -> Result<Vec<f64>>;

    /// The energy (Wh) an installation's connectors delivered in each bucket, from the meter samples
    /// of its sessions (the rise from one sample to the next, counted in the bucket of the later
    /// one). Divided by a bucket's length it is the average power.
    async fn delivered_by_bucket(
        &self,
        installation: InstallationId,
        bounds: &[DateTime<Utc>],
    ) -> Result<Vec<f64>>;

    /// Adds finished sessions of one charger in one transaction, many rows per statement (for
    /// `voltgate bench history`, which needs a million of them; the charger hot path never uses it).
    async fn import_charge_sessions(
        &self,
        charger: ChargerId,
        sessions: &[ImportedSession],
    ) -> Result<()>;

    /// Refreshes the query planner's statistics (after a large import).
    async fn refresh_statistics(&self) -> Result<()>;
}

/// A finished session to import (its meters in Wh).
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedSession {
    pub connector_id: i32,
    pub id_tag: String,
    pub started_at: DateTime<Utc>,
    pub stopped_at: DateTime<Utc>,
    pub meter_start: i64,
    pub meter_stop: i64,
}

/// The most buckets one sum answers for.
pub const MAX_BUCKETS: usize = 100;
