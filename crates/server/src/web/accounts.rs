//! Sign up, log in, log out.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use voltgate_domain::access_request::{param, PartnerName};
use voltgate_domain::{LocalPath, ValidationErrors};

use super::layout::Layout;
use super::session::{sign_in, sign_out, CsrfForm, MaybeUser, NoFields, LANG_COOKIE};
use crate::accounts::{self, LoginOutcome, SignupError, SignupFrom};
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup_page).post(signup))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/language", post(choose_language))
}

/// When the person is on their way to an access request: who asks, in the link's own words.
pub(super) fn request_banner(next: &str, tr: Tr) -> Option<String> {
    let (path, query) = next.split_once('?').unwrap_or((next, ""));
    if !path.starts_with("/access/request") {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    match PartnerName::parse(param(&pairs, "partnerName").unwrap_or_default()) {
        Ok(Some(partner)) => Some(tr.with("request-banner", &[("partner", partner.as_str())])),
        _ => Some(tr.t("request-banner-anonymous")),
    }
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
    banner: Option<String>,
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
    banner: Option<String>,
    email: String,
    next: String,
    refused: bool,
}

async fn signup_view(
    app: &AppState,
    visitor: &MaybeUser,
    form: SignupForm,
    errors: ValidationErrors,
) -> Result<SignupPage, AppError> {
    let tr = Tr(visitor.visit.lang);
    let layout = Layout::new(app, &visitor.visit, None, tr.t("signup-title")).await?;
    let banner = request_banner(&form.next, tr);
    Ok(SignupPage {
        layout,
        banner,
        email: form.email,
        full_name: form.full_name,
        next: form.next,
        errors,
    })
}

async fn login_view(
    app: &AppState,
    visitor: &MaybeUser,
    email: String,
    next: String,
    refused: bool,
) -> Result<LoginPage, AppError> {
    let tr = Tr(visitor.visit.lang);
    let layout = Layout::new(app, &visitor.visit, None, tr.t("login-title")).await?;
    Ok(LoginPage {
        layout,
        banner: request_banner(&next, tr),
        email,
        next,
        refused,
    })
}

async fn signup_page(
    State(app): State<AppState>,
    visitor: MaybeUser,
    Query(query): Query<NextQuery>,
) -> Result<Response, AppError> {
    if visitor.user.is_some() {
        return Ok(Redirect::to(&destination(&query.next)).into_response());
    }
    let form = SignupForm {
        next: query.next,
        ..SignupForm::default()
    };
    Ok(signup_view(&app, &visitor, form, ValidationErrors::new())
        .await?
        .into_response())
}

async fn signup(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    visitor: MaybeUser,
    CsrfForm(form): CsrfForm<SignupForm>,
) -> Result<Response, AppError> {
    let from = SignupFrom::Client(client.ip(), &app.throttles.signups);
    match accounts::sign_up(
        app.store.as_ref(),
        &form.email,
        &form.full_name,
        &form.password,
        from,
    )
    .await
    {
        Ok(user) => {
            let epoch = app.store.session_epoch(user.id).await?;
            sign_in(&app, &visitor.visit, &user, epoch).await?;
            Ok(Redirect::to(&destination(&form.next)).into_response())
        }
        Err(SignupError::Invalid(errors)) => {
            let page = signup_view(&app, &visitor, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(SignupError::Throttled(retry_after)) => Err(AppError::TooManyRequests {
            retry_after,
            lang: visitor.visit.lang,
        }),
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
    Ok(login_view(&app, &visitor, String::new(), query.next, false)
        .await?
        .into_response())
}

async fn login(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    visitor: MaybeUser,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    match accounts::log_in(app.store.as_ref(), &form.email, &form.password, client.ip()).await? {
        LoginOutcome::LoggedIn(user, epoch) => {
            sign_in(&app, &visitor.visit, &user, epoch).await?;
            Ok(Redirect::to(&destination(&form.next)).into_response())
        }
        LoginOutcome::Refused => {
            let page = login_view(&app, &visitor, form.email, form.next, true).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        LoginOutcome::Throttled(retry_after) => Err(AppError::TooManyRequests {
            retry_after,
            lang: visitor.visit.lang,
        }),
    }
}

async fn logout(visitor: MaybeUser, CsrfForm(_): CsrfForm<NoFields>) -> Result<Redirect, AppError> {
    sign_out(&visitor.visit.session).await?;
    Ok(Redirect::to("/login"))
}

#[derive(Deserialize, Default)]
struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    next: String,
}

/// The language switch: an explicit choice, remembered in a cookie and, when signed in, for the
/// account. (A link's `?lang=` only shows that page in its language.)
async fn choose_language(
    State(app): State<AppState>,
    visitor: MaybeUser,
    CsrfForm(form): CsrfForm<LanguageForm>,
) -> Result<Response, AppError> {
    let lang = Lang::parse(&form.lang).ok_or_else(|| {
        AppError::BadRequest(voltgate_domain::Message::new("err-choose-language"))
    })?;
    if let Some(user) = &visitor.user {
        if user.language.as_deref() != Some(lang.code()) {
            app.store.set_language(user.id, lang.code()).await?;
        }
    }
    let secure = if app.secure_cookies() { "; Secure" } else { "" };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        lang.code()
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&destination(&form.next)),
    )
        .into_response())
}
