//! Throttling: at most so many attempts per key (an account, a client address) within a fixed window.
//!
//! The store counts each attempt atomically *before* the work it guards (one statement that increments
//! and returns the count), so however many requests arrive at once, no more than the limit get
//! through in a window. This module only decides what a count means.

use chrono::{DateTime, Duration, Utc};

/// A key's attempts in its current window, as the store returns them after counting one more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// Attempts in the current window, this one included.
    pub attempts: u32,
    /// When the current window began.
    pub window_start: DateTime<Utc>,
}

/// How many attempts a key may make within one window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Attempts allowed within one window; any more wait for the next window.
    pub max_attempts: u32,
    /// The window's length.
    pub window: Duration,
}

impl ThrottlePolicy {
    /// Per account: 5 unsuccessful logins within 15 minutes.
    pub const PER_ACCOUNT: Self = Self {
        max_attempts: 5,
        window: Duration::minutes(15),
    };

    /// Per client address: 20 unsuccessful logins within 15 minutes, whatever the accounts.
    pub const PER_ADDRESS: Self = Self {
        max_attempts: 20,
        window: Duration::minutes(15),
    };

    /// Per client address: 10 sign-ups an hour.
    pub const SIGNUPS_PER_ADDRESS: Self = Self {
        max_attempts: 10,
        window: Duration::hours(1),
    };

    /// When a window that began before this instant is over, at `now`.
    pub fn expired_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }

    /// `Err(seconds to wait)` when the attempt just counted is over the limit.
    pub fn admit(&self, count: Count, now: DateTime<Utc>) -> Result<(), u64> {
        if count.attempts <= self.max_attempts {
            return Ok(());
        }
        let ends = count.window_start + self.window;
        Err((ends - now)
            .num_seconds()
            .clamp(1, self.window.num_seconds()) as u64)
    }
}

/// What the store does with a count, written as a pure function so it can be tested here: the next
/// count of a key that had `previous` when one more attempt arrives at `now`.
pub fn next_count(policy: &ThrottlePolicy, previous: Option<Count>, now: DateTime<Utc>) -> Count {
    match previous {
        Some(count) if count.window_start > policy.expired_before(now) => Count {
            attempts: count.attempts.saturating_add(1),
            window_start: count.window_start,
        },
        _ => Count {
            attempts: 1,
            window_start: now,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const POLICY: ThrottlePolicy = ThrottlePolicy::PER_ACCOUNT;

    fn count_times(n: u32, start: DateTime<Utc>, step: Duration) -> Option<Count> {
        (0..n).fold(None, |state, i| {
            Some(next_count(&POLICY, state, start + step * i as i32))
        })
    }

    #[test]
    fn admits_the_first_five_in_a_window_and_no_more() {
        let now = Utc::now();
        let five = count_times(5, now, Duration::seconds(1)).unwrap();
        assert_eq!(POLICY.admit(five, now + Duration::seconds(5)), Ok(()));
        let six = next_count(&POLICY, Some(five), now + Duration::seconds(6));
        let wait = POLICY.admit(six, now + Duration::seconds(6)).unwrap_err();
        assert!((890..=900).contains(&wait), "{wait}");
    }

    #[test]
    fn a_new_window_starts_afresh() {
        let now = Utc::now();
        let many = count_times(9, now, Duration::seconds(1));
        let later = next_count(&POLICY, many, now + Duration::minutes(16));
        assert_eq!(later.attempts, 1);
        assert_eq!(POLICY.admit(later, now + Duration::minutes(16)), Ok(()));
    }

    #[test]
    fn the_wait_is_never_zero_nor_longer_than_a_window() {
        let now = Utc::now();
        let over = Count {
            attempts: 99,
            window_start: now - Duration::minutes(15),
        };
        assert_eq!(POLICY.admit(over, now), Err(1));
        let future = Count {
            attempts: 99,
            window_start: now + Duration::days(3),
        };
        assert_eq!(POLICY.admit(future, now), Err(900));
    }

    proptest! {
        #[test]
        fn never_more_than_the_limit_admitted_per_window(gaps in proptest::collection::vec(0i64..400, 0..60)) {
            let start = Utc::now();
            let mut at = start;
            let mut state = None;
            let mut admitted: Vec<DateTime<Utc>> = Vec::new();
            for gap in gaps {
                at += Duration::seconds(gap);
                let count = next_count(&POLICY, state, at);
                state = Some(count);
                if POLICY.admit(count, at).is_ok() {
                    admitted.push(at);
                    let window_start = count.window_start;
                    let in_window = admitted.iter().filter(|t| **t >= window_start).count();
                    prop_assert!(in_window as u32 <= POLICY.max_attempts);
                }
            }
        }
    }
}
