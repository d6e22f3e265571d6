//! The server's one error type, and how each kind becomes an HTTP response.

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use voltgate_domain::authz::rules::RoleChangeRefused;
use voltgate_domain::{Denial, Message};
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
    BadRequest(Message),
    #[error("{0}")]
    Conflict(Message),
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
                Self::Conflict(rule.into())
            }
            StoreError::Refused(_) => Self::Forbidden,
            StoreError::Conflict(what) => {
                Self::Conflict(Message::new("err-taken").arg("what", what))
            }
            StoreError::Limit(message, max) => {
                Self::Conflict(Message::new(message).arg("max", max))
            }
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

/// What an error page says, kept on the response so that the portal can draw it inside the site's
/// frame, in the visitor's language (`web::frame_errors`).
#[derive(Clone, Debug)]
pub struct ErrorText {
    /// The title's catalogue id.
    pub title: &'static str,
    pub message: Message,
}

#[derive(Template)]
#[template(path = "error_bare.html")]
struct ErrorPage<'a> {
    lang: &'a str,
    title: &'a str,
    message: &'a str,
    back: &'a str,
}

/// The page without the site's frame (outside the portal), in `lang`, with its `ErrorText` attached.
fn page_in(status: StatusCode, lang: Lang, title: &'static str, message: Message) -> Response {
    let tr = Tr(lang);
    let title_text = tr.t(title);
    let message_text = tr.msg(&message);
    let back = tr.t("error-back");
    let body = ErrorPage {
        lang: lang.code(),
        title: &title_text,
        message: &message_text,
        back: &back,
    }
    .render()
    .unwrap_or_else(|_| message_text.clone());
    let mut response = (status, Html(body)).into_response();
    response
        .extensions_mut()
        .insert(ErrorText { title, message });
    response
}

fn page(status: StatusCode, title: &'static str, message: &'static str) -> Response {
    page_in(status, Lang::En, title, Message::new(message))
}

/// The 429 page: how long to wait, in the visitor's language, and the same in `Retry-After`.
fn too_many(retry_after: u64, lang: Lang) -> Response {
    let message = if retry_after < 120 {
        Message::new("too-many-seconds").arg("seconds", retry_after)
    } else {
        Message::new("too-many-minutes").arg("minutes", retry_after.div_ceil(60))
    };
    let mut response = page_in(
        StatusCode::TOO_MANY_REQUESTS,
        lang,
        "too-many-title",
        message,
    );
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
            Self::NotFound => page(
                StatusCode::NOT_FOUND,
                "error-not-found-title",
                "error-not-found",
            ),
            Self::Forbidden => page(
                StatusCode::FORBIDDEN,
                "error-forbidden-title",
                "error-forbidden",
            ),
            Self::CsrfRejected => page(StatusCode::FORBIDDEN, "error-csrf-title", "error-csrf"),
            Self::BadRequest(message) => page_in(
                StatusCode::BAD_REQUEST,
                Lang::En,
                "error-bad-request-title",
                message,
            ),
            Self::Conflict(message) => page_in(
                StatusCode::CONFLICT,
                Lang::En,
                "error-conflict-title",
                message,
            ),
            Self::TooManyRequests { retry_after, lang } => too_many(retry_after, lang),
            Self::Busy => {
                let mut response = page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "error-busy-title",
                    "error-busy",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, BUSY_RETRY_AFTER.into());
                response
            }
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error-internal-title",
                    "error-internal",
                )
            }
            api @ (Self::Unauthorized | Self::Coded { .. } | Self::OAuth { .. }) => {
                ApiError(api).into_response()
            }
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

/// A domain message as the API states it: in English, as Zaptec's `Details` are.
fn english(message: &voltgate_domain::Message) -> String {
    crate::i18n::Tr(crate::i18n::Lang::En).msg(message)
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
            AppError::BadRequest(message) => {
                coded(StatusCode::BAD_REQUEST, 529, &english(&message))
            }
            AppError::Conflict(message) => coded(StatusCode::CONFLICT, 539, &english(&message)),
            AppError::Coded {
                status,
                code,
                details,
            } => coded(status, code, &details),
            AppError::OAuth { error, description } => {
                let body = serde_json::json!({ "error": error, "error_description": description });
                if error == "invalid_client" {
                    // RFC 6749 §5.2: a client that failed to authenticate gets 401 and a challenge.
                    let challenge = header::HeaderValue::from_static("Basic realm=\"voltgate\"");
                    let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, challenge);
                    return response;
                }
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
