//! `GET /api/chargers`, `/api/chargers/{id}`, `/api/chargers/{id}/state`,
//! `POST /api/chargers/{id}/update`, `POST /api/chargers/{id}/sendCommand/{commandId}` and
//! `GET /api/chargerFirmware/installation/{id}`.

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use rust_ocpp::v1_6::messages::change_configuration::ChangeConfigurationRequest;
use rust_ocpp::v1_6::messages::remote_start_transaction::RemoteStartTransactionRequest;
use rust_ocpp::v1_6::messages::remote_stop_transaction::RemoteStopTransactionRequest;
use rust_ocpp::v1_6::messages::reset::ResetRequest;
use rust_ocpp::v1_6::messages::unlock_connector::UnlockConnectorRequest;
use rust_ocpp::v1_6::types::ResetRequestStatus;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use voltgate_domain::authz::rules::zaptec_roles;
use voltgate_domain::authz::{ConfigureChargers, ControlChargers, ViewInstallation};
use voltgate_domain::balancing::Delivery;
use voltgate_domain::settings::{Amperes, Phases};
use voltgate_domain::zaptec::{ChargerLimits, OperationMode, ZaptecCommand, CHARGER_MAX_AMPERES};
use voltgate_domain::{Authorized, ChargerId, InstallationId};
use voltgate_ocpp::{Command, CommandError};
use voltgate_store::{ChargerOverview, ChargerSettings, ChargerSummary, Installation};

use super::zaptec::{self, bad_request, path_id, query_id, timestamp, Page, Paging};
use super::{ApiToken, ApiUser, Json, Query};
use crate::charging::{profiles, ChargerCommand, ChargerControl, CommandFailure, CommandOutcome};
use crate::error::{ApiError, AppError};
use crate::state::AppState;

/// A new RFID token for a caller who starts charging through the API and holds none on the
/// installation: random (nobody can guess another's and charge as them), 19 characters (OCPP allows 20).
fn new_api_id_tag() -> String {
    format!("API-{:015X}", rand::random::<u64>() >> 4)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chargers", get(list))
        .route("/chargers/{id}", get(show))
        .route("/chargers/{id}/state", get(state))
        .route("/chargers/{id}/update", post(update))
        .route("/chargers/{id}/sendcommand/{command}", post(send_command))
        .route("/chargerfirmware/installation/{id}", get(firmware))
}

/// One charger as Zaptec shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ChargerView {
    pub id: Uuid,
    /// The charge point identity it connects with.
    pub device_id: String,
    pub name: String,
    pub created_on_date: String,
    /// The installation's one circuit.
    pub circuit_id: Uuid,
    pub active: bool,
    pub current_user_roles: u32,
    /// 1 Smart (Pro), 4 Apollo (Go).
    pub device_type: i32,
    pub installation_name: String,
    pub installation_id: Uuid,
    pub authentication_type: i32,
    pub is_authorization_required: bool,
    /// `ChargerOperationMode` of its first connector.
    pub operating_mode: i32,
    pub is_online: bool,
}

/// What the charger's pages need beyond the charger: its installation, the caller's capability, its
/// connectors and running sessions.
struct Seen {
    installation: Installation,
    cap: Authorized<ViewInstallation>,
    overview: ChargerOverview,
}

impl std::ops::Deref for Seen {
    type Target = ChargerOverview;

    fn deref(&self) -> &ChargerOverview {
        &self.overview
    }
}

impl Seen {
    /// The connector commands act on: the lowest with a running session, else the first.
    fn connector(&self) -> u32 {
        self.connector_in_use()
    }

    fn mode(&self, connector: u32) -> OperationMode {
        OperationMode::of(self.status(connector), self.paused(connector))
    }
}

/// Which of these chargers are connected to some process of the service: as the page read it where
/// the database knows (the cluster's routing table on PostgreSQL), else asked of this process's
/// connections (SQLite: one process is the whole service).
async fn online_among(app: &AppState, chargers: &[ChargerSummary]) -> HashSet<ChargerId> {
    let unknown: Vec<(ChargerId, &str)> = chargers
        .iter()
        .filter(|charger| charger.online.is_none())
        .map(|charger| (charger.id, charger.identity.as_str()))
        .collect();
    let mut online = if unknown.is_empty() {
        HashSet::new()
    } else {
        app.charging.online(&unknown).await
    };
    online.extend(
        chargers
            .iter()
            .filter(|charger| charger.online == Some(true))
            .map(|charger| charger.id),
    );
    online
}

/// A charger of `installation` as the list and the charger's own page show it to the holder of `cap`.
fn view(
    installation: &Installation,
    cap: &Authorized<ViewInstallation>,
    charger: &ChargerSummary,
    online: &HashSet<ChargerId>,
) -> ChargerView {
    ChargerView {
        id: charger.id.as_uuid(),
        device_id: charger.identity.clone(),
        name: charger.name.clone(),
        created_on_date: timestamp(charger.created_at),
        circuit_id: installation.id.as_uuid(),
        active: true,
        current_user_roles: zaptec_roles(cap.facts()),
        device_type: zaptec::device_type(installation.installation_type),
        installation_name: installation.name.clone(),
        installation_id: installation.id.as_uuid(),
        authentication_type: 0,
        is_authorization_required: installation.settings.authentication_required,
        operating_mode: OperationMode::of(charger.status.as_deref(), charger.paused) as i32,
        is_online: online.contains(&charger.id),
    }
}

/// The views of chargers seen on (possibly several) installations.
async fn views_of(app: &AppState, seen: &[Seen]) -> Vec<ChargerView> {
    let summaries: Vec<ChargerSummary> = seen.iter().map(|seen| seen.summary()).collect();
    let online = online_among(app, &summaries).await;
    seen.iter()
        .zip(&summaries)
        .map(|(seen, charger)| view(&seen.installation, &seen.cap, charger, &online))
        .collect()
}

/// Chargers of an installation the caller may see (a page of them, or all), with what their views
/// need, and how many the installation has.
async fn seen_on(
    app: &AppState,
    installation: &Installation,
    cap: &Authorized<ViewInstallation>,
    page: Option<Paging>,
) -> Result<(Vec<Seen>, i64), ApiError> {
    let (limit, offset) = page.map_or((None, 0), |p| (Some(p.size), p.offset()));
    let (chargers, total) = app
        .store
        .charger_page(installation.id, limit, offset)
        .await?;
    Ok((seen_among(installation, cap, chargers), total))
}

/// The views' facts about these chargers of an installation the caller may see.
fn seen_among(
    installation: &Installation,
    cap: &Authorized<ViewInstallation>,
    chargers: Vec<ChargerOverview>,
) -> Vec<Seen> {
    chargers
        .into_iter()
        .map(|overview| Seen {
            installation: installation.clone(),
            cap: cap.clone(),
            overview,
        })
        .collect()
}

/// One charger the caller may see (404 otherwise, as if it did not exist).
async fn seen(app: &AppState, caller: &ApiUser, raw: &str) -> Result<Seen, ApiError> {
    let id: ChargerId = path_id(raw)?;
    let charger = app.store.charger(id).await?.ok_or(AppError::Forbidden)?;
    let (installation, cap) =
        super::installation::<ViewInstallation>(app, caller, charger.installation_id).await?;
    seen_on(app, &installation, &cap, None)
        .await?
        .0
        .into_iter()
        .find(|seen| seen.charger.id == id)
        .ok_or(ApiError(AppError::Forbidden))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(rename = "InstallationId", value_type = Option<Uuid>)]
    installationid: Option<String>,
    /// Chargers whose name contains this, in any case.
    #[param(rename = "NameFilter")]
    namefilter: Option<String>,
    #[param(rename = "PageIndex")]
    pageindex: Option<i64>,
    #[param(rename = "PageSize")]
    pagesize: Option<i64>,
}

/// The chargers the caller may see: of one installation, or of all they may see.
#[utoipa::path(get, path = "/api/chargers", tag = "zaptec", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<ChargerView>), (status = 400, description = "Invalid query"), (status = 401, description = "No valid token"), (status = 403, description = "No right"), (status = 404, description = "Unknown installation, or no relation to it")))]
pub async fn list(
    State(app): State<AppState>,
    token: ApiToken,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Page<ChargerView>>, ApiError> {
    let paging = Paging::parse(query.pageindex, query.pagesize)?;
    let id = query_id::<InstallationId>("InstallationId", query.installationid.as_deref())?;
    let filter = query.namefilter.as_deref().map(str::to_lowercase);
    if let (Some(id), None) = (id, &filter) {
        // The common call: one statement for the caller, their relation and the page.
        let (found, cap) = token
            .chargers(&app, id, (Some(paging.size), paging.offset()))
            .await?;
        let online = online_among(&app, &found.chargers).await;
        let data = found
            .chargers
            .iter()
            .map(|charger| view(&found.installation, &cap, charger, &online))
            .collect();
        return Ok(axum::Json(Page {
            pages: paging.pages(found.total),
            data,
            message: None,
        }));
    }
    let installations = match id {
        Some(id) => {
            let (_, installation, cap) = token.installation::<ViewInstallation>(&app, id).await?;
            vec![(installation, cap)]
        }
        None => {
            let caller = token.holder(&app).await?;
            app.visible_installations(&caller.principal()).await?
        }
    };
    let mut seen = Vec::new();
    for (installation, cap) in &installations {
        seen.extend(
            seen_on(&app, installation, cap, None)
                .await?
                .0
                .into_iter()
                .filter(|seen| {
                    filter
                        .as_deref()
                        .is_none_or(|f| seen.charger.name.to_lowercase().contains(f))
                }),
        );
    }
    let page = paging.page(seen);
    Ok(axum::Json(Page {
        pages: page.pages,
        data: views_of(&app, &page.data).await,
        message: None,
    }))
}

/// One charger.
#[utoipa::path(get, path = "/api/chargers/{id}", tag = "zaptec",
    params(("id" = Uuid, Path, description = "The charger")), security(("bearer" = [])),
    responses((status = 200, body = ChargerView), (status = 401, description = "No valid token"), (status = 403, description = "No right"), (status = 404, description = "Unknown, or no relation to it")))]
pub async fn show(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<axum::Json<ChargerView>, ApiError> {
    let seen = seen(&app, &caller, &id).await?;
    let charger = seen.summary();
    let online = online_among(&app, std::slice::from_ref(&charger)).await;
    Ok(axum::Json(view(
        &seen.installation,
        &seen.cap,
        &charger,
        &online,
    )))
}

/// One observation of a charger's state; values are always strings.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Observation {
    pub charger_id: Uuid,
    pub state_id: i32,
    pub timestamp: String,
    pub value_as_string: String,
}

/// The charger's state: −2 IsOnline, 507–509 currents (A), 513 TotalChargePower (W), 553 the
/// session's energy (kWh), 710 ChargerOperationMode, 718 FinalStopActive, 908 and 911 firmware.
#[utoipa::path(get, path = "/api/chargers/{id}/state", tag = "zaptec",
    params(("id" = Uuid, Path, description = "The charger")), security(("bearer" = [])),
    responses((status = 200, body = Vec<Observation>), (status = 401, description = "No valid token"), (status = 403, description = "No right"), (status = 404, description = "Unknown, or no relation to it")))]
pub async fn state(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<Observation>>, ApiError> {
    let seen = seen(&app, &caller, &id).await?;
    let connector = seen.connector();
    let state = seen
        .connectors
        .iter()
        .find(|c| c.connector_id == connector as i32);
    let at = timestamp(state.map_or_else(Utc::now, |s| s.updated_at));
    let session = seen.session(connector);
    let online = app
        .charging
        .is_online(seen.charger.id, &seen.charger.identity)
        .await;
    let current = |phase: usize| state.and_then(|s| s.current[phase]).unwrap_or(0.0);
    let power: f64 = seen.connectors.iter().filter_map(|c| c.power_w).sum();
    let session_kwh = match (session, state.and_then(|s| s.energy_wh)) {
        (Some(session), Some(now)) => ((now - session.meter_start as f64) / 1000.0).max(0.0),
        _ => 0.0,
    };
    let firmware = seen.charger.firmware_version.clone().unwrap_or_default();
    let values: Vec<(i32, String)> = vec![
        (-2, if online { "1" } else { "0" }.into()),
        (507, current(0).to_string()),
        (508, current(1).to_string()),
        (509, current(2).to_string()),
        (513, power.to_string()),
        (553, format!("{session_kwh:.3}")),
        (710, (seen.mode(connector) as i32).to_string()),
        (
            718,
            if session.is_some_and(|s| s.paused) {
                "1"
            } else {
                "0"
            }
            .into(),
        ),
        (908, firmware.clone()),
        (911, firmware),
    ];
    let charger_id = seen.charger.id.as_uuid();
    Ok(axum::Json(
        values
            .into_iter()
            .map(|(state_id, value_as_string)| Observation {
                charger_id,
                state_id,
                timestamp: at.clone(),
                value_as_string,
            })
            .collect(),
    ))
}

/// What a 409/504 with Zaptec's code says about a command that achieved nothing.
/// The right to control behind a command's capability, for the RFID token a remote start uses.
fn start_right(control: &ChargerControl) -> Result<Authorized<ControlChargers>, ApiError> {
    control
        .capability()
        .control()
        .ok_or(ApiError(AppError::Forbidden))
}

fn refused(status: StatusCode, code: u16, details: impl Into<String>) -> ApiError {
    ApiError(AppError::Coded {
        status,
        code,
        details: details.into(),
    })
}

fn failed(failure: CommandFailure) -> ApiError {
    match failure {
        CommandFailure::Charger(CommandError::Offline) => {
            refused(StatusCode::CONFLICT, 520, "The charger is offline.")
        }
        CommandFailure::Charger(
            error @ (CommandError::Timeout(_) | CommandError::Expired | CommandError::Replaced),
        ) => refused(StatusCode::GATEWAY_TIMEOUT, 520, error.to_string()),
        CommandFailure::Charger(error) => refused(StatusCode::CONFLICT, 528, error.to_string()),
        CommandFailure::NothingCharging(_) | CommandFailure::NoSuchSession(_) => {
            refused(StatusCode::CONFLICT, 528, failure.to_string())
        }
        CommandFailure::NotPermitted => ApiError(AppError::Forbidden),
        CommandFailure::Store(error) => ApiError::from(error),
    }
}

/// A command's outcome: 200 when the charger accepted it (or it needed nothing sent).
fn outcome(result: Result<CommandOutcome, CommandFailure>) -> Result<StatusCode, ApiError> {
    match result.map_err(failed)? {
        CommandOutcome::Answered(answer) => {
            let status = serde_json::to_value(&answer)
                .ok()
                .and_then(|v| v.get("status").and_then(|s| s.as_str().map(str::to_owned)));
            match status.as_deref() {
                None | Some("Accepted") | Some("Unlocked") | Some("Scheduled") => {
                    Ok(StatusCode::OK)
                }
                Some(other) => Err(refused(
                    StatusCode::CONFLICT,
                    528,
                    format!("The charger answered {other}."),
                )),
            }
        }
        CommandOutcome::Limit(Some(Delivery::NotSent)) => Err(refused(
            StatusCode::CONFLICT,
            520,
            "The charger is offline; the limit will be sent when it is back.",
        )),
        CommandOutcome::Limit(Some(Delivery::Rejected)) => Err(refused(
            StatusCode::CONFLICT,
            528,
            "The charger rejected its new limit.",
        )),
        CommandOutcome::Limit(_) | CommandOutcome::Ended => Ok(StatusCode::OK),
    }
}

/// Sends a command: 102 restart, 501 start, 502 stop, 506 pause (stop charging final), 507 resume,
/// 708 unlock, 10001 deauthorize and stop. Validated against the charger's state: 409 with code 528
/// when the state refuses it, 400 with 519 for an unknown command, 409 with 520 when the charger is
/// offline, 504 with 520 when it does not answer.
#[utoipa::path(post, path = "/api/chargers/{id}/sendCommand/{commandId}", tag = "zaptec",
    params(("id" = Uuid, Path, description = "The charger"), ("commandId" = i64, Path, description = "The command")),
    security(("bearer" = [])),
    responses((status = 200, description = "Done"), (status = 400, description = "Unknown command (519)"), (status = 401, description = "No valid token"), (status = 403, description = "No right"), (status = 404, description = "Unknown, or no relation to it"), (status = 409, description = "Refused by the charger's state (528) or offline (520)"), (status = 504, description = "No answer (520)")))]
pub async fn send_command(
    State(app): State<AppState>,
    caller: ApiUser,
    Path((id, command)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id: ChargerId = path_id(&id)?;
    let control =
        ChargerControl::check::<ControlChargers>(app.store.as_ref(), &caller.principal(), id)
            .await
            .map_err(super::hidden)?;
    let command = command
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(ZaptecCommand::from_id)
        .ok_or_else(|| bad_request(519, "Unknown command."))?;
    let seen = seen(&app, &caller, &id.to_string()).await?;
    let connector = seen.connector();
    let session = seen.session(connector).map(|s| s.transaction);
    let limit_only = matches!(
        command,
        ZaptecCommand::StopChargingFinal | ZaptecCommand::ResumeCharging
    );
    if limit_only
        && !app
            .charging
            .is_online(seen.charger.id, &seen.charger.identity)
            .await
    {
        // A pause or resume is a new limit that would wait for the charger to come back; the caller
        // must not believe charging stopped while the charger, unreachable, goes on.
        return Err(refused(
            StatusCode::CONFLICT,
            520,
            "The charger is offline.",
        ));
    }
    command
        .allowed(seen.mode(connector), session.is_some())
        .map_err(|why| refused(StatusCode::CONFLICT, 528, why))?;
    // A session started here is the caller's: it starts with their RFID token (made for them if they
    // hold none), so the history names them.
    let id_tag = match command {
        ZaptecCommand::StartCharging if caller.principal().user().is_none() => {
            return Err(refused(
                StatusCode::FORBIDDEN,
                533,
                "A session starts with a person's RFID token: a service account cannot start one.",
            ));
        }
        ZaptecCommand::StartCharging => {
            app.store
                .api_id_tag(&start_right(&control)?, &new_api_id_tag())
                .await?
        }
        _ => String::new(),
    };
    let ocpp = ChargerCommand::Ocpp;
    let to_send = match (command, session) {
        (ZaptecCommand::RestartCharger, _) => ocpp(Command::Reset(ResetRequest {
            kind: ResetRequestStatus::Soft,
        })),
        (ZaptecCommand::StartCharging, _) => ocpp(Command::RemoteStartTransaction(
            RemoteStartTransactionRequest {
                connector_id: Some(connector),
                id_tag: id_tag.clone(),
                charging_profile: None,
            },
        )),
        (ZaptecCommand::StopCharging | ZaptecCommand::DeauthorizeAndStop, Some(transaction)) => {
            ocpp(Command::RemoteStopTransaction(
                RemoteStopTransactionRequest {
                    transaction_id: transaction,
                },
            ))
        }
        // Nothing to deauthorize or stop.
        (ZaptecCommand::StopCharging | ZaptecCommand::DeauthorizeAndStop, None) => {
            return Ok(StatusCode::OK)
        }
        (ZaptecCommand::StopChargingFinal, _) => ChargerCommand::Pause { connector },
        (ZaptecCommand::ResumeCharging, _) => ChargerCommand::Resume { connector },
        (ZaptecCommand::UnlockConnector, _) => {
            ocpp(Command::UnlockConnector(UnlockConnectorRequest {
                connector_id: connector,
            }))
        }
    };
    let start = matches!(command, ZaptecCommand::StartCharging);
    if start && !app.charging.starts.reserve(id, connector) {
        return Err(refused(
            StatusCode::CONFLICT,
            528,
            "A start is already on its way to this connector.",
        ));
    }
    let answered = outcome(app.charging.send_command(&control, to_send).await);
    if start && answered.is_err() {
        app.charging.starts.release(id, connector);
    }
    answered
}

/// `POST /api/chargers/{id}/update`; keys in any case.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ChargerUpdate {
    /// Seconds between meter values (OCPP `MeterValueSampleInterval`), 0 to 86400; 0 turns them off.
    #[schema(rename = "meterValueInterval")]
    metervalueinterval: Option<i64>,
    /// The most the charger may draw per phase: 0 (no charging) or 6 to 32 A.
    #[schema(rename = "maxChargeCurrent")]
    maxchargecurrent: Option<f64>,
    /// 1 or 3.
    #[schema(rename = "maxChargePhases")]
    maxchargephases: Option<i64>,
    /// The least the charger charges with: 0 (none) or 6 to 32 A, not above the maximum.
    #[schema(rename = "minChargeCurrent")]
    minchargecurrent: Option<f64>,
    /// What the charger may draw while it cannot reach the service: −1 automatic, 0 or 6 to 32 A.
    #[schema(rename = "offlineChargeCurrent")]
    offlinechargecurrent: Option<f64>,
    /// The phases it charges on offline: 0 automatic, 1 or 3.
    #[schema(rename = "offlineChargePhase")]
    offlinechargephase: Option<i64>,
}

/// Changes a charger's own settings. `maxChargeCurrent`, `minChargeCurrent` and `maxChargePhases`
/// become one OCPP ChargePointMaxProfile on connector 0 (the charger-wide cap, under which load
/// balancing shares the installation's current); `meterValueInterval` the configuration key
/// `MeterValueSampleInterval`; the offline current and phases are stored (OCPP 1.6 has no key for
/// them). What the charger must take is sent first: nothing is stored when it refuses or is offline.
#[utoipa::path(post, path = "/api/chargers/{id}/update", tag = "zaptec",
    params(("id" = Uuid, Path, description = "The charger")), request_body = ChargerUpdate,
    security(("bearer" = [])),
    responses((status = 200, description = "Done"), (status = 400, description = "Invalid (529)"), (status = 401, description = "No valid token"), (status = 403, description = "No right"), (status = 404, description = "Unknown, or no relation to it"), (status = 409, description = "Refused or offline"), (status = 504, description = "No answer")))]
pub async fn update(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Json(body): Json<ChargerUpdate>,
) -> Result<StatusCode, ApiError> {
    let id: ChargerId = path_id(&id)?;
    let control =
        ChargerControl::check::<ConfigureChargers>(app.store.as_ref(), &caller.principal(), id)
            .await
            .map_err(super::hidden)?;
    let configure = control
        .capability()
        .configure()
        .ok_or(ApiError(AppError::Forbidden))?;
    let limits = voltgate_domain::zaptec::ChargerUpdate {
        max_charge_current: body.maxchargecurrent,
        min_charge_current: body.minchargecurrent,
        max_charge_phases: body.maxchargephases,
        offline_charge_current: body.offlinechargecurrent,
        offline_charge_phase: body.offlinechargephase,
        meter_value_interval: body.metervalueinterval,
    }
    .check()
    .map_err(|refused| bad_request(529, refused.to_string()))?;
    let sent = settings_of(&limits);
    if limits.changes_profile() {
        let profile = app.store.charger_settings(id).await?.merged(&sent);
        let amps = |value: Option<f64>, or: f64| Amperes::new(value.unwrap_or(or)).ok();
        let max = amps(profile.max_current, CHARGER_MAX_AMPERES).unwrap_or(Amperes::ZERO);
        let min = amps(profile.min_current, 0.0).filter(|min| min.get() > 0.0);
        if min.is_some_and(|min| max.get() > 0.0 && min > max) {
            return Err(bad_request(
                529,
                "minChargeCurrent must not exceed maxChargeCurrent.",
            ));
        }
        let phases = profile
            .max_phases
            .and_then(|n| Phases::from_count(n.into()));
        let request = profiles::charge_point_max(max, min, phases);
        outcome(
            app.charging
                .send_command(
                    &control,
                    ChargerCommand::Ocpp(Command::SetChargingProfile(request)),
                )
                .await,
        )?;
    }
    if let Some(interval) = limits.meter_value_interval {
        let change =
            ChargerCommand::Ocpp(Command::ChangeConfiguration(ChangeConfigurationRequest {
                key: "MeterValueSampleInterval".into(),
                value: interval.to_string(),
            }));
        outcome(app.charging.send_command(&control, change).await)?;
    }
    if sent != ChargerSettings::default() {
        app.store
            .set_charger_settings(&configure, id, &sent)
            .await?;
    }
    if sent.max_current.is_some() {
        // The balancer gives a charger no more than its own maximum, and the rest to the others.
        app.charging.rebalance(control.charger().installation_id);
    }
    Ok(StatusCode::OK)
}

/// The checked limits in the store's (Zaptec's) terms: automatic offline values as −1 and 0.
fn settings_of(limits: &ChargerLimits) -> ChargerSettings {
    ChargerSettings {
        max_current: limits.max_current.map(Amperes::get),
        min_current: limits.min_current.map(Amperes::get),
        max_phases: limits.max_phases.map(Phases::count),
        offline_current: limits
            .offline_current
            .map(|current| current.map_or(-1.0, Amperes::get)),
        offline_phases: limits
            .offline_phases
            .map(|phases| phases.map_or(0, Phases::count)),
    }
}

/// Firmware of one charger.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Firmware {
    pub charger_id: Uuid,
    pub device_id: String,
    pub device_type: i32,
    pub is_online: bool,
    pub current_version: String,
    /// voltgate does not distribute firmware: the current version.
    pub available_version: String,
    pub is_up_to_date: bool,
}

/// The firmware of an installation's chargers.
#[utoipa::path(get, path = "/api/chargerFirmware/installation/{id}", tag = "zaptec",
    params(("id" = Uuid, Path, description = "The installation")), security(("bearer" = [])),
    responses((status = 200, body = Vec<Firmware>), (status = 401, description = "No valid token"), (status = 403, description = "No right"), (status = 404, description = "Unknown, or no relation to it")))]
pub async fn firmware(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<Firmware>>, ApiError> {
    let id: InstallationId = path_id(&id)?;
    let (installation, _) = super::installation::<ViewInstallation>(&app, &caller, id).await?;
    let device_type = zaptec::device_type(installation.installation_type);
    let chargers = app.store.charger_list(id).await?;
    let ids: Vec<(ChargerId, &str)> = chargers
        .iter()
        .map(|c| (c.id, c.identity.as_str()))
        .collect();
    let online = app.charging.online(&ids).await;
    Ok(axum::Json(
        chargers
            .into_iter()
            .map(|charger| {
                let version = charger.firmware_version.clone().unwrap_or_default();
                Firmware {
                    charger_id: charger.id.as_uuid(),
                    is_online: online.contains(&charger.id),
                    device_id: charger.identity,
                    device_type,
                    current_version: version.clone(),
                    available_version: version,
                    is_up_to_date: true,
                }
            })
            .collect(),
    ))
}
