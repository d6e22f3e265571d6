//! An installation's time zone: an IANA name (`Europe/Oslo`) checked against the tz database, and how
//! the portal shows instants in it.

use std::fmt;

use chrono::{DateTime, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::message::{Coded, Message};

/// Why a time zone was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("Choose a time zone such as Europe/Oslo.")]
    Unknown,
}

impl Coded for ZoneError {
    fn message(&self) -> Message {
        Message::new("err-time-zone")
    }
}

/// An instant, however many references a template wraps it in.
pub trait AsInstant {
    fn instant(&self) -> DateTime<Utc>;
}

impl AsInstant for DateTime<Utc> {
    fn instant(&self) -> DateTime<Utc> {
        *self
    }
}

impl<T: AsInstant + ?Sized> AsInstant for &T {
    fn instant(&self) -> DateTime<Utc> {
        (**self).instant()
    }
}

/// A time zone of the IANA tz database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zone(Tz);

impl Default for Zone {
    /// `Europe/Oslo`, where an installation says nothing else.
    fn default() -> Self {
        Self(Tz::Europe__Oslo)
    }
}

impl Zone {
    /// The longest name accepted (the longest in the database is 32 characters).
    const MAX_LEN: usize = 64;

    /// An IANA name as the tz database spells it (`Europe/Oslo`, `America/Argentina/Buenos_Aires`);
    /// surrounding blanks are ignored, case is not.
    pub fn parse(raw: &str) -> Result<Self, ZoneError> {
        let name = raw.trim();
        if name.is_empty() || name.len() > Self::MAX_LEN {
            return Err(ZoneError::Unknown);
        }
        name.parse::<Tz>().map(Self).map_err(|_| ZoneError::Unknown)
    }

    /// A zone's name, or the default when the name is missing or unknown (what a browser's script
    /// sent: a guess, never a reason to refuse a form).
    pub fn parse_or_default(raw: &str) -> Self {
        Self::parse(raw).unwrap_or_default()
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The tz database entry, for calendar arithmetic.
    pub fn tz(&self) -> Tz {
        self.0
    }

    /// Every zone name of the database, sorted, for a picker.
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    /// An instant as people read it on the portal: local date and time to the minute
    /// (`2026-11-26 07:30`).
    pub fn show(&self, at: impl AsInstant) -> String {
        at.instant()
            .with_timezone(&self.0)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// The local calendar date of an instant (`2026-11-26`).
    pub fn show_date(&self, at: impl AsInstant) -> String {
        self.date_of(at.instant()).format("%Y-%m-%d").to_string()
    }

    /// An instant for machines: ISO 8601 with seconds and the local offset
    /// (`2026-11-26T07:30:05+01:00`).
    pub fn iso(&self, at: impl AsInstant) -> String {
        at.instant()
            .with_timezone(&self.0)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    }

    /// The local calendar date of an instant.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }

    /// When a local calendar day begins, as an instant. Where midnight does not exist (a zone that
    /// moves its clocks at midnight), the day begins at the first local time that does.
    pub fn start_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        let mut time = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        for _ in 0..=24 * 4 {
            match self.0.from_local_datetime(&time) {
                LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => {
                    return at.with_timezone(&Utc)
                }
                LocalResult::None => time += chrono::Duration::minutes(15),
            }
        }
        Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn names_of_the_database_are_accepted() {
        assert_eq!(
            Zone::parse(" Europe/Berlin ").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(
            Zone::parse("America/Argentina/Buenos_Aires")
                .unwrap()
                .name(),
            "America/Argentina/Buenos_Aires"
        );
        assert_eq!(Zone::parse("UTC").unwrap().name(), "UTC");
        assert!(Zone::names().any(|name| name == "Europe/Oslo"));
    }

    #[test]
    fn other_text_is_refused() {
        for bad in [
            "",
            "Oslo",
            "Europe/Atlantis",
            "europe/oslo\0",
            &"A/".repeat(40),
            "+01:00",
        ] {
            assert_eq!(Zone::parse(bad), Err(ZoneError::Unknown), "{bad:?}");
        }
        assert_eq!(Zone::parse_or_default("nonsense"), Zone::default());
        assert_eq!(Zone::default().name(), "Europe/Oslo");
    }

    #[test]
    fn shows_local_time_to_the_minute() {
        let oslo = Zone::default();
        assert_eq!(oslo.show(at("2026-11-26T06:30:59Z")), "2026-11-26 07:30");
        assert_eq!(oslo.show(at("2026-07-01T22:30:00Z")), "2026-07-02 00:30");
        assert_eq!(oslo.show_date(at("2026-07-01T22:30:00Z")), "2026-07-02");
        assert_eq!(
            oslo.iso(at("2026-11-26T06:30:05Z")),
            "2026-11-26T07:30:05+01:00"
        );
        let utc = Zone::parse("UTC").unwrap();
        assert_eq!(
            utc.iso(at("2026-11-26T06:30:05Z")),
            "2026-11-26T06:30:05+00:00"
        );
    }

    #[test]
    fn days_begin_at_local_midnight() {
        let oslo = Zone::default();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            oslo.start_of_day(day(2026, 1, 15)),
            at("2026-01-14T23:00:00Z")
        );
        assert_eq!(
            oslo.start_of_day(day(2026, 7, 15)),
            at("2026-07-14T22:00:00Z")
        );
        // Santiago moves its clocks at midnight: the day begins at 01:00 local time.
        let santiago = Zone::parse("America/Santiago").unwrap();
        let start = santiago.start_of_day(day(2026, 9, 6));
        assert_eq!(santiago.date_of(start), day(2026, 9, 6));
        assert_eq!(
            santiago.date_of(start - chrono::Duration::seconds(1)),
            day(2026, 9, 5)
        );
    }
}
