//! The password policy. Hashing (argon2id) happens at the edge; this only decides what is acceptable.

use std::fmt;

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("At least {} characters.", Password::MIN_CHARS)]
    TooShort,
    #[error("At most {} characters.", Password::MAX_CHARS)]
    TooLong,
}

/// A new password that meets the policy. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The shortest password accepted, in characters.
    pub const MIN_CHARS: usize = 10;
    /// The longest password accepted, in characters (keeps hashing cost bounded).
    pub const MAX_CHARS: usize = 1024;

    /// Checks a new password. It is not trimmed: spaces are part of it.
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            Err(PasswordError::TooShort)
        } else if chars > Self::MAX_CHARS {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl crate::message::Coded for PasswordError {
    fn message(&self) -> crate::message::Message {
        use crate::message::Message;
        match self {
            Self::TooShort => Message::new("err-password-short").arg("min", Password::MIN_CHARS),
            Self::TooLong => Message::new("err-too-long").arg("max", Password::MAX_CHARS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length() {
        assert_eq!(Password::parse("short"), Err(PasswordError::TooShort));
        assert_eq!(Password::parse("123456789"), Err(PasswordError::TooShort));
        assert!(Password::parse("1234567890").is_ok());
        assert_eq!(
            Password::parse(&"x".repeat(1025)),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let password = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }
}
