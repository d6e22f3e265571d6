//! A group's webhooks page (`/groups/{id}/webhooks`, owners only): add an endpoint (URL and event
//! tick boxes; its secret is shown once), rotate its secret, delete it, and see the latest attempts
//! and why an endpoint was disabled.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{Duration, Utc};
use uuid::Uuid;
use voltgate_domain::authz::ManageGroup;
use voltgate_domain::webhook::{WebhookEvent, WebhookEvents, WebhookUrl};
use voltgate_domain::{Authorized, GroupId, Message, ValidationErrors};
use voltgate_store::{Group, NewWebhookEndpoint, WebhookAttempt, WebhookEndpoint};

use super::layout::Layout;
use super::session::{AuthUser, CsrfForm, NoFields, PathId};
use crate::error::AppError;
use crate::state::AppState;
use crate::webhooks::new_secret;

/// Attempts shown on the page.
const RECENT_ATTEMPTS: i64 = 50;
/// How long the previous secret keeps signing after a rotation from the page.
const OVERLAP_HOURS: i64 = 24;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups/{id}/webhooks", get(show).post(create))
        .route("/groups/{id}/webhooks/{webhook}/rotate", post(rotate))
        .route("/groups/{id}/webhooks/{webhook}/delete", post(remove))
}

/// One endpoint as the page lists it.
struct EndpointLine {
    id: Uuid,
    url: String,
    events: String,
    rotating_until: Option<String>,
    disabled: Option<(String, String)>,
}

/// One attempt as the page lists it.
struct AttemptLine {
    at: String,
    url: String,
    event_type: String,
    duration_ms: i64,
    outcome: String,
    ok: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "group_webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    group: Group,
    endpoints: Vec<EndpointLine>,
    attempts: Vec<AttemptLine>,
    /// Every event type, with whether its box is ticked.
    events: Vec<(&'static str, bool)>,
    url: String,
    errors: ValidationErrors,
    /// A secret just made, shown this once, and the URL it belongs to.
    secret: Option<(String, String)>,
}

fn when(at: chrono::DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn endpoint_line(endpoint: &WebhookEndpoint) -> EndpointLine {
    EndpointLine {
        id: endpoint.id,
        url: endpoint.url.clone(),
        events: endpoint
            .events
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        rotating_until: endpoint.previous_secret_until.map(when),
        disabled: endpoint
            .disabled
            .as_ref()
            .map(|(at, why)| (when(*at), why.clone())),
    }
}

fn attempt_line(attempt: &WebhookAttempt, endpoints: &[WebhookEndpoint]) -> AttemptLine {
    let url = endpoints
        .iter()
        .find(|e| e.id == attempt.endpoint)
        .map(|e| e.url.clone())
        .unwrap_or_default();
    let outcome = match (&attempt.status_code, &attempt.error) {
        (Some(code), _) => format!("HTTP {code}"),
        (None, Some(error)) => error.clone(),
        (None, None) => String::new(),
    };
    AttemptLine {
        at: when(attempt.at),
        url,
        event_type: attempt.event_type.clone(),
        duration_ms: attempt.duration_ms,
        ok: attempt.status_code.is_some_and(|c| (200..300).contains(&c)),
        outcome,
    }
}

/// What a refused or successful form changes about the page.
#[derive(Default)]
struct Feedback {
    url: String,
    chosen: Vec<WebhookEvent>,
    errors: ValidationErrors,
    secret: Option<(String, String)>,
}

async fn page(
    app: &AppState,
    auth: &AuthUser,
    group: Group,
    on: &Authorized<ManageGroup>,
    feedback: Feedback,
) -> Result<WebhooksPage, AppError> {
    let endpoints = app.store.webhooks(on).await?;
    let attempts = app.store.webhook_attempts(on, RECENT_ATTEMPTS).await?;
    let title = crate::i18n::Tr(auth.visit.lang).t("webhooks");
    let layout = Layout::new(app, &auth.visit, Some(&auth.user), title).await?;
    Ok(WebhooksPage {
        layout,
        group,
        attempts: attempts
            .iter()
            .map(|a| attempt_line(a, &endpoints))
            .collect(),
        endpoints: endpoints.iter().map(endpoint_line).collect(),
        events: WebhookEvent::ALL
            .iter()
            .map(|e| (e.as_str(), feedback.chosen.contains(e)))
            .collect(),
        url: feedback.url,
        errors: feedback.errors,
        secret: feedback.secret,
    })
}

async fn show(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
) -> Result<Response, AppError> {
    let (group, on) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    Ok(page(&app, &auth, group, &on, Feedback::default())
        .await?
        .into_response())
}

/// The form's fields: `url`, and one `event.<type>` box per event type ticked.
fn parse_form(form: &HashMap<String, String>) -> (Feedback, Option<(WebhookUrl, WebhookEvents)>) {
    let url = form.get("url").cloned().unwrap_or_default();
    let chosen: Vec<&str> = WebhookEvent::ALL
        .iter()
        .map(|e| e.as_str())
        .filter(|name| form.contains_key(&format!("event.{name}")))
        .collect();
    let mut feedback = Feedback {
        url: url.clone(),
        chosen: chosen
            .iter()
            .filter_map(|n| WebhookEvent::parse(n))
            .collect(),
        ..Feedback::default()
    };
    let parsed_url = WebhookUrl::parse(&url).map_err(Message::from);
    let events = WebhookEvents::parse(chosen).map_err(Message::from);
    match (parsed_url, events) {
        (Ok(url), Ok(events)) => (feedback, Some((url, events))),
        (url, events) => {
            if let Err(message) = url {
                feedback.errors.add("url", message);
            }
            if let Err(message) = events {
                feedback.errors.add("events", message);
            }
            (feedback, None)
        }
    }
}

async fn create(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<GroupId>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (group, on) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    let (mut feedback, parsed) = parse_form(&form);
    let Some((url, events)) = parsed else {
        let page = page(&app, &auth, group, &on, feedback).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let secret = new_secret();
    let new = NewWebhookEndpoint {
        url,
        events,
        secret: secret.clone(),
    };
    let endpoint = app.store.create_webhook(&on, &new).await?;
    feedback = Feedback {
        secret: Some((secret, endpoint.url)),
        ..Feedback::default()
    };
    let page = page(&app, &auth, group, &on, feedback).await?;
    Ok((StatusCode::CREATED, page).into_response())
}

async fn rotate(
    State(app): State<AppState>,
    auth: AuthUser,
    axum::extract::Path((id, webhook)): axum::extract::Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let id: GroupId = id.parse().map_err(|_| AppError::NotFound)?;
    let webhook: Uuid = webhook.parse().map_err(|_| AppError::NotFound)?;
    let (group, on) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    let secret = new_secret();
    let until = Utc::now() + Duration::hours(OVERLAP_HOURS);
    let url = app
        .store
        .rotate_webhook_secret(&on, webhook, &secret, until)
        .await?;
    let feedback = Feedback {
        secret: Some((secret, url)),
        ..Feedback::default()
    };
    Ok(page(&app, &auth, group, &on, feedback)
        .await?
        .into_response())
}

async fn remove(
    State(app): State<AppState>,
    auth: AuthUser,
    axum::extract::Path((id, webhook)): axum::extract::Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let id: GroupId = id.parse().map_err(|_| AppError::NotFound)?;
    let webhook: Uuid = webhook.parse().map_err(|_| AppError::NotFound)?;
    let (_, on) = app.group::<ManageGroup>(&auth.principal(), id).await?;
    app.store.delete_webhook(&on, webhook).await?;
    Ok(Redirect::to(&format!("/groups/{id}/webhooks")).into_response())
}
