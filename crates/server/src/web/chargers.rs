//! Chargers in the portal: adding one, its live state, remote commands and configuration.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
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
use voltgate_domain::authz::{
    ConfigureChargers, ControlChargers, ManageUsers, Right, ViewInstallation,
};
use voltgate_domain::text::{check_line, reported, Name};
use voltgate_domain::{
    Action, Authorized, ChargePointIdentity, ChargerId, IdTag, InstallationAccess, InstallationId,
    Message, UserId, ValidationErrors,
};
use voltgate_ocpp::{Answer, Command};
use voltgate_store::{
    Charger, ConnectorLimit, ConnectorState, Installation, RunningSession, StoreError,
};

use super::layout::Layout;
use super::session::{AuthUser, CsrfForm, NoFields, PathId};
use super::words;
use crate::charging::{secrets, ChargerCommand, ChargerControl, CommandOutcome};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use axum::response::Redirect;
use chrono::{DateTime, Utc};
use voltgate_domain::charger_config::{self, KeyKind};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/installations/{id}/chargers", post(add))
        .route("/chargers/{id}", get(show))
        .route("/chargers/{id}/password", post(new_password))
        .route("/chargers/{id}/commands", post(command))
        .route("/chargers/{id}/confirm", get(confirm))
        .route(
            "/chargers/{id}/configuration",
            get(configuration).post(change_configuration),
        )
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
            .ok_or(Message::new("err-connectors")),
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
    let layout = Layout::new(
        app,
        &auth.visit,
        Some(&auth.user),
        crate::i18n::Tr(auth.visit.lang).t("charger-add"),
    )
    .await?;
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
            let page = charger_page(
                &app,
                &auth,
                charger,
                installation,
                Some(password),
                None,
                Vec::new(),
            )
            .await?;
            Ok((StatusCode::CREATED, page).into_response())
        }
        Err(StoreError::Conflict(_)) => {
            let mut errors = ValidationErrors::new();
            errors.add("identity", Message::new("err-identity-taken"));
            refused(&app, &auth, installation, form, errors).await
        }
        Err(other) => Err(other.into()),
    }
}

/// One connector as its card shows it.
struct ConnectorCard {
    id: i32,
    state: String,
    icon: &'static str,
    tone: &'static str,
    power: String,
    current: String,
    energy: String,
    duration: String,
    /// A session runs on it (Stop, Pause/Resume instead of Start).
    charging: bool,
    paused: bool,
    /// "Stopping…" until the charger reports after a command.
    pending: Option<String>,
    limit: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "charger.html")]
struct ChargerPage {
    layout: Layout,
    installation: Installation,
    charger: Charger,
    cards: Vec<ConnectorCard>,
    online: bool,
    ocpp_url: String,
    can_control: bool,
    can_configure: bool,
    can_manage: bool,
    new_password: Option<String>,
    outcome: Option<String>,
    /// "Restarting…" for a command on the whole charger.
    charger_pending: Option<String>,
    last_seen: String,
    authentication_required: bool,
    /// The installation's RFID tokens and whose they are.
    tokens: Vec<(String, String)>,
}

/// A command just sent whose effect the charger has not reported yet.
#[derive(Clone, Debug)]
struct Pending {
    /// 0 for the whole charger.
    connector: i32,
    command: String,
    at: DateTime<Utc>,
}

/// What the redirect after a command carries: the command, when it was sent, what came of it, signed
/// for this user and charger so that a link cannot make the page claim an outcome. A reload shows
/// the same and sends nothing.
#[derive(Deserialize, Default)]
struct DoneQuery {
    command: Option<String>,
    #[serde(default)]
    connector: i32,
    /// Milliseconds since 1970.
    at: Option<i64>,
    said: Option<String>,
    /// Whether the charger took the command (then the page waits for its report).
    #[serde(default)]
    ok: bool,
    sig: Option<String>,
}

fn done_payload(user: UserId, charger: ChargerId, q: &DoneQuery) -> String {
    format!(
        "charger-outcome|{user}|{charger}|{}|{}|{}|{}|{}",
        q.command.as_deref().unwrap_or_default(),
        q.connector,
        q.at.unwrap_or_default(),
        q.ok,
        q.said.as_deref().unwrap_or_default()
    )
}

/// The outcome and pending command a signed redirect carries; nothing when unsigned or forged.
fn done_of(
    app: &AppState,
    user: UserId,
    charger: ChargerId,
    q: &DoneQuery,
) -> (Option<String>, Vec<Pending>) {
    let Some(sig) = &q.sig else {
        return (None, Vec::new());
    };
    if !app.csrf.verify(&done_payload(user, charger, q), sig) {
        return (None, Vec::new());
    }
    let pending = match (
        &q.command,
        q.at.and_then(DateTime::<Utc>::from_timestamp_millis),
    ) {
        (Some(command), Some(at)) if q.ok => vec![Pending {
            connector: q.connector,
            command: command.clone(),
            at,
        }],
        _ => Vec::new(),
    };
    (q.said.clone(), pending)
}

const FLASH_KEY: &str = "charger_flash";
/// How long "Stopping…" is shown at most when the charger never reports.
const PENDING_FOR: chrono::TimeDelta = chrono::TimeDelta::seconds(90);

fn pending_word(tr: Tr, command: &str) -> Option<String> {
    let id = match command {
        "start" => "pending-start",
        "stop" => "pending-stop",
        "pause" => "pending-pause",
        "resume" => "pending-resume",
        "unlock" => "pending-unlock",
        "restart" => "pending-restart",
        "enable" => "pending-enable",
        "disable" => "pending-disable",
        _ => return None,
    };
    Some(tr.t(id))
}

/// The connectors as cards (connector 0 is the charger itself, not a card).
fn cards(
    tr: Tr,
    charger: &Charger,
    states: &[ConnectorState],
    running: &[RunningSession],
    limits: &[ConnectorLimit],
    pending: &[Pending],
    now: DateTime<Utc>,
) -> Vec<ConnectorCard> {
    states
        .iter()
        .filter(|state| state.connector_id >= 1)
        .map(|state| {
            let session = running
                .iter()
                .find(|s| s.charger_id == charger.id && s.connector_id == state.connector_id);
            let paused = session.is_some_and(|s| s.paused);
            let words = words::connector_state(tr, state, paused);
            let live = session.is_some() || state.status == "Charging";
            let power = match state.power_w {
                Some(w) if live => format!("{} kW", words::decimal(tr, w / 1000.0, 1)),
                _ => "—".into(),
            };
            let current = if live && state.has_currents() {
                let phases: Vec<String> = state
                    .current
                    .iter()
                    .map(|a| a.map_or("–".into(), |a| words::decimal(tr, a, 1)))
                    .collect();
                format!("{} A", phases.join(" / "))
            } else {
                "—".into()
            };
            let energy = session
                .and_then(|s| words::session_energy(tr, s, state))
                .unwrap_or_else(|| "—".into());
            let duration = session
                .map(|s| words::duration(tr, s.started_at, now))
                .unwrap_or_else(|| "—".into());
            let pending = pending
                .iter()
                .filter(|p| p.connector == state.connector_id)
                .find(|p| state.updated_at <= p.at && now - p.at < PENDING_FOR)
                .and_then(|p| pending_word(tr, &p.command));
            let limit = limits
                .iter()
                .find(|l| l.charger_id == charger.id && l.connector_id == state.connector_id)
                .and_then(|l| words::limit_line(tr, l));
            ConnectorCard {
                id: state.connector_id,
                state: words.text,
                icon: words.icon,
                tone: words.tone,
                power,
                current,
                energy,
                duration,
                charging: session.is_some(),
                paused,
                pending,
                limit: limit.filter(|_| session.is_some()),
            }
        })
        .collect()
}

async fn charger_page(
    app: &AppState,
    auth: &AuthUser,
    charger: Charger,
    installation: Installation,
    new_password: Option<String>,
    outcome: Option<String>,
    pending: Vec<Pending>,
) -> Result<ChargerPage, AppError> {
    let (_, seen) = app
        .installation::<ViewInstallation>(&auth.principal(), installation.id)
        .await?;
    let tr = Tr(auth.visit.lang);
    // This charger's states only (the installation may hold hundreds).
    let states = app.store.connector_states(charger.id).await?;
    let running = app.store.running_sessions(installation.id).await?;
    let limits = app.store.charger_limits(charger.id).await?;
    let now = Utc::now();
    let charger_pending = pending
        .iter()
        .filter(|p| p.connector == 0)
        .find(|p| charger.last_seen_at.is_none_or(|seen| seen <= p.at) && now - p.at < PENDING_FOR)
        .and_then(|p| pending_word(tr, &p.command));
    let can_control = seen.may(Action::ControlChargers);
    let tokens = if can_control {
        app.store
            .id_tags(installation.id)
            .await?
            .into_iter()
            .map(|(tag, holder)| (tag, holder.full_name))
            .collect()
    } else {
        Vec::new()
    };
    let layout = Layout::new(app, &auth.visit, Some(&auth.user), charger.name.clone()).await?;
    Ok(ChargerPage {
        layout,
        online: app.charging.is_online(charger.id, &charger.identity).await,
        ocpp_url: ocpp_url(app, &charger.identity),
        can_control,
        can_configure: seen.may(Action::ConfigureChargers),
        can_manage: seen.may(Action::ManageUsers),
        cards: cards(tr, &charger, &states, &running, &limits, &pending, now),
        charger_pending,
        last_seen: charger
            .last_seen_at
            .map_or_else(|| tr.t("never"), |seen| installation.time_zone.show(seen)),
        authentication_required: installation.settings.authentication_required,
        tokens,
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
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let (charger, installation, _) = charger_for::<ViewInstallation>(&app, &auth, id).await?;
    let (outcome, pending) = done_of(&app, auth.user.id, id, &done);
    Ok(
        charger_page(&app, &auth, charger, installation, None, outcome, pending)
            .await?
            .into_response(),
    )
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
    Ok(charger_page(
        &app,
        &auth,
        charger,
        installation,
        Some(password),
        None,
        Vec::new(),
    )
    .await?
    .into_response())
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

/// The RFID token a start without authentication uses.
const PORTAL_TAG: &str = "VOLTGATE";

/// The command a portal button stands for; a stop finds the connector's running session itself.
fn to_command(
    form: &CommandForm,
    charger: &Charger,
    running: &[RunningSession],
) -> Result<ChargerCommand, Message> {
    let connector = || -> Result<u32, Message> {
        form.connector
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|c| (1..=charger.connectors as u32).contains(c))
            .ok_or_else(|| Message::new("err-connector").arg("max", charger.connectors))
    };
    let transaction = || -> Result<i32, Message> {
        if let Ok(number) = form.transaction.trim().parse() {
            return Ok(number);
        }
        let connector = connector()? as i32;
        running
            .iter()
            .find(|s| s.charger_id == charger.id && s.connector_id == connector)
            .map(|s| s.transaction)
            .ok_or_else(|| Message::new("err-nothing-charging"))
    };
    let ocpp = ChargerCommand::Ocpp;
    Ok(match form.command.as_str() {
        "start" => {
            let raw = match form.id_tag.trim() {
                "" => PORTAL_TAG,
                tag => tag,
            };
            let id_tag = IdTag::parse(raw)?;
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
        _ => return Err(Message::new("err-command")),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "charger_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    charger: Charger,
    command: &'static str,
    explanation: String,
    button: String,
}

#[derive(Deserialize, Default)]
struct ConfirmQuery {
    #[serde(default)]
    command: String,
}

/// "Restart Carport left?": the step before a command that stops every connector.
async fn confirm(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<ChargerId>,
    Query(query): Query<ConfirmQuery>,
) -> Result<Response, AppError> {
    let (charger, _, _) = charger_for::<ControlChargers>(&app, &auth, id).await?;
    let tr = Tr(auth.visit.lang);
    let (command, id) = match query.command.as_str() {
        "restart" => ("restart", "confirm-restart"),
        "disable" => ("disable", "confirm-disable"),
        _ => return Err(AppError::NotFound),
    };
    let layout = Layout::new(
        &app,
        &auth.visit,
        Some(&auth.user),
        tr.with(&format!("{id}-title"), &[("charger", &charger.name)]),
    )
    .await?;
    Ok(ConfirmPage {
        layout,
        explanation: tr.with(id, &[("charger", &charger.name)]),
        button: tr.t(&format!("{id}-button")),
        charger,
        command,
    }
    .into_response())
}

async fn command(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<ChargerId>,
    CsrfForm(form): CsrfForm<CommandForm>,
) -> Result<Response, AppError> {
    let (charger, installation, on) = charger_for::<ControlChargers>(&app, &auth, id).await?;
    let tr = Tr(auth.visit.lang);
    let running = app.store.running_sessions(installation.id).await?;
    let command = match to_command(&form, &charger, &running) {
        Ok(command) => command,
        Err(message) => {
            let page = charger_page(
                &app,
                &auth,
                charger,
                installation,
                None,
                Some(tr.msg(&message)),
                Vec::new(),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let control = ChargerControl::new(on, charger.clone())?;
    let at = Utc::now();
    let result = app.charging.send_command(&control, command).await;
    let mut done = DoneQuery {
        command: Some(form.command.clone()),
        connector: match form.command.as_str() {
            "restart" | "hard_restart" | "enable" | "disable" | "refresh" => 0,
            _ => form.connector.trim().parse().unwrap_or(0),
        },
        at: Some(at.timestamp_millis()),
        said: Some(words::outcome(tr, &result)),
        ok: result.is_ok(),
        sig: None,
    };
    done.sig = Some(
        app.csrf
            .token_for(&done_payload(auth.user.id, charger.id, &done)),
    );
    let query = serde_urlencoded::to_string([
        ("command", done.command.clone().unwrap_or_default()),
        ("connector", done.connector.to_string()),
        ("at", at.timestamp_millis().to_string()),
        ("said", done.said.clone().unwrap_or_default()),
        ("ok", done.ok.to_string()),
        ("sig", done.sig.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    Ok(Redirect::to(&format!("/chargers/{}?{query}", charger.id)).into_response())
}

/// One row of the configuration page.
struct ConfigRow {
    key: String,
    value: String,
    readonly: bool,
    /// What the key does, its unit and range, for keys this service knows.
    help: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "charger_configuration.html")]
struct ConfigurationPage {
    layout: Layout,
    charger: Charger,
    keys: Vec<ConfigRow>,
    problem: Option<String>,
    outcome: Option<String>,
    /// The refused key and why.
    refused: Option<(String, String)>,
}

impl ConfigurationPage {
    /// Whether the refusal shown is about this key's field (it then points at the error).
    fn refused_here(&self, key: &str) -> bool {
        self.refused
            .as_ref()
            .is_some_and(|(refused, _)| refused == key)
    }
}

/// The help line of a known key: what it does, and the values it takes.
fn key_help(tr: Tr, key: &str) -> Option<String> {
    let known = charger_config::known_key(key)?;
    let what = tr.t(&format!("config-help-{}", known.name));
    let values = match known.kind {
        KeyKind::Integer { min, max, unit } => {
            let unit = unit.map(|u| format!(" {}", tr.t(u))).unwrap_or_default();
            tr.with(
                "config-range",
                &[
                    ("min", &min.to_string()),
                    ("max", &max.to_string()),
                    ("unit", &unit),
                ],
            )
        }
        KeyKind::Boolean => tr.t("config-boolean"),
        KeyKind::List => tr.t("config-list"),
    };
    Some(format!("{what} {values}"))
}

/// The configuration as the charger reports it, cleaned for showing.
fn configuration_keys(tr: Tr, answer: &GetConfigurationResponse) -> Vec<ConfigRow> {
    answer
        .configuration_key
        .iter()
        .flatten()
        .map(|entry| {
            let key = reported(&entry.key).into_owned();
            ConfigRow {
                help: key_help(tr, &key),
                value: reported(entry.value.as_deref().unwrap_or_default()).into_owned(),
                readonly: entry.readonly,
                key,
            }
        })
        .collect()
}

async fn configuration_page(
    app: &AppState,
    auth: &AuthUser,
    control: &ChargerControl,
    outcome: Option<String>,
    refused: Option<(String, String)>,
) -> Result<Response, AppError> {
    let tr = Tr(auth.visit.lang);
    let read = ChargerCommand::Ocpp(Command::GetConfiguration(GetConfigurationRequest {
        key: None,
    }));
    let answer = app.charging.send_command(control, read).await;
    let (keys, problem) = match answer {
        Ok(CommandOutcome::Answered(Answer::GetConfiguration(answer))) => {
            (configuration_keys(tr, &answer), None)
        }
        other => (
            Vec::new(),
            Some(format!(
                "{} {}",
                tr.t("config-unreadable"),
                words::outcome(tr, &other)
            )),
        ),
    };
    let charger = control.charger().clone();
    let layout = Layout::new(
        app,
        &auth.visit,
        Some(&auth.user),
        tr.with("config-title", &[("charger", &charger.name)]),
    )
    .await?;
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        ConfigurationPage {
            layout,
            charger,
            keys,
            problem,
            outcome,
            refused,
        },
    )
        .into_response())
}

async fn configuration(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<ChargerId>,
) -> Result<Response, AppError> {
    let (charger, _, on) = charger_for::<ConfigureChargers>(&app, &auth, id).await?;
    let control = ChargerControl::new(on, charger)?;
    let flash: Option<String> = auth.visit.session.remove(FLASH_KEY).await?;
    configuration_page(&app, &auth, &control, flash, None).await
}

#[derive(Deserialize, Default)]
struct ChangeForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: String,
}

/// A configuration change as OCPP allows it: a key of 1 to 50 characters, a value of at most 500,
/// neither with control characters, and a value of the key's type when the key is a known one.
fn parse_change(form: &ChangeForm) -> Result<ChangeConfigurationRequest, Message> {
    let key = form.key.trim();
    let fits = |text: &str, max: usize| text.chars().count() <= max && check_line(text).is_ok();
    if key.is_empty() || !fits(key, 50) || !fits(&form.value, 500) {
        return Err(Message::new("err-config-shape"));
    }
    charger_config::check_value(key, &form.value)?;
    Ok(ChangeConfigurationRequest {
        key: key.to_owned(),
        value: form.value.trim().to_owned(),
    })
}

async fn change_configuration(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<ChargerId>,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> Result<Response, AppError> {
    let (charger, _, on) = charger_for::<ConfigureChargers>(&app, &auth, id).await?;
    let control = ChargerControl::new(on, charger)?;
    let tr = Tr(auth.visit.lang);
    let key = reported(form.key.trim()).into_owned();
    let change = match parse_change(&form) {
        Ok(change) => change,
        // Not a configuration change at all: no need to ask the charger again.
        Err(problem) if problem.id == "err-config-shape" => {
            return Err(AppError::BadRequest(problem));
        }
        Err(problem) => {
            let refused = Some((key, tr.msg(&problem)));
            return configuration_page(&app, &auth, &control, None, refused).await;
        }
    };
    let command = ChargerCommand::Ocpp(Command::ChangeConfiguration(change));
    let result = app.charging.send_command(&control, command).await;
    let said = format!("{key}: {}", words::outcome(tr, &result));
    auth.visit.session.insert(FLASH_KEY, said).await?;
    Ok(Redirect::to(&format!("/chargers/{id}/configuration")).into_response())
}
