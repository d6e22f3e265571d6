//! One stream of what happened — chargers coming and going, connector states, meter readings, charging
//! sessions, access given and taken — for the portal's live view, webhooks and load balancing.
//!
//! [`Events::publish`] never waits: the event goes to this process's subscribers at once and, on
//! PostgreSQL, to every other process of the service shortly after ([`cluster`]). A subscriber that
//! falls more than [`CAPACITY`] events behind misses the oldest (its receiver says how many); one that
//! must not miss anything reads the store again then.

pub mod cluster;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use voltgate_domain::{ChargerId, GroupId, InstallationId, UserId};

/// Events a slow subscriber may fall behind by before it misses some.
pub const CAPACITY: usize = 4096;

/// Something that happened, with the installation (and charger) it happened on. As JSON:
/// `{"type": "meter_reading", "data": {"installation": …, "charger": …, …}}` (the kind first; a
/// flat form would not read back numbers beside the serde_json precision feature the OCPP types need).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// A charger connected (to any process of the service).
    ChargerOnline {
        installation: InstallationId,
        charger: ChargerId,
    },
    /// A charger's connection ended and no newer one took its place; also when the process holding
    /// it stopped answering.
    ChargerOffline {
        installation: InstallationId,
        charger: ChargerId,
    },
    /// A connector reported a new status (`Available`, `Charging`, … as OCPP spells them).
    ConnectorStatus {
        installation: InstallationId,
        charger: ChargerId,
        connector: u32,
        status: String,
        error_code: String,
        /// When the status began, by the charger's clock (never later than when it was heard).
        at: DateTime<Utc>,
    },
    /// A connector's meter: what is known of power (W), current per phase (A) and energy (Wh).
    MeterReading {
        installation: InstallationId,
        charger: ChargerId,
        connector: u32,
        power_w: Option<f64>,
        current: [Option<f64>; 3],
        energy_wh: Option<f64>,
        at: DateTime<Utc>,
    },
    /// A charging session began (also when a charger reports the same start again).
    SessionStarted {
        installation: InstallationId,
        charger: ChargerId,
        connector: u32,
        transaction: i32,
        at: DateTime<Utc>,
    },
    /// A charging session ended: reported by the charger (`confirmed`), or ended by the server or a
    /// person without a StopTransaction.
    SessionEnded {
        installation: InstallationId,
        charger: ChargerId,
        transaction: i32,
        confirmed: bool,
        at: DateTime<Utc>,
    },
    /// A group was given access to an installation.
    AccessGranted {
        installation: InstallationId,
        group: GroupId,
    },
    /// A person's role on an installation was given, changed or taken away.
    AccessChanged {
        installation: InstallationId,
        user: UserId,
    },
    /// A group's access to an installation was revoked (or given up by the group).
    AccessRevoked {
        installation: InstallationId,
        group: GroupId,
    },
    /// A group's access to an installation reached its end date (published once per end, by the
    /// process whose expiry sweep told it).
    AccessExpired {
        installation: InstallationId,
        group: GroupId,
    },
}

impl Event {
    /// The installation it happened on.
    pub fn installation(&self) -> InstallationId {
        match self {
            Self::ChargerOnline { installation, .. }
            | Self::ChargerOffline { installation, .. }
            | Self::ConnectorStatus { installation, .. }
            | Self::MeterReading { installation, .. }
            | Self::SessionStarted { installation, .. }
            | Self::SessionEnded { installation, .. }
            | Self::AccessGranted { installation, .. }
            | Self::AccessChanged { installation, .. }
            | Self::AccessRevoked { installation, .. }
            | Self::AccessExpired { installation, .. } => *installation,
        }
    }

    /// The charger it happened on, if it is about one.
    pub fn charger(&self) -> Option<ChargerId> {
        match self {
            Self::ChargerOnline { charger, .. }
            | Self::ChargerOffline { charger, .. }
            | Self::ConnectorStatus { charger, .. }
            | Self::MeterReading { charger, .. }
            | Self::SessionStarted { charger, .. }
            | Self::SessionEnded { charger, .. } => Some(*charger),
            Self::AccessGranted { .. }
            | Self::AccessChanged { .. }
            | Self::AccessRevoked { .. }
            | Self::AccessExpired { .. } => None,
        }
    }
}

/// How events travel: within one process, or to every process of the service. A message bus would
/// be one more implementation.
pub trait EventBus: Send + Sync {
    /// Hands an event to every subscriber, here and in the other processes; never waits.
    fn publish(&self, event: Event);
    /// Events published from now on, in the order this process heard of them.
    fn subscribe(&self) -> broadcast::Receiver<Event>;
}

/// Events within one process (SQLite: one process is the whole service).
pub struct LocalBus {
    sender: broadcast::Sender<Event>,
}

impl Default for LocalBus {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: Event) {
        // Nobody listening is not an error.
        let _ = self.sender.send(event);
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}

/// The service's event stream, shared by everything in the process.
#[derive(Clone)]
pub struct Events(Arc<dyn EventBus>);

impl Events {
    /// Events that stay within this process.
    pub fn local() -> Self {
        Self(Arc::new(LocalBus::default()))
    }

    /// Events over any bus.
    pub fn over(bus: Arc<dyn EventBus>) -> Self {
        Self(bus)
    }

    /// Hands an event to every subscriber; never waits.
    pub fn publish(&self, event: Event) {
        self.0.publish(event);
    }

    /// Events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_travel_as_tagged_json() {
        let installation = InstallationId::random();
        let charger = ChargerId::random();
        let event = Event::ConnectorStatus {
            installation,
            charger,
            connector: 1,
            status: "Charging".into(),
            error_code: "NoError".into(),
            at: DateTime::UNIX_EPOCH,
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "connector_status");
        assert_eq!(json["data"]["installation"], installation.to_string());
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
        assert_eq!(event.installation(), installation);
        assert_eq!(event.charger(), Some(charger));
    }

    #[tokio::test]
    async fn every_subscriber_hears_every_event_in_order() {
        let events = Events::local();
        let (mut first, mut second) = (events.subscribe(), events.subscribe());
        let installation = InstallationId::random();
        let group = GroupId::random();
        events.publish(Event::AccessGranted {
            installation,
            group,
        });
        events.publish(Event::AccessRevoked {
            installation,
            group,
        });
        for receiver in [&mut first, &mut second] {
            assert!(matches!(
                receiver.recv().await,
                Ok(Event::AccessGranted { .. })
            ));
            assert!(matches!(
                receiver.recv().await,
                Ok(Event::AccessRevoked { .. })
            ));
        }
    }
}
