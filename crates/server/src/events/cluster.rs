//! Events between the processes of a service on one PostgreSQL, over LISTEN/NOTIFY on one channel.
//!
//! A process delivers its own events to its subscribers at once and queues them for the others; a
//! sender task takes whatever has queued up within 50 ms of the first and sends it as few notifications as fit under
//! PostgreSQL's payload limit (an event too large for one goes through the store's message table).
//! Every process listens on the channel and hands on what the others sent, skipping its own. If the
//! database stays unreachable, events for other processes are dropped once the queue is full; this
//! process's own subscribers never miss them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::{broadcast, mpsc};
use voltgate_store::cluster::{Cluster, Heard, Listener, NodeId, NOTIFY_LIMIT};
use voltgate_store::StoreError;

use super::{Event, EventBus, CAPACITY};

/// The channel every process listens on.
pub const CHANNEL: &str = "voltgate_events";

/// Events waiting to be sent to the other processes before new ones are dropped.
const OUTBOX: usize = 65_536;

/// Events taken from the queue for one round of notifications.
const BATCH: usize = 2048;

/// How long the sender lets events gather after the first of a round, so that the other processes
/// hear of them at most this much later.
const GATHER: Duration = Duration::from_millis(50);

/// What one notification carries.
#[derive(Deserialize)]
struct Envelope<'a> {
    from: NodeId,
    #[serde(borrow)]
    events: Vec<&'a RawValue>,
}

/// Packs serialized events into as few envelopes as fit in a notification, in order; each envelope
/// is numbered (`seq`) so that no two of a process's notifications are the same text. An event too
/// large to share one travels alone.
fn pack(from: NodeId, seq: &mut u64, events: &[String]) -> Vec<String> {
    let mut envelopes = Vec::new();
    let mut current = String::new();
    let open = |seq: &mut u64| {
        *seq += 1;
        format!("{{\"from\":\"{from}\",\"seq\":{seq},\"events\":[")
    };
    for event in events {
        let fits = current.len() + 1 + event.len() + 2 <= NOTIFY_LIMIT;
        if !current.is_empty() && !fits {
            current.push_str("]}");
            envelopes.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current = open(seq);
        } else {
            current.push(',');
        }
        current.push_str(event);
    }
    if !current.is_empty() {
        current.push_str("]}");
        envelopes.push(current);
    }
    envelopes
}

/// The events another process sent, or none when the notification is this process's own or cannot be
/// read; an event of a kind this version does not know is skipped.
fn unpack(payload: &str, me: NodeId) -> Vec<Event> {
    let Ok(envelope) = serde_json::from_str::<Envelope<'_>>(payload) else {
        tracing::warn!("events: a notification that is not an envelope of events was skipped");
        return Vec::new();
    };
    if envelope.from == me {
        return Vec::new();
    }
    envelope
        .events
        .into_iter()
        .filter_map(|raw| serde_json::from_str(raw.get()).ok())
        .collect()
}

/// Events shared by every process on the database.
pub struct ClusterBus {
    local: broadcast::Sender<Event>,
    outbox: mpsc::Sender<Event>,
    dropped: Arc<AtomicU64>,
}

impl ClusterBus {
    /// Starts listening (before anything is published here, so nothing sent from now on is missed)
    /// and sending, as node `me`.
    pub async fn start(cluster: Cluster, me: NodeId) -> Result<Self, StoreError> {
        let listener = cluster.listen(&[CHANNEL]).await?;
        let local = broadcast::channel(CAPACITY).0;
        let (outbox, queue) = mpsc::channel(OUTBOX);
        let dropped = Arc::new(AtomicU64::new(0));
        tokio::spawn(receive(listener, me, local.clone()));
        tokio::spawn(sweep(cluster.clone()));
        tokio::spawn(send(cluster, me, queue, dropped.clone()));
        Ok(Self {
            local,
            outbox,
            dropped,
        })
    }
}

impl EventBus for ClusterBus {
    fn publish(&self, event: Event) {
        let _ = self.local.send(event.clone());
        if self.outbox.try_send(event).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }
}

async fn send(
    cluster: Cluster,
    me: NodeId,
    mut queue: mpsc::Receiver<Event>,
    dropped: Arc<AtomicU64>,
) {
    let mut seq = 0;
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        // Every notification wakes every listening connection of the database and every process:
        // a moment's wait gathers a burst (a meter value from each of a thousand chargers, say) into
        // a few full notifications instead of one each.
        tokio::time::sleep(GATHER).await;
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
        let texts: Vec<String> = batch
            .drain(..)
            .filter_map(|event| serde_json::to_string(&event).ok())
            .collect();
        if let Err(error) = cluster.notify(CHANNEL, pack(me, &mut seq, &texts)).await {
            tracing::warn!(%error, events = texts.len(), "events could not be sent to the other processes");
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            tracing::warn!(
                lost,
                "events for the other processes were dropped: the queue was full"
            );
        }
    }
}

/// Now and then forgets events that went through the message table and have been read by now.
async fn sweep(cluster: Cluster) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        if let Err(error) = cluster.sweep_messages().await {
            tracing::warn!(%error, "events: old messages could not be swept");
        }
    }
}

async fn receive(mut listener: Listener, me: NodeId, local: broadcast::Sender<Event>) {
    loop {
        match listener.recv().await {
            Ok(Heard::Message { payload, .. }) => {
                for event in unpack(&payload, me) {
                    let _ = local.send(event);
                }
            }
            Ok(Heard::Gap) => {
                tracing::warn!("events: the listening connection was lost; events of other processes may have been missed");
            }
            Err(error) => {
                tracing::warn!(%error, "events: listening failed; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use voltgate_domain::{ChargerId, InstallationId};

    use super::*;

    fn reading(n: u32) -> Event {
        Event::MeterReading {
            installation: InstallationId::random(),
            charger: ChargerId::random(),
            connector: n,
            power_w: Some(11_040.0),
            current: [Some(16.0), Some(16.0), None],
            energy_wh: Some(f64::from(n)),
            at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn events_are_packed_in_order_under_the_notification_limit() {
        let (me, other) = (NodeId::random(), NodeId::random());
        let events: Vec<Event> = (0..500).map(reading).collect();
        let texts: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        let mut seq = 0;
        let envelopes = pack(other, &mut seq, &texts);
        assert!(
            envelopes.len() > 1,
            "500 readings need several notifications"
        );
        assert!(envelopes.iter().all(|e| e.len() <= NOTIFY_LIMIT));
        assert_eq!(seq as usize, envelopes.len());
        let unpacked: Vec<Event> = envelopes.iter().flat_map(|e| unpack(e, me)).collect();
        assert_eq!(unpacked, events);
        assert!(
            envelopes.iter().all(|e| unpack(e, other).is_empty()),
            "a process skips its own"
        );
    }

    #[test]
    fn an_event_larger_than_a_notification_travels_alone() {
        let big = format!("\"{}\"", "x".repeat(NOTIFY_LIMIT));
        let small = serde_json::to_string(&reading(1)).unwrap();
        let mut seq = 0;
        let envelopes = pack(NodeId::random(), &mut seq, &[small.clone(), big, small]);
        assert_eq!(envelopes.len(), 3);
        assert!(envelopes[1].len() > NOTIFY_LIMIT);
    }

    #[test]
    fn unknown_kinds_and_garbage_are_skipped() {
        let from = NodeId::random();
        let known = serde_json::to_string(&reading(7)).unwrap();
        let payload = format!(
            "{{\"from\":\"{from}\",\"seq\":1,\"events\":[{{\"type\":\"from_the_future\",\"data\":{{}}}},{known}]}}"
        );
        assert_eq!(
            unpack(&payload, NodeId::random()),
            vec![reading_like(&known)]
        );
        assert!(unpack("not json", NodeId::random()).is_empty());
    }

    fn reading_like(text: &str) -> Event {
        serde_json::from_str(text).unwrap()
    }

    /// Events published a few milliseconds apart reach the other processes in a few notifications,
    /// not one each (every notification wakes every listening connection), in order and all of them.
    #[tokio::test]
    async fn events_of_a_moment_travel_together() {
        use voltgate_store::testing::TestDatabase;
        let database = TestDatabase::new(voltgate_store::Engine::Postgres).await;
        let db = voltgate_store::connect(&database.url).await.unwrap();
        let cluster = db.cluster.clone().expect("PostgreSQL runs a cluster");
        let mut heard = cluster.listen(&[CHANNEL]).await.unwrap();
        let bus = ClusterBus::start(cluster, NodeId::random()).await.unwrap();
        let events: Vec<Event> = (0..20).map(reading).collect();
        let started = std::time::Instant::now();
        for event in &events {
            bus.publish(event.clone());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let elapsed = started.elapsed();
        let (mut received, mut notifications) = (Vec::new(), 0);
        while received.len() < events.len() {
            let next = tokio::time::timeout(Duration::from_secs(10), heard.recv()).await;
            if let Heard::Message { payload, .. } = next.expect("the events arrive").unwrap() {
                notifications += 1;
                received.extend(unpack(&payload, NodeId::random()));
            }
        }
        assert_eq!(received, events);
        // One notification per gathering at most, and one more for the round under way.
        let most = elapsed.as_millis() / GATHER.as_millis() + 2;
        assert!(
            notifications <= most,
            "{notifications} notifications for 20 events over {elapsed:?}"
        );
    }
}
