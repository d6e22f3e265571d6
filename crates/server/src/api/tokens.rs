//! Bearer tokens: `POST /oauth/token` (password, refresh-token and client-credentials grants),
//! `POST /oauth/revoke` (RFC 7009), the discovery document, and the extractor that checks a token on
//! every call. A person's token acts as [`Principal::Api`]; a group's service account's token (it
//! starts with [`SERVICE_TOKEN_PREFIX`]) acts as [`Principal::Service`].

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use voltgate_domain::authz::{Right, ViewInstallation};
use voltgate_domain::{Authorized, InstallationAccess, InstallationId, Principal};
use voltgate_store::{ChargersOn, Installation, NewTokenPair, Refreshed, StoreError};

use crate::accounts::{self, LoginOutcome};
use crate::authz;
use crate::error::{ApiError, AppError};
use crate::i18n::Lang;
use crate::state::AppState;

/// A refresh token lasts this many times as long as an access token.
const REFRESH_LIFETIMES: i32 = 30;

/// How a service account's access token begins, so that a call knows which table to check it in.
pub const SERVICE_TOKEN_PREFIX: &str = "vgsa_";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/.well-known/openid-configuration", get(discovery))
}

/// A new random token (32 bytes, hex).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is stored of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn oauth(error: &'static str, description: &str) -> ApiError {
    ApiError(AppError::OAuth {
        error,
        description: description.to_owned(),
    })
}

pub(super) fn throttled(retry_after: u64) -> ApiError {
    ApiError(AppError::TooManyRequests {
        retry_after,
        lang: Lang::En,
    })
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct TokenRequest {
    /// `password`, `refresh_token` or `client_credentials`.
    #[schema(example = "password")]
    pub(super) grant_type: Option<String>,
    /// A service account's client id (client-credentials grant; or HTTP Basic).
    pub(super) client_id: Option<String>,
    /// A service account's secret (client-credentials grant; or HTTP Basic).
    pub(super) client_secret: Option<String>,
    /// The account's e-mail (password grant).
    #[schema(example = "you@example.com")]
    username: Option<String>,
    /// The account's password (password grant).
    #[schema(example = "your password")]
    password: Option<String>,
    /// The refresh token (refresh-token grant).
    refresh_token: Option<String>,
    /// Accepted and ignored.
    #[allow(dead_code)]
    scope: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub(super) access_token: String,
    /// Always `Bearer`.
    pub(super) token_type: &'static str,
    /// Seconds the access token lasts.
    pub(super) expires_in: i64,
    /// Exchange it for a new pair at `/oauth/token` (`grant_type=refresh_token`); each is good once.
    /// Not issued to service accounts (client-credentials grant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) refresh_token: Option<String>,
}

/// Issues an access token (OAuth 2 password grant, `username` = e-mail), exchanges a refresh
/// token for a new pair (the old one is used up; presenting it again revokes the pair's family), or
/// issues a group's service account an access token (client-credentials grant, RFC 6749 §4.4; the
/// client id and secret in the form or as HTTP Basic; no refresh token).
#[utoipa::path(post, path = "/oauth/token", tag = "tokens",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse), (status = 400, description = "`invalid_grant`, `invalid_request` or `unsupported_grant_type`"), (status = 401, description = "`invalid_client`: unknown client, wrong secret or revoked service account"), (status = 429, description = "Too many requests; see `Retry-After`")))]
pub async fn token(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    app.throttles
        .token_request(client.ip())
        .map_err(throttled)?;
    let form: TokenRequest = serde_urlencoded::from_bytes(&body)
        .map_err(|_| oauth("invalid_request", "The form could not be read."))?;
    if form.grant_type.as_deref() == Some("client_credentials") {
        let credentials = super::service::client_credentials(&headers, &form)?;
        return super::service::issue_token(&app, credentials).await;
    }
    let now = Utc::now();
    let access = new_token();
    let refresh = new_token();
    let lifetime = app.api_token_lifetime;
    let mut pair = NewTokenPair {
        user: voltgate_domain::UserId::from_uuid(uuid::Uuid::nil()),
        access_hash: token_hash(&access),
        access_expires: now + lifetime,
        refresh_hash: token_hash(&refresh),
        refresh_expires: now + lifetime * REFRESH_LIFETIMES,
        client_address: client.ip().to_string(),
        at: now,
        epoch: None,
    };
    match form.grant_type.as_deref() {
        Some("password") => {
            let (Some(username), Some(password)) = (&form.username, &form.password) else {
                return Err(oauth(
                    "invalid_request",
                    "username and password are required.",
                ));
            };
            let user = match accounts::log_in(app.store.as_ref(), username, password, client.ip())
                .await?
            {
                LoginOutcome::LoggedIn(user, epoch) => {
                    pair.epoch = Some(epoch);
                    user
                }
                LoginOutcome::Refused => {
                    return Err(oauth(
                        "invalid_grant",
                        "The user name or password is incorrect.",
                    ))
                }
                LoginOutcome::Throttled(retry_after) => return Err(throttled(retry_after)),
            };
            pair.user = user.id;
            match app.store.create_tokens(&pair).await {
                // The password changed while it was being checked: the old one grants nothing.
                Err(StoreError::Conflict("session_epoch")) => {
                    return Err(oauth(
                        "invalid_grant",
                        "The user name or password is incorrect.",
                    ))
                }
                other => other?,
            };
        }
        Some("refresh_token") => {
            let Some(old) = &form.refresh_token else {
                return Err(oauth("invalid_request", "refresh_token is required."));
            };
            match app.store.refresh_tokens(&token_hash(old), &pair).await? {
                Refreshed::Rotated(_) => {}
                Refreshed::Invalid | Refreshed::Reused => {
                    return Err(oauth(
                        "invalid_grant",
                        "The refresh token is invalid, expired, revoked or already used.",
                    ))
                }
            }
        }
        Some(_) => {
            return Err(oauth(
                "unsupported_grant_type",
                "Use grant_type=password, refresh_token or client_credentials.",
            ))
        }
        None => return Err(oauth("invalid_request", "grant_type is required.")),
    }
    let body = TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: lifetime.num_seconds(),
        refresh_token: Some(refresh),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RevokeRequest {
    /// An access or refresh token; the whole pair it belongs to is revoked.
    token: Option<String>,
    /// Accepted and ignored.
    #[allow(dead_code)]
    token_type_hint: Option<String>,
}

/// Revokes a token and the pair it belongs to (RFC 7009): 200 whether or not it was known.
#[utoipa::path(post, path = "/oauth/revoke", tag = "tokens",
    request_body(content = RevokeRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Revoked, or never known"), (status = 400, description = "`invalid_request`"), (status = 429, description = "Too many requests")))]
pub async fn revoke(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    app.throttles
        .token_request(client.ip())
        .map_err(throttled)?;
    let form: RevokeRequest = serde_urlencoded::from_bytes(&body)
        .map_err(|_| oauth("invalid_request", "The form could not be read."))?;
    let token = form
        .token
        .ok_or_else(|| oauth("invalid_request", "token is required."))?;
    if token.starts_with(SERVICE_TOKEN_PREFIX) {
        app.store.revoke_service_token(&token_hash(&token)).await?;
    } else {
        app.store
            .revoke_token(&token_hash(&token), Utc::now())
            .await?;
    }
    Ok(StatusCode::OK)
}

/// OpenID discovery, for clients that find the token endpoint this way.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "tokens",
    responses((status = 200, description = "The discovery document", body = serde_json::Value)))]
pub async fn discovery(State(app): State<AppState>) -> axum::Json<serde_json::Value> {
    let base = &app.public_url;
    axum::Json(serde_json::json!({
        "issuer": base,
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "grant_types_supported": ["password", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "response_types_supported": ["token"],
        "scopes_supported": ["openid", "offline_access"],
    }))
}

/// A caller with a valid bearer token, checked against the database on every call (a revoked token
/// fails on the very next one) and counted against the token's rate limit: a person, or a group's
/// service account.
pub struct ApiUser {
    principal: Principal,
}

impl ApiUser {
    /// The caller as `authorize()` sees them: a person acting through the API, or a service account.
    pub fn principal(&self) -> Principal {
        self.principal
    }
}

/// A bearer token as presented: counted against its rate limit, not yet checked. Nothing about the
/// caller can be had from it without the database: [`ApiToken::holder`] checks it alone,
/// [`ApiToken::installation`] together with the caller's relation to an installation, in one query.
pub struct ApiToken {
    hash: String,
    client: String,
    /// A service account's token (by its prefix): checked among service accounts' tokens.
    service: bool,
}

impl ApiToken {
    /// The token's holder; 401 unless it is valid now.
    pub async fn holder(&self, app: &AppState) -> Result<ApiUser, ApiError> {
        if self.service {
            let (account, group) = app
                .store
                .service_token(&self.hash, Utc::now())
                .await?
                .ok_or(ApiError(AppError::Unauthorized))?;
            return Ok(ApiUser {
                principal: Principal::Service { account, group },
            });
        }
        let holder = app
            .store
            .access_token(&self.hash, &self.client, Utc::now())
            .await?
            .ok_or(ApiError(AppError::Unauthorized))?;
        Ok(ApiUser {
            principal: Principal::Api(holder.user.id),
        })
    }

    /// The token's holder, the installation and their capability to do `R` on it: 401 for a bad
    /// token, and as [`super::installation`] answers otherwise.
    pub async fn installation<R>(
        &self,
        app: &AppState,
        id: InstallationId,
    ) -> Result<(ApiUser, Installation, Authorized<R>), ApiError>
    where
        R: Right<Facts = InstallationAccess>,
    {
        if self.service {
            let (principal, installation, cap) =
                authz::installation_by_service_token::<R>(app.store.as_ref(), &self.hash, id)
                    .await
                    .map_err(super::hidden)?;
            return Ok((ApiUser { principal }, installation, cap));
        }
        let (user, installation, cap) =
            authz::installation_by_token::<R>(app.store.as_ref(), &self.hash, &self.client, id)
                .await
                .map_err(super::hidden)?;
        let caller = ApiUser {
            principal: Principal::Api(user.id),
        };
        Ok((caller, installation, cap))
    }

    /// A page of the installation's chargers with the capability to see them, in one statement with
    /// the token's check: 401 for a bad token, and as [`super::installation`] answers otherwise.
    pub async fn chargers(
        &self,
        app: &AppState,
        id: InstallationId,
        page: (Option<i64>, i64),
    ) -> Result<(ChargersOn, Authorized<ViewInstallation>), ApiError> {
        if self.service {
            return authz::chargers_by_service_token(app.store.as_ref(), &self.hash, id, page)
                .await
                .map_err(super::hidden);
        }
        authz::chargers_by_token(app.store.as_ref(), &self.hash, &self.client, id, page)
            .await
            .map_err(super::hidden)
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for ApiToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(ApiError(AppError::Unauthorized))?;
        let hash = token_hash(token);
        app.throttles.api_call(&hash).map_err(throttled)?;
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip().to_string())
            .unwrap_or_default();
        let service = token.starts_with(SERVICE_TOKEN_PREFIX);
        Ok(Self {
            hash,
            client,
            service,
        })
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        ApiToken::from_request_parts(parts, app)
            .await?
            .holder(app)
            .await
    }
}
