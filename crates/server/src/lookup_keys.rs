//! Fresh lookup keys: random, retried on the rare collision with an existing key.

use std::future::Future;

use voltgate_domain::LookupKey;
use voltgate_store::StoreError;

/// How many random keys to try before giving up (31⁶ keys make a second try already rare).
const ATTEMPTS: usize = 8;

/// Calls `write` with new random keys until one is not taken.
pub async fn with_fresh_key<T, F, Fut>(mut write: F) -> Result<T, StoreError>
where
    F: FnMut(LookupKey) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    for _ in 0..ATTEMPTS {
        let key = LookupKey::generate(&mut rand::thread_rng());
        match write(key).await {
            Err(StoreError::Conflict("lookup_key")) => continue,
            outcome => return outcome,
        }
    }
    Err(StoreError::Conflict("lookup_key"))
}
