//! An installation's Permissions tab (who has access, revocation) and its audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use serde::Deserialize;
use voltgate_domain::audit::AuditKind;
use voltgate_domain::authz::rules::sees_grant;
use voltgate_domain::authz::RevokeGrant;
use voltgate_domain::authz::{ManagePermissions, ViewInstallation, ViewPeople};
use voltgate_domain::grant::{grant_end, last_day, GrantRights, GrantTerms};
use voltgate_domain::{Action, Authorized, GroupId, InstallationId};
use voltgate_domain::{Coded, UserId, ValidationErrors};
use voltgate_store::{
    AuditEvent, AuditFilter, AuditNames, GroupGrant, Installation, InstallationMember, StoreError,
};

use super::access::{right_boxes, RightBox};
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
        .route(
            "/installations/{id}/permissions/groups/{group}/terms",
            post(change_terms),
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
    grants: Vec<GrantRow>,
    /// Groups whose access this user may end: all for owners/admins, else the groups they own.
    revocable: Vec<GroupId>,
    notice: bool,
    /// "The access of Acme now reads: …" after a change.
    changed: Option<String>,
}

/// A group's grant as the Permissions tab shows it.
struct GrantRow {
    grant: GroupGrant,
    /// What it gives, in words.
    rights: String,
    /// Its last day, or "until revoked".
    until: String,
    expired: bool,
    /// The tick boxes of the change form.
    boxes: Vec<RightBox>,
    /// The end date as the change form's date field takes it.
    until_value: String,
    /// Why a change of this grant was refused, by field (`rights`, `until`); the form is open then.
    errors: ValidationErrors,
}

/// A refused change of a grant's terms: the tab comes back with the form open, what was sent kept
/// and each error next to its field.
struct FailedChange {
    group: GroupId,
    rights: GrantRights,
    until: String,
    errors: ValidationErrors,
}

/// The rights in the product's words: "see, settings, control chargers".
pub(super) fn rights_words(tr: Tr, rights: GrantRights) -> String {
    std::iter::once(tr.t("grant-right-view"))
        .chain(
            rights
                .rights()
                .map(|right| tr.t(&format!("grant-right-{}", right.name()))),
        )
        .collect::<Vec<_>>()
        .join(", ")
}

fn grant_row(tr: Tr, installation: &Installation, grant: GroupGrant) -> GrantRow {
    let zone = installation.time_zone;
    let last = grant.terms.ends.map(|end| last_day(end, zone).to_string());
    GrantRow {
        rights: rights_words(tr, grant.terms.rights),
        until: last.clone().unwrap_or_else(|| tr.t("grant-no-end")),
        expired: grant.terms.expired(Utc::now()),
        boxes: right_boxes(tr, grant.terms.rights),
        until_value: last.unwrap_or_default(),
        errors: ValidationErrors::new(),
        grant,
    }
}

impl GrantRow {
    /// The row with the refused change's input in its form, and why it was refused.
    fn refused(self, tr: Tr, failed: FailedChange) -> Self {
        Self {
            boxes: right_boxes(tr, failed.rights),
            until_value: failed.until,
            errors: failed.errors,
            ..self
        }
    }

    /// The id of the field error `field` of this row's form (`until-<group>-error`).
    fn error_id(&self, field: &str) -> String {
        format!("{field}-{}-error", self.grant.group.id)
    }

    /// ` aria-invalid="true" aria-describedby="…"` for a field with an error, else nothing.
    fn described(&self, field: &str) -> String {
        if self.errors.get(field).is_some() {
            format!(
                " aria-invalid=\"true\" aria-describedby=\"{}\"",
                self.error_id(field)
            )
        } else {
            String::new()
        }
    }
}

#[derive(Deserialize, Default)]
struct PermissionsQuery {
    #[serde(default)]
    revoked: Option<String>,
    /// The group whose grant was just changed.
    #[serde(default)]
    changed: Option<String>,
}

async fn permissions(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    Query(query): Query<PermissionsQuery>,
) -> Result<Response, AppError> {
    permissions_page(&app, &auth, id, &query, None).await
}

/// The Permissions tab; with `failed`, again after a refused change of a grant (422).
async fn permissions_page(
    app: &AppState,
    auth: &AuthUser,
    id: InstallationId,
    query: &PermissionsQuery,
    failed: Option<FailedChange>,
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
    let tr = Tr(auth.visit.lang);
    let changed = query
        .changed
        .as_deref()
        .and_then(|raw| raw.parse::<GroupId>().ok())
        .and_then(|group| grants.iter().find(|grant| grant.group.id == group))
        .map(|grant| {
            tr.with(
                "grant-changed",
                &[
                    ("group", grant.group.name.as_str()),
                    ("rights", &rights_words(tr, grant.terms.rights)),
                ],
            )
        });
    let mut revocable = Vec::new();
    for grant in &grants {
        let revocation = app.revocation(&auth.principal(), id, grant.group.id).await;
        if revocation.is_ok() {
            revocable.push(grant.group.id);
        }
    }
    let layout = Layout::new(
        app,
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
    let status = if failed.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let mut failed = failed;
    let grants = grants
        .into_iter()
        .map(|grant| {
            let row = grant_row(tr, &installation, grant);
            match failed.take_if(|failed| failed.group == row.grant.group.id) {
                Some(failed) => row.refused(tr, failed),
                None => row,
            }
        })
        .collect();
    let page = PermissionsPage {
        layout,
        installation,
        can_manage,
        members,
        grants,
        revocable,
        notice,
        changed,
    };
    Ok((status, page).into_response())
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

/// The form that narrows or extends a grant: one `right` field per ticked box, and `until`. Refused
/// with the input kept and an error by field (an unknown right; an end date that is not a date or is
/// over).
fn terms_of(
    pairs: &[(String, String)],
    installation: &Installation,
    group: GroupId,
) -> Result<GrantTerms, FailedChange> {
    let rights: Vec<&str> = pairs
        .iter()
        .filter(|(name, _)| name == "right")
        .map(|(_, value)| value.as_str())
        .collect();
    let until = pairs
        .iter()
        .find(|(name, _)| name == "until")
        .map_or("", |(_, value)| value.as_str());
    let mut errors = ValidationErrors::new();
    let parsed = errors.check(
        "rights",
        GrantRights::parse(&rights.join(",")).map_err(|unknown| unknown.message()),
    );
    let ends = errors.check(
        "until",
        grant_end(until, installation.time_zone, Utc::now()).map_err(|bad| bad.message()),
    );
    match (parsed, ends) {
        (Some(rights), Some(ends)) => Ok(GrantTerms { rights, ends }),
        _ => Err(FailedChange {
            group,
            rights: rights
                .iter()
                .filter_map(|name| GrantRights::parse(name).ok())
                .flat_map(GrantRights::rights)
                .fold(GrantRights::VIEW, GrantRights::with),
            until: until.chars().filter(|c| !c.is_control()).take(40).collect(),
            errors,
        }),
    }
}

/// Narrows, widens or extends a group's grant (owners and admins; audited as a change).
async fn change_terms(
    State(app): State<AppState>,
    auth: AuthUser,
    Path(ids): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id: InstallationId = ids.0.parse().map_err(|_| AppError::NotFound)?;
    let group: GroupId = ids.1.parse().map_err(|_| AppError::NotFound)?;
    let (installation, manage) = app
        .installation::<ManagePermissions>(&auth.principal(), id)
        .await?;
    let terms = match terms_of(&form, &installation, group) {
        Ok(terms) => terms,
        Err(failed) => {
            let query = PermissionsQuery::default();
            return permissions_page(&app, &auth, id, &query, Some(failed)).await;
        }
    };
    app.store.change_grant(&manage, group, &terms).await?;
    Ok(Redirect::to(&format!(
        "/installations/{id}/permissions?changed={group}#groups"
    ))
    .into_response())
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
    /// Names of the groups that hold access, for "through [group icon] Acme Charging".
    group_names: std::collections::HashMap<GroupId, String>,
    /// The people and groups the log names, for the filters.
    names: AuditNames,
    /// The filters chosen, as the URL gave them (validated).
    chosen: AuditChoice,
}

/// The audit filters chosen, validated, in the form the filter row and the page links need.
#[derive(Default)]
struct AuditChoice {
    person: Option<UserId>,
    group: Option<GroupId>,
    kind: Option<AuditKind>,
}

impl AuditChoice {
    fn filter(&self) -> AuditFilter {
        AuditFilter {
            actor: self.person,
            group: self.group,
            kinds: self.kind.map(AuditKind::stored).unwrap_or_default(),
        }
    }

    fn any(&self) -> bool {
        self.person.is_some() || self.group.is_some() || self.kind.is_some()
    }

    /// The query string of this choice on another page: `?person=…&page=2`.
    fn query(&self, page: i64) -> String {
        let mut parts = Vec::new();
        if let Some(person) = self.person {
            parts.push(format!("person={person}"));
        }
        if let Some(group) = self.group {
            parts.push(format!("group={group}"));
        }
        if let Some(kind) = self.kind {
            parts.push(format!("kind={}", kind.as_str()));
        }
        parts.push(format!("page={page}"));
        format!("?{}", parts.join("&"))
    }
}

impl AuditPage {
    /// "through [group icon] Acme Charging" when the actor acted through a group's grant.
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

    /// The charger's answer in a sentence, under Accepted/Rejected.
    fn outcome_detail(&self, event: &AuditEvent) -> Option<String> {
        if event.kind != "charger_command" {
            return None;
        }
        super::words::stored_outcome(self.layout.tr, &event.detail["outcome"])
    }

    fn kinds(&self) -> [AuditKind; 5] {
        AuditKind::ALL
    }

    fn kind_label(&self, kind: &AuditKind) -> String {
        self.layout.tr.t(&format!("audit-kind-{}", kind.as_str()))
    }

    fn is_person(&self, id: &UserId) -> bool {
        self.chosen.person == Some(*id)
    }

    fn is_group(&self, id: &GroupId) -> bool {
        self.chosen.group == Some(*id)
    }

    fn is_kind(&self, kind: &AuditKind) -> bool {
        self.chosen.kind == Some(*kind)
    }

    fn page_link(&self, page: i64) -> String {
        self.chosen.query(page)
    }
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

impl AuditQuery {
    /// The filters, or which one is not one of the choices offered.
    fn choice(&self) -> Result<AuditChoice, AppError> {
        fn id<T: std::str::FromStr>(
            raw: &Option<String>,
            error: &'static str,
        ) -> Result<Option<T>, AppError> {
            match raw.as_deref() {
                None | Some("") => Ok(None),
                Some(raw) => raw
                    .parse()
                    .map(Some)
                    .map_err(|_| AppError::BadRequest(voltgate_domain::Message::new(error))),
            }
        }
        Ok(AuditChoice {
            person: id(&self.person, "err-audit-person")?,
            group: id(&self.group, "err-audit-group")?,
            kind: AuditKind::parse(self.kind.as_deref().unwrap_or_default())
                .map_err(AppError::BadRequest)?,
        })
    }
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
    let page = super::page_number(query.page.as_deref())?;
    let chosen = query.choice()?;
    let filter = chosen.filter();
    let total = app
        .store
        .installation_audit_filtered_count(&manage, &filter)
        .await?;
    let pages = super::page_count(total, AUDIT_PAGE);
    let events = app
        .store
        .installation_audit_filtered(
            &manage,
            &filter,
            AUDIT_PAGE,
            (page - 1).saturating_mul(AUDIT_PAGE),
        )
        .await?;
    let names = app.store.installation_audit_names(&manage).await?;
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
        names,
        chosen,
    }
    .into_response())
}

/// What an audit event says, in a sentence in the reader's language (installations' and groups' logs).
pub(super) fn describe(tr: Tr, event: &AuditEvent) -> String {
    let detail = &event.detail;
    let text = |key: &str| detail[key].as_str().unwrap_or("?").to_owned();
    let group = || format!("{} ({})", text("group_name"), text("lookup_key"));
    match event.kind.as_str() {
        "installation_created" => tr.with("audit-installation-created", &[("name", &text("name"))]),
        "settings_changed" => settings_changes(tr, &detail["before"], &detail["after"])
            .unwrap_or_else(|| tr.t("audit-settings-changed")),
        "time_zone_changed" => tr.with(
            "audit-time-zone-changed",
            &[("before", &text("before")), ("after", &text("after"))],
        ),
        "role_set" => match detail["previous"].as_str() {
            Some(previous) if previous != text("role") => tr.with(
                "audit-role-changed",
                &[
                    ("email", &text("email")),
                    ("before", &tr.role(previous)),
                    ("after", &tr.role(text("role"))),
                ],
            ),
            _ => tr.with(
                "audit-role-set",
                &[("email", &text("email")), ("role", &tr.role(text("role")))],
            ),
        },
        "role_removed" => tr.with(
            "audit-role-removed",
            &[("email", &text("email")), ("role", &text("previous"))],
        ),
        "access_approved" => tr.with("audit-access-approved", &[("group", &group())]),
        "access_denied" => tr.with("audit-access-denied", &[("group", &group())]),
        "access_revoked" => tr.with("audit-access-revoked", &[("group", &group())]),
        "access_expired" => tr.with(
            "audit-access-expired",
            &[
                ("group", &group()),
                ("installation", &text("installation_name")),
            ],
        ),
        "access_changed" => tr.with(
            "audit-access-changed",
            &[("group", &group()), ("rights", &text("rights"))],
        ),
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
            let connector_known = detail["request"]["connectorId"].is_i64();
            let command = match (command, detail["request"]["value"].as_str()) {
                ("audit-cmd-configure", Some(_)) => "audit-cmd-configure-value",
                ("audit-cmd-stop", _) if connector_known => "audit-cmd-stop-connector",
                ("audit-cmd-end", _) if connector_known => "audit-cmd-end-connector",
                (other, _) => other,
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
                    ("value", detail["request"]["value"].as_str().unwrap_or("?")),
                    ("command", &text("command")),
                ],
            )
        }
        "charger_settings_changed" => tr.t("audit-charger-settings"),
        "id_tag_set" => tr.with("audit-id-tag-set", &[("tag", &text("id_tag"))]),
        "id_tag_removed" => tr.with("audit-id-tag-removed", &[("tag", &text("id_tag"))]),
        "group_created" => tr.with("audit-group-created", &[("name", &text("name"))]),
        "group_details_changed" => tr.t("audit-group-details-changed"),
        "group_member_set" => tr.with(
            "audit-group-member-set",
            &[("email", &text("email")), ("role", &tr.role(text("role")))],
        ),
        "group_member_removed" => {
            tr.with("audit-group-member-removed", &[("email", &text("email"))])
        }
        "lookup_key_rotated" => tr.with(
            "audit-lookup-key-rotated",
            &[("old", &text("old")), ("new", &text("new"))],
        ),
        "group_verified" => tr.t("audit-group-verified"),
        "return_urls_set" => {
            let urls: Vec<&str> = detail["return_urls"]
                .as_array()
                .map(|urls| urls.iter().filter_map(|u| u.as_str()).collect())
                .unwrap_or_default();
            tr.with("audit-return-urls-set", &[("urls", &urls.join(", "))])
        }
        "return_url_added" => tr.with("audit-return-url-added", &[("url", &text("return_url"))]),
        "return_url_removed" => {
            tr.with("audit-return-url-removed", &[("url", &text("return_url"))])
        }
        "service_account_created" => {
            tr.with("audit-service-account-created", &[("name", &text("name"))])
        }
        "service_account_revoked" => {
            tr.with("audit-service-account-revoked", &[("name", &text("name"))])
        }
        "webhook_added" => tr.with("audit-webhook-added", &[("url", &text("url"))]),
        "webhook_removed" => tr.with("audit-webhook-removed", &[("url", &text("url"))]),
        "webhook_secret_rotated" => tr.with("audit-webhook-rotated", &[("url", &text("url"))]),
        _ => tr.t("audit-other"),
    }
}

/// "Changed available current 32 A → 20 A; Changed phases 3 → 1": each setting whose stored value
/// differs between `before` and `after`. `None` when the event holds no values (or none changed).
fn settings_changes(
    tr: Tr,
    before: &serde_json::Value,
    after: &serde_json::Value,
) -> Option<String> {
    let amps = |value: &serde_json::Value| {
        let value = value.as_f64()?;
        let places = if value.fract() == 0.0 { 0 } else { 1 };
        Some(format!("{} A", super::words::decimal(tr, value, places)))
    };
    let available = |settings: &serde_json::Value| {
        let phases = settings["available_current"].as_array()?;
        if settings["available_current_mode"].as_str() == Some("all") {
            amps(phases.first()?)
        } else {
            let each: Option<Vec<String>> = phases.iter().map(amps).collect();
            Some(each?.join(" / "))
        }
    };
    let switch = |value: &serde_json::Value| {
        value
            .as_bool()
            .map(|on| tr.t(if on { "audit-on" } else { "audit-off" }))
    };
    let number = |value: &serde_json::Value| value.as_i64().map(|n| n.to_string());
    let pairs = [
        (
            "audit-what-max-current",
            amps(&before["max_current"]),
            amps(&after["max_current"]),
        ),
        (
            "audit-what-available-current",
            available(before),
            available(after),
        ),
        (
            "audit-what-phases",
            number(&before["phases"]),
            number(&after["phases"]),
        ),
        (
            "audit-what-authentication",
            switch(&before["authentication_required"]),
            switch(&after["authentication_required"]),
        ),
    ];
    let changes: Vec<String> = pairs
        .into_iter()
        .filter_map(|(what, before, after)| {
            let (before, after) = (before?, after?);
            (before != after).then(|| {
                tr.with(
                    "audit-changed",
                    &[
                        ("what", &tr.t(what)),
                        ("before", &before),
                        ("after", &after),
                    ],
                )
            })
        })
        .collect();
    (!changes.is_empty()).then(|| changes.join("; "))
}

/// The outcome of a charger command as the audit log stored it: Accepted, Rejected or no answer.
fn outcome_of(tr: Tr, event: &AuditEvent) -> String {
    if event.kind != "charger_command" {
        return String::new();
    }
    match super::words::outcome_accepted(&event.detail["outcome"]) {
        Some(true) => tr.t("audit-outcome-accepted"),
        Some(false) => tr.t("audit-outcome-rejected"),
        None => tr.t("audit-outcome-none"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use serde_json::json;

    fn settings(
        max: f64,
        available: [f64; 3],
        mode: &str,
        phases: i64,
        auth: bool,
    ) -> serde_json::Value {
        json!({
            "max_current": max, "available_current_mode": mode, "available_current": available,
            "authentication_required": auth, "phases": phases,
        })
    }

    #[test]
    fn settings_changes_name_each_value_before_and_after() {
        let before = settings(32.0, [32.0, 32.0, 32.0], "all", 3, false);
        let after = settings(32.0, [20.0, 20.0, 20.0], "all", 3, false);
        assert_eq!(
            settings_changes(Tr(Lang::En), &before, &after).as_deref(),
            Some("Changed available current 32 A → 20 A")
        );
        let after = settings(40.0, [16.5, 10.0, 0.0], "per_phase", 1, true);
        let said = settings_changes(Tr(Lang::De), &before, &after).unwrap();
        assert!(said.contains("32 A → 16,5 A / 10 A / 0 A"), "{said}");
        assert!(
            said.contains("3 → 1") && said.contains("aus → ein"),
            "{said}"
        );
    }

    #[test]
    fn nothing_changed_or_nothing_recorded_says_nothing() {
        let same = settings(32.0, [32.0; 3], "all", 3, false);
        assert_eq!(settings_changes(Tr(Lang::En), &same, &same), None);
        assert_eq!(settings_changes(Tr(Lang::En), &json!(null), &same), None);
    }
}
