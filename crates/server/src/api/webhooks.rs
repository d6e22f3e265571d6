//! `/api/userGroups/{id}/webhooks`: a group's owners list, add, delete and rotate the secret of the
//! group's webhook endpoints. Everyone else gets a 403 or 404 (as for other groups).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use voltgate_domain::authz::ManageGroup;
use voltgate_domain::webhook::{WebhookEvents, WebhookUrl};
use voltgate_domain::{Authorized, GroupId};
use voltgate_store::{NewWebhookEndpoint, WebhookAttempt, WebhookEndpoint};

use super::zaptec::{bad_request, path_id, timestamp};
use super::{ApiUser, Json};
use crate::error::ApiError;
use crate::state::AppState;
use crate::webhooks::new_secret;

/// How many recent attempts the list shows, over all the group's endpoints.
const RECENT_ATTEMPTS: i64 = 50;
/// The longest overlap a rotation may ask for: a week.
const MAX_OVERLAP_MINUTES: i64 = 7 * 24 * 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/usergroups/{id}/webhooks", get(list).post(create))
        .route("/usergroups/{id}/webhooks/{webhook}", delete(remove))
        .route("/usergroups/{id}/webhooks/{webhook}/rotate", post(rotate))
}

/// One attempt to deliver an event.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AttemptView {
    pub event_id: Uuid,
    pub event_type: String,
    pub at: String,
    pub duration_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// Why there was no answer, when there was none.
    pub error: Option<String>,
}

/// A webhook endpoint (its secret is shown only when made).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_on: String,
    /// Until when the previous secret also signs (after a rotation).
    pub previous_secret_valid_until: Option<String>,
    /// When it was disabled for failing for the whole retry window, and why.
    pub disabled_on: Option<String>,
    pub disabled_reason: Option<String>,
    /// The latest attempts, newest first.
    pub recent_attempts: Vec<AttemptView>,
}

/// A new endpoint with its secret, which is never shown again.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// Verifies the `Voltgate-Signature` header: shown once.
    pub secret: String,
}

/// A new secret; the previous one signs as well until `PreviousSecretValidUntil`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RotatedSecret {
    pub secret: String,
    pub previous_secret_valid_until: String,
}

/// An endpoint to add: an https URL (http only for localhost and 127.0.0.1) and the event types.
#[derive(Deserialize, ToSchema)]
pub struct NewWebhook {
    #[serde(default)]
    pub url: String,
    /// `access.granted`, `access.changed`, `access.revoked`, `access.expired`, `session.started`,
    /// `session.ended`, `charger.online`, `charger.offline`.
    #[serde(default)]
    pub events: Vec<String>,
}

/// A rotation: how long the current secret keeps signing too (minutes, default 60, at most a week).
#[derive(Deserialize, ToSchema, Default)]
pub struct Rotation {
    #[serde(default)]
    pub overlapminutes: Option<i64>,
}

fn attempt_view(attempt: &WebhookAttempt) -> AttemptView {
    AttemptView {
        event_id: attempt.event_id,
        event_type: attempt.event_type.clone(),
        at: timestamp(attempt.at),
        duration_ms: attempt.duration_ms,
        status_code: attempt.status_code,
        error: attempt.error.clone(),
    }
}

fn view(endpoint: &WebhookEndpoint, attempts: &[WebhookAttempt]) -> WebhookView {
    WebhookView {
        id: endpoint.id,
        url: endpoint.url.clone(),
        events: endpoint
            .events
            .iter()
            .map(|e| e.as_str().to_owned())
            .collect(),
        created_on: timestamp(endpoint.created_at),
        previous_secret_valid_until: endpoint.previous_secret_until.map(timestamp),
        disabled_on: endpoint.disabled.as_ref().map(|(at, _)| timestamp(*at)),
        disabled_reason: endpoint.disabled.as_ref().map(|(_, why)| why.clone()),
        recent_attempts: attempts
            .iter()
            .filter(|a| a.endpoint == endpoint.id)
            .map(attempt_view)
            .collect(),
    }
}

/// The caller's capability to manage the group (owners only).
async fn managed(
    app: &AppState,
    caller: &ApiUser,
    raw: &str,
) -> Result<Authorized<ManageGroup>, ApiError> {
    let id: GroupId = path_id(raw)?;
    let (_, on) = crate::authz::group::<ManageGroup>(app.store.as_ref(), &caller.principal(), id)
        .await
        .map_err(super::hidden)?;
    Ok(on)
}

/// The group's webhook endpoints with their latest attempts.
#[utoipa::path(get, path = "/api/userGroups/{id}/webhooks", tag = "partner",
    params(("id" = Uuid, Path, description = "The user group")), security(("bearer" = [])),
    responses((status = 200, body = Vec<WebhookView>), (status = 401, description = "No valid token"), (status = 403, description = "Not an owner of the group"), (status = 404, description = "Not a group id")))]
pub async fn list(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<WebhookView>>, ApiError> {
    let on = managed(&app, &caller, &id).await?;
    let endpoints = app.store.webhooks(&on).await?;
    let attempts = app.store.webhook_attempts(&on, RECENT_ATTEMPTS).await?;
    Ok(axum::Json(
        endpoints.iter().map(|e| view(e, &attempts)).collect(),
    ))
}

/// Adds an endpoint; the answer holds its secret, shown this once.
#[utoipa::path(post, path = "/api/userGroups/{id}/webhooks", tag = "partner",
    params(("id" = Uuid, Path, description = "The user group")), request_body = NewWebhook, security(("bearer" = [])),
    responses((status = 201, body = CreatedWebhook), (status = 400, description = "A bad URL or event type"), (status = 401, description = "No valid token"), (status = 403, description = "Not an owner of the group"), (status = 404, description = "Not a group id")))]
pub async fn create(
    State(app): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Json(body): Json<NewWebhook>,
) -> Result<Response, ApiError> {
    let on = managed(&app, &caller, &id).await?;
    let url = WebhookUrl::parse(&body.url).map_err(|e| bad_request(529, format!("Url: {e}")))?;
    let events = WebhookEvents::parse(body.events.iter().map(String::as_str))
        .map_err(|e| bad_request(529, format!("Events: {e}")))?;
    let secret = new_secret();
    let new = NewWebhookEndpoint {
        url,
        events,
        secret: secret.clone(),
    };
    let endpoint = app.store.create_webhook(&on, &new).await?;
    let created = CreatedWebhook {
        webhook: view(&endpoint, &[]),
        secret,
    };
    Ok((StatusCode::CREATED, axum::Json(created)).into_response())
}

/// Deletes an endpoint and its pending deliveries.
#[utoipa::path(delete, path = "/api/userGroups/{id}/webhooks/{webhookId}", tag = "partner",
    params(("id" = Uuid, Path, description = "The user group"), ("webhookId" = Uuid, Path, description = "The endpoint")), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No valid token"), (status = 403, description = "Not an owner of the group"), (status = 404, description = "No such endpoint in the group")))]
pub async fn remove(
    State(app): State<AppState>,
    caller: ApiUser,
    Path((id, webhook)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let on = managed(&app, &caller, &id).await?;
    app.store.delete_webhook(&on, path_id(&webhook)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives an endpoint a new secret (and enables it again if it was disabled); the current secret
/// keeps signing as a second `v1=` for the overlap.
#[utoipa::path(post, path = "/api/userGroups/{id}/webhooks/{webhookId}/rotate", tag = "partner",
    params(("id" = Uuid, Path, description = "The user group"), ("webhookId" = Uuid, Path, description = "The endpoint")), request_body = Rotation, security(("bearer" = [])),
    responses((status = 200, body = RotatedSecret), (status = 400, description = "A bad overlap"), (status = 401, description = "No valid token"), (status = 403, description = "Not an owner of the group"), (status = 404, description = "No such endpoint in the group")))]
pub async fn rotate(
    State(app): State<AppState>,
    caller: ApiUser,
    Path((id, webhook)): Path<(String, String)>,
    Json(body): Json<Rotation>,
) -> Result<axum::Json<RotatedSecret>, ApiError> {
    let on = managed(&app, &caller, &id).await?;
    let minutes = body.overlapminutes.unwrap_or(60);
    if !(0..=MAX_OVERLAP_MINUTES).contains(&minutes) {
        return Err(bad_request(
            529,
            format!("OverlapMinutes: between 0 and {MAX_OVERLAP_MINUTES}."),
        ));
    }
    let until = Utc::now() + Duration::minutes(minutes);
    let secret = new_secret();
    app.store
        .rotate_webhook_secret(&on, path_id(&webhook)?, &secret, until)
        .await?;
    Ok(axum::Json(RotatedSecret {
        secret,
        previous_secret_valid_until: timestamp(until),
    }))
}
