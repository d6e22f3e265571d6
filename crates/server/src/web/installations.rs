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
use voltgate_domain::settings::{AvailableCurrent, InstallationSettings, SettingsInput};
use voltgate_domain::{
    Action, Email, GroupId, InstallationAccess, InstallationId, Resource, Role, UserId,
    ValidationErrors,
};
use voltgate_store::{
    Actor, Charger, ConnectorState, Installation, InstallationMember, RunningSession, StoreError,
    User,
};

use super::chargers::session_label;
use super::layout::Layout;
use super::session::{AuthUser, CsrfForm, PathId};
use crate::accounts;
use crate::error::AppError;
use crate::installations::InstallationInput;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/installations", get(list).post(create))
        .route("/installations/{id}", get(show))
        .route("/installations/{id}/settings", post(update_settings))
        .route("/installations/{id}/members", post(set_member))
        .route("/installations/{id}/members/remove", post(remove_member))
        .route("/installations/{id}/id-tags", post(add_id_tag))
        .route("/installations/{id}/id-tags/remove", post(remove_id_tag))
}

#[derive(Template, WebTemplate)]
#[template(path = "installations.html")]
struct InstallationsPage {
    layout: Layout,
    installations: Vec<(Installation, InstallationAccess)>,
    group_names: HashMap<GroupId, String>,
    form: InstallationInput,
    errors: ValidationErrors,
}

async fn list_page(
    app: &AppState,
    auth: &AuthUser,
    form: InstallationInput,
    errors: ValidationErrors,
) -> Result<InstallationsPage, AppError> {
    let installations = app.visible_installations(&auth.user).await?;
    let group_names = app.group_names(&auth.user).await?;
    let layout = Layout::new(app, &auth.visit, Some(&auth.user), "Installations").await?;
    Ok(InstallationsPage {
        layout,
        installations,
        group_names,
        form,
        errors,
    })
}

async fn list(State(app): State<AppState>, auth: AuthUser) -> Result<Response, AppError> {
    let form = InstallationInput {
        installation_type: "go".into(),
        ..InstallationInput::default()
    };
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
                .create_installation(auth.user.id, &new, Actor::User(auth.user.id))
                .await?;
            Ok(Redirect::to(&format!("/installations/{}", installation.id)).into_response())
        }
        Err(errors) => {
            let page = list_page(&app, &auth, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

impl InstallationsPage {
    /// The groups through which the user reaches an installation, by name.
    fn via(&self, access: &InstallationAccess) -> String {
        let names: Vec<&str> = access
            .via_groups
            .iter()
            .filter_map(|id| self.group_names.get(id))
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
    can_manage_users: bool,
    settings: SettingsView,
    settings_errors: ValidationErrors,
    members: Vec<InstallationMember>,
    /// Chargers with their connectors' state and whether they are connected now.
    chargers: Vec<(Charger, Vec<ConnectorState>, bool)>,
    no_errors: ValidationErrors,
    /// Sessions charging now.
    running: Vec<RunningSession>,
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
}

impl InstallationPage {
    fn session(&self, charger: &Charger, connector: &ConnectorState) -> Option<String> {
        session_label(&self.running, charger, connector)
    }
}

/// What a submitted form changes about the page when it is shown again.
#[derive(Default)]
struct Feedback {
    settings: Option<(SettingsInput, ValidationErrors)>,
    member: Option<(MemberInput, ValidationErrors)>,
    token: Option<(TokenInput, ValidationErrors)>,
    notice: Option<&'static str>,
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
    access: InstallationAccess,
    feedback: Feedback,
) -> Result<InstallationPage, AppError> {
    let can = |action| app.may(&auth.user, action, Resource::Installation(&access));
    let (can_change_settings, can_manage_users) =
        (can(Action::ChangeSettings), can(Action::ManageUsers));
    let members = app.store.installation_members(installation.id).await?;
    let chargers = app
        .store
        .chargers(installation.id)
        .await?
        .into_iter()
        .map(|(charger, connectors)| {
            let online = app.registry.is_online(&charger.identity);
            (charger, connectors, online)
        })
        .collect();
    let names = app.group_names(&auth.user).await?;
    let via_groups = access
        .via_groups
        .iter()
        .filter_map(|id| names.get(id).cloned())
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
    let id_tags = if can_manage_users {
        app.store.id_tags(installation.id).await?
    } else {
        Vec::new()
    };
    let layout = Layout::new(
        app,
        &auth.visit,
        Some(&auth.user),
        installation.name.clone(),
    )
    .await?;
    Ok(InstallationPage {
        layout,
        role: access.role,
        via_groups,
        can_manage: can(Action::ManagePermissions),
        installation,
        can_change_settings,
        can_manage_users,
        settings,
        settings_errors,
        members,
        chargers,
        no_errors: ValidationErrors::new(),
        id_tags,
        running,
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
    let (installation, access) = app
        .installation(&auth.user, id, Action::ViewInstallation)
        .await?;
    let notice = match query.saved.as_deref() {
        Some("settings") => Some("Settings saved."),
        Some("members") => Some("People updated."),
        Some("tokens") => Some("RFID tokens updated."),
        _ => None,
    };
    Ok(page(
        &app,
        &auth,
        installation,
        access,
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
    let (installation, access) = app
        .installation(&auth.user, id, Action::ChangeSettings)
        .await?;
    match InstallationSettings::from_input(&input) {
        Ok(settings) => {
            app.store
                .update_settings(id, &settings, Actor::User(auth.user.id))
                .await?;
            app.charging.rebalance(id);
            Ok(Redirect::to(&format!("/installations/{id}?saved=settings")).into_response())
        }
        Err(errors) => {
            let feedback = Feedback {
                settings: Some((input, errors)),
                ..Feedback::default()
            };
            let page = page(&app, &auth, installation, access, feedback).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// Shows the page again with a message on the people form.
/// Shows the page again with what a refused form got wrong.
async fn refuse(
    app: &AppState,
    auth: &AuthUser,
    id: InstallationId,
    status: StatusCode,
    feedback: Feedback,
) -> Result<Response, AppError> {
    let (installation, access) = app
        .installation(&auth.user, id, Action::ViewInstallation)
        .await?;
    Ok((
        status,
        page(app, auth, installation, access, feedback).await?,
    )
        .into_response())
}

/// Shows the page again with a message on the people form.
async fn member_problem(
    app: &AppState,
    auth: &AuthUser,
    id: InstallationId,
    input: MemberInput,
    status: StatusCode,
    field: &'static str,
    message: String,
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
    app.installation(&auth.user, id, Action::ManageUsers)
        .await?;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let role = match input.role.parse::<Role>() {
        Ok(role) => role,
        Err(e) => {
            return member_problem(&app, &auth, id, input, unprocessable, "role", e.to_string())
                .await
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
        .set_installation_role(id, user.id, role, Actor::User(auth.user.id))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/installations/{id}?saved=members")).into_response()),
        Err(StoreError::LastOwner(rule)) => {
            member_problem(
                &app,
                &auth,
                id,
                input,
                StatusCode::CONFLICT,
                "role",
                rule.to_string(),
            )
            .await
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
    app.installation(&auth.user, id, Action::ManageUsers)
        .await?;
    let user: UserId = input
        .user_id
        .parse()
        .map_err(|_| AppError::BadRequest("Choose a person to remove.".into()))?;
    match app
        .store
        .remove_installation_role(id, user, Actor::User(auth.user.id))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/installations/{id}?saved=members")).into_response()),
        Err(StoreError::LastOwner(rule)) => {
            let status = StatusCode::CONFLICT;
            member_problem(
                &app,
                &auth,
                id,
                MemberInput::default(),
                status,
                "members",
                rule.to_string(),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// Whether `raw` is an OCPP IdToken: 1 to 20 printable ASCII characters.
fn parse_id_tag(raw: &str) -> Result<&str, &'static str> {
    let tag = raw.trim();
    let printable = tag.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if tag.is_empty() || tag.len() > 20 || !printable {
        return Err("An RFID token has 1 to 20 printable characters, as the charger reports it.");
    }
    Ok(tag)
}

async fn add_id_tag(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    CsrfForm(input): CsrfForm<TokenInput>,
) -> Result<Response, AppError> {
    app.installation(&auth.user, id, Action::ManageUsers)
        .await?;
    let mut errors = ValidationErrors::new();
    let tag = errors
        .check("id_tag", parse_id_tag(&input.id_tag))
        .map(str::to_owned);
    let holder = match Email::parse(&input.email) {
        Ok(email) => app.store.user_by_email(&email).await?,
        Err(error) => {
            errors.add("token_email", error);
            None
        }
    };
    let holder = match holder {
        Some(user)
            if app
                .installation(&user, id, Action::ViewInstallation)
                .await
                .is_ok() =>
        {
            Some(user)
        }
        Some(_) | None if errors.get("token_email").is_none() => {
            errors.add(
                "token_email",
                "Tokens belong to people with access to this installation.",
            );
            None
        }
        _ => None,
    };
    match (tag, holder) {
        (Some(tag), Some(holder)) => {
            app.store
                .add_id_tag(id, &tag, holder.id, Actor::User(auth.user.id))
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
    app.installation(&auth.user, id, Action::ManageUsers)
        .await?;
    app.store
        .remove_id_tag(id, input.id_tag.trim(), Actor::User(auth.user.id))
        .await?;
    Ok(Redirect::to(&format!("/installations/{id}?saved=tokens")).into_response())
}
