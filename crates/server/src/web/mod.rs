//! The portal: server-rendered HTML that works without JavaScript.

mod access;
mod account;
mod accounts;
pub(crate) mod chargers;
mod chart;
mod group_events;
mod groups;
mod history;
mod installations;
mod layout;
mod live;
mod ocpp;
mod permissions;
mod service_accounts;
mod session;
mod webhooks;
mod words;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::csrf::{self, SecureCookies};
use crate::error::{AppError, ErrorText};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use layout::Layout;
use session::MaybeUser;

/// A paged portal list's page from `?page=`: 1 when absent or empty, 400 unless a whole number ≥ 1.
fn page_number(raw: Option<&str>) -> Result<i64, AppError> {
    match raw {
        None | Some("") => Ok(1),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|page| *page >= 1)
            .ok_or_else(|| AppError::BadRequest(voltgate_domain::Message::new("err-page"))),
    }
}

/// How many pages of `size` rows `total` rows fill (one, for none).
fn page_count(total: i64, size: i64) -> i64 {
    ((total + size - 1) / size).max(1)
}

const STYLESHEET: &str = include_str!("../../static/style.css");
const SCRIPT: &str = include_str!("../../static/live.js");

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
        .merge(group_events::router())
        .merge(service_accounts::router())
        .merge(webhooks::router())
        .merge(permissions::router())
        .merge(ocpp::router())
        .merge(chargers::router())
        .merge(history::router())
        .merge(crate::api::router())
        .merge(live::router())
        .route("/", get(home))
        .route("/healthz", get(health))
        .route("/static/style.css", get(stylesheet))
        .route("/static/live.js", get(script))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            frame_errors,
        ))
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

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    message: String,
}

/// Draws every error page inside the site's frame (navigation when signed in, the language switch),
/// in the visitor's language. The request's parts are kept aside only to know who asks.
async fn frame_errors(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let mut kept = Request::new(());
    *kept.method_mut() = request.method().clone();
    *kept.uri_mut() = request.uri().clone();
    *kept.headers_mut() = request.headers().clone();
    *kept.extensions_mut() = request.extensions().clone();
    let response = next.run(request).await;
    let Some(text) = response.extensions().get::<ErrorText>().cloned() else {
        return response;
    };
    let (mut parts, ()) = kept.into_parts();
    let Ok((visit, user)) = session::current_user(&mut parts, &app).await else {
        return response;
    };
    let tr = Tr(visit.lang);
    let Ok(layout) = Layout::new(&app, &visit, user.as_ref(), tr.t(text.title)).await else {
        return response;
    };
    let Ok(body) = (ErrorPage {
        layout,
        message: tr.msg(&text.message),
    })
    .render() else {
        return response;
    };
    let (mut head, _) = response.into_parts();
    head.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(head, Body::from(body))
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

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
}

async fn not_found() -> AppError {
    AppError::NotFound
}
