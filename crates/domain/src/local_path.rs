//! Where to send a browser after login: only ever a path on this site, never another host.

/// A path on this site (`/installations/…?x=y`), safe to put in a `Location` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    /// Accepts `/path?query` only: no scheme, no `//host`, no backslashes, no control characters.
    /// Anything else yields `None`, and the caller falls back to a default page.
    pub fn parse(raw: &str) -> Option<Self> {
        let local = raw.starts_with('/')
            && !raw.starts_with("//")
            && !raw.contains('\\')
            && raw.len() <= 2048
            && !raw.chars().any(|c| c.is_control() || c.is_whitespace());
        local.then(|| Self(raw.to_owned()))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_local_paths() {
        let path = "/access/request/ABCD?partnerName=Acme&returnUrl=https%3A%2F%2Fx";
        assert_eq!(LocalPath::parse(path).unwrap().as_str(), path);
    }

    #[test]
    fn refuses_other_hosts() {
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil",
            "javascript:alert(1)",
            "/a\r\nLocation: x",
            "",
        ] {
            assert_eq!(LocalPath::parse(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn accepted_paths_never_name_a_host(raw in "\\PC{0,40}") {
            if let Some(path) = LocalPath::parse(&raw) {
                let base = url::Url::parse("https://voltgate.example/").unwrap();
                let joined = base.join(path.as_str()).unwrap();
                prop_assert_eq!(joined.host_str(), Some("voltgate.example"));
            }
        }
    }
}
