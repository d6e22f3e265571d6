use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use voltgate_server::cli::{Cli, Command};
use voltgate_server::config::ServeSettings;
use voltgate_server::{admin, Application};

fn init_logs(cli: &Cli) {
    let filter = EnvFilter::try_new(&cli.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cli.log_format == "json" {
        logs.json().init();
    } else {
        logs.init();
    }
}

async fn serve(settings: ServeSettings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    tracing::info!(address = %app.local_addr(), "voltgate is listening");
    app.run_until_stopped().await
}

fn main() -> ExitCode {
    voltgate_server::memory::return_large_allocations();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run()),
        Err(error) => {
            eprintln!("error: starting the runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli);
    let outcome = match cli.command {
        Some(Command::Admin { database, command }) => admin::run(&database.url, command).await,
        Some(Command::Serve(settings)) => serve(settings).await,
        Some(Command::Sim(args)) => voltgate_server::sim::run(args).await,
        Some(Command::Bench { command }) => voltgate_server::bench::run(command).await,
        None => serve(cli.serve).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
