//! Sign up, log in, log out.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use voltgate_domain::{LocalPath, ValidationErrors};

use super::layout::Layout;
use super::session::{sign_in, sign_out, CsrfForm, MaybeUser};
use crate::accounts::{self, LoginOutcome, SignupError};
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup_page).post(signup))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

/// Where to go after logging in: a local path, or the installations.
fn destination(next: &str) -> String {
    LocalPath::parse(next).map_or_else(
        || "/installations".to_owned(),
        |path| path.as_str().to_owned(),
    )
}

#[derive(Deserialize, Default)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize, Default)]
struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "signup.html")]
struct SignupPage {
    layout: Layout,
    email: String,
    full_name: String,
    next: String,
    errors: ValidationErrors,
}

#[derive(Deserialize, Default)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    refused: bool,
}

async fn signup_page(
    State(app): State<AppState>,
    visitor: MaybeUser,
    Query(query): Query<NextQuery>,
) -> Result<Response, AppError> {
    if visitor.user.is_some() {
        return Ok(Redirect::to(&destination(&query.next)).into_response());
    }
    let layout = Layout::new(&app, &visitor.session, None, "Sign up").await?;
    let page = SignupPage {
        layout,
        email: String::new(),
        full_name: String::new(),
        next: query.next,
        errors: ValidationErrors::new(),
    };
    Ok(page.into_response())
}

async fn signup(
    State(app): State<AppState>,
    visitor: MaybeUser,
    CsrfForm(form): CsrfForm<SignupForm>,
) -> Result<Response, AppError> {
    match accounts::sign_up(
        app.store.as_ref(),
        &form.email,
        &form.full_name,
        &form.password,
    )
    .await
    {
        Ok(user) => {
            sign_in(&visitor.session, &user).await?;
            Ok(Redirect::to(&destination(&form.next)).into_response())
        }
        Err(SignupError::Invalid(errors)) => {
            let layout = Layout::new(&app, &visitor.session, None, "Sign up").await?;
            let page = SignupPage {
                layout,
                email: form.email,
                full_name: form.full_name,
                next: form.next,
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(SignupError::Failed(error)) => Err(error),
    }
}

async fn login_page(
    State(app): State<AppState>,
    visitor: MaybeUser,
    Query(query): Query<NextQuery>,
) -> Result<Response, AppError> {
    if visitor.user.is_some() {
        return Ok(Redirect::to(&destination(&query.next)).into_response());
    }
    let layout = Layout::new(&app, &visitor.session, None, "Log in").await?;
    Ok(LoginPage {
        layout,
        email: String::new(),
        next: query.next,
        refused: false,
    }
    .into_response())
}

async fn login(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    visitor: MaybeUser,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    match accounts::log_in(app.store.as_ref(), &form.email, &form.password, client.ip()).await? {
        LoginOutcome::LoggedIn(user) => {
            sign_in(&visitor.session, &user).await?;
            Ok(Redirect::to(&destination(&form.next)).into_response())
        }
        LoginOutcome::Refused => {
            let layout = Layout::new(&app, &visitor.session, None, "Log in").await?;
            let page = LoginPage {
                layout,
                email: form.email,
                next: form.next,
                refused: true,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Deserialize)]
struct NoFields {}

async fn logout(visitor: MaybeUser, CsrfForm(_): CsrfForm<NoFields>) -> Result<Redirect, AppError> {
    sign_out(&visitor.session).await?;
    Ok(Redirect::to("/login"))
}
