//! The partner endpoints beyond Zaptec's surface: the caller's groups, the installations shared with a
//! group (and giving one up), the group's registered return URLs, and pushed access requests.
//! Each goes through `authorize()` on the group (and the installation, to give access up).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::Router;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use voltgate_domain::authz::{ManageGroup, RequestAccess, ViewGroupGrants};
use voltgate_domain::pushed_request::{
    grant_until, link_expires, requested_rights, PushRefused, PushedParams,
};
use voltgate_domain::{AccessRequestId, GroupId, GroupRole, InstallationId, RegisteredReturnUrl};
use voltgate_store::{NewPushedRequest, PushedOutcome, StoreError};

use super::zaptec::{bad_request, path_id, timestamp, Page, Paging};
use super::{ApiUser, Json, Query};
use crate::error::{ApiError, AppError};
use crate::events::Event;
use crate::i18n::Lang;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/usergroups", get(groups))
        .route("/usergroups/{id}/installations", get(installations))
        .route(
            "/usergroups/{id}/installations/{installation}",
            delete(give_up),
        )
        .route(
            "/usergroups/{id}/returnurls",
            get(return_urls)
                .post(add_return_url)
                .delete(remove_return_url),
        )
        .route(
            "/usergroups/{id}/accessrequests",
            axum::routing::post(push_request),
        )
        .route(
            "/usergroups/{id}/accessrequests/{request}",
            get(request_status),
        )
}

/// A group the caller belongs to (or, for a service account, its group).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GroupView {
    pub id: Uuid,
    pub name: String,
    /// The key of the group's access links.
    pub lookup_key: String,
    /// `owner`, `member` or `serviceAccount`.
    pub role: &'static str,
}

/// The groups the caller belongs to, by name; a service account sees its own group.
#[utoipa::path(get, path = "/api/userGroups", tag = "partner", security(("bearer" = [])),
    responses((status = 200, body = Vec<GroupView>), (status = 401, description = "No valid token")))]
pub async fn groups(
    State(app): State<AppState>,
    caller: ApiUser,
) -> Result<axum::Json<Vec<GroupView>>, ApiError> {
    let principal = caller.principal();
    let view = |group: voltgate_store::Group, role: &'static str| GroupView {
        id: group.id.as_uuid(),
        name: group.name,
        lookup_key: group.lookup_key.to_string(),
        role,
    };
    let groups = match (principal.user(), principal.service_group()) {
        (Some(user), _) => app
            .store
            .groups_for(user)
            .await?
            .into_iter()
            .map(|(group, role)| {
                let role = match role {
                    GroupRole::Owner => "owner",
                    GroupRole::Member => "member",
                };
                view(group, role)
            })
            .collect(),
        (None, Some(id)) => {
            let (group, _) = app.group::<ViewGroupGrants>(&principal, id).await?;
            vec![view(group, "serviceAccount")]
        }
        (None, None) => Vec::new(),
    };
    Ok(axum::Json(groups))
}

/// An installation shared with a group.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SharedInstallationView {
    pub id: Uuid,
    pub name: String,
    /// When the owner approved (UTC).
    pub granted_at: String,
    /// The e-mail of who approved, while that account exists.
    pub granted_by: Option<String>,
    /// What the grant allows: `view` always, and `changeSettings`, `controlChargers`,
    /// `configureChargers` as the owner chose.
    pub rights: Vec<&'static str>,
    /// When the access ends (UTC; in the past for a grant that has ended); none for a grant without end.
    pub until: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(rename = "PageIndex")]
    pageindex: Option<i64>,
    #[param(rename = "PageSize")]
    pagesize: Option<i64>,
}

fn group_id(raw: &str) -> Result<GroupId, ApiError> {
    path_id(raw)
}

/// The installations shared with the group, by name, paged like the other lists.
#[utoipa::path(get, path = "/api/userGroups/{id}/installations", tag = "partner",
    params(("id" = Uuid, Path, description = "The user group"), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<SharedInstallationView>), (status = 400, description = "Invalid paging"), (status = 401, description = "No valid token"), (status = 403, description = "Not a member of the group"), (status = 404, description = "Not an id")))]
pub async fn installations(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<axum::Json<Page<SharedInstallationView>>, ApiError> {
    let id = group_id(&id)?;
    let paging = Paging::parse(query.pageindex, query.pagesize)?;
    let (_, seen) = app
        .group::<ViewGroupGrants>(&caller.principal(), id)
        .await
        .map_err(super::hidden)?;
    let (rows, total) = app
        .store
        .shared_installations(&seen, paging.size, paging.offset())
        .await?;
    let data = rows
        .into_iter()
        .map(|row| SharedInstallationView {
            id: row.installation.as_uuid(),
            name: row.name,
            granted_at: timestamp(row.granted_at),
            granted_by: row.granted_by,
            rights: row.terms.rights.api_words(),
            until: row.terms.ends.map(timestamp),
        })
        .collect();
    Ok(axum::Json(Page {
        pages: paging.pages(total),
        data,
        message: None,
    }))
}

/// The group gives up its access to the installation (its owners and service accounts); audited.
#[utoipa::path(delete, path = "/api/userGroups/{id}/installations/{installationId}", tag = "partner",
    params(("id" = Uuid, Path, description = "The user group"), ("installationId" = Uuid, Path, description = "The installation")),
    security(("bearer" = [])),
    responses((status = 204, description = "The group no longer has access"), (status = 401, description = "No valid token"), (status = 403, description = "Not an owner or service account of the group, or no such grant"), (status = 404, description = "Not an id")))]
pub async fn give_up(
    State(app): State<AppState>,
    caller: ApiUser,
    Path((id, installation)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = group_id(&id)?;
    let installation: InstallationId = path_id(&installation)?;
    let (_, _, revoke) = app
        .revocation(&caller.principal(), installation, id)
        .await
        .map_err(super::hidden)?;
    match app.store.revoke_access(&revoke).await {
        Ok(()) => app.events.publish(Event::AccessRevoked {
            installation,
            group: id,
        }),
        Err(StoreError::NotFound) => return Err(ApiError(AppError::Forbidden)),
        Err(other) => return Err(other.into()),
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The group's registered return URLs, in order.
#[utoipa::path(get, path = "/api/userGroups/{id}/returnUrls", tag = "partner",
    params(("id" = Uuid, Path, description = "The user group")), security(("bearer" = [])),
    responses((status = 200, body = Vec<String>), (status = 401, description = "No valid token"), (status = 403, description = "Not an owner of the group"), (status = 404, description = "Not an id")))]
pub async fn return_urls(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<String>>, ApiError> {
    let id = group_id(&id)?;
    let (group, _) = app
        .group::<ManageGroup>(&caller.principal(), id)
        .await
        .map_err(super::hidden)?;
    Ok(axum::Json(group.return_urls))
}

#[derive(Deserialize, ToSchema)]
pub struct ReturnUrlBody {
    /// An `https://` address (or `http://localhost` for development).
    #[schema(example = "https://partner.example/voltgate/done")]
    url: String,
}

/// Registers one more return URL (group owners); audited. Registering one again changes nothing.
#[utoipa::path(post, path = "/api/userGroups/{id}/returnUrls", tag = "partner",
    params(("id" = Uuid, Path, description = "The user group")), request_body = ReturnUrlBody,
    security(("bearer" = [])),
    responses((status = 200, body = Vec<String>, description = "The return URLs now"), (status = 400, description = "Not a return URL"), (status = 401, description = "No valid token"), (status = 403, description = "Not an owner of the group"), (status = 404, description = "Not an id")))]
pub async fn add_return_url(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Json(body): Json<ReturnUrlBody>,
) -> Result<axum::Json<Vec<String>>, ApiError> {
    let id = group_id(&id)?;
    let (_, manage) = app
        .group::<ManageGroup>(&caller.principal(), id)
        .await
        .map_err(super::hidden)?;
    let url = RegisteredReturnUrl::parse(&body.url).map_err(|e| bad_request(529, e.to_string()))?;
    app.store.add_return_url(&manage, &url).await?;
    let (group, _) = app.group::<ManageGroup>(&caller.principal(), id).await?;
    Ok(axum::Json(group.return_urls))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnUrlQuery {
    /// The registered return URL to remove, exactly as listed.
    #[param(rename = "url")]
    url: Option<String>,
}

/// Removes a registered return URL (group owners); audited.
#[utoipa::path(delete, path = "/api/userGroups/{id}/returnUrls", tag = "partner",
    params(("id" = Uuid, Path, description = "The user group"), ReturnUrlQuery), security(("bearer" = [])),
    responses((status = 204, description = "Removed"), (status = 400, description = "No url given"), (status = 401, description = "No valid token"), (status = 403, description = "Not an owner of the group"), (status = 404, description = "Not an id, or not registered")))]
pub async fn remove_return_url(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Query(query): Query<ReturnUrlQuery>,
) -> Result<StatusCode, ApiError> {
    let id = group_id(&id)?;
    let (_, manage) = app
        .group::<ManageGroup>(&caller.principal(), id)
        .await
        .map_err(super::hidden)?;
    let url = query
        .url
        .ok_or_else(|| bad_request(529, "url is required."))?;
    match app.store.remove_return_url(&manage, &url).await {
        Err(StoreError::NotFound) => Err(ApiError(AppError::NotFound)),
        other => other.map(|()| StatusCode::NO_CONTENT).map_err(Into::into),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct PushRequestBody {
    /// The installation to ask for, if the partner knows it.
    #[serde(rename = "installationid")]
    #[schema(rename = "installationId")]
    installation_id: Option<Uuid>,
    /// Where the owner's browser goes after the decision: one of the group's registered return URLs.
    #[serde(rename = "returnurl")]
    #[schema(rename = "returnUrl")]
    return_url: Option<String>,
    /// Opaque, at most 512 characters; handed back unchanged with the decision.
    state: Option<String>,
    /// The language of the review page (`en`, `de`, `nb`).
    lang: Option<String>,
    /// How the partner calls itself (shown next to the group's real name).
    #[serde(rename = "partnername")]
    #[schema(rename = "partnerName")]
    partner_name: Option<String>,
    /// `view`, `changeSettings`, `controlChargers`, `configureChargers`; all of them when left out.
    rights: Option<Vec<String>>,
    /// When the access should end (RFC 3339), if ever.
    until: Option<String>,
}

/// A stored pushed request's link.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PushedRequestView {
    pub id: Uuid,
    /// Send the installation's owner here: `/access/request/{key}?request={id}`.
    pub link: String,
    /// When the link stops working (UTC).
    pub expires_at: String,
}

fn refused(error: PushRefused) -> ApiError {
    bad_request(529, error.to_string())
}

/// A pushed access request: the parameters are kept on the server and the answer is a short link that
/// cannot be tampered with, good for 7 days and one decision (group owners and service accounts).
#[utoipa::path(post, path = "/api/userGroups/{id}/accessRequests", tag = "partner",
    params(("id" = Uuid, Path, description = "The user group")), request_body = PushRequestBody,
    security(("bearer" = [])),
    responses((status = 201, body = PushedRequestView), (status = 400, description = "A parameter is wrong, the returnUrl is not registered for the group, the request names neither installationId nor returnUrl, or the installation is shared with the group already"), (status = 401, description = "No valid token"), (status = 403, description = "Not an owner or service account of the group"), (status = 404, description = "Not an id")))]
pub async fn push_request(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Json(body): Json<PushRequestBody>,
) -> Result<Response, ApiError> {
    let id = group_id(&id)?;
    let (group, on) = app
        .group::<RequestAccess>(&caller.principal(), id)
        .await
        .map_err(super::hidden)?;
    let now = Utc::now();
    let params = PushedParams {
        installation_id: body.installation_id.map(InstallationId::from_uuid),
        return_url: body.return_url.filter(|u| !u.trim().is_empty()),
        state: body.state,
        lang: body
            .lang
            .as_deref()
            .and_then(Lang::parse)
            .map(|l| l.code().to_owned()),
        partner_name: body.partner_name.filter(|n| !n.trim().is_empty()),
    };
    let rights = requested_rights(body.rights.as_deref()).map_err(refused)?;
    let until = match body.until.as_deref() {
        Some(raw) => Some(grant_until(raw, now).map_err(refused)?.to_rfc3339()),
        None => None,
    };
    params.check(&group.return_urls).map_err(refused)?;
    // Whether another installation exists is not told: the id is the owner's hint. One already
    // shared with the group is refused, as the group sees it anyway.
    if let Some(installation) = params.installation_id {
        if app
            .store
            .group_grants(group.id)
            .await?
            .contains(&installation)
        {
            return Err(refused(PushRefused::AlreadyShared));
        }
    }
    let expires_at = link_expires(now);
    let request = NewPushedRequest {
        installation: params.installation_id,
        return_url: params.return_url,
        state: params.state,
        lang: params.lang,
        partner_name: params.partner_name,
        requested_rights: rights,
        grant_until: until,
        created_at: now,
        expires_at,
    };
    let request_id = app.store.create_pushed_request(&on, &request).await?;
    let view = PushedRequestView {
        id: request_id.as_uuid(),
        link: format!(
            "{}/access/request/{}?request={request_id}",
            app.public_url.trim_end_matches('/'),
            group.lookup_key
        ),
        expires_at: timestamp(expires_at),
    };
    Ok((StatusCode::CREATED, axum::Json(view)).into_response())
}

/// What became of a pushed request.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RequestStatusView {
    pub id: Uuid,
    /// `pending`, `approved`, `denied` or `expired`.
    pub status: &'static str,
    /// The installation the owner approved, when approved.
    pub installation_id: Option<Uuid>,
}

/// Whether a pushed request is pending, approved (for which installation), denied or expired.
#[utoipa::path(get, path = "/api/userGroups/{id}/accessRequests/{requestId}", tag = "partner",
    params(("id" = Uuid, Path, description = "The user group"), ("requestId" = Uuid, Path, description = "The pushed request")),
    security(("bearer" = [])),
    responses((status = 200, body = RequestStatusView), (status = 401, description = "No valid token"), (status = 403, description = "Not an owner or service account of the group, or not its request"), (status = 404, description = "Not an id")))]
pub async fn request_status(
    State(app): State<AppState>,
    caller: ApiUser,
    Path((id, request)): Path<(String, String)>,
) -> Result<axum::Json<RequestStatusView>, ApiError> {
    let id = group_id(&id)?;
    let request: AccessRequestId = path_id(&request)?;
    app.group::<RequestAccess>(&caller.principal(), id)
        .await
        .map_err(super::hidden)?;
    let found = app
        .store
        .pushed_request(request)
        .await?
        .filter(|found| found.group == id)
        .ok_or(ApiError(AppError::Forbidden))?;
    let (status, installation_id) = match found.outcome(Utc::now()) {
        PushedOutcome::Pending => ("pending", None),
        PushedOutcome::Approved(installation) => ("approved", Some(installation.as_uuid())),
        PushedOutcome::Denied => ("denied", None),
        PushedOutcome::Expired => ("expired", None),
    };
    Ok(axum::Json(RequestStatusView {
        id: request.as_uuid(),
        status,
        installation_id,
    }))
}
