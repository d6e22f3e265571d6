//! The command line: `voltgate [serve]` and `voltgate admin …`.

use clap::{Parser, Subcommand};

use crate::admin::AdminCommand;
use crate::config::{DatabaseArgs, ServeSettings};

/// voltgate: a cloud service for EV-charging installations.
#[derive(Parser, Debug)]
#[command(
    name = "voltgate",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Log filter, e.g. `info` or `voltgate_server=debug,tower_http=debug`.
    #[arg(long, env = "VOLTGATE_LOG", default_value = "info", global = true)]
    pub log_level: String,
    /// Log format: `text` or `json`.
    #[arg(
        long,
        env = "VOLTGATE_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    pub log_format: String,
    /// Settings for running the service when no command is given.
    #[command(flatten)]
    pub serve: ServeSettings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; without a command, `serve`.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the service.
    Serve(ServeSettings),
    /// Measure: `voltgate bench ocpp --chargers 1000,10000`.
    Bench {
        #[command(subcommand)]
        command: crate::bench::BenchCommand,
    },
    /// A simulated charger: boots, charges, obeys remote commands.
    Sim(crate::sim::SimArgs),
    /// Operators' tasks, for scripts: exit code 0 on success.
    Admin {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(subcommand)]
        command: AdminCommand,
    },
}
