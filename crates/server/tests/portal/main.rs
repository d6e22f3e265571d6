//! The portal through its real HTTP surface, on SQLite and on PostgreSQL.

mod access;
mod accounts;
mod browser;
mod chargers;
mod cli;
mod exposure;
mod groups;
mod helpers;
mod hostile_text;
mod installations;
mod interop;
mod resources;
mod throttles;
