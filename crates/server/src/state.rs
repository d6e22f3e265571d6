//! What every handler shares.

use std::sync::Arc;

use voltgate_ocpp::{CentralSystem, Registry, SessionConfig};
use voltgate_store::Store;

use crate::charging::Charging;
use crate::throttles::Throttles;

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    /// Everything voltgate keeps.
    pub store: Arc<dyn Store>,
    /// The chargers connected to this process.
    pub registry: Arc<Registry>,
    /// What the central system does with chargers' requests: the charging service.
    pub central: Arc<dyn CentralSystem>,
    /// Commands to chargers and load balancing.
    pub charging: Arc<Charging>,
    /// Timing and limits of charger sessions.
    pub sessions: SessionConfig,
    /// Where people reach the service (for the OCPP URL shown to installers), if configured.
    pub public_url: Option<String>,
    /// What one client address may do how often.
    pub throttles: Throttles,
}
