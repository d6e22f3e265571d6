//! What the central system does with a charger's requests: implemented by the server, which stores
//! what it must and answers.

use async_trait::async_trait;
use voltgate_domain::{ChargePointIdentity, ChargerId, InstallationId};

use crate::request::{ChargerRequest, Refusal};
use crate::response::ChargerResponse;

/// The charger a session belongs to, as registered when it connected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargerRef {
    pub id: ChargerId,
    pub identity: ChargePointIdentity,
    pub installation: InstallationId,
    /// How many connectors it has (numbered from 1).
    pub connectors: u32,
}

/// A request the central system did not answer with a CALLRESULT.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The request is well-formed but asks for something impossible (a transaction on a connector
    /// the charger does not have): the charger gets this CALLERROR.
    #[error("{}", .0.description)]
    Refused(Refusal),
    /// Processing failed; the charger gets an InternalError, nothing more.
    #[error("{0}")]
    Failed(String),
}

/// The central system's side of every charger session.
#[async_trait]
pub trait CentralSystem: Send + Sync + 'static {
    /// Answers one request with the CALLRESULT's payload.
    async fn handle(
        &self,
        charger: &ChargerRef,
        request: ChargerRequest,
    ) -> Result<ChargerResponse, HandlerError>;

    /// The charger's connection is up (after any older connection of it was closed).
    async fn connected(&self, _charger: &ChargerRef) {}

    /// The charger's connection is gone.
    async fn disconnected(&self, _charger: &ChargerRef) {}
}
