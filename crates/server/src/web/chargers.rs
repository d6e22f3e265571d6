//! Chargers in the portal: adding one, its live state, remote commands and configuration.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use voltgate_domain::authz::{ControlChargers, ManageUsers, Right, ViewInstallation};
use voltgate_domain::text::{check_line, Name};
use voltgate_domain::{
    Action, Authorized, ChargePointIdentity, ChargerId, IdTag, InstallationAccess, InstallationId,
    ValidationErrors,
};
use voltgate_ocpp::command::status_of;
use voltgate_ocpp::Command;
use voltgate_store::{Charger, ConnectorState, Installation, RunningSession, StoreError};

use super::layout::Layout;
use super::session::{AuthUser, CsrfForm, NoFields, PathId};
use crate::charging::secrets;
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/installations/{id}/chargers", post(add))
        .route("/chargers/{id}", get(show))
        .route("/chargers/{id}/password", post(new_password))
        .route("/chargers/{id}/commands", post(command))
        .route(
            "/chargers/{id}/configuration",
            get(configuration).post(change_configuration),
        )
}

/// What a connector is charging now: "session #12, 3.4 kWh" (energy from the meter since the start).
pub fn session_label(
    running: &[RunningSession],
    charger: &Charger,
    connector: &ConnectorState,
) -> Option<String> {
    let session = running
        .iter()
        .find(|s| s.charger_id == charger.id && s.connector_id == connector.connector_id)?;
    let energy = connector
        .energy_wh
        .map(|wh| {
            format!(
                ", {:.1} kWh",
                ((wh - session.meter_start as f64) / 1000.0).max(0.0)
            )
        })
        .unwrap_or_default();
    Some(format!("session #{}{energy}", session.transaction))
}

/// A charger and its installation, with the capability to do `R` there.
async fn charger_for<R: Right<Facts = InstallationAccess>>(
    app: &AppState,
    auth: &AuthUser,
    id: ChargerId,
) -> Result<(Charger, Installation, Authorized<R>), AppError> {
    let charger = app.store.charger(id).await?.ok_or(AppError::NotFound)?;
    let (installation, cap) = app
        .installation::<R>(&auth.principal(), charger.installation_id)
        .await?;
    Ok((charger, installation, cap))
}

/// The URL installers configure in the charger: from the service's public address, never from the
/// request's Host header.
fn ocpp_url(app: &AppState, identity: &str) -> String {
    let base = app
        .public_url
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    format!("{}/ocpp/{identity}", base.trim_end_matches('/'))
}

#[derive(Deserialize, Default)]
struct NewChargerForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    identity: String,
    #[serde(default)]
    connectors: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "charger_new.html")]
struct NewChargerPage {
    layout: Layout,
    installation: Installation,
    form: NewChargerForm,
    errors: ValidationErrors,
}

fn parse_new(form: &NewChargerForm) -> Result<(Name, ChargePointIdentity, u8), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let name = errors.check("name", Name::parse(&form.name));
    let identity = errors.check("identity", ChargePointIdentity::parse(form.identity.trim()));
    let connectors = errors.check(
        "connectors",
        form.connectors
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|n| (1..=16).contains(n))
            .ok_or("Choose 1 to 16 connectors."),
    );
    match (name, identity, connectors) {
        (Some(name), Some(identity), Some(connectors)) => Ok((name, identity, connectors)),
        _ => Err(errors),
    }
}

/// The add-charger form again, with what was wrong.
async fn refused(
    app: &AppState,
    auth: &AuthUser,
    installation: Installation,
    form: NewChargerForm,
    errors: ValidationErrors,
) -> Result<Response, AppError> {
    let layout = Layout::new(app, &auth.visit, Some(&auth.user), "Add a charger").await?;
    let page = NewChargerPage {
        layout,
        installation,
        form,
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn add(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    CsrfForm(form): CsrfForm<NewChargerForm>,
) -> Result<Response, AppError> {
    let (installation, manage) = app
        .installation::<ManageUsers>(&auth.principal(), id)
        .await?;
    let (name, identity, connectors) = match parse_new(&form) {
        Ok(parsed) => parsed,
        Err(errors) => return refused(&app, &auth, installation, form, errors).await,
    };
    let (new, password) = secrets::new_charger(identity, name, connectors);
    match app.store.create_charger(&manage, &new).await {
        Ok(charger) => {
            let page =
                charger_page(&app, &auth, charger, installation, Some(password), None).await?;
            Ok((StatusCode::CREATED, page).into_response())
        }
        Err(StoreError::Conflict(_)) => {
            let mut errors = ValidationErrors::new();
            errors.add("identity", "Another charger already uses this identity.");
            refused(&app, &auth, installation, form, errors).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "charger.html")]
struct ChargerPage {
    layout: Layout,
    installation: Installation,
    charger: Charger,
    connectors: Vec<ConnectorState>,
    online: bool,
    ocpp_url: String,
    can_control: bool,
    can_manage: bool,
    new_password: Option<String>,
    outcome: Option<String>,
    running: Vec<RunningSession>,
}

impl ChargerPage {
    fn session(&self, connector: &ConnectorState) -> Option<String> {
        session_label(&self.running, &self.charger, connector)
    }
}

async fn charger_page(
    app: &AppState,
    auth: &AuthUser,
    charger: Charger,
    installation: Installation,
    new_password: Option<String>,
    outcome: Option<String>,
) -> Result<ChargerPage, AppError> {
    let (_, seen) = app
        .installation::<ViewInstallation>(&auth.principal(), installation.id)
        .await?;
    let connectors = app
        .store
        .chargers(installation.id)
        .await?
        .into_iter()
        .find(|(c, _)| c.id == charger.id)
        .map(|(_, states)| states)
        .unwrap_or_default();
    let layout = Layout::new(app, &auth.visit, Some(&auth.user), charger.name.clone()).await?;
    Ok(ChargerPage {
        layout,
        online: app.registry.is_online(&charger.identity),
        ocpp_url: ocpp_url(app, &charger.identity),
        can_control: seen.may(Action::ControlChargers),
        can_manage: seen.may(Action::ManageUsers),
        connectors,
        running: app.store.running_sessions(installation.id).await?,
        installation,
        charger,
        new_password,
        outcome,
    })
}

async fn show(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<ChargerId>,
) -> Result<Response, AppError> {
    let (charger, installation, _) = charger_for::<ViewInstallation>(&app, &auth, id).await?;
    Ok(charger_page(&app, &auth, charger, installation, None, None)
        .await?
        .into_response())
}

async fn new_password(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<ChargerId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let (charger, installation, manage) = charger_for::<ManageUsers>(&app, &auth, id).await?;
    let password = secrets::generate();
    app.store
        .set_charger_password(&manage, id, &secrets::hash(&password))
        .await?;
    Ok(
        charger_page(&app, &auth, charger, installation, Some(password), None)
            .await?
            .into_response(),
    )
}

#[derive(Deserialize, Default)]
struct CommandForm {
    #[serde(default)]
    command: String,
    #[serde(default)]
    connector: String,
    #[serde(default)]
    id_tag: String,
    #[serde(default)]
    transaction: String,
}

/// The charging profile that pauses a connector: 0 A until cleared.
const PAUSE_PROFILE_BASE: i32 = 9000;

fn pause_profile(connector: u32) -> Value {
    json!({
        "chargingProfileId": PAUSE_PROFILE_BASE + connector as i32,
        "stackLevel": 9,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 0.0}]}
    })
}

/// The OCPP command a portal button stands for.
fn to_command(form: &CommandForm, charger: &Charger) -> Result<Command, String> {
    let connector = || -> Result<u32, String> {
        form.connector
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|c| (1..=charger.connectors as u32).contains(c))
            .ok_or_else(|| format!("Choose a connector from 1 to {}.", charger.connectors))
    };
    Ok(match form.command.as_str() {
        "start" => {
            let id_tag = IdTag::parse(&form.id_tag).map_err(|_| {
                "Enter the RFID token (1 to 20 printable characters) to charge with.".to_owned()
            })?;
            Command::RemoteStartTransaction {
                connector_id: Some(connector()?),
                id_tag: id_tag.to_string(),
            }
        }
        "stop" => Command::RemoteStopTransaction {
            transaction_id: form
                .transaction
                .trim()
                .parse()
                .map_err(|_| "Enter the number of the session to stop.".to_owned())?,
        },
        "restart" => Command::Reset { hard: false },
        "refresh" => Command::TriggerMessage {
            message: "StatusNotification".into(),
            connector_id: None,
        },
        "hard_restart" => Command::Reset { hard: true },
        "unlock" => Command::UnlockConnector {
            connector_id: connector()?,
        },
        "enable" | "disable" => Command::ChangeAvailability {
            connector_id: 0,
            operative: form.command == "enable",
        },
        "pause" => {
            let connector_id = connector()?;
            Command::SetChargingProfile {
                connector_id,
                profile: pause_profile(connector_id),
            }
        }
        "resume" => Command::ClearChargingProfile {
            id: Some(PAUSE_PROFILE_BASE + connector()? as i32),
            connector_id: None,
            purpose: None,
        },
        _ => return Err("Choose a command.".into()),
    })
}

/// What the charger said, in a sentence.
fn outcome(result: &Result<Value, voltgate_ocpp::CommandError>) -> String {
    match result {
        Ok(answer) => format!(
            "The charger answered: {}.",
            status_of(answer).unwrap_or("done")
        ),
        Err(error) => format!("No result: {error}."),
    }
}

async fn command(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<ChargerId>,
    CsrfForm(form): CsrfForm<CommandForm>,
) -> Result<Response, AppError> {
    let (charger, installation, control) = charger_for::<ControlChargers>(&app, &auth, id).await?;
    let command = match to_command(&form, &charger) {
        Ok(command) => command,
        Err(message) => {
            let page =
                charger_page(&app, &auth, charger, installation, None, Some(message)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let action = command.action();
    let result = app
        .registry
        .call(&charger.identity, command, app.sessions.command_timeout)
        .await;
    let said = outcome(&result);
    app.store
        .record_charger_command(&control, &charger, action, &said)
        .await?;
    Ok(
        charger_page(&app, &auth, charger, installation, None, Some(said))
            .await?
            .into_response(),
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "charger_configuration.html")]
struct ConfigurationPage {
    layout: Layout,
    charger: Charger,
    /// (key, value, read-only)
    keys: Vec<(String, String, bool)>,
    problem: Option<String>,
    outcome: Option<String>,
}

async fn configuration_page(
    app: &AppState,
    auth: &AuthUser,
    charger: Charger,
    outcome: Option<String>,
) -> Result<Response, AppError> {
    let answer = app
        .registry
        .call(
            &charger.identity,
            Command::GetConfiguration { keys: vec![] },
            app.sessions.command_timeout,
        )
        .await;
    let (keys, problem) = match answer {
        Ok(answer) => {
            let keys = answer["configurationKey"]
                .as_array()
                .map(|keys| {
                    keys.iter()
                        .filter_map(|k| {
                            let key = k["key"].as_str()?.to_owned();
                            Some((
                                key,
                                k["value"].as_str().unwrap_or_default().to_owned(),
                                k["readonly"].as_bool().unwrap_or(false),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            (keys, None)
        }
        Err(error) => (
            Vec::new(),
            Some(format!("The configuration could not be read: {error}.")),
        ),
    };
    let layout = Layout::new(
        app,
        &auth.visit,
        Some(&auth.user),
        format!("Configuration · {}", charger.name),
    )
    .await?;
    Ok(ConfigurationPage {
        layout,
        charger,
        keys,
        problem,
        outcome,
    }
    .into_response())
}

async fn configuration(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<ChargerId>,
) -> Result<Response, AppError> {
    let (charger, _, _) = charger_for::<ControlChargers>(&app, &auth, id).await?;
    configuration_page(&app, &auth, charger, None).await
}

#[derive(Deserialize, Default)]
struct ChangeForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: String,
}

async fn change_configuration(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<ChargerId>,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> Result<Response, AppError> {
    let (charger, _, control) = charger_for::<ControlChargers>(&app, &auth, id).await?;
    let key = form.key.trim();
    let readable = check_line(key).is_ok() && check_line(&form.value).is_ok();
    if key.is_empty() || key.len() > 50 || form.value.len() > 500 || !readable {
        return Err(AppError::BadRequest(
            "A key has 1 to 50 characters and a value at most 500, on one line, without control characters."
                .into(),
        ));
    }
    let command = Command::ChangeConfiguration {
        key: key.to_owned(),
        value: form.value.clone(),
    };
    let result = app
        .registry
        .call(&charger.identity, command, app.sessions.command_timeout)
        .await;
    let said = format!("{key}: {}", outcome(&result));
    app.store
        .record_charger_command(&control, &charger, "ChangeConfiguration", &said)
        .await?;
    configuration_page(&app, &auth, charger, Some(said)).await
}
