//! The charger hot path's writes, kept in memory and written in batches: when chargers were last heard
//! from, connector statuses, live readings and energy samples. A heartbeat, status or meter value is
//! answered without waiting for the disk; a background task writes what has gathered every
//! [`FLUSH_EVERY`] in one transaction of multi-row statements, and every read of what they change (and
//! every start or stop of a charging session) writes what waits first, so this process always reads
//! its own writes. A crash loses at most one interval of them; session starts and stops never wait
//! here (they are written synchronously, in their own transactions).

use std::collections::HashMap;
use std::mem;
use std::sync::{Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use voltgate_domain::ChargerId;

use crate::chargers::MeterReading;

/// How often what gathered is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// Rows per statement (well under both engines' limit of bound parameters).
pub(crate) const ROWS_PER_STATEMENT: usize = 1000;

/// A connector's status, waiting to be written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Status {
    pub status: String,
    pub error_code: String,
    pub status_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

/// An energy sample of a session, waiting to be written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Sample {
    pub charger: ChargerId,
    pub transaction: i32,
    pub at: DateTime<Utc>,
    pub energy_wh: f64,
}

/// What waits to be written. Repeats for the same charger or connector are folded: the latest time
/// seen, the newest status, readings merged field by field.
#[derive(Default, Debug)]
pub(crate) struct Queue {
    pub seen: HashMap<ChargerId, DateTime<Utc>>,
    pub statuses: HashMap<(ChargerId, i32), Status>,
    pub readings: HashMap<(ChargerId, i32), (MeterReading, DateTime<Utc>)>,
    pub samples: Vec<Sample>,
}

impl Queue {
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
            && self.statuses.is_empty()
            && self.readings.is_empty()
            && self.samples.is_empty()
    }

    fn see(&mut self, charger: ChargerId, at: DateTime<Utc>) {
        let seen = self.seen.entry(charger).or_insert(at);
        *seen = (*seen).max(at);
    }

    fn status(&mut self, key: (ChargerId, i32), status: Status) {
        match self.statuses.get(&key) {
            Some(held) if held.status_at > status.status_at => {}
            _ => {
                self.statuses.insert(key, status);
            }
        }
    }

    fn reading(&mut self, key: (ChargerId, i32), reading: &MeterReading, at: DateTime<Utc>) {
        let (held, held_at) = self
            .readings
            .entry(key)
            .or_insert_with(|| (MeterReading::default(), at));
        held.power_w = reading.power_w.or(held.power_w);
        for (held, new) in held.current.iter_mut().zip(reading.current) {
            *held = new.or(*held);
        }
        held.energy_wh = reading.energy_wh.or(held.energy_wh);
        *held_at = (*held_at).max(at);
    }

    /// Puts back what a failed write took, under anything newer that arrived meanwhile.
    fn restore(&mut self, mut older: Queue) {
        for (charger, at) in older.seen.drain() {
            self.see(charger, at);
        }
        for (key, status) in older.statuses.drain() {
            self.status(key, status);
        }
        for (key, (reading, at)) in older.readings.drain() {
            let newer = self.readings.remove(&key);
            self.reading(key, &reading, at);
            if let Some((newer, newer_at)) = newer {
                self.reading(key, &newer, newer_at);
            }
        }
        older.samples.append(&mut self.samples);
        self.samples = older.samples;
    }
}

/// The queue, and the newest status time this process has taken for each connector.
#[derive(Default)]
pub(crate) struct Pending {
    queue: Mutex<Queue>,
    newest_status: Mutex<HashMap<(ChargerId, i32), DateTime<Utc>>>,
    /// Held while a batch is written: one at a time, in order.
    pub(crate) writing: tokio::sync::Mutex<()>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pending {
    pub fn seen(&self, charger: ChargerId, at: DateTime<Utc>) {
        locked(&self.queue).see(charger, at);
    }

    /// Queues a status unless this process already took a newer one for the connector; answers
    /// whether it was taken. (The write keeps the newest in the database either way.)
    pub fn status(&self, charger: ChargerId, connector: i32, status: Status) -> bool {
        let key = (charger, connector);
        {
            let mut newest = locked(&self.newest_status);
            match newest.get(&key) {
                Some(held) if *held > status.status_at => return false,
                _ => {
                    newest.insert(key, status.status_at);
                }
            }
        }
        locked(&self.queue).status(key, status);
        true
    }

    pub fn reading(
        &self,
        charger: ChargerId,
        connector: i32,
        reading: &MeterReading,
        at: DateTime<Utc>,
    ) {
        locked(&self.queue).reading((charger, connector), reading, at);
    }

    pub fn samples(&self, charger: ChargerId, transaction: i32, samples: &[(DateTime<Utc>, f64)]) {
        let mut queue = locked(&self.queue);
        queue
            .samples
            .extend(samples.iter().map(|&(at, energy_wh)| Sample {
                charger,
                transaction,
                at,
                energy_wh,
            }));
    }

    /// Everything queued, leaving the queue empty.
    pub fn take(&self) -> Queue {
        mem::take(&mut *locked(&self.queue))
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        locked(&self.queue).is_empty()
    }

    /// Puts back a batch that could not be written.
    pub fn restore(&self, batch: Queue) {
        locked(&self.queue).restore(batch);
    }
}

/// Something that writes its pending batch when asked.
#[async_trait::async_trait]
pub(crate) trait Flush: Send + Sync + 'static {
    async fn flush_pending(&self) -> crate::Result<()>;
}

/// Writes the store's pending batch every [`FLUSH_EVERY`] until the store is dropped.
pub(crate) fn spawn_writer<S: Flush>(store: Weak<S>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(FLUSH_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let Some(store) = store.upgrade() else {
                return;
            };
            if let Err(error) = store.flush_pending().await {
                tracing::warn!(%error, "the chargers' batched writes failed; they wait for the next try");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, second).unwrap()
    }

    fn status(name: &str, second: u32) -> Status {
        Status {
            status: name.into(),
            error_code: "NoError".into(),
            status_at: at(second),
            received_at: at(second),
        }
    }

    #[test]
    fn repeats_fold_into_the_latest() {
        let pending = Pending::default();
        let cp = ChargerId::random();
        pending.seen(cp, at(5));
        pending.seen(cp, at(3));
        assert!(pending.status(cp, 1, status("Charging", 10)));
        assert!(!pending.status(cp, 1, status("Available", 9)), "older");
        assert!(pending.status(cp, 1, status("Finishing", 11)));
        pending.reading(
            cp,
            1,
            &MeterReading {
                power_w: Some(1.0),
                ..Default::default()
            },
            at(1),
        );
        pending.reading(
            cp,
            1,
            &MeterReading {
                energy_wh: Some(2.0),
                ..Default::default()
            },
            at(2),
        );
        let queue = pending.take();
        assert!(pending.is_empty());
        assert_eq!(queue.seen[&cp], at(5));
        assert_eq!(queue.statuses[&(cp, 1)].status, "Finishing");
        let (reading, when) = &queue.readings[&(cp, 1)];
        assert_eq!(
            (reading.power_w, reading.energy_wh, *when),
            (Some(1.0), Some(2.0), at(2))
        );
    }

    #[test]
    fn a_failed_batch_goes_back_under_newer_writes() {
        let pending = Pending::default();
        let cp = ChargerId::random();
        pending.seen(cp, at(1));
        pending.reading(
            cp,
            1,
            &MeterReading {
                power_w: Some(1.0),
                energy_wh: Some(1.0),
                ..Default::default()
            },
            at(1),
        );
        pending.samples(cp, 7, &[(at(1), 1.0)]);
        let failed = pending.take();
        pending.seen(cp, at(2));
        pending.reading(
            cp,
            1,
            &MeterReading {
                power_w: Some(2.0),
                ..Default::default()
            },
            at(2),
        );
        pending.samples(cp, 7, &[(at(2), 2.0)]);
        pending.restore(failed);
        let queue = pending.take();
        assert_eq!(queue.seen[&cp], at(2));
        let (reading, _) = &queue.readings[&(cp, 1)];
        assert_eq!((reading.power_w, reading.energy_wh), (Some(2.0), Some(1.0)));
        let order: Vec<_> = queue.samples.iter().map(|s| s.energy_wh).collect();
        assert_eq!(order, vec![1.0, 2.0]);
    }
}
