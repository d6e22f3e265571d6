//! One charger's connection: reads its frames, answers its requests through the [`CentralSystem`],
//! sends it commands one at a time, keeps the connection alive and slows down a charger that floods.
//!
//! Flood control counts outstanding work, not raw rate. Requests are handled one after the other, so a
//! charger that waits for each answer (one CALL in flight, as OCPP-J requires) is never held back,
//! however fast it replays its backlog. A request that was already waiting when its predecessor's
//! answer went out was pipelined: those draw from a token bucket, and when it is empty the session
//! stops reading for a while (the charger is slowed); a charger that keeps pipelining far beyond the
//! bucket, or that stops reading its answers, is disconnected last.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use serde::de::IgnoredAny;
use serde_json::Value;
use tokio::time::{Instant, MissedTickBehavior};
use voltgate_domain::charger::FloodLimit;

use crate::central::{CentralSystem, ChargerRef, HandlerError};
use crate::command::CommandError;
use crate::frame::{error_text, result_text, ErrorCode, Frame};
use crate::registry::{Mailbox, Queued, Registry, Reply};
use crate::request::ChargerRequest;

/// What the socket delivers.
#[derive(Clone, Debug, PartialEq)]
pub enum WsIn {
    /// A text message (valid UTF-8).
    Text(Bytes),
    /// Binary frames are not OCPP-J; they are answered with a CALLERROR.
    Binary,
    /// The transport refused a message larger than it accepts.
    TooBig,
    Close,
}

/// Why the central system closes a connection (the WebSocket close code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// 1000: a newer connection replaced this one, or the charger closed.
    Normal,
    /// 1008: the charger flooded or stopped reading its answers.
    PolicyViolation,
    /// 1009: a message larger than allowed.
    TooBig,
}

impl CloseReason {
    /// The WebSocket close code.
    pub fn code(self) -> u16 {
        match self {
            Self::Normal => 1000,
            Self::PolicyViolation => 1008,
            Self::TooBig => 1009,
        }
    }
}

/// What the session sends.
#[derive(Clone, Debug, PartialEq)]
pub enum WsOut {
    Text(String),
    Ping,
    Close(CloseReason),
}

/// Timing and limits of a session.
#[derive(Clone, Copy, Debug)]
pub struct SessionConfig {
    /// How long a command waits for the charger's answer.
    pub command_timeout: Duration,
    /// WebSocket pings keep the connection (and NAT mappings) alive.
    pub ping_interval: Duration,
    /// Pipelined requests a charger may send at once…
    pub flood_burst: u32,
    /// …and per second on average; beyond that, reading pauses.
    pub flood_per_second: u32,
    /// Pipelined requests beyond the bucket, net of patient ones, before the charger is disconnected.
    pub flood_strikes: u32,
    /// How long an answer may take to be written before a charger that does not read is disconnected.
    pub write_timeout: Duration,
    /// The largest message, except StopTransaction.
    pub max_message: usize,
    /// The largest StopTransaction (a charger back from days offline sends its samples in it); the
    /// transport must accept messages of this size.
    pub max_stop_transaction: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            command_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(60),
            flood_burst: 40,
            flood_per_second: 20,
            flood_strikes: 200,
            write_timeout: Duration::from_secs(30),
            max_message: 64 * 1024,
            max_stop_transaction: 8 * 1024 * 1024,
        }
    }
}

/// The command awaiting the charger's answer (OCPP allows one at a time).
struct Pending {
    id: String,
    reply: Reply,
    deadline: Instant,
    timeout: Duration,
}

/// Why the session loop stops.
enum End {
    Closed,
    Replaced,
    Refuse(CloseReason),
}

struct Session<'a, S> {
    charger: &'a ChargerRef,
    sink: S,
    central: &'a dyn CentralSystem,
    pending: Option<Pending>,
    next_id: u64,
    config: SessionConfig,
}

/// Whether an oversized message is a StopTransaction CALL (read without building it).
fn is_stop_transaction(text: &[u8]) -> bool {
    matches!(
        serde_json::from_slice::<(u8, IgnoredAny, &str, IgnoredAny)>(text),
        Ok((2, _, "StopTransaction", _))
    )
}

impl<S> Session<'_, S>
where
    S: Sink<WsOut> + Unpin,
{
    /// Writes a message; fails when the charger does not take it in time.
    async fn send(&mut self, text: String) -> Result<(), End> {
        match tokio::time::timeout(self.config.write_timeout, self.sink.send(WsOut::Text(text)))
            .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Closed),
            Err(_) => {
                tracing::warn!(charger = %self.charger.identity, "disconnected: it does not read its answers");
                Err(End::Refuse(CloseReason::PolicyViolation))
            }
        }
    }

    fn too_big(&self, text: &[u8]) -> bool {
        text.len() > self.config.max_stop_transaction
            || (text.len() > self.config.max_message && !is_stop_transaction(text))
    }

    /// Handles one text message; returns whether it was a CALL (answered). A pipelined CALL is paced.
    async fn receive(
        &mut self,
        text: &[u8],
        flood: &mut Flood,
        pipelined: bool,
    ) -> Result<bool, End> {
        if self.too_big(text) {
            tracing::warn!(charger = %self.charger.identity, bytes = text.len(), "message too large");
            return Err(End::Refuse(CloseReason::TooBig));
        }
        match Frame::parse(text) {
            Err(bad) => {
                tracing::warn!(charger = %self.charger.identity, reason = bad.description, "malformed frame");
                let answer = error_text(bad.id.as_deref(), bad.code, &bad.description);
                self.send(answer).await.map(|()| false)
            }
            Ok(Frame::Call {
                id,
                action,
                payload,
            }) => {
                self.pace(flood, pipelined).await?;
                let answer = self.answer(&id, &action, payload).await;
                self.send(answer).await.map(|()| true)
            }
            Ok(Frame::CallResult { id, payload }) => {
                self.settle(&id, Ok(payload));
                Ok(false)
            }
            Ok(Frame::CallError {
                id,
                code,
                description,
                ..
            }) => {
                self.settle(&id, Err(CommandError::Refused(code, description)));
                Ok(false)
            }
        }
    }

    /// The text answering a CALL.
    async fn answer(&mut self, id: &str, action: &str, payload: Value) -> String {
        let request = match ChargerRequest::parse(action, payload) {
            Ok(request) => request,
            Err(refusal) => {
                tracing::warn!(charger = %self.charger.identity, action, code = refusal.code.as_str(), "refused request");
                return error_text(Some(id), refusal.code, &refusal.description);
            }
        };
        match self.central.handle(self.charger, request).await {
            Ok(response) => result_text(id, &response),
            Err(HandlerError::Refused(refusal)) => {
                tracing::warn!(charger = %self.charger.identity, action, reason = refusal.description, "refused request");
                error_text(Some(id), refusal.code, &refusal.description)
            }
            Err(HandlerError::Failed(error)) => {
                tracing::error!(charger = %self.charger.identity, action, %error, "handling a request failed");
                error_text(
                    Some(id),
                    ErrorCode::InternalError,
                    "the central system could not process the request",
                )
            }
        }
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

    async fn dispatch(&mut self, queued: Queued) -> Result<(), End> {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let text = queued.command.call_text(&id);
        drop(queued.command);
        if let Err(end) = self.send(text).await {
            let _ = queued.reply.send(Err(CommandError::Disconnected));
            return Err(end);
        }
        self.pending = Some(Pending {
            id,
            reply: queued.reply,
            deadline: queued.deadline,
            timeout: queued.timeout,
        });
        Ok(())
    }

    /// Slows down a pipelining charger; `Err` once it has earned disconnection.
    async fn pace(&mut self, flood: &mut Flood, pipelined: bool) -> Result<(), End> {
        if !pipelined {
            flood.strikes = flood.strikes.saturating_sub(1);
            return Ok(());
        }
        let now = Instant::now();
        let elapsed = now - flood.last;
        flood.last = now;
        if let Err(wait) = flood.bucket.take(elapsed) {
            flood.strikes += 1;
            if flood.strikes > self.config.flood_strikes {
                tracing::warn!(charger = %self.charger.identity, "disconnected for flooding");
                return Err(End::Refuse(CloseReason::PolicyViolation));
            }
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }
}

struct Flood {
    bucket: FloodLimit,
    strikes: u32,
    last: Instant,
}

/// Something the session loop reacts to.
enum Event {
    In(Option<WsIn>),
    Woken,
    Deadline,
    Ping,
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
    let (generation, mailbox) = registry.register(charger.identity.as_str());
    central.connected(&charger).await;
    let mut session = Session {
        charger: &charger,
        sink,
        central: central.as_ref(),
        pending: None,
        next_id: 0,
        config,
    };
    let end = serve(&mut session, &mut stream, &mailbox).await;
    let reason = match end {
        End::Closed | End::Replaced => CloseReason::Normal,
        End::Refuse(reason) => reason,
    };
    let _ = Box::pin(tokio::time::timeout(
        config.write_timeout,
        session.sink.send(WsOut::Close(reason)),
    ))
    .await;
    if let Some(pending) = session.pending.take() {
        let error = match end {
            End::Replaced => CommandError::Replaced,
            _ => CommandError::Disconnected,
        };
        let _ = pending.reply.send(Err(error));
    }
    mailbox.close();
    registry.unregister(charger.identity.as_str(), generation);
    central.disconnected(&charger).await;
}

/// The loop a connection spends its life in. Its future is held for as long as the connection lasts,
/// so only what waits between messages is stored in it; handling a message, sending a command and
/// closing run in futures of their own, on the heap only while they run.
async fn serve<S, R>(session: &mut Session<'_, S>, stream: &mut R, mailbox: &Mailbox) -> End
where
    S: Sink<WsOut> + Unpin,
    R: Stream<Item = WsIn> + Unpin,
{
    let config = session.config;
    let mut flood = Flood {
        bucket: FloodLimit::new(config.flood_burst, config.flood_per_second),
        strikes: 0,
        last: Instant::now(),
    };
    let mut ping =
        tokio::time::interval_at(Instant::now() + config.ping_interval, config.ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // A message that was already waiting when the previous answer went out.
    let mut pipelined: Option<WsIn> = None;
    loop {
        if mailbox.is_replaced() {
            return End::Replaced;
        }
        if session.pending.is_none() {
            if let Some(queued) = mailbox.next_live(Instant::now()) {
                if let Err(end) = Box::pin(session.dispatch(queued)).await {
                    return end;
                }
                continue;
            }
        }
        let deadline = session.pending.as_ref().map(|p| p.deadline);
        let (event, was_pipelined) = match pipelined.take() {
            Some(message) => (Event::In(Some(message)), true),
            None => {
                let event = tokio::select! {
                    incoming = stream.next() => Event::In(incoming),
                    () = mailbox.woken() => Event::Woken,
                    () = sleep_until(deadline), if deadline.is_some() => Event::Deadline,
                    _ = ping.tick() => Event::Ping,
                };
                (event, false)
            }
        };
        let step = match event {
            Event::In(None | Some(WsIn::Close)) => Err(End::Closed),
            Event::In(Some(WsIn::TooBig)) => Err(End::Refuse(CloseReason::TooBig)),
            Event::In(Some(WsIn::Binary)) => {
                let refusal = error_text(
                    None,
                    ErrorCode::FormationViolation,
                    "OCPP-J uses text frames",
                );
                Box::pin(session.send(refusal)).await
            }
            Event::In(Some(WsIn::Text(text))) => {
                match Box::pin(session.receive(&text, &mut flood, was_pipelined)).await {
                    Ok(true) => {
                        drop(text);
                        match stream.next().now_or_never() {
                            Some(Some(next)) => {
                                pipelined = Some(next);
                                Ok(())
                            }
                            Some(None) => Err(End::Closed),
                            None => Ok(()),
                        }
                    }
                    Ok(false) => Ok(()),
                    Err(end) => Err(end),
                }
            }
            Event::Woken => Ok(()),
            Event::Deadline => {
                if let Some(pending) = session.pending.take() {
                    let _ = pending
                        .reply
                        .send(Err(CommandError::Timeout(pending.timeout)));
                }
                Ok(())
            }
            Event::Ping => session
                .sink
                .send(WsOut::Ping)
                .await
                .map_err(|_| End::Closed),
        };
        if let Err(end) = step {
            return end;
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
