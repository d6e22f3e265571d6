//! The one rule for free text — what people type into forms, query parameters and the command line,
//! and what chargers report — and the text types built on it (names, descriptions, addresses).
//!
//! A text is refused (or, when it comes from a machine we cannot ask to retype it, cleaned with
//! [`sanitize`]) when it holds:
//! - control characters: NUL and the other C0/C1 controls, and the line and paragraph separators;
//!   only a multi-line field may hold line breaks (`\n`, `\r\n`), and tabs nowhere;
//! - bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make text read
//!   differently from what it is;
//! - nothing but invisible characters (spaces, zero-width and other default-ignorable characters).
//!
//! Calendar dates typed by people must lie in the years 1970–9999 (see [`calendar_date`]).

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// Why a piece of text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("This field is required.")]
    Empty,
    #[error("At most {0} characters.")]
    TooLong(usize),
    #[error("Control characters are not allowed.")]
    ControlCharacters,
    #[error("Characters that change the direction of text are not allowed.")]
    DirectionControls,
    #[error("Enter visible characters, not only spaces or invisible ones.")]
    OnlyInvisible,
    #[error("Enter a date like 2026-11-25, between the years 1970 and 9999.")]
    Date,
}

/// Whether a field holds one line or may hold several.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    /// One line: no line breaks.
    One,
    /// Several lines: `\n` and `\r\n` allowed.
    Many,
}

/// Bidirectional embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
pub fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that draw nothing: white space, and Unicode's default-ignorable code points
/// (zero-width spaces and joiners, word joiner, soft hyphen, variation selectors, tags, fillers…).
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
            | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Whether `c` is a control character that `lines` does not allow (line breaks only in
/// multi-line text; the line and paragraph separators never).
fn is_forbidden_control(c: char, lines: Lines) -> bool {
    match c {
        '\n' | '\r' => lines == Lines::One,
        '\u{2028}' | '\u{2029}' => true,
        c => c.is_control(),
    }
}

/// Checks text against the rule; an empty text passes (whether it is required is the caller's
/// question). `\r` is allowed in multi-line text only before `\n`.
pub fn check(text: &str, lines: Lines) -> Result<(), TextError> {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && lines == Lines::Many && chars.peek() != Some(&'\n') {
            return Err(TextError::ControlCharacters);
        }
        if is_forbidden_control(c, lines) {
            return Err(TextError::ControlCharacters);
        }
        if is_direction_control(c) {
            return Err(TextError::DirectionControls);
        }
    }
    if !text.is_empty() && text.chars().all(is_invisible) {
        return Err(TextError::OnlyInvisible);
    }
    Ok(())
}

/// Checks a single line of text (a name, a key, a query parameter).
pub fn check_line(text: &str) -> Result<(), TextError> {
    check(text, Lines::One)
}

/// Makes text from elsewhere (what a charger reports) safe to store and show: every character the
/// rule refuses becomes U+FFFD, the result is trimmed and cut to `max_chars` characters, and text of
/// nothing but invisible characters becomes empty. Never fails.
pub fn sanitize(text: &str, lines: Lines, max_chars: usize) -> String {
    let cleaned: String = text
        .replace("\r\n", "\n")
        .chars()
        .map(|c| {
            if is_forbidden_control(c, lines) || c == '\r' || is_direction_control(c) {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().all(is_invisible) {
        return String::new();
    }
    trimmed.chars().take(max_chars).collect()
}

/// A calendar date as people type it (`2026-11-25`), in the years 1970–9999.
pub fn calendar_date(raw: &str) -> Result<NaiveDate, TextError> {
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| TextError::Date)?;
    if (1970..=9999).contains(&date.year()) {
        Ok(date)
    } else {
        Err(TextError::Date)
    }
}

fn parse_bounded(raw: &str, max: usize, required: bool, lines: Lines) -> Result<String, TextError> {
    let text = raw.trim();
    if required && text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    check(text, lines)?;
    Ok(text.to_owned())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, max = $max:expr, required = $required:expr, lines = $lines:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// The longest text accepted, in characters.
            pub const MAX_CHARS: usize = $max;

            /// Trims `raw` and checks it.
            pub fn parse(raw: &str) -> Result<Self, TextError> {
                parse_bounded(raw, $max, $required, $lines).map(Self)
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
    Name, max = 256, required = true, lines = Lines::One
);
text_type!(
    /// An optional longer text such as a group's description (up to 2000 characters, several lines).
    Description, max = 2000, required = false, lines = Lines::Many
);
text_type!(
    /// An optional postal address (up to 256 characters, one line).
    Address, max = 256, required = false, lines = Lines::One
);

impl crate::message::Coded for TextError {
    fn message(&self) -> crate::message::Message {
        use crate::message::Message;
        match self {
            Self::Empty => Message::new("err-required"),
            Self::TooLong(max) => Message::new("err-too-long").arg("max", max),
            Self::ControlCharacters => Message::new("err-control"),
            Self::DirectionControls => Message::new("err-direction"),
            Self::OnlyInvisible => Message::new("err-invisible"),
            Self::Date => Message::new("err-date"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    #[test]
    fn control_characters_never_and_line_breaks_only_in_several_lines() {
        for bad in [
            "a\u{0}",
            "a\tb",
            "a\u{7f}",
            "a\u{85}b",
            "a\u{2028}b",
            "a\u{1b}[31m",
        ] {
            assert_eq!(
                check_line(bad),
                Err(TextError::ControlCharacters),
                "{bad:?}"
            );
            assert_eq!(
                check(bad, Lines::Many),
                Err(TextError::ControlCharacters),
                "{bad:?}"
            );
        }
        assert_eq!(check_line("a\nb"), Err(TextError::ControlCharacters));
        assert_eq!(check("a\nb\r\nc", Lines::Many), Ok(()));
        assert_eq!(
            check("a\rb", Lines::Many),
            Err(TextError::ControlCharacters)
        );
        assert_eq!(
            Description::parse("line one\nline two").map(|d| d.as_str().len()),
            Ok(17)
        );
        assert_eq!(
            Name::parse("line one\nline two"),
            Err(TextError::ControlCharacters)
        );
    }

    #[test]
    fn direction_controls_are_refused() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}',
        ] {
            assert_eq!(
                check_line(&format!("Acme{c}gnigrahC")),
                Err(TextError::DirectionControls)
            );
        }
        assert_eq!(
            check_line("שלום Acme"),
            Ok(()),
            "right-to-left text itself is fine"
        );
        assert_eq!(check_line("a\u{200F}b"), Ok(()), "marks (LRM/RLM) are fine");
    }

    #[test]
    fn text_must_show_something() {
        for invisible in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{FEFF}",
            "\u{3000}",
            "\u{2800}",
            "\u{E0041}",
        ] {
            assert_eq!(
                check_line(invisible),
                Err(TextError::OnlyInvisible),
                "{invisible:?}"
            );
        }
        assert_eq!(Name::parse("\u{200B}"), Err(TextError::OnlyInvisible));
        assert_eq!(
            check_line("a\u{200D}b"),
            Ok(()),
            "a joiner inside visible text is fine"
        );
        assert_eq!(check_line("👩‍🔧"), Ok(()));
    }

    #[test]
    fn dates_are_in_1970_to_9999() {
        assert_eq!(
            calendar_date(" 2026-11-25 ").unwrap().to_string(),
            "2026-11-25"
        );
        assert!(calendar_date("1970-01-01").is_ok() && calendar_date("9999-12-31").is_ok());
        for bad in [
            "-262000-01-01",
            "1969-12-31",
            "+10000-01-01",
            "2026-02-30",
            "2026-1-5x",
            "",
            "\u{0}",
        ] {
            assert_eq!(calendar_date(bad), Err(TextError::Date), "{bad:?}");
        }
    }

    #[test]
    fn sanitizing_keeps_what_is_fine() {
        assert_eq!(
            sanitize(" ABB\u{0}Terra\u{202E} ", Lines::One, 50),
            "ABB\u{FFFD}Terra\u{FFFD}"
        );
        assert_eq!(sanitize("a\r\nb", Lines::Many, 50), "a\nb");
        assert_eq!(sanitize("a\r\nb", Lines::One, 50), "a\u{FFFD}b");
        assert_eq!(sanitize("\u{200B} ", Lines::One, 50), "");
        assert_eq!(sanitize("abcdef", Lines::One, 3), "abc");
    }

    proptest! {
        #[test]
        fn sanitized_text_always_passes_the_rule(raw in any::<String>(), many: bool) {
            let lines = if many { Lines::Many } else { Lines::One };
            let clean = sanitize(&raw, lines, 100);
            prop_assert!(clean.chars().count() <= 100);
            prop_assert!(check(&clean, lines).is_ok(), "{:?} → {:?}", raw, clean);
        }

        #[test]
        fn accepted_text_holds_no_nul_nor_direction_controls(raw in any::<String>()) {
            if check_line(&raw).is_ok() {
                prop_assert!(!raw.contains('\0'));
                prop_assert!(!raw.chars().any(is_direction_control));
            }
        }
    }
}

/// Whether a character may not appear in text voltgate stores or shows: control characters (NUL
/// included) and the bidirectional overrides and isolates that make text read differently from how
/// it is stored (U+202A–U+202E, U+2066–U+2069).
pub fn is_forbidden(c: char) -> bool {
    c.is_control() || is_direction_control(c)
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
