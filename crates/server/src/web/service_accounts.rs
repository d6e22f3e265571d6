//! A group's API credentials (service accounts) on the portal: its owners create them (the secret is
//! shown once, stored hashed), see when each was created and last used, and revoke them.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use voltgate_domain::authz::ManageGroup;
use voltgate_domain::{Authorized, GroupId, Message, Name, ServiceAccountId, ValidationErrors};
use voltgate_store::{Group, StoreError};

use super::layout::Layout;
use super::session::{AuthUser, CsrfForm, NoFields, PathId};
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups/{id}/service-accounts", get(list).post(create))
        .route(
            "/groups/{id}/service-accounts/{account}/revoke",
            post(revoke),
        )
}

/// One service account as the page shows it.
struct Row {
    id: ServiceAccountId,
    name: String,
    created: String,
    last_used: Option<String>,
    revoked: Option<String>,
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[derive(Template, WebTemplate)]
#[template(path = "service_accounts.html")]
struct ServiceAccountsPage {
    layout: Layout,
    group: Group,
    rows: Vec<Row>,
    name: String,
    errors: ValidationErrors,
    /// Right after creating: the new client id and its secret, shown this once.
    created: Option<(ServiceAccountId, String)>,
}

async fn page(
    app: &AppState,
    auth: &AuthUser,
    group: Group,
    manage: &Authorized<ManageGroup>,
    created: Option<(ServiceAccountId, String)>,
    (name, errors): (String, ValidationErrors),
) -> Result<ServiceAccountsPage, AppError> {
    let rows = app
        .store
        .service_accounts(manage)
        .await?
        .into_iter()
        .map(|account| Row {
            id: account.id,
            name: account.name,
            created: when(account.created_at),
            last_used: account.last_used_at.map(when),
            revoked: account.revoked_at.map(when),
        })
        .collect();
    let title = crate::i18n::Tr(auth.visit.lang).t("sa-title");
    let layout = Layout::new(app, &auth.visit, Some(&auth.user), title).await?;
    Ok(ServiceAccountsPage {
        layout,
        group,
        rows,
        name,
        errors,
        created,
    })
}

async fn list(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
) -> Result<Response, AppError> {
    let (group, manage) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    let shown = page(&app, &auth, group, &manage, None, Default::default()).await?;
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], shown).into_response())
}

#[derive(Deserialize, Default)]
struct NewAccount {
    #[serde(default)]
    name: String,
}

async fn create(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
    CsrfForm(form): CsrfForm<NewAccount>,
) -> Result<Response, AppError> {
    let (group, manage) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    let name = match Name::parse(&form.name) {
        Ok(name) => name,
        Err(error) => {
            let mut errors = ValidationErrors::new();
            errors.add("name", Message::from(error));
            let shown = page(&app, &auth, group, &manage, None, (form.name, errors)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, shown).into_response());
        }
    };
    let (account, secret) =
        crate::service_accounts::create(app.store.as_ref(), &manage, name.as_str()).await?;
    let shown = page(
        &app,
        &auth,
        group,
        &manage,
        Some((account.id, secret)),
        Default::default(),
    )
    .await?;
    // The secret is in this answer only: no cache may keep it.
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        shown,
    )
        .into_response())
}

async fn revoke(
    State(app): State<AppState>,
    auth: AuthUser,
    Path((id, account)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let (Ok(id), Ok(account)) = (id.parse::<GroupId>(), account.parse::<ServiceAccountId>()) else {
        return Err(AppError::NotFound);
    };
    let (_, manage) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    match app
        .store
        .revoke_service_account(&manage, account, Utc::now())
        .await
    {
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        other => other?,
    }
    Ok(Redirect::to(&format!("/groups/{id}/service-accounts")).into_response())
}
