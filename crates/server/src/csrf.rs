//! CSRF tokens for visitors who are not signed in, without storing anything for them: a signed
//! double-submit cookie. The browser holds a random value in a cookie; forms carry its HMAC under a
//! key every process shares (kept in the database). A site that cannot read our cookies cannot make
//! the token; a signed-in session has its own token, kept in the session.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tower_sessions::cookie::Cookie;
use voltgate_store::{Store, StoreError};

/// The cookie's name over plain http; over https the `__Host-` prefix keeps other hosts from setting it.
const COOKIE: &str = "voltgate_csrf";
const HOST_COOKIE: &str = "__Host-voltgate_csrf";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

/// The key that signs anonymous visitors' tokens; the same in every process on the database.
#[derive(Clone)]
pub struct CsrfKey(Hmac<Sha256>);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(***)")
    }
}

impl CsrfKey {
    /// The shared key, made by whichever process asks first.
    pub async fn shared(store: &dyn Store) -> Result<Self, StoreError> {
        let candidate: [u8; 32] = rand::random();
        let stored = store.shared_secret("csrf", &hex(&candidate)).await?;
        unhex(&stored)
            .filter(|key| key.len() >= 32)
            .and_then(|key| Self::from_bytes(&key))
            .ok_or_else(|| StoreError::Corrupt("the shared CSRF key is unreadable".into()))
    }

    fn from_bytes(key: &[u8]) -> Option<Self> {
        Hmac::<Sha256>::new_from_slice(key).ok().map(Self)
    }

    fn mac(&self, value: &str) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(value.as_bytes());
        mac
    }

    /// The form token for a cookie value.
    pub fn token_for(&self, cookie: &str) -> String {
        hex(&self.mac(cookie).finalize().into_bytes())
    }

    /// Whether `sent` is the token for `cookie`, compared in constant time.
    pub fn verify(&self, cookie: &str, sent: &str) -> bool {
        unhex(sent).is_some_and(|sent| self.mac(cookie).verify_slice(&sent).is_ok())
    }
}

/// This request's anonymous CSRF cookie value, put in the request by [`anonymous_cookie`].
#[derive(Clone)]
pub struct AnonymousCsrf {
    value: String,
    /// The browser sent it (else it is new, and only set if a page uses it).
    sent: bool,
    used: Arc<AtomicBool>,
}

impl AnonymousCsrf {
    /// The form token for this visitor; the cookie is set with the response.
    pub fn token(&self, key: &CsrfKey) -> String {
        self.used.store(true, Ordering::Release);
        key.token_for(&self.value)
    }

    /// Whether a submitted token matches the cookie the browser sent.
    pub fn verify(&self, key: &CsrfKey, sent: &str) -> bool {
        self.sent && key.verify(&self.value, sent)
    }
}

/// Whether cookies travel over https only, for the middleware.
#[derive(Clone, Copy)]
pub struct SecureCookies(pub bool);

/// The value of the cookie `name` that the browser sent, if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// Gives every request its anonymous CSRF cookie value; sets the cookie on the response when a page
/// used a new one. Nothing is stored on the server.
pub async fn anonymous_cookie(
    State(SecureCookies(secure)): State<SecureCookies>,
    mut request: Request,
    next: Next,
) -> Response {
    let name = if secure { HOST_COOKIE } else { COOKIE };
    let sent = cookie_value(request.headers(), name)
        .filter(|value| value.len() == 64 && unhex(value).is_some());
    let csrf = AnonymousCsrf {
        sent: sent.is_some(),
        value: sent.unwrap_or_else(|| hex(&rand::random::<[u8; 32]>())),
        used: Arc::new(AtomicBool::new(false)),
    };
    request.extensions_mut().insert(csrf.clone());
    let mut response = next.run(request).await;
    if !csrf.sent && csrf.used.load(Ordering::Acquire) {
        let secure = if secure { "; Secure" } else { "" };
        let cookie = format!(
            "{name}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
            csrf.value
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_cookie_and_key() {
        let key = CsrfKey::from_bytes(&[7; 32]).unwrap();
        let other = CsrfKey::from_bytes(&[8; 32]).unwrap();
        let token = key.token_for("cookie-a");
        assert!(key.verify("cookie-a", &token));
        assert!(!key.verify("cookie-b", &token));
        assert!(!other.verify("cookie-a", &token));
        assert!(!key.verify("cookie-a", "zz"));
        assert!(!key.verify("cookie-a", ""));
        assert_eq!(unhex(&hex(&[0, 255, 16])), Some(vec![0, 255, 16]));
    }
}
