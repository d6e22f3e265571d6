//! An installation's charging history: filter by charger, person and dates; a page of rows, totals
//! and a chart, all counted in SQL; CSV export streamed row by row.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use serde::Deserialize;
use voltgate_domain::authz::ViewChargeHistory;
use voltgate_domain::chart::Buckets;
use voltgate_domain::text::calendar_date;
use voltgate_domain::{Email, InstallationId, Message, Zone};
use voltgate_store::{ChargeSession, Charger, HistoryFilter, HistoryTotals, Installation};

use super::chart::{energy_chart, BarChart};
use super::layout::Layout;
use super::session::{AuthUser, PathId};
use super::words::{decimal, duration};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;

/// Sessions per page.
const PAGE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/installations/{id}/history", get(history))
}

#[derive(Deserialize, Default)]
struct HistoryQuery {
    #[serde(default)]
    charger: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    format: String,
}

/// One session as the page shows it.
struct Row {
    id: i32,
    charger: String,
    /// The person's name, or the RFID token when no account holds it.
    who: String,
    token: Option<String>,
    authorized: bool,
    started: String,
    stopped: Option<String>,
    duration: String,
    energy: String,
    reason: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "history.html")]
struct HistoryPage {
    layout: Layout,
    installation: Installation,
    chargers: Vec<Charger>,
    rows: Vec<Row>,
    total_sessions: usize,
    /// "12.5 kWh in all", in the reader's convention.
    total_energy: String,
    page: i64,
    pages: i64,
    query: HistoryQuery,
    csv_link: String,
    /// Why the filter cannot be applied (the dates are backwards).
    problem: Option<String>,
    chart: Option<BarChart>,
    zone_note: String,
}

/// The dates and other conditions of a filter, as typed, checked.
struct Filter {
    store: HistoryFilter,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

fn day(raw: &str, name: &'static str) -> Result<Option<NaiveDate>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        text => calendar_date(text).map(Some).map_err(|_| {
            AppError::BadRequest(Message::new("err-filter-date").because(Message::new(name)))
        }),
    }
}

/// The filter a query names, with its local dates turned into instants in the installation's zone;
/// `Err(Ok(message))` when the dates are backwards (said on the page, next to the filters).
async fn filter_of(
    app: &AppState,
    zone: Zone,
    query: &HistoryQuery,
) -> Result<Result<Filter, Message>, AppError> {
    let charger = match query.charger.trim() {
        "" => None,
        raw => Some(
            raw.parse()
                .map_err(|_| AppError::BadRequest(Message::new("err-filter-charger")))?,
        ),
    };
    let user = match query.user.trim() {
        "" => None,
        raw => {
            let email = Email::parse(raw).map_err(|e| AppError::BadRequest(e.into()))?;
            Some(
                app.store
                    .user_by_email(&email)
                    .await?
                    .map_or_else(voltgate_domain::UserId::random, |u| u.id),
            )
        }
    };
    let from = day(&query.from, "from")?;
    let to = day(&query.to, "to")?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Ok(Err(Message::new("err-filter-range")
                .arg("from", from)
                .arg("to", to)));
        }
    }
    Ok(Ok(Filter {
        store: HistoryFilter {
            charger,
            user,
            from: from.map(|d| zone.start_of_day(d)),
            to: to.and_then(|d| d.succ_opt()).map(|d| zone.start_of_day(d)),
        },
        from,
        to,
    }))
}

/// A quoted CSV cell; one that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return) gets a leading `'`.
fn csv_field(text: &str) -> String {
    let safe = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", safe.replace('"', "\"\""))
}

const CSV_HEADER: &str = "session,charger,connector,id_tag,user,started_at,stopped_at,meter_start_wh,meter_stop_wh,energy_kwh,stop_reason,authorized\n";

/// One CSV line; times in ISO 8601 with seconds and the installation's offset.
fn csv_line(zone: Zone, s: &ChargeSession) -> String {
    let row = [
        s.id.to_string(),
        csv_field(&s.charger_name),
        s.connector_id.to_string(),
        csv_field(&s.id_tag),
        csv_field(s.user_email.as_deref().unwrap_or_default()),
        zone.iso(s.started_at),
        s.stopped_at.map(|t| zone.iso(t)).unwrap_or_default(),
        s.meter_start.to_string(),
        s.meter_stop.map(|m| m.to_string()).unwrap_or_default(),
        s.energy_kwh()
            .map(|e| format!("{e:.3}"))
            .unwrap_or_default(),
        csv_field(s.stop_reason.as_deref().unwrap_or_default()),
        s.authorized.to_string(),
    ];
    let mut line = row.join(",");
    line.push('\n');
    line
}

/// The export as a streamed body: the header, then each row as the database hands it out.
fn csv_response(app: &AppState, installation: &Installation, filter: &HistoryFilter) -> Response {
    let zone = installation.time_zone;
    let rows = app
        .store
        .charge_history_stream(installation.id, filter)
        .map(move |row| match row {
            Ok(session) => Ok(csv_line(zone, &session)),
            Err(error) => {
                tracing::error!(%error, "charge history export failed");
                Err(std::io::Error::other("the export could not be completed"))
            }
        });
    let body = futures::stream::once(async { Ok(CSV_HEADER.to_owned()) }).chain(rows);
    let disposition = format!(
        "attachment; filename=\"charging-history-{}.csv\"",
        installation.id
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// A session's row: times in the installation's zone, a running session's energy from its meter.
fn row_of(tr: Tr, zone: Zone, s: ChargeSession, live_wh: Option<f64>) -> Row {
    let now = Utc::now();
    let kwh = |value: f64| format!("{} kWh", decimal(tr, value.max(0.0) + 0.0, 1));
    let energy = match (s.energy_kwh(), s.stopped_at, live_wh) {
        (Some(done), _, _) => kwh(done),
        (None, None, Some(wh)) => tr.with(
            "history-live",
            &[(
                "kwh",
                &decimal(tr, ((wh - s.meter_start as f64) / 1000.0).max(0.0) + 0.0, 1),
            )],
        ),
        _ => "—".to_owned(),
    };
    let (who, token) = match s.user_full_name.filter(|n| !n.is_empty()).or(s.user_email) {
        Some(name) => (name, Some(s.id_tag)),
        None => (s.id_tag, None),
    };
    Row {
        id: s.id,
        charger: format!("{} · {}", s.charger_name, s.connector_id),
        who,
        token,
        authorized: s.authorized,
        started: zone.show(s.started_at),
        stopped: s.stopped_at.map(|t| zone.show(t)),
        duration: duration(tr, s.started_at, s.stopped_at.unwrap_or(now)),
        energy,
        reason: s.stop_reason,
    }
}

/// Energy per day, week or month over the filter's dates (or the sessions' own span).
async fn chart_of(
    app: &AppState,
    tr: Tr,
    installation: &Installation,
    filter: &Filter,
    totals: &HistoryTotals,
) -> Result<Option<BarChart>, AppError> {
    let zone = installation.time_zone;
    let (Some(first), Some(last)) = (totals.first, totals.last) else {
        return Ok(None);
    };
    let first = filter.from.unwrap_or_else(|| zone.date_of(first));
    let last = filter.to.unwrap_or_else(|| zone.date_of(last));
    let buckets = Buckets::covering(zone, first, last);
    let wh = app
        .store
        .energy_by_bucket(installation.id, &filter.store, &buckets.bounds)
        .await?;
    Ok(Some(energy_chart(
        tr,
        "history-chart",
        tr.t("chart-history-title"),
        &buckets,
        &wh,
    )))
}

async fn history(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    Query(query): Query<HistoryQuery>,
) -> Result<Response, AppError> {
    let (installation, _) = app
        .installation::<ViewChargeHistory>(&auth.principal(), id)
        .await?;
    let zone = installation.time_zone;
    let filter = filter_of(&app, zone, &query).await?;
    if query.format == "csv" {
        let filter = filter.map_err(AppError::BadRequest)?;
        return Ok(csv_response(&app, &installation, &filter.store));
    }
    let page = match query.page.trim() {
        "" => 1,
        raw => raw
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=i64::MAX / PAGE).contains(p))
            .ok_or_else(|| AppError::BadRequest(Message::new("err-page")))?,
    };
    let tr = Tr(auth.visit.lang);
    let chargers = app.store.chargers(id).await?;
    let (rows, totals, chart, problem) = match &filter {
        Ok(filter) => {
            let totals = app.store.charge_history_totals(id, &filter.store).await?;
            let sessions = app
                .store
                .charge_history(id, &filter.store, PAGE, (page - 1) * PAGE)
                .await?;
            let live = |s: &ChargeSession| {
                chargers
                    .iter()
                    .find(|(c, _)| c.id == s.charger_id)
                    .and_then(|(_, states)| {
                        states.iter().find(|st| st.connector_id == s.connector_id)
                    })
                    .and_then(|state| state.energy_wh)
            };
            let rows = sessions
                .into_iter()
                .map(|s| {
                    let wh = live(&s);
                    row_of(tr, zone, s, wh)
                })
                .collect();
            let chart = chart_of(&app, tr, &installation, filter, &totals).await?;
            (rows, totals, chart, None)
        }
        Err(problem) => (
            Vec::new(),
            HistoryTotals::default(),
            None,
            Some(tr.msg(problem)),
        ),
    };
    let pages = (totals.sessions + PAGE - 1) / PAGE;
    let mut csv_query: Vec<(&str, &str)> = vec![("format", "csv")];
    for (name, value) in [
        ("charger", &query.charger),
        ("user", &query.user),
        ("from", &query.from),
        ("to", &query.to),
    ] {
        if !value.is_empty() {
            csv_query.push((name, value));
        }
    }
    let csv_link = format!(
        "/installations/{id}/history?{}",
        serde_urlencoded::to_string(&csv_query).unwrap_or_default()
    );
    let layout = Layout::new(
        &app,
        &auth.visit,
        Some(&auth.user),
        format!("{} · {}", tr.t("tab-history"), installation.name),
    )
    .await?;
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let total_energy = tr.with(
        "kwh-in-all",
        &[(
            "kwh",
            &decimal(tr, (totals.energy_wh / 1000.0).max(0.0) + 0.0, 1),
        )],
    );
    let zone_note = tr.with("times-in-zone", &[("zone", zone.name())]);
    let page_view = HistoryPage {
        layout,
        installation,
        chargers: chargers.into_iter().map(|(c, _)| c).collect(),
        rows,
        total_sessions: usize::try_from(totals.sessions).unwrap_or(usize::MAX),
        total_energy,
        page,
        pages: pages.max(1),
        query,
        csv_link,
        problem,
        chart,
        zone_note,
    };
    Ok((status, page_view).into_response())
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn cells_that_spreadsheets_would_run_are_defused() {
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"] {
            assert!(csv_field(formula).starts_with("\"'"), "{formula:?}");
        }
        assert_eq!(
            csv_field("Ola \"O\" Nordmann"),
            "\"Ola \"\"O\"\" Nordmann\""
        );
        assert_eq!(csv_field("TAG-1"), "\"TAG-1\"");
    }
}
