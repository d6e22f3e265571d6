//! The history's SQL, written once; a module of `sqlite.rs` and of `postgres.rs` (`#[path]`),
//! compiled against each engine's `Db` and `EngineStore`. Each statement names only the conditions its filter sets, so the
//! planner can use the history indexes (migrations 0011 and 0014) instead of `$n IS NULL OR …`.

use std::fmt::Write as _;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt};
use voltgate_domain::authz::ViewChargeHistory;
use voltgate_domain::{Authorized, ChargerId, InstallationId, UserId};

use super::chargers_sql::SESSION_COLUMNS;
use super::EngineStore;
use crate::batch::Flush;
use crate::chargers::{ChargeSession, HistoryFilter, HistoryTotals};
use crate::error::{Result, StoreError};
use crate::history::{
    HistoryOrder, HistorySession, HistoryStore, ImportedSession, ReportFilter, ReportGroup,
    ReportKey, ReportRow, ReportStore, MAX_BUCKETS, MAX_REPORT_BUCKETS, MAX_SCOPE,
};
use crate::rows::ChargeSessionRow;

/// The energy of a session that counts in totals: never negative.
const ENERGY: &str = "CASE WHEN s.energy_wh > 0 THEN s.energy_wh ELSE 0.0 END";

/// A history's totals as the database answers them: how many sessions (none when no totals are kept
/// yet), their energy, the first and the last start.
type TotalsRow = (
    Option<i64>,
    Option<f64>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

fn totals((sessions, energy_wh, first, last): TotalsRow) -> HistoryTotals {
    HistoryTotals {
        sessions: sessions.unwrap_or(0),
        energy_wh: energy_wh.unwrap_or(0.0),
        first,
        last,
    }
}

/// `FROM … WHERE …` of a filtered history, placeholders from `$1` (installation) on, and how many it
/// uses. `with_users` joins the chargers' names and the accounts (for rows; totals do without). The
/// installation is the session's own column (migration 0014), so totals read one index.
pub(crate) fn history_from(filter: &HistoryFilter, with_users: bool) -> (String, usize) {
    let mut sql = String::from("FROM charge_sessions s ");
    if with_users {
        sql.push_str(
            "JOIN chargers c ON c.id = s.charger_id LEFT JOIN users u ON u.id = s.user_id ",
        );
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
    if bounds.len() < 2 || bounds.len() > MAX_BUCKETS + 1 || bounds.windows(2).any(|w| w[0] >= w[1])
    {
        return Err(StoreError::Config(
            "chart buckets must be 1 to 100 increasing ranges".into(),
        ));
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
        let rows = bind_filter!(
            sqlx::query_as::<_, ChargeSessionRow>(&sql),
            installation,
            filter
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(ChargeSession::from).collect())
    }

    /// How many sessions a filter matches and their energy. The whole history's count and energy are
    /// kept by triggers (migration 0014); the first and last start come from the index either way.
    pub(crate) async fn history_totals(
        &self,
        installation: InstallationId,
        filter: &HistoryFilter,
    ) -> Result<HistoryTotals> {
        if *filter == HistoryFilter::default() {
            let row: TotalsRow = sqlx::query_as(
                "SELECT (SELECT sessions FROM installation_history_totals WHERE installation_id = $1), \
                 (SELECT energy_wh FROM installation_history_totals WHERE installation_id = $1), \
                 (SELECT MIN(started_at) FROM charge_sessions WHERE installation_id = $1), \
                 (SELECT MAX(started_at) FROM charge_sessions WHERE installation_id = $1)",
            )
            .bind(installation.as_uuid())
            .fetch_one(&self.pool)
            .await?;
            return Ok(totals(row));
        }
        let (from, _) = history_from(filter, false);
        let sql =
            format!("SELECT COUNT(*), SUM({ENERGY}), MIN(s.started_at), MAX(s.started_at) {from}");
        let row: TotalsRow = bind_filter!(sqlx::query_as(&sql), installation, filter)
            .fetch_one(&self.pool)
            .await?;
        Ok(totals(row))
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
            let sql =
                format!("SELECT {SESSION_COLUMNS} {from} ORDER BY s.started_at DESC, s.id DESC");
            let mut rows = bind_filter!(
                sqlx::query_as::<_, ChargeSessionRow>(&sql),
                installation,
                &filter
            )
            .fetch(&pool);
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
        let mut query = bind_filter!(
            sqlx::query_as::<_, (i32, Option<f64>)>(&sql),
            installation,
            filter
        );
        for bound in bounds {
            query = query.bind(*bound);
        }
        Ok(bucket_sums(
            query.fetch_all(&self.pool).await?,
            bounds.len() - 1,
        ))
    }

    async fn import_charge_sessions(
        &self,
        charger: ChargerId,
        sessions: &[ImportedSession],
    ) -> Result<()> {
        /// Rows per INSERT: 10 placeholders each, well under either engine's limit.
        const ROWS: usize = 500;
        let mut tx = self.pool.begin().await?;
        let installation: Option<uuid::Uuid> =
            sqlx::query_scalar("SELECT installation_id FROM chargers WHERE id = $1")
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
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6,
                    n + 7,
                    n + 8,
                    n + 9,
                    n + 10
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

    async fn delivered_by_bucket(
        &self,
        installation: InstallationId,
        bounds: &[DateTime<Utc>],
    ) -> Result<Vec<f64>> {
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
        Ok(bucket_sums(
            query.fetch_all(&self.pool).await?,
            bounds.len() - 1,
        ))
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

/// A value for a placeholder of a statement put together at run time.
enum Param {
    Uuid(uuid::Uuid),
    Time(DateTime<Utc>),
}

/// The conditions of a statement put together at run time, with their values in placeholder order.
#[derive(Default)]
struct Conditions {
    sql: String,
    params: Vec<Param>,
}

impl Conditions {
    /// A placeholder for `param`.
    fn param(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    /// ` AND {column} IN (…)`, or a condition nothing meets for no values.
    fn any_of(&mut self, column: &str, values: impl IntoIterator<Item = Param>) {
        let placeholders: Vec<String> = values.into_iter().map(|value| self.param(value)).collect();
        if placeholders.is_empty() {
            self.sql.push_str(" AND 1 = 0");
        } else {
            let _ = write!(self.sql, " AND {column} IN ({})", placeholders.join(", "));
        }
    }

    /// ` AND {text}{placeholder}`.
    fn and(&mut self, text: &str, param: Param) {
        let placeholder = self.param(param);
        let _ = write!(self.sql, " AND {text}{placeholder}");
    }

    /// The conditions of a history filter beyond the installations.
    fn history(&mut self, filter: &HistoryFilter) {
        if let Some(charger) = filter.charger {
            self.and("s.charger_id = ", Param::Uuid(charger.as_uuid()));
        }
        if let Some(user) = filter.user {
            self.and("s.user_id = ", Param::Uuid(user.as_uuid()));
        }
        self.window(filter.from, filter.to);
    }

    fn window(&mut self, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) {
        if let Some(from) = from {
            self.and("s.started_at >= ", Param::Time(from));
        }
        if let Some(to) = to {
            self.and("s.started_at < ", Param::Time(to));
        }
    }
}

/// Binds the values of [`Conditions`] in order.
macro_rules! bind_params {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                Param::Uuid(id) => query.bind(*id),
                Param::Time(at) => query.bind(*at),
            };
        }
        query
    }};
}

/// `FROM … WHERE …` of the sessions of some installations that a filter matches.
fn scoped_history(
    scope: &[Authorized<ViewChargeHistory>],
    filter: &HistoryFilter,
    with_users: bool,
) -> Result<Conditions> {
    if scope.len() > MAX_SCOPE {
        return Err(StoreError::Config(format!(
            "a history spans at most {MAX_SCOPE} installations"
        )));
    }
    let mut conditions = Conditions::default();
    conditions
        .sql
        .push_str("FROM charge_sessions s JOIN chargers c ON c.id = s.charger_id ");
    if with_users {
        conditions
            .sql
            .push_str("LEFT JOIN users u ON u.id = s.user_id ");
    }
    conditions.sql.push_str("WHERE 1 = 1");
    conditions.any_of(
        "c.installation_id",
        scope.iter().map(|cap| Param::Uuid(cap.id().as_uuid())),
    );
    conditions.history(filter);
    Ok(conditions)
}

/// The ORDER BY of a history page.
fn history_order(order: HistoryOrder) -> String {
    let bytes = super::dialect::BYTE_ORDER;
    match order {
        HistoryOrder::Newest | HistoryOrder::Day => "s.started_at DESC, s.id DESC".to_owned(),
        HistoryOrder::Charger => format!("c.name {bytes}, c.id, s.started_at DESC, s.id DESC"),
        HistoryOrder::User => format!(
            "CASE WHEN u.id IS NULL THEN 1 ELSE 0 END, u.full_name {bytes}, u.email {bytes}, u.id, \
             s.started_at DESC, s.id DESC"
        ),
    }
}

#[async_trait]
impl ReportStore for EngineStore {
    async fn history_across(
        &self,
        scope: &[Authorized<ViewChargeHistory>],
        filter: &HistoryFilter,
        order: HistoryOrder,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<HistorySession>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            session: ChargeSessionRow,
            identity: String,
            installation_id: uuid::Uuid,
        }
        let conditions = scoped_history(scope, filter, true)?;
        let n = conditions.params.len();
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, c.identity, c.installation_id {} ORDER BY {} LIMIT ${} OFFSET ${}",
            conditions.sql,
            history_order(order),
            n + 1,
            n + 2
        );
        let rows = bind_params!(sqlx::query_as::<_, Row>(&sql), &conditions.params)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| HistorySession {
                session: ChargeSession::from(row.session),
                identity: row.identity,
                installation: InstallationId::from_uuid(row.installation_id),
            })
            .collect())
    }

    async fn history_totals_across(
        &self,
        scope: &[Authorized<ViewChargeHistory>],
        filter: &HistoryFilter,
    ) -> Result<HistoryTotals> {
        let conditions = scoped_history(scope, filter, false)?;
        let sql = format!(
            "SELECT COUNT(*), SUM({ENERGY}), MIN(s.started_at), MAX(s.started_at) {}",
            conditions.sql
        );
        let row: TotalsRow = bind_params!(sqlx::query_as(&sql), &conditions.params)
            .fetch_one(&self.pool)
            .await?;
        Ok(totals(row))
    }

    async fn charge_report(
        &self,
        on: &Authorized<ViewChargeHistory>,
        filter: &ReportFilter,
        group: &ReportGroup,
    ) -> Result<Vec<ReportRow>> {
        if filter.chargers.len() + filter.users.len() > MAX_SCOPE {
            return Err(StoreError::Config(format!(
                "a report names at most {MAX_SCOPE} chargers and users"
            )));
        }
        let mut c = Conditions::default();
        let installation = c.param(Param::Uuid(on.id().as_uuid()));
        c.sql = format!(
            "FROM charge_sessions s JOIN chargers c ON c.id = s.charger_id LEFT JOIN users u ON u.id = s.user_id \
             WHERE c.installation_id = {installation} AND s.stopped_at IS NOT NULL"
        );
        if !filter.chargers.is_empty() {
            c.any_of(
                "s.charger_id",
                filter.chargers.iter().map(|id| Param::Uuid(id.as_uuid())),
            );
        }
        if !filter.users.is_empty() {
            c.any_of(
                "s.user_id",
                filter.users.iter().map(|id| Param::Uuid(id.as_uuid())),
            );
        }
        c.window(filter.from, filter.to);
        let seconds = super::dialect::seconds_between("s.started_at", "s.stopped_at");
        let sums = format!(
            "COUNT(*), SUM({ENERGY}), SUM(CASE WHEN {seconds} > 0 THEN {seconds} ELSE 0.0 END)"
        );
        let bytes = super::dialect::BYTE_ORDER;
        let row =
            |key: ReportKey, sessions: i64, energy: Option<f64>, seconds: Option<f64>| ReportRow {
                key,
                sessions,
                energy_wh: energy.unwrap_or(0.0),
                seconds: seconds.unwrap_or(0.0),
            };
        match group {
            ReportGroup::User => {
                let sql = format!(
                    "SELECT u.id, MIN(u.full_name), MIN(u.email), {sums} {} GROUP BY u.id \
                     ORDER BY CASE WHEN u.id IS NULL THEN 1 ELSE 0 END, MIN(u.full_name) {bytes}, MIN(u.email) {bytes}, u.id",
                    c.sql
                );
                type Row = (
                    Option<uuid::Uuid>,
                    Option<String>,
                    Option<String>,
                    i64,
                    Option<f64>,
                    Option<f64>,
                );
                let rows: Vec<Row> = bind_params!(sqlx::query_as(&sql), &c.params)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, full_name, email, n, wh, s)| {
                        row(
                            ReportKey::User {
                                id: id.map(UserId::from_uuid),
                                full_name,
                                email,
                            },
                            n,
                            wh,
                            s,
                        )
                    })
                    .collect())
            }
            ReportGroup::Charger => {
                let sql = format!(
                    "SELECT c.id, MIN(c.name), {sums} {} GROUP BY c.id ORDER BY MIN(c.name) {bytes}, c.id",
                    c.sql
                );
                type Row = (uuid::Uuid, Option<String>, i64, Option<f64>, Option<f64>);
                let rows: Vec<Row> = bind_params!(sqlx::query_as(&sql), &c.params)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name, n, wh, s)| {
                        row(
                            ReportKey::Charger {
                                id: ChargerId::from_uuid(id),
                                name: name.unwrap_or_default(),
                            },
                            n,
                            wh,
                            s,
                        )
                    })
                    .collect())
            }
            ReportGroup::Token => {
                let sql = format!(
                    "SELECT s.id_tag, {sums} {} GROUP BY s.id_tag ORDER BY s.id_tag {bytes}",
                    c.sql
                );
                type Row = (String, i64, Option<f64>, Option<f64>);
                let rows: Vec<Row> = bind_params!(sqlx::query_as(&sql), &c.params)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(tag, n, wh, s)| row(ReportKey::Token(tag), n, wh, s))
                    .collect())
            }
            ReportGroup::Buckets(bounds) => {
                if bounds.len() < 2
                    || bounds.len() > MAX_REPORT_BUCKETS + 1
                    || bounds.windows(2).any(|w| w[0] >= w[1])
                {
                    return Err(StoreError::Config(format!(
                        "report buckets must be 1 to {MAX_REPORT_BUCKETS} increasing ranges"
                    )));
                }
                let first = c.params.len() + 1;
                for bound in bounds {
                    c.param(Param::Time(*bound));
                }
                let case = bucket_case("s.started_at", bounds.len(), first);
                let sql = format!(
                    "SELECT {case} AS bucket, {sums} {} AND s.started_at >= ${first} AND s.started_at < ${} GROUP BY 1",
                    c.sql,
                    first + bounds.len() - 1
                );
                type Row = (i32, i64, Option<f64>, Option<f64>);
                let rows: Vec<Row> = bind_params!(sqlx::query_as(&sql), &c.params)
                    .fetch_all(&self.pool)
                    .await?;
                let mut out: Vec<ReportRow> = (0..bounds.len() - 1)
                    .map(|i| row(ReportKey::Bucket(i), 0, None, None))
                    .collect();
                for (bucket, n, wh, s) in rows {
                    if let Some(i) = usize::try_from(bucket).ok().filter(|i| *i < out.len()) {
                        out[i] = row(ReportKey::Bucket(i), n, wh, s);
                    }
                }
                Ok(out)
            }
        }
    }
}
