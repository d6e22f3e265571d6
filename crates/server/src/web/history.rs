//! An installation's charging history: filter by charger, user and dates; totals; CSV export.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use voltgate_domain::authz::ViewChargeHistory;
use voltgate_domain::text::calendar_date;
use voltgate_domain::{Email, InstallationId, Message};
use voltgate_store::{ChargeSession, Charger, HistoryFilter, Installation};

use super::layout::Layout;
use super::session::{AuthUser, PathId};
use crate::error::AppError;
use crate::state::AppState;

/// Sessions per page.
const PAGE: usize = 50;
/// The most sessions one history view or export covers.
const MAX_SESSIONS: i64 = 10_000;

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

#[derive(Template, WebTemplate)]
#[template(path = "history.html")]
struct HistoryPage {
    layout: Layout,
    installation: Installation,
    chargers: Vec<Charger>,
    sessions: Vec<ChargeSession>,
    total_sessions: usize,
    total_kwh: f64,
    page: usize,
    pages: usize,
    query: HistoryQuery,
    csv_link: String,
}

impl HistoryPage {
    /// The total energy, never "-0.0".
    fn total_kwh_text(&self) -> String {
        format!("{:.1}", self.total_kwh.max(0.0) + 0.0)
    }
}

fn day(raw: &str, name: &'static str) -> Result<Option<NaiveDate>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        text => calendar_date(text).map(Some).map_err(|_| {
            AppError::BadRequest(Message::new("err-filter-date").because(Message::new(name)))
        }),
    }
}

async fn filter_of(app: &AppState, query: &HistoryQuery) -> Result<HistoryFilter, AppError> {
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
    let midnight = |date: NaiveDate| date.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
    let from = day(&query.from, "from")?.and_then(midnight);
    let to = day(&query.to, "to")?
        .and_then(|d| d.succ_opt())
        .and_then(midnight);
    Ok(HistoryFilter {
        charger,
        user,
        from,
        to,
    })
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

fn csv(sessions: &[ChargeSession]) -> String {
    let mut out = String::from("session,charger,connector,id_tag,user,started_at,stopped_at,meter_start_wh,meter_stop_wh,energy_kwh,stop_reason,authorized\n");
    for s in sessions {
        let row = [
            s.id.to_string(),
            csv_field(&s.charger_name),
            s.connector_id.to_string(),
            csv_field(&s.id_tag),
            csv_field(s.user_email.as_deref().unwrap_or_default()),
            s.started_at.to_rfc3339(),
            s.stopped_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            s.meter_start.to_string(),
            s.meter_stop.map(|m| m.to_string()).unwrap_or_default(),
            s.energy_kwh()
                .map(|e| format!("{e:.3}"))
                .unwrap_or_default(),
            csv_field(s.stop_reason.as_deref().unwrap_or_default()),
            s.authorized.to_string(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
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
    let filter = filter_of(&app, &query).await?;
    let all = app
        .store
        .charge_history(id, &filter, MAX_SESSIONS, 0)
        .await?;
    if query.format == "csv" {
        let disposition = format!("attachment; filename=\"charging-history-{id}.csv\"");
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            csv(&all),
        )
            .into_response());
    }
    let page = match query.page.trim() {
        "" => 1,
        raw => raw
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| AppError::BadRequest(Message::new("err-page")))?,
    };
    let pages = all.len().div_ceil(PAGE).max(1);
    let total_kwh = all.iter().filter_map(ChargeSession::energy_kwh).sum();
    let total_sessions = all.len();
    let sessions = all
        .into_iter()
        .skip((page - 1).saturating_mul(PAGE))
        .take(PAGE)
        .collect();
    let chargers = app
        .store
        .chargers(id)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
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
        format!(
            "{} · {}",
            crate::i18n::Tr(auth.visit.lang).t("tab-history"),
            installation.name
        ),
    )
    .await?;
    Ok(HistoryPage {
        layout,
        installation,
        chargers,
        sessions,
        total_sessions,
        total_kwh,
        page,
        pages,
        query,
        csv_link,
    }
    .into_response())
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
