//! Who is asking: the session, the signed-in user, the page's language, and CSRF protection for every
//! form. Only a login stores a session: a visitor who is not signed in gets their CSRF token from a
//! signed cookie (`crate::csrf`) and their chosen language from a cookie, and nothing is written.

use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tower_sessions::Session;
use voltgate_domain::{Principal, UserId};
use voltgate_store::User;

use crate::csrf::{cookie_value, AnonymousCsrf};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

const USER_KEY: &str = "user_id";
const CSRF_KEY: &str = "csrf_token";
/// The epoch of the user's sessions this session was started in (see `Store::end_sessions`); a
/// session from before the key existed is of epoch 0. Kept as text: numbers do not survive the
/// session store's encoding (serde_json's arbitrary precision is on in this build).
const EPOCH_KEY: &str = "session_epoch";
/// The cookie that remembers a language chosen with the language switch.
pub const LANG_COOKIE: &str = "voltgate_lang";
/// The largest form body accepted.
const MAX_FORM_BYTES: usize = 64 * 1024;

fn anonymous_csrf(parts: &Parts) -> Result<AnonymousCsrf, AppError> {
    parts
        .extensions
        .get::<AnonymousCsrf>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the CSRF cookie layer is missing")))
}

async fn session_of(parts: &mut Parts) -> Result<Session, AppError> {
    parts
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the session layer is missing")))
}

fn fresh_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CSRF token for this visit's forms (every form carries it in a hidden `csrf` field): the signed-in
/// session's own token, or for anyone else the signed cookie's.
pub async fn csrf_token(app: &AppState, visit: &Visit) -> Result<String, AppError> {
    if visit.signed_in {
        if let Some(token) = visit.session.get::<String>(CSRF_KEY).await? {
            return Ok(token);
        }
        let token = fresh_token();
        visit.session.insert(CSRF_KEY, &token).await?;
        return Ok(token);
    }
    Ok(visit.anonymous.token(&app.csrf))
}

/// Starts a signed-in session for `user` in session `epoch` (the one read with the password that was
/// checked): a new session id (no fixation) and a new CSRF token. A language chosen with the switch
/// before logging in becomes the account's.
pub async fn sign_in(
    app: &AppState,
    visit: &Visit,
    user: &User,
    epoch: i64,
) -> Result<(), AppError> {
    let session = &visit.session;
    session.cycle_id().await?;
    session.insert(CSRF_KEY, fresh_token()).await?;
    session.insert(USER_KEY, user.id).await?;
    session.insert(EPOCH_KEY, epoch.to_string()).await?;
    if let Some(chosen) = visit.chosen_lang {
        if user.language.as_deref() != Some(chosen.code()) {
            app.store.set_language(user.id, chosen.code()).await?;
        }
    }
    Ok(())
}

/// Keeps this session signed in after the user's sessions moved on to `epoch` (every other one has
/// ended): a new session id and a new CSRF token, as at a login.
pub async fn keep_session(visit: &Visit, epoch: i64) -> Result<(), AppError> {
    let session = &visit.session;
    session.cycle_id().await?;
    session.insert(CSRF_KEY, fresh_token()).await?;
    session.insert(EPOCH_KEY, epoch.to_string()).await?;
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
    /// The language chosen with the switch (a cookie), if any.
    pub chosen_lang: Option<Lang>,
    /// The language this page's link asked for with `?lang=` (also inside `?next=`), if any.
    pub asked_lang: Option<Lang>,
    /// Path and query of the page being shown.
    pub here: String,
    /// Whether a user is signed in (their session holds the CSRF token).
    pub signed_in: bool,
    /// The anonymous CSRF cookie, for visitors who are not signed in.
    pub anonymous: AnonymousCsrf,
}

/// The `lang` parameter of a query, if it names a language.
fn lang_in(query: &str) -> Option<Lang> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    pairs
        .iter()
        .find(|(key, _)| key == "lang")
        .and_then(|(_, value)| Lang::parse(value))
}

/// `?lang=` of this page, or of the page it leads back to (`?next=…?lang=de` on the login page).
fn asked_lang(query: &str) -> Option<Lang> {
    lang_in(query).or_else(|| {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
        let (_, next) = pairs.iter().find(|(key, _)| key == "next")?;
        lang_in(next.split_once('?')?.1)
    })
}

/// The language chosen with the switch, from its cookie.
fn chosen_lang(headers: &HeaderMap) -> Option<Lang> {
    cookie_value(headers, LANG_COOKIE).and_then(|code| Lang::parse(&code))
}

/// The page's language: `?lang=` (this page only, nothing saved), then the one chosen with the switch,
/// then the account's, then `Accept-Language`, then English. An unknown `lang` is ignored.
fn language(parts: &Parts, asked: Option<Lang>, chosen: Option<Lang>, user: Option<&User>) -> Lang {
    let saved = user
        .and_then(|u| u.language.as_deref())
        .and_then(Lang::parse);
    let accepted = parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language);
    asked.or(chosen).or(saved).or(accepted).unwrap_or_default()
}

pub(super) async fn current_user(
    parts: &mut Parts,
    app: &AppState,
) -> Result<(Visit, Option<User>), AppError> {
    let session = session_of(parts).await?;
    let signed_in = session.get::<UserId>(USER_KEY).await?;
    let user = match signed_in {
        Some(id) => {
            let epoch = session
                .get::<String>(EPOCH_KEY)
                .await?
                .and_then(|epoch| epoch.parse().ok())
                .unwrap_or(0);
            app.store.user_in_epoch(id, epoch).await?
        }
        None => None,
    };
    if signed_in.is_some() && user.is_none() {
        session.flush().await?;
    }
    let chosen_lang = chosen_lang(&parts.headers);
    let asked_lang = parts.uri.query().and_then(asked_lang);
    let lang = language(parts, asked_lang, chosen_lang, user.as_ref());
    let here = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let anonymous = anonymous_csrf(parts)?;
    Ok((
        Visit {
            session,
            lang,
            chosen_lang,
            asked_lang,
            here,
            signed_in: user.is_some(),
            anonymous,
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

/// A url-encoded form whose `csrf` field matches this visit's token (compared in constant time): the
/// signed-in session's, or the signed cookie's for anyone else. A missing or wrong token is a 403
/// before anything else happens; an unreadable form is a 400.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let (mut parts, body) = request.into_parts();
        let session = session_of(&mut parts).await?;
        let anonymous = anonymous_csrf(&parts)?;
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                AppError::BadRequest(
                    voltgate_domain::Message::new("err-form-too-large")
                        .arg("kib", MAX_FORM_BYTES / 1024),
                )
            })?;
        let sent = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
            .ok()
            .and_then(|f| f.csrf);
        let signed_in = session.get::<UserId>(USER_KEY).await?.is_some();
        let valid = match (sent, signed_in) {
            (Some(sent), true) => session
                .get::<String>(CSRF_KEY)
                .await?
                .is_some_and(|expected| bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))),
            (Some(sent), false) => anonymous.verify(&AppState::from_ref(state).csrf, &sent),
            (None, _) => false,
        };
        if !valid {
            return Err(AppError::CsrfRejected);
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|_| AppError::BadRequest(voltgate_domain::Message::new("err-form-unreadable")))
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
