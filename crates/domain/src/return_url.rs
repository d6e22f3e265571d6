//! Return URLs a user group registers: the only places a browser may be sent back to after an
//! access request.

use std::fmt;

use url::Url;

/// Why a return URL cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnUrlError {
    #[error("At most {} characters.", RegisteredReturnUrl::MAX_LEN)]
    TooLong,
    #[error("Enter an absolute URL such as https://partner.example/return.")]
    Malformed,
    #[error("Use https:// (http:// is allowed only for localhost and 127.0.0.1).")]
    Scheme,
    #[error("A return URL must not contain a user name or password.")]
    UserInfo,
    #[error("A return URL must not contain a #fragment.")]
    Fragment,
}

/// An absolute `https://` URL, or an `http://` one on the local machine for development.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredReturnUrl(Url);

impl RegisteredReturnUrl {
    /// The longest URL accepted.
    pub const MAX_LEN: usize = 2048;

    /// Checks and normalises a URL a group owner wants to register.
    pub fn parse(raw: &str) -> Result<Self, ReturnUrlError> {
        let raw = raw.trim();
        if raw.len() > Self::MAX_LEN {
            return Err(ReturnUrlError::TooLong);
        }
        if raw.contains('\\') || raw.chars().any(char::is_control) {
            return Err(ReturnUrlError::Malformed);
        }
        let url = Url::parse(raw).map_err(|_| ReturnUrlError::Malformed)?;
        let host = url.host_str().ok_or(ReturnUrlError::Malformed)?;
        let allowed = match url.scheme() {
            "https" => true,
            "http" => matches!(host, "localhost" | "127.0.0.1" | "[::1]"),
            _ => false,
        };
        if !allowed {
            return Err(ReturnUrlError::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ReturnUrlError::UserInfo);
        }
        if url.fragment().is_some() {
            return Err(ReturnUrlError::Fragment);
        }
        Ok(Self(url))
    }

    /// The normalised URL.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    pub fn url(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for RegisteredReturnUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// A group's support web page: held to the same rules as a return URL (https, or local http).
pub type SupportUrl = RegisteredReturnUrl;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_and_local_http() {
        assert_eq!(
            RegisteredReturnUrl::parse("https://Partner.Example/cb")
                .unwrap()
                .as_str(),
            "https://partner.example/cb"
        );
        assert!(RegisteredReturnUrl::parse("http://localhost:3000/cb").is_ok());
        assert!(RegisteredReturnUrl::parse("http://127.0.0.1/cb").is_ok());
    }

    #[test]
    fn refuses_unsafe_urls() {
        use ReturnUrlError::*;
        let cases = [
            ("http://partner.example/cb", Scheme),
            ("javascript:alert(1)", Malformed),
            ("data:text/html,x", Malformed),
            ("//evil.example", Malformed),
            ("/relative", Malformed),
            ("https://good@evil.example/", UserInfo),
            ("https://a:b@evil.example/", UserInfo),
            ("https://partner.example/cb#x", Fragment),
            ("https:\\\\evil.example", Malformed),
            ("ftp://partner.example/", Scheme),
        ];
        for (raw, expected) in cases {
            assert_eq!(RegisteredReturnUrl::parse(raw), Err(expected), "{raw}");
        }
        let long = format!("https://partner.example/{}", "a".repeat(2048));
        assert_eq!(RegisteredReturnUrl::parse(&long), Err(TooLong));
    }
}
