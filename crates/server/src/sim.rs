//! `voltgate sim`: a simulated OCPP 1.6J charger. It boots, sends heartbeats and status, plugs a car in,
//! charges with plausible meter values, and obeys remote commands and charging profiles — for
//! integrators without hardware, for the tests and for the benchmark.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context};
use base64::Engine as _;
use clap::Args;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::time::{interval, Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Options of `voltgate sim`.
#[derive(Args, Clone, Debug)]
pub struct SimArgs {
    /// The central system's OCPP base URL; the identity is appended.
    #[arg(long, default_value = "ws://127.0.0.1:8080/ocpp")]
    pub url: String,
    /// The charge point identity.
    #[arg(long)]
    pub id: String,
    /// The charger's password (OCPP security profile 1).
    #[arg(long, env = "VOLTGATE_SIM_PASSWORD")]
    pub password: String,
    #[arg(long, default_value_t = 1)]
    pub connectors: u32,
    /// Plug a car into connector 1 this many seconds after booting (omit to wait for a remote start).
    #[arg(long)]
    pub plug_in_after: Option<u64>,
    /// The RFID token the car is started with.
    #[arg(long, default_value = "SIM-TAG")]
    pub id_tag: String,
    /// Seconds between meter values while charging.
    #[arg(long, default_value_t = 10)]
    pub meter_interval: u64,
}

/// Volts per phase, for turning amperes into watts.
const VOLTS: f64 = 230.0;

struct Connector {
    transaction: Option<i32>,
    energy_wh: f64,
    available: bool,
}

/// What a charging profile is for (OCPP 1.6 `ChargingProfilePurposeType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfilePurpose {
    /// A cap on the whole charge point (connector 0 only).
    ChargePointMax,
    /// The default for new transactions, on one connector or (connector 0) all of them.
    TxDefault,
    /// The limit of one running transaction.
    Tx,
}

impl ProfilePurpose {
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "ChargePointMaxProfile" => Some(Self::ChargePointMax),
            "TxDefaultProfile" => Some(Self::TxDefault),
            "TxProfile" => Some(Self::Tx),
            _ => None,
        }
    }
}

/// One installed charging profile, reduced to what the simulator obeys: its first period's limit.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub id: i64,
    /// 0 for the charge point as a whole.
    pub connector: u32,
    pub purpose: ProfilePurpose,
    pub stack_level: i64,
    /// The transaction a TxProfile belongs to.
    pub transaction: Option<i32>,
    /// Amperes per phase.
    pub amps: f64,
}

/// Which profiles a ClearChargingProfile names; each criterion left out matches every profile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClearCriteria {
    pub id: Option<i64>,
    pub connector: Option<u32>,
    pub purpose: Option<ProfilePurpose>,
    pub stack_level: Option<i64>,
}

/// The charging profiles installed on the simulated charger, applied as OCPP 1.6 §3.13 says: within
/// a purpose the highest stack level wins; a TxProfile of the running transaction overrides the
/// TxDefaultProfile (one on the connector itself before one on connector 0); ChargePointMaxProfile
/// caps the whole charge point, shared by the connectors that charge.
#[derive(Clone, Debug, Default)]
pub struct ProfileStack {
    profiles: Vec<Profile>,
}

impl ProfileStack {
    /// Installs `profile`, replacing one with the same id, or with the same connector, purpose and
    /// stack level.
    pub fn set(&mut self, profile: Profile) {
        self.profiles.retain(|p| {
            p.id != profile.id
                && !(p.connector == profile.connector
                    && p.purpose == profile.purpose
                    && p.stack_level == profile.stack_level)
        });
        self.profiles.push(profile);
    }

    /// Removes the profiles `criteria` match (by id alone when an id is given); how many went.
    pub fn clear(&mut self, criteria: &ClearCriteria) -> usize {
        let before = self.profiles.len();
        self.profiles.retain(|p| !criteria.matches(p));
        before - self.profiles.len()
    }

    /// How many profiles `criteria` would remove.
    pub fn matching(&self, criteria: &ClearCriteria) -> usize {
        self.profiles.iter().filter(|p| criteria.matches(p)).count()
    }

    /// A transaction ended: its TxProfiles go with it.
    pub fn transaction_ended(&mut self, transaction: i32) {
        self.profiles
            .retain(|p| !(p.purpose == ProfilePurpose::Tx && p.transaction == Some(transaction)));
    }

    fn top(
        &self,
        purpose: ProfilePurpose,
        connector: u32,
        keep: impl Fn(&Profile) -> bool,
    ) -> Option<f64> {
        self.profiles
            .iter()
            .filter(|p| p.purpose == purpose && p.connector == connector && keep(p))
            .max_by_key(|p| p.stack_level)
            .map(|p| p.amps)
    }

    /// The limit in force on `connector` while `transaction` runs there and `charging` connectors
    /// charge in all; `None` when no profile applies.
    pub fn limit(&self, connector: u32, transaction: Option<i32>, charging: usize) -> Option<f64> {
        let tx = transaction.and_then(|running| {
            self.top(ProfilePurpose::Tx, connector, |p| {
                p.transaction.is_none_or(|t| t == running)
            })
        });
        let own = tx
            .or_else(|| self.top(ProfilePurpose::TxDefault, connector, |_| true))
            .or_else(|| self.top(ProfilePurpose::TxDefault, 0, |_| true));
        let cap = self
            .top(ProfilePurpose::ChargePointMax, 0, |_| true)
            .map(|amps| amps / charging.max(1) as f64);
        match (own, cap) {
            (Some(own), Some(cap)) => Some(own.min(cap)),
            (own, cap) => own.or(cap),
        }
    }
}

impl ClearCriteria {
    fn matches(&self, profile: &Profile) -> bool {
        if let Some(id) = self.id {
            return profile.id == id;
        }
        self.connector.is_none_or(|c| c == profile.connector)
            && self.purpose.is_none_or(|p| p == profile.purpose)
            && self.stack_level.is_none_or(|s| s == profile.stack_level)
    }

    /// The criteria of a ClearChargingProfile request.
    fn of(payload: &Value) -> Self {
        Self {
            id: payload["id"].as_i64(),
            connector: payload["connectorId"].as_u64().map(|c| c as u32),
            purpose: payload["chargingProfilePurpose"]
                .as_str()
                .and_then(ProfilePurpose::parse),
            stack_level: payload["stackLevel"].as_i64(),
        }
    }
}

/// The simulated charger's state.
struct Sim {
    args: SimArgs,
    connectors: BTreeMap<u32, Connector>,
    configuration: BTreeMap<String, (String, bool)>,
    profiles: ProfileStack,
    next_id: u64,
    reset: bool,
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Sim {
    fn new(args: SimArgs) -> Self {
        let connectors = (1..=args.connectors)
            .map(|n| {
                (
                    n,
                    Connector {
                        transaction: None,
                        energy_wh: 0.0,
                        available: true,
                    },
                )
            })
            .collect();
        let configuration = [
            ("HeartbeatInterval", "60", false),
            ("MeterValueSampleInterval", "10", false),
            ("NumberOfConnectors", &*args.connectors.to_string(), true),
            ("ChargePointModel", "voltgate-sim", true),
            ("ChargeProfileMaxStackLevel", "10", true),
            (
                "ChargingScheduleAllowedChargingRateUnit",
                "Current,Power",
                true,
            ),
        ]
        .into_iter()
        .map(|(k, v, readonly)| (k.to_owned(), (v.to_owned(), readonly)))
        .collect();
        Self {
            args,
            connectors,
            configuration,
            profiles: ProfileStack::default(),
            next_id: 0,
            reset: false,
        }
    }

    async fn call(
        &mut self,
        socket: &mut Socket,
        action: &str,
        payload: Value,
    ) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = format!("sim-{}", self.next_id);
        socket
            .send(Message::Text(
                json!([2, id, action, payload]).to_string().into(),
            ))
            .await?;
        loop {
            let message = socket
                .next()
                .await
                .context("the central system closed the connection")??;
            let Message::Text(text) = message else {
                continue;
            };
            let frame: Value = serde_json::from_str(&text)?;
            match frame[0].as_u64() {
                Some(3) | Some(4) if frame[1] == id.as_str() => {
                    if frame[0] == 4 {
                        bail!("{action} refused: {} {}", frame[2], frame[3]);
                    }
                    return Ok(frame[2].clone());
                }
                Some(2) => self.obey(socket, &frame).await?,
                _ => {}
            }
        }
    }

    fn power_w(&self, number: u32, connector: &Connector) -> f64 {
        let charging = self
            .connectors
            .values()
            .filter(|c| c.transaction.is_some())
            .count();
        let amps = self
            .profiles
            .limit(number, connector.transaction, charging)
            .unwrap_or(16.0)
            .clamp(0.0, 32.0);
        amps * VOLTS * 3.0
    }

    async fn status(
        &mut self,
        socket: &mut Socket,
        connector: u32,
        status: &str,
    ) -> anyhow::Result<()> {
        let payload = json!({"connectorId": connector, "errorCode": "NoError", "status": status});
        self.call(socket, "StatusNotification", payload)
            .await
            .map(drop)
    }

    async fn start(
        &mut self,
        socket: &mut Socket,
        connector: u32,
        id_tag: &str,
    ) -> anyhow::Result<bool> {
        self.status(socket, connector, "Preparing").await?;
        let meter_start = self.connectors.get(&connector).map_or(0.0, |c| c.energy_wh) as i64;
        let payload = json!({"connectorId": connector, "idTag": id_tag, "meterStart": meter_start,
                             "timestamp": chrono::Utc::now().to_rfc3339()});
        let answer = self.call(socket, "StartTransaction", payload).await?;
        if answer["idTagInfo"]["status"] != "Accepted" {
            self.status(socket, connector, "Available").await?;
            return Ok(false);
        }
        if let Some(c) = self.connectors.get_mut(&connector) {
            c.transaction = answer["transactionId"].as_i64().map(|t| t as i32);
        }
        self.status(socket, connector, "Charging").await?;
        Ok(true)
    }

    async fn stop(
        &mut self,
        socket: &mut Socket,
        connector: u32,
        reason: &str,
    ) -> anyhow::Result<()> {
        let Some((transaction, meter)) = self
            .connectors
            .get_mut(&connector)
            .and_then(|c| Some((c.transaction.take()?, c.energy_wh)))
        else {
            return Ok(());
        };
        self.profiles.transaction_ended(transaction);
        let payload = json!({"transactionId": transaction, "meterStop": meter as i64, "reason": reason,
                             "timestamp": chrono::Utc::now().to_rfc3339()});
        self.call(socket, "StopTransaction", payload).await?;
        self.status(socket, connector, "Finishing").await?;
        self.status(socket, connector, "Available").await
    }

    /// Advances the meters by `elapsed` and reports charging connectors.
    async fn meter(&mut self, socket: &mut Socket, elapsed: Duration) -> anyhow::Result<()> {
        let charging: Vec<u32> = self
            .connectors
            .iter()
            .filter(|(_, c)| c.transaction.is_some())
            .map(|(n, _)| *n)
            .collect();
        for n in charging {
            let Some(power) = self.connectors.get(&n).map(|c| self.power_w(n, c)) else {
                continue;
            };
            let Some(c) = self.connectors.get_mut(&n) else {
                continue;
            };
            c.energy_wh += power * elapsed.as_secs_f64() / 3600.0;
            let (transaction, energy, amps) = (c.transaction, c.energy_wh, power / VOLTS / 3.0);
            let sampled: Vec<Value> = std::iter::once(json!({"value": format!("{energy:.1}"), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}))
                .chain(std::iter::once(json!({"value": format!("{power:.0}"), "measurand": "Power.Active.Import", "unit": "W"})))
                .chain(["L1", "L2", "L3"].map(|phase| json!({"value": format!("{amps:.1}"), "measurand": "Current.Import", "phase": phase, "unit": "A"})))
                .collect();
            let payload = json!({"connectorId": n, "transactionId": transaction,
                                 "meterValue": [{"timestamp": chrono::Utc::now().to_rfc3339(), "sampledValue": sampled}]});
            self.call(socket, "MeterValues", payload).await?;
        }
        Ok(())
    }

    /// Answers a CALL from the central system and carries it out.
    async fn obey(&mut self, socket: &mut Socket, frame: &Value) -> anyhow::Result<()> {
        let (id, action, payload) = (
            frame[1].clone(),
            frame[2].as_str().unwrap_or_default(),
            &frame[3],
        );
        let connector = payload["connectorId"].as_u64().map(|c| c as u32);
        let known = |n: Option<u32>| n.is_some_and(|n| self.connectors.contains_key(&n));
        let answer = match action {
            "RemoteStartTransaction" => {
                let free = connector.or_else(|| {
                    self.connectors
                        .iter()
                        .find(|(_, c)| c.transaction.is_none())
                        .map(|(n, _)| *n)
                });
                json!({"status": if known(free) { "Accepted" } else { "Rejected" }})
            }
            "RemoteStopTransaction" => {
                let running = self
                    .connectors
                    .values()
                    .any(|c| c.transaction.map(i64::from) == payload["transactionId"].as_i64());
                json!({"status": if running { "Accepted" } else { "Rejected" }})
            }
            "Reset" => json!({"status": "Accepted"}),
            "UnlockConnector" => {
                json!({"status": if known(connector) { "Unlocked" } else { "NotSupported" }})
            }
            "ChangeAvailability" => json!({"status": "Accepted"}),
            "GetConfiguration" => {
                let asked: Option<Vec<&str>> = payload["key"]
                    .as_array()
                    .map(|keys| keys.iter().filter_map(Value::as_str).collect());
                let wanted = |key: &str| asked.as_ref().is_none_or(|asked| asked.contains(&key));
                let keys: Vec<Value> = self
                    .configuration
                    .iter()
                    .filter(|(k, _)| wanted(k))
                    .map(|(k, (v, ro))| json!({"key": k, "value": v, "readonly": ro}))
                    .collect();
                let unknown: Vec<&str> = asked
                    .iter()
                    .flatten()
                    .filter(|k| !self.configuration.contains_key(**k))
                    .copied()
                    .collect();
                if unknown.is_empty() {
                    json!({"configurationKey": keys})
                } else {
                    json!({"configurationKey": keys, "unknownKey": unknown})
                }
            }
            "ChangeConfiguration" => {
                let key = payload["key"].as_str().unwrap_or_default().to_owned();
                let status = match self.configuration.get_mut(&key) {
                    Some((_, true)) => "Rejected",
                    Some((value, false)) => {
                        *value = payload["value"].as_str().unwrap_or_default().to_owned();
                        "Accepted"
                    }
                    None => "NotSupported",
                };
                json!({"status": status})
            }
            "SetChargingProfile" => json!({"status": "Accepted"}),
            "ClearChargingProfile" => {
                let found = self.profiles.matching(&ClearCriteria::of(payload)) > 0;
                json!({"status": if found { "Accepted" } else { "Unknown" }})
            }
            "TriggerMessage" => json!({"status": "Accepted"}),
            _ => {
                let error = json!([
                    4,
                    id,
                    "NotImplemented",
                    format!("{action} is not simulated"),
                    {}
                ]);
                return Ok(socket.send(Message::Text(error.to_string().into())).await?);
            }
        };
        socket
            .send(Message::Text(json!([3, id, answer]).to_string().into()))
            .await?;
        self.carry_out(socket, action, payload, connector).await
    }

    async fn carry_out(
        &mut self,
        socket: &mut Socket,
        action: &str,
        payload: &Value,
        connector: Option<u32>,
    ) -> anyhow::Result<()> {
        match action {
            "RemoteStartTransaction" => {
                let free = connector.or_else(|| {
                    self.connectors
                        .iter()
                        .find(|(_, c)| c.transaction.is_none())
                        .map(|(n, _)| *n)
                });
                if let Some(n) = free.filter(|n| self.connectors.contains_key(n)) {
                    let tag = payload["idTag"].as_str().unwrap_or("REMOTE").to_owned();
                    Box::pin(self.start(socket, n, &tag)).await?;
                }
            }
            "RemoteStopTransaction" => {
                let transaction = payload["transactionId"].as_i64();
                let on = self
                    .connectors
                    .iter()
                    .find(|(_, c)| c.transaction.map(i64::from) == transaction)
                    .map(|(n, _)| *n);
                if let Some(n) = on {
                    Box::pin(self.stop(socket, n, "Remote")).await?;
                }
            }
            "Reset" => self.reset = true,
            "ChangeAvailability" => {
                let operative = payload["type"] == "Operative";
                for (n, c) in self.connectors.iter_mut() {
                    if connector.is_none_or(|x| x == 0 || x == *n) {
                        c.available = operative;
                    }
                }
            }
            "SetChargingProfile" => {
                let profile = &payload["csChargingProfiles"];
                let schedule = &profile["chargingSchedule"];
                let limit = schedule["chargingSchedulePeriod"][0]["limit"].as_f64();
                let amps = match schedule["chargingRateUnit"].as_str() {
                    Some("W") => limit.map(|watts| watts / VOLTS / 3.0),
                    _ => limit,
                };
                let purpose = profile["chargingProfilePurpose"]
                    .as_str()
                    .and_then(ProfilePurpose::parse);
                let number = connector.unwrap_or(0);
                let running = self.connectors.get(&number).and_then(|c| c.transaction);
                if let (Some(amps), Some(purpose), Some(id)) =
                    (amps, purpose, profile["chargingProfileId"].as_i64())
                {
                    self.profiles.set(Profile {
                        id,
                        connector: number,
                        purpose,
                        stack_level: profile["stackLevel"].as_i64().unwrap_or(0),
                        transaction: profile["transactionId"].as_i64().map(|t| t as i32).or(
                            if purpose == ProfilePurpose::Tx {
                                running
                            } else {
                                None
                            },
                        ),
                        amps,
                    });
                }
            }
            "ClearChargingProfile" => {
                self.profiles.clear(&ClearCriteria::of(payload));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Opens an OCPP 1.6J connection as charger `identity` (security profile 1: HTTP Basic).
pub async fn connect_charger(base: &str, identity: &str, password: &str) -> anyhow::Result<Socket> {
    let url = format!("{}/{identity}", base.trim_end_matches('/'));
    let mut request = url.as_str().into_client_request()?;
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{identity}:{password}"));
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "ocpp1.6".parse()?);
    request
        .headers_mut()
        .insert("Authorization", format!("Basic {credentials}").parse()?);
    // OCPP frames are small: a few KiB of read buffer instead of tungstenite's 128 KiB, which it
    // would zero on every read (thousands of simulated chargers share one process in the bench).
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let (socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), false)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    Ok(socket)
}

/// One connection's life: boot, then heartbeats, meter values and obeying commands until it ends.
/// Returns true when the central system asked for a reset (the caller reconnects).
async fn session(sim: &mut Sim) -> anyhow::Result<bool> {
    let mut socket = connect_charger(&sim.args.url, &sim.args.id, &sim.args.password).await?;
    let boot = sim.call(&mut socket, "BootNotification", json!({"chargePointVendor": "voltgate", "chargePointModel": "voltgate-sim", "firmwareVersion": env!("CARGO_PKG_VERSION")})).await?;
    let heartbeat = Duration::from_secs(boot["interval"].as_u64().unwrap_or(60).max(1));
    for n in 0..=sim.args.connectors {
        sim.status(&mut socket, n, "Available").await?;
    }
    tracing::info!(id = sim.args.id, "simulated charger booted");
    let mut beat = interval(heartbeat);
    beat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut meter = interval(Duration::from_secs(sim.args.meter_interval.max(1)));
    let mut last_meter = Instant::now();
    let plug_in = sim
        .args
        .plug_in_after
        .map(|s| Instant::now() + Duration::from_secs(s));
    let mut plugged = false;
    loop {
        if sim.reset {
            sim.reset = false;
            for n in 1..=sim.args.connectors {
                sim.stop(&mut socket, n, "SoftReset").await?;
            }
            let _ = socket.close(None).await;
            return Ok(true);
        }
        let plug_at = plug_in.filter(|_| !plugged);
        tokio::select! {
            _ = beat.tick() => { sim.call(&mut socket, "Heartbeat", json!({})).await?; }
            _ = meter.tick() => {
                let now = Instant::now();
                sim.meter(&mut socket, now - last_meter).await?;
                last_meter = now;
            }
            () = async { match plug_at { Some(at) => tokio::time::sleep_until(at).await, None => std::future::pending().await } } => {
                plugged = true;
                let tag = sim.args.id_tag.clone();
                sim.start(&mut socket, 1, &tag).await?;
            }
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if frame[0] == 2 {
                        sim.obey(&mut socket, &frame).await?;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => return Ok(false),
            },
        }
    }
}

/// Runs the simulated charger until the central system closes the connection; a Reset reconnects.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let mut sim = Sim::new(args);
    while session(&mut sim).await? {
        tracing::info!(id = sim.args.id, "simulated charger restarting");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(id: i64, connector: u32, purpose: ProfilePurpose, level: i64, amps: f64) -> Profile {
        Profile {
            id,
            connector,
            purpose,
            stack_level: level,
            transaction: None,
            amps,
        }
    }

    #[test]
    fn a_tx_profile_overrides_the_default_and_the_highest_stack_level_wins() {
        let mut stack = ProfileStack::default();
        stack.set(profile(1, 0, ProfilePurpose::TxDefault, 0, 16.0));
        assert_eq!(
            stack.limit(1, Some(7), 1),
            Some(16.0),
            "connector 0's default applies"
        );
        stack.set(profile(2, 1, ProfilePurpose::TxDefault, 0, 10.0));
        assert_eq!(
            stack.limit(1, Some(7), 1),
            Some(10.0),
            "the connector's own default first"
        );
        assert_eq!(stack.limit(2, Some(8), 2), Some(16.0));
        stack.set(Profile {
            transaction: Some(7),
            ..profile(3, 1, ProfilePurpose::Tx, 0, 0.0)
        });
        assert_eq!(
            stack.limit(1, Some(7), 1),
            Some(0.0),
            "paused by its TxProfile"
        );
        stack.set(Profile {
            transaction: Some(7),
            ..profile(4, 1, ProfilePurpose::Tx, 2, 6.0)
        });
        assert_eq!(
            stack.limit(1, Some(7), 1),
            Some(6.0),
            "stack level 2 over 0"
        );
        assert_eq!(
            stack.limit(1, Some(9), 1),
            Some(10.0),
            "another transaction's TxProfile does not apply"
        );
    }

    #[test]
    fn the_charge_point_max_caps_what_the_connectors_share() {
        let mut stack = ProfileStack::default();
        stack.set(profile(1, 0, ProfilePurpose::TxDefault, 0, 32.0));
        stack.set(profile(2, 0, ProfilePurpose::ChargePointMax, 0, 20.0));
        assert_eq!(stack.limit(1, Some(1), 1), Some(20.0));
        assert_eq!(
            stack.limit(1, Some(1), 2),
            Some(10.0),
            "two charging share the cap"
        );
        stack.set(profile(3, 0, ProfilePurpose::ChargePointMax, 0, 40.0));
        assert_eq!(
            stack.limit(1, Some(1), 1),
            Some(32.0),
            "the same purpose and stack level replaces the older profile"
        );
    }

    #[test]
    fn clearing_removes_only_the_matching_profiles() {
        let mut stack = ProfileStack::default();
        stack.set(profile(1, 0, ProfilePurpose::TxDefault, 0, 16.0));
        stack.set(Profile {
            transaction: Some(5),
            ..profile(2, 1, ProfilePurpose::Tx, 0, 0.0)
        });
        stack.set(Profile {
            transaction: Some(5),
            ..profile(3, 1, ProfilePurpose::Tx, 1, 4.0)
        });
        // Resume after pause: the pause's TxProfile (stack level 1) is cleared, not the default.
        let resume = ClearCriteria {
            connector: Some(1),
            purpose: Some(ProfilePurpose::Tx),
            stack_level: Some(1),
            ..ClearCriteria::default()
        };
        assert_eq!(stack.clear(&resume), 1);
        assert_eq!(
            stack.limit(1, Some(5), 1),
            Some(0.0),
            "the other TxProfile stays"
        );
        assert_eq!(
            stack.clear(&ClearCriteria {
                id: Some(2),
                ..ClearCriteria::default()
            }),
            1
        );
        assert_eq!(
            stack.limit(1, Some(5), 1),
            Some(16.0),
            "back to the default, not more"
        );
        assert_eq!(
            stack.clear(&ClearCriteria {
                id: Some(99),
                ..ClearCriteria::default()
            }),
            0
        );
        assert_eq!(stack.limit(1, Some(5), 1), Some(16.0));
    }

    #[test]
    fn a_tx_profile_ends_with_its_transaction() {
        let mut stack = ProfileStack::default();
        stack.set(Profile {
            transaction: Some(5),
            ..profile(1, 1, ProfilePurpose::Tx, 0, 8.0)
        });
        stack.transaction_ended(5);
        assert_eq!(stack.limit(1, Some(6), 1), None);
    }

    #[test]
    fn clear_criteria_read_the_request() {
        let criteria = ClearCriteria::of(
            &json!({"connectorId": 1, "chargingProfilePurpose": "TxProfile", "stackLevel": 3}),
        );
        assert_eq!(
            criteria,
            ClearCriteria {
                id: None,
                connector: Some(1),
                purpose: Some(ProfilePurpose::Tx),
                stack_level: Some(3)
            }
        );
    }
}
