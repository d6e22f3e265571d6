//! Load balancing: sends each connector of an installation its limits so that, at every moment, what
//! the connectors may draw together stays within the installation's available current.
//!
//! One run at a time per installation: requests that arrive during a run are served by one more run,
//! computed from the latest state. A run plans with `domain::balancing`, sends every limit that lowers
//! something at once (concurrently) and waits for the answers, and only then sends the raises that
//! still fit. What each charger accepted is kept in the store, so a restart or a charger that went
//! offline never loses count; problems are shown on the installation page.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::future::join_all;
use rust_ocpp::v1_6::types::ChargingProfileStatus;
use tokio::sync::oneshot;
use voltgate_domain::balancing::{
    changes, grant, record, targets_within, Ceilings, Connector, Delivery, Purpose, Running, Send,
    Slot,
};
use voltgate_domain::settings::{Amperes, Phases};
use voltgate_domain::{ChargerId, InstallationId, InstallationSettings};
use voltgate_ocpp::{Answer, Command, CommandError};
use voltgate_store::cluster::Cluster;
use voltgate_store::{ConnectorLimit, Store, StoreError};

use super::profiles::{self, ProfileCaps};
use super::Routes;

/// A connector: its charger and number.
pub type Key = (ChargerId, u32);

/// What one run sent, and what became of each limit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub sent: Vec<(Send<Key>, Delivery)>,
}

impl Report {
    /// What became of the last limit sent to a connector for `purpose`, if one was sent.
    pub fn delivery(&self, key: Key, purpose: Purpose) -> Option<&Delivery> {
        self.sent
            .iter()
            .rev()
            .find(|(send, _)| send.key == key && send.purpose == purpose)
            .map(|(_, delivery)| delivery)
    }
}

/// The current the installation's chargers may share: its maximum, and no phase above its available
/// current.
pub fn available(settings: &InstallationSettings) -> Amperes {
    let phases = settings.available_current.phases();
    let used = match settings.phases {
        Phases::One => &phases[..1],
        Phases::Three => &phases[..],
    };
    used.iter()
        .copied()
        .fold(settings.max_current, |least, phase| {
            if phase < least {
                phase
            } else {
                least
            }
        })
}

/// What one round of limits did.
#[derive(Clone, Debug, PartialEq)]
pub struct Settled<K> {
    /// Each limit sent, and what became of it.
    pub sent: Vec<(Send<K>, Delivery)>,
    /// Limits due to connectors that cannot be reached now (their charger is offline): not sent.
    pub unreachable: Vec<Send<K>>,
}

/// Plans and sends one round of limits: lowering first (concurrently, waiting for every answer), then
/// the raises that fit given what the chargers answered. Nothing is sent to connectors that are not
/// `reachable`; they keep counting at what they may be applying. `connectors` is updated with the
/// outcomes.
pub async fn settle<K, D, F>(
    available: Amperes,
    max: Amperes,
    ceilings: &Ceilings<K>,
    connectors: &mut [Connector<K>],
    resend: &(dyn Fn(&K) -> bool + Sync),
    reachable: &(dyn Fn(&K) -> bool + Sync),
    deliver: D,
) -> Settled<K>
where
    K: Clone + Eq + Hash,
    D: Fn(Send<K>) -> F,
    F: Future<Output = Delivery>,
{
    let plan = targets_within(available, max, ceilings, connectors);
    let (lowering, raising) = changes(max, connectors, &plan, resend);
    let (lowering, mut unreachable): (Vec<_>, Vec<_>) =
        lowering.into_iter().partition(|send| reachable(&send.key));
    let (raising, out_of_reach): (Vec<_>, Vec<_>) =
        raising.into_iter().partition(|send| reachable(&send.key));
    unreachable.extend(out_of_reach);
    let mut sent = deliver_all(lowering, &deliver).await;
    apply(connectors, &sent);
    let granted = grant(available, max, connectors, raising);
    let raised = deliver_all(granted, &deliver).await;
    apply(connectors, &raised);
    sent.extend(raised);
    Settled { sent, unreachable }
}

async fn deliver_all<K: Clone, D, F>(sends: Vec<Send<K>>, deliver: &D) -> Vec<(Send<K>, Delivery)>
where
    D: Fn(Send<K>) -> F,
    F: Future<Output = Delivery>,
{
    join_all(sends.into_iter().map(|send| async move {
        let delivery = deliver(send.clone()).await;
        (send, delivery)
    }))
    .await
}

fn apply<K: Eq>(connectors: &mut [Connector<K>], outcomes: &[(Send<K>, Delivery)]) {
    for (send, delivery) in outcomes {
        if let Some(connector) = connectors.iter_mut().find(|c| c.key == send.key) {
            record(connector, send, delivery);
        }
    }
}

/// Why a connector's last limit did not arrive, as the catalogue id the installation page translates
/// (`crate::web::words::problem`); rows stored before codes hold English sentences, still understood.
fn problem(delivery: &Delivery) -> Option<String> {
    match delivery {
        Delivery::Accepted => None,
        Delivery::Rejected => Some(PROBLEM_REJECTED.into()),
        Delivery::NotSent => Some(PROBLEM_OFFLINE.into()),
        Delivery::Unknown => Some(PROBLEM_UNCONFIRMED.into()),
    }
}

/// A connector's limit was refused by its charger.
pub const PROBLEM_REJECTED: &str = "limit-rejected";
/// A connector's limit could not be sent: its charger is offline.
pub const PROBLEM_OFFLINE: &str = "limit-offline";
/// A connector's charger did not answer whether it took its limit.
pub const PROBLEM_UNCONFIRMED: &str = "limit-unconfirmed";

#[derive(Default)]
struct Waiting {
    /// Another run is due once the current one ends.
    again: bool,
    /// Those to tell when the next run ends.
    waiters: Vec<oneshot::Sender<Arc<Report>>>,
}

/// A connector's facts a run needs beside the plan.
struct Facts {
    identity: String,
    transaction: Option<i32>,
    /// The problem stored for it, if any.
    problem: Option<String>,
}

/// Load balancing for every installation.
pub struct Balancer {
    store: Arc<dyn Store>,
    routes: Arc<dyn Routes>,
    /// The processes sharing the database, whose runs for one installation take turns (PostgreSQL).
    cluster: Option<Cluster>,
    timeout: Duration,
    runs: Mutex<HashMap<InstallationId, Waiting>>,
    resend: Mutex<HashSet<ChargerId>>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Balancer {
    pub fn new(
        store: Arc<dyn Store>,
        routes: Arc<dyn Routes>,
        cluster: Option<Cluster>,
        timeout: Duration,
    ) -> Self {
        Self {
            store,
            routes,
            cluster,
            timeout,
            runs: Mutex::default(),
            resend: Mutex::default(),
        }
    }

    /// Asks for the installation's limits to be worked out anew: now, or right after the run in
    /// progress. The answer comes when a run that started after this request has ended.
    pub fn request(
        self: &Arc<Self>,
        installation: InstallationId,
    ) -> oneshot::Receiver<Arc<Report>> {
        let (tell, told) = oneshot::channel();
        let mut runs = locked(&self.runs);
        match runs.get_mut(&installation) {
            Some(waiting) => {
                waiting.again = true;
                waiting.waiters.push(tell);
            }
            None => {
                runs.insert(
                    installation,
                    Waiting {
                        again: true,
                        waiters: vec![tell],
                    },
                );
                tokio::spawn(self.clone().drive(installation));
            }
        }
        told
    }

    /// A charger (re)connected or booted: its default limits are sent again, even where they look
    /// settled (it may have lost them), by the next run that finds it ready.
    pub fn charger_connected(&self, charger: ChargerId) {
        locked(&self.resend).insert(charger);
    }

    async fn drive(self: Arc<Self>, installation: InstallationId) {
        loop {
            let waiters = {
                let mut runs = locked(&self.runs);
                let Some(waiting) = runs.get_mut(&installation) else {
                    return;
                };
                if !waiting.again {
                    runs.remove(&installation);
                    return;
                }
                waiting.again = false;
                std::mem::take(&mut waiting.waiters)
            };
            let report = match self.run_alone(installation).await {
                Ok(report) => report,
                Err(error) => {
                    tracing::warn!(%installation, %error, "load balancing: could not read the installation");
                    Report::default()
                }
            };
            let report = Arc::new(report);
            for waiter in waiters {
                let _ = waiter.send(report.clone());
            }
        }
    }

    /// One run, while no other process of the service runs one for the installation.
    async fn run_alone(&self, installation: InstallationId) -> Result<Report, StoreError> {
        let Some(cluster) = &self.cluster else {
            return self.run(installation).await;
        };
        let lock = cluster.lock_installation(installation).await?;
        let report = self.run(installation).await;
        lock.release().await?;
        report
    }

    /// One run: read the state, settle, store what the chargers answered.
    async fn run(&self, installation: InstallationId) -> Result<Report, StoreError> {
        let Some(site) = self.store.installation(installation).await? else {
            return Ok(Report::default());
        };
        let settings = site.settings;
        let (mut connectors, facts) = self.connectors(installation).await?;
        // Limits go only to chargers connected with their capabilities known (the process holding
        // each asked it once when it connected); the others count as offline for this run.
        let ready: HashMap<ChargerId, ProfileCaps> = {
            let mut seen = HashSet::new();
            let chargers: Vec<(ChargerId, &str)> = connectors
                .iter()
                .filter(|c| seen.insert(c.key.0))
                .filter_map(|c| Some((c.key.0, facts.get(&c.key)?.identity.as_str())))
                .collect();
            self.routes.ready(&chargers).await
        };
        let resend: HashSet<ChargerId> = {
            let mut resend = locked(&self.resend);
            let due: HashSet<ChargerId> = ready
                .keys()
                .copied()
                .filter(|id| resend.contains(id))
                .collect();
            resend.retain(|id| !due.contains(id));
            due
        };
        let before = connectors.clone();
        let is_reachable = |key: &Key| ready.contains_key(&key.0);
        let deliver = |send: Send<Key>| self.deliver(send, &facts, &ready, settings.phases);
        let ceilings = self.ceilings(installation, &connectors).await?;
        let mut round = settle(
            available(&settings),
            settings.max_current,
            &ceilings,
            &mut connectors,
            &|key: &Key| resend.contains(&key.0),
            &is_reachable,
            deliver,
        )
        .await;
        if round
            .sent
            .iter()
            .any(|(send, delivery)| send.purpose == Purpose::Tx && *delivery == Delivery::Rejected)
        {
            // A charger refused TxProfiles: its sessions are limited through the default instead.
            let deliver = |send: Send<Key>| self.deliver(send, &facts, &ready, settings.phases);
            let again = settle(
                available(&settings),
                settings.max_current,
                &ceilings,
                &mut connectors,
                &|_: &Key| false,
                &is_reachable,
                deliver,
            )
            .await;
            round.sent.extend(again.sent);
            round.unreachable = again.unreachable;
        }
        self.keep(&before, &connectors, &facts, &round).await?;
        let sent = round.sent;
        Ok(Report { sent })
    }

    /// Each charger's own maximum (`maxChargeCurrent`, its ChargePointMaxProfile) as a ceiling on
    /// what its connectors are given together.
    async fn ceilings(
        &self,
        installation: InstallationId,
        connectors: &[Connector<Key>],
    ) -> Result<Ceilings<Key>, StoreError> {
        let mut ceilings = Ceilings::none();
        for (charger, cap) in self.store.charger_caps(installation).await? {
            let keys = connectors.iter().map(|c| c.key).filter(|k| k.0 == charger);
            ceilings = ceilings.with(keys.collect(), Amperes::new(cap).unwrap_or(Amperes::ZERO));
        }
        Ok(ceilings)
    }

    /// Every connector of the installation's chargers, with its session and what it accepted.
    async fn connectors(
        &self,
        installation: InstallationId,
    ) -> Result<(Vec<Connector<Key>>, HashMap<Key, Facts>), StoreError> {
        let chargers = self.store.charger_list(installation).await?;
        let running = self.store.running_sessions(installation).await?;
        let limits = self.store.connector_limits(installation).await?;
        let mut connectors = Vec::new();
        let mut facts = HashMap::new();
        for charger in chargers {
            for number in 1..=charger.connectors.max(0) as u32 {
                let key = (charger.id, number);
                let session = running
                    .iter()
                    .rfind(|s| s.charger_id == charger.id && s.connector_id == number as i32);
                let limit = limits
                    .iter()
                    .find(|l| l.charger_id == charger.id && l.connector_id == number as i32);
                let tx = match (session, limit) {
                    (Some(session), Some(limit))
                        if limit.tx_transaction == Some(session.transaction) =>
                    {
                        Slot {
                            accepted: limit.tx_accepted.and_then(|a| Amperes::new(a).ok()),
                            uncertain: limit.tx_uncertain.and_then(|a| Amperes::new(a).ok()),
                        }
                    }
                    _ => Slot::default(),
                };
                connectors.push(Connector {
                    key,
                    session: session.map(|s| Running {
                        arrival: s.received_at,
                        paused: s.paused,
                    }),
                    default: Slot {
                        accepted: limit
                            .and_then(|l| l.default_accepted)
                            .and_then(|a| Amperes::new(a).ok()),
                        uncertain: limit
                            .and_then(|l| l.default_uncertain)
                            .and_then(|a| Amperes::new(a).ok()),
                    },
                    tx,
                    tx_refused: limit.is_some_and(|l| l.tx_refused),
                });
                facts.insert(
                    key,
                    Facts {
                        identity: charger.identity.clone(),
                        transaction: session.map(|s| s.transaction),
                        problem: limit.and_then(|l| l.problem.clone()),
                    },
                );
            }
        }
        Ok((connectors, facts))
    }

    async fn deliver(
        &self,
        send: Send<Key>,
        facts: &HashMap<Key, Facts>,
        ready: &HashMap<ChargerId, ProfileCaps>,
        phases: Phases,
    ) -> Delivery {
        let (Some(facts), Some(caps)) = (facts.get(&send.key), ready.get(&send.key.0).copied())
        else {
            return Delivery::NotSent;
        };
        let request = profiles::limit(
            send.purpose,
            send.key.1,
            facts.transaction,
            send.limit,
            caps,
            phases,
        );
        match self
            .routes
            .call(
                send.key.0,
                &facts.identity,
                Command::SetChargingProfile(request),
                self.timeout,
            )
            .await
        {
            Ok(Answer::SetChargingProfile(answer)) => match answer.status {
                ChargingProfileStatus::Accepted => Delivery::Accepted,
                _ => Delivery::Rejected,
            },
            Ok(_) => Delivery::Unknown,
            Err(CommandError::Refused(..)) => Delivery::Rejected,
            Err(error) if error.may_have_run() => Delivery::Unknown,
            Err(_) => Delivery::NotSent,
        }
    }

    /// Stores the connectors whose limits or problems changed, and logs each new problem once.
    async fn keep(
        &self,
        before: &[Connector<Key>],
        after: &[Connector<Key>],
        facts: &HashMap<Key, Facts>,
        round: &Settled<Key>,
    ) -> Result<(), StoreError> {
        for (old, new) in before.iter().zip(after) {
            let Some(facts) = facts.get(&new.key) else {
                continue;
            };
            let last = round
                .sent
                .iter()
                .rev()
                .find(|(send, _)| send.key == new.key);
            let problem = match last {
                Some((_, delivery)) => problem(delivery),
                None if round.unreachable.iter().any(|send| send.key == new.key) => {
                    problem(&Delivery::NotSent)
                }
                None => facts.problem.clone(),
            };
            if old == new && problem == facts.problem {
                continue;
            }
            if let Some(problem) = problem
                .as_ref()
                .filter(|p| Some(*p) != facts.problem.as_ref())
            {
                tracing::warn!(
                    charger = facts.identity,
                    connector = new.key.1,
                    problem,
                    "load balancing"
                );
            }
            let amps = |a: Option<Amperes>| a.map(Amperes::get);
            let limit = ConnectorLimit {
                default_accepted: amps(new.default.accepted),
                default_uncertain: amps(new.default.uncertain),
                tx_transaction: facts.transaction,
                tx_accepted: amps(new.tx.accepted),
                tx_uncertain: amps(new.tx.uncertain),
                tx_refused: new.tx_refused,
                problem,
                ..ConnectorLimit::unknown(new.key.0, new.key.1 as i32)
            };
            self.store.save_connector_limit(&limit).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use chrono::{DateTime, Duration as Minutes, Utc};
    use proptest::prelude::*;

    use super::*;

    /// How a simulated charger answers the limits it is sent.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Behaviour {
        Accept,
        Reject,
        /// Answers nothing; applies the limit or not (`true`: applies).
        Silent(bool),
        Offline,
    }

    #[derive(Clone, Debug)]
    enum Event {
        Start(usize),
        Stop(usize),
        Pause(usize),
        Resume(usize),
        Behave(usize, Behaviour),
        Reconnect(usize),
    }

    const CONNECTORS: usize = 6;
    const PER_CHARGER: usize = 2;

    fn behaviour() -> impl Strategy<Value = Behaviour> {
        prop_oneof![
            3 => Just(Behaviour::Accept),
            1 => Just(Behaviour::Reject),
            1 => any::<bool>().prop_map(Behaviour::Silent),
            1 => Just(Behaviour::Offline),
        ]
    }

    fn event() -> impl Strategy<Value = Event> {
        let connector = 0..CONNECTORS;
        let charger = 0..CONNECTORS / PER_CHARGER;
        prop_oneof![
            3 => connector.clone().prop_map(Event::Start),
            2 => connector.clone().prop_map(Event::Stop),
            1 => connector.clone().prop_map(Event::Pause),
            1 => connector.prop_map(Event::Resume),
            2 => (charger.clone(), behaviour()).prop_map(|(c, b)| Event::Behave(c, b)),
            1 => charger.prop_map(Event::Reconnect),
        ]
    }

    /// What a simulated connector really applies.
    #[derive(Clone, Debug, Default)]
    struct Truth {
        session: Option<i32>,
        default: f64,
        tx: Option<(i32, f64)>,
    }

    impl Truth {
        /// The most it may draw at any moment (a session may start or end any time).
        fn potential(&self) -> f64 {
            let tx = match (self.session, self.tx) {
                (Some(session), Some((for_session, limit))) if session == for_session => limit,
                _ => 0.0,
            };
            self.default.max(tx)
        }
    }

    struct Fleet {
        available: f64,
        truth: Vec<Truth>,
        behaviour: Vec<Behaviour>,
        worst: f64,
    }

    impl Fleet {
        fn apply(&mut self, send: &Send<usize>) -> Delivery {
            let delivery = match self.behaviour[send.key / PER_CHARGER] {
                Behaviour::Offline => return Delivery::NotSent,
                Behaviour::Reject => return Delivery::Rejected,
                Behaviour::Accept => Delivery::Accepted,
                Behaviour::Silent(false) => return Delivery::Unknown,
                Behaviour::Silent(true) => Delivery::Unknown,
            };
            let truth = &mut self.truth[send.key];
            match send.purpose {
                Purpose::Default => truth.default = send.limit.get(),
                Purpose::Tx => {
                    if let Some(session) = truth.session {
                        truth.tx = Some((session, send.limit.get()));
                    }
                }
            }
            self.check();
            delivery
        }

        fn check(&mut self) {
            let total: f64 = self.truth.iter().map(Truth::potential).sum();
            self.worst = self.worst.max(total - self.available);
        }
    }

    fn amps(value: f64) -> Amperes {
        Amperes::new(value).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Random starts, stops, pauses, rejections, silences and reconnects: the limits the chargers
        /// apply never add up to more than the installation's available current, at any step.
        #[test]
        fn never_over_the_limit(available in 6.0f64..64.0, events in proptest::collection::vec(event(), 1..60)) {
            let available = amps(available).get();
            let max = amps(32.0);
            let fleet = RefCell::new(Fleet {
                available,
                truth: vec![Truth::default(); CONNECTORS],
                behaviour: vec![Behaviour::Accept; CONNECTORS / PER_CHARGER],
                worst: f64::NEG_INFINITY,
            });
            let mut connectors: Vec<Connector<usize>> = (0..CONNECTORS)
                .map(|key| Connector {
                    key,
                    session: None,
                    default: Slot { accepted: Some(Amperes::ZERO), uncertain: None },
                    tx: Slot::default(),
                    tx_refused: false,
                })
                .collect();
            let epoch = DateTime::<Utc>::UNIX_EPOCH;
            let mut next_session = 0;
            for (step, event) in events.into_iter().enumerate() {
                let mut resend = None;
                {
                    let mut fleet = fleet.borrow_mut();
                    match event {
                        Event::Start(c) if fleet.truth[c].session.is_none() => {
                            next_session += 1;
                            fleet.truth[c].session = Some(next_session);
                            connectors[c].session = Some(Running { arrival: epoch + Minutes::minutes(step as i64), paused: false });
                            connectors[c].tx = Slot::default();
                        }
                        Event::Stop(c) => {
                            fleet.truth[c].session = None;
                            fleet.truth[c].tx = None;
                            connectors[c].session = None;
                            connectors[c].tx = Slot::default();
                        }
                        Event::Pause(c) | Event::Resume(c) => {
                            if let Some(running) = connectors[c].session.as_mut() {
                                running.paused = matches!(event, Event::Pause(_));
                            }
                        }
                        Event::Behave(charger, behaviour) => fleet.behaviour[charger] = behaviour,
                        Event::Reconnect(charger) => {
                            fleet.behaviour[charger] = Behaviour::Accept;
                            resend = Some(charger);
                        }
                        Event::Start(_) => {}
                    }
                    fleet.check();
                }
                let deliver = |send: Send<usize>| {
                    let delivery = fleet.borrow_mut().apply(&send);
                    async move { delivery }
                };
                let is_resent = |key: &usize| Some(key / PER_CHARGER) == resend;
                futures::executor::block_on(settle(amps(available), max, &Ceilings::none(), &mut connectors, &is_resent, &|_| true, deliver));
                let fleet = fleet.borrow();
                prop_assert!(fleet.worst <= 1e-9, "over by {} A at step {step}", fleet.worst);
                let accounted: f64 = connectors.iter().map(|c| c.effective(max).get()).sum();
                let truth: f64 = fleet.truth.iter().map(Truth::potential).sum();
                prop_assert!(truth <= accounted + 1e-9, "the accounts never count less than the chargers apply");
            }
        }
    }

    #[test]
    fn a_single_session_gets_everything_and_a_new_one_its_share() {
        let max = amps(32.0);
        let mut connectors: Vec<Connector<usize>> = (0..2)
            .map(|key| Connector {
                key,
                session: None,
                default: Slot::default(),
                tx: Slot::default(),
                tx_refused: false,
            })
            .collect();
        let accept_all = |connectors: &mut Vec<Connector<usize>>| {
            let accept = |_: Send<usize>| async { Delivery::Accepted };
            futures::executor::block_on(settle(
                amps(20.0),
                max,
                &Ceilings::none(),
                connectors,
                &|_| false,
                &|_| true,
                accept,
            ))
        };
        let round = accept_all(&mut connectors);
        assert_eq!(round.sent.len(), 2, "unknown defaults come down first");
        assert_eq!(connectors[0].default.accepted, Some(amps(10.0)));
        connectors[0].session = Some(Running {
            arrival: Utc::now(),
            paused: false,
        });
        accept_all(&mut connectors);
        assert_eq!(connectors[0].tx.accepted, Some(amps(20.0)));
        assert_eq!(
            connectors[1].default.accepted,
            Some(amps(0.0)),
            "nothing left for a new session"
        );
    }
}
