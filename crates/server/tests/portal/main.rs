//! The portal through its real HTTP surface, on SQLite and on PostgreSQL.

mod access;
mod accounts;
mod api;
mod api_clients;
mod balancing;
mod browser;
mod charge_point;
mod chargers;
mod cli;
mod cluster;
mod conformance;
mod control;
mod events;
mod exposure;
mod fleet;
mod groups;
mod helpers;
mod history;
mod hostile_text;
mod installations;
mod interop;
mod languages;
mod reliability;
mod resources;
mod throttles;
