//! Chargers from the server's side: their secrets, and what the central system does with what they
//! report.

pub mod balance;
pub mod central;
pub mod meter;
pub mod secrets;

pub use central::OcppCentral;
