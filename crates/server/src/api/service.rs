//! The client-credentials grant (RFC 6749 §4.4): a group's service account presents its client id and
//! secret (in the form or as HTTP Basic, §2.3.1) and gets an access token that acts as the group.

use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::Utc;
use subtle::ConstantTimeEq;
use voltgate_domain::ServiceAccountId;
use voltgate_store::StoreError;

use super::tokens::{
    new_token, oauth, token_hash, TokenRequest, TokenResponse, SERVICE_TOKEN_PREFIX,
};
use crate::error::ApiError;
use crate::state::AppState;

/// A client id and secret as presented.
pub struct ClientCredentials {
    id: String,
    secret: String,
}

/// A form-urlencoded value decoded (RFC 6749 §2.3.1 encodes the id and secret before Basic).
fn form_decoded(value: &str) -> String {
    url::form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The credentials of an HTTP Basic `Authorization` header, if it has one.
fn basic(headers: &HeaderMap) -> Option<ClientCredentials> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some(ClientCredentials {
        id: form_decoded(id),
        secret: form_decoded(secret),
    })
}

/// The client's credentials from HTTP Basic or the form (not both, RFC 6749 §2.3); `invalid_client`
/// when there are none, `invalid_request` when both are given.
pub fn client_credentials(
    headers: &HeaderMap,
    form: &TokenRequest,
) -> Result<ClientCredentials, ApiError> {
    let in_form = match (&form.client_id, &form.client_secret) {
        (Some(id), Some(secret)) => Some(ClientCredentials {
            id: id.clone(),
            secret: secret.clone(),
        }),
        _ => None,
    };
    match (basic(headers), in_form) {
        (Some(_), Some(_)) => Err(oauth(
            "invalid_request",
            "Send the client credentials either as HTTP Basic or in the form, not both.",
        )),
        (Some(credentials), None) | (None, Some(credentials)) => Ok(credentials),
        (None, None) => Err(refused()),
    }
}

fn refused() -> ApiError {
    oauth(
        "invalid_client",
        "The client id or secret is incorrect, or the service account was revoked.",
    )
}

/// Checks the credentials (the secret's hash compared in constant time) and issues an access token
/// for the service account; no refresh token: the client asks again with its credentials.
pub async fn issue_token(
    app: &AppState,
    presented: ClientCredentials,
) -> Result<Response, ApiError> {
    let Ok(id) = presented.id.trim().parse::<ServiceAccountId>() else {
        return Err(refused());
    };
    let Some(stored) = app.store.service_credentials(id).await? else {
        return Err(refused());
    };
    let hash = token_hash(&presented.secret);
    if !bool::from(hash.as_bytes().ct_eq(stored.secret_hash.as_bytes())) {
        return Err(refused());
    }
    let now = Utc::now();
    let lifetime = app.api_token_lifetime;
    let access = format!("{SERVICE_TOKEN_PREFIX}{}", new_token());
    match app
        .store
        .create_service_token(id, &token_hash(&access), now, now + lifetime)
        .await
    {
        // Revoked while the secret was being checked.
        Err(StoreError::NotFound) => return Err(refused()),
        other => other?,
    }
    let body = TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: lifetime.num_seconds(),
        refresh_token: None,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response())
}
