//! What every handler shares.

use std::sync::Arc;

use voltgate_ocpp::{CentralSystem, Registry, SessionConfig};
use voltgate_store::Store;

use crate::charging::Charging;
use crate::csrf::CsrfKey;
use crate::events::Events;
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
    /// What happened, for whoever subscribes (the live view, webhooks, load balancing).
    pub events: Events,
    /// Timing and limits of charger sessions.
    pub sessions: SessionConfig,
    /// Where people reach the service (`--public-url`, else the address it listens on): the OCPP
    /// URL shown to installers is made from it, never from a request's Host header.
    pub public_url: String,
    /// What one client address may do how often.
    pub throttles: Throttles,
    /// How long an API access token lasts.
    pub api_token_lifetime: chrono::Duration,
    /// Signs the CSRF tokens of visitors who are not signed in.
    pub csrf: CsrfKey,
}

impl AppState {
    /// Whether cookies must only travel over https (the public address is https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
