//! User groups: the list, a group's Details (lookup key, members, return URLs) and its management.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use voltgate_domain::authz::{LeaveGroup, ManageGroup, ViewGroup, ViewInstallation};
use voltgate_domain::{Action, Authorized, GroupId, GroupRole, Message, UserId, ValidationErrors};
use voltgate_store::{Group, GroupMember, Installation, StoreError};

use super::layout::Layout;
use super::session::{AuthUser, CsrfForm, NoFields, PathId};
use crate::accounts;
use crate::error::AppError;
use crate::groups::{self, parse_return_urls, GroupInput, GroupRefused};
use crate::lookup_keys::with_fresh_key;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups", get(list).post(create))
        .route("/groups/{id}", get(show))
        .route("/groups/{id}/members", post(set_member))
        .route("/groups/{id}/members/remove", post(remove_member))
        .route("/groups/{id}/leave", post(leave))
        .route(
            "/groups/{id}/lookup-key",
            get(confirm_rotate).post(rotate_key),
        )
        .route("/groups/{id}/return-urls", post(set_return_urls))
        .route("/groups/{id}/details", post(set_details))
}

#[derive(Template, WebTemplate)]
#[template(path = "groups.html")]
struct GroupsPage {
    layout: Layout,
    groups: Vec<(Group, GroupRole)>,
    form: GroupInput,
    errors: ValidationErrors,
}

async fn list_page(
    app: &AppState,
    auth: &AuthUser,
    form: GroupInput,
    errors: ValidationErrors,
) -> Result<GroupsPage, AppError> {
    let groups = app.store.groups_for(auth.user.id).await?;
    let layout = Layout::new(
        app,
        &auth.visit,
        Some(&auth.user),
        crate::i18n::Tr(auth.visit.lang).t("nav-groups"),
    )
    .await?;
    Ok(GroupsPage {
        layout,
        groups,
        form,
        errors,
    })
}

async fn list(State(app): State<AppState>, auth: AuthUser) -> Result<Response, AppError> {
    Ok(
        list_page(&app, &auth, GroupInput::default(), ValidationErrors::new())
            .await?
            .into_response(),
    )
}

async fn create(
    State(app): State<AppState>,
    auth: AuthUser,
    CsrfForm(form): CsrfForm<GroupInput>,
) -> Result<Response, AppError> {
    let created = match form.parse() {
        Ok(new) => groups::create(app.store.as_ref(), &auth.user, &new, &auth.principal()).await,
        Err(errors) => Err(GroupRefused::Invalid(errors)),
    };
    match created {
        Ok(group) => Ok(Redirect::to(&format!("/groups/{}", group.id)).into_response()),
        Err(GroupRefused::Failed(error)) => Err(error.into()),
        Err(GroupRefused::Invalid(errors)) => {
            let page = list_page(&app, &auth, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "group.html")]
struct GroupPage {
    layout: Layout,
    /// The full access link partners send to installation owners, with the builder's parameters.
    access_link: String,
    link: LinkParts,
    group: Group,
    role: Option<GroupRole>,
    can_manage: bool,
    members: Vec<GroupMember>,
    /// Installations the group has access to (those this user can see).
    installations: Vec<Installation>,
    member_email: String,
    member_owner: bool,
    return_urls: String,
    /// The details form: the group's as stored, or as typed when refused.
    details: GroupInput,
    /// The details form opens by itself when it was refused.
    details_open: bool,
    errors: ValidationErrors,
    notice: Option<&'static str>,
}

/// What a refused form changes about the page when it is shown again.
#[derive(Default)]
struct Feedback {
    member_email: String,
    member_owner: bool,
    return_urls: Option<String>,
    details: Option<GroupInput>,
    errors: ValidationErrors,
    notice: Option<&'static str>,
    link: LinkParts,
}

async fn page(
    app: &AppState,
    auth: &AuthUser,
    group: Group,
    seen: Authorized<ViewGroup>,
    feedback: Feedback,
) -> Result<GroupPage, AppError> {
    let can_manage = seen.may(Action::ManageGroup);
    let members = app.store.group_members(&seen).await?;
    let mut installations = Vec::new();
    for id in app.store.group_grants(group.id).await? {
        if let Ok((installation, _)) = app
            .installation::<ViewInstallation>(&auth.principal(), id)
            .await
        {
            installations.push(installation);
        }
    }
    let layout = Layout::new(app, &auth.visit, Some(&auth.user), group.name.clone()).await?;
    Ok(GroupPage {
        layout,
        access_link: feedback.link.link(
            &format!(
                "{}/access/request/{}",
                app.public_url.trim_end_matches('/'),
                group.lookup_key
            ),
            &group,
        ),
        link: feedback.link.clone(),
        role: seen.facts().role,
        can_manage,
        members,
        installations,
        member_email: feedback.member_email,
        member_owner: feedback.member_owner,
        return_urls: feedback
            .return_urls
            .unwrap_or_else(|| group.return_urls.join("\n")),
        details_open: feedback.details.is_some(),
        details: feedback.details.unwrap_or_else(|| GroupInput::of(&group)),
        errors: feedback.errors,
        notice: feedback.notice,
        group,
    })
}

async fn refused(
    app: &AppState,
    auth: &AuthUser,
    id: GroupId,
    status: StatusCode,
    mut feedback: Feedback,
    field: &'static str,
    message: Message,
) -> Result<Response, AppError> {
    let (group, seen) = app.group::<ViewGroup>(&auth.principal(), id).await?;
    feedback.errors.add(field, message);
    Ok((status, page(app, auth, group, seen, feedback).await?).into_response())
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
    /// The link builder's fields.
    #[serde(flatten)]
    link: LinkParts,
}

/// What the small link builder on the group page puts into an access link.
#[derive(Deserialize, Default, Clone)]
pub(super) struct LinkParts {
    #[serde(default, rename = "partnerName")]
    partner_name: String,
    #[serde(default)]
    lang: String,
    #[serde(default, rename = "installationId")]
    installation_id: String,
    #[serde(default)]
    installationtype: String,
    #[serde(default, rename = "returnUrl")]
    return_url: String,
    #[serde(default, rename = "showExisting")]
    show_existing: String,
}

impl LinkParts {
    /// The access link with the parameters that are filled in; a return address only when the group
    /// registered it, a language only when voltgate speaks it.
    fn link(&self, base: &str, group: &Group) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let partner = self.partner_name.trim();
        if !partner.is_empty() {
            pairs.push(("partnerName", partner.to_owned()));
        }
        if let Some(lang) = crate::i18n::Lang::parse(&self.lang) {
            pairs.push(("lang", lang.code().to_owned()));
        }
        if let Ok(id) = self
            .installation_id
            .trim()
            .parse::<voltgate_domain::InstallationId>()
        {
            pairs.push(("installationId", id.to_string()));
        }
        if matches!(self.installationtype.as_str(), "0" | "1") {
            pairs.push(("installationtype", self.installationtype.clone()));
        }
        if group
            .return_urls
            .iter()
            .any(|u| u.as_str() == self.return_url)
        {
            pairs.push(("returnUrl", self.return_url.clone()));
        }
        if self.show_existing == "true" {
            pairs.push(("showExisting", "true".to_owned()));
        }
        if pairs.is_empty() {
            return base.to_owned();
        }
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }
}

async fn show(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let (group, seen) = app.group::<ViewGroup>(&auth.principal(), id).await?;
    let notice = match query.saved.as_deref() {
        Some("members") => Some("notice-members"),
        Some("key") => Some("notice-key"),
        Some("urls") => Some("notice-return-urls"),
        Some("details") => Some("notice-group-details"),
        _ => None,
    };
    Ok(page(
        &app,
        &auth,
        group,
        seen,
        Feedback {
            notice,
            link: query.link,
            ..Feedback::default()
        },
    )
    .await?
    .into_response())
}

#[derive(Deserialize, Default)]
struct MemberInput {
    #[serde(default)]
    email: String,
    /// A checkbox: present means owner.
    #[serde(default)]
    owner: Option<String>,
}

async fn set_member(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
    CsrfForm(input): CsrfForm<MemberInput>,
) -> Result<Response, AppError> {
    let (_, manage) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    let role = if input.owner.is_some() {
        GroupRole::Owner
    } else {
        GroupRole::Member
    };
    let feedback = Feedback {
        member_email: input.email.clone(),
        member_owner: role == GroupRole::Owner,
        ..Feedback::default()
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let user = match accounts::account_named(app.store.as_ref(), &input.email).await? {
        Ok(user) => user,
        Err(message) => {
            return refused(&app, &auth, id, unprocessable, feedback, "email", message).await
        }
    };
    match app.store.set_group_role(&manage, user.id, role).await {
        Ok(()) => Ok(Redirect::to(&format!("/groups/{id}?saved=members")).into_response()),
        Err(StoreError::Refused(rule)) => {
            refused(
                &app,
                &auth,
                id,
                StatusCode::CONFLICT,
                feedback,
                "members",
                rule.into(),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
struct RemoveInput {
    #[serde(default)]
    user_id: String,
}

/// After removing `user` from the group (or them leaving it): back to the group, or to the list when
/// one left; the last owner stays.
async fn removed(
    app: &AppState,
    auth: &AuthUser,
    id: GroupId,
    user: UserId,
    outcome: Result<(), StoreError>,
) -> Result<Response, AppError> {
    match outcome {
        Ok(()) if user == auth.user.id => Ok(Redirect::to("/groups").into_response()),
        Ok(()) => Ok(Redirect::to(&format!("/groups/{id}?saved=members")).into_response()),
        Err(StoreError::Refused(rule)) => {
            refused(
                app,
                auth,
                id,
                StatusCode::CONFLICT,
                Feedback::default(),
                "members",
                rule.into(),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn remove_member(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
    CsrfForm(input): CsrfForm<RemoveInput>,
) -> Result<Response, AppError> {
    let (_, manage) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    let user: UserId = input
        .user_id
        .parse()
        .map_err(|_| AppError::BadRequest(voltgate_domain::Message::new("err-choose-member")))?;
    let outcome = app.store.remove_group_member(&manage, user).await;
    removed(&app, &auth, id, user, outcome).await
}

async fn leave(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let (_, leave) = app.group::<LeaveGroup>(&auth.principal(), id).await?;
    let outcome = app.store.leave_group(&leave).await;
    removed(&app, &auth, id, auth.user.id, outcome).await
}

#[derive(Template, WebTemplate)]
#[template(path = "rotate_key.html")]
struct RotateKeyPage {
    layout: Layout,
    group: Group,
}

/// "Make a new lookup key?": every link already sent stops working.
async fn confirm_rotate(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
) -> Result<Response, AppError> {
    let (group, _) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    let title = crate::i18n::Tr(auth.visit.lang).t("key-new");
    let layout = Layout::new(&app, &auth.visit, Some(&auth.user), title).await?;
    Ok(RotateKeyPage { layout, group }.into_response())
}

async fn rotate_key(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let (_, manage) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    let (store, manage) = (app.store.as_ref(), &manage);
    with_fresh_key(|key| async move { store.rotate_lookup_key(manage, &key).await }).await?;
    Ok(Redirect::to(&format!("/groups/{id}?saved=key")).into_response())
}

#[derive(Deserialize, Default)]
struct ReturnUrlsInput {
    #[serde(default)]
    return_urls: String,
}

async fn set_return_urls(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
    CsrfForm(input): CsrfForm<ReturnUrlsInput>,
) -> Result<Response, AppError> {
    let (_, manage) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    match parse_return_urls(input.return_urls.lines()) {
        Ok(urls) => {
            app.store.set_return_urls(&manage, &urls).await?;
            Ok(Redirect::to(&format!("/groups/{id}?saved=urls")).into_response())
        }
        Err(message) => {
            let feedback = Feedback {
                return_urls: Some(input.return_urls),
                ..Feedback::default()
            };
            refused(
                &app,
                &auth,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                feedback,
                "return_urls",
                message,
            )
            .await
        }
    }
}

async fn set_details(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
    CsrfForm(input): CsrfForm<GroupInput>,
) -> Result<Response, AppError> {
    let (group, manage) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    let errors = match input.details() {
        Ok(details) => match app.store.set_group_details(&manage, &details).await {
            Ok(()) => {
                return Ok(Redirect::to(&format!("/groups/{id}?saved=details")).into_response())
            }
            Err(StoreError::Conflict("name")) => {
                let mut errors = ValidationErrors::new();
                errors.add("name", Message::new("err-group-name-taken"));
                errors
            }
            Err(other) => return Err(other.into()),
        },
        Err(errors) => errors,
    };
    let (_, seen) = app.group::<ViewGroup>(&auth.principal(), id).await?;
    let feedback = Feedback {
        details: Some(input),
        errors,
        ..Feedback::default()
    };
    let page = page(&app, &auth, group, seen, feedback).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
