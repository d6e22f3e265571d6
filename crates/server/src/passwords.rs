//! argon2id password hashes, computed off the async threads — at most one per core at a time.
//!
//! argon2 takes 19 MiB per hash. Unbounded, 200 parallel sign-ups took the server from 1.3 to 4.7 GiB
//! and it stayed there. Here a semaphore sized to the cores lets that many hash at once, a bounded
//! number of requests wait their turn, and the rest are refused at once (503). That the memory of a
//! hash goes back to the system afterwards is `memory::return_large_allocations`'s part.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::anyhow;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;
use voltgate_domain::Password;

/// How long a request waits for its turn before it is refused.
const QUEUE_WAIT: Duration = Duration::from_secs(10);
/// Requests that may wait for a turn, per core.
const QUEUED_PER_CORE: usize = 16;

/// Why no hash was computed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot is taken and the queue is full, or the wait was too long: try again soon.
    #[error("too many passwords are being checked right now")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// The hashing slots of this process.
struct Slots {
    permits: Semaphore,
    queued: AtomicUsize,
    max_queued: usize,
}

fn slots() -> &'static Slots {
    static SLOTS: OnceLock<Slots> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Slots {
            permits: Semaphore::new(cores),
            queued: AtomicUsize::new(0),
            max_queued: cores * QUEUED_PER_CORE,
        }
    })
}

/// Runs `work` on the blocking pool once a slot is free. The slot travels with the work, so a request
/// that gives up (its client went away) does not free it before the hash is done.
async fn in_a_slot<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, HashError> {
    let slots = slots();
    let permit = match slots.permits.try_acquire() {
        Ok(permit) => permit,
        Err(_) => {
            if slots.queued.fetch_add(1, Ordering::AcqRel) >= slots.max_queued {
                slots.queued.fetch_sub(1, Ordering::AcqRel);
                return Err(HashError::Busy);
            }
            let waited = tokio::time::timeout(QUEUE_WAIT, slots.permits.acquire()).await;
            slots.queued.fetch_sub(1, Ordering::AcqRel);
            match waited {
                Ok(Ok(permit)) => permit,
                _ => return Err(HashError::Busy),
            }
        }
    };
    tokio::task::spawn_blocking(move || {
        let _slot = permit;
        work()
    })
    .await
    .map_err(|e| anyhow!("the hashing task: {e}"))?
    .map_err(HashError::Failed)
}

/// Hashes a new password (argon2id, random salt) into a PHC string.
pub async fn hash(password: Password) -> Result<String, HashError> {
    in_a_slot(move || {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow!("hashing a password: {e}"))
    })
    .await
}

/// A hash of nothing anyone knows, checked when an account does not exist so that a login takes as
/// long whether or not the account exists.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let secret: [u8; 32] = rand::random();
        Argon2::default()
            .hash_password(&secret)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

/// Whether `password` matches `hash`; with no hash, checks a decoy and answers false.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, HashError> {
    in_a_slot(move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| decoy_hash().to_owned());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| anyhow!("a stored password hash is unreadable: {e}"))?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
}
