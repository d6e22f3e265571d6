//! Installations: the list, one installation's page with its settings and the people on it.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use voltgate_domain::authz::rules::{may_change_max_current, may_hold_id_tag, RoleChangeRefused};
use voltgate_domain::authz::{ChangeSettings, ManageUsers, ViewInstallation, ViewPeople};
use voltgate_domain::chart::{last_hours, Buckets};
use voltgate_domain::settings::{AvailableCurrent, InstallationSettings, SettingsInput};
use voltgate_domain::{
    Action, Authorized, Email, GroupId, IdTag, InstallationAccess, InstallationId, Message,
    Principal, Role, UserId, ValidationErrors, Zone,
};
use voltgate_store::{
    Charger, ConnectorLimit, ConnectorState, HistoryFilter, Installation, InstallationMember,
    RunningSession, StoreError, User,
};

use super::chart::{energy_chart, power_chart, BarChart};
use super::layout::Layout;
use super::session::{AuthUser, CsrfForm, PathId};
use super::words;
use crate::accounts;
use crate::error::AppError;
use crate::events::Event;
use crate::i18n::Tr;
use crate::installations::InstallationInput;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/installations", get(list).post(create))
        .route("/installations/{id}", get(show))
        .route("/installations/{id}/settings", post(update_settings))
        .route("/installations/{id}/time-zone", post(update_time_zone))
        .route("/installations/{id}/members", post(set_member))
        .route("/installations/{id}/members/remove", post(remove_member))
        .route("/installations/{id}/id-tags", post(add_id_tag))
        .route("/installations/{id}/id-tags/remove", post(remove_id_tag))
}

#[derive(Template, WebTemplate)]
#[template(path = "installations.html")]
struct InstallationsPage {
    layout: Layout,
    installations: Vec<(Installation, Authorized<ViewInstallation>)>,
    group_names: HashMap<GroupId, String>,
    form: InstallationInput,
    errors: ValidationErrors,
    /// Who asks, when the person came here from an access request to create an installation.
    banner: Option<String>,
}

async fn list_page(
    app: &AppState,
    auth: &AuthUser,
    form: InstallationInput,
    errors: ValidationErrors,
) -> Result<InstallationsPage, AppError> {
    let installations = app.visible_installations(&auth.principal()).await?;
    let group_names = app.group_names(auth.user.id).await?;
    let layout = Layout::new(
        app,
        &auth.visit,
        Some(&auth.user),
        crate::i18n::Tr(auth.visit.lang).t("nav-installations"),
    )
    .await?;
    let banner = form.back_to_request().and_then(|next| {
        super::accounts::request_banner(next.as_str(), crate::i18n::Tr(auth.visit.lang))
    });
    Ok(InstallationsPage {
        layout,
        installations,
        group_names,
        form,
        errors,
        banner,
    })
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    /// The access request to come back to after creating an installation.
    #[serde(default)]
    next: String,
}

async fn list(
    State(app): State<AppState>,
    auth: AuthUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let mut form = InstallationInput {
        installation_type: "go".into(),
        next: query.next,
        ..InstallationInput::default()
    };
    if form.back_to_request().is_none() {
        form.next = String::new();
    }
    Ok(list_page(&app, &auth, form, ValidationErrors::new())
        .await?
        .into_response())
}

async fn create(
    State(app): State<AppState>,
    auth: AuthUser,
    CsrfForm(form): CsrfForm<InstallationInput>,
) -> Result<Response, AppError> {
    match form.parse() {
        Ok(new) => {
            let installation = app
                .store
                .create_installation(auth.user.id, &new, &auth.principal())
                .await?;
            let to = match form.back_to_request() {
                Some(request) => request.as_str().to_owned(),
                None => format!("/installations/{}", installation.id),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(errors) => {
            let page = list_page(&app, &auth, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

impl InstallationsPage {
    /// The groups through which the user reaches an installation, by name.
    fn via(&self, access: &Authorized<ViewInstallation>) -> String {
        let names: Vec<&str> = access
            .facts()
            .via_groups
            .iter()
            .filter_map(|via| self.group_names.get(&via.group))
            .map(String::as_str)
            .collect();
        names.join(", ")
    }
}

/// The settings form's fields as shown: from stored settings, or as submitted.
#[derive(Default)]
struct SettingsView {
    max_current: String,
    available_mode: String,
    available_current: String,
    phase1: String,
    phase2: String,
    phase3: String,
    authentication_required: bool,
    phases: String,
}

impl From<&InstallationSettings> for SettingsView {
    fn from(settings: &InstallationSettings) -> Self {
        let [p1, p2, p3] = settings.available_current.phases();
        let mode = match settings.available_current {
            AvailableCurrent::AllPhases(_) => "all",
            AvailableCurrent::PerPhase(_) => "per_phase",
        };
        Self {
            max_current: settings.max_current.to_string(),
            available_mode: mode.into(),
            available_current: p1.to_string(),
            phase1: p1.to_string(),
            phase2: p2.to_string(),
            phase3: p3.to_string(),
            authentication_required: settings.authentication_required,
            phases: settings.phases.count().to_string(),
        }
    }
}

impl From<SettingsInput> for SettingsView {
    fn from(input: SettingsInput) -> Self {
        Self {
            max_current: input.max_current,
            available_mode: input.available_mode,
            available_current: input.available_current,
            phase1: input.available_current_phase1,
            phase2: input.available_current_phase2,
            phase3: input.available_current_phase3,
            authentication_required: input
                .authentication_required
                .is_some_and(|v| !v.is_empty() && v != "false"),
            phases: input.phases,
        }
    }
}

#[derive(Deserialize, Default)]
struct MemberInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

#[derive(Deserialize, Default)]
struct RemoveInput {
    #[serde(default)]
    user_id: String,
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "installation.html")]
struct InstallationPage {
    layout: Layout,
    installation: Installation,
    role: Option<Role>,
    /// Names of the groups through which the user has access.
    via_groups: Vec<String>,
    can_manage: bool,
    can_change_settings: bool,
    /// Owners and admins set the maximum current (the circuit's rating); partners see it, fixed.
    can_change_max: bool,
    can_manage_users: bool,
    /// Owners and admins see the people on the installation; users and group members do not.
    can_see_people: bool,
    settings: SettingsView,
    settings_errors: ValidationErrors,
    members: Vec<InstallationMember>,
    /// Chargers with their connectors' state and whether they are connected now.
    chargers: Vec<(Charger, Vec<ConnectorState>, bool)>,
    no_errors: ValidationErrors,
    /// Sessions charging now.
    running: Vec<RunningSession>,
    /// Each connector's current limit from load balancing, and its problems.
    limits: Vec<ConnectorLimit>,
    /// RFID tokens and their holders (for those who manage the installation).
    id_tags: Vec<(String, User)>,
    token_tag: String,
    token_email: String,
    token_errors: ValidationErrors,
    member_email: String,
    member_role: String,
    member_errors: ValidationErrors,
    notice: Option<&'static str>,
    roles: [Role; 3],
    /// Energy per day for 30 days and power over 24 hours.
    charts: Vec<BarChart>,
    /// The time zone as typed (or stored) and what is wrong with it.
    time_zone: String,
    time_zone_errors: ValidationErrors,
    /// Every zone name, for the field's suggestions.
    zone_names: Vec<&'static str>,
}

impl InstallationPage {
    fn session(&self, charger: &Charger, connector: &ConnectorState) -> Option<String> {
        let session = self
            .running
            .iter()
            .find(|s| s.charger_id == charger.id && s.connector_id == connector.connector_id)?;
        Some(words::session_label(self.layout.tr, session, connector))
    }

    /// A connector's state in words, with its icon.
    fn state(&self, charger: &Charger, connector: &ConnectorState) -> String {
        let paused = self.running.iter().any(|s| {
            s.charger_id == charger.id && s.connector_id == connector.connector_id && s.paused
        });
        let words = words::connector_state(self.layout.tr, connector, paused);
        format!("{} {}", words.icon, words.text)
    }

    /// The warning when the available current cannot give every charging connector 6 A.
    fn six_amps(&self) -> Option<String> {
        let charging = self.running.iter().filter(|s| !s.paused).count();
        let lowest = voltgate_domain::settings::too_little_for(
            &self.installation.settings.available_current,
            charging,
        )?;
        Some(self.layout.tr.with(
            "settings-six-amps",
            &[
                ("amps", &lowest.to_string()),
                ("count", &charging.to_string()),
            ],
        ))
    }

    /// A connector in one line: "Connector 1: ⚡ Charging · 7.4 kW · 16.0 / – / – A · session #5, 2.5 kWh".
    /// Power and current show only while something charges.
    fn connector_line(&self, charger: &Charger, connector: &ConnectorState) -> String {
        let tr = self.layout.tr;
        let mut parts = vec![self.state(charger, connector)];
        let session = self.session(charger, connector);
        if session.is_some() || connector.status == "Charging" {
            if let Some(w) = connector.power_w {
                parts.push(format!("{} kW", words::decimal(tr, w / 1000.0, 1)));
            }
            if connector.has_currents() {
                let phases: Vec<String> = connector
                    .current
                    .iter()
                    .map(|a| a.map_or("–".into(), |a| words::decimal(tr, a, 1)))
                    .collect();
                parts.push(format!("{} A", phases.join(" / ")));
            }
        }
        parts.extend(session);
        tr.with(
            "connector-line",
            &[
                ("n", &connector.connector_id.to_string()),
                ("text", &parts.join(" · ")),
            ],
        )
    }

    fn limits(&self, charger: &Charger) -> Vec<String> {
        let mut limits: Vec<_> = self
            .limits
            .iter()
            .filter(|l| l.charger_id == charger.id)
            .filter_map(|l| {
                let line = words::limit_line(self.layout.tr, l)?;
                Some(self.layout.tr.with(
                    "connector-line",
                    &[("n", &l.connector_id.to_string()), ("text", &line)],
                ))
            })
            .collect();
        limits.sort();
        limits
    }
}

/// What a submitted form changes about the page when it is shown again.
#[derive(Default)]
struct Feedback {
    settings: Option<(SettingsInput, ValidationErrors)>,
    member: Option<(MemberInput, ValidationErrors)>,
    token: Option<(TokenInput, ValidationErrors)>,
    time_zone: Option<(TimeZoneInput, ValidationErrors)>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
struct TimeZoneInput {
    #[serde(default)]
    time_zone: String,
}

#[derive(Deserialize, Default)]
struct TokenInput {
    #[serde(default)]
    id_tag: String,
    #[serde(default)]
    email: String,
}

async fn page(
    app: &AppState,
    auth: &AuthUser,
    installation: Installation,
    seen: Authorized<ViewInstallation>,
    feedback: Feedback,
) -> Result<InstallationPage, AppError> {
    let (can_change_settings, can_manage_users) = (
        seen.may(Action::ChangeSettings),
        seen.may(Action::ManageUsers),
    );
    let people = seen.also::<ViewPeople>().ok();
    let members = match &people {
        Some(people) => app.store.installation_members(people).await?,
        None => Vec::new(),
    };
    let chargers = app.store.chargers(installation.id).await?;
    let ids: Vec<_> = chargers
        .iter()
        .map(|(c, _)| (c.id, c.identity.as_str()))
        .collect();
    let online = app.charging.online(&ids).await;
    let chargers = chargers
        .into_iter()
        .map(|(charger, connectors)| {
            let is_online = online.contains(&charger.id);
            (charger, connectors, is_online)
        })
        .collect();
    let names = app.group_names(auth.user.id).await?;
    let access: &InstallationAccess = seen.facts();
    let via_groups = access
        .via_groups
        .iter()
        .filter_map(|via| names.get(&via.group).cloned())
        .collect();
    let (settings, settings_errors) = match feedback.settings {
        Some((input, errors)) => (SettingsView::from(input), errors),
        None => (
            SettingsView::from(&installation.settings),
            ValidationErrors::new(),
        ),
    };
    let (member, member_errors) = feedback.member.unwrap_or_default();
    let (token, token_errors) = feedback.token.unwrap_or_default();
    let running = app.store.running_sessions(installation.id).await?;
    let limits = app.store.connector_limits(installation.id).await?;
    let id_tags = if can_manage_users {
        app.store.id_tags(installation.id).await?
    } else {
        Vec::new()
    };
    let charts = overview_charts(app, Tr(auth.visit.lang), &installation).await?;
    let (time_zone, time_zone_errors) = match feedback.time_zone {
        Some((input, errors)) => (input.time_zone, errors),
        None => (
            installation.time_zone.name().to_owned(),
            ValidationErrors::new(),
        ),
    };
    let layout = Layout::new(
        app,
        &auth.visit,
        Some(&auth.user),
        installation.name.clone(),
    )
    .await?;
    Ok(InstallationPage {
        charts,
        time_zone,
        time_zone_errors,
        zone_names: if can_change_settings {
            Zone::names().collect()
        } else {
            Vec::new()
        },
        layout,
        role: access.role,
        via_groups,
        can_manage: seen.may(Action::ManagePermissions),
        installation,
        can_change_settings,
        can_change_max: may_change_max_current(seen.facts()),
        can_manage_users,
        can_see_people: people.is_some(),
        settings,
        settings_errors,
        members,
        chargers,
        no_errors: ValidationErrors::new(),
        id_tags,
        running,
        limits,
        token_tag: token.id_tag,
        token_email: token.email,
        token_errors,
        member_email: member.email,
        member_role: if member.role.is_empty() {
            "user".into()
        } else {
            member.role
        },
        member_errors,
        notice: feedback.notice,
        roles: Role::ALL,
    })
}

async fn show(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let (installation, seen) = app
        .installation::<ViewInstallation>(&auth.principal(), id)
        .await?;
    let notice = match query.saved.as_deref() {
        Some("settings") => Some("notice-settings"),
        Some("members") => Some("notice-people"),
        Some("tokens") => Some("notice-tokens"),
        Some("time-zone") => Some("notice-time-zone"),
        _ => None,
    };
    Ok(page(
        &app,
        &auth,
        installation,
        seen,
        Feedback {
            notice,
            ..Feedback::default()
        },
    )
    .await?
    .into_response())
}

async fn update_settings(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    CsrfForm(input): CsrfForm<SettingsInput>,
) -> Result<Response, AppError> {
    let (installation, change) = app
        .installation::<ChangeSettings>(&auth.principal(), id)
        .await?;
    let may_change_max = may_change_max_current(change.facts());
    let checked = InstallationSettings::from_input(&input).and_then(|settings| {
        settings
            .change_allowed(&installation.settings, may_change_max)
            .map(|()| settings)
    });
    match checked {
        Ok(settings) => {
            app.store.update_settings(&change, &settings).await?;
            app.charging.rebalance(id);
            Ok(Redirect::to(&format!("/installations/{id}?saved=settings")).into_response())
        }
        Err(errors) => {
            let feedback = Feedback {
                settings: Some((input, errors)),
                ..Feedback::default()
            };
            let seen = change.also::<ViewInstallation>()?;
            let page = page(&app, &auth, installation, seen, feedback).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The Overview's charts: energy per local day over the last 30 days, average power per hour over
/// the last 24.
async fn overview_charts(
    app: &AppState,
    tr: Tr,
    installation: &Installation,
) -> Result<Vec<BarChart>, AppError> {
    let now = chrono::Utc::now();
    let zone = installation.time_zone;
    let days = Buckets::last_days(zone, now, 30);
    let energy = app
        .store
        .energy_by_bucket(installation.id, &HistoryFilter::default(), &days.bounds)
        .await?;
    let hours = last_hours(now, 24);
    let delivered = app
        .store
        .delivered_by_bucket(installation.id, &hours)
        .await?;
    Ok(vec![
        energy_chart(
            tr,
            "energy-chart",
            tr.t("chart-energy-title-days"),
            &days,
            &energy,
        ),
        power_chart(tr, "power-chart", zone, &hours, &delivered),
    ])
}

async fn update_time_zone(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    CsrfForm(input): CsrfForm<TimeZoneInput>,
) -> Result<Response, AppError> {
    let (installation, change) = app
        .installation::<ChangeSettings>(&auth.principal(), id)
        .await?;
    let mut errors = ValidationErrors::new();
    match errors.check("time_zone", Zone::parse(&input.time_zone)) {
        Some(zone) => {
            app.store.set_time_zone(&change, zone).await?;
            Ok(Redirect::to(&format!("/installations/{id}?saved=time-zone")).into_response())
        }
        None => {
            let feedback = Feedback {
                time_zone: Some((input, errors)),
                ..Feedback::default()
            };
            let seen = change.also::<ViewInstallation>()?;
            let page = page(&app, &auth, installation, seen, feedback).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// Shows the page again with what a refused form got wrong.
async fn refuse(
    app: &AppState,
    auth: &AuthUser,
    id: InstallationId,
    status: StatusCode,
    feedback: Feedback,
) -> Result<Response, AppError> {
    let (installation, seen) = app
        .installation::<ViewInstallation>(&auth.principal(), id)
        .await?;
    Ok((status, page(app, auth, installation, seen, feedback).await?).into_response())
}

/// Shows the page again with a message on the people form.
async fn member_problem(
    app: &AppState,
    auth: &AuthUser,
    id: InstallationId,
    input: MemberInput,
    status: StatusCode,
    field: &'static str,
    message: Message,
) -> Result<Response, AppError> {
    let mut errors = ValidationErrors::new();
    errors.add(field, message);
    refuse(
        app,
        auth,
        id,
        status,
        Feedback {
            member: Some((input, errors)),
            ..Feedback::default()
        },
    )
    .await
}

async fn set_member(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    CsrfForm(input): CsrfForm<MemberInput>,
) -> Result<Response, AppError> {
    let (_, manage) = app
        .installation::<ManageUsers>(&auth.principal(), id)
        .await?;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let role = match input.role.parse::<Role>() {
        Ok(role) => role,
        Err(e) => {
            return member_problem(&app, &auth, id, input, unprocessable, "role", e.into()).await
        }
    };
    let user = match accounts::account_named(app.store.as_ref(), &input.email).await? {
        Ok(user) => user,
        Err(message) => {
            return member_problem(&app, &auth, id, input, unprocessable, "email", message).await
        }
    };
    match app
        .store
        .set_installation_role(&manage, user.id, role)
        .await
    {
        Ok(()) => {
            app.events.publish(Event::AccessChanged {
                installation: id,
                user: user.id,
            });
            Ok(Redirect::to(&format!("/installations/{id}?saved=members")).into_response())
        }
        Err(StoreError::Refused(rule)) => {
            let status = refusal_status(rule);
            member_problem(&app, &auth, id, input, status, "role", rule.into()).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn remove_member(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    CsrfForm(input): CsrfForm<RemoveInput>,
) -> Result<Response, AppError> {
    let (_, manage) = app
        .installation::<ManageUsers>(&auth.principal(), id)
        .await?;
    let user: UserId = input
        .user_id
        .parse()
        .map_err(|_| AppError::BadRequest(voltgate_domain::Message::new("err-choose-person")))?;
    match app.store.remove_installation_role(&manage, user).await {
        Ok(()) => {
            app.events.publish(Event::AccessChanged {
                installation: id,
                user,
            });
            Ok(Redirect::to(&format!("/installations/{id}?saved=members")).into_response())
        }
        Err(StoreError::Refused(rule)) => {
            let status = refusal_status(rule);
            member_problem(
                &app,
                &auth,
                id,
                MemberInput::default(),
                status,
                "members",
                rule.into(),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// 409 when the last owner would go, 403 when the change is not the caller's to make.
fn refusal_status(rule: RoleChangeRefused) -> StatusCode {
    match rule {
        RoleChangeRefused::LastOwner(_) => StatusCode::CONFLICT,
        RoleChangeRefused::OwnersOnly | RoleChangeRefused::NotPermitted => StatusCode::FORBIDDEN,
    }
}

/// Whether `user` may hold an RFID token on the installation (see `authz::rules`).
async fn may_hold(app: &AppState, user: &User, id: InstallationId) -> Result<bool, AppError> {
    let facts = app
        .store
        .installation_for(&Principal::User(user.id), id)
        .await?;
    Ok(facts.is_some_and(|(_, access)| may_hold_id_tag(&access)))
}

async fn add_id_tag(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    CsrfForm(input): CsrfForm<TokenInput>,
) -> Result<Response, AppError> {
    let (_, manage) = app
        .installation::<ManageUsers>(&auth.principal(), id)
        .await?;
    let mut errors = ValidationErrors::new();
    let tag = errors.check("id_tag", IdTag::parse(&input.id_tag));
    let holder = match Email::parse(&input.email) {
        Ok(email) => app.store.user_by_email(&email).await?,
        Err(error) => {
            errors.add("token_email", error);
            None
        }
    };
    let holder = match holder {
        Some(user) if may_hold(&app, &user, id).await? => Some(user),
        Some(_) | None if errors.get("token_email").is_none() => {
            errors.add("token_email", Message::new("err-token-holder"));
            None
        }
        _ => None,
    };
    match (tag, holder) {
        (Some(tag), Some(holder)) => {
            app.store
                .add_id_tag(&manage, tag.as_str(), holder.id)
                .await?;
            Ok(Redirect::to(&format!("/installations/{id}?saved=tokens")).into_response())
        }
        _ => {
            let feedback = Feedback {
                token: Some((input, errors)),
                ..Feedback::default()
            };
            refuse(&app, &auth, id, StatusCode::UNPROCESSABLE_ENTITY, feedback).await
        }
    }
}

async fn remove_id_tag(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    CsrfForm(input): CsrfForm<TokenInput>,
) -> Result<Response, AppError> {
    let (_, manage) = app
        .installation::<ManageUsers>(&auth.principal(), id)
        .await?;
    let tag = IdTag::parse(&input.id_tag).map_err(|_| AppError::NotFound)?;
    app.store.remove_id_tag(&manage, tag.as_str()).await?;
    Ok(Redirect::to(&format!("/installations/{id}?saved=tokens")).into_response())
}
