//! Chargers in the portal: adding one, its live state, remote commands and configuration.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use rust_ocpp::v1_6::messages::change_availability::ChangeAvailabilityRequest;
use rust_ocpp::v1_6::messages::change_configuration::ChangeConfigurationRequest;
use rust_ocpp::v1_6::messages::get_configuration::{
    GetConfigurationRequest, GetConfigurationResponse,
};
use rust_ocpp::v1_6::messages::remote_start_transaction::RemoteStartTransactionRequest;
use rust_ocpp::v1_6::messages::remote_stop_transaction::RemoteStopTransactionRequest;
use rust_ocpp::v1_6::messages::reset::ResetRequest;
use rust_ocpp::v1_6::messages::unlock_connector::UnlockConnectorRequest;
use rust_ocpp::v1_6::types::{AvailabilityType, ResetRequestStatus};
use serde::Deserialize;
use voltgate_domain::authz::{ControlChargers, ManageUsers, Right, ViewInstallation};
use voltgate_domain::text::{check_line, reported, Name};
use voltgate_domain::{
    Action, Authorized, ChargePointIdentity, ChargerId, IdTag, InstallationAccess, InstallationId,
    ValidationErrors,
};
use voltgate_ocpp::{Answer, Command};
use voltgate_store::{
    Charger, ConnectorLimit, ConnectorState, Installation, RunningSession, StoreError,
};

use super::layout::Layout;
use super::session::{AuthUser, CsrfForm, NoFields, PathId};
use crate::charging::commands::CommandResult;
use crate::charging::{secrets, ChargerCommand, ChargerControl, CommandOutcome};
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

/// Each connector's current limit from load balancing, and why it did not arrive if it did not:
/// "Connector 1: limit 16 A", "Connector 2: limit 6.6 A (The charger rejected its current limit.)".
pub fn limit_lines(limits: &[ConnectorLimit], charger: &Charger) -> Vec<String> {
    let mut lines: Vec<(i32, String)> = limits
        .iter()
        .filter(|l| l.charger_id == charger.id)
        .filter_map(|limit| {
            let amps = limit.tx_accepted.or(limit.default_accepted);
            let text = match (amps, &limit.problem) {
                (Some(amps), None) => format!("limit {amps:.1} A"),
                (Some(amps), Some(problem)) => format!("limit {amps:.1} A ({problem})"),
                (None, Some(problem)) => problem.clone(),
                (None, None) => return None,
            };
            Some((
                limit.connector_id,
                format!("Connector {}: {text}", limit.connector_id),
            ))
        })
        .collect();
    lines.sort();
    lines.into_iter().map(|(_, line)| line).collect()
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
    limits: Vec<ConnectorLimit>,
}

impl ChargerPage {
    fn session(&self, connector: &ConnectorState) -> Option<String> {
        session_label(&self.running, &self.charger, connector)
    }

    fn limits(&self) -> Vec<String> {
        limit_lines(&self.limits, &self.charger)
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
        online: app.charging.is_online(charger.id, &charger.identity).await,
        ocpp_url: ocpp_url(app, &charger.identity),
        can_control: seen.may(Action::ControlChargers),
        can_manage: seen.may(Action::ManageUsers),
        connectors,
        running: app.store.running_sessions(installation.id).await?,
        limits: app.store.connector_limits(installation.id).await?,
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

/// The command a portal button stands for.
fn to_command(form: &CommandForm, charger: &Charger) -> Result<ChargerCommand, String> {
    let connector = || -> Result<u32, String> {
        form.connector
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|c| (1..=charger.connectors as u32).contains(c))
            .ok_or_else(|| format!("Choose a connector from 1 to {}.", charger.connectors))
    };
    let transaction = || -> Result<i32, String> {
        form.transaction
            .trim()
            .parse()
            .map_err(|_| "Enter the number of the session.".to_owned())
    };
    let ocpp = ChargerCommand::Ocpp;
    Ok(match form.command.as_str() {
        "start" => {
            let id_tag = IdTag::parse(&form.id_tag).map_err(|_| {
                "Enter the RFID token (1 to 20 printable characters) to charge with.".to_owned()
            })?;
            ocpp(Command::RemoteStartTransaction(
                RemoteStartTransactionRequest {
                    connector_id: Some(connector()?),
                    id_tag: id_tag.to_string(),
                    charging_profile: None,
                },
            ))
        }
        "stop" => ocpp(Command::RemoteStopTransaction(
            RemoteStopTransactionRequest {
                transaction_id: transaction()?,
            },
        )),
        "restart" | "hard_restart" => ocpp(Command::Reset(ResetRequest {
            kind: if form.command == "restart" {
                ResetRequestStatus::Soft
            } else {
                ResetRequestStatus::Hard
            },
        })),
        "refresh" => ChargerCommand::refresh_status(),
        "unlock" => ocpp(Command::UnlockConnector(UnlockConnectorRequest {
            connector_id: connector()?,
        })),
        "enable" | "disable" => ocpp(Command::ChangeAvailability(ChangeAvailabilityRequest {
            connector_id: 0,
            kind: if form.command == "enable" {
                AvailabilityType::Operative
            } else {
                AvailabilityType::Inoperative
            },
        })),
        "pause" => ChargerCommand::Pause {
            connector: connector()?,
        },
        "resume" => ChargerCommand::Resume {
            connector: connector()?,
        },
        "end" => ChargerCommand::EndSession {
            transaction: transaction()?,
        },
        _ => return Err("Choose a command.".into()),
    })
}

/// What came of a command, in a sentence.
fn said(result: &CommandResult) -> String {
    match result {
        Ok(outcome) => outcome.summary(),
        Err(failure) => failure.summary(),
    }
}

async fn command(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<ChargerId>,
    CsrfForm(form): CsrfForm<CommandForm>,
) -> Result<Response, AppError> {
    let (charger, installation, on) = charger_for::<ControlChargers>(&app, &auth, id).await?;
    let control = ChargerControl::new(on, charger.clone())?;
    let command = match to_command(&form, &charger) {
        Ok(command) => command,
        Err(message) => {
            let page =
                charger_page(&app, &auth, charger, installation, None, Some(message)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let result = app.charging.send_command(&control, command).await;
    Ok(charger_page(
        &app,
        &auth,
        charger,
        installation,
        None,
        Some(said(&result)),
    )
    .await?
    .into_response())
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

/// The configuration as the charger reports it, cleaned for showing.
fn configuration_keys(answer: &GetConfigurationResponse) -> Vec<(String, String, bool)> {
    answer
        .configuration_key
        .iter()
        .flatten()
        .map(|entry| {
            (
                reported(&entry.key).into_owned(),
                reported(entry.value.as_deref().unwrap_or_default()).into_owned(),
                entry.readonly,
            )
        })
        .collect()
}

async fn configuration_page(
    app: &AppState,
    auth: &AuthUser,
    control: &ChargerControl,
    outcome: Option<String>,
) -> Result<Response, AppError> {
    let read = ChargerCommand::Ocpp(Command::GetConfiguration(GetConfigurationRequest {
        key: None,
    }));
    let answer = app.charging.send_command(control, read).await;
    let (keys, problem) = match answer {
        Ok(CommandOutcome::Answered(Answer::GetConfiguration(answer))) => {
            (configuration_keys(&answer), None)
        }
        other => (
            Vec::new(),
            Some(format!(
                "The configuration could not be read. {}",
                said(&other)
            )),
        ),
    };
    let charger = control.charger().clone();
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
    let (charger, _, on) = charger_for::<ControlChargers>(&app, &auth, id).await?;
    let control = ChargerControl::new(on, charger)?;
    configuration_page(&app, &auth, &control, None).await
}

#[derive(Deserialize, Default)]
struct ChangeForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: String,
}

/// A configuration change as OCPP allows it: a key of 1 to 50 characters, a value of at most 500,
/// neither with control characters.
fn parse_change(form: &ChangeForm) -> Result<ChangeConfigurationRequest, AppError> {
    let key = form.key.trim();
    let fits = |text: &str, max: usize| text.chars().count() <= max && check_line(text).is_ok();
    if key.is_empty() || !fits(key, 50) || !fits(&form.value, 500) {
        return Err(AppError::BadRequest(
            "A key has 1 to 50 characters and a value at most 500, on one line, without control characters."
                .into(),
        ));
    }
    Ok(ChangeConfigurationRequest {
        key: key.to_owned(),
        value: form.value.clone(),
    })
}

async fn change_configuration(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<ChargerId>,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> Result<Response, AppError> {
    let (charger, _, on) = charger_for::<ControlChargers>(&app, &auth, id).await?;
    let control = ChargerControl::new(on, charger)?;
    let change = parse_change(&form)?;
    let key = reported(&change.key).into_owned();
    let command = ChargerCommand::Ocpp(Command::ChangeConfiguration(change));
    let result = app.charging.send_command(&control, command).await;
    let said = format!("{key}: {}", said(&result));
    configuration_page(&app, &auth, &control, Some(said)).await
}
