//! Reaching a charger wherever it is connected.
//!
//! On SQLite one process is the whole service: [`Local`] asks this process's registry. On PostgreSQL
//! every process is a node with a lease ([`Cluster::join`], renewed every third of it); a charger's
//! connection is noted under the node that holds it, and counts as online only while that node's
//! lease runs. A command for a charger held elsewhere travels to its node by LISTEN/NOTIFY on the
//! node's own channel, is sent there with what is left of the caller's time, and its answer (or why
//! there is none) comes back the same way. A command is never sent after its caller stopped waiting,
//! here or across nodes: the call carries the caller's deadline (a call that arrives late is answered
//! `Expired` unsent), and a caller that gives up (its request was dropped, or it timed out) tells the
//! holder to forget the call, which then drops it from the charger's mailbox if it still waits there.
//! A charger that connects to another node has its old connection closed. What a charger supports of
//! smart charging is asked once per connection by the process it is connected to and kept with its
//! connection (in memory on SQLite, in `charger_connections` on PostgreSQL), so load balancing on any
//! process reads it instead of asking. Everything goes through [`Routes`], so a message bus could
//! replace PostgreSQL here without the rest of the service noticing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;
use voltgate_domain::ChargerId;
use voltgate_ocpp::{Answer, ChargerRef, Command, CommandError, ErrorCode, Registry};
use voltgate_store::cluster::{Capabilities, Cluster, Heard, NodeId, Orphan};
use voltgate_store::StoreError;

use super::profiles::ProfileCaps;

/// How long past the caller's deadline an answer from another node is awaited (the holder gives its
/// own verdict by then).
const GRACE: Duration = Duration::from_secs(3);

/// How long a holder remembers a cancellation that arrived before its call (notifications sent on
/// different connections may overtake each other); longer than any command's time.
const CANCEL_MEMORY: Duration = Duration::from_secs(120);

/// Milliseconds since the Unix epoch on this machine's clock: how nodes write deadlines to each other.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// How long a holder may spend on a call it received: what the caller allowed, cut to what is left
/// before the caller's deadline (`deadline_ms` 0: a caller that sent none); `None` when nothing is
/// left, so the command must not be sent.
fn time_left(timeout_ms: u64, deadline_ms: u64, now_ms: u64) -> Option<Duration> {
    let left = if deadline_ms == 0 {
        timeout_ms
    } else {
        timeout_ms.min(deadline_ms.saturating_sub(now_ms))
    };
    (left > 0).then(|| Duration::from_millis(left))
}

/// How the service reaches its chargers.
#[async_trait]
pub trait Routes: Send + Sync {
    /// A charger connected to this process.
    async fn connected(&self, charger: &ChargerRef);
    /// A charger's connection to this process ended (and no newer one here took its place); answers
    /// whether the charger is still connected to another process.
    async fn disconnected(&self, charger: &ChargerRef) -> bool;
    /// Which of these chargers (id and identity) are connected to some process of the service.
    async fn online(&self, chargers: &[(ChargerId, &str)]) -> HashSet<ChargerId>;
    /// Keeps what a charger connected to this process answered it supports of smart charging (asked
    /// once per connection) where every process reads it.
    async fn note_capabilities(&self, charger: &ChargerRef, capabilities: ProfileCaps);
    /// Which of these chargers are connected to some process with their capabilities for that
    /// connection known, and these: the chargers load balancing can send limits to now.
    async fn ready(&self, chargers: &[(ChargerId, &str)]) -> HashMap<ChargerId, ProfileCaps>;
    /// Sends a command to the charger wherever it is connected and waits for its answer, at most
    /// `timeout` (plus a short grace for the verdict to travel).
    async fn call(
        &self,
        charger: ChargerId,
        identity: &str,
        command: Command,
        timeout: Duration,
    ) -> Result<Answer, CommandError>;
    /// Chargers whose process stopped renewing its lease, forgotten now (each is answered to one
    /// process only); none on a single process.
    async fn reap(&self) -> Vec<Orphan> {
        Vec::new()
    }
}

/// One process is the whole service: its registry says who is connected, and the capabilities of
/// the chargers connected to it are kept in memory.
pub struct Local {
    registry: Arc<Registry>,
    /// By charger connected here: its capabilities, once its connection answered.
    capabilities: Mutex<HashMap<ChargerId, Option<ProfileCaps>>>,
}

impl Local {
    /// The routes of a process that is the whole service.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self {
            registry,
            capabilities: Mutex::default(),
        }
    }
}

#[async_trait]
impl Routes for Local {
    async fn connected(&self, charger: &ChargerRef) {
        locked(&self.capabilities).insert(charger.id, None);
    }

    async fn disconnected(&self, charger: &ChargerRef) -> bool {
        let mut capabilities = locked(&self.capabilities);
        capabilities.remove(&charger.id);
        if capabilities.is_empty() {
            capabilities.shrink_to_fit();
        }
        false
    }

    async fn online(&self, chargers: &[(ChargerId, &str)]) -> HashSet<ChargerId> {
        chargers
            .iter()
            .filter(|(_, identity)| self.registry.is_online(identity))
            .map(|(id, _)| *id)
            .collect()
    }

    async fn note_capabilities(&self, charger: &ChargerRef, capabilities: ProfileCaps) {
        if let Some(known) = locked(&self.capabilities).get_mut(&charger.id) {
            *known = Some(capabilities);
        }
    }

    async fn ready(&self, chargers: &[(ChargerId, &str)]) -> HashMap<ChargerId, ProfileCaps> {
        let known = locked(&self.capabilities);
        chargers
            .iter()
            .filter(|(_, identity)| self.registry.is_online(identity))
            .filter_map(|(id, _)| Some((*id, (*known.get(id)?)?)))
            .collect()
    }

    async fn call(
        &self,
        _: ChargerId,
        identity: &str,
        command: Command,
        timeout: Duration,
    ) -> Result<Answer, CommandError> {
        self.registry.call(identity, command, timeout).await
    }
}

/// Why a command sent through another node achieved nothing, as it travels.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "error", content = "detail", rename_all = "snake_case")]
enum Failure {
    Offline,
    Expired,
    Dropped,
    Timeout(u64),
    Disconnected,
    Replaced,
    Refused(String, String),
    Busy,
    BadAnswer(String),
}

impl From<&CommandError> for Failure {
    fn from(error: &CommandError) -> Self {
        match error {
            CommandError::Offline => Self::Offline,
            CommandError::Expired => Self::Expired,
            CommandError::Dropped => Self::Dropped,
            CommandError::Timeout(after) => Self::Timeout(after.as_millis() as u64),
            CommandError::Disconnected => Self::Disconnected,
            CommandError::Replaced => Self::Replaced,
            CommandError::Refused(code, description) => {
                Self::Refused(code.as_str().to_owned(), description.clone())
            }
            CommandError::Busy => Self::Busy,
            CommandError::BadAnswer(why) => Self::BadAnswer(why.clone()),
        }
    }
}

impl From<Failure> for CommandError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Offline => Self::Offline,
            Failure::Expired => Self::Expired,
            Failure::Dropped => Self::Dropped,
            Failure::Timeout(ms) => Self::Timeout(Duration::from_millis(ms)),
            Failure::Disconnected => Self::Disconnected,
            Failure::Replaced => Self::Replaced,
            Failure::Refused(code, description) => {
                Self::Refused(ErrorCode::parse(&code), description)
            }
            Failure::Busy => Self::Busy,
            Failure::BadAnswer(why) => Self::BadAnswer(why),
        }
    }
}

/// Where the answer to a call sent to another node goes.
type AnswerTo = oneshot::Sender<Result<Value, Failure>>;

/// What nodes tell each other.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Message {
    /// Send this command to a charger connected to you, and answer me.
    Call {
        id: u64,
        from: NodeId,
        identity: String,
        action: String,
        payload: Value,
        timeout_ms: u64,
        /// When the caller stops waiting, in ms since the Unix epoch on its clock (0 from a process
        /// of a version that did not send it).
        #[serde(default)]
        deadline_ms: u64,
    },
    /// The caller of call `id` stopped waiting: do not send it if it has not gone out yet.
    Cancel { id: u64, from: NodeId },
    /// The answer to call `id`: the charger's CALLRESULT payload, or why there is none.
    Answer {
        id: u64,
        result: Result<Value, Failure>,
    },
    /// The charger connected to another node: close its connection to you.
    Close { identity: String },
}

/// The channel a node listens on.
fn channel(node: NodeId) -> String {
    format!("voltgate_node_{node}")
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A charger connected to this process.
#[derive(Clone, Copy)]
struct Held {
    charger: ChargerId,
    /// The connection's number.
    generation: i64,
    /// What it answered it supports, once it did (noted again if the lease had run out).
    capabilities: Option<Capabilities>,
}

/// The processes of a service on one PostgreSQL.
pub struct ClusterRoutes {
    registry: Arc<Registry>,
    cluster: Cluster,
    me: NodeId,
    lease: Duration,
    /// The chargers connected here, by identity.
    held: Mutex<HashMap<String, Held>>,
    generations: AtomicU64,
    /// Calls sent to other nodes, waiting for their answers, and the node each went to.
    waiting: Mutex<HashMap<u64, (NodeId, AnswerTo)>>,
    next_call: AtomicU64,
    /// Calls from other nodes carried out here, and cancellations that came first.
    served: Mutex<Served>,
}

/// The calls a node carries out for others, by caller and call number.
#[derive(Default)]
struct Served {
    /// Being carried out: dropping the sender cancels one.
    running: HashMap<(NodeId, u64), oneshot::Sender<()>>,
    /// Cancellations that arrived before their call, and when.
    cancelled: HashMap<(NodeId, u64), Instant>,
}

impl ClusterRoutes {
    /// Joins the service as node `me` with a lease of `lease`, listens on its channel, and keeps
    /// the lease renewed.
    pub async fn start(
        registry: Arc<Registry>,
        cluster: Cluster,
        me: NodeId,
        lease: Duration,
    ) -> Result<Arc<Self>, StoreError> {
        cluster.join(me, lease).await?;
        let listener = cluster.listen(&[&channel(me)]).await?;
        let routes = Arc::new(Self {
            registry,
            cluster,
            me,
            lease,
            held: Mutex::default(),
            generations: AtomicU64::new(0),
            waiting: Mutex::default(),
            next_call: AtomicU64::new(0),
            served: Mutex::default(),
        });
        tokio::spawn(receive(Arc::downgrade(&routes), listener));
        tokio::spawn(renew(Arc::downgrade(&routes)));
        Ok(routes)
    }

    /// Leaves the service (a clean stop): this node's chargers are offline at once, not when the
    /// lease runs out.
    pub async fn leave(&self) {
        if let Err(error) = self.cluster.leave(self.me).await {
            tracing::warn!(%error, "cluster: could not leave");
        }
    }

    async fn tell(&self, node: NodeId, message: &Message) -> Result<(), StoreError> {
        // These messages are plain data: serializing them cannot fail.
        let text = serde_json::to_string(message).unwrap_or_default();
        self.cluster.notify(&channel(node), vec![text]).await
    }

    /// Renews the lease; when it had run out (this process stalled) joins again and notes its
    /// chargers anew.
    async fn renew_once(&self) -> Result<(), StoreError> {
        if self.cluster.renew(self.me, self.lease).await? {
            return Ok(());
        }
        tracing::warn!("cluster: this process's lease had run out; joining again");
        self.cluster.join(self.me, self.lease).await?;
        let held: Vec<Held> = locked(&self.held).values().copied().collect();
        for held in held {
            self.cluster
                .claim(held.charger, self.me, held.generation)
                .await?;
            if let Some(capabilities) = held.capabilities {
                self.cluster
                    .note_capabilities(held.charger, self.me, held.generation, capabilities)
                    .await?;
            }
        }
        Ok(())
    }

    /// Carries out a call another node sent, and answers it; a call whose caller's deadline has
    /// passed is answered `Expired` unsent, and one whose caller cancels it is dropped unanswered
    /// (unsent if it still waited in the charger's mailbox).
    async fn serve_call(&self, call: Call) {
        let Call {
            from,
            id,
            identity,
            action,
            payload,
            timeout_ms,
            deadline_ms,
        } = call;
        let key = (from, id);
        let (keep, cancel) = oneshot::channel();
        {
            let mut served = locked(&self.served);
            if served.cancelled.remove(&key).is_some() {
                return;
            }
            served.running.insert(key, keep);
        }
        let carried_out = async {
            let Some(timeout) = time_left(timeout_ms, deadline_ms, now_ms()) else {
                return Err(Failure::Expired);
            };
            let command = Command::read(&action, payload)
                .map_err(|error| Failure::BadAnswer(error.description))?;
            match self.registry.call(&identity, command, timeout).await {
                Ok(answer) => {
                    serde_json::to_value(answer).map_err(|e| Failure::BadAnswer(e.to_string()))
                }
                Err(error) => Err(Failure::from(&error)),
            }
        };
        let result = tokio::select! {
            result = carried_out => result,
            // Cancelled: dropping `carried_out` takes the command out of the mailbox unsent.
            _ = cancel => return,
        };
        locked(&self.served).running.remove(&key);
        if let Err(error) = self.tell(from, &Message::Answer { id, result }).await {
            tracing::warn!(%error, "cluster: an answer could not be sent back");
        }
    }

    /// The caller of call `id` from `from` stopped waiting.
    fn cancel(&self, from: NodeId, id: u64) {
        let key = (from, id);
        let mut served = locked(&self.served);
        if served.running.remove(&key).is_some() {
            return;
        }
        // Not here yet (or already answered): remember it for a while.
        let now = Instant::now();
        served
            .cancelled
            .retain(|_, at| now.duration_since(*at) < CANCEL_MEMORY);
        served.cancelled.insert(key, now);
    }
}

/// A call from another node, as received.
struct Call {
    from: NodeId,
    id: u64,
    identity: String,
    action: String,
    payload: Value,
    timeout_ms: u64,
    deadline_ms: u64,
}

async fn renew(routes: std::sync::Weak<ClusterRoutes>) {
    loop {
        let Some(period) = routes.upgrade().map(|r| r.lease / 3) else {
            return;
        };
        tokio::time::sleep(period).await;
        let Some(routes) = routes.upgrade() else {
            return;
        };
        if let Err(error) = routes.renew_once().await {
            tracing::warn!(%error, "cluster: the lease could not be renewed");
        }
    }
}

async fn receive(
    routes: std::sync::Weak<ClusterRoutes>,
    mut listener: voltgate_store::cluster::Listener,
) {
    loop {
        let heard = listener.recv().await;
        let Some(routes) = routes.upgrade() else {
            return;
        };
        let payload = match heard {
            Ok(Heard::Message { payload, .. }) => payload,
            Ok(Heard::Gap) => {
                tracing::warn!(
                    "cluster: the listening connection was lost; calls meanwhile may time out"
                );
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, "cluster: listening failed; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Ok(message) = serde_json::from_str::<Message>(&payload) else {
            tracing::warn!("cluster: a message that could not be read was skipped");
            continue;
        };
        match message {
            Message::Call {
                id,
                from,
                identity,
                action,
                payload,
                timeout_ms,
                deadline_ms,
            } => {
                let call = Call {
                    from,
                    id,
                    identity,
                    action,
                    payload,
                    timeout_ms,
                    deadline_ms,
                };
                tokio::spawn(async move { routes.serve_call(call).await });
            }
            Message::Cancel { id, from } => routes.cancel(from, id),
            Message::Answer { id, result } => {
                if let Some((_, waiter)) = locked(&routes.waiting).remove(&id) {
                    let _ = waiter.send(result);
                }
            }
            Message::Close { identity } => {
                if routes.registry.close(&identity) {
                    tracing::info!(charger = %identity, "connection closed: the charger connected to another process");
                }
            }
        }
    }
}

/// Takes a waiting call out of the map when its caller stops waiting, and, when no answer came,
/// tells the holder to drop the call.
struct Waiter<'a> {
    routes: &'a ClusterRoutes,
    id: u64,
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        let Some((holder, _)) = locked(&self.routes.waiting).remove(&self.id) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let cancel = Message::Cancel {
            id: self.id,
            from: self.routes.me,
        };
        let text = serde_json::to_string(&cancel).unwrap_or_default();
        let cluster = self.routes.cluster.clone();
        runtime.spawn(async move {
            if let Err(error) = cluster.notify(&channel(holder), vec![text]).await {
                tracing::warn!(%error, "cluster: a cancelled command could not be withdrawn");
            }
        });
    }
}

#[async_trait]
impl Routes for ClusterRoutes {
    async fn connected(&self, charger: &ChargerRef) {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) as i64 + 1;
        let held = Held {
            charger: charger.id,
            generation,
            capabilities: None,
        };
        locked(&self.held).insert(charger.identity.as_str().to_owned(), held);
        match self.cluster.claim(charger.id, self.me, generation).await {
            Ok(Some(before)) => {
                let close = Message::Close {
                    identity: charger.identity.as_str().to_owned(),
                };
                if let Err(error) = self.tell(before, &close).await {
                    tracing::warn!(%error, "cluster: the charger's old process could not be told to close it");
                }
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(charger = %charger.identity, %error, "cluster: the connection could not be noted");
            }
        }
    }

    async fn disconnected(&self, charger: &ChargerRef) -> bool {
        let identity = charger.identity.as_str();
        let generation = {
            let mut held = locked(&self.held);
            match held.get(identity) {
                Some(connection) if !self.registry.is_online(identity) => {
                    let generation = connection.generation;
                    held.remove(identity);
                    generation
                }
                _ => return true,
            }
        };
        match self.cluster.release(charger.id, self.me, generation).await {
            Ok(elsewhere) => elsewhere,
            Err(error) => {
                tracing::warn!(charger = %charger.identity, %error, "cluster: the disconnection could not be noted");
                false
            }
        }
    }

    async fn online(&self, chargers: &[(ChargerId, &str)]) -> HashSet<ChargerId> {
        let ids: Vec<ChargerId> = chargers.iter().map(|(id, _)| *id).collect();
        match self.cluster.online(&ids).await {
            Ok(online) => online.into_iter().collect(),
            Err(error) => {
                tracing::warn!(%error, "cluster: which chargers are online could not be read; showing this process's");
                Local::new(self.registry.clone()).online(chargers).await
            }
        }
    }

    async fn note_capabilities(&self, charger: &ChargerRef, capabilities: ProfileCaps) {
        let capabilities = Capabilities::from(capabilities);
        let generation = {
            let mut held = locked(&self.held);
            let Some(connection) = held.get_mut(charger.identity.as_str()) else {
                return;
            };
            connection.capabilities = Some(capabilities);
            connection.generation
        };
        let noted = self
            .cluster
            .note_capabilities(charger.id, self.me, generation, capabilities)
            .await;
        if let Err(error) = noted {
            tracing::warn!(charger = %charger.identity, %error, "cluster: the charger's capabilities could not be noted");
        }
    }

    async fn ready(&self, chargers: &[(ChargerId, &str)]) -> HashMap<ChargerId, ProfileCaps> {
        let ids: Vec<ChargerId> = chargers.iter().map(|(id, _)| *id).collect();
        match self.cluster.ready(&ids).await {
            Ok(ready) => ready
                .into_iter()
                .map(|(charger, capabilities)| (charger, capabilities.into()))
                .collect(),
            Err(error) => {
                tracing::warn!(%error, "cluster: which chargers are ready could not be read; taking this process's");
                let held = locked(&self.held);
                chargers
                    .iter()
                    .filter_map(|(id, identity)| {
                        let capabilities = held.get(*identity)?.capabilities?;
                        Some((*id, capabilities.into()))
                    })
                    .collect()
            }
        }
    }

    async fn call(
        &self,
        charger: ChargerId,
        identity: &str,
        command: Command,
        timeout: Duration,
    ) -> Result<Answer, CommandError> {
        if self.registry.is_online(identity) {
            return self.registry.call(identity, command, timeout).await;
        }
        let holder = match self.cluster.holder(charger).await {
            Ok(Some(holder)) if holder != self.me => holder,
            Ok(_) => return Err(CommandError::Offline),
            Err(error) => {
                tracing::warn!(%error, "cluster: where the charger is connected could not be read");
                return Err(CommandError::Offline);
            }
        };
        let action = command.action();
        let id = self.next_call.fetch_add(1, Ordering::Relaxed);
        let (tell, answer) = oneshot::channel();
        locked(&self.waiting).insert(id, (holder, tell));
        let _waiter = Waiter { routes: self, id };
        let call = Message::Call {
            id,
            from: self.me,
            identity: identity.to_owned(),
            action: action.to_owned(),
            payload: command.payload(),
            timeout_ms: timeout.as_millis() as u64,
            deadline_ms: now_ms() + timeout.as_millis() as u64,
        };
        if let Err(error) = self.tell(holder, &call).await {
            tracing::warn!(%error, "cluster: a command could not be sent to the charger's process");
            return Err(CommandError::Offline);
        }
        match tokio::time::timeout(timeout + GRACE, answer).await {
            Ok(Ok(Ok(payload))) => {
                Answer::read(action, payload).map_err(|e| CommandError::BadAnswer(e.description))
            }
            Ok(Ok(Err(failure))) => Err(failure.into()),
            Ok(Err(_)) | Err(_) => Err(CommandError::Timeout(timeout)),
        }
    }

    async fn reap(&self) -> Vec<Orphan> {
        match self.cluster.reap(Duration::ZERO).await {
            Ok(orphans) => orphans,
            Err(error) => {
                tracing::warn!(%error, "cluster: processes that stopped could not be looked for");
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_gets_what_is_left_of_its_callers_time() {
        let now = 1_000_000;
        assert_eq!(
            time_left(5_000, now + 5_000, now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            time_left(5_000, now + 1_200, now),
            Some(Duration::from_millis(1_200))
        );
        // A clock ahead of the caller's never gives more than the caller allowed.
        assert_eq!(
            time_left(5_000, now + 60_000, now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(time_left(5_000, now, now), None, "arrived at the deadline");
        assert_eq!(time_left(5_000, now - 10, now), None, "arrived late");
        assert_eq!(
            time_left(5_000, 0, now),
            Some(Duration::from_secs(5)),
            "an older sender"
        );
    }

    #[test]
    fn calls_travel_with_their_deadline_and_older_ones_still_read() {
        let node = NodeId::random();
        let text = serde_json::to_string(&Message::Cancel { id: 7, from: node }).unwrap();
        assert!(matches!(
            serde_json::from_str(&text).unwrap(),
            Message::Cancel { id: 7, from } if from == node
        ));
        let old = serde_json::json!({
            "kind": "call", "id": 1, "from": node, "identity": "CP", "action": "Reset",
            "payload": {"type": "Soft"}, "timeout_ms": 5000
        });
        assert!(matches!(
            serde_json::from_value(old).unwrap(),
            Message::Call {
                deadline_ms: 0,
                timeout_ms: 5000,
                ..
            }
        ));
    }
}
