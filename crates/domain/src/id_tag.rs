//! RFID tokens (OCPP `IdToken`): what a charger reports when someone holds a card to it.

use std::fmt;

/// Why a text is not an RFID token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("An RFID token has 1 to 20 printable characters, as the charger reports it.")]
pub struct IdTagError;

/// An OCPP 1.6 `IdToken`: 1–20 printable ASCII characters (no spaces, no control characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdTag(String);

impl IdTag {
    /// The longest token.
    pub const MAX_LEN: usize = 20;

    /// Checks a token as typed; surrounding spaces are ignored.
    pub fn parse(raw: &str) -> Result<Self, IdTagError> {
        let tag = raw.trim();
        let printable = tag.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if tag.is_empty() || tag.len() > Self::MAX_LEN || !printable {
            return Err(IdTagError);
        }
        Ok(Self(tag.to_owned()))
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_printable_ascii() {
        assert_eq!(IdTag::parse(" 04A2B3C4 ").unwrap().as_str(), "04A2B3C4");
        assert!(IdTag::parse(&"x".repeat(20)).is_ok());
        for bad in ["", " ", "a b", "a\u{0}", "ø", &*"x".repeat(21), "a\u{202E}"] {
            assert_eq!(IdTag::parse(bad), Err(IdTagError), "{bad:?}");
        }
    }
}
