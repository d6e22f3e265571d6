//! The chargers connected to this process, and the way to send them commands.
//!
//! Each connection has a small mailbox: commands wait there, each with its caller's deadline, until the
//! session can send them (OCPP-J allows one outstanding CALL). A command whose time is (nearly) up, or
//! whose caller stopped waiting, is dropped unsent, so a charger never receives a command after its
//! caller was told it failed. Replacing a connection closes the old one at once.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use crate::command::{Answer, Command, CommandError};

/// Commands that may wait for one charger at once.
const QUEUE: usize = 8;

/// How long a caller waits beyond its deadline for the session's own verdict, in case the session is
/// stuck writing to a charger that does not read.
const GRACE: Duration = Duration::from_secs(2);

/// What a session delivers back: the CALLRESULT payload, or why there is none.
pub(crate) type Reply = oneshot::Sender<Result<Value, CommandError>>;

/// The part of a command's time in which it is no longer started: a quarter, at most 5 s, so the
/// charger has time to answer what it is sent.
fn margin(timeout: Duration) -> Duration {
    (timeout / 4).min(Duration::from_secs(5))
}

/// A command waiting to be sent.
pub(crate) struct Queued {
    pub(crate) command: Box<Command>,
    /// After this instant the command is not started any more.
    pub(crate) send_by: Instant,
    /// Once sent, its answer is awaited until then.
    pub(crate) deadline: Instant,
    /// What the caller was promised (for the timeout's message).
    pub(crate) timeout: Duration,
    pub(crate) reply: Reply,
}

#[derive(Default)]
struct Inbox {
    waiting: VecDeque<Queued>,
    /// The session has ended: nothing more is taken.
    closed: bool,
}

/// One connection's mailbox, shared by the registry (callers) and the session.
#[derive(Default)]
pub(crate) struct Mailbox {
    inbox: Mutex<Inbox>,
    wake: Notify,
    replaced: AtomicBool,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Mailbox {
    fn push(&self, queued: Queued) -> Result<(), CommandError> {
        let mut inbox = locked(&self.inbox);
        if inbox.closed {
            return Err(CommandError::Offline);
        }
        if inbox.waiting.len() >= QUEUE {
            return Err(CommandError::Busy);
        }
        inbox.waiting.push_back(queued);
        drop(inbox);
        self.wake.notify_one();
        Ok(())
    }

    /// The next command still worth sending; commands past their deadline are answered `Expired`,
    /// those whose caller left are dropped.
    pub(crate) fn next_live(&self, now: Instant) -> Option<Queued> {
        let mut inbox = locked(&self.inbox);
        let mut next = None;
        while let Some(queued) = inbox.waiting.pop_front() {
            if queued.reply.is_closed() {
                continue;
            }
            if queued.send_by <= now {
                let _ = queued.reply.send(Err(CommandError::Expired));
                continue;
            }
            next = Some(queued);
            break;
        }
        if inbox.waiting.is_empty() {
            // Most connections wait for nothing most of the time: keep no buffer for them.
            inbox.waiting.shrink_to_fit();
        }
        next
    }

    /// Wakes the session when a command arrives or the connection is replaced.
    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Whether a newer connection of the charger has taken this one's place.
    pub(crate) fn is_replaced(&self) -> bool {
        self.replaced.load(Ordering::Acquire)
    }

    fn replace(&self) {
        self.replaced.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Takes no more commands and answers those still waiting: they were never sent.
    pub(crate) fn close(&self) {
        let waiting = {
            let mut inbox = locked(&self.inbox);
            inbox.closed = true;
            std::mem::take(&mut inbox.waiting)
        };
        for queued in waiting {
            let _ = queued.reply.send(Err(CommandError::Dropped));
        }
    }
}

struct Connection {
    generation: u64,
    mailbox: Arc<Mailbox>,
}

/// Connected chargers by identity. A new connection of a charger replaces (and closes) the old one.
#[derive(Default)]
pub struct Registry {
    connections: Mutex<HashMap<String, Connection>>,
    generations: AtomicU64,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a new connection of `identity`, telling an older one to close.
    pub(crate) fn register(&self, identity: &str) -> (u64, Arc<Mailbox>) {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let mailbox = Arc::new(Mailbox::default());
        let connection = Connection {
            generation,
            mailbox: mailbox.clone(),
        };
        let old = locked(&self.connections).insert(identity.to_owned(), connection);
        if let Some(old) = old {
            old.mailbox.replace();
        }
        (generation, mailbox)
    }

    /// Forgets a connection, unless a newer one of the same charger has taken its place.
    pub(crate) fn unregister(&self, identity: &str, generation: u64) {
        let mut connections = locked(&self.connections);
        if connections
            .get(identity)
            .is_some_and(|c| c.generation == generation)
        {
            connections.remove(identity);
        }
    }

    /// Closes the charger's connection to this process, if it has one (it reconnected to another
    /// process of the service): its session ends as if a newer connection here had replaced it.
    pub fn close(&self, identity: &str) -> bool {
        let connection = locked(&self.connections).remove(identity);
        match connection {
            Some(connection) => {
                connection.mailbox.replace();
                true
            }
            None => false,
        }
    }

    /// The identities of the chargers connected to this process.
    pub fn identities(&self) -> Vec<String> {
        locked(&self.connections).keys().cloned().collect()
    }

    /// Whether the charger is connected to this process.
    pub fn is_online(&self, identity: &str) -> bool {
        locked(&self.connections).contains_key(identity)
    }

    /// How many chargers are connected.
    pub fn len(&self) -> usize {
        locked(&self.connections).len()
    }

    /// True when no charger is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends `command` and waits for the answer. It is sent only while there is time left for an
    /// answer (see [`margin`]), and its answer is awaited only until `timeout` has passed; a command
    /// never reaches the charger after its caller was told it failed.
    pub async fn call(
        &self,
        identity: &str,
        command: Command,
        timeout: Duration,
    ) -> Result<Answer, CommandError> {
        let action = command.action();
        let mailbox = locked(&self.connections)
            .get(identity)
            .map(|c| c.mailbox.clone())
            .ok_or(CommandError::Offline)?;
        let deadline = Instant::now() + timeout;
        let (reply, answer) = oneshot::channel();
        mailbox.push(Queued {
            command: Box::new(command),
            send_by: deadline - margin(timeout),
            deadline,
            timeout,
            reply,
        })?;
        drop(mailbox);
        match tokio::time::timeout_at(deadline + GRACE, answer).await {
            Ok(Ok(Ok(payload))) => {
                Answer::read(action, payload).map_err(|e| CommandError::BadAnswer(e.description))
            }
            Ok(Ok(Err(error))) => Err(error),
            Ok(Err(_)) => Err(CommandError::Disconnected),
            Err(_) => Err(CommandError::Timeout(timeout)),
        }
    }
}
