//! voltgate's OCPP 1.6J central system. It speaks the protocol — frames, the charger's requests,
//! the central system's commands — and keeps one session per connected charger. What a message means
//! for the installation is the [`CentralSystem`] implementation's business (the server's); this crate
//! knows nothing about HTTP, pages or storage.

pub mod central;
pub mod command;
pub mod frame;
pub mod payload;
pub mod registry;
pub mod request;
pub mod response;
pub mod session;

pub use central::{CentralSystem, ChargerRef};
pub use command::{Answer, Command, CommandError};
pub use frame::{ErrorCode, Frame};
pub use registry::Registry;
pub use request::ChargerRequest;
pub use response::ChargerResponse;
pub use session::{run_session, CloseReason, SessionConfig, WsIn, WsOut};

/// The only subprotocol spoken.
pub const SUBPROTOCOL: &str = "ocpp1.6";
