//! The portal: server-rendered HTML that works without JavaScript.

mod access;
mod account;
mod accounts;
pub(crate) mod chargers;
mod groups;
mod history;
mod installations;
mod layout;
mod ocpp;
mod permissions;
mod session;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::csrf::{self, SecureCookies};
use crate::error::AppError;
use crate::state::AppState;
use session::MaybeUser;

const STYLESHEET: &str = include_str!("../../static/style.css");

/// Every portal route, with security headers, anonymous CSRF cookies and request tracing.
pub fn router(state: AppState, secure: SecureCookies) -> Router {
    let mut security_headers = vec![
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        // Pages are about someone's installations: no browser or proxy keeps them. (The stylesheet
        // sets its own caching.)
        (header::CACHE_CONTROL, "no-store"),
    ];
    if secure.0 {
        security_headers.push((header::STRICT_TRANSPORT_SECURITY, "max-age=63072000"));
    }
    let mut router = Router::new()
        .merge(access::router())
        .merge(accounts::router())
        .merge(account::router())
        .merge(installations::router())
        .merge(groups::router())
        .merge(permissions::router())
        .merge(ocpp::router())
        .merge(chargers::router())
        .merge(history::router())
        .merge(crate::api::router())
        .route("/", get(home))
        .route("/healthz", get(health))
        .route("/static/style.css", get(stylesheet))
        .fallback(not_found)
        .with_state(state);
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            secure,
            csrf::anonymous_cookie,
        ))
        .layer(TraceLayer::new_for_http())
}

async fn home(visitor: MaybeUser) -> Redirect {
    Redirect::to(if visitor.user.is_some() {
        "/installations"
    } else {
        "/login"
    })
}

/// 200 when the database answers, 503 when it does not.
async fn health(State(app): State<AppState>) -> Response {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

async fn not_found() -> AppError {
    AppError::NotFound
}
