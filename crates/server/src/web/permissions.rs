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
        format!("Permissions · {}", installation.name),
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
    let layout = Layout::new(&app, &auth.visit, Some(&auth.user), "Revoke access").await?;
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
}

impl AuditPage {
    /// The event in a few words, for the template.
    fn describe(&self, event: &AuditEvent) -> String {
        describe(event)
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
    let page =
        match query.page.as_deref() {
            None | Some("") => 1,
            Some(raw) => raw.parse::<i64>().ok().filter(|p| *p >= 1).ok_or_else(|| {
                AppError::BadRequest("page must be a whole number from 1.".into())
            })?,
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
        format!("Audit log · {}", installation.name),
    )
    .await?;
    Ok(AuditPage {
        layout,
        installation,
        events,
        total,
        page,
        pages,
    }
    .into_response())
}

/// What an audit event says, in a few words.
fn describe(event: &AuditEvent) -> String {
    let detail = &event.detail;
    let text = |key: &str| detail[key].as_str().unwrap_or("?").to_owned();
    match event.kind.as_str() {
        "installation_created" => format!("Created the installation “{}”", text("name")),
        "settings_changed" => format!(
            "Changed settings from {} to {}",
            detail["before"], detail["after"]
        ),
        "role_set" => format!("Gave {} the role {}", text("email"), text("role")),
        "role_removed" => format!("Removed {} (was {})", text("email"), text("previous")),
        "access_approved" => format!(
            "Approved access for 👥 {} ({})",
            text("group_name"),
            text("lookup_key")
        ),
        "access_denied" => format!(
            "Denied access to 👥 {} ({})",
            text("group_name"),
            text("lookup_key")
        ),
        "access_revoked" => format!(
            "Revoked the access of 👥 {} ({})",
            text("group_name"),
            text("lookup_key")
        ),
        other => other.replace('_', " "),
    }
}
