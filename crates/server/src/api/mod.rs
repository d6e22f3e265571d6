//! The partner REST API: bearer tokens (`/oauth/*`) and the Zaptec-compatible surface under `/api/`,
//! so that integrations written for Zaptec's cloud work by changing the base URL. Handlers are as
//! thin as the portal's and go through the same `authorize()`; every change is audited as coming
//! through the API ([`Principal::Api`]).
//!
//! Zaptec matches routes and JSON keys case-insensitively: [`lowercase_api_path`] lowercases the path
//! before routing, and [`Query`] and [`Json`] lowercase keys before binding to structs whose fields are
//! lowercase. Output is PascalCase.

mod chargers;
mod docs;
mod history;
mod installations;
mod messaging;
mod partner;
mod report;
mod service;
mod tokens;
mod webhooks;
mod zaptec;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::Uri;
use axum::Router;
use serde::de::DeserializeOwned;
use serde_json::Value;
use voltgate_domain::authz::Right;
use voltgate_domain::{Authorized, InstallationAccess, InstallationId};
use voltgate_store::Installation;

use crate::error::{ApiError, AppError};
use crate::state::AppState;

pub use tokens::{new_token, token_hash, ApiToken, ApiUser};

/// The largest JSON body accepted.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The API's routes: `/oauth/*`, `/.well-known/openid-configuration` and `/api/*` (unknown `/api/`
/// paths answer a JSON 404).
pub fn router() -> Router<AppState> {
    let api = Router::new()
        .merge(installations::router())
        .merge(chargers::router())
        .merge(history::router())
        .merge(report::router())
        .merge(messaging::router())
        .merge(partner::router())
        .merge(zaptec::router())
        .merge(webhooks::router())
        .merge(docs::router())
        .fallback(api_not_found);
    Router::new().merge(tokens::router()).nest("/api", api)
}

async fn api_not_found() -> ApiError {
    ApiError(AppError::NotFound)
}

/// Lowercases the path of a request under `/api/` (in any case), so routes match case-insensitively;
/// ids are UUIDs, which parse in either case. Runs before routing.
pub fn lowercase_api_path(mut request: Request) -> Request {
    let path = request.uri().path();
    let is_api = path.len() >= 5 && path[..5].eq_ignore_ascii_case("/api/");
    if is_api && path.bytes().any(|b| b.is_ascii_uppercase()) {
        let lowered = match request.uri().query() {
            Some(query) => format!("{}?{query}", path.to_ascii_lowercase()),
            None => path.to_ascii_lowercase(),
        };
        let mut parts = request.uri().clone().into_parts();
        if let Ok(path_and_query) = lowered.parse() {
            parts.path_and_query = Some(path_and_query);
            if let Ok(uri) = Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    request
}

/// The installation with the caller's capability for `R`. As Zaptec answers, an installation the
/// caller has no relation to (any more), or that does not exist, is a 403 without data, so that
/// losing access and never having had it look the same.
pub async fn installation<R>(
    app: &AppState,
    caller: &ApiUser,
    id: InstallationId,
) -> Result<(Installation, Authorized<R>), ApiError>
where
    R: Right<Facts = InstallationAccess>,
{
    app.installation::<R>(&caller.principal(), id)
        .await
        .map_err(hidden)
}

/// A "not found" of something addressed by id becomes the API's 403 (see [`installation`]).
pub fn hidden(error: AppError) -> ApiError {
    match error {
        AppError::NotFound => ApiError(AppError::Forbidden),
        other => ApiError(other),
    }
}

fn lowercase_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key.to_lowercase(), lowercase_keys(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(lowercase_keys).collect()),
        other => other,
    }
}

fn invalid(what: &str, error: impl std::fmt::Display) -> ApiError {
    ApiError(AppError::Coded {
        status: axum::http::StatusCode::BAD_REQUEST,
        code: 529,
        details: format!("Invalid {what}: {error}"),
    })
}

/// A query string bound case-insensitively: keys are lowercased, so `T`'s fields are lowercase.
/// Unreadable values are a 400 with code 529.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|e| invalid("query", e))?;
        let lowered: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(key, value)| (key.to_lowercase(), value))
            .collect();
        let encoded = serde_urlencoded::to_string(&lowered).map_err(|e| invalid("query", e))?;
        serde_urlencoded::from_str(&encoded)
            .map(Query)
            .map_err(|e| invalid("query", e))
    }
}

/// A JSON body bound case-insensitively (keys lowercased at every level). An empty body reads as
/// `{}`. Unreadable JSON is a 400 with code 529.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|e| invalid("body", e))?;
        let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Object(serde_json::Map::new())
        } else {
            serde_json::from_slice(&bytes).map_err(|e| invalid("JSON", e))?
        };
        serde_json::from_value(lowercase_keys(value))
            .map(Json)
            .map_err(|e| invalid("JSON", e))
    }
}
