//! The server's one error type, and how each kind becomes an HTTP response.

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use voltgate_domain::authz::rules::RoleChangeRefused;
use voltgate_domain::Denial;
use voltgate_store::StoreError;

use crate::i18n::{Lang, Tr};
use crate::passwords::HashError;

/// Seconds a client is asked to wait when the server is busy.
const BUSY_RETRY_AFTER: u64 = 5;

/// Everything a request can fail with. Client mistakes are 4xx with a readable message; only
/// `Internal` is a 500, and it is logged once, here, without details reaching the browser.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not signed in: go to the login page, then back to `next`.
    #[error("login required")]
    LoginRequired { next: String },
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// A form without this session's CSRF token.
    #[error("the form was not sent from this site or has expired")]
    CsrfRejected,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// Throttled; try again after this many seconds. The page speaks the visitor's language.
    #[error("too many attempts")]
    TooManyRequests { retry_after: u64, lang: Lang },
    /// No valid bearer token (the REST API): 401 with `WWW-Authenticate`.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// A refusal of the REST API with Zaptec's error code (`528` a command the charger's state
    /// refuses, `519` an unknown command, `529` invalid input, `520` no answer from the charger).
    #[error("{details}")]
    Coded {
        status: StatusCode,
        code: u16,
        details: String,
    },
    /// A refused token request, in OAuth's shape (`invalid_grant`, `unsupported_grant_type`, …).
    #[error("{description}")]
    OAuth {
        error: &'static str,
        description: String,
    },
    /// The server is at capacity for this kind of work (hashing passwords): try again in a moment.
    #[error("busy")]
    Busy,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<HashError> for AppError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => Self::Busy,
            HashError::Failed(error) => Self::Internal(error),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Refused(rule @ RoleChangeRefused::LastOwner(_)) => {
                Self::Conflict(rule.to_string())
            }
            StoreError::Refused(_) => Self::Forbidden,
            StoreError::Conflict(what) => Self::Conflict(format!("That {what} is already taken.")),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<Denial> for AppError {
    fn from(denial: Denial) -> Self {
        match denial {
            Denial::NotFound => Self::NotFound,
            Denial::Forbidden => Self::Forbidden,
        }
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(error: tower_sessions::session::Error) -> Self {
        Self::Internal(anyhow::anyhow!("session store: {error}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: &'a str,
    title: &'a str,
    message: &'a str,
    back: &'a str,
}

fn localized(status: StatusCode, tr: Tr, title: &str, message: &str) -> Response {
    let back = tr.t("error-back");
    let body = ErrorPage {
        lang: tr.0.code(),
        title,
        message,
        back: &back,
    }
    .render()
    .unwrap_or_else(|_| message.to_owned());
    (status, Html(body)).into_response()
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    localized(status, Tr(Lang::En), title, message)
}

/// The 429 page: how long to wait, in the visitor's language, and the same in `Retry-After`.
fn too_many(retry_after: u64, lang: Lang) -> Response {
    let tr = Tr(lang);
    let message = if retry_after < 120 {
        tr.with("too-many-seconds", &[("seconds", &retry_after.to_string())])
    } else {
        let minutes = retry_after.div_ceil(60).to_string();
        tr.with("too-many-minutes", &[("minutes", &minutes)])
    };
    let title = tr.t("too-many-title");
    let mut response = localized(StatusCode::TOO_MANY_REQUESTS, tr, &title, &message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, retry_after.into());
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            Self::LoginRequired { next } => {
                let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                Redirect::to(&format!("/login?{query}")).into_response()
            }
            Self::NotFound => page(StatusCode::NOT_FOUND, "Not found", "There is nothing here, or you have no access to it."),
            Self::Forbidden => page(StatusCode::FORBIDDEN, "Not allowed", "You may see this, but not change it."),
            Self::CsrfRejected => page(
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form was not sent from voltgate or has expired. Go back, reload the page and try again.",
            ),
            Self::BadRequest(message) => page(StatusCode::BAD_REQUEST, "Bad request", &message),
            Self::Conflict(message) => page(StatusCode::CONFLICT, "Not possible", &message),
            Self::TooManyRequests { retry_after, lang } => too_many(retry_after, lang),
            Self::Busy => {
                let mut response = page(StatusCode::SERVICE_UNAVAILABLE, "Busy", "voltgate is very busy right now. Try again in a few seconds.");
                response.headers_mut().insert(header::RETRY_AFTER, BUSY_RETRY_AFTER.into());
                response
            }
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again in a moment.")
            }
            api @ (Self::Unauthorized | Self::Coded { .. } | Self::OAuth { .. }) => ApiError(api).into_response(),
        }
    }
}

/// An [`AppError`] rendered for the REST API: JSON in Zaptec's shape `{"Code", "Details",
/// "StackTrace"}` (OAuth's shape at `/oauth/*`), never HTML, never internals.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

/// Zaptec's error body.
fn coded(status: StatusCode, code: u16, details: &str) -> Response {
    let body = serde_json::json!({ "Code": code, "Details": details, "StackTrace": null });
    (status, axum::Json(body)).into_response()
}

fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, seconds.into());
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            AppError::Unauthorized | AppError::LoginRequired { .. } => {
                let mut response = coded(
                    StatusCode::UNAUTHORIZED,
                    401,
                    "A valid bearer token is required.",
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static(
                        "Bearer realm=\"voltgate\", error=\"invalid_token\"",
                    ),
                );
                response
            }
            AppError::NotFound => coded(
                StatusCode::NOT_FOUND,
                512,
                "Unknown object, or no access to it.",
            ),
            AppError::Forbidden | AppError::CsrfRejected => {
                coded(StatusCode::FORBIDDEN, 533, "Forbidden.")
            }
            AppError::BadRequest(message) => coded(StatusCode::BAD_REQUEST, 529, &message),
            AppError::Conflict(message) => coded(StatusCode::CONFLICT, 539, &message),
            AppError::Coded {
                status,
                code,
                details,
            } => coded(status, code, &details),
            AppError::OAuth { error, description } => {
                let body = serde_json::json!({ "error": error, "error_description": description });
                (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
            }
            AppError::TooManyRequests { retry_after, .. } => with_retry_after(
                coded(
                    StatusCode::TOO_MANY_REQUESTS,
                    429,
                    "Too many requests; slow down.",
                ),
                retry_after,
            ),
            AppError::Busy => with_retry_after(
                coded(
                    StatusCode::SERVICE_UNAVAILABLE,
                    503,
                    "voltgate is very busy; try again in a few seconds.",
                ),
                BUSY_RETRY_AFTER,
            ),
            AppError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                coded(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    500,
                    "Something went wrong; try again in a moment.",
                )
            }
        }
    }
}
