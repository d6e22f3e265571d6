//! Charge history beyond a page: the whole filtered history as a stream (CSV export) and the sums that
//! charts draw, all computed in SQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use voltgate_domain::authz::ViewChargeHistory;
use voltgate_domain::{Authorized, ChargerId, InstallationId, UserId};

use crate::chargers::{ChargeSession, HistoryFilter, HistoryTotals};
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

/// How a page of a history is ordered: Zaptec's `GroupBy` on `/api/chargehistory`, which keeps the
/// list of sessions and puts each group's sessions together (newest first inside a group).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HistoryOrder {
    /// Newest first (no `GroupBy`).
    #[default]
    Newest,
    /// By charger name (then id), newest first within a charger.
    Charger,
    /// By the day sessions started, newest day first: newest first (each day's sessions are together).
    Day,
    /// By the user's name and e-mail (then id), sessions of no known user last, newest first within.
    User,
}

/// A session of a history that may span installations, with what a row needs beyond the session.
#[derive(Clone, Debug, PartialEq)]
pub struct HistorySession {
    pub session: ChargeSession,
    /// The charger's charge point identity (Zaptec's `DeviceId`).
    pub identity: String,
    pub installation: InstallationId,
}

/// Which sessions an installation report sums: every list empty means all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportFilter {
    pub chargers: Vec<ChargerId>,
    pub users: Vec<UserId>,
    /// Sessions that started at or after this.
    pub from: Option<DateTime<Utc>>,
    /// Sessions that started before this.
    pub to: Option<DateTime<Utc>>,
}

/// What an installation report sums per.
#[derive(Clone, Debug, PartialEq)]
pub enum ReportGroup {
    /// The account whose token started a session (all sessions of unknown tokens in one group).
    User,
    /// The charger.
    Charger,
    /// The RFID token.
    Token,
    /// Buckets of start times: bucket `i` holds the sessions with `bounds[i] <= started_at <
    /// bounds[i + 1]` (days in the installation's time zone). At most [`MAX_REPORT_BUCKETS`].
    Buckets(Vec<DateTime<Utc>>),
}

/// The most buckets (days) one report sums.
pub const MAX_REPORT_BUCKETS: usize = 400;

/// The most installations one history spans (placeholders in one statement).
pub const MAX_SCOPE: usize = 10_000;

/// What one group of a report is about.
#[derive(Clone, Debug, PartialEq)]
pub enum ReportKey {
    User {
        id: Option<UserId>,
        full_name: Option<String>,
        email: Option<String>,
    },
    Charger {
        id: ChargerId,
        name: String,
    },
    Token(String),
    /// The index of a bucket.
    Bucket(usize),
}

/// One group's sums, from SQL: ended sessions only.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportRow {
    pub key: ReportKey,
    pub sessions: i64,
    /// Energy delivered (Wh).
    pub energy_wh: f64,
    /// Time from start to end, summed (seconds).
    pub seconds: f64,
}

/// Histories across installations and installation reports, for the REST API. Each takes the
/// capabilities that prove the caller may read every installation it covers.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// A page of the sessions of these installations that a filter matches, in `order`.
    async fn history_across(
        &self,
        scope: &[Authorized<ViewChargeHistory>],
        filter: &HistoryFilter,
        order: HistoryOrder,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<HistorySession>>;

    /// How many sessions [`Self::history_across`] would list with no limit, and their energy.
    async fn history_totals_across(
        &self,
        scope: &[Authorized<ViewChargeHistory>],
        filter: &HistoryFilter,
    ) -> Result<HistoryTotals>;

    /// An installation's ended sessions summed per group (count, energy, duration), in SQL; groups
    /// without sessions are left out, except that buckets answer one row each.
    async fn charge_report(
        &self,
        on: &Authorized<ViewChargeHistory>,
        filter: &ReportFilter,
        group: &ReportGroup,
    ) -> Result<Vec<ReportRow>>;
}
