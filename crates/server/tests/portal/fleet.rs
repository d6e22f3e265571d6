//! Simulated chargers that keep talking on their own, for load-balancing tests: each runs in its own
//! task over a real WebSocket, answers the central system's CALLs as told (accept, reject, stay
//! silent), applies the limits it accepts, and reports what every connector may draw at each moment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

use crate::charge_point::{open, Socket};

/// How a simulated charger answers the limits it is sent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Behaviour {
    Accept,
    Reject,
    /// Never answers a limit, but applies it.
    Silent,
}

/// What one connector applies.
#[derive(Clone, Debug, Default)]
pub struct Connector {
    pub session: Option<i64>,
    /// The TxDefaultProfile's limit; `None` before any arrived (the charger's own maximum).
    pub default: Option<f64>,
    pub tx: Option<(i64, f64)>,
    /// Every profile it received: (purpose, limit, unit, stack level).
    pub profiles: Vec<(String, f64, String, u64)>,
}

impl Connector {
    /// The most it may draw at any moment (a session may start or stop at any time).
    pub fn potential(&self, max: f64) -> f64 {
        let tx = match (self.session, self.tx) {
            (Some(session), Some((for_session, limit))) if session == for_session => limit,
            _ => 0.0,
        };
        self.default.unwrap_or(max).max(tx)
    }
}

/// What the whole fleet applies, shared by every charger's task.
#[derive(Default)]
pub struct Truth {
    pub connectors: HashMap<(String, u64), Connector>,
    /// Each charger's own maximum (ChargePointMaxProfile), holding for its connectors together.
    pub charger_max: HashMap<String, f64>,
    /// The highest total seen since `arm`, when armed.
    pub worst: Option<f64>,
    /// How often each charger was asked its capabilities (GetConfiguration).
    pub questions: HashMap<String, usize>,
}

impl Truth {
    fn total(&self) -> f64 {
        let mut by_charger: HashMap<&str, f64> = HashMap::new();
        for ((identity, _), c) in &self.connectors {
            *by_charger.entry(identity.as_str()).or_default() += c.potential(32.0);
        }
        by_charger
            .into_iter()
            .map(|(identity, total)| match self.charger_max.get(identity) {
                Some(max) => total.min(*max),
                None => total,
            })
            .sum()
    }

    fn note(&mut self) {
        let total = self.total();
        if let Some(worst) = self.worst.as_mut() {
            *worst = worst.max(total);
        }
    }
}

enum Ask {
    Call(Value, oneshot::Sender<Value>),
    Behave(Behaviour),
}

/// One simulated charger.
pub struct SimCharger {
    asks: mpsc::UnboundedSender<Ask>,
    task: tokio::task::JoinHandle<()>,
    next_id: u64,
}

/// The fleet's shared view.
pub type Shared = Arc<Mutex<Truth>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Truth> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Starts watching: from now on the highest total is kept.
pub fn arm(shared: &Shared) {
    let mut truth = lock(shared);
    truth.worst = Some(truth.total());
}

/// The highest total seen since `arm`.
pub fn worst(shared: &Shared) -> f64 {
    lock(shared).worst.unwrap_or(f64::NAN)
}

/// How often a charger was asked its capabilities.
pub fn questions(shared: &Shared, identity: &str) -> usize {
    lock(shared)
        .questions
        .get(identity)
        .copied()
        .unwrap_or_default()
}

/// A copy of one connector's state.
pub fn connector(shared: &Shared, identity: &str, number: u64) -> Connector {
    lock(shared)
        .connectors
        .get(&(identity.to_owned(), number))
        .cloned()
        .unwrap_or_default()
}

struct Task {
    identity: String,
    shared: Shared,
    behaviour: Behaviour,
    capabilities: Value,
    waiting: HashMap<String, (Value, oneshot::Sender<Value>)>,
}

impl Task {
    fn apply_profile(&mut self, payload: &Value) {
        let connector = payload["connectorId"].as_u64().unwrap_or_default();
        let profile = &payload["csChargingProfiles"];
        let purpose = profile["chargingProfilePurpose"]
            .as_str()
            .unwrap_or_default();
        let schedule = &profile["chargingSchedule"];
        let limit = schedule["chargingSchedulePeriod"][0]["limit"]
            .as_f64()
            .unwrap_or(f64::NAN);
        let unit = schedule["chargingRateUnit"].as_str().unwrap_or_default();
        let amps = if unit == "W" {
            limit / 230.0 / 3.0
        } else {
            limit
        };
        let mut truth = lock(&self.shared);
        if purpose == "ChargePointMaxProfile" && connector == 0 {
            truth.charger_max.insert(self.identity.clone(), amps);
            truth.note();
            return;
        }
        let entry = truth
            .connectors
            .entry((self.identity.clone(), connector))
            .or_default();
        entry.profiles.push((
            purpose.to_owned(),
            limit,
            unit.to_owned(),
            profile["stackLevel"].as_u64().unwrap_or(u64::MAX),
        ));
        match purpose {
            "TxDefaultProfile" => entry.default = Some(amps),
            "TxProfile" => {
                let transaction = profile["transactionId"].as_i64().or(entry.session);
                if let Some(transaction) = transaction {
                    entry.tx = Some((transaction, amps));
                }
            }
            _ => {}
        }
        truth.note();
    }

    /// The answer to a CALL of the central system, or none (silence).
    fn answer(&mut self, action: &str, payload: &Value) -> Option<Value> {
        match action {
            "GetConfiguration" => {
                *lock(&self.shared)
                    .questions
                    .entry(self.identity.clone())
                    .or_default() += 1;
                Some(self.capabilities.clone())
            }
            "SetChargingProfile" => match self.behaviour {
                Behaviour::Accept => {
                    self.apply_profile(payload);
                    Some(json!({"status": "Accepted"}))
                }
                Behaviour::Reject => Some(json!({"status": "Rejected"})),
                Behaviour::Silent => {
                    self.apply_profile(payload);
                    None
                }
            },
            _ => Some(json!({"status": "Accepted"})),
        }
    }

    /// What a CALL's answer changes: sessions start and end.
    fn answered(&mut self, call: &Value, answer: &Value) {
        let payload = &call[3];
        let mut truth = lock(&self.shared);
        match call[2].as_str() {
            Some("StartTransaction") => {
                let connector = payload["connectorId"].as_u64().unwrap_or_default();
                let entry = truth
                    .connectors
                    .entry((self.identity.clone(), connector))
                    .or_default();
                entry.session = answer["transactionId"].as_i64();
            }
            Some("StopTransaction") => {
                let transaction = payload["transactionId"].as_i64();
                for ((identity, _), entry) in truth.connectors.iter_mut() {
                    if *identity == self.identity && entry.session == transaction {
                        entry.session = None;
                        entry.tx = None;
                    }
                }
            }
            _ => {}
        }
        truth.note();
    }

    async fn run(mut self, mut socket: Socket, mut asks: mpsc::UnboundedReceiver<Ask>) {
        loop {
            tokio::select! {
                ask = asks.recv() => match ask {
                    None => {
                        let _ = socket.close(None).await;
                        return;
                    }
                    Some(Ask::Behave(behaviour)) => self.behaviour = behaviour,
                    Some(Ask::Call(call, reply)) => {
                        let id = call[1].as_str().unwrap_or_default().to_owned();
                        if socket.send(Message::Text(call.to_string().into())).await.is_err() {
                            return;
                        }
                        self.waiting.insert(id, (call, reply));
                    }
                },
                message = socket.next() => {
                    let Some(Ok(Message::Text(text))) = message else {
                        if matches!(message, None | Some(Err(_)) | Some(Ok(Message::Close(_)))) {
                            return;
                        }
                        continue;
                    };
                    let frame: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    match frame[0].as_u64() {
                        Some(2) => {
                            let action = frame[2].as_str().unwrap_or_default().to_owned();
                            if let Some(answer) = self.answer(&action, &frame[3]) {
                                let reply = json!([3, frame[1], answer]).to_string();
                                if socket.send(Message::Text(reply.into())).await.is_err() {
                                    return;
                                }
                            }
                        }
                        Some(3) | Some(4) => {
                            let id = frame[1].as_str().unwrap_or_default();
                            if let Some((call, reply)) = self.waiting.remove(id) {
                                self.answered(&call, &frame[2]);
                                let _ = reply.send(frame);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// The capabilities a charger reports by default.
pub fn capabilities(stack_level: u32, units: &str) -> Value {
    json!({"configurationKey": [
        {"key": "ChargeProfileMaxStackLevel", "readonly": true, "value": stack_level.to_string()},
        {"key": "ChargingScheduleAllowedChargingRateUnit", "readonly": true, "value": units}]})
}

impl SimCharger {
    /// Connects and boots a simulated charger.
    pub async fn start(base: &str, identity: &str, password: &str, shared: &Shared) -> Self {
        Self::start_reporting(
            base,
            identity,
            password,
            shared,
            capabilities(10, "Current,Power"),
        )
        .await
    }

    /// Connects and boots a simulated charger that reports these capabilities.
    pub async fn start_reporting(
        base: &str,
        identity: &str,
        password: &str,
        shared: &Shared,
        capabilities: Value,
    ) -> Self {
        let socket = open(base, identity, Some(password), Some("ocpp1.6"))
            .await
            .expect("the simulated charger connects");
        let (asks, receiver) = mpsc::unbounded_channel();
        let task = Task {
            identity: identity.to_owned(),
            shared: shared.clone(),
            behaviour: Behaviour::Accept,
            capabilities,
            waiting: HashMap::new(),
        };
        let task = tokio::spawn(task.run(socket, receiver));
        let mut charger = Self {
            asks,
            task,
            next_id: 0,
        };
        let boot = json!({"chargePointVendor": "Sim", "chargePointModel": "Fleet"});
        assert_eq!(
            charger.call("BootNotification", boot).await["status"],
            "Accepted"
        );
        charger
    }

    /// Sends a CALL and returns the answer's payload.
    pub async fn call(&mut self, action: &str, payload: Value) -> Value {
        self.next_id += 1;
        let (reply, answer) = oneshot::channel();
        let call = json!([2, format!("f{}", self.next_id), action, payload]);
        self.asks.send(Ask::Call(call, reply)).expect("running");
        let frame = tokio::time::timeout(Duration::from_secs(20), answer)
            .await
            .expect("answered in time")
            .expect("still connected");
        assert_eq!(frame[0], 3, "{action}: {frame}");
        frame[2].clone()
    }

    /// Starts a session on connector 1 at `timestamp`; returns its transaction.
    pub async fn start_session(&mut self, timestamp: &str) -> i64 {
        let start =
            json!({"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": timestamp});
        self.call("StartTransaction", start).await["transactionId"]
            .as_i64()
            .unwrap()
    }

    /// Stops a session.
    pub async fn stop_session(&mut self, transaction: i64) {
        let stop = json!({"transactionId": transaction, "meterStop": 1000, "timestamp": chrono::Utc::now().to_rfc3339()});
        self.call("StopTransaction", stop).await;
    }

    /// Changes how limits are answered from now on.
    pub fn behave(&self, behaviour: Behaviour) {
        let _ = self.asks.send(Ask::Behave(behaviour));
    }

    /// Disconnects.
    pub async fn disconnect(self) {
        drop(self.asks);
        let _ = self.task.await;
    }
}

/// Waits until `check` holds of the fleet, or panics with `what` after a while. The fleet is not
/// locked while `check` runs.
pub async fn until(shared: &Shared, what: &str, check: impl Fn(&Truth) -> bool) {
    for _ in 0..200 {
        let snapshot = {
            let truth = lock(shared);
            Truth {
                connectors: truth.connectors.clone(),
                charger_max: truth.charger_max.clone(),
                worst: None,
                questions: HashMap::new(),
            }
        };
        if check(&snapshot) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{what}");
}
