//! The simulated chargers of `voltgate bench ocpp`: in the bench's own process, or spread over child
//! processes (`voltgate bench ocpp-clients`) when there are more than one process may hold open files
//! for (each charger is one socket; a process may have 20 000 files here).

use std::io::Write as _;
use std::ops::Range;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use clap::Args;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::bench::PASSWORD;
use crate::sim::connect_charger;

/// Chargers one client process simulates at most (each holds a socket; a process may have 20 000 files).
pub const CHARGERS_PER_CLIENT: usize = 19_000;

/// Chargers connecting at once in one client process (each holds its permit until it has booted).
const CONNECTING_AT_ONCE: usize = 256;

/// A simulated charger's back-off after its connection is lost, as OCPP 2.0.1 describes it
/// (RetryBackOffWaitMinimum 1 s, doubled after each failed attempt up to RetryBackOffRepeatTimes 5,
/// so at most 32 s, plus a random RetryBackOffRandomRange of up to 5 s each time).
pub(crate) fn back_off(charger: usize, attempt: u32) -> Duration {
    let doubling = attempt.min(5);
    let mut seed = (charger as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(attempt);
    seed ^= seed >> 29;
    seed = seed.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    seed ^= seed >> 32;
    Duration::from_secs(1 << doubling) + Duration::from_millis(seed % 5000)
}

/// Round-trip times, in microseconds.
#[derive(Default)]
pub(crate) struct Latencies(Mutex<Vec<u64>>);

impl Latencies {
    pub(crate) fn add(&self, elapsed: Duration) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(elapsed.as_micros() as u64);
    }

    /// (count, p50, p99, max) in milliseconds.
    pub(crate) fn summary(&self) -> (usize, f64, f64, f64) {
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
    /// Chargers that have been sent a charging profile (their first limit from load balancing).
    limited: Arc<AtomicUsize>,
    /// Whether this charger has been counted there.
    counted_limited: bool,
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
            if frame[2] == "SetChargingProfile" && !report.counted_limited {
                report.counted_limited = true;
                report.limited.fetch_add(1, Ordering::Relaxed);
            }
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

/// What the simulated chargers measured: round trips in microseconds.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct Samples {
    /// Every heartbeat's round trip.
    pub heartbeats: Vec<u64>,
    /// Heartbeats of the steady state only.
    pub steady_heartbeats: Vec<u64>,
    /// Each charger's time from the restart until it was back.
    pub back_after: Vec<u64>,
}

impl Latencies {
    fn values(&self) -> Vec<u64> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Latencies of these round trips, in microseconds.
    pub(crate) fn of(values: Vec<u64>) -> Self {
        Self(Mutex::new(values))
    }
}

/// How many chargers are connected, have failed for good, are back after the restart and have had a
/// limit from load balancing.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Counts {
    pub connected: usize,
    pub failed: usize,
    pub back: usize,
    /// Chargers that have had their first limit from load balancing.
    pub limited: usize,
}

impl std::ops::Add for Counts {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self {
            connected: self.connected + other.connected,
            failed: self.failed + other.failed,
            back: self.back + other.back,
            limited: self.limited + other.limited,
        }
    }
}

/// Which chargers a fleet simulates and how.
#[derive(Args, Debug, Clone)]
pub struct FleetPlan {
    /// The servers' WebSocket bases: charger n connects to base n mod N.
    #[arg(long, value_delimiter = ',', required = true)]
    pub bases: Vec<String>,
    /// The first charger's number.
    #[arg(long)]
    pub from: usize,
    /// One past the last charger's number.
    #[arg(long)]
    pub to: usize,
    /// Chargers numbered below this charge (send meter values every 10 s).
    #[arg(long)]
    pub charging_below: usize,
    /// Reconnect when a server goes away.
    #[arg(long)]
    pub reconnect: bool,
}

/// Chargers simulated in this process.
pub struct Fleet {
    parts: ReportingParts,
    stop: watch::Sender<bool>,
}

impl Fleet {
    /// Starts connecting the plan's chargers (at most [`CONNECTING_AT_ONCE`] at a time) and returns.
    pub fn start(plan: &FleetPlan) -> Self {
        let (stop, stopped) = watch::channel(false);
        let fleet = Self {
            parts: ReportingParts {
                connected: Arc::default(),
                limited: Arc::default(),
                failures: Arc::default(),
                back: Arc::default(),
                back_after: Arc::default(),
                restarted: Arc::default(),
                heartbeats: Arc::default(),
                steady_heartbeats: Arc::default(),
                steady_from: Arc::default(),
            },
            stop,
        };
        let gate = Arc::new(Semaphore::new(CONNECTING_AT_ONCE));
        let plan = plan.clone();
        let reporting = fleet.parts.clone();
        tokio::spawn(async move {
            for n in plan.from..plan.to {
                let Ok(permit) = gate.clone().acquire_owned().await else {
                    return;
                };
                let report = reporting.for_charger(permit, plan.reconnect);
                let base = plan.bases[n % plan.bases.len()].clone();
                let (failures, stopped) = (reporting.failures.clone(), stopped.clone());
                let charging = n < plan.charging_below;
                tokio::spawn(async move {
                    if let Err(error) = charger(base, n, charging, report, stopped).await {
                        failures.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(charger = n, "simulated charger ended: {error:#}");
                    }
                });
            }
        });
        fleet
    }

    /// How many chargers are connected, have failed and are back.
    pub fn counts(&self) -> Counts {
        Counts {
            connected: self.parts.connected.load(Ordering::Relaxed),
            failed: self.parts.failures.load(Ordering::Relaxed),
            back: self.parts.back.load(Ordering::Relaxed),
            limited: self.parts.limited.load(Ordering::Relaxed),
        }
    }

    /// The steady state starts 10 s from now: heartbeats from then on are counted apart.
    pub fn mark_steady(&self) {
        let _ = self
            .parts
            .steady_from
            .set(Instant::now() + Duration::from_secs(10));
    }

    /// The servers were killed now: chargers' times until they are back count from here.
    pub fn mark_restarted(&self) {
        let _ = self.parts.restarted.set(Instant::now());
    }

    /// What was measured so far.
    pub fn samples(&self) -> Samples {
        Samples {
            heartbeats: self.parts.heartbeats.values(),
            steady_heartbeats: self.parts.steady_heartbeats.values(),
            back_after: self.parts.back_after.values(),
        }
    }

    /// Stops every charger.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// The shared parts every charger of a fleet reports to.
#[derive(Clone)]
struct ReportingParts {
    connected: Arc<AtomicUsize>,
    limited: Arc<AtomicUsize>,
    failures: Arc<AtomicUsize>,
    back: Arc<AtomicUsize>,
    back_after: Arc<Latencies>,
    restarted: Arc<OnceLock<Instant>>,
    heartbeats: Arc<Latencies>,
    steady_heartbeats: Arc<Latencies>,
    steady_from: Arc<OnceLock<Instant>>,
}

impl ReportingParts {
    fn for_charger(&self, permit: tokio::sync::OwnedSemaphorePermit, reconnect: bool) -> Reporting {
        Reporting {
            connected: self.connected.clone(),
            limited: self.limited.clone(),
            counted_limited: false,
            back: self.back.clone(),
            back_after: self.back_after.clone(),
            restarted: self.restarted.clone(),
            reconnect,
            heartbeats: self.heartbeats.clone(),
            steady_heartbeats: self.steady_heartbeats.clone(),
            steady_from: self.steady_from.clone(),
            connecting: Some(permit),
        }
    }
}

/// `voltgate bench ocpp-clients`: simulates the plan's chargers and speaks with the bench over
/// standard input and output, one line each: it prints `counts {json}` (connected, failed, back,
/// limited) every 200 ms; `steady`,
/// `restarted`, `report` (answered with `samples {json}`) and `stop` come in.
pub async fn serve_plan(plan: &FleetPlan) -> anyhow::Result<()> {
    let fleet = Fleet::start(plan);
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let say = |line: String| -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        Ok(out.flush()?)
    };
    loop {
        tokio::select! {
            _ = tick.tick() => say(format!("counts {}", serde_json::to_string(&fleet.counts().as_json())?))?,
            line = lines.next_line() => match line?.as_deref() {
                Some("steady") => fleet.mark_steady(),
                Some("restarted") => fleet.mark_restarted(),
                Some("report") => say(format!("samples {}", serde_json::to_string(&fleet.samples())?))?,
                Some("stop") | None => {
                    fleet.stop();
                    return Ok(());
                }
                Some(other) => bail!("unknown instruction {other:?}"),
            },
        }
    }
}

impl Counts {
    fn as_json(self) -> [usize; 4] {
        [self.connected, self.failed, self.back, self.limited]
    }
}

/// One child process simulating a share of the chargers.
pub struct Client {
    process: tokio::process::Child,
    input: tokio::process::ChildStdin,
    counts: Arc<Mutex<Counts>>,
    samples: tokio::sync::mpsc::Receiver<Samples>,
}

impl Client {
    fn spawn(plan: &FleetPlan) -> anyhow::Result<Self> {
        let mut process = tokio::process::Command::new(std::env::current_exe()?)
            .args(["bench", "ocpp-clients", "--bases", &plan.bases.join(",")])
            .args([
                "--from",
                &plan.from.to_string(),
                "--to",
                &plan.to.to_string(),
            ])
            .args(["--charging-below", &plan.charging_below.to_string()])
            .args(plan.reconnect.then_some("--reconnect"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let input = process.stdin.take().context("the client's input")?;
        let output = process.stdout.take().context("the client's output")?;
        let counts = Arc::new(Mutex::new(Counts::default()));
        let (send, samples) = tokio::sync::mpsc::channel(4);
        let seen = counts.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(output).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(json) = line.strip_prefix("counts ") {
                    if let Ok([connected, failed, back, limited]) =
                        serde_json::from_str::<[usize; 4]>(json)
                    {
                        *seen
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Counts {
                            connected,
                            failed,
                            back,
                            limited,
                        };
                    }
                } else if let Some(json) = line.strip_prefix("samples ") {
                    if let Ok(samples) = serde_json::from_str(json) {
                        let _ = send.send(samples).await;
                    }
                }
            }
        });
        Ok(Self {
            process,
            input,
            counts,
            samples,
        })
    }

    async fn tell(&mut self, instruction: &str) -> anyhow::Result<()> {
        self.input
            .write_all(format!("{instruction}\n").as_bytes())
            .await?;
        Ok(self.input.flush().await?)
    }
}

/// The bench's simulated chargers: here, or over child processes.
pub enum Fleets {
    /// The chargers run in this process.
    Here(Fleet),
    /// The chargers run in child processes.
    Clients(Vec<Client>),
}

impl Fleets {
    /// Starts `chargers` chargers (the first `charging` of them charging) spread over `bases`, in
    /// `clients` processes (this one when 1).
    pub fn start(
        bases: Vec<String>,
        chargers: usize,
        charging: usize,
        reconnect: bool,
        clients: usize,
    ) -> anyhow::Result<Self> {
        let plan = |range: Range<usize>| FleetPlan {
            bases: bases.clone(),
            from: range.start,
            to: range.end,
            charging_below: charging,
            reconnect,
        };
        if clients <= 1 {
            return Ok(Self::Here(Fleet::start(&plan(0..chargers))));
        }
        let share = chargers.div_ceil(clients);
        let clients = (0..clients)
            .map(|k| plan(k * share..((k + 1) * share).min(chargers)))
            .filter(|plan| plan.from < plan.to)
            .map(|plan| Client::spawn(&plan))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self::Clients(clients))
    }

    /// How many chargers are connected, have failed and are back (over every process).
    pub fn counts(&self) -> Counts {
        match self {
            Self::Here(fleet) => fleet.counts(),
            Self::Clients(clients) => clients
                .iter()
                .map(|client| {
                    *client
                        .counts
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                })
                .fold(Counts::default(), |sum, counts| sum + counts),
        }
    }

    async fn tell(&mut self, instruction: &str) -> anyhow::Result<()> {
        if let Self::Clients(clients) = self {
            for client in clients {
                client.tell(instruction).await?;
            }
        }
        Ok(())
    }

    /// The steady state starts 10 s from now.
    pub async fn mark_steady(&mut self) -> anyhow::Result<()> {
        if let Self::Here(fleet) = self {
            fleet.mark_steady();
        }
        self.tell("steady").await
    }

    /// The servers were killed now.
    pub async fn mark_restarted(&mut self) -> anyhow::Result<()> {
        if let Self::Here(fleet) = self {
            fleet.mark_restarted();
        }
        self.tell("restarted").await
    }

    /// What every charger measured so far, merged.
    pub async fn samples(&mut self) -> anyhow::Result<Samples> {
        match self {
            Self::Here(fleet) => Ok(fleet.samples()),
            Self::Clients(clients) => {
                let mut all = Samples::default();
                for client in clients {
                    client.tell("report").await?;
                    let samples =
                        tokio::time::timeout(Duration::from_secs(60), client.samples.recv())
                            .await
                            .map_err(|_| anyhow!("a client process did not report"))?
                            .ok_or_else(|| anyhow!("a client process ended"))?;
                    all.heartbeats.extend(samples.heartbeats);
                    all.steady_heartbeats.extend(samples.steady_heartbeats);
                    all.back_after.extend(samples.back_after);
                }
                Ok(all)
            }
        }
    }

    /// Stops every charger (and client process).
    pub async fn stop(self) {
        match self {
            Self::Here(fleet) => fleet.stop(),
            Self::Clients(clients) => {
                for mut client in clients {
                    let _ = client.tell("stop").await;
                    let _ =
                        tokio::time::timeout(Duration::from_secs(10), client.process.wait()).await;
                    let _ = client.process.kill().await;
                }
            }
        }
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
