//! The account page: the REST API tokens a user holds (created, last used, from where), each with a
//! revoke button, and logging out everywhere (every token and this session).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use voltgate_store::TokenFamily;

use super::layout::Layout;
use super::session::{sign_out, AuthUser, CsrfForm, NoFields};
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(show))
        .route("/account/tokens/{family}/revoke", post(revoke))
        .route("/account/logout-everywhere", post(logout_everywhere))
}

/// One token family as the page shows it.
struct TokenRow {
    id: String,
    created: String,
    last_used: Option<String>,
    from: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    tokens: Vec<TokenRow>,
}

fn row(family: TokenFamily) -> TokenRow {
    let when = |at: chrono::DateTime<Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    TokenRow {
        id: family.id.to_string(),
        created: when(family.created_at),
        last_used: family.last_used_at.map(when),
        from: family.client_address.unwrap_or_default(),
    }
}

async fn show(State(app): State<AppState>, auth: AuthUser) -> Result<Response, AppError> {
    let families = app.store.token_families(auth.user.id, Utc::now()).await?;
    let title = auth.visit.lang;
    let layout = Layout::new(
        &app,
        &auth.visit,
        Some(&auth.user),
        crate::i18n::Tr(title).t("account-title"),
    )
    .await?;
    Ok(AccountPage {
        layout,
        tokens: families.into_iter().map(row).collect(),
    }
    .into_response())
}

/// Revokes one of the user's token families; another user's id is simply not found.
async fn revoke(
    State(app): State<AppState>,
    auth: AuthUser,
    Path(family): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Redirect, AppError> {
    let family: uuid::Uuid = family.parse().map_err(|_| AppError::NotFound)?;
    if !app
        .store
        .revoke_token_family(auth.user.id, family, Utc::now())
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/account"))
}

/// Revokes every API token of the user and ends this session.
async fn logout_everywhere(
    State(app): State<AppState>,
    auth: AuthUser,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Redirect, AppError> {
    app.store
        .revoke_user_tokens(auth.user.id, Utc::now())
        .await?;
    sign_out(&auth.visit.session).await?;
    Ok(Redirect::to("/login"))
}
