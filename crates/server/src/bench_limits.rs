//! What abuse costs one server process, measured on a `voltgate serve` child process on a fresh
//! database.
//!
//! - `voltgate bench passwords`: parallel sign-ups and logins — the peak memory while passwords are
//!   hashed, whether it goes back, how many requests were served or refused. Each simulated browser
//!   comes from its own loopback address so that per-address limits do not stop the load.
//! - `voltgate bench slow-clients`: connections that send half a request and wait — the files the
//!   server holds, whether `/healthz` answers and a charger connects meanwhile, and when they are closed.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use reqwest::StatusCode;

use crate::measure::{
    client_from, closed_by_server, forms_at_once, half_open, register_charger, ServerProcess,
};
use crate::sim::connect_charger;

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

/// Options of `voltgate bench slow-clients`.
#[derive(Args, Debug, Clone)]
pub struct SlowClientsBench {
    /// Slow connections to open (this process needs a file for each).
    #[arg(long, default_value_t = 3000)]
    pub connections: usize,
    /// The server's `--max-portal-connections`.
    #[arg(long, default_value_t = 4096)]
    pub max_portal_connections: usize,
    /// The server's `--header-read-timeout`, in seconds.
    #[arg(long, default_value_t = 10)]
    pub header_read_timeout: u64,
}

/// A fresh SQLite database in `folder`.
fn sqlite_in(folder: &tempfile::TempDir) -> String {
    format!("sqlite://{}/bench.db", folder.path().display())
}

/// Runs `voltgate bench slow-clients` and prints its figures.
pub async fn slow_clients(options: &SlowClientsBench) -> anyhow::Result<()> {
    let folder = tempfile::tempdir()?;
    let url = sqlite_in(&folder);
    let (cap, timeout) = (
        options.max_portal_connections.to_string(),
        options.header_read_timeout.to_string(),
    );
    let limits = [
        "--max-portal-connections",
        &cap,
        "--header-read-timeout",
        &timeout,
    ];
    let server = ServerProcess::start(&std::env::current_exe()?, &url, &limits).await?;
    let password = register_charger(&url, "CP-BENCH").await?;
    let files_before = server.open_files()?;
    let started = Instant::now();
    let mut slow = half_open(server.address(), options.connections).await?;
    println!(
        "{} slow connections opened in {:.1} s; the server held {} files before, {} now",
        options.connections,
        started.elapsed().as_secs_f64(),
        files_before,
        server.open_files()?
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let closed_at_once = closed_by_server(&mut slow).await;
    println!(
        "{closed_at_once} closed by the server at once, {} held",
        slow.len()
    );
    let asked = Instant::now();
    let health = reqwest::get(format!("{}/healthz", server.base)).await;
    println!(
        "/healthz: {} in {:.0} ms",
        health.map_or_else(|e| e.to_string(), |r| r.status().to_string()),
        asked.elapsed().as_secs_f64() * 1000.0
    );
    let asked = Instant::now();
    let ocpp = format!("ws://{}/ocpp", server.address());
    let charger = connect_charger(&ocpp, "CP-BENCH", &password).await;
    println!(
        "charger: {} in {:.0} ms",
        if charger.is_ok() {
            "connected"
        } else {
            "refused"
        },
        asked.elapsed().as_secs_f64() * 1000.0
    );
    let deadline = started + Duration::from_secs(options.header_read_timeout + 10);
    while !slow.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        closed_by_server(&mut slow).await;
    }
    println!(
        "{} slow connections still open {:.1} s after the first was opened; the server holds {} files",
        slow.len(),
        started.elapsed().as_secs_f64(),
        server.open_files()?
    );
    drop(charger);
    server.stop().await;
    Ok(())
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
        .unwrap_or_else(|| sqlite_in(&folder));
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
