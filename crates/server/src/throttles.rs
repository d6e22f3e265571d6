//! What one client address may do how often, beyond the login throttles of `accounts`.
//!
//! Sign-ups are counted in the database (every process shares the count, and a sign-up writes anyway);
//! access-request pages are counted in this process's memory, so that looking at a link never writes.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use chrono::Duration;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use voltgate_domain::throttle::ThrottlePolicy;

use crate::config::ServeSettings;

/// Above this many remembered addresses, forget those whose limit has recovered.
const REMEMBERED_ADDRESSES: usize = 10_000;

/// The per-address limits of one process.
#[derive(Clone)]
pub struct Throttles {
    /// Sign-ups per address.
    pub signups: ThrottlePolicy,
    access_requests: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Throttles {
    /// The limits the settings ask for (a zero counts as one).
    pub fn new(settings: &ServeSettings) -> Self {
        let per_minute =
            NonZeroU32::new(settings.access_requests_per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            signups: ThrottlePolicy {
                max_attempts: settings.signups_per_hour.max(1),
                window: Duration::hours(1),
            },
            access_requests: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
        }
    }

    /// `Err(seconds to wait)` when `client` has opened too many access-request pages.
    pub fn access_request(&self, client: IpAddr) -> Result<(), u64> {
        if self.access_requests.len() > REMEMBERED_ADDRESSES {
            self.access_requests.retain_recent();
        }
        self.access_requests
            .check_key(&client)
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                wait.as_secs().max(1)
            })
    }
}
