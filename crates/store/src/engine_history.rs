// The history's SQL, written once; included by `sqlite.rs` and `postgres.rs` inside a module that
// sees their `Db` and `EngineStore`. Each statement names only the conditions its filter sets, so the
// planner can use the history indexes (migrations 0011 and 0014) instead of `$n IS NULL OR …`.

use std::fmt::Write as _;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt};
use voltgate_domain::{ChargerId, InstallationId};

use super::chargers_sql::SESSION_COLUMNS;
use super::EngineStore;
use crate::chargers::{ChargeSession, HistoryFilter, HistoryTotals};
use crate::batch::Flush;
use crate::error::{Result, StoreError};
use crate::history::{HistoryStore, ImportedSession, MAX_BUCKETS};
use crate::rows::ChargeSessionRow;

/// The energy of a session that counts in totals: never negative.
const ENERGY: &str = "CASE WHEN s.energy_wh > 0 THEN s.energy_wh ELSE 0.0 END";

/// `FROM … WHERE …` of a filtered history, placeholders from `$1` (installation) on, and how many it
/// uses. `with_users` joins the chargers' names and the accounts (for rows; totals do without). The
/// installation is the session's own column (migration 0014), so totals read one index.
pub(crate) fn history_from(filter: &HistoryFilter, with_users: bool) -> (String, usize) {
    let mut sql = String::from("FROM charge_sessions s ");
    if with_users {
        sql.push_str("JOIN chargers c ON c.id = s.charger_id LEFT JOIN users u ON u.id = s.user_id ");
    }
    sql.push_str("WHERE s.installation_id = $1");
    let mut n = 1;
    let mut condition = |sql: &mut String, text: &str| {
        n += 1;
        let _ = write!(sql, " AND {text}${n}");
    };
    if filter.charger.is_some() {
        condition(&mut sql, "s.charger_id = ");
    }
    if filter.user.is_some() {
        condition(&mut sql, "s.user_id = ");
    }
    if filter.from.is_some() {
        condition(&mut sql, "s.started_at >= ");
    }
    if filter.to.is_some() {
        condition(&mut sql, "s.started_at < ");
    }
    (sql, n)
}

/// Binds an installation and the conditions of a filter, in the order [`history_from`] numbers them.
macro_rules! bind_filter {
    ($query:expr, $installation:expr, $filter:expr) => {{
        let filter: &HistoryFilter = $filter;
        let mut query = $query.bind($installation.as_uuid());
        if let Some(charger) = filter.charger {
            query = query.bind(charger.as_uuid());
        }
        if let Some(user) = filter.user {
            query = query.bind(user.as_uuid());
        }
        if let Some(from) = filter.from {
            query = query.bind(from);
        }
        if let Some(to) = filter.to {
            query = query.bind(to);
        }
        query
    }};
}

/// `CASE WHEN col < $k+1 THEN 0 WHEN … END` for the inner bounds, placeholders from `$first`; the
/// outer bounds go in the WHERE.
fn bucket_case(column: &str, bounds: usize, first: usize) -> String {
    if bounds <= 2 {
        return "0".to_owned();
    }
    let mut sql = String::from("CASE");
    for i in 1..bounds - 1 {
        let _ = write!(sql, " WHEN {column} < ${} THEN {}", first + i, i - 1);
    }
    let _ = write!(sql, " ELSE {} END", bounds - 2);
    sql
}

fn check_bounds(bounds: &[DateTime<Utc>]) -> Result<()> {
    if bounds.len() < 2 || bounds.len() > MAX_BUCKETS + 1 || bounds.windows(2).any(|w| w[0] >= w[1]) {
        return Err(StoreError::Config("chart buckets must be 1 to 100 increasing ranges".into()));
    }
    Ok(())
}

impl EngineStore {
    /// A page of a filtered history, newest first.
    pub(crate) async fn history_page(
        &self,
        installation: InstallationId,
        filter: &HistoryFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ChargeSession>> {
        let (from, n) = history_from(filter, true);
        let sql = format!(
            "SELECT {SESSION_COLUMNS} {from} ORDER BY s.started_at DESC, s.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let rows = bind_filter!(sqlx::query_as::<_, ChargeSessionRow>(&sql), installation, filter)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(ChargeSession::from).collect())
    }

    /// How many sessions a filter matches and their energy. The whole history's count and energy are
    /// kept by triggers (migration 0014); the first and last start come from the index either way.
    pub(crate) async fn history_totals(&self, installation: InstallationId, filter: &HistoryFilter) -> Result<HistoryTotals> {
        if *filter == HistoryFilter::default() {
            type Row = (Option<i64>, Option<f64>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
            let (sessions, energy_wh, first, last): Row = sqlx::query_as(
                "SELECT (SELECT sessions FROM installation_history_totals WHERE installation_id = $1), \
                 (SELECT energy_wh FROM installation_history_totals WHERE installation_id = $1), \
                 (SELECT MIN(started_at) FROM charge_sessions WHERE installation_id = $1), \
                 (SELECT MAX(started_at) FROM charge_sessions WHERE installation_id = $1)",
            )
            .bind(installation.as_uuid())
            .fetch_one(&self.pool)
            .await?;
            return Ok(HistoryTotals {
                sessions: sessions.unwrap_or(0),
                energy_wh: energy_wh.unwrap_or(0.0),
                first,
                last,
            });
        }
        let (from, _) = history_from(filter, false);
        let sql = format!("SELECT COUNT(*), SUM({ENERGY}), MIN(s.started_at), MAX(s.started_at) {from}");
        type Row = (i64, Option<f64>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
        let (sessions, energy_wh, first, last): Row =
            bind_filter!(sqlx::query_as(&sql), installation, filter).fetch_one(&self.pool).await?;
        Ok(HistoryTotals { sessions, energy_wh: energy_wh.unwrap_or(0.0), first, last })
    }
}

#[async_trait]
impl HistoryStore for EngineStore {
    fn charge_history_stream(
        &self,
        installation: InstallationId,
        filter: &HistoryFilter,
    ) -> BoxStream<'static, Result<ChargeSession>> {
        let (sender, receiver) = tokio::sync::mpsc::channel::<Result<ChargeSession>>(256);
        let pool = self.pool.clone();
        let filter = filter.clone();
        tokio::spawn(async move {
            let (from, _) = history_from(&filter, true);
            let sql = format!("SELECT {SESSION_COLUMNS} {from} ORDER BY s.started_at DESC, s.id DESC");
            let mut rows = bind_filter!(sqlx::query_as::<_, ChargeSessionRow>(&sql), installation, &filter).fetch(&pool);
            while let Some(row) = rows.next().await {
                let item = row.map(ChargeSession::from).map_err(StoreError::from);
                let failed = item.is_err();
                // A reader that went away ends the query.
                if sender.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
        futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|item| (item, receiver))
        })
        .boxed()
    }

    async fn energy_by_bucket(
        &self,
        installation: InstallationId,
        filter: &HistoryFilter,
        bounds: &[DateTime<Utc>],
    ) -> Result<Vec<f64>> {
        check_bounds(bounds)?;
        let (from, n) = history_from(filter, false);
        let case = bucket_case("s.started_at", bounds.len(), n + 1);
        let sql = format!(
            "SELECT {case} AS bucket, SUM({ENERGY}) {from} AND s.started_at >= ${} AND s.started_at < ${} GROUP BY 1",
            n + 1,
            n + bounds.len()
        );
        let mut query = bind_filter!(sqlx::query_as::<_, (i32, Option<f64>)>(&sql), installation, filter);
        for bound in bounds {
            query = query.bind(*bound);
        }
        Ok(bucket_sums(query.fetch_all(&self.pool).await?, bounds.len() - 1))
    }

    async fn import_charge_sessions(&self, charger: ChargerId, sessions: &[ImportedSession]) -> Result<()> {
        /// Rows per INSERT: 10 placeholders each, well under either engine's limit.
        const ROWS: usize = 500;
        let mut tx = self.pool.begin().await?;
        let installation: Option<uuid::Uuid> = sqlx::query_scalar("SELECT installation_id FROM chargers WHERE id = $1")
            .bind(charger.as_uuid())
            .fetch_optional(&mut *tx)
            .await?;
        let installation = installation.ok_or(StoreError::NotFound)?;
        for chunk in sessions.chunks(ROWS) {
            let mut sql = String::from(
                "INSERT INTO charge_sessions (charger_id, connector_id, id_tag, started_at, meter_start, stopped_at, \
                 meter_stop, energy_wh, received_at, installation_id) VALUES ",
            );
            for i in 0..chunk.len() {
                let n = i * 10;
                let _ = write!(
                    sql,
                    "{}(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    if i == 0 { "" } else { ", " },
                    n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7, n + 8, n + 9, n + 10
                );
            }
            let mut query = sqlx::query(&sql);
            for s in chunk {
                query = query
                    .bind(charger.as_uuid())
                    .bind(s.connector_id)
                    .bind(&s.id_tag)
                    .bind(s.started_at)
                    .bind(s.meter_start)
                    .bind(s.stopped_at)
                    .bind(s.meter_stop)
                    .bind((s.meter_stop - s.meter_start).max(0) as f64)
                    .bind(s.started_at)
                    .bind(installation);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn refresh_statistics(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        Ok(())
    }

    async fn delivered_by_bucket(&self, installation: InstallationId, bounds: &[DateTime<Utc>]) -> Result<Vec<f64>> {
        check_bounds(bounds)?;
        self.flush_pending().await?;
        let last = bounds.len() + 1;
        let case = bucket_case("d.sampled_at", bounds.len(), 2);
        let sql = format!(
            "SELECT {case} AS bucket, SUM(CASE WHEN d.rise > 0 THEN d.rise ELSE 0.0 END) FROM (\
               SELECT m.sampled_at, m.energy_wh - COALESCE(LAG(m.energy_wh) OVER (PARTITION BY m.session_id \
               ORDER BY m.sampled_at), s.meter_start) AS rise \
               FROM meter_samples m JOIN charge_sessions s ON s.id = m.session_id \
               WHERE s.installation_id = $1 AND s.started_at < ${last} AND (s.stopped_at IS NULL OR s.stopped_at >= $2)\
             ) d WHERE d.sampled_at >= $2 AND d.sampled_at < ${last} GROUP BY 1"
        );
        let mut query = sqlx::query_as::<_, (i32, Option<f64>)>(&sql).bind(installation.as_uuid());
        for bound in bounds {
            query = query.bind(*bound);
        }
        Ok(bucket_sums(query.fetch_all(&self.pool).await?, bounds.len() - 1))
    }
}

/// `buckets` sums from rows of (bucket index, sum): buckets without rows are 0, rows outside are dropped.
fn bucket_sums(rows: Vec<(i32, Option<f64>)>, buckets: usize) -> Vec<f64> {
    let mut sums = vec![0.0; buckets];
    for (bucket, wh) in rows {
        if let Some(sum) = usize::try_from(bucket).ok().and_then(|i| sums.get_mut(i)) {
            *sum = wh.unwrap_or(0.0);
        }
    }
    sums
}
