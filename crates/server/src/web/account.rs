//! The account page: changing the password, the REST API tokens a user holds (created, last used,
//! from where), each with a revoke button, and logging out everywhere (every browser session and
//! every token). A new password also ends every other browser session and every token.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use serde::Deserialize;
use voltgate_domain::{Message, Password, ValidationErrors};
use voltgate_store::TokenFamily;

use super::layout::Layout;
use super::session::{keep_session, sign_out, AuthUser, CsrfForm, NoFields};
use crate::accounts::{self, LoginOutcome};
use crate::error::AppError;
use crate::passwords;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(show))
        .route("/account/password", post(change_password))
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
    /// Problems with the password form, by field.
    errors: ValidationErrors,
    /// The password was just changed.
    changed: bool,
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    #[serde(default)]
    password: Option<String>,
}

#[derive(Deserialize, Default)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
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

async fn page(
    app: &AppState,
    auth: &AuthUser,
    errors: ValidationErrors,
    changed: bool,
) -> Result<AccountPage, AppError> {
    let families = app.store.token_families(auth.user.id, Utc::now()).await?;
    let tr = crate::i18n::Tr(auth.visit.lang);
    let layout = Layout::new(app, &auth.visit, Some(&auth.user), tr.t("account-title")).await?;
    Ok(AccountPage {
        layout,
        tokens: families.into_iter().map(row).collect(),
        errors,
        changed,
    })
}

async fn show(
    State(app): State<AppState>,
    auth: AuthUser,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let changed = query.password.as_deref() == Some("changed");
    Ok(page(&app, &auth, ValidationErrors::new(), changed)
        .await?
        .into_response())
}

/// Changes the password after checking the current one (throttled like a login), then ends every
/// other browser session and every API token; this session stays, under a new id.
async fn change_password(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    auth: AuthUser,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let mut errors = ValidationErrors::new();
    let new = errors.check("new_password", Password::parse(&form.new_password));
    if new.is_some() && form.new_password != form.new_password_again {
        errors.add("new_password_again", Message::new("err-password-mismatch"));
    }
    match accounts::log_in(
        app.store.as_ref(),
        &auth.user.email,
        &form.current_password,
        client.ip(),
    )
    .await?
    {
        LoginOutcome::LoggedIn(user, _) if user.id == auth.user.id => {}
        LoginOutcome::LoggedIn(..) | LoginOutcome::Refused => {
            errors.add("current_password", Message::new("err-current-password"));
        }
        LoginOutcome::Throttled(retry_after) => {
            return Err(AppError::TooManyRequests {
                retry_after,
                lang: auth.visit.lang,
            })
        }
    }
    let (Some(new), true) = (new, errors.is_empty()) else {
        let page = page(&app, &auth, errors, false).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let hash = passwords::hash(new).await?;
    let epoch = app
        .store
        .change_password(auth.user.id, &hash, Utc::now())
        .await?;
    keep_session(&auth.visit, epoch).await?;
    Ok(Redirect::to("/account?password=changed").into_response())
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

/// Ends every browser session of the user (this one too) and revokes every API token of theirs.
async fn logout_everywhere(
    State(app): State<AppState>,
    auth: AuthUser,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Redirect, AppError> {
    app.store.end_sessions(auth.user.id, Utc::now()).await?;
    sign_out(&auth.visit.session).await?;
    Ok(Redirect::to("/login"))
}
