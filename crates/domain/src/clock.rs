//! Times that chargers report. A charger's clock may be unset (1970, 2000), wrong by years, or send a
//! spec-valid but absurd value (`0000-01-01`, `9999-12-31`); the message is still accepted, but such a
//! time must not become a session's start or stop, or history would show negative durations and sort
//! a session from the year 9999 first forever.

use chrono::{DateTime, Duration, DurationRound, TimeZone, Timelike, Utc};

/// How far ahead of the server's clock a charger's clock may run before its time is not believed.
pub const MAX_AHEAD: Duration = Duration::hours(24);

/// The time to record for something a charger reports at `reported`, received at `received`: the
/// reported time when it is plausible (from the year 2000 up to [`MAX_AHEAD`] past `received`),
/// otherwise the time it was received. Either way truncated to whole microseconds, the finest both
/// databases keep, so SQLite and PostgreSQL store the same value.
pub fn charger_time(reported: DateTime<Utc>, received: DateTime<Utc>) -> DateTime<Utc> {
    let earliest = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
    let plausible =
        earliest.is_some_and(|earliest| reported >= earliest) && reported <= received + MAX_AHEAD;
    let chosen = without_leap_second(if plausible { reported } else { received });
    chosen
        .duration_trunc(Duration::microseconds(1))
        .unwrap_or(chosen)
}

/// A leap second (`23:59:60`, which chrono keeps as a second with more than 10⁹ nanoseconds) as the
/// first second of the next minute, as PostgreSQL reads it: SQLite would keep and give back a second 60
/// that most clients cannot parse, and durations would differ between the engines.
fn without_leap_second(at: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = at.nanosecond();
    if nanos < 1_000_000_000 {
        return at;
    }
    at.with_nanosecond(0).map_or(at, |second| {
        second + Duration::seconds(1) + Duration::nanoseconds(i64::from(nanos - 1_000_000_000))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .expect("test time")
            .with_timezone(&Utc)
    }

    #[test]
    fn plausible_times_are_kept() {
        let received = at("2026-11-26T08:00:00Z");
        for raw in [
            "2026-11-20T07:00:00Z",
            "2000-01-01T00:00:00Z",
            "2026-11-26T08:05:00Z",
        ] {
            assert_eq!(charger_time(at(raw), received), at(raw), "{raw}");
        }
    }

    #[test]
    fn unset_or_absurd_clocks_give_the_time_received() {
        let received = at("2026-11-26T08:00:00Z");
        for raw in [
            "0000-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "1999-12-31T23:59:59Z",
            "2026-11-27T08:00:01Z",
            "9999-12-31T23:59:59Z",
        ] {
            assert_eq!(charger_time(at(raw), received), received, "{raw}");
        }
    }

    #[test]
    fn nanoseconds_are_cut_to_microseconds() {
        let received = at("2026-11-26T08:00:00Z");
        let reported = at("2026-11-26T07:00:00.123456789Z");
        assert_eq!(
            charger_time(reported, received),
            at("2026-11-26T07:00:00.123456Z")
        );
    }

    #[test]
    fn a_leap_second_is_the_next_minute() {
        let received = at("2026-07-01T08:00:00Z");
        assert_eq!(
            charger_time(at("2026-06-30T23:59:60Z"), received),
            at("2026-07-01T00:00:00Z")
        );
        assert_eq!(
            charger_time(at("2026-06-30T23:59:60.25Z"), received),
            at("2026-07-01T00:00:00.25Z")
        );
        let shown = charger_time(at("2026-06-30T23:59:60Z"), received).to_rfc3339();
        assert!(!shown.contains(":60"), "{shown}");
    }

    proptest! {
        #[test]
        fn never_after_a_day_ahead_nor_before_2000(secs in i64::MIN / 1_000_000..i64::MAX / 1_000_000) {
            let received = at("2026-11-26T08:00:00Z");
            if let Some(reported) = DateTime::<Utc>::from_timestamp(secs, 0) {
                let chosen = charger_time(reported, received);
                prop_assert!(chosen <= received + MAX_AHEAD);
                prop_assert!(chosen >= at("2000-01-01T00:00:00Z"));
            }
        }
    }
}
