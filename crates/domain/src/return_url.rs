//! Return URLs a user group registers: the only places a browser may be sent back to after an
//! access request.

use std::fmt;

use url::Url;

use crate::text::check_line;

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
        if raw.contains('\\') || check_line(raw).is_err() {
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

    /// Whether a browser may be sent to `candidate`: same scheme, host and port, and a path equal to
    /// or below this one's. Paths are compared segment by segment after percent-decoding, and a
    /// candidate with a dot segment anywhere (`..`, `%2E%2E`, `..;` — whatever a partner's server might
    /// read as one) or an encoded slash that would climb is refused: it never reaches above the
    /// registered path.
    pub fn admits(&self, candidate: &ReturnTarget) -> bool {
        let (registered, candidate) = (&self.0, &candidate.0);
        let same_origin = registered.scheme() == candidate.scheme()
            && registered.host() == candidate.host()
            && registered.port_or_known_default() == candidate.port_or_known_default();
        let (Some(base), Some(path)) = (segments(registered.path()), segments(candidate.path()))
        else {
            return false;
        };
        same_origin && path.len() >= base.len() && path[..base.len()] == base[..]
    }
}

/// Decodes `%XX` escapes (an invalid escape is kept as it is).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A URL path's segments after decoding, as a server might split them (on `/` and `\`, with `;`
/// parameters dropped); `None` when one of them is a dot segment. A trailing empty segment (a path
/// ending in `/`) is dropped, so `/cb/` and `/cb` have the same segments.
fn segments(path: &str) -> Option<Vec<String>> {
    let decoded = percent_decoded(path);
    let mut segments: Vec<String> = decoded
        .split(['/', '\\'])
        .skip(1)
        .map(|segment| segment.split(';').next().unwrap_or_default().to_owned())
        .collect();
    if segments.iter().any(|s| s == "." || s == "..") {
        return None;
    }
    if segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    Some(segments)
}

/// A `returnUrl` as a link supplies it: an absolute http(s) URL without user info. Whether it may be
/// followed is for [`RegisteredReturnUrl::admits`] to say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnTarget(Url);

impl ReturnTarget {
    /// Parses a link's `returnUrl`; `None` for anything that could never be followed.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.len() > RegisteredReturnUrl::MAX_LEN
            || raw.contains('\\')
            || raw.chars().any(char::is_whitespace)
            || check_line(raw).is_err()
        {
            return None;
        }
        let url = Url::parse(raw).ok()?;
        let web = matches!(url.scheme(), "https" | "http") && url.host().is_some();
        let no_userinfo = url.username().is_empty() && url.password().is_none();
        (web && no_userinfo).then_some(Self(url))
    }

    /// The URL with the decision's parameters added to whatever query it already has.
    pub fn with_outcome(&self, params: &[(&str, String)]) -> Url {
        let mut url = self.0.clone();
        url.set_fragment(None);
        // The outcome's own names are said once, by us: any the address already carries are dropped.
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| !params.iter().any(|(ours, _)| name == ours))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        url.set_query(None);
        if !kept.is_empty() || !params.is_empty() {
            let mut query = url.query_pairs_mut();
            for (name, value) in &kept {
                query.append_pair(name, value);
            }
            for (name, value) in params {
                query.append_pair(name, value);
            }
        }
        url
    }

    /// The URL as given (normalised).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for RegisteredReturnUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// A group's support web page: held to the same rules as a return URL (https, or local http).
pub type SupportUrl = RegisteredReturnUrl;

impl crate::message::Coded for ReturnUrlError {
    fn message(&self) -> crate::message::Message {
        use crate::message::Message;
        match self {
            Self::TooLong => Message::new("err-too-long").arg("max", RegisteredReturnUrl::MAX_LEN),
            Self::Malformed => Message::new("err-url-malformed"),
            Self::Scheme => Message::new("err-url-scheme"),
            Self::UserInfo => Message::new("err-url-userinfo"),
            Self::Fragment => Message::new("err-url-fragment"),
        }
    }
}

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

    fn admits(registered: &str, candidate: &str) -> bool {
        let registered = RegisteredReturnUrl::parse(registered).unwrap();
        ReturnTarget::parse(candidate).is_some_and(|target| registered.admits(&target))
    }

    #[test]
    fn admits_the_registered_url_and_paths_below_it() {
        assert!(admits("https://acme.example/cb", "https://acme.example/cb"));
        assert!(admits(
            "https://acme.example/cb",
            "https://acme.example/cb?state=1"
        ));
        assert!(admits(
            "https://acme.example/cb",
            "https://ACME.example:443/cb/done"
        ));
        assert!(admits(
            "https://acme.example/",
            "https://acme.example/anything"
        ));
        assert!(admits(
            "http://localhost:3000/cb",
            "http://localhost:3000/cb/x"
        ));
        assert!(admits(
            "https://acme.example/cb/",
            "https://acme.example/cb"
        ));
        assert!(admits(
            "https://acme.example/cb",
            "https://acme.example/cb/a%20b;v=1"
        ));
    }

    #[test]
    fn refuses_everything_else() {
        let registered = "https://acme.example/cb";
        for candidate in [
            "https://acme.example/cbx",
            "https://acme.example/other",
            "https://acme.example/cb/../evil",
            "https://acme.example/cb/%2e%2e/evil",
            "https://acme.example/cb/%2E%2E%2Fevil",
            "https://acme.example/cb/..%2F..%2Fevil",
            "https://acme.example/cb/..;/evil",
            "https://acme.example/cb/.%2E/evil",
            "https://acme.example/cb%2F..%2Fevil",
            "https://acme.example/cb/%5C..%5Cevil",
            "http://acme.example/cb",
            "https://acme.example:8443/cb",
            "https://acme.example.evil.example/cb",
            "https://evil.example/cb",
            "https://acme.example@evil.example/cb",
            "https://good:pw@acme.example/cb",
            "//acme.example/cb",
            "/cb",
            "javascript:alert(1)//acme.example/cb",
            "data:text/html,https://acme.example/cb",
            "https:\\\\acme.example\\cb",
            "https://acme.example/cb\n",
            "https://acme.example/cb#\u{0}",
            "",
        ] {
            assert!(
                !admits(registered, candidate),
                "{candidate:?} must not be followed"
            );
        }
    }

    #[test]
    fn outcome_parameters_keep_the_existing_query() {
        let target = ReturnTarget::parse("https://acme.example/cb?state=x%26y#frag").unwrap();
        let url =
            target.with_outcome(&[("success", "true".into()), ("installationId", "abc".into())]);
        assert_eq!(
            url.as_str(),
            "https://acme.example/cb?state=x%26y&success=true&installationId=abc"
        );
    }

    #[test]
    fn the_outcome_is_said_once_whatever_the_address_carries() {
        let target =
            ReturnTarget::parse("https://acme.example/cb?success=true&keep=1&lookup=X").unwrap();
        let url = target.with_outcome(&[("success", "false".into()), ("lookup", "Y".into())]);
        assert_eq!(
            url.as_str(),
            "https://acme.example/cb?keep=1&success=false&lookup=Y"
        );
        let bare = ReturnTarget::parse("https://acme.example/cb").unwrap();
        assert_eq!(bare.with_outcome(&[]).as_str(), "https://acme.example/cb");
    }

    proptest::proptest! {
        #[test]
        fn admitted_targets_never_leave_the_registered_origin(path in "[a-zA-Z0-9/%._~?=&-]{0,30}") {
            let registered = RegisteredReturnUrl::parse("https://acme.example/cb").unwrap();
            let raw = format!("https://acme.example/cb{path}");
            if let Some(target) = ReturnTarget::parse(&raw) {
                if registered.admits(&target) {
                    let url = target.with_outcome(&[]);
                    proptest::prop_assert_eq!(url.host_str(), Some("acme.example"));
                    proptest::prop_assert!(url.path().starts_with("/cb"));
                }
            }
        }
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
