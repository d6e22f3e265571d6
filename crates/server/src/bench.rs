//! `voltgate bench ocpp`: how many chargers one server holds, how much memory each costs, and how fast
//! commands and heartbeats go round — measured, not assumed. Starts `voltgate serve` as a child process
//! on a fresh database, connects simulated chargers from this process, and drives commands through the
//! portal as a person would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use voltgate_domain::authz::ManageUsers;
use voltgate_domain::text::{Address, Name};
use voltgate_domain::{ChargePointIdentity, Email, InstallationType, Password, Principal};
use voltgate_store::{NewCharger, NewInstallation, NewUser};

use crate::authz;
use crate::charging::secrets;
use crate::passwords;
use crate::sim::connect_charger;

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
}

/// A simulated charger's back-off after its connection is lost, as OCPP 2.0.1 describes it
/// (RetryBackOffWaitMinimum 1 s, doubled after each failed attempt up to RetryBackOffRepeatTimes 5,
/// so at most 32 s, plus a random RetryBackOffRandomRange of up to 5 s each time).
fn back_off(charger: usize, attempt: u32) -> Duration {
    let doubling = attempt.min(5);
    let mut seed = (charger as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(attempt);
    seed ^= seed >> 29;
    seed = seed.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    seed ^= seed >> 32;
    Duration::from_secs(1 << doubling) + Duration::from_millis(seed % 5000)
}

const PASSWORD: &str = "bench password for chargers";

/// How long after the reconnect storm the servers' memory is read again (the servers hand freed
/// memory back every 10 s).
const SETTLE: Duration = Duration::from_secs(15);

/// Round-trip times, in microseconds.
#[derive(Default)]
struct Latencies(Mutex<Vec<u64>>);

impl Latencies {
    fn add(&self, elapsed: Duration) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(elapsed.as_micros() as u64);
    }

    /// (count, p50, p99, max) in milliseconds.
    fn summary(&self) -> (usize, f64, f64, f64) {
        let mut values = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        values.sort_unstable();
        let at = |q: f64| {
            values
                .get(((values.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0) as f64
                / 1000.0
        };
        (
            values.len(),
            at(0.5),
            at(0.99),
            values.last().copied().unwrap_or(0) as f64 / 1000.0,
        )
    }
}

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

/// One simulated charger: boots, heartbeats every 60 s, meters every 10 s when charging, answers calls.
/// A simulated charger's own CALLs: one at a time, timed.
#[derive(Default)]
struct Outbound {
    next: u64,
    /// The CALL awaiting its answer: id, when it was sent, whether it is a heartbeat.
    sent: Option<(String, Instant, bool)>,
}

impl Outbound {
    fn call(&mut self, action: &str, payload: Value, is_heartbeat: bool) -> Message {
        self.next += 1;
        let id = self.next.to_string();
        self.sent = Some((id.clone(), Instant::now(), is_heartbeat));
        Message::Text(json!([2, id, action, payload]).to_string().into())
    }
}

/// How a simulated charger reports back.
struct Reporting {
    connected: Arc<AtomicUsize>,
    /// Chargers back after the restart: booted again and their first heartbeat answered.
    back: Arc<AtomicUsize>,
    /// Each charger's time from the restart until it was back.
    back_after: Arc<Latencies>,
    /// When the servers were killed (set once).
    restarted: Arc<std::sync::OnceLock<Instant>>,
    /// Reconnect when the server goes away (else the charger ends with an error).
    reconnect: bool,
    heartbeats: Arc<Latencies>,
    /// Heartbeats of the steady state only (from 10 s after the last charger connected).
    steady_heartbeats: Arc<Latencies>,
    steady_from: Arc<std::sync::OnceLock<Instant>>,
    /// Held until the charger has booted, so only so many connect at once.
    connecting: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// How one connection of a simulated charger ended.
enum Ended {
    /// The bench is over.
    Stopped,
    /// The server closed the connection or went away.
    Lost(anyhow::Error),
}

async fn charger(
    base: String,
    n: usize,
    charging: bool,
    mut report: Reporting,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let identity = format!("BENCH-{n}");
    let url = format!("{base}/ocpp");
    let mut socket = connect_charger(&url, &identity, PASSWORD).await?;
    let mut attempt = 0;
    loop {
        let again = report.restarted.get().is_some();
        match connection(socket, n, charging, &mut report, &mut stop, again).await {
            Ended::Stopped => return Ok(()),
            Ended::Lost(error) if !report.reconnect => return Err(error),
            Ended::Lost(_) => {}
        }
        socket = loop {
            attempt += 1;
            tokio::select! {
                () = tokio::time::sleep(back_off(n, attempt - 1)) => {}
                _ = stop.changed() => return Ok(()),
            }
            if let Ok(socket) = connect_charger(&url, &identity, PASSWORD).await {
                attempt = 0;
                break socket;
            }
        };
    }
}

/// One connection: boots, heartbeats every 60 s (and at once after booting again after the
/// restart), meters every 10 s when charging, answers calls.
async fn connection(
    mut socket: crate::sim::Socket,
    n: usize,
    charging: bool,
    report: &mut Reporting,
    stop: &mut tokio::sync::watch::Receiver<bool>,
    again: bool,
) -> Ended {
    let mut out = Outbound::default();
    let boot = json!({"chargePointVendor": "voltgate", "chargePointModel": "bench"});
    if let Err(error) = socket.send(out.call("BootNotification", boot, false)).await {
        return Ended::Lost(error.into());
    }
    let mut booted = false;
    // After the restart: the heartbeat that shows the charger is served again.
    let mut first_beat = false;
    let offset = Duration::from_millis((n as u64 * 7919) % 60_000);
    let mut beat = tokio::time::interval_at(
        tokio::time::Instant::now() + offset,
        Duration::from_secs(60),
    );
    let meter_offset = Duration::from_millis((n as u64 * 7919) % 10_000);
    let mut meter = tokio::time::interval_at(
        tokio::time::Instant::now() + meter_offset,
        Duration::from_secs(10),
    );
    let mut energy = 0.0f64;
    loop {
        let step: anyhow::Result<()> = tokio::select! {
            _ = stop.changed() => return Ended::Stopped,
            _ = beat.tick(), if booted && out.sent.is_none() => socket.send(out.call("Heartbeat", json!({}), true)).await.map_err(Into::into),
            _ = meter.tick(), if booted && charging && out.sent.is_none() => {
                energy += 1840.0;
                let value = json!({"connectorId": 1, "meterValue": [{"timestamp": chrono::Utc::now().to_rfc3339(),
                    "sampledValue": [{"value": format!("{energy:.0}")}, {"value": "11040", "measurand": "Power.Active.Import", "unit": "W"}]}]});
                socket.send(out.call("MeterValues", value, false)).await.map_err(Into::into)
            }
            message = socket.next() => {
                let Some(message) = message else {
                    return Ended::Lost(anyhow!("the server closed the connection"));
                };
                match message {
                    Ok(Message::Text(text)) => answer(&mut socket, &text, &mut out, report, &mut booted, &mut first_beat, again).await,
                    Ok(_) => Ok(()),
                    Err(error) => Err(error.into()),
                }
            }
        };
        if let Err(error) = step {
            return Ended::Lost(error);
        }
    }
}

/// Reads one text frame from the server: answers its CALLs, times the charger's own.
async fn answer(
    socket: &mut crate::sim::Socket,
    text: &str,
    out: &mut Outbound,
    report: &mut Reporting,
    booted: &mut bool,
    first_beat: &mut bool,
    again: bool,
) -> anyhow::Result<()> {
    let frame: Value = serde_json::from_str(text)?;
    match frame[0].as_u64() {
        Some(2) => {
            let answer = json!([3, frame[1], {"status": "Accepted"}]).to_string();
            socket.send(Message::Text(answer.into())).await?;
        }
        Some(3) | Some(4) => {
            if let Some((id, at, is_heartbeat)) = out.sent.take() {
                if frame[1] == id.as_str() && is_heartbeat {
                    if *first_beat && frame[0] == 3 {
                        *first_beat = false;
                        report.back.fetch_add(1, Ordering::Relaxed);
                        if let Some(restarted) = report.restarted.get() {
                            report.back_after.add(restarted.elapsed());
                        }
                    } else {
                        report.heartbeats.add(at.elapsed());
                        if report.steady_from.get().is_some_and(|from| at >= *from) {
                            report.steady_heartbeats.add(at.elapsed());
                        }
                    }
                }
            }
            if !*booted {
                if again && frame[2]["status"] != "Accepted" {
                    bail!("the BootNotification was not accepted: {text}");
                }
                *booted = true;
                if again {
                    *first_beat = true;
                    socket.send(out.call("Heartbeat", json!({}), true)).await?;
                } else {
                    report.connected.fetch_add(1, Ordering::Relaxed);
                    report.connecting.take();
                }
            }
        }
        _ => {}
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
        let server = spawn_server(&base, &url)?;
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

    let connected = Arc::new(AtomicUsize::new(0));
    let back = Arc::new(AtomicUsize::new(0));
    let back_after = Arc::new(Latencies::default());
    let restarted = Arc::new(std::sync::OnceLock::new());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let heartbeats = Arc::new(Latencies::default());
    let steady_heartbeats = Arc::new(Latencies::default());
    let steady_from = Arc::new(std::sync::OnceLock::new());
    let connect_started = Instant::now();
    let gate = Arc::new(Semaphore::new(256));
    let ws_bases: Vec<String> = bases
        .iter()
        .map(|base| base.replacen("http://", "ws://", 1))
        .collect();
    let failures = Arc::new(AtomicUsize::new(0));
    for n in 0..chargers {
        let connecting = Some(gate.clone().acquire_owned().await?);
        let report = Reporting {
            connected: connected.clone(),
            back: back.clone(),
            back_after: back_after.clone(),
            restarted: restarted.clone(),
            reconnect: options.restart,
            heartbeats: heartbeats.clone(),
            steady_heartbeats: steady_heartbeats.clone(),
            steady_from: steady_from.clone(),
            connecting,
        };
        let (base, failures) = (ws_bases[n % processes].clone(), failures.clone());
        let charging = (n as f64) < chargers as f64 * options.charging_share;
        let stopped = stopped.clone();
        tokio::spawn(async move {
            if let Err(error) = charger(base, n, charging, report, stopped).await {
                failures.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(charger = n, "simulated charger ended: {error:#}");
            }
        });
    }
    while connected.load(Ordering::Relaxed) + failures.load(Ordering::Relaxed) < chargers {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if connect_started.elapsed() > Duration::from_secs(600) {
            bail!(
                "only {} of {chargers} chargers connected in 10 minutes",
                connected.load(Ordering::Relaxed)
            );
        }
    }
    let connect_time = connect_started.elapsed();
    let _ = steady_from.set(Instant::now() + Duration::from_secs(10));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let loaded = rss(&pids)?;

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
        tokio::time::sleep(spacing.saturating_sub(at.elapsed())).await;
    }
    let steady = rss(&pids)?;
    let failed = failures.load(Ordering::Relaxed);

    let per_charger = (loaded.saturating_sub(idle)) as f64 / chargers.max(1) as f64;
    let (n_cmd, cmd50, cmd99, cmd_max) = commands.summary();
    let (n_hb, hb50, hb99, hb_max) = heartbeats.summary();
    println!("chargers {chargers} on {processes} process(es): connected {} (failed {}), connect phase {:.1} s, database prepared in {:.1} s",
        connected.load(Ordering::Relaxed), failed, connect_time.as_secs_f64(), prepared.as_secs_f64());
    println!("  server RSS: idle {idle} KiB, all connected {loaded} KiB, after steady state {steady} KiB -> {per_charger:.1} KiB per connected charger");
    println!("  remote command via portal (HTTP -> OCPP -> HTTP): n={n_cmd} p50 {cmd50:.2} ms, p99 {cmd99:.2} ms, max {cmd_max:.2} ms, not accepted {refused}");
    let (n_page, page50, page99, page_max) = pages.summary();
    println!("  charger page showing the outcome: n={n_page} p50 {page50:.2} ms, p99 {page99:.2} ms, max {page_max:.2} ms");
    println!(
        "  heartbeat round trip: n={n_hb} p50 {hb50:.2} ms, p99 {hb99:.2} ms, max {hb_max:.2} ms"
    );
    let (n_hb, hb50, hb99, hb_max) = steady_heartbeats.summary();
    println!(
        "    of which from 10 s after the last charger connected: n={n_hb} p50 {hb50:.2} ms, p99 {hb99:.2} ms, max {hb_max:.2} ms"
    );
    if options.restart {
        let expected = connected.load(Ordering::Relaxed);
        restart(&mut servers, &mut pids, &url, &bases, &restarted).await?;
        let limit = Duration::from_secs(600);
        while back.load(Ordering::Relaxed) < expected
            && restarted.get().is_some_and(|at| at.elapsed() < limit)
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let took = restarted.get().map_or(Duration::ZERO, Instant::elapsed);
        let after = rss(&pids)?;
        let (n_back, back50, back99, back_max) = back_after.summary();
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
    let _ = stop.send(true);
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
    restarted: &std::sync::OnceLock<Instant>,
) -> anyhow::Result<()> {
    let _ = restarted.set(Instant::now());
    for server in servers.iter_mut() {
        server.start_kill()?;
    }
    for server in servers.iter_mut() {
        server.wait().await?;
    }
    for ((server, pid), base) in servers.iter_mut().zip(pids.iter_mut()).zip(bases) {
        *server = spawn_server(base, url)?;
        *pid = server
            .id()
            .ok_or_else(|| anyhow!("the server did not start again"))?;
    }
    Ok(())
}

/// Starts `voltgate serve` on `base`'s address.
fn spawn_server(base: &str, url: &str) -> anyhow::Result<tokio::process::Child> {
    let address = base.trim_start_matches("http://");
    Ok(tokio::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--bind", address, "--database-url", url])
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_doubles_up_to_32_s_plus_up_to_5_s() {
        for charger in [0, 1, 9_999] {
            let waits: Vec<Duration> = (0..8).map(|attempt| back_off(charger, attempt)).collect();
            for (attempt, wait) in waits.iter().enumerate() {
                let base = Duration::from_secs(1 << attempt.min(5));
                assert!(
                    *wait >= base && *wait < base + Duration::from_secs(5),
                    "{wait:?}"
                );
            }
        }
        assert_ne!(back_off(1, 0), back_off(2, 0), "chargers spread out");
    }
}
