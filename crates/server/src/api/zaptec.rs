//! What the Zaptec-compatible routes share: paging, ids, timestamps, the role bitmask, and
//! `GET /api/constants`.

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use voltgate_domain::zaptec::ZaptecCommand;
use voltgate_domain::InstallationType;

use crate::error::{ApiError, AppError};
use crate::state::AppState;

/// Rows per page unless `PageSize` says otherwise.
pub const DEFAULT_PAGE_SIZE: i64 = 100;
/// The largest `PageSize`.
pub const MAX_PAGE_SIZE: i64 = 5000;

pub fn router() -> Router<AppState> {
    Router::new().route("/constants", get(constants))
}

/// A 400 with Zaptec's code.
pub fn bad_request(code: u16, details: impl Into<String>) -> ApiError {
    ApiError(AppError::Coded {
        status: StatusCode::BAD_REQUEST,
        code,
        details: details.into(),
    })
}

/// A paged list, as Zaptec answers them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Page<T> {
    /// How many pages there are at this page size.
    pub pages: i64,
    pub data: Vec<T>,
    /// Always null.
    pub message: Option<String>,
}

/// `PageIndex` (0-based) and `PageSize` (1–5000, default 100), checked.
#[derive(Clone, Copy, Debug)]
pub struct Paging {
    pub index: i64,
    pub size: i64,
}

impl Paging {
    pub fn parse(index: Option<i64>, size: Option<i64>) -> Result<Self, ApiError> {
        let size = size.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(bad_request(
                529,
                format!("PageSize must be 1 to {MAX_PAGE_SIZE}."),
            ));
        }
        let index = index.unwrap_or(0);
        if index < 0 {
            return Err(bad_request(529, "PageIndex must be 0 or more."));
        }
        Ok(Self { index, size })
    }

    pub fn offset(&self) -> i64 {
        self.index.saturating_mul(self.size)
    }

    pub fn pages(&self, total: i64) -> i64 {
        (total + self.size - 1) / self.size
    }

    /// One page of rows already in memory.
    pub fn page<T>(&self, rows: Vec<T>) -> Page<T> {
        let pages = self.pages(rows.len() as i64);
        let data = rows
            .into_iter()
            .skip(usize::try_from(self.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(self.size).unwrap_or(usize::MAX))
            .collect();
        Page {
            pages,
            data,
            message: None,
        }
    }
}

/// An id in a path; anything that is not one is unknown (404).
pub fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

/// A timestamp as Zaptec writes them: UTC, milliseconds, no zone.
pub fn timestamp(at: DateTime<Utc>) -> String {
    // The format is parsed once, not on every call.
    static FORMAT: std::sync::LazyLock<Vec<chrono::format::Item<'static>>> =
        std::sync::LazyLock::new(|| {
            chrono::format::StrftimeItems::new("%Y-%m-%dT%H:%M:%S%.3f").collect()
        });
    at.format_with_items(FORMAT.iter()).to_string()
}

/// Zaptec's `InstallationType`: 0 Pro, 1 Smart (Go/Home).
pub fn installation_type(kind: InstallationType) -> i32 {
    match kind {
        InstallationType::Pro => 0,
        InstallationType::Go => 1,
    }
}

/// Zaptec's `DeviceType` of a charger on such an installation: 1 Smart (Pro), 4 Apollo (Go).
pub fn device_type(kind: InstallationType) -> i32 {
    match kind {
        InstallationType::Pro => 1,
        InstallationType::Go => 4,
    }
}

/// Zaptec's `NetworkType` for the supply's phases: 3 TN_1_Phase, 4 TN_3_Phase.
pub fn network_type(phases: i32) -> i32 {
    if phases == 1 {
        3
    } else {
        4
    }
}

/// The dictionary of Zaptec's enumerations that clients read names from.
#[utoipa::path(get, path = "/api/constants", tag = "zaptec",
    responses((status = 200, description = "Commands, Observations, UserRoles, InstallationTypes, NetworkTypes, DeviceTypes, ChargerOperationModes", body = serde_json::Value)))]
pub async fn constants() -> axum::Json<Value> {
    let commands: serde_json::Map<String, Value> = ZaptecCommand::ALL
        .iter()
        .map(|(name, command)| ((*name).to_owned(), json!(*command as i64)))
        .collect();
    axum::Json(json!({
        "Commands": commands,
        "Observations": {
            "IsOnline": -2, "CurrentPhase1": 507, "CurrentPhase2": 508, "CurrentPhase3": 509,
            "TotalChargePower": 513, "TotalChargePowerSession": 553, "ChargerOperationMode": 710,
            "FinalStopActive": 718, "SmartComputerSoftwareApplicationVersion": 908,
            "SmartMainboardSoftwareApplicationVersion": 911
        },
        "ChargerOperationModes": {
            "Unknown": 0, "Disconnected": 1, "Connected_Requesting": 2, "Connected_Charging": 3,
            "Connected_Finished": 5
        },
        "UserRoles": { "None": 0, "User": 1, "Owner": 2, "Maintainer": 4, "Administrator": 8, "Any": 15 },
        "InstallationTypes": {
            "Pro": { "Id": 0, "Name": "Pro" }, "Smart": { "Id": 1, "Name": "Smart" }
        },
        "NetworkTypes": { "Unknown": 0, "IT_1_Phase": 1, "IT_3_Phase": 2, "TN_1_Phase": 3, "TN_3_Phase": 4 },
        "DeviceTypes": { "Unknown": 0, "Smart": 1, "Portable": 2, "HomeApm": 3, "Apollo": 4 },
        "Version": env!("CARGO_PKG_VERSION"),
    }))
}

/// A query's id, if given, that must parse (400 with code 529 otherwise).
pub fn query_id<T: std::str::FromStr>(
    name: &str,
    raw: Option<&str>,
) -> Result<Option<T>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => raw
            .parse()
            .map(Some)
            .map_err(|_| bad_request(529, format!("{name} is not a valid id."))),
    }
}

/// A query's timestamp (RFC 3339, or Zaptec's zone-less form read as UTC).
pub fn query_time(name: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(raw, format) {
            return Ok(Some(at.and_utc()));
        }
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).map(|at| at.and_utc()));
    }
    Err(bad_request(529, format!("{name} is not a date and time.")))
}
