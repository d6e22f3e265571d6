//! `GET|POST /api/chargehistory/installationreport`: an installation's ended sessions summed per user,
//! charger, RFID token or day, in SQL, in the shape Zaptec's report clients read
//! (`totalUserChargerReportModel`, duration in hours).

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use voltgate_domain::authz::ViewChargeHistory;
use voltgate_domain::{ChargerId, InstallationId, UserId, Zone};
use voltgate_store::history::{MAX_REPORT_BUCKETS, MAX_SCOPE};
use voltgate_store::{ReportFilter, ReportGroup, ReportKey, ReportRow};

use super::zaptec::{bad_request, query_time, timestamp};
use super::{ApiUser, Json};
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/chargehistory/installationreport",
        get(report_get).post(report_post),
    )
}

/// What a report sums per: Zaptec's `GroupByOptions` (0 User, 1 Charger, 2 ChargeCardName) and
/// voltgate's 3 Day (days in the installation's time zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grouping {
    User,
    Charger,
    ChargeCardName,
    Day,
}

impl Grouping {
    fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(Self::User);
        };
        match raw.to_ascii_lowercase().as_str() {
            "0" | "user" => Ok(Self::User),
            "1" | "charger" => Ok(Self::Charger),
            "2" | "chargecardname" => Ok(Self::ChargeCardName),
            "3" | "day" => Ok(Self::Day),
            _ => Err(bad_request(
                529,
                "GroupBy must be 0 (User), 1 (Charger), 2 (ChargeCardName) or 3 (Day).",
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Charger => "Charger",
            Self::ChargeCardName => "ChargeCardName",
            Self::Day => "Day",
        }
    }
}

/// The query of `GET …/installationreport` (the lists as repeated keys, `UserIds=…&UserIds=…`, or
/// comma-separated).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ReportQuery {
    /// Sessions that started at or after this time (a time without a zone is UTC).
    #[param(rename = "FromDate")]
    fromdate: Option<String>,
    /// Sessions that started before this time; after `FromDate`.
    #[param(rename = "EndDate")]
    enddate: Option<String>,
    /// The installation (required).
    #[param(rename = "InstallationId", value_type = Uuid)]
    installationid: String,
    /// Only sessions of these users.
    #[param(rename = "UserIds", value_type = Option<Vec<Uuid>>, explode = true)]
    userids: Option<Vec<String>>,
    /// Only sessions on these chargers.
    #[param(rename = "ChargerIds", value_type = Option<Vec<Uuid>>, explode = true)]
    chargerids: Option<Vec<String>>,
    /// 0 User (default), 1 Charger, 2 ChargeCardName (the RFID token), 3 Day (voltgate: days in the
    /// installation's time zone; needs `FromDate` and `EndDate`, at most 400 days). The names work too.
    #[param(rename = "GroupBy", value_type = Option<i32>, minimum = 0, maximum = 3)]
    groupby: Option<String>,
}

/// The body of `POST …/installationreport`; keys in any case.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ReportRequest {
    /// Sessions that started at or after this time (a time without a zone is UTC).
    #[schema(rename = "FromDate", value_type = Option<String>, format = DateTime)]
    fromdate: Option<Value>,
    /// Sessions that started before this time; after `FromDate`.
    #[schema(rename = "EndDate", value_type = Option<String>, format = DateTime)]
    enddate: Option<Value>,
    /// The installation (required).
    #[schema(rename = "InstallationId", value_type = Uuid)]
    installationid: Option<Value>,
    /// Only sessions of these users.
    #[schema(rename = "UserIds", value_type = Option<Vec<Uuid>>)]
    userids: Option<Vec<Value>>,
    /// Only sessions on these chargers.
    #[schema(rename = "ChargerIds", value_type = Option<Vec<Uuid>>)]
    chargerids: Option<Vec<Value>>,
    /// 0 User (default), 1 Charger, 2 ChargeCardName, 3 Day (see the GET form).
    #[schema(rename = "GroupBy", value_type = Option<i32>, minimum = 0, maximum = 3)]
    groupby: Option<Value>,
}

/// The user a group of a report by user is about.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ReportUser {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
}

/// One group's totals.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ReportLine {
    /// The user's name, the charger's name, the RFID token, or the day (`YYYY-MM-DD`).
    pub group_as_string: String,
    /// Grouped by user: who (null for sessions of tokens that belong to nobody).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_details: Option<ReportUser>,
    /// Grouped by charger: which.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charger_id: Option<Uuid>,
    /// Ended sessions.
    pub total_charge_session_count: i64,
    /// kWh.
    pub total_charge_session_energy: f64,
    /// Hours from start to end, summed.
    pub total_charge_session_duration: f64,
}

/// An installation's ended sessions summed per group, as Zaptec answers its installation report.
#[derive(Serialize, ToSchema)]
pub struct InstallationReport {
    #[serde(rename = "InstallationName")]
    pub installation_name: String,
    #[serde(rename = "InstallationAddress")]
    pub installation_address: String,
    /// voltgate keeps the address in one line: empty.
    #[serde(rename = "InstallationZipCode")]
    pub installation_zip_code: String,
    /// voltgate keeps the address in one line: empty.
    #[serde(rename = "InstallationCity")]
    pub installation_city: String,
    /// The IANA name (Zaptec gives a Windows name).
    #[serde(rename = "InstallationTimeZone")]
    pub installation_time_zone: String,
    /// `User`, `Charger`, `ChargeCardName` or `Day`.
    #[serde(rename = "GroupedBy")]
    pub grouped_by: String,
    #[serde(rename = "Fromdate")]
    pub from_date: Option<String>,
    #[serde(rename = "Enddate")]
    pub end_date: Option<String>,
    /// One line per group with sessions (named as Zaptec names it).
    #[serde(rename = "totalUserChargerReportModel")]
    pub lines: Vec<ReportLine>,
}

/// A request read from either form.
struct Request {
    installation: Option<String>,
    from: Option<String>,
    end: Option<String>,
    users: Vec<String>,
    chargers: Vec<String>,
    group: Option<String>,
}

/// The installation's ended sessions (that started from `FromDate` to before `EndDate`) summed per
/// user, charger, RFID token or day: count, energy (kWh) and duration (hours).
#[utoipa::path(get, path = "/api/chargehistory/installationreport", tag = "zaptec", params(ReportQuery),
    security(("bearer" = [])),
    responses((status = 200, body = InstallationReport), (status = 400, description = "Invalid query (code 529)"), (status = 401, description = "No valid token"), (status = 403, description = "No right, or no relation to the installation")))]
pub async fn report_get(
    State(app): State<AppState>,
    caller: ApiUser,
    RawQuery(query): RawQuery,
) -> Result<axum::Json<InstallationReport>, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
            .map_err(|e| bad_request(529, format!("Invalid query: {e}")))?;
    let mut request = Request {
        installation: None,
        from: None,
        end: None,
        users: Vec::new(),
        chargers: Vec::new(),
        group: None,
    };
    for (key, value) in pairs {
        let key = key.to_ascii_lowercase();
        // `UserIds`, `UserIds[]` and `UserIds[0]` all name the list.
        let key = key.split('[').next().unwrap_or_default();
        let list = || value.split(',').map(str::to_owned).collect::<Vec<_>>();
        match key {
            "installationid" => request.installation = Some(value),
            "fromdate" => request.from = Some(value),
            "enddate" => request.end = Some(value),
            "groupby" => request.group = Some(value),
            "userids" => request.users.extend(list()),
            "chargerids" => request.chargers.extend(list()),
            _ => {}
        }
    }
    report(&app, &caller, request).await.map(axum::Json)
}

/// The same report, asked for with a JSON body (as Zaptec's report clients do).
#[utoipa::path(post, path = "/api/chargehistory/installationreport", tag = "zaptec", request_body = ReportRequest,
    security(("bearer" = [])),
    responses((status = 200, body = InstallationReport), (status = 400, description = "Invalid body (code 529)"), (status = 401, description = "No valid token"), (status = 403, description = "No right, or no relation to the installation")))]
pub async fn report_post(
    State(app): State<AppState>,
    caller: ApiUser,
    Json(body): Json<ReportRequest>,
) -> Result<axum::Json<InstallationReport>, ApiError> {
    let request = Request {
        installation: scalar("InstallationId", body.installationid)?,
        from: scalar("FromDate", body.fromdate)?,
        end: scalar("EndDate", body.enddate)?,
        users: list("UserIds", body.userids)?,
        chargers: list("ChargerIds", body.chargerids)?,
        group: scalar("GroupBy", body.groupby)?,
    };
    report(&app, &caller, request).await.map(axum::Json)
}

/// A JSON string or number as text; null as absent.
fn scalar(name: &str, value: Option<Value>) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(_) => Err(bad_request(
            529,
            format!("{name} must be a string or a number."),
        )),
    }
}

fn list(name: &str, values: Option<Vec<Value>>) -> Result<Vec<String>, ApiError> {
    values
        .unwrap_or_default()
        .into_iter()
        .map(|value| scalar(name, Some(value)).map(Option::unwrap_or_default))
        .collect()
}

fn ids<T: std::str::FromStr>(name: &str, raw: &[String]) -> Result<Vec<T>, ApiError> {
    if raw.len() > MAX_SCOPE {
        return Err(bad_request(
            529,
            format!("{name} may name at most {MAX_SCOPE}."),
        ));
    }
    raw.iter()
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse()
                .map_err(|_| bad_request(529, format!("{name} holds something that is not an id.")))
        })
        .collect()
}

/// Local midnights strictly between `from` and `to`, with `from` and `to` around them: the bounds of
/// the days of a report by day.
fn day_bounds(
    zone: Zone,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, ApiError> {
    let too_long = || {
        bad_request(
            529,
            format!("A report by day covers at most {MAX_REPORT_BUCKETS} days."),
        )
    };
    if (to - from).num_days() >= MAX_REPORT_BUCKETS as i64 {
        return Err(too_long());
    }
    let mut bounds = vec![from];
    let mut day = zone.date_of(from);
    while let Some(next) = day.succ_opt() {
        day = next;
        let midnight = zone.start_of_day(day);
        if midnight >= to {
            break;
        }
        if midnight > from {
            bounds.push(midnight);
        }
    }
    bounds.push(to);
    if bounds.len() > MAX_REPORT_BUCKETS + 1 {
        return Err(too_long());
    }
    Ok(bounds)
}

async fn report(
    app: &AppState,
    caller: &ApiUser,
    request: Request,
) -> Result<InstallationReport, ApiError> {
    let grouping = Grouping::parse(request.group.as_deref())?;
    let installation: InstallationId = request
        .installation
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| bad_request(529, "Give InstallationId."))?
        .parse()
        .map_err(|_| bad_request(529, "InstallationId is not a valid id."))?;
    let from = query_time("FromDate", request.from.as_deref())?;
    let to = query_time("EndDate", request.end.as_deref())?;
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            return Err(bad_request(529, "FromDate must be before EndDate."));
        }
    }
    let filter = ReportFilter {
        chargers: ids::<ChargerId>("ChargerIds", &request.chargers)?,
        users: ids::<UserId>("UserIds", &request.users)?,
        from,
        to,
    };
    let (installation, cap) =
        super::installation::<ViewChargeHistory>(app, caller, installation).await?;
    let zone = installation.time_zone;
    let group = match grouping {
        Grouping::User => ReportGroup::User,
        Grouping::Charger => ReportGroup::Charger,
        Grouping::ChargeCardName => ReportGroup::Token,
        Grouping::Day => {
            let (Some(from), Some(to)) = (from, to) else {
                return Err(bad_request(
                    529,
                    "A report by day needs FromDate and EndDate.",
                ));
            };
            ReportGroup::Buckets(day_bounds(zone, from, to)?)
        }
    };
    let rows = app.store.charge_report(&cap, &filter, &group).await?;
    let lines = rows
        .into_iter()
        .filter(|row| row.sessions > 0)
        .map(|row| line(row, &group, zone))
        .collect();
    Ok(InstallationReport {
        installation_name: installation.name.clone(),
        installation_address: installation.address.clone(),
        installation_zip_code: String::new(),
        installation_city: String::new(),
        installation_time_zone: zone.name().to_owned(),
        grouped_by: grouping.name().to_owned(),
        from_date: from.map(timestamp),
        end_date: to.map(timestamp),
        lines,
    })
}

fn line(row: ReportRow, group: &ReportGroup, zone: Zone) -> ReportLine {
    let (name, user, charger) = match row.key {
        ReportKey::User {
            id,
            full_name,
            email,
        } => match id {
            Some(id) => {
                let full_name = full_name.unwrap_or_default();
                let user = ReportUser {
                    id: id.as_uuid(),
                    email: email.unwrap_or_default(),
                    full_name: full_name.clone(),
                };
                (full_name, Some(user), None)
            }
            None => ("Unknown user".to_owned(), None, None),
        },
        ReportKey::Charger { id, name } => (name, None, Some(id.as_uuid())),
        ReportKey::Token(tag) => (tag, None, None),
        ReportKey::Bucket(i) => {
            let day = match group {
                ReportGroup::Buckets(bounds) => bounds
                    .get(i)
                    .map(|at| zone.date_of(*at).format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            (day, None, None)
        }
    };
    ReportLine {
        group_as_string: name,
        user_details: user,
        charger_id: charger,
        total_charge_session_count: row.sessions,
        total_charge_session_energy: row.energy_wh.max(0.0) / 1000.0,
        total_charge_session_duration: row.seconds.max(0.0) / 3600.0,
    }
}
