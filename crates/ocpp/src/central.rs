//! What the central system does with a charger's requests: implemented by the server, which stores
//! what it must and answers.

use async_trait::async_trait;
use serde_json::Value;
use voltgate_domain::{ChargePointIdentity, ChargerId};

use crate::request::ChargerRequest;

/// The charger a session belongs to, as authenticated at connection time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargerRef {
    pub id: ChargerId,
    pub identity: ChargePointIdentity,
}

/// A request the central system could not process; the charger gets an InternalError, nothing more.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(pub String);

/// The central system's side of every charger session.
#[async_trait]
pub trait CentralSystem: Send + Sync + 'static {
    /// Answers one request; the returned JSON is the CALLRESULT's payload.
    async fn handle(
        &self,
        charger: &ChargerRef,
        request: ChargerRequest,
    ) -> Result<Value, HandlerError>;

    /// The charger's connection is up (after any older connection of it was closed).
    async fn connected(&self, _charger: &ChargerRef) {}

    /// The charger's connection is gone.
    async fn disconnected(&self, _charger: &ChargerRef) {}
}
