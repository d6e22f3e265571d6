//! `voltgate bench passwords`: what parallel sign-ups and logins cost one server process — its peak
//! memory while it hashes passwords, whether that memory goes back, and how many requests were served
//! or refused. Starts `voltgate serve` as a child process on a fresh database; each simulated browser
//! comes from its own loopback address so that per-address limits do not stop the load.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use reqwest::StatusCode;

use crate::measure::{client_from, forms_at_once, ServerProcess};

/// Options of `voltgate bench passwords`.
#[derive(Args, Debug, Clone)]
pub struct PasswordsBench {
    /// Sign-ups (then logins) sent at once.
    #[arg(long, default_value_t = 200)]
    pub parallel: u16,
    /// PostgreSQL URL to measure on instead of a fresh SQLite file (the database must be empty).
    #[arg(long)]
    pub database_url: Option<String>,
}

/// One burst's figures.
fn report(
    what: &str,
    started: Instant,
    results: &[(StatusCode, bool)],
    server: &ServerProcess,
    base_kib: u64,
) -> anyhow::Result<()> {
    let served = results.iter().filter(|(s, _)| s.is_redirection()).count();
    let busy = results
        .iter()
        .filter(|(s, retry)| *s == StatusCode::SERVICE_UNAVAILABLE && *retry)
        .count();
    let other = results.len() - served - busy;
    let peak = server.peak_rss_kib()?;
    println!(
        "{what}: {} at once in {:.1} s — {served} served, {busy} refused with 503 + Retry-After, {other} other; \
         peak memory {:.1} MiB (+{:.1} MiB over idle)",
        results.len(),
        started.elapsed().as_secs_f64(),
        peak as f64 / 1024.0,
        peak.saturating_sub(base_kib) as f64 / 1024.0,
    );
    Ok(())
}

/// Runs the benchmark and prints its figures.
pub async fn passwords(options: &PasswordsBench) -> anyhow::Result<()> {
    let folder = tempfile::tempdir()?;
    let url = options
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", folder.path().display()));
    let exe = std::env::current_exe()?;
    let server = ServerProcess::start(&exe, &url, &["--signups-per-hour", "1000000"])
        .await
        .context("starting the server")?;
    let email = |i: usize| format!("bench{i}@voltgate.example");
    let fields = |i: usize| {
        vec![
            ("email", email(i)),
            ("full_name", "Bench".to_owned()),
            ("password", "correct horse battery".to_owned()),
        ]
    };
    let warm = [client_from(u16::MAX)?];
    forms_at_once(&warm, &server.base, "/signup", |_| fields(usize::MAX)).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = server.rss_kib()?;
    println!("idle after one sign-up: {:.1} MiB", idle as f64 / 1024.0);
    let clients = (1..=options.parallel)
        .map(client_from)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started = Instant::now();
    let signups = forms_at_once(&clients, &server.base, "/signup", fields).await?;
    report("sign-ups", started, &signups, &server, idle)?;
    let fresh = (1..=options.parallel)
        .map(client_from)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started = Instant::now();
    let logins = forms_at_once(&fresh, &server.base, "/login", fields).await?;
    report("logins", started, &logins, &server, idle)?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "2 s later: {:.1} MiB resident (+{:.1} MiB over idle)",
        server.rss_kib()? as f64 / 1024.0,
        server.rss_kib()?.saturating_sub(idle) as f64 / 1024.0
    );
    server.stop().await;
    Ok(())
}
