//! RFID tokens (OCPP `IdToken`): what a charger reports when someone holds a card to it, what a
//! token is worth when a charger asks, and how much energy a session delivered.

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

/// The answer to a charger asking about an idTag (OCPP's AuthorizationStatus, less ConcurrentTx).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagStatus {
    Accepted,
    /// The token was registered on the installation and then removed.
    Blocked,
    /// The token's holder no longer has access to the installation.
    Expired,
    /// Unknown here.
    Invalid,
}

/// What the installation knows about a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registration {
    /// Removed by someone who manages the installation.
    pub removed: bool,
    /// The person it is registered to still has access to the installation.
    pub holder_has_access: bool,
}

/// Whether a token may charge: on an installation that does not require authentication every token
/// does; otherwise only a registered, not removed token of someone who still has access.
pub fn tag_status(authentication_required: bool, registration: Option<Registration>) -> TagStatus {
    if !authentication_required {
        return TagStatus::Accepted;
    }
    match registration {
        None => TagStatus::Invalid,
        Some(Registration { removed: true, .. }) => TagStatus::Blocked,
        Some(Registration {
            holder_has_access: false,
            ..
        }) => TagStatus::Expired,
        Some(_) => TagStatus::Accepted,
    }
}

/// The energy a session delivered, in Wh. Normally the meter's stop reading minus its start; a meter
/// that went back during the session (reset or replaced) would make that negative, so then the rises
/// between the readings in between are added up, counting from zero after each fall.
pub fn delivered_wh(meter_start: f64, samples: &[f64], meter_stop: f64) -> f64 {
    if meter_stop >= meter_start {
        return meter_stop - meter_start;
    }
    let mut total = 0.0;
    let mut last = meter_start;
    for &reading in samples.iter().chain(std::iter::once(&meter_stop)) {
        total += if reading >= last {
            reading - last
        } else {
            reading.max(0.0)
        };
        last = reading;
    }
    total
}

impl crate::message::Coded for IdTagError {
    fn message(&self) -> crate::message::Message {
        crate::message::Message::new("err-id-tag")
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
    use proptest::prelude::*;

    fn registered(removed: bool, holder_has_access: bool) -> Option<Registration> {
        Some(Registration {
            removed,
            holder_has_access,
        })
    }

    #[test]
    fn statuses_say_the_truth() {
        assert_eq!(tag_status(false, None), TagStatus::Accepted);
        assert_eq!(tag_status(true, None), TagStatus::Invalid);
        assert_eq!(tag_status(true, registered(true, true)), TagStatus::Blocked);
        assert_eq!(
            tag_status(true, registered(false, false)),
            TagStatus::Expired
        );
        assert_eq!(
            tag_status(true, registered(false, true)),
            TagStatus::Accepted
        );
    }

    #[test]
    fn a_meter_reset_mid_session_keeps_its_energy() {
        assert_eq!(delivered_wh(10_000.0, &[12_000.0], 17_500.0), 7_500.0);
        assert_eq!(
            delivered_wh(50_000.0, &[52_000.0, 54_000.0, 300.0], 1_200.0),
            5_200.0
        );
        assert_eq!(delivered_wh(50_000.0, &[], 1_200.0), 1_200.0);
    }

    proptest! {
        #[test]
        fn energy_is_never_negative(start in 0.0f64..1e7, samples in proptest::collection::vec(0.0f64..1e7, 0..20), stop in 0.0f64..1e7) {
            prop_assert!(delivered_wh(start, &samples, stop) >= 0.0);
        }
    }
}
