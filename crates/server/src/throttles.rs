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
    /// API calls per token (keyed by the token's hash).
    api_calls: Arc<DefaultKeyedRateLimiter<String>>,
    /// Token requests per client address.
    token_requests: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

/// `Err(seconds to wait)` when `key` is over its limit; forgets recovered keys when many are kept.
fn admit<K>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), u64>
where
    K: std::hash::Hash + Eq + Clone,
{
    if limiter.len() > REMEMBERED_ADDRESSES {
        limiter.retain_recent();
    }
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        wait.as_secs().max(1)
    })
}

impl Throttles {
    /// The limits the settings ask for (a zero counts as one).
    pub fn new(settings: &ServeSettings) -> Self {
        let per_second = NonZeroU32::new(settings.api_rate_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(settings.api_rate_burst).unwrap_or(NonZeroU32::MIN);
        let api = Quota::per_second(per_second).allow_burst(burst);
        let per_minute =
            NonZeroU32::new(settings.access_requests_per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            signups: ThrottlePolicy {
                max_attempts: settings.signups_per_hour.max(1),
                window: Duration::hours(1),
            },
            access_requests: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            api_calls: Arc::new(RateLimiter::keyed(api)),
            token_requests: Arc::new(RateLimiter::keyed(api)),
        }
    }

    /// `Err(seconds to wait)` when `client` has opened too many access-request pages.
    pub fn access_request(&self, client: IpAddr) -> Result<(), u64> {
        admit(&self.access_requests, &client)
    }

    /// `Err(seconds to wait)` when the token with this hash has made too many API calls.
    pub fn api_call(&self, token_hash: &str) -> Result<(), u64> {
        admit(&self.api_calls, &token_hash.to_owned())
    }

    /// `Err(seconds to wait)` when `client` has asked `/oauth/token` too often.
    pub fn token_request(&self, client: IpAddr) -> Result<(), u64> {
        admit(&self.token_requests, &client)
    }
}
