//! How charts group time: energy per day, per week or per month depending on the range shown, with
//! bucket boundaries at local midnight in the installation's time zone.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::time_zone::Zone;

/// How long one bar of a chart lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Day,
    /// An ISO week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl Step {
    /// At most this many days are shown day by day.
    pub const MAX_DAYS: i64 = 62;
    /// At most this many days are shown week by week; longer ranges month by month.
    pub const MAX_WEEKS_DAYS: i64 = 7 * 26;

    /// The step for a range of local calendar days (both included): days up to two months, weeks
    /// up to half a year, months beyond.
    pub fn for_range(first: NaiveDate, last: NaiveDate) -> Self {
        let days = (last - first).num_days() + 1;
        if days <= Self::MAX_DAYS {
            Self::Day
        } else if days <= Self::MAX_WEEKS_DAYS {
            Self::Week
        } else {
            Self::Month
        }
    }

    /// The first day of the bucket that holds `date`.
    pub fn start_of(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => date,
            Self::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Self::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The first day of the bucket after the one starting on `start`.
    pub fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => start + Duration::days(1),
            Self::Week => start + Duration::days(7),
            Self::Month => {
                let (year, month) = if start.month() == 12 {
                    (start.year() + 1, 1)
                } else {
                    (start.year(), start.month() + 1)
                };
                NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(start + Duration::days(31))
            }
        }
    }
}

/// The buckets of a chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buckets {
    pub step: Step,
    /// The first local day of each bucket, in order.
    pub starts: Vec<NaiveDate>,
    /// Where each bucket begins and, last, where the last one ends, as instants (one more than
    /// `starts`): bucket `i` holds `bounds[i] <= t < bounds[i + 1]`.
    pub bounds: Vec<DateTime<Utc>>,
}

impl Buckets {
    /// The most buckets a chart has.
    pub const MAX: usize = 70;

    /// Buckets covering the local days `first..=last` in `zone`, with the step the range calls
    /// for (the first and last bucket may reach outside the range: a week is always whole). A range
    /// given backwards is turned around.
    pub fn covering(zone: Zone, first: NaiveDate, last: NaiveDate) -> Self {
        let (first, last) = if first <= last {
            (first, last)
        } else {
            (last, first)
        };
        Self::with_step(zone, Step::for_range(first, last), first, last)
    }

    /// Buckets of `step` covering `first..=last`; at most [`Buckets::MAX`], the latest kept.
    pub fn with_step(zone: Zone, step: Step, first: NaiveDate, last: NaiveDate) -> Self {
        let mut starts = Vec::new();
        let mut start = step.start_of(first);
        while start <= last {
            starts.push(start);
            start = step.next(start);
        }
        if starts.len() > Self::MAX {
            starts.drain(..starts.len() - Self::MAX);
        }
        let mut bounds: Vec<DateTime<Utc>> = starts.iter().map(|d| zone.start_of_day(*d)).collect();
        bounds.push(zone.start_of_day(start));
        Self {
            step,
            starts,
            bounds,
        }
    }

    /// The last `days` local days up to and including the day of `now`, day by day.
    pub fn last_days(zone: Zone, now: DateTime<Utc>, days: u32) -> Self {
        let today = zone.date_of(now);
        let first = today - Duration::days(i64::from(days.max(1)) - 1);
        Self::with_step(zone, Step::Day, first, today)
    }

    /// The index of the bucket that holds `at`, if any.
    pub fn index_of(&self, at: DateTime<Utc>) -> Option<usize> {
        let after = self.bounds.partition_point(|bound| *bound <= at);
        (after >= 1 && after < self.bounds.len()).then(|| after - 1)
    }
}

/// Whole hours ending with the hour that holds `now`: `hours + 1` boundaries, one hour apart.
pub fn last_hours(now: DateTime<Utc>, hours: u32) -> Vec<DateTime<Utc>> {
    let secs = now.timestamp();
    let this_hour = DateTime::from_timestamp(secs - secs.rem_euclid(3600), 0).unwrap_or(now);
    (0..=i64::from(hours))
        .map(|i| this_hour - Duration::hours(i64::from(hours) - 1 - i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_step_follows_the_length_of_the_range() {
        assert_eq!(Step::for_range(day(2026, 1, 1), day(2026, 1, 1)), Step::Day);
        assert_eq!(Step::for_range(day(2026, 1, 1), day(2026, 3, 3)), Step::Day);
        assert_eq!(
            Step::for_range(day(2026, 1, 1), day(2026, 3, 4)),
            Step::Week
        );
        assert_eq!(
            Step::for_range(day(2026, 1, 1), day(2026, 7, 1)),
            Step::Week
        );
        assert_eq!(
            Step::for_range(day(2026, 1, 1), day(2026, 7, 2)),
            Step::Month
        );
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        assert_eq!(Step::Week.start_of(day(2026, 11, 26)), day(2026, 11, 23));
        assert_eq!(Step::Week.start_of(day(2026, 11, 23)), day(2026, 11, 23));
        assert_eq!(Step::Month.start_of(day(2026, 11, 26)), day(2026, 11, 1));
        assert_eq!(Step::Month.next(day(2026, 12, 1)), day(2027, 1, 1));
    }

    #[test]
    fn days_are_local_days() {
        let oslo = Zone::default();
        let buckets = Buckets::with_step(oslo, Step::Day, day(2026, 3, 28), day(2026, 3, 30));
        assert_eq!(
            buckets.starts,
            vec![day(2026, 3, 28), day(2026, 3, 29), day(2026, 3, 30)]
        );
        assert_eq!(
            buckets.bounds,
            vec![
                at("2026-03-27T23:00:00Z"),
                at("2026-03-28T23:00:00Z"),
                // The clocks go forward on 29 March: that day has 23 hours.
                at("2026-03-29T22:00:00Z"),
                at("2026-03-30T22:00:00Z"),
            ]
        );
        assert_eq!(buckets.index_of(at("2026-03-28T22:59:59Z")), Some(0));
        assert_eq!(buckets.index_of(at("2026-03-28T23:00:00Z")), Some(1));
        assert_eq!(buckets.index_of(at("2026-03-27T22:59:59Z")), None);
        assert_eq!(buckets.index_of(at("2026-03-30T22:00:00Z")), None);
    }

    #[test]
    fn the_last_thirty_days_end_today() {
        let oslo = Zone::default();
        let buckets = Buckets::last_days(oslo, at("2026-11-25T23:30:00Z"), 30);
        assert_eq!(buckets.starts.len(), 30);
        assert_eq!(buckets.starts.last(), Some(&day(2026, 11, 26)));
        assert_eq!(buckets.index_of(at("2026-11-25T23:30:00Z")), Some(29));
    }

    #[test]
    fn long_ranges_are_cut_to_the_latest_buckets() {
        let buckets = Buckets::covering(Zone::default(), day(1970, 1, 1), day(2026, 11, 26));
        assert_eq!(buckets.step, Step::Month);
        assert_eq!(buckets.starts.len(), Buckets::MAX);
        assert_eq!(buckets.starts.last(), Some(&day(2026, 11, 1)));
    }

    #[test]
    fn hours_end_with_the_current_one() {
        let hours = last_hours(at("2026-11-26T07:42:10Z"), 24);
        assert_eq!(hours.len(), 25);
        assert_eq!(hours[0], at("2026-11-25T08:00:00Z"));
        assert_eq!(hours[24], at("2026-11-26T08:00:00Z"));
    }

    proptest! {
        #[test]
        fn every_instant_in_range_has_exactly_its_local_day(
            start in 0i64..2_000_000_000, span in 0i64..400, offset in 0i64..86_400 * 400,
            zone in prop::sample::select(vec!["Europe/Oslo", "America/Santiago", "Asia/Kolkata", "Pacific/Apia", "UTC"]),
        ) {
            let zone = Zone::parse(zone).unwrap();
            let first = zone.date_of(DateTime::from_timestamp(start, 0).unwrap());
            let last = first + Duration::days(span);
            let buckets = Buckets::covering(zone, first, last);
            prop_assert!(buckets.bounds.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(buckets.bounds.len(), buckets.starts.len() + 1);
            let instant = buckets.bounds[0] + Duration::seconds(offset);
            match buckets.index_of(instant) {
                Some(i) => {
                    let date = zone.date_of(instant);
                    prop_assert!(buckets.starts[i] <= date);
                    prop_assert!(buckets.step.next(buckets.starts[i]) > date);
                }
                None => prop_assert!(instant >= *buckets.bounds.last().unwrap()),
            }
        }
    }
}
