//! `GET /api/chargehistory`, `GET /api/session/{id}` and `GET /api/sessions/archived`. Paging and
//! totals happen in SQL.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use voltgate_domain::authz::ViewChargeHistory;
use voltgate_domain::Authorized;
use voltgate_domain::{ChargerId, InstallationId, UserId};
use voltgate_store::history::MAX_SCOPE;
use voltgate_store::{ChargeSession, HistoryFilter, HistoryOrder};

use super::zaptec::{bad_request, query_id, query_time, timestamp, Paging};
use super::{ApiUser, Query};
use crate::error::{ApiError, AppError};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chargehistory", get(history))
        .route("/session/{id}", get(session))
        .route("/sessions/archived", get(archived))
}

/// A charging session's id as a UUID (its number in the last 32 bits).
fn session_uuid(id: i32) -> Uuid {
    Uuid::from_u128(u128::from(id.unsigned_abs()))
}

fn session_number(id: &str) -> Option<i32> {
    let uuid: Uuid = id.parse().ok()?;
    i32::try_from(uuid.as_u128()).ok()
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EnergyDetail {
    pub timestamp: String,
    /// kWh since the previous reading.
    pub energy: f64,
}

/// One charging session in the history.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HistoryEntry {
    pub id: Uuid,
    /// The charger's charge point identity.
    pub device_id: String,
    pub device_name: String,
    pub charger_id: Uuid,
    pub start_date_time: String,
    /// Null while charging.
    pub end_date_time: Option<String>,
    /// kWh.
    pub energy: f64,
    pub user_full_name: Option<String>,
    pub user_email: Option<String>,
    pub user_id: Option<Uuid>,
    /// The RFID token.
    pub token_name: String,
    /// With `DetailLevel=1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy_details: Option<Vec<EnergyDetail>>,
}

/// A page of the history with its totals.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HistoryPage {
    pub pages: i64,
    pub data: Vec<HistoryEntry>,
    pub message: Option<String>,
    /// Sessions matching the filter, on all pages.
    pub total_count: i64,
    /// Their energy in kWh.
    pub total_energy: f64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// One installation. Without it (and without `ChargerId`), every installation whose history the
    /// caller may read.
    #[param(rename = "InstallationId", value_type = Option<Uuid>)]
    installationid: Option<String>,
    /// One charger (its installation is the scope unless `InstallationId` is given).
    #[param(rename = "ChargerId", value_type = Option<Uuid>)]
    chargerid: Option<String>,
    /// Sessions started with one of this user's tokens.
    #[param(rename = "UserId", value_type = Option<Uuid>)]
    userid: Option<String>,
    /// Sessions that started at or after this time (a time without a zone is UTC).
    #[param(rename = "From")]
    from: Option<String>,
    /// Sessions that started before this time; must be after `From`.
    #[param(rename = "To")]
    to: Option<String>,
    /// Puts each group's sessions together, newest first within a group: 0 by charger, 1 by day
    /// (the same as newest first), 2 by user (sessions of unknown tokens last). The names
    /// `Charger`, `Day`, `User` work too. Without it: newest first.
    #[param(rename = "GroupBy", value_type = Option<i32>, minimum = 0, maximum = 2)]
    groupby: Option<String>,
    /// 1 adds `EnergyDetails`.
    #[param(rename = "DetailLevel")]
    detaillevel: Option<i64>,
    #[param(rename = "PageIndex")]
    pageindex: Option<i64>,
    #[param(rename = "PageSize")]
    pagesize: Option<i64>,
}

/// Zaptec's `GroupBy` of the history (`AggregateGroup`): a number or its name, any case.
fn history_order(raw: Option<&str>) -> Result<HistoryOrder, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(HistoryOrder::Newest);
    };
    match raw.to_ascii_lowercase().as_str() {
        "0" | "charger" => Ok(HistoryOrder::Charger),
        "1" | "day" => Ok(HistoryOrder::Day),
        "2" | "user" => Ok(HistoryOrder::User),
        _ => Err(bad_request(
            529,
            "GroupBy must be 0 (Charger), 1 (Day) or 2 (User).",
        )),
    }
}

/// The installation of the charger a history query names (403, as for any charger the caller cannot
/// see, when there is none; the caller's right is checked on the installation).
async fn installation_of(app: &AppState, charger: ChargerId) -> Result<InstallationId, ApiError> {
    Ok(app
        .store
        .charger(charger)
        .await?
        .ok_or(AppError::Forbidden)?
        .installation_id)
}

/// The installations a history covers, each with the caller's right to read its history: the one
/// named by `InstallationId` (or by `ChargerId`'s charger), else every one the caller may read.
async fn history_scope(
    app: &AppState,
    caller: &ApiUser,
    installation: Option<InstallationId>,
    charger: Option<ChargerId>,
) -> Result<Vec<Authorized<ViewChargeHistory>>, ApiError> {
    let installation = match (installation, charger) {
        (Some(installation), _) => installation,
        (None, Some(charger)) => installation_of(app, charger).await?,
        (None, None) => {
            let all = app
                .installations_with::<ViewChargeHistory>(&caller.principal())
                .await?;
            if all.len() > MAX_SCOPE {
                return Err(bad_request(
                    529,
                    format!(
                        "You may read more than {MAX_SCOPE} installations: give InstallationId."
                    ),
                ));
            }
            return Ok(all.into_iter().map(|(_, cap)| cap).collect());
        }
    };
    let (_, cap) = super::installation::<ViewChargeHistory>(app, caller, installation).await?;
    Ok(vec![cap])
}

/// A history filter from a query's `ChargerId`, `UserId`, `From` and `To`; `From` must come before
/// `To`.
fn history_filter(
    charger: Option<&str>,
    user: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<HistoryFilter, ApiError> {
    let filter = HistoryFilter {
        charger: query_id::<ChargerId>("ChargerId", charger)?,
        user: query_id::<UserId>("UserId", user)?,
        from: query_time("From", from)?,
        to: query_time("To", to)?,
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from >= to {
            return Err(bad_request(529, "From must be before To."));
        }
    }
    Ok(filter)
}

/// The installation a history query is about, with the caller's right to read its history, and the
/// filter.
async fn scope(
    app: &AppState,
    caller: &ApiUser,
    installation: Option<&str>,
    charger: Option<&str>,
    user: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(InstallationId, HistoryFilter), ApiError> {
    let installation = query_id::<InstallationId>("InstallationId", installation)?;
    let filter = history_filter(charger, user, from, to)?;
    let installation = match (installation, filter.charger) {
        (Some(installation), _) => installation,
        (None, Some(charger)) => installation_of(app, charger).await?,
        (None, None) => return Err(bad_request(503, "Give InstallationId or ChargerId.")),
    };
    super::installation::<ViewChargeHistory>(app, caller, installation).await?;
    Ok((installation, filter))
}

/// The charge point identity of each charger of an installation, for the history's `DeviceId`.
async fn identities(
    app: &AppState,
    installation: InstallationId,
) -> Result<HashMap<ChargerId, String>, ApiError> {
    Ok(app
        .store
        .charger_list(installation)
        .await?
        .into_iter()
        .map(|c| (c.id, c.identity))
        .collect())
}

fn energy_details(samples: &[(DateTime<Utc>, f64)], start_wh: f64) -> Vec<EnergyDetail> {
    let mut previous = start_wh;
    samples
        .iter()
        .map(|(at, wh)| {
            let energy = ((wh - previous) / 1000.0).max(0.0);
            previous = *wh;
            EnergyDetail {
                timestamp: timestamp(*at),
                energy,
            }
        })
        .collect()
}

/// The charging sessions of an installation, of one charger, or of every installation whose history
/// the caller may read, newest first (or grouped, see `GroupBy`), paged; the totals cover every page.
#[utoipa::path(get, path = "/api/chargehistory", tag = "zaptec", params(HistoryQuery), security(("bearer" = [])),
    responses((status = 200, body = HistoryPage), (status = 400, description = "Invalid query (code 529)"), (status = 401, description = "No valid token"), (status = 403, description = "No right"), (status = 404, description = "Unknown, or no relation to it")))]
pub async fn history(
    State(app): State<AppState>,
    caller: ApiUser,
    Query(query): Query<HistoryQuery>,
) -> Result<axum::Json<HistoryPage>, ApiError> {
    let paging = Paging::parse(query.pageindex, query.pagesize)?;
    let order = history_order(query.groupby.as_deref())?;
    let installation =
        query_id::<InstallationId>("InstallationId", query.installationid.as_deref())?;
    let filter = history_filter(
        query.chargerid.as_deref(),
        query.userid.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    )?;
    let scope = history_scope(&app, &caller, installation, filter.charger).await?;
    let totals = app.store.history_totals_across(&scope, &filter).await?;
    let rows = app
        .store
        .history_across(&scope, &filter, order, paging.size, paging.offset())
        .await?;
    let detailed = query.detaillevel.is_some_and(|level| level & 1 == 1);
    let mut samples = if detailed {
        let ids: Vec<i32> = rows.iter().map(|row| row.session.id).collect();
        app.store.meter_samples_of(&ids).await?
    } else {
        HashMap::new()
    };
    let data = rows
        .iter()
        .map(|row| {
            let session = &row.session;
            let details = detailed.then(|| {
                let taken = samples.remove(&session.id).unwrap_or_default();
                energy_details(&taken, session.meter_start as f64)
            });
            entry(session, &row.identity, details)
        })
        .collect();
    Ok(axum::Json(HistoryPage {
        pages: paging.pages(totals.sessions),
        data,
        message: None,
        total_count: totals.sessions,
        total_energy: totals.energy_wh / 1000.0,
    }))
}

fn entry(
    session: &ChargeSession,
    identity: &str,
    energy_details: Option<Vec<EnergyDetail>>,
) -> HistoryEntry {
    HistoryEntry {
        id: session_uuid(session.id),
        device_id: identity.to_owned(),
        device_name: session.charger_name.clone(),
        charger_id: session.charger_id.as_uuid(),
        start_date_time: timestamp(session.started_at),
        end_date_time: session.stopped_at.map(timestamp),
        energy: session.energy_kwh().unwrap_or(0.0),
        user_full_name: session.user_full_name.clone(),
        user_email: session.user_email.clone(),
        user_id: session.user_id.map(|u| u.as_uuid()),
        token_name: session.id_tag.clone(),
        energy_details,
    }
}

/// One session, as `GET /api/session/{id}` answers.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SessionView {
    pub session_id: Uuid,
    pub session_start: String,
    /// Null while charging.
    pub session_end: Option<String>,
    /// kWh.
    pub energy: f64,
    /// voltgate keeps no signed (OCMF) sessions: always null.
    pub signed_session: Option<String>,
}

/// One charging session.
#[utoipa::path(get, path = "/api/session/{id}", tag = "zaptec",
    params(("id" = Uuid, Path, description = "The session")), security(("bearer" = [])),
    responses((status = 200, body = SessionView), (status = 401, description = "No valid token"), (status = 403, description = "No right"), (status = 404, description = "Unknown, or no relation to it")))]
pub async fn session(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<axum::Json<SessionView>, ApiError> {
    let number = session_number(&id).ok_or(AppError::NotFound)?;
    let (session, installation) = app
        .store
        .charge_session(number)
        .await?
        .ok_or(AppError::Forbidden)?;
    super::installation::<ViewChargeHistory>(&app, &caller, installation).await?;
    Ok(axum::Json(SessionView {
        session_id: session_uuid(session.id),
        session_start: timestamp(session.started_at),
        session_end: session.stopped_at.map(timestamp),
        energy: session.energy_kwh().unwrap_or(0.0),
        signed_session: None,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArchivedQuery {
    /// Exactly one of `InstallationId` and `ChargerId`.
    #[param(rename = "InstallationId", value_type = Option<Uuid>)]
    installationid: Option<String>,
    #[param(rename = "ChargerId", value_type = Option<Uuid>)]
    chargerid: Option<String>,
    #[param(rename = "From")]
    from: Option<String>,
    #[param(rename = "To")]
    to: Option<String>,
    #[param(rename = "PageSize")]
    pagesize: Option<i64>,
    /// The `cursor` of the previous page.
    #[param(rename = "Cursor")]
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArchivedUser {
    pub id: Uuid,
    pub email: Option<String>,
    pub full_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArchivedEnergy {
    pub timestamp: String,
    pub energy: f64,
}

/// One archived session (camelCase, as Zaptec has it).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArchivedSession {
    pub id: Uuid,
    pub token_name: String,
    pub charger_id: Uuid,
    pub device_id: String,
    pub device_name: String,
    pub energy: f64,
    pub start_date_time: String,
    pub end_date_time: Option<String>,
    pub authorized_user: Option<ArchivedUser>,
    pub energy_details: Vec<ArchivedEnergy>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArchivedPage {
    pub sessions: Vec<ArchivedSession>,
    /// Give it as `Cursor` for the next page; null on the last.
    pub cursor: Option<String>,
    pub has_more: bool,
}

/// The sessions of an installation or a charger, newest first, a page at a time by cursor.
#[utoipa::path(get, path = "/api/sessions/archived", tag = "zaptec", params(ArchivedQuery), security(("bearer" = [])),
    responses((status = 200, body = ArchivedPage), (status = 400, description = "Invalid query"), (status = 401, description = "No valid token"), (status = 403, description = "No right"), (status = 404, description = "Unknown, or no relation to it")))]
pub async fn archived(
    State(app): State<AppState>,
    caller: ApiUser,
    Query(query): Query<ArchivedQuery>,
) -> Result<axum::Json<ArchivedPage>, ApiError> {
    let given = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    if given(&query.installationid) == given(&query.chargerid) {
        return Err(bad_request(
            529,
            "Give exactly one of InstallationId and ChargerId.",
        ));
    }
    let size = Paging::parse(None, query.pagesize)?.size;
    let offset: i64 = match query
        .cursor
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => 0,
        Some(cursor) => cursor
            .parse()
            .ok()
            .filter(|o: &i64| *o >= 0)
            .ok_or_else(|| bad_request(529, "Cursor is not one this API gave."))?,
    };
    let (installation, filter) = scope(
        &app,
        &caller,
        query.installationid.as_deref(),
        query.chargerid.as_deref(),
        None,
        query.from.as_deref(),
        query.to.as_deref(),
    )
    .await?;
    let mut sessions = app
        .store
        .charge_history(installation, &filter, size + 1, offset)
        .await?;
    let has_more = sessions.len() as i64 > size;
    sessions.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    let identities = identities(&app, installation).await?;
    let ids: Vec<i32> = sessions.iter().map(|s| s.id).collect();
    let mut samples = app.store.meter_samples_of(&ids).await?;
    let mut out = Vec::with_capacity(sessions.len());
    for session in &sessions {
        let taken = samples.remove(&session.id).unwrap_or_default();
        let details = energy_details(&taken, session.meter_start as f64);
        let identity = identities
            .get(&session.charger_id)
            .map(String::as_str)
            .unwrap_or_default();
        let basic = entry(session, identity, None);
        out.push(ArchivedSession {
            id: basic.id,
            token_name: basic.token_name,
            charger_id: basic.charger_id,
            device_id: basic.device_id,
            device_name: basic.device_name,
            energy: basic.energy,
            start_date_time: basic.start_date_time,
            end_date_time: basic.end_date_time,
            authorized_user: session.user_id.map(|id| ArchivedUser {
                id: id.as_uuid(),
                email: session.user_email.clone(),
                full_name: session.user_full_name.clone(),
            }),
            energy_details: details
                .into_iter()
                .map(|d| ArchivedEnergy {
                    timestamp: d.timestamp,
                    energy: d.energy,
                })
                .collect(),
        });
    }
    Ok(axum::Json(ArchivedPage {
        sessions: out,
        cursor: has_more.then(|| (offset + size).to_string()),
        has_more,
    }))
}
