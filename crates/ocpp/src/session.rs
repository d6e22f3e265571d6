//! One charger's connection: reads its frames, answers its requests through the [`CentralSystem`],
//! sends it commands one at a time, keeps the connection alive and slows down a charger that floods.

use std::sync::Arc;
use std::time::Duration;

use futures::{Sink, SinkExt, Stream, StreamExt};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::time::{Instant, MissedTickBehavior};
use voltgate_domain::charger::FloodLimit;

use crate::central::{CentralSystem, ChargerRef};
use crate::command::CommandError;
use crate::frame::{ErrorCode, Frame};
use crate::registry::{Outgoing, Registry};
use crate::request::ChargerRequest;

/// What the socket delivers.
#[derive(Clone, Debug, PartialEq)]
pub enum WsIn {
    Text(String),
    /// Binary frames are not OCPP-J; they are answered with a CALLERROR.
    Binary,
    Close,
}

/// What the session sends.
#[derive(Clone, Debug, PartialEq)]
pub enum WsOut {
    Text(String),
    Ping,
    Close,
}

/// Timing and limits of a session.
#[derive(Clone, Copy, Debug)]
pub struct SessionConfig {
    /// How long a command waits for the charger's answer.
    pub command_timeout: Duration,
    /// WebSocket pings keep the connection (and NAT mappings) alive.
    pub ping_interval: Duration,
    /// Messages a charger may send at once…
    pub flood_burst: u32,
    /// …and per second on average; faster senders are slowed down.
    pub flood_per_second: u32,
    /// Messages that had to be slowed down, net of normal ones, before the charger is disconnected.
    pub flood_strikes: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            command_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(60),
            flood_burst: 40,
            flood_per_second: 20,
            flood_strikes: 200,
        }
    }
}

/// The command awaiting the charger's answer (OCPP allows one at a time).
struct Pending {
    id: String,
    reply: oneshot::Sender<Result<Value, CommandError>>,
    deadline: Instant,
}

struct Session<'a, S> {
    charger: &'a ChargerRef,
    sink: S,
    central: &'a dyn CentralSystem,
    pending: Option<Pending>,
    next_id: u64,
    config: SessionConfig,
}

impl<S> Session<'_, S>
where
    S: Sink<WsOut> + Unpin,
{
    async fn send(&mut self, frame: &Frame) -> bool {
        self.sink.send(WsOut::Text(frame.to_text())).await.is_ok()
    }

    /// Handles one text frame; false when the connection should end.
    async fn receive(&mut self, text: &str) -> bool {
        match Frame::parse(text) {
            Err(bad) => {
                tracing::warn!(charger = %self.charger.identity, reason = bad.description, "malformed frame");
                self.send(&Frame::error(bad.id.as_deref(), bad.code, &bad.description))
                    .await
            }
            Ok(Frame::Call {
                id,
                action,
                payload,
            }) => {
                let answer = self.answer(&action, payload).await;
                let frame = match answer {
                    Ok(payload) => Frame::CallResult { id, payload },
                    Err((code, description)) => Frame::error(Some(&id), code, &description),
                };
                self.send(&frame).await
            }
            Ok(Frame::CallResult { id, payload }) => {
                self.settle(&id, Ok(payload));
                true
            }
            Ok(Frame::CallError {
                id,
                code,
                description,
                ..
            }) => {
                self.settle(&id, Err(CommandError::Refused(code, description)));
                true
            }
        }
    }

    async fn answer(&mut self, action: &str, payload: Value) -> Result<Value, (ErrorCode, String)> {
        let request = ChargerRequest::parse(action, payload).map_err(|refusal| {
            tracing::warn!(charger = %self.charger.identity, action, code = refusal.code.as_str(), "refused request");
            (refusal.code, refusal.description)
        })?;
        self.central.handle(self.charger, request).await.map_err(|error| {
            tracing::error!(charger = %self.charger.identity, action, %error, "handling a request failed");
            (ErrorCode::InternalError, "the central system could not process the request".to_owned())
        })
    }

    /// Delivers an answer to the pending command, if it is the one answered.
    fn settle(&mut self, id: &str, outcome: Result<Value, CommandError>) {
        match self.pending.take() {
            Some(pending) if pending.id == id => {
                let _ = pending.reply.send(outcome);
            }
            other => {
                self.pending = other;
                tracing::warn!(charger = %self.charger.identity, id, "answer to no pending command dropped");
            }
        }
    }

    async fn dispatch(&mut self, outgoing: Outgoing) -> bool {
        match outgoing {
            Outgoing::Replaced => false,
            Outgoing::Call { command, reply } => {
                self.next_id += 1;
                let id = self.next_id.to_string();
                let frame = Frame::Call {
                    id: id.clone(),
                    action: command.action().to_owned(),
                    payload: command.payload(),
                };
                if !self.send(&frame).await {
                    let _ = reply.send(Err(CommandError::Disconnected));
                    return false;
                }
                self.pending = Some(Pending {
                    id,
                    reply,
                    deadline: Instant::now() + self.config.command_timeout,
                });
                true
            }
        }
    }
}

/// Runs a charger's session until the socket closes, the charger is replaced by a newer connection of
/// itself, or it floods past the limit.
pub async fn run_session<S, R>(
    charger: ChargerRef,
    sink: S,
    mut stream: R,
    registry: Arc<Registry>,
    central: Arc<dyn CentralSystem>,
    config: SessionConfig,
) where
    S: Sink<WsOut> + Unpin,
    R: Stream<Item = WsIn> + Unpin,
{
    let (generation, mut outbox) = registry.register(charger.identity.as_str());
    central.connected(&charger).await;
    let mut session = Session {
        charger: &charger,
        sink,
        central: central.as_ref(),
        pending: None,
        next_id: 0,
        config,
    };
    let mut flood = FloodLimit::new(config.flood_burst, config.flood_per_second);
    let mut strikes = 0u32;
    let mut last = Instant::now();
    let mut ping =
        tokio::time::interval_at(Instant::now() + config.ping_interval, config.ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let deadline = session.pending.as_ref().map(|p| p.deadline);
        let keep_going = tokio::select! {
            incoming = stream.next() => match incoming {
                None | Some(WsIn::Close) => false,
                Some(WsIn::Binary) => {
                    session.send(&Frame::error(None, ErrorCode::FormationViolation, "OCPP-J uses text frames")).await
                }
                Some(WsIn::Text(text)) => {
                    let now = Instant::now();
                    match flood.take(now - last) {
                        Ok(()) => strikes = strikes.saturating_sub(1),
                        Err(wait) => {
                            strikes += 1;
                            tokio::time::sleep(wait).await;
                        }
                    }
                    last = Instant::now();
                    if strikes > config.flood_strikes {
                        tracing::warn!(charger = %charger.identity, "disconnected for flooding");
                        false
                    } else {
                        session.receive(&text).await
                    }
                }
            },
            outgoing = outbox.recv(), if session.pending.is_none() => match outgoing {
                Some(outgoing) => session.dispatch(outgoing).await,
                None => false,
            },
            () = sleep_until(deadline), if deadline.is_some() => {
                if let Some(pending) = session.pending.take() {
                    let _ = pending.reply.send(Err(CommandError::Timeout(config.command_timeout)));
                }
                true
            }
            _ = ping.tick() => session.sink.send(WsOut::Ping).await.is_ok(),
        };
        if !keep_going {
            break;
        }
    }
    let _ = session.sink.send(WsOut::Close).await;
    if let Some(pending) = session.pending.take() {
        let _ = pending.reply.send(Err(CommandError::Disconnected));
    }
    registry.unregister(charger.identity.as_str(), generation);
    central.disconnected(&charger).await;
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
