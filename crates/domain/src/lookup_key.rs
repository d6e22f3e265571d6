//! A user group's lookup key: the short code in `/access/request/<lookup_key>` that names the group.

use std::fmt;

use rand::Rng;

/// Characters a lookup key may hold: upper-case letters and digits without look-alikes (0/O, 1/I/L).
pub const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Why a text is not a lookup key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupKeyError {
    #[error(
        "A lookup key has {} to {} characters.",
        LookupKey::MIN_LEN,
        LookupKey::MAX_LEN
    )]
    Length,
    #[error("A lookup key holds only letters and digits (without 0, O, 1, I and L).")]
    Alphabet,
}

/// A lookup key in canonical (upper-case) form; keys match case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LookupKey(String);

impl LookupKey {
    /// Shortest key.
    pub const MIN_LEN: usize = 4;
    /// Longest key.
    pub const MAX_LEN: usize = 8;
    /// Length of newly generated keys: 31⁶ ≈ 887 million keys.
    pub const GENERATED_LEN: usize = 6;

    /// Parses a key as a person or a link spells it: surrounding space ignored, any case.
    pub fn parse(raw: &str) -> Result<Self, LookupKeyError> {
        let key = raw.trim().to_ascii_uppercase();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&key.chars().count()) {
            return Err(LookupKeyError::Length);
        }
        if !key.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(LookupKeyError::Alphabet);
        }
        Ok(Self(key))
    }

    /// A fresh random key. Uniqueness is the store's to enforce.
    pub fn generate(rng: &mut impl Rng) -> Self {
        let key = (0..Self::GENERATED_LEN)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        Self(key)
    }

    /// The canonical key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LookupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl crate::message::Coded for LookupKeyError {
    fn message(&self) -> crate::message::Message {
        use crate::message::Message;
        match self {
            Self::Length => Message::new("err-key-length")
                .arg("min", LookupKey::MIN_LEN)
                .arg("max", LookupKey::MAX_LEN),
            Self::Alphabet => Message::new("err-key-alphabet"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    #[test]
    fn alphabet_has_no_look_alikes() {
        for c in [b'0', b'O', b'1', b'I', b'L'] {
            assert!(!ALPHABET.contains(&c));
        }
        assert_eq!(ALPHABET.len(), 31);
    }

    #[test]
    fn matches_case_insensitively() {
        assert_eq!(
            LookupKey::parse("tzbv").unwrap(),
            LookupKey::parse(" TZBV ").unwrap()
        );
    }

    #[test]
    fn refuses_bad_keys() {
        assert_eq!(LookupKey::parse("ABC"), Err(LookupKeyError::Length));
        assert_eq!(LookupKey::parse("ABCDEFGHJ"), Err(LookupKeyError::Length));
        assert_eq!(LookupKey::parse("AB0D"), Err(LookupKeyError::Alphabet));
        assert_eq!(LookupKey::parse("ABØD"), Err(LookupKeyError::Alphabet));
        assert_eq!(LookupKey::parse("AB D"), Err(LookupKeyError::Alphabet));
        assert_eq!(LookupKey::parse("../x"), Err(LookupKeyError::Alphabet));
    }

    proptest! {
        #[test]
        fn generated_keys_parse_to_themselves(seed: u64) {
            let key = LookupKey::generate(&mut rand::rngs::StdRng::seed_from_u64(seed));
            prop_assert_eq!(key.as_str().len(), LookupKey::GENERATED_LEN);
            prop_assert_eq!(LookupKey::parse(&key.as_str().to_lowercase()).unwrap(), key);
        }

        #[test]
        fn parsed_keys_are_canonical(raw in "[a-zA-Z0-9]{0,10}") {
            if let Ok(key) = LookupKey::parse(&raw) {
                prop_assert_eq!(key.as_str(), raw.to_ascii_uppercase());
                prop_assert!(key.as_str().bytes().all(|b| ALPHABET.contains(&b)));
            }
        }

        #[test]
        fn parse_never_panics(raw in "\\PC*") {
            let _ = LookupKey::parse(&raw);
        }
    }
}
