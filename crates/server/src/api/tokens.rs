//! Bearer tokens: `POST /oauth/token` (password and refresh-token grants), `POST /oauth/revoke`
//! (RFC 7009), the discovery document, and the extractor that checks a token on every call.

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
use voltgate_store::{ChargersOn, Installation, NewTokenPair, Refreshed, StoreError, User};

use crate::accounts::{self, LoginOutcome};
use crate::authz;
use crate::error::{ApiError, AppError};
use crate::i18n::Lang;
use crate::state::AppState;

/// A refresh token lasts this many times as long as an access token.
const REFRESH_LIFETIMES: i32 = 30;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/.well-known/openid-configuration", get(discovery))
}

/// A new random token (32 bytes, hex).
fn new_token() -> String {
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

fn oauth(error: &'static str, description: &str) -> ApiError {
    ApiError(AppError::OAuth {
        error,
        description: description.to_owned(),
    })
}

fn throttled(retry_after: u64) -> ApiError {
    ApiError(AppError::TooManyRequests {
        retry_after,
        lang: Lang::En,
    })
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct TokenRequest {
    /// `password` or `refresh_token`.
    #[schema(example = "password")]
    grant_type: Option<String>,
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
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds the access token lasts.
    expires_in: i64,
    /// Exchange it for a new pair at `/oauth/token` (`grant_type=refresh_token`); each is good once.
    refresh_token: String,
}

/// Issues an access token (OAuth 2 password grant, `username` = e-mail) or exchanges a refresh
/// token for a new pair (the old one is used up; presenting it again revokes the pair's family).
#[utoipa::path(post, path = "/oauth/token", tag = "tokens",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse), (status = 400, description = "`invalid_grant`, `invalid_request` or `unsupported_grant_type`"), (status = 429, description = "Too many requests; see `Retry-After`")))]
pub async fn token(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Result<Response, ApiError> {
    app.throttles
        .token_request(client.ip())
        .map_err(throttled)?;
    let form: TokenRequest = serde_urlencoded::from_bytes(&body)
        .map_err(|_| oauth("invalid_request", "The form could not be read."))?;
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
                "Use grant_type=password or grant_type=refresh_token.",
            ))
        }
        None => return Err(oauth("invalid_request", "grant_type is required.")),
    }
    let body = TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: lifetime.num_seconds(),
        refresh_token: refresh,
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
    app.store
        .revoke_token(&token_hash(&token), Utc::now())
        .await?;
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
        "grant_types_supported": ["password", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": ["token"],
        "scopes_supported": ["openid", "offline_access"],
    }))
}

/// A caller with a valid bearer token, checked against the database on every call (a revoked token
/// fails on the very next one) and counted against the token's rate limit.
pub struct ApiUser {
    pub user: User,
}

impl ApiUser {
    /// The caller as `authorize()` sees them: acting through the API.
    pub fn principal(&self) -> Principal {
        Principal::Api(self.user.id)
    }
}

/// A bearer token as presented: counted against its rate limit, not yet checked. Nothing about the
/// caller can be had from it without the database: [`ApiToken::holder`] checks it alone,
/// [`ApiToken::installation`] together with the caller's relation to an installation, in one query.
pub struct ApiToken {
    hash: String,
    client: String,
}

impl ApiToken {
    /// The token's holder; 401 unless it is valid now.
    pub async fn holder(&self, app: &AppState) -> Result<ApiUser, ApiError> {
        let holder = app
            .store
            .access_token(&self.hash, &self.client, Utc::now())
            .await?
            .ok_or(ApiError(AppError::Unauthorized))?;
        Ok(ApiUser { user: holder.user })
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
        let (user, installation, cap) =
            authz::installation_by_token::<R>(app.store.as_ref(), &self.hash, &self.client, id)
                .await
                .map_err(super::hidden)?;
        Ok((ApiUser { user }, installation, cap))
    }

    /// A page of the installation's chargers with the capability to see them, in one statement with
    /// the token's check: 401 for a bad token, and as [`super::installation`] answers otherwise.
    pub async fn chargers(
        &self,
        app: &AppState,
        id: InstallationId,
        page: (Option<i64>, i64),
    ) -> Result<(ChargersOn, Authorized<ViewInstallation>), ApiError> {
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
        Ok(Self { hash, client })
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
