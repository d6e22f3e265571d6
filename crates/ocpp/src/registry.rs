//! The chargers connected to this process, and the way to send them commands.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::command::{Command, CommandError};

/// Commands that may wait for one charger at once.
const QUEUE: usize = 8;

/// A command on its way to a session, with where to deliver the answer.
pub(crate) enum Outgoing {
    Call {
        command: Command,
        reply: oneshot::Sender<Result<Value, CommandError>>,
    },
    /// A newer connection of the same charger replaced this one.
    Replaced,
}

struct Connection {
    generation: u64,
    outbox: mpsc::Sender<Outgoing>,
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Connection>> {
        self.connections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a new connection of `identity`, telling an older one to close.
    pub(crate) fn register(&self, identity: &str) -> (u64, mpsc::Receiver<Outgoing>) {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let (outbox, inbox) = mpsc::channel(QUEUE);
        let old = self
            .lock()
            .insert(identity.to_owned(), Connection { generation, outbox });
        if let Some(old) = old {
            let _ = old.outbox.try_send(Outgoing::Replaced);
        }
        (generation, inbox)
    }

    /// Forgets a connection, unless a newer one of the same charger has taken its place.
    pub(crate) fn unregister(&self, identity: &str, generation: u64) {
        let mut connections = self.lock();
        if connections
            .get(identity)
            .is_some_and(|c| c.generation == generation)
        {
            connections.remove(identity);
        }
    }

    /// Whether the charger is connected to this process.
    pub fn is_online(&self, identity: &str) -> bool {
        self.lock().contains_key(identity)
    }

    /// How many chargers are connected.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no charger is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends `command` and waits for the answer, at most `timeout`.
    pub async fn call(
        &self,
        identity: &str,
        command: Command,
        timeout: Duration,
    ) -> Result<Value, CommandError> {
        let outbox = self
            .lock()
            .get(identity)
            .map(|c| c.outbox.clone())
            .ok_or(CommandError::Offline)?;
        let (reply, answer) = oneshot::channel();
        outbox
            .try_send(Outgoing::Call { command, reply })
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => CommandError::Busy,
                mpsc::error::TrySendError::Closed(_) => CommandError::Offline,
            })?;
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(CommandError::Disconnected),
            Err(_) => Err(CommandError::Timeout(timeout)),
        }
    }
}
