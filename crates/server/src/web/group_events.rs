//! A group's audit log for its owners (`/groups/{id}/events`, paged): what was changed on the group,
//! and what was done on installations through it or about its access.

use std::collections::{HashMap, HashSet};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use voltgate_domain::authz::{ManageGroup, ViewGroup, ViewInstallation};
use voltgate_domain::{GroupId, InstallationId, UserId};
use voltgate_store::{AuditEvent, Group};

use super::layout::Layout;
use super::session::{AuthUser, PathId};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;

/// Events per page.
const PAGE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/groups/{id}/events", get(events))
}

#[derive(Template, WebTemplate)]
#[template(path = "group_events.html")]
struct EventsPage {
    layout: Layout,
    group: Group,
    rows: Vec<EventRow>,
    total: usize,
    page: i64,
    pages: i64,
}

impl EventsPage {
    /// How many events the log holds.
    fn count(&self) -> usize {
        self.total
    }
}

/// One event as the page shows it.
struct EventRow {
    at: String,
    /// Who acted: a member's e-mail, a service account, the operator; people outside the group are
    /// not named.
    who: String,
    /// The installation it was about, when the reader can still see it.
    installation: Option<(InstallationId, String)>,
    what: String,
}

#[derive(Deserialize, Default)]
struct EventsQuery {
    #[serde(default)]
    page: Option<String>,
}

/// Who did it, as a group owner may learn it.
fn who(tr: Tr, event: &AuditEvent, members: &HashSet<UserId>) -> String {
    if let Some(service) = event.detail["actor"].as_str() {
        return service.to_owned();
    }
    match (event.actor, &event.actor_email) {
        (Some(actor), Some(email)) if members.contains(&actor) => email.clone(),
        (Some(_), Some(_)) => tr.t("audit-outside-group"),
        (None, _) if event.detail["via"].is_string() => tr.t("audit-operator"),
        _ => tr.t("audit-removed-account"),
    }
}

async fn events(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
    Query(query): Query<EventsQuery>,
) -> Result<Response, AppError> {
    let (group, manage) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    let page = super::page_number(query.page.as_deref())?;
    let total = app.store.group_audit_count(&manage).await?;
    let pages = super::page_count(total, PAGE);
    let events = app
        .store
        .group_audit(&manage, PAGE, (page - 1).saturating_mul(PAGE))
        .await?;
    let members: HashSet<UserId> = app
        .store
        .group_members(&manage.also::<ViewGroup>()?)
        .await?
        .into_iter()
        .map(|member| member.user.id)
        .collect();
    let mut names: HashMap<InstallationId, String> = HashMap::new();
    for installation in app.store.group_grants(group.id).await? {
        if let Ok((seen, _)) = app
            .installation::<ViewInstallation>(&auth.principal(), installation)
            .await
        {
            names.insert(seen.id, seen.name);
        }
    }
    let tr = Tr(auth.visit.lang);
    let rows = events
        .iter()
        .map(|event| EventRow {
            at: event.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            who: who(tr, event, &members),
            installation: event
                .installation
                .and_then(|id| names.get(&id).map(|name| (id, name.clone()))),
            what: super::permissions::describe(tr, event),
        })
        .collect();
    let layout = Layout::new(
        &app,
        &auth.visit,
        Some(&auth.user),
        format!("{} · {}", tr.t("tab-audit"), group.name),
    )
    .await?;
    Ok(EventsPage {
        layout,
        group,
        rows,
        total: usize::try_from(total).unwrap_or_default(),
        page,
        pages,
    }
    .into_response())
}
