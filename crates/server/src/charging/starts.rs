//! Remote starts on their way. A start is checked against the connector's state, but that state
//! changes only when the charger reports its new session, seconds later: without a mark, two callers
//! (or one caller's retries) would each pass the check and send a RemoteStartTransaction of their own.
//! The mark is taken by the process the start is asked of and dropped when the start fails, when the
//! charger reports the session to this process, or after [`START_ON_ITS_WAY`]; with several processes a
//! charger connected elsewhere clears it only by time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use voltgate_domain::ChargerId;

/// How long an accepted start keeps the connector from taking another: about as long as a charger
/// waits for the car before giving the start up (OCPP `ConnectionTimeOut`).
pub const START_ON_ITS_WAY: Duration = Duration::from_secs(60);

/// The connectors with a remote start on its way, in this process.
#[derive(Default)]
pub struct PendingStarts(Mutex<HashMap<(ChargerId, u32), Instant>>);

impl PendingStarts {
    /// Marks a start on its way to the connector; `false` when one already is (marks older than
    /// [`START_ON_ITS_WAY`] are forgotten first).
    pub fn reserve(&self, charger: ChargerId, connector: u32) -> bool {
        let now = Instant::now();
        let mut pending = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pending.retain(|_, since| now.duration_since(*since) < START_ON_ITS_WAY);
        match pending.entry((charger, connector)) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(now);
                true
            }
        }
    }

    /// Forgets the mark: the start failed or was refused, so another may be tried at once.
    pub fn release(&self, charger: ChargerId, connector: u32) {
        let mut pending = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pending.remove(&(charger, connector));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_start_at_a_time_per_connector() {
        let starts = PendingStarts::default();
        let charger = ChargerId::from_uuid(uuid::Uuid::new_v4());
        assert!(starts.reserve(charger, 1));
        assert!(!starts.reserve(charger, 1), "a second start waits");
        assert!(starts.reserve(charger, 2), "another connector is free");
        starts.release(charger, 1);
        assert!(
            starts.reserve(charger, 1),
            "free again after a failed start"
        );
    }
}
