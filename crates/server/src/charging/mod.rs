//! Chargers from the server's side: what the central system does with what they report, the one path
//! every command to a charger takes, load balancing, and charger secrets.

pub mod balance;
pub mod central;
pub mod commands;
pub mod meter;
pub mod profiles;
pub mod secrets;

use std::sync::Arc;
use std::time::Duration;

use voltgate_domain::InstallationId;
use voltgate_ocpp::Registry;
use voltgate_store::Store;

pub use balance::Balancer;
pub use commands::{ChargerCommand, ChargerControl, CommandFailure, CommandOutcome};

use crate::events::Events;

/// The charging service: answers chargers (it is the OCPP central system), sends them commands, and
/// shares each installation's current among them.
pub struct Charging {
    pub store: Arc<dyn Store>,
    pub registry: Arc<Registry>,
    /// How long a command may take, from the moment it is asked for.
    pub command_timeout: Duration,
    /// Where what chargers report is published.
    pub events: Events,
    balancer: Arc<Balancer>,
}

impl Charging {
    pub fn new(
        store: Arc<dyn Store>,
        registry: Arc<Registry>,
        events: Events,
        command_timeout: Duration,
    ) -> Self {
        let balancer = Arc::new(Balancer::new(
            store.clone(),
            registry.clone(),
            command_timeout,
        ));
        Self {
            store,
            registry,
            command_timeout,
            events,
            balancer,
        }
    }

    /// Works out the installation's limits anew (after its settings changed, say), without waiting.
    pub fn rebalance(&self, installation: InstallationId) {
        drop(self.balancer.request(installation));
    }
}
