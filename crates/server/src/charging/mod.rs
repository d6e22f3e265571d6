//! Chargers from the server's side: what the central system does with what they report, the one path
//! every command to a charger takes, load balancing, and charger secrets.

pub mod balance;
pub mod central;
pub mod commands;
pub mod meter;
pub mod profiles;
pub mod route;
pub mod secrets;
pub mod starts;

use std::sync::Arc;
use std::time::Duration;

use std::collections::HashSet;

use voltgate_domain::{ChargerId, InstallationId};
use voltgate_ocpp::{ChargerRef, Registry};
use voltgate_store::cluster::Cluster;
use voltgate_store::Store;

pub use balance::Balancer;
pub use commands::{ChargerCommand, ChargerControl, CommandFailure, CommandOutcome};
pub use route::Routes;

use crate::events::{Event, Events};

/// The charging service: answers chargers (it is the OCPP central system), sends them commands, and
/// shares each installation's current among them.
pub struct Charging {
    pub store: Arc<dyn Store>,
    pub registry: Arc<Registry>,
    /// How chargers connected to any process of the service are reached.
    pub routes: Arc<dyn Routes>,
    /// How long a command may take, from the moment it is asked for.
    pub command_timeout: Duration,
    /// Where what chargers report is published.
    pub events: Events,
    balancer: Arc<Balancer>,
    /// Remote starts on their way, so that concurrent starts send one.
    pub starts: starts::PendingStarts,
}

impl Charging {
    pub fn new(
        store: Arc<dyn Store>,
        registry: Arc<Registry>,
        routes: Arc<dyn Routes>,
        cluster: Option<Cluster>,
        events: Events,
        command_timeout: Duration,
    ) -> Self {
        let balancer = Arc::new(Balancer::new(
            store.clone(),
            routes.clone(),
            cluster,
            command_timeout,
        ));
        Self {
            store,
            registry,
            routes,
            command_timeout,
            events,
            balancer,
            starts: starts::PendingStarts::default(),
        }
    }

    /// Works out the installation's limits anew (after its settings changed, say), without waiting.
    pub fn rebalance(&self, installation: InstallationId) {
        drop(self.balancer.request(installation));
    }

    /// A charger connected to this process: asks it, once for this connection, what it supports of
    /// smart charging, keeps the answer where every process reads it, and then has its installation
    /// rebalanced, its default limits sent again. Until then load balancing counts it as offline, so
    /// no process ever has to ask it across processes.
    fn learn_capabilities(&self, charger: &ChargerRef) {
        let registry = self.registry.clone();
        let routes = self.routes.clone();
        let balancer = self.balancer.clone();
        let timeout = self.command_timeout;
        let charger = charger.clone();
        tokio::spawn(async move {
            let Some(capabilities) =
                profiles::ask(&registry, charger.identity.as_str(), timeout).await
            else {
                return;
            };
            routes.note_capabilities(&charger, capabilities).await;
            balancer.charger_connected(charger.id);
            drop(balancer.request(charger.installation));
        });
    }
}

impl Charging {
    /// Which of these chargers (id and identity) are connected to some process of the service.
    pub async fn online(&self, chargers: &[(ChargerId, &str)]) -> HashSet<ChargerId> {
        self.routes.online(chargers).await
    }

    /// Whether one charger is connected to some process of the service.
    pub async fn is_online(&self, charger: ChargerId, identity: &str) -> bool {
        !self.online(&[(charger, identity)]).await.is_empty()
    }

    /// Now and then looks for processes that stopped renewing their lease: their chargers went
    /// offline, so the service says so and shares their installations' current anew.
    pub async fn watch_leases(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let orphans = self.routes.reap().await;
            let mut installations = HashSet::new();
            for orphan in orphans {
                tracing::info!(charger = %orphan.charger, "charger offline: its process stopped");
                self.events.publish(Event::ChargerOffline {
                    installation: orphan.installation,
                    charger: orphan.charger,
                });
                installations.insert(orphan.installation);
            }
            for installation in installations {
                self.rebalance(installation);
            }
        }
    }
}
