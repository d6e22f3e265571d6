//! `voltgate bench ocpp`: how many chargers one server holds, how much memory each costs, and how fast
//! commands and heartbeats go round — measured, not assumed. Starts `voltgate serve` as a child process
//! on a fresh database, connects simulated chargers from this process, and drives commands through the
//! portal as a person would.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use voltgate_domain::authz::ManageUsers;
use voltgate_domain::text::{Address, Name};
use voltgate_domain::{ChargePointIdentity, Email, InstallationType, Password, Principal};
use voltgate_store::{NewCharger, NewInstallation, NewUser};

use crate::authz;
use crate::bench_fleet::{Fleets, Latencies, CHARGERS_PER_CLIENT};
use crate::charging::secrets;
use crate::passwords;

/// What to measure.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Chargers over OCPP 1.6J against one server process.
    Ocpp(OcppBench),
    /// The charging history: a million sessions, a filtered page and its totals.
    History(crate::bench_history::HistoryBench),
    /// The REST API: an authorized charger list next to `/healthz`.
    Api(crate::bench_api::ApiBench),
    /// Parallel sign-ups and logins: the server's memory while it hashes passwords.
    Passwords(crate::bench_limits::PasswordsBench),
    /// Connections that send half a request and wait: files held, health checks and chargers meanwhile.
    SlowClients(crate::bench_limits::SlowClientsBench),
    /// A share of `bench ocpp`'s chargers, simulated in a process of its own (started by the bench).
    #[command(hide = true)]
    OcppClients(crate::bench_fleet::FleetPlan),
}

/// Options of `voltgate bench ocpp`.
#[derive(Args, Debug, Clone)]
pub struct OcppBench {
    /// Numbers of chargers to measure, one run each (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    pub chargers: Vec<usize>,
    /// Seconds of steady state after all chargers are connected (heartbeats come every 60 s).
    #[arg(long, default_value_t = 65)]
    pub duration: u64,
    /// Remote commands sent through the portal during the steady state.
    #[arg(long, default_value_t = 300)]
    pub commands: usize,
    /// Share of chargers that charge, sending meter values every 10 s.
    #[arg(long, default_value_t = 0.1)]
    pub charging_share: f64,
    /// PostgreSQL URL to measure on instead of a fresh SQLite file (the database must be empty).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Server processes on the one PostgreSQL database (`--database-url`): charger n connects to
    /// process n mod N, and command k is sent from process k mod N (to a charger mostly elsewhere).
    #[arg(long, default_value_t = 1)]
    pub processes: usize,
    /// After the steady state, kill every server process and start it again on the same address:
    /// the chargers reconnect with their back-off, and the time until every one has its
    /// BootNotification accepted and its first heartbeat answered is reported.
    #[arg(long)]
    pub restart: bool,
    /// Processes simulating the chargers (each holds one socket per charger, and a process may have
    /// 20 000 files): by default one per 19 000 chargers.
    #[arg(long)]
    pub client_processes: Option<usize>,
}

pub(crate) const PASSWORD: &str = "bench password for chargers";

/// How long after the reconnect storm the servers' memory is read again (the servers hand freed
/// memory back every 10 s).
const SETTLE: Duration = Duration::from_secs(15);

/// How long the bench waits at most for load balancing to send every connected charger its first
/// limit before it starts the steady state anyway (the figure it prints shows which happened).
const SETTLE_AT_MOST: Duration = Duration::from_secs(300);

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or_else(|| anyhow!("no VmRSS"))?;
    Ok(line.split_whitespace().nth(1).unwrap_or("0").parse()?)
}

async fn prepare(url: &str, chargers: usize) -> anyhow::Result<()> {
    let db = voltgate_store::connect(url).await?;
    let hash = passwords::hash(Password::parse(PASSWORD)?).await?;
    let owner = db
        .store
        .create_user(&NewUser {
            email: Email::parse("bench@voltgate.example")?,
            full_name: Name::parse("Bench")?,
            password_hash: hash,
        })
        .await?;
    let site = NewInstallation {
        name: Name::parse("Bench")?,
        address: Address::parse("")?,
        installation_type: InstallationType::Pro,
        time_zone: voltgate_domain::Zone::default(),
    };
    let mut installation = db
        .store
        .create_installation(owner.id, &site, &Principal::Operator)
        .await?;
    let charger_hash = secrets::hash(PASSWORD);
    for n in 0..chargers {
        if n % 500 == 499 {
            installation = db
                .store
                .create_installation(owner.id, &site, &Principal::Operator)
                .await?;
        }
        let new = NewCharger {
            identity: ChargePointIdentity::parse(&format!("BENCH-{n}"))?,
            name: Name::parse(&format!("Charger {n}"))?,
            connectors: 1,
            password_hash: charger_hash.clone(),
        };
        let (_, manage) = authz::installation::<ManageUsers>(
            db.store.as_ref(),
            &Principal::Operator,
            installation.id,
        )
        .await?;
        db.store.create_charger(&manage, &new).await?;
    }
    Ok(())
}

async fn log_in(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let page = http
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let token = crate::measure::csrf(&page)?;
    let response = http
        .post(format!("{base}/login"))
        .form(&[
            ("email", "bench@voltgate.example"),
            ("password", PASSWORD),
            ("csrf", &token),
        ])
        .send()
        .await?;
    if !response.status().is_redirection() {
        bail!("the bench could not log in: {}", response.status());
    }
    Ok(())
}

async fn run_one(options: &OcppBench, chargers: usize) -> anyhow::Result<()> {
    let folder = tempfile_dir()?;
    let url = options
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", folder.display()));
    let started = Instant::now();
    prepare(&url, chargers)
        .await
        .context("preparing the database")?;
    let prepared = started.elapsed();
    let processes = options.processes.max(1);
    if processes > 1 && options.database_url.is_none() {
        bail!("--processes needs --database-url postgres://…: one SQLite file is one process");
    }
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut servers = Vec::new();
    let mut pids = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..processes {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let server = spawn_server(&base, &url, processes)?;
        pids.push(
            server
                .id()
                .ok_or_else(|| anyhow!("the server did not start"))?,
        );
        servers.push(server);
        for _ in 0..100 {
            if http
                .get(format!("{base}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bases.push(base);
    }
    let base = bases[0].clone();
    // Browser sessions live in the database: the one login holds on every process.
    log_in(&http, &base).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = |pids: &[u32]| -> anyhow::Result<u64> { pids.iter().map(|pid| rss_kib(*pid)).sum() };
    let idle = rss(&pids)?;

    let connect_started = Instant::now();
    let ws_bases: Vec<String> = bases
        .iter()
        .map(|base| base.replacen("http://", "ws://", 1))
        .collect();
    let charging = (chargers as f64 * options.charging_share).ceil() as usize;
    let clients = options
        .client_processes
        .unwrap_or_else(|| chargers.div_ceil(CHARGERS_PER_CLIENT));
    let mut fleet = Fleets::start(ws_bases, chargers, charging, options.restart, clients)?;
    loop {
        let counts = fleet.counts();
        if counts.connected + counts.failed >= chargers {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        if connect_started.elapsed() > Duration::from_secs(600) {
            bail!(
                "only {} of {chargers} chargers connected in 10 minutes",
                counts.connected
            );
        }
    }
    let connect_time = connect_started.elapsed();
    // The steady state starts once load balancing has caught up with the arrivals: every connected
    // charger has had its first limit (it is sent once the charger's capabilities are in).
    let settle_started = Instant::now();
    loop {
        let counts = fleet.counts();
        if counts.limited >= counts.connected || settle_started.elapsed() > SETTLE_AT_MOST {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let settle_time = settle_started.elapsed();
    let limited = fleet.counts().limited;
    fleet.mark_steady().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let loaded = rss(&pids)?;
    // Memory is read again one heartbeat period into the steady state and at its end: a soak
    // (`--duration 600`) shows whether it grows.
    let warm_at = Instant::now() + Duration::from_secs(60);
    let mut warm = None;

    let commands = Latencies::default();
    let pages = Latencies::default();
    let spacing = Duration::from_secs(options.duration) / options.commands.max(1) as u32;
    let chargers_page: Vec<String> = charger_links(&http, &base).await?;
    let mut refused = 0;
    for k in 0..options.commands {
        let link = &chargers_page[(k * 7919) % chargers_page.len()];
        let base = &bases[k % processes];
        let token = crate::measure::csrf(
            &http
                .get(format!("{base}{link}"))
                .send()
                .await?
                .text()
                .await?,
        )?;
        let at = Instant::now();
        let sent = http
            .post(format!("{base}{link}/commands"))
            .form(&[("command", "restart"), ("csrf", &token)])
            .send()
            .await?;
        // The command's round trip ends with its answer: a redirect to the charger page that shows
        // the outcome (post/redirect/get). That page is timed apart: it reads the charger's state.
        let outcome = sent
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .map(str::to_owned);
        sent.bytes().await?;
        commands.add(at.elapsed());
        let shown = Instant::now();
        let page = match outcome {
            Some(location) => {
                http.get(format!("{base}{location}"))
                    .send()
                    .await?
                    .text()
                    .await?
            }
            None => String::new(),
        };
        pages.add(shown.elapsed());
        if !page.contains("The charger answered: accepted.") {
            refused += 1;
        }
        if warm.is_none() && Instant::now() >= warm_at {
            warm = Some(rss(&pids)?);
        }
        tokio::time::sleep(spacing.saturating_sub(at.elapsed())).await;
    }
    let steady = rss(&pids)?;
    let counts = fleet.counts();
    let samples = fleet.samples().await?;

    let per_charger = (loaded.saturating_sub(idle)) as f64 / chargers.max(1) as f64;
    let (n_cmd, cmd50, cmd99, cmd_max) = commands.summary();
    let (n_hb, hb50, hb99, hb_max) = Latencies::of(samples.heartbeats).summary();
    println!("chargers {chargers} on {processes} process(es), simulated by {clients} client process(es): connected {} (failed {}), connect phase {:.1} s, database prepared in {:.1} s",
        counts.connected, counts.failed, connect_time.as_secs_f64(), prepared.as_secs_f64());
    println!("  load balancing caught up: {limited} chargers had their first limit {:.1} s after the last connected", settle_time.as_secs_f64());
    println!("  server RSS: idle {idle} KiB, all connected {loaded} KiB, after steady state {steady} KiB -> {per_charger:.1} KiB per connected charger");
    if let Some(warm) = warm {
        let growth = (steady as f64 - warm as f64) / warm.max(1) as f64 * 100.0;
        println!("  server RSS one heartbeat period into the steady state {warm} KiB, at its end {steady} KiB: {growth:+.2} %");
    }
    println!("  remote command via portal (HTTP -> OCPP -> HTTP): n={n_cmd} p50 {cmd50:.2} ms, p99 {cmd99:.2} ms, max {cmd_max:.2} ms, not accepted {refused}");
    let (n_page, page50, page99, page_max) = pages.summary();
    println!("  charger page showing the outcome: n={n_page} p50 {page50:.2} ms, p99 {page99:.2} ms, max {page_max:.2} ms");
    println!(
        "  heartbeat round trip: n={n_hb} p50 {hb50:.2} ms, p99 {hb99:.2} ms, max {hb_max:.2} ms"
    );
    let (n_hb, hb50, hb99, hb_max) = Latencies::of(samples.steady_heartbeats).summary();
    println!(
        "    of which from 10 s after the last charger connected: n={n_hb} p50 {hb50:.2} ms, p99 {hb99:.2} ms, max {hb_max:.2} ms"
    );
    if options.restart {
        let expected = counts.connected;
        let restarted = Instant::now();
        fleet.mark_restarted().await?;
        restart(&mut servers, &mut pids, &url, &bases).await?;
        let limit = Duration::from_secs(600);
        while fleet.counts().back < expected && restarted.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let took = restarted.elapsed();
        let after = rss(&pids)?;
        let (n_back, back50, back99, back_max) =
            Latencies::of(fleet.samples().await?.back_after).summary();
        println!(
            "  reconnect storm: {n_back} of {expected} chargers booted again with their first heartbeat answered, {:.1} s after the restart (per charger p50 {:.1} s, p99 {:.1} s, max {:.1} s); server RSS then {after} KiB",
            took.as_secs_f64(), back50 / 1000.0, back99 / 1000.0, back_max / 1000.0
        );
        tokio::time::sleep(SETTLE).await;
        let settled = rss(&pids)?;
        let per_charger = settled.saturating_sub(idle) as f64 / expected.max(1) as f64;
        println!(
            "  {} s later: server RSS {settled} KiB -> {per_charger:.1} KiB per connected charger (over the first start's idle)",
            SETTLE.as_secs()
        );
    }
    fleet.stop().await;
    for server in &mut servers {
        let _ = server.kill().await;
    }
    Ok(())
}

/// Kills every server process at once (as a crash or a restart would) and starts each again on its
/// address; notes when the kill happened.
async fn restart(
    servers: &mut [tokio::process::Child],
    pids: &mut [u32],
    url: &str,
    bases: &[String],
) -> anyhow::Result<()> {
    for server in servers.iter_mut() {
        server.start_kill()?;
    }
    for server in servers.iter_mut() {
        server.wait().await?;
    }
    for ((server, pid), base) in servers.iter_mut().zip(pids.iter_mut()).zip(bases) {
        *server = spawn_server(base, url, bases.len())?;
        *pid = server
            .id()
            .ok_or_else(|| anyhow!("the server did not start again"))?;
    }
    Ok(())
}

/// Connections each of `processes` server processes may open to PostgreSQL: together they stay well
/// below its default `max_connections` of 100.
fn connections_each(processes: usize) -> u32 {
    u32::try_from(70 / processes.max(1))
        .unwrap_or(u32::MAX)
        .clamp(8, voltgate_store::DEFAULT_CONNECTIONS)
}

/// Starts `voltgate serve` on `base`'s address, one of `processes`.
fn spawn_server(base: &str, url: &str, processes: usize) -> anyhow::Result<tokio::process::Child> {
    let address = base.trim_start_matches("http://");
    let connections = connections_each(processes).to_string();
    Ok(tokio::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--bind", address, "--database-url", url])
        .args(["--database-connections", &connections])
        // `VOLTGATE_BENCH_SERVER_LOG` (e.g. `warn,tower_http=debug,sqlx::query=debug`) shows where a
        // request's time goes.
        .env(
            "VOLTGATE_LOG",
            std::env::var("VOLTGATE_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .kill_on_drop(true)
        .spawn()?)
}

/// Paths of charger pages of the first installations (commands go to any of them).
async fn charger_links(http: &reqwest::Client, base: &str) -> anyhow::Result<Vec<String>> {
    let list = http
        .get(format!("{base}/installations"))
        .send()
        .await?
        .text()
        .await?;
    let marker = "<a href=\"/installations/";
    let first = list
        .find(marker)
        .ok_or_else(|| anyhow!("no installation listed"))?
        + marker.len()
        - "/installations/".len();
    let installation = list[first..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    let page = http
        .get(format!("{base}{installation}"))
        .send()
        .await?
        .text()
        .await?;
    let links: Vec<String> = page
        .match_indices("<a href=\"/chargers/")
        .map(|(i, m)| {
            page[i + m.len() - "/chargers/".len()..]
                .split('"')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    if links.is_empty() {
        bail!("no chargers listed on {installation}");
    }
    Ok(links)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir =
        std::env::temp_dir().join(format!("voltgate-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Runs the benchmark and prints its figures.
pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Ocpp(options) => {
            for &chargers in &options.chargers {
                run_one(&options, chargers).await?;
            }
            Ok(())
        }
        BenchCommand::Api(options) => crate::bench_api::run(&options).await,
        BenchCommand::History(options) => crate::bench_history::run(&options).await,
        BenchCommand::Passwords(options) => crate::bench_limits::passwords(&options).await,
        BenchCommand::SlowClients(options) => crate::bench_limits::slow_clients(&options).await,
        BenchCommand::OcppClients(plan) => crate::bench_fleet::serve_plan(&plan).await,
    }
}
