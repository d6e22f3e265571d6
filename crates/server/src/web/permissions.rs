//! An installation's Permissions tab (who has access, revocation) and its audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use voltgate_domain::authz::rules::sees_grant;
use voltgate_domain::authz::RevokeGrant;
use voltgate_domain::authz::{ManagePermissions, ViewInstallation, ViewPeople};
use voltgate_domain::{Action, Authorized, GroupId, InstallationId};
use voltgate_store::{AuditEvent, GroupGrant, Installation, InstallationMember, StoreError};

use super::layout::Layout;
use super::session::{AuthUser, CsrfForm, NoFields, PathId};
use crate::error::AppError;
use crate::events::Event;
use crate::i18n::Tr;
use crate::state::AppState;

/// Audit events per page.
const AUDIT_PAGE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/installations/{id}/permissions", get(permissions))
        .route(
            "/installations/{id}/permissions/groups/{group}/revoke",
            get(confirm_revoke).post(revoke),
        )
        .route("/installations/{id}/audit", get(audit))
}

#[derive(Template, WebTemplate)]
#[template(path = "permissions.html")]
struct PermissionsPage {
    layout: Layout,
    installation: Installation,
    can_manage: bool,
    members: Vec<InstallationMember>,
    grants: Vec<GroupGrant>,
    /// Groups whose access this user may end: all for owners/admins, else the groups they own.
    revocable: Vec<GroupId>,
    notice: bool,
}

#[derive(Deserialize, Default)]
struct PermissionsQuery {
    #[serde(default)]
    revoked: Option<String>,
}

async fn permissions(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    Query(query): Query<PermissionsQuery>,
) -> Result<Response, AppError> {
    let (installation, seen) = app
        .installation::<ViewInstallation>(&auth.principal(), id)
        .await?;
    let can_manage = seen.may(Action::ManagePermissions);
    let grants: Vec<GroupGrant> = app
        .store
        .installation_grants(id)
        .await?
        .into_iter()
        .filter(|grant| sees_grant(seen.facts(), grant.group.id))
        .collect();
    let members = match seen.also::<ViewPeople>() {
        Ok(people) => app.store.installation_members(&people).await?,
        Err(_) => Vec::new(),
    };
    let mut revocable = Vec::new();
    for grant in &grants {
        let revocation = app.revocation(&auth.principal(), id, grant.group.id).await;
        if revocation.is_ok() {
            revocable.push(grant.group.id);
        }
    }
    let layout = Layout::new(
        &app,
        &auth.visit,
        Some(&auth.user),
        format!(
            "{} · {}",
            crate::i18n::Tr(auth.visit.lang).t("tab-permissions"),
            installation.name
        ),
    )
    .await?;
    let notice = query.revoked.is_some();
    Ok(PermissionsPage {
        layout,
        installation,
        can_manage,
        members,
        grants,
        revocable,
        notice,
    }
    .into_response())
}

/// The installation and grant of a revocation, with the capability to revoke it.
async fn revocation(
    app: &AppState,
    auth: &AuthUser,
    ids: (String, String),
) -> Result<(Installation, GroupGrant, Authorized<RevokeGrant>), AppError> {
    let id: InstallationId = ids.0.parse().map_err(|_| AppError::NotFound)?;
    let group: GroupId = ids.1.parse().map_err(|_| AppError::NotFound)?;
    let (installation, _, revoke) = app.revocation(&auth.principal(), id, group).await?;
    let grant = app
        .store
        .installation_grants(id)
        .await?
        .into_iter()
        .find(|g| g.group.id == group);
    Ok((installation, grant.ok_or(AppError::NotFound)?, revoke))
}

#[derive(Template, WebTemplate)]
#[template(path = "revoke.html")]
struct RevokePage {
    layout: Layout,
    installation: Installation,
    grant: GroupGrant,
}

async fn confirm_revoke(
    State(app): State<AppState>,
    auth: AuthUser,
    Path(ids): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (installation, grant, _) = revocation(&app, &auth, ids).await?;
    let layout = Layout::new(
        &app,
        &auth.visit,
        Some(&auth.user),
        crate::i18n::Tr(auth.visit.lang).t("revoke-button"),
    )
    .await?;
    Ok(RevokePage {
        layout,
        installation,
        grant,
    }
    .into_response())
}

async fn revoke(
    State(app): State<AppState>,
    auth: AuthUser,
    Path(ids): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let (installation, grant, revoke) = revocation(&app, &auth, ids).await?;
    match app.store.revoke_access(&revoke).await {
        Ok(()) => app.events.publish(Event::AccessRevoked {
            installation: installation.id,
            group: grant.group.id,
        }),
        Err(StoreError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    let still_visible = app
        .installation::<ViewInstallation>(&auth.principal(), installation.id)
        .await
        .is_ok();
    let to = if still_visible {
        format!("/installations/{}/permissions?revoked=1", installation.id)
    } else {
        format!("/groups/{}", grant.group.id)
    };
    Ok(Redirect::to(&to).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    installation: Installation,
    events: Vec<AuditEvent>,
    total: i64,
    page: i64,
    pages: i64,
    /// Names of the groups that hold access, for "through 👥 Acme Charging".
    group_names: std::collections::HashMap<GroupId, String>,
}

impl AuditPage {
    /// "through 👥 Acme Charging" when the actor acted through a group's grant.
    fn through(&self, event: &AuditEvent) -> Option<String> {
        let group = event.group?;
        let name = self
            .group_names
            .get(&group)
            .cloned()
            .or_else(|| event.detail["group_name"].as_str().map(str::to_owned))?;
        Some(self.layout.tr.with("through-groups", &[("groups", &name)]))
    }

    /// The event in a few words, for the template.
    fn describe(&self, event: &AuditEvent) -> String {
        describe(self.layout.tr, event)
    }

    fn total_usize(&self) -> usize {
        usize::try_from(self.total).unwrap_or_default()
    }

    fn outcome(&self, event: &AuditEvent) -> String {
        outcome_of(self.layout.tr, event)
    }
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    page: Option<String>,
}

async fn audit(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let (installation, manage) = app
        .installation::<ManagePermissions>(&auth.principal(), id)
        .await?;
    let page = match query.page.as_deref() {
        None | Some("") => 1,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| AppError::BadRequest(voltgate_domain::Message::new("err-page")))?,
    };
    let total = app.store.installation_audit_count(&manage).await?;
    let pages = ((total + AUDIT_PAGE - 1) / AUDIT_PAGE).max(1);
    let events = app
        .store
        .installation_audit(&manage, AUDIT_PAGE, (page - 1).saturating_mul(AUDIT_PAGE))
        .await?;
    let layout = Layout::new(
        &app,
        &auth.visit,
        Some(&auth.user),
        format!(
            "{} · {}",
            crate::i18n::Tr(auth.visit.lang).t("tab-audit"),
            installation.name
        ),
    )
    .await?;
    let group_names = app
        .store
        .installation_grants(installation.id)
        .await?
        .into_iter()
        .map(|grant| (grant.group.id, grant.group.name))
        .collect();
    Ok(AuditPage {
        layout,
        group_names,
        installation,
        events,
        total,
        page,
        pages,
    }
    .into_response())
}

/// What an audit event says, in a sentence in the reader's language.
fn describe(tr: Tr, event: &AuditEvent) -> String {
    let detail = &event.detail;
    let text = |key: &str| detail[key].as_str().unwrap_or("?").to_owned();
    let group = || format!("{} ({})", text("group_name"), text("lookup_key"));
    match event.kind.as_str() {
        "installation_created" => tr.with("audit-installation-created", &[("name", &text("name"))]),
        "settings_changed" => tr.t("audit-settings-changed"),
        "time_zone_changed" => tr.with(
            "audit-time-zone-changed",
            &[("before", &text("before")), ("after", &text("after"))],
        ),
        "role_set" => tr.with(
            "audit-role-set",
            &[("email", &text("email")), ("role", &text("role"))],
        ),
        "role_removed" => tr.with(
            "audit-role-removed",
            &[("email", &text("email")), ("role", &text("previous"))],
        ),
        "access_approved" => tr.with("audit-access-approved", &[("group", &group())]),
        "access_denied" => tr.with("audit-access-denied", &[("group", &group())]),
        "access_revoked" => tr.with("audit-access-revoked", &[("group", &group())]),
        "charger_added" => tr.with("audit-charger-added", &[("charger", &text("charger_name"))]),
        "charger_password_changed" => tr.with(
            "audit-charger-password",
            &[("charger", &text("charger_name"))],
        ),
        "charger_command" => {
            let command = match text("command").as_str() {
                "RemoteStartTransaction" => "audit-cmd-start",
                "RemoteStopTransaction" => "audit-cmd-stop",
                "Pause" => "audit-cmd-pause",
                "Resume" => "audit-cmd-resume",
                "EndSession" => "audit-cmd-end",
                "UnlockConnector" => "audit-cmd-unlock",
                "Reset" => "audit-cmd-restart",
                "ChangeAvailability" => "audit-cmd-availability",
                "ChangeConfiguration" => "audit-cmd-configure",
                "GetConfiguration" => "audit-cmd-read-configuration",
                "TriggerMessage" => "audit-cmd-refresh",
                _ => "audit-cmd-other",
            };
            let connector = detail["request"]["connectorId"]
                .as_i64()
                .map(|n| n.to_string())
                .unwrap_or_else(|| "—".into());
            tr.with(
                command,
                &[
                    ("charger", &text("charger_name")),
                    ("connector", &connector),
                    ("key", detail["request"]["key"].as_str().unwrap_or("?")),
                    ("command", &text("command")),
                ],
            )
        }
        _ => tr.t("audit-other"),
    }
}

/// The outcome of a charger command as the audit log stored it: Accepted, Rejected or no answer.
fn outcome_of(tr: Tr, event: &AuditEvent) -> String {
    if event.kind != "charger_command" {
        return String::new();
    }
    match event.detail["outcome"].as_str() {
        None => tr.t("audit-outcome-none"),
        Some(said) if said.contains("Rejected") || said.contains("rejected") => {
            tr.t("audit-outcome-rejected")
        }
        Some(said) if said.starts_with("No result") => tr.t("audit-outcome-none"),
        Some(_) => tr.t("audit-outcome-accepted"),
    }
}
