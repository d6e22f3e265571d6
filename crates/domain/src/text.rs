//! Free text that people type: names, descriptions, addresses. Trimmed, bounded, no control characters.

use std::fmt;

/// Why a piece of text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("This field is required.")]
    Empty,
    #[error("At most {0} characters.")]
    TooLong(usize),
    #[error("Control characters are not allowed.")]
    ControlCharacters,
}

fn parse_bounded(raw: &str, max: usize, required: bool) -> Result<String, TextError> {
    let text = raw.trim();
    if required && text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(TextError::ControlCharacters);
    }
    Ok(text.to_owned())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, max = $max:expr, required = $required:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// The longest text accepted, in characters.
            pub const MAX_CHARS: usize = $max;

            /// Trims `raw` and checks it.
            pub fn parse(raw: &str) -> Result<Self, TextError> {
                parse_bounded(raw, $max, $required).map(Self)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// A required name: of a person, an installation, a group (1–256 characters, one line).
    Name, max = 256, required = true
);
text_type!(
    /// An optional longer text such as a group's description (up to 2000 characters).
    Description, max = 2000, required = false
);
text_type!(
    /// An optional postal address (up to 256 characters).
    Address, max = 256, required = false
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            Name::parse("  Garage Nord ").unwrap().as_str(),
            "Garage Nord"
        );
        assert_eq!(Name::parse("   "), Err(TextError::Empty));
        assert!(Name::parse(&"x".repeat(256)).is_ok());
        assert_eq!(Name::parse(&"x".repeat(257)), Err(TextError::TooLong(256)));
        assert_eq!(Name::parse("a\u{0}b"), Err(TextError::ControlCharacters));
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        assert!(Name::parse(&"ø".repeat(256)).is_ok());
    }

    #[test]
    fn optional_text_may_be_empty() {
        assert_eq!(Description::parse("").unwrap().as_str(), "");
        assert!(Address::parse(&"a".repeat(257)).is_err());
    }
}

/// Whether a character may not appear in text voltgate stores or shows: control characters (NUL
/// included) and the bidirectional overrides and isolates that make text read differently from how
/// it is stored (U+202A–U+202E, U+2066–U+2069).
pub fn is_forbidden(c: char) -> bool {
    c.is_control()
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Text a charger reported, made safe to store and show: every forbidden character becomes U+FFFD.
/// Borrowed when there was nothing to replace, which is nearly always.
pub fn reported(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.chars().any(is_forbidden) {
        raw.chars()
            .map(|c| if is_forbidden(c) { '\u{fffd}' } else { c })
            .collect::<String>()
            .into()
    } else {
        raw.into()
    }
}

#[cfg(test)]
mod reported_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn what_chargers_report_is_cleaned() {
        assert_eq!(reported("Zaptec Go"), "Zaptec Go");
        assert_eq!(
            reported("a\u{0}b\u{202e}c\u{2066}"),
            "a\u{fffd}b\u{fffd}c\u{fffd}"
        );
        assert!(matches!(reported("plain"), std::borrow::Cow::Borrowed(_)));
    }

    proptest! {
        #[test]
        fn nothing_forbidden_survives(raw in "\\PC*|[\\x00-\\x1f\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}a]*") {
            prop_assert!(!reported(&raw).chars().any(is_forbidden));
        }
    }
}
