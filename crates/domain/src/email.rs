//! E-mail addresses: how accounts are named. Matched case-insensitively.

use std::fmt;

use crate::text::check_line;

/// Why an e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter an e-mail address.")]
    Empty,
    #[error("At most 254 characters.")]
    TooLong,
    #[error("This is not a valid e-mail address.")]
    Malformed,
}

/// A syntactically plausible e-mail address, as the person typed it (trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

const FORBIDDEN: &[char] = &['<', '>', '(', ')', '[', ']', ',', ';', ':', '"', '\\'];

impl Email {
    /// Checks the shape `local@domain.tld`; no display names, quoting or comments.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim();
        if email.is_empty() {
            return Err(EmailError::Empty);
        }
        if email.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = email.split_once('@').ok_or(EmailError::Malformed)?;
        let plausible = !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty())
            && check_line(email).is_ok()
            && !email
                .chars()
                .any(|c| c.is_whitespace() || FORBIDDEN.contains(&c));
        if plausible {
            Ok(Self(email.to_owned()))
        } else {
            Err(EmailError::Malformed)
        }
    }

    /// The address as typed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to match accounts: lower case.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl crate::message::Coded for EmailError {
    fn message(&self) -> crate::message::Message {
        use crate::message::Message;
        match self {
            Self::Empty => Message::new("err-email-empty"),
            Self::TooLong => Message::new("err-too-long").arg("max", 254),
            Self::Malformed => Message::new("err-email-malformed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        let email = Email::parse(" Kari.Nordmann+ev@Example.NO ").unwrap();
        assert_eq!(email.as_str(), "Kari.Nordmann+ev@Example.NO");
        assert_eq!(email.normalized(), "kari.nordmann+ev@example.no");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@b..c",
            "a@@b.c",
            "a b@c.d",
            "<a@b.c>",
            "a@b\n.c",
            "\"a\"@b.c",
            "a\u{0}@b.c",
            "a\u{202E}@b.c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            Email::parse(&format!("{}@b.co", "a".repeat(65))),
            Err(EmailError::Malformed)
        );
        assert_eq!(
            Email::parse(&format!("a@{}.co", "b".repeat(260))),
            Err(EmailError::TooLong)
        );
    }
}
