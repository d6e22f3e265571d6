//! Failed-login throttling: after too many failures in a window, a key (an account, a client address)
//! is locked for a while.

use chrono::{DateTime, Duration, Utc};

/// Failures recorded for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempts {
    /// Failures in the current window.
    pub failures: u32,
    /// When the current window began.
    pub window_start: DateTime<Utc>,
    /// Set once the key is locked.
    pub locked_until: Option<DateTime<Utc>>,
}

/// How many failures a key may have within a window before it is locked, and for how long.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    /// Failures allowed within one window; the next one locks.
    pub max_failures: u32,
    /// The window's length.
    pub window: Duration,
    /// How long a lock lasts.
    pub lockout: Duration,
}

impl ThrottlePolicy {
    /// Per account: 5 failures within 15 minutes lock the account's logins for 15 minutes.
    pub const PER_ACCOUNT: Self = Self {
        max_failures: 5,
        window: Duration::minutes(15),
        lockout: Duration::minutes(15),
    };

    /// Per client address: 20 failures within 15 minutes (any accounts) lock that address for 15 minutes.
    pub const PER_ADDRESS: Self = Self {
        max_failures: 20,
        window: Duration::minutes(15),
        lockout: Duration::minutes(15),
    };

    /// `Err(seconds to wait)` while the key is locked.
    pub fn check(&self, attempts: Option<&Attempts>, now: DateTime<Utc>) -> Result<(), u64> {
        match attempts.and_then(|a| a.locked_until) {
            Some(until) if until > now => Err((until - now).num_seconds().max(1) as u64),
            _ => Ok(()),
        }
    }

    /// The key's state after one more failure at `now`. While locked, failures change nothing.
    pub fn record_failure(&self, attempts: Option<Attempts>, now: DateTime<Utc>) -> Attempts {
        let (failures, window_start) = match attempts {
            Some(a) if a.locked_until.is_some_and(|until| until > now) => return a,
            Some(a) if a.locked_until.is_none() && now - a.window_start < self.window => {
                (a.failures + 1, a.window_start)
            }
            _ => (1, now),
        };
        let locked_until = (failures >= self.max_failures).then(|| now + self.lockout);
        Attempts {
            failures,
            window_start,
            locked_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const POLICY: ThrottlePolicy = ThrottlePolicy::PER_ACCOUNT;

    fn fail_times(n: u32, start: DateTime<Utc>, step: Duration) -> Option<Attempts> {
        (0..n).fold(None, |state, i| {
            Some(POLICY.record_failure(state, start + step * i as i32))
        })
    }

    #[test]
    fn locks_after_the_fifth_failure_in_a_window() {
        let now = Utc::now();
        let four = fail_times(4, now, Duration::seconds(1));
        assert_eq!(
            POLICY.check(four.as_ref(), now + Duration::seconds(5)),
            Ok(())
        );
        let five = fail_times(5, now, Duration::seconds(1));
        let wait = POLICY
            .check(five.as_ref(), now + Duration::seconds(5))
            .unwrap_err();
        assert!((890..=900).contains(&wait), "{wait}");
    }

    #[test]
    fn the_lock_expires() {
        let now = Utc::now();
        let five = fail_times(5, now, Duration::seconds(1));
        assert_eq!(
            POLICY.check(five.as_ref(), now + Duration::minutes(20)),
            Ok(())
        );
        let after = POLICY.record_failure(five, now + Duration::minutes(20));
        assert_eq!(after.failures, 1);
        assert_eq!(after.locked_until, None);
    }

    #[test]
    fn slow_failures_never_lock() {
        let state = fail_times(50, Utc::now(), Duration::minutes(4));
        assert!(state.unwrap().locked_until.is_none());
    }

    proptest! {
        #[test]
        fn never_locks_before_max_failures(gaps in proptest::collection::vec(0i64..2000, 0..4)) {
            let start = Utc::now();
            let mut at = start;
            let mut state = None;
            for gap in gaps {
                at += Duration::seconds(gap);
                state = Some(POLICY.record_failure(state, at));
                prop_assert!(POLICY.check(state.as_ref(), at).is_ok());
            }
        }
    }
}
