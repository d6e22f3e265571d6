//! The access-request flow: `/access/request/{lookup_key}` → (login) → review → approve or deny →
//! back to the partner's registered return URL, or to the receipt.
//!
//! A pushed request (`?request=<id>`, made over the partner API) takes its parameters from the server,
//! never from the link: the query's other parameters are ignored, a request of another group is
//! refused, and it takes one decision within its 7 days; the decision's redirect carries its `state`.

use askama::Template;
use askama_web::WebTemplate;
use chrono::Utc;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use voltgate_domain::access_request::{
    offered, param, picker, Candidate, Choice, NothingToGrant, ParamError, RequestParams,
};
use voltgate_domain::authz::{ManagePermissions, ViewInstallation};
use voltgate_domain::grant::{grant_end, GrantRight, GrantRights, GrantTerms};
use voltgate_domain::pushed_request::PushedParams;
use voltgate_domain::{
    AccessRequestId, Action, Coded, GroupId, InstallationId, LookupKey, Message,
    RegisteredReturnUrl, ReturnTarget, ValidationErrors,
};
use voltgate_store::{Approval, Group, Installation, PushedOutcome, PushedRequest, RequestContext};

use super::layout::Layout;
use super::session::{AuthUser, CsrfForm, MaybeUser, Visit};
use crate::error::AppError;
use crate::events::Event;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/access/request", get(show_by_param).post(decide_by_param))
        .route("/access/request/{key}", get(show).post(decide))
        .route("/access/receipt", get(receipt))
}

/// A link that names an existing group, with checked parameters.
struct Link {
    key: LookupKey,
    group: Group,
    params: RequestParams,
    /// The rights the link asks for (`rights`; all when it says nothing).
    rights: GrantRights,
    /// The end date the review page's "until" field starts with (a pushed request's), or empty.
    until: String,
    /// The link's `lang`, kept for the receipt.
    lang: Option<Lang>,
    /// A pushed request's own record, when the link names one.
    pushed: Option<PushedRequest>,
}

/// Why a link cannot be shown.
enum LinkError {
    UnknownKey(String),
    Param(&'static str, &'static str),
}

fn param_problem(error: &ParamError) -> (&'static str, &'static str) {
    match error {
        ParamError::InstallationId => ("installationId", "param-installation-id"),
        ParamError::InstallationType => ("installationtype", "param-installation-type"),
        ParamError::ShowExisting => ("showExisting", "param-show-existing"),
        ParamError::PartnerName => ("partnerName", "param-partner-name"),
        ParamError::ReturnUrl => ("returnUrl", "param-return-url"),
    }
}

fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, LinkError> {
    serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|_| LinkError::Param("?", "param-query"))
}

async fn resolve(
    app: &AppState,
    path_key: Option<&str>,
    raw_query: Option<&str>,
) -> Result<Result<Link, LinkError>, AppError> {
    let query = match query_pairs(raw_query) {
        Ok(query) => query,
        Err(error) => return Ok(Err(error)),
    };
    let raw_key = path_key
        .or_else(|| param(&query, "lookup"))
        .unwrap_or_default();
    let unknown = || LinkError::UnknownKey(raw_key.chars().take(40).collect());
    let Ok(key) = LookupKey::parse(raw_key) else {
        return Ok(Err(unknown()));
    };
    if let Some(raw) = param(&query, "request") {
        // A pushed request: the query's other parameters count for nothing.
        return match app.store.group_by_lookup_key(&key).await? {
            Some(group) => pushed_link(app, key, group, raw).await,
            None => Ok(Err(unknown())),
        };
    }
    let params = match RequestParams::parse(&query) {
        Ok(params) => params,
        Err(error) => {
            let (name, reason) = param_problem(&error);
            return Ok(Err(LinkError::Param(name, reason)));
        }
    };
    let rights = match param(&query, "rights").map(GrantRights::parse) {
        None => GrantRights::ALL,
        Some(Ok(rights)) => rights,
        Some(Err(_)) => return Ok(Err(LinkError::Param("rights", "param-rights"))),
    };
    let lang = param(&query, "lang").and_then(Lang::parse);
    let Some(group) = app.store.group_by_lookup_key(&key).await? else {
        return Ok(Err(unknown()));
    };
    Ok(Ok(Link {
        key,
        group,
        params,
        rights,
        until: String::new(),
        lang,
        pushed: None,
    }))
}

/// A link that names a pushed request: its parameters are the stored ones. An unknown request, one of
/// another group, one decided already or past its 7 days is refused.
async fn pushed_link(
    app: &AppState,
    key: LookupKey,
    group: Group,
    raw: &str,
) -> Result<Result<Link, LinkError>, AppError> {
    let refused = || LinkError::Param("request", "param-request");
    let Ok(id) = raw.trim().parse::<AccessRequestId>() else {
        return Ok(Err(refused()));
    };
    let found = app
        .store
        .pushed_request(id)
        .await?
        .filter(|found| found.group == group.id)
        .filter(|found| found.outcome(chrono::Utc::now()) == PushedOutcome::Pending);
    let Some(found) = found else {
        return Ok(Err(refused()));
    };
    let stored = PushedParams {
        installation_id: found.request.installation,
        return_url: found.request.return_url.clone(),
        state: found.request.state.clone(),
        lang: found.request.lang.clone(),
        partner_name: found.request.partner_name.clone(),
    };
    let params = match RequestParams::parse(&stored.as_query()) {
        Ok(params) => params,
        Err(error) => {
            let (name, reason) = param_problem(&error);
            return Ok(Err(LinkError::Param(name, reason)));
        }
    };
    // What the partner asked for presets the review page; the owner's ticks decide.
    let rights = GrantRights::parse(&found.request.requested_rights).unwrap_or(GrantRights::ALL);
    let until = found
        .request
        .grant_until
        .as_deref()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at.date_naive().to_string())
        .unwrap_or_default();
    Ok(Ok(Link {
        key,
        group,
        params,
        rights,
        until,
        lang: found.request.lang.as_deref().and_then(Lang::parse),
        pushed: Some(found),
    }))
}

#[derive(Template, WebTemplate)]
#[template(path = "access_error.html")]
struct LinkErrorPage {
    layout: Layout,
    message: String,
    /// Who asks, when the error happened in the middle of a request's flow.
    banner: Option<String>,
    /// The way back to the request.
    back: Option<String>,
}

async fn link_error(
    app: &AppState,
    visit: &Visit,
    user: Option<&voltgate_store::User>,
    error: LinkError,
) -> Result<Response, AppError> {
    let tr = Tr(visit.lang);
    let (status, title, message) = match error {
        LinkError::UnknownKey(key) => (
            StatusCode::NOT_FOUND,
            tr.t("error-unknown-key-title"),
            tr.with("error-unknown-key", &[("key", &key)]),
        ),
        LinkError::Param(name, reason) => (
            StatusCode::BAD_REQUEST,
            tr.t("error-bad-link-title"),
            tr.with(
                "error-bad-param",
                &[("param", name), ("reason", &tr.t(reason))],
            ),
        ),
    };
    let layout = Layout::new(app, visit, user, title).await?;
    Ok((
        status,
        LinkErrorPage {
            layout,
            message,
            banner: None,
            back: None,
        },
    )
        .into_response())
}

/// An error met while deciding a request (no installation chosen, one not theirs, a Pro one the link
/// does not name): the page keeps the request banner and the way back to the request. Other errors
/// (the database, CSRF) go to the site's error page as everywhere.
async fn flow_error(
    app: &AppState,
    auth: &AuthUser,
    error: AppError,
) -> Result<Response, AppError> {
    let tr = Tr(auth.visit.lang);
    let (status, title, message) = match error {
        AppError::BadRequest(message) => (
            StatusCode::BAD_REQUEST,
            tr.t("error-bad-request-title"),
            tr.msg(&message),
        ),
        AppError::NotFound => (
            StatusCode::NOT_FOUND,
            tr.t("error-not-found-title"),
            tr.t("error-not-found"),
        ),
        AppError::Forbidden => (
            StatusCode::FORBIDDEN,
            tr.t("error-forbidden-title"),
            tr.t("error-forbidden"),
        ),
        other => return Err(other),
    };
    let layout = Layout::new(app, &auth.visit, Some(&auth.user), title).await?;
    Ok((
        status,
        LinkErrorPage {
            layout,
            message,
            banner: super::accounts::request_banner(&auth.visit.here, tr),
            back: Some(auth.visit.here.clone()),
        },
    )
        .into_response())
}

/// One right's tick box, on the review page and the Permissions tab.
pub(super) struct RightBox {
    /// The form value.
    pub name: &'static str,
    /// What it lets the group do.
    pub label: String,
    pub checked: bool,
}

/// The tick boxes for the rights that can be chosen, ticked as `rights` says.
pub(super) fn right_boxes(tr: Tr, rights: GrantRights) -> Vec<RightBox> {
    GrantRight::ALL
        .into_iter()
        .map(|right| RightBox {
            name: right.name(),
            label: tr.t(&format!("review-can-{}", right.name())),
            checked: rights.has(right),
        })
        .collect()
}

/// One installation in the picker.
struct PickerRow {
    installation: Installation,
    grantable: bool,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "access_review.html")]
struct ReviewPage {
    layout: Layout,
    group: Group,
    /// The link's `partnerName` when it differs from the group's real name.
    link_name: Option<String>,
    rows: Vec<PickerRow>,
    named_not_grantable: bool,
    nothing: Option<String>,
    can_approve: bool,
    return_untrusted: bool,
    /// A trusted way back to the partner, offered when nothing can be granted.
    partner_url: Option<String>,
    action: String,
    /// When the operator verified the group, as a date.
    verified: Option<String>,
    /// The hosts of the group's return URLs and support URL: what the owner can check.
    domains: Vec<String>,
    /// How many installations have given the group access.
    approvals: usize,
    /// When the reviewer has no installation to offer: where to create one and come back.
    create_link: Option<String>,
    /// The rights to tick, pre-set from the link.
    rights: Vec<RightBox>,
    /// Today's date, the earliest end date.
    today: String,
    /// The end date the "until" field starts with (a pushed request's, or what the reviewer typed).
    until: String,
    /// Why the reviewer's last choice was refused, field by field.
    errors: ValidationErrors,
    /// 422 when the page comes back with errors.
    status: StatusCode,
}

/// What the reviewer sent when an approval is refused for a field: the page comes back with it, so
/// nothing has to be chosen or typed twice.
struct Kept {
    installation: Option<InstallationId>,
    rights: GrantRights,
    until: String,
    errors: ValidationErrors,
}

/// The registered return URL that admits the link's `returnUrl`, if any.
fn trusted_target(link: &Link) -> Option<ReturnTarget> {
    let target = link.params.return_target()?;
    let admitted = link
        .group
        .return_urls
        .iter()
        .filter_map(|url| RegisteredReturnUrl::parse(url).ok())
        .any(|registered| registered.admits(&target));
    admitted.then_some(target)
}

/// The hosts of a group's registered return URLs, each once, in order: where the browser may be sent
/// after the decision. The support URL is not one (any group may name any site as its support page)
/// and is shown on its own.
fn group_domains(group: &Group) -> Vec<String> {
    let mut domains: Vec<String> = Vec::new();
    for url in group
        .return_urls
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
    {
        if let Some(host) = url.host_str().filter(|h| !domains.iter().any(|d| d == h)) {
            domains.push(host.to_owned());
        }
    }
    domains
}

/// The review page; with `kept`, the page again after a refused approval (422, the reviewer's choices
/// kept and each error next to its field).
async fn review(
    app: &AppState,
    auth: &AuthUser,
    link: Link,
    kept: Option<Kept>,
) -> Result<Response, AppError> {
    let tr = Tr(auth.visit.lang);
    let granted = app.store.group_grants(link.group.id).await?;
    let administered: Vec<Installation> = app
        .visible_installations(&auth.principal())
        .await?
        .into_iter()
        .filter(|(_, seen)| seen.may(Action::ManagePermissions))
        .map(|(installation, _)| installation)
        .collect();
    let candidates: Vec<Candidate> = administered
        .iter()
        .map(|i| Candidate {
            id: i.id,
            installation_type: i.installation_type,
            already_granted: granted.contains(&i.id),
        })
        .collect();
    let shown = picker(&candidates, &link.params);
    let chosen = kept
        .as_ref()
        .and_then(|kept| kept.installation)
        .filter(|id| {
            shown
                .choices
                .iter()
                .any(|(row, choice)| row == id && *choice == Choice::Grantable)
        })
        .or(shown.preselected);
    let rows = shown
        .choices
        .iter()
        .filter_map(|(id, choice)| {
            let installation = administered.iter().find(|i| i.id == *id)?.clone();
            Some(PickerRow {
                installation,
                grantable: *choice == Choice::Grantable,
                selected: chosen == Some(*id),
            })
        })
        .collect();
    let group_name = link.group.name.as_str();
    let granted_here: Vec<&str> = administered
        .iter()
        .filter(|i| granted.contains(&i.id) && offered(i.id, i.installation_type, &link.params))
        .map(|i| i.name.as_str())
        .collect();
    let nothing = shown.nothing.map(|reason| match reason {
        NothingToGrant::NoInstallations => tr.t("nothing-no-installations"),
        NothingToGrant::AllGranted => tr.with(
            "nothing-granted-to",
            &[
                ("group", group_name),
                ("installations", &granted_here.join(", ")),
            ],
        ),
        NothingToGrant::ProNeedsInstallationId => tr.t("nothing-pro-needs-id"),
    });
    let link_name = link
        .params
        .partner_name
        .as_ref()
        .map(|p| p.as_str().to_owned())
        .filter(|p| !p.eq_ignore_ascii_case(group_name));
    let trusted = trusted_target(&link);
    let layout = Layout::new(app, &auth.visit, Some(&auth.user), tr.t("review-title")).await?;
    let domains = group_domains(&link.group);
    let page = ReviewPage {
        layout,
        link_name,
        rows,
        named_not_grantable: shown.named_not_grantable,
        can_approve: nothing.is_none(),
        nothing,
        return_untrusted: link.params.return_url.is_some() && trusted.is_none(),
        partner_url: trusted.map(|t| t.as_str().to_owned()),
        action: auth.visit.here.clone(),
        verified: link
            .group
            .verified_at
            .map(|at| at.format("%Y-%m-%d").to_string()),
        domains,
        approvals: granted.len(),
        create_link: matches!(shown.nothing, Some(NothingToGrant::NoInstallations)).then(|| {
            format!(
                "/installations?{}#new",
                serde_urlencoded::to_string([("next", &auth.visit.here)]).unwrap_or_default()
            )
        }),
        rights: right_boxes(tr, kept.as_ref().map_or(link.rights, |kept| kept.rights)),
        today: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        group: link.group,
        status: if kept.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        until: String::new(),
        errors: ValidationErrors::new(),
    };
    let page = match kept {
        Some(kept) => ReviewPage {
            until: kept.until,
            errors: kept.errors,
            ..page
        },
        None => ReviewPage {
            until: link.until,
            ..page
        },
    };
    // A Back after a decision must show what is true now, not the page as it was before it.
    Ok((
        page.status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        page,
    )
        .into_response())
}

/// 429 when `client` has opened too many access-request pages: lookup keys are not to be enumerated.
fn within_limit(app: &AppState, client: SocketAddr, visit: &Visit) -> Result<(), AppError> {
    app.throttles
        .access_request(client.ip())
        .map_err(|retry_after| AppError::TooManyRequests {
            retry_after,
            lang: visit.lang,
        })
}

async fn show_link(
    app: AppState,
    client: SocketAddr,
    visitor: MaybeUser,
    key: Option<String>,
    query: Option<String>,
) -> Result<Response, AppError> {
    within_limit(&app, client, &visitor.visit)?;
    let link = match resolve(&app, key.as_deref(), query.as_deref()).await? {
        Ok(link) => link,
        Err(error) => return link_error(&app, &visitor.visit, visitor.user.as_ref(), error).await,
    };
    match visitor.user {
        Some(user) => {
            review(
                &app,
                &AuthUser {
                    user,
                    visit: visitor.visit,
                },
                link,
                None,
            )
            .await
        }
        None => {
            let next =
                serde_urlencoded::to_string([("next", &visitor.visit.here)]).unwrap_or_default();
            Ok(Redirect::to(&format!("/login?{next}")).into_response())
        }
    }
}

async fn show(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    visitor: MaybeUser,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    show_link(app, client, visitor, Some(key), query).await
}

async fn show_by_param(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    visitor: MaybeUser,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    show_link(app, client, visitor, None, query).await
}

/// The review page's form. The rights come as one `right` field per tick box; `rights_shown` says
/// the boxes were on the page (without it, the link's rights apply).
#[derive(Default)]
struct DecisionForm {
    decision: String,
    installation_id: String,
    rights: Option<Vec<String>>,
    until: String,
}

impl DecisionForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        let mut rights: Vec<String> = Vec::new();
        let mut shown = false;
        for (name, value) in pairs {
            match name.as_str() {
                "decision" => form.decision = value,
                "installation_id" => form.installation_id = value,
                "until" => form.until = value,
                "right" => rights.push(value),
                "rights_shown" => shown = true,
                _ => {}
            }
        }
        if shown || !rights.is_empty() {
            form.rights = Some(rights);
        }
        form
    }

    /// The rights the reviewer ticked (the link's when the form has none); `rights` names the field
    /// of an unknown one.
    fn rights(&self, link: &Link, errors: &mut ValidationErrors) -> Option<GrantRights> {
        match &self.rights {
            Some(names) => errors.check(
                "rights",
                GrantRights::parse(&names.join(",")).map_err(|unknown| unknown.message()),
            ),
            None => Some(link.rights),
        }
    }

    /// The terms the reviewer chose: the ticked rights and the end date in the installation's time
    /// zone; else why not, by field (an unknown right; an end date that is not a date or is over).
    fn terms(
        &self,
        link: &Link,
        installation: &Installation,
    ) -> Result<GrantTerms, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let rights = self.rights(link, &mut errors);
        let ends = errors.check(
            "until",
            grant_end(&self.until, installation.time_zone, chrono::Utc::now())
                .map_err(|bad| bad.message()),
        );
        match (rights, ends) {
            (Some(rights), Some(ends)) => Ok(GrantTerms { rights, ends }),
            _ => Err(errors),
        }
    }

    /// The form as the page shows it again: the known rights ticked, the end date as typed (without
    /// control characters, which a page cannot show).
    fn kept(&self, link: &Link, errors: ValidationErrors) -> Kept {
        let rights = match &self.rights {
            Some(names) => names
                .iter()
                .filter_map(|name| GrantRights::parse(name).ok())
                .flat_map(GrantRights::rights)
                .fold(GrantRights::VIEW, GrantRights::with),
            None => link.rights,
        };
        Kept {
            installation: self.installation_id.trim().parse().ok(),
            rights,
            until: self
                .until
                .chars()
                .filter(|c| !c.is_control())
                .take(40)
                .collect(),
            errors,
        }
    }
}

/// What became of a decision: done (the browser goes on), or refused for a field (the page again).
enum Decided {
    Done(Response),
    Refused(Kept),
}

/// Where the browser goes after a decision: the partner's return URL when a registered one admits it,
/// else the receipt. On approval the installation id is added; the lookup key always.
fn after_decision(link: &Link, approved: Option<InstallationId>) -> String {
    let mut outcome = vec![("success", approved.is_some().to_string())];
    if let Some(id) = approved {
        outcome.push(("installationId", id.to_string()));
    }
    outcome.push(("lookup", link.key.to_string()));
    if let Some(state) = link.pushed.as_ref().and_then(|p| p.request.state.clone()) {
        outcome.push(("state", state));
    }
    if let Some(target) = trusted_target(link) {
        return target.with_outcome(&outcome).to_string();
    }
    if link.params.return_url.is_some() {
        outcome.push(("returnRefused", "true".into()));
    }
    if let Some(lang) = link.lang {
        outcome.push(("lang", lang.code().into()));
    }
    format!(
        "/access/receipt?{}",
        serde_urlencoded::to_string(&outcome).unwrap_or_default()
    )
}

/// The last decision of this browser session, kept on the server: the receipt page reads it from here,
/// never from its URL, so a link cannot make it claim anything.
#[derive(Serialize, Deserialize)]
struct Decision {
    approved: bool,
    /// On approval, whether the group had access already: `changed` (it took the new rights and end)
    /// or `unchanged` (it had them); absent for a new grant.
    #[serde(default)]
    already: Option<Already>,
    group: GroupId,
    group_name: String,
    installation: Option<InstallationId>,
    return_refused: bool,
}

/// What an approval did to a grant the group held already.
#[derive(Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
enum Already {
    Changed,
    Unchanged,
}

const DECISION_KEY: &str = "access_decision";

async fn remember_decision(
    auth: &AuthUser,
    link: &Link,
    installation: Option<InstallationId>,
    approval: Option<Approval>,
    target: &str,
) -> Result<(), AppError> {
    let decision = Decision {
        approved: approval.is_some(),
        already: match approval {
            Some(Approval::Changed) => Some(Already::Changed),
            Some(Approval::Unchanged) => Some(Already::Unchanged),
            Some(Approval::Granted) | None => None,
        },
        group: link.group.id,
        group_name: link.group.name.clone(),
        installation,
        return_refused: target.starts_with("/access/receipt?")
            && target.contains("returnRefused=true"),
    };
    auth.visit.session.insert(DECISION_KEY, decision).await?;
    Ok(())
}

async fn decide_link(
    app: AppState,
    client: SocketAddr,
    auth: AuthUser,
    key: Option<String>,
    query: Option<String>,
    form: DecisionForm,
) -> Result<Response, AppError> {
    within_limit(&app, client, &auth.visit)?;
    let link = match resolve(&app, key.as_deref(), query.as_deref()).await? {
        Ok(link) => link,
        Err(error) => return link_error(&app, &auth.visit, Some(&auth.user), error).await,
    };
    match decide_on(&app, &auth, &link, form).await {
        Ok(Decided::Done(response)) => Ok(response),
        Ok(Decided::Refused(kept)) => review(&app, &auth, link, Some(kept)).await,
        Err(error) => flow_error(&app, &auth, error).await,
    }
}

/// Records an approval or denial of `link` and sends the browser on.
async fn decide_on(
    app: &AppState,
    auth: &AuthUser,
    link: &Link,
    form: DecisionForm,
) -> Result<Decided, AppError> {
    let context = RequestContext {
        partner_name: link
            .params
            .partner_name
            .as_ref()
            .map(|p| p.as_str().to_owned()),
        return_url: link.params.return_url.clone(),
    };
    let chosen: Option<InstallationId> = form.installation_id.trim().parse().ok();
    let principal = auth.principal();
    match form.decision.as_str() {
        "approve" => {
            let Some(id) = chosen else {
                let mut errors = ValidationErrors::new();
                errors.add("installation_id", Message::new("choose-installation"));
                form.rights(link, &mut errors);
                return Ok(Decided::Refused(form.kept(link, errors)));
            };
            let (installation, manage) = app
                .installation::<ManagePermissions>(&principal, id)
                .await?;
            if !offered(id, installation.installation_type, &link.params) {
                return Err(AppError::BadRequest(Message::new("nothing-pro-needs-id")));
            }
            let terms = match form.terms(link, &installation) {
                Ok(terms) => terms,
                Err(errors) => return Ok(Decided::Refused(form.kept(link, errors))),
            };
            let approval = match &link.pushed {
                // One decision per pushed request, taken in the grant's transaction.
                Some(pushed) => app
                    .store
                    .approve_pushed_request(
                        pushed.id,
                        &manage,
                        &terms,
                        &context,
                        chrono::Utc::now(),
                    )
                    .await?
                    .ok_or_else(|| AppError::BadRequest(Message::new("err-request-decided")))?,
                None => {
                    app.store
                        .grant_access(&manage, link.group.id, &terms, &context)
                        .await?
                }
            };
            if approval.is_new() {
                app.events.publish(Event::AccessGranted {
                    installation: id,
                    group: link.group.id,
                });
            }
            let target = after_decision(link, Some(id));
            remember_decision(auth, link, Some(id), Some(approval), &target).await?;
            Ok(Decided::Done(Redirect::to(&target).into_response()))
        }
        "deny" => {
            let mut about = match chosen {
                Some(id) => app
                    .installation::<ManagePermissions>(&principal, id)
                    .await
                    .ok()
                    .map(|(_, manage)| manage),
                None => None,
            };
            if let Some(pushed) = &link.pushed {
                // A pushed request is spent by its decision: only someone who could approve it may
                // deny it (its installation's permission managers, else any installation's).
                if let Some(id) = pushed.request.installation {
                    about = Some(
                        app.installation::<ManagePermissions>(&principal, id)
                            .await?
                            .1,
                    );
                }
                let may = about.is_some()
                    || !app
                        .installations_with::<ManagePermissions>(&principal)
                        .await?
                        .is_empty();
                if !may {
                    return Err(AppError::Forbidden);
                }
                if !app
                    .store
                    .deny_pushed_request(pushed.id, chrono::Utc::now())
                    .await?
                {
                    return Err(AppError::BadRequest(Message::new("err-request-decided")));
                }
            }
            app.store
                .record_denial(&principal, about.as_ref(), link.group.id, &context)
                .await?;
            let target = after_decision(link, None);
            remember_decision(auth, link, chosen, None, &target).await?;
            Ok(Decided::Done(Redirect::to(&target).into_response()))
        }
        _ => Err(AppError::BadRequest(Message::new("err-choose-decision"))),
    }
}

async fn decide(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    auth: AuthUser,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = DecisionForm::from_pairs(form);
    decide_link(app, client, auth, Some(key), query, form).await
}

async fn decide_by_param(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    auth: AuthUser,
    RawQuery(query): RawQuery,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = DecisionForm::from_pairs(form);
    decide_link(app, client, auth, None, query, form).await
}

#[derive(Template, WebTemplate)]
#[template(path = "access_receipt.html")]
struct ReceiptPage {
    layout: Layout,
    approved: bool,
    sentence: String,
    next_step: String,
    return_refused: bool,
    permissions: Option<String>,
}

async fn receipt(State(app): State<AppState>, auth: AuthUser) -> Result<Response, AppError> {
    let tr = Tr(auth.visit.lang);
    let decision: Decision = auth
        .visit
        .session
        .get(DECISION_KEY)
        .await?
        .ok_or(AppError::BadRequest(Message::new("err-receipt")))?;
    let group_name = decision.group_name.clone();
    let installation = match decision.installation {
        Some(id) => app
            .installation::<ViewInstallation>(&auth.principal(), id)
            .await
            .ok()
            .map(|(i, _)| i),
        None => None,
    };
    let installation_name = installation
        .as_ref()
        .map_or_else(|| tr.t("receipt-some-installation"), |i| i.name.clone());
    let grant = match &installation {
        Some(i) => app
            .store
            .installation_grants(i.id)
            .await?
            .into_iter()
            .find(|grant| grant.group.id == decision.group && !grant.terms.expired(Utc::now())),
        None => None,
    };
    let holds = grant.is_some();
    let rights = grant
        .as_ref()
        .map(|grant| super::permissions::rights_words(tr, grant.terms.rights))
        .unwrap_or_default();
    let args = [
        ("group", group_name.as_str()),
        ("installation", installation_name.as_str()),
        ("rights", rights.as_str()),
    ];
    let approved = decision.approved && holds;
    let (sentence, next_step) = match (decision.approved, holds) {
        (true, true) => match decision.already {
            None => (
                tr.with("receipt-approved", &args),
                tr.with("receipt-approved-next", &args),
            ),
            Some(Already::Changed) => (
                tr.with("receipt-changed", &args),
                tr.with("receipt-approved-next", &args),
            ),
            Some(Already::Unchanged) => (
                tr.with("receipt-unchanged", &args),
                tr.t("receipt-unchanged-next"),
            ),
        },
        (true, false) => (tr.with("receipt-no-longer", &args), String::new()),
        (false, _) => (
            tr.with("receipt-denied", &[("group", group_name.as_str())]),
            tr.t("receipt-denied-next"),
        ),
    };
    let return_refused = decision.return_refused;
    let layout = Layout::new(&app, &auth.visit, Some(&auth.user), tr.t("review-title")).await?;
    Ok(ReceiptPage {
        layout,
        approved,
        sentence,
        next_step,
        return_refused,
        permissions: installation.map(|i| format!("/installations/{}/permissions", i.id)),
    }
    .into_response())
}
