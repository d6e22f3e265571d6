//! Chargers as the domain sees them: the identity a charger uses in its OCPP URL, and the flood limit
//! its messages must keep to.

use std::fmt;
use std::time::Duration;

/// Why a text is not a charge point identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("A charge point identity has 1 to 48 printable ASCII characters without spaces.")]
pub struct IdentityError;

/// The identity a charger puts in `ws://host/ocpp/{identity}`: 1–48 printable ASCII characters
/// (no spaces, no control characters). Matched exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChargePointIdentity(String);

impl ChargePointIdentity {
    /// The longest identity.
    pub const MAX_LEN: usize = 48;

    /// Checks an identity; surrounding spaces are not trimmed away (they would not match the URL).
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let printable = raw.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if raw.is_empty() || raw.len() > Self::MAX_LEN || !printable {
            return Err(IdentityError);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The identity.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChargePointIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A token bucket: `burst` messages at once, `per_second` on average. Pure: the caller passes the
/// time elapsed since the previous message.
#[derive(Clone, Copy, Debug)]
pub struct FloodLimit {
    burst: f64,
    per_second: f64,
    tokens: f64,
}

impl FloodLimit {
    /// A full bucket.
    pub fn new(burst: u32, per_second: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            burst,
            per_second: f64::from(per_second.max(1)),
            tokens: burst,
        }
    }

    /// Takes one token after `elapsed`; `Err(wait)` says how long until one is available.
    pub fn take(&mut self, elapsed: Duration) -> Result<(), Duration> {
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.per_second,
            ))
        }
    }
}

impl crate::message::Coded for IdentityError {
    fn message(&self) -> crate::message::Message {
        crate::message::Message::new("err-identity")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn identities() {
        assert!(ChargePointIdentity::parse("CP-1").is_ok());
        assert!(ChargePointIdentity::parse(&"x".repeat(48)).is_ok());
        for bad in [
            "",
            " CP",
            "CP 1",
            "CP\u{7f}",
            "CPø",
            &*"x".repeat(49),
            "CP\n",
        ] {
            assert_eq!(
                ChargePointIdentity::parse(bad),
                Err(IdentityError),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let mut limit = FloodLimit::new(5, 20);
        for _ in 0..5 {
            assert!(limit.take(Duration::ZERO).is_ok());
        }
        let wait = limit.take(Duration::ZERO).unwrap_err();
        assert!(wait <= Duration::from_millis(50), "{wait:?}");
        assert!(limit.take(Duration::from_millis(50)).is_ok());
    }

    proptest! {
        #[test]
        fn never_more_than_burst_plus_rate(gaps in proptest::collection::vec(0u64..200, 1..200)) {
            let mut limit = FloodLimit::new(10, 20);
            let total_ms: u64 = gaps.iter().sum();
            let taken = gaps.iter().filter(|gap| limit.take(Duration::from_millis(**gap)).is_ok()).count() as u64;
            prop_assert!(taken <= 10 + total_ms * 20 / 1000 + 1, "{} in {} ms", taken, total_ms);
        }
    }
}
