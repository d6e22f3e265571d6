//! voltgate's server: the portal (server-rendered HTML), wiring and startup, and the operators'
//! command line. Handlers are thin: parse → authorize → store → render.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod authz;
pub mod bench;
pub mod bench_api;
pub mod bench_fleet;
pub mod bench_history;
pub mod bench_limits;
pub mod charging;
pub mod cli;
pub mod config;
pub mod csrf;
pub mod error;
pub mod events;
pub mod expiry;
pub mod groups;
pub mod i18n;
pub mod installations;
pub mod lookup_keys;
pub mod measure;
pub mod memory;
pub mod passwords;
pub mod serve;
pub mod service_accounts;
pub mod sim;
pub mod startup;
pub mod state;
pub mod throttles;
mod web;
pub mod webhooks;

pub use config::ServeSettings;
pub use startup::Application;
