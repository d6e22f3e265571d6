//! Who is asking: the session, the signed-in user, and CSRF protection for every form.

use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tower_sessions::Session;
use voltgate_domain::{Principal, UserId};
use voltgate_store::User;

use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

const USER_KEY: &str = "user_id";
const LANG_KEY: &str = "lang";
const CSRF_KEY: &str = "csrf_token";
/// The largest form body accepted.
const MAX_FORM_BYTES: usize = 64 * 1024;

async fn session_of(parts: &mut Parts) -> Result<Session, AppError> {
    parts
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the session layer is missing")))
}

/// This session's CSRF token, created on first use. Every form carries it in a hidden `csrf` field.
pub async fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(token) = session.get::<String>(CSRF_KEY).await? {
        return Ok(token);
    }
    let bytes: [u8; 32] = rand::random();
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    session.insert(CSRF_KEY, &token).await?;
    Ok(token)
}

/// Starts a signed-in session for `user`: a new session id (no fixation) and a new CSRF token.
/// The language chosen before logging in becomes the account's; else the account's is used.
pub async fn sign_in(app: &AppState, session: &Session, user: &User) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.remove::<String>(CSRF_KEY).await?;
    session.insert(USER_KEY, user.id).await?;
    match session.get::<String>(LANG_KEY).await? {
        Some(chosen) if user.language.as_deref() != Some(chosen.as_str()) => {
            app.store.set_language(user.id, &chosen).await?;
        }
        Some(_) => {}
        None => {
            if let Some(saved) = &user.language {
                session.insert(LANG_KEY, saved).await?;
            }
        }
    }
    Ok(())
}

/// Ends the session entirely.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await?;
    Ok(())
}

/// What every page needs to know about the request: its session, its language, its own URL.
#[derive(Clone)]
pub struct Visit {
    pub session: Session,
    pub lang: Lang,
    /// Path and query of the page being shown.
    pub here: String,
}

/// The page's language: `?lang=` (remembered in the session, and for the account), then the session's,
/// then the account's, then `Accept-Language`, then English. An unknown `lang` is ignored.
async fn language(
    parts: &Parts,
    app: &AppState,
    session: &Session,
    user: Option<&User>,
) -> Result<Lang, AppError> {
    let asked = parts
        .uri
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == "lang")
                .and_then(|(_, v)| Lang::parse(&v))
        });
    if let Some(lang) = asked {
        session.insert(LANG_KEY, lang.code()).await?;
        if let Some(user) = user.filter(|u| u.language.as_deref() != Some(lang.code())) {
            app.store.set_language(user.id, lang.code()).await?;
        }
        return Ok(lang);
    }
    let remembered = session
        .get::<String>(LANG_KEY)
        .await?
        .and_then(|code| Lang::parse(&code));
    let saved = user
        .and_then(|u| u.language.as_deref())
        .and_then(Lang::parse);
    let accepted = parts
        .headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language);
    Ok(remembered.or(saved).or(accepted).unwrap_or_default())
}

async fn current_user(
    parts: &mut Parts,
    app: &AppState,
) -> Result<(Visit, Option<User>), AppError> {
    let session = session_of(parts).await?;
    let signed_in = session.get::<UserId>(USER_KEY).await?;
    let user = match signed_in {
        Some(id) => app.store.user(id).await?,
        None => None,
    };
    if signed_in.is_some() && user.is_none() {
        session.flush().await?;
    }
    let lang = language(parts, app, &session, user.as_ref()).await?;
    let here = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    Ok((
        Visit {
            session,
            lang,
            here,
        },
        user,
    ))
}

/// A signed-in user; anyone else is sent to the login page and back.
pub struct AuthUser {
    pub user: User,
    pub visit: Visit,
}

impl AuthUser {
    /// The signed-in user as `authorize()` sees them.
    pub fn principal(&self) -> Principal {
        Principal::User(self.user.id)
    }
}

impl<S> FromRequestParts<S> for AuthUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let (visit, user) = current_user(parts, &AppState::from_ref(state)).await?;
        match user {
            Some(user) => Ok(Self { user, visit }),
            None => {
                let next = match parts.method {
                    Method::GET => parts
                        .uri
                        .path_and_query()
                        .map_or("/", |p| p.as_str())
                        .to_owned(),
                    _ => "/installations".to_owned(),
                };
                Err(AppError::LoginRequired { next })
            }
        }
    }
}

/// The signed-in user, if any, and the session.
pub struct MaybeUser {
    pub user: Option<User>,
    pub visit: Visit,
}

impl<S> FromRequestParts<S> for MaybeUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let (visit, user) = current_user(parts, &AppState::from_ref(state)).await?;
        Ok(Self { user, visit })
    }
}

/// A form that carries nothing but its CSRF token (logout, revoke, rotate a key…).
#[derive(Deserialize)]
pub struct NoFields {}

/// A url-encoded form whose `csrf` field matches this session's token (compared in constant time).
/// A missing or wrong token is a 403 before anything else happens; an unreadable form is a 400.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(request: Request, _: &S) -> Result<Self, AppError> {
        let (mut parts, body) = request.into_parts();
        let session = session_of(&mut parts).await?;
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                AppError::BadRequest(format!(
                    "The form is larger than {} KiB.",
                    MAX_FORM_BYTES / 1024
                ))
            })?;
        let sent = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
            .ok()
            .and_then(|f| f.csrf);
        let expected = session.get::<String>(CSRF_KEY).await?;
        let valid = match (sent, expected) {
            (Some(sent), Some(expected)) => bool::from(sent.as_bytes().ct_eq(expected.as_bytes())),
            _ => false,
        };
        if !valid {
            return Err(AppError::CsrfRejected);
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))
    }
}

/// A path segment that must parse as `T` (an id); anything else is a 404, like an unknown id.
pub struct PathId<T>(pub T);

impl<S, T> FromRequestParts<S> for PathId<T>
where
    S: Send + Sync,
    T: std::str::FromStr,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        raw.parse().map(PathId).map_err(|_| AppError::NotFound)
    }
}
