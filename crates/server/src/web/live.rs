//! Live updates for the installation and charger pages: server-sent events (`text/event-stream`) fed
//! by the events module, so they reach every process on PostgreSQL (LISTEN/NOTIFY underneath).
//!
//! Two kinds of message, both small JSON:
//! - `meter`: a connector's power, current and session energy, already in the reader's words, patched
//!   into the page in place;
//! - `refresh`: a state changed (connector state, a session started or ended, online/offline): the page
//!   fetches itself again and swaps its live parts, so the server stays the only renderer.
//!
//! The right to see the installation is checked when the stream opens and again whenever the
//! installation's access changes; a revoked viewer's stream ends.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::stream::{self, Stream};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use voltgate_domain::authz::ViewInstallation;
use voltgate_domain::{ChargerId, InstallationId, Principal};
use voltgate_store::RunningSession;

use super::session::{AuthUser, PathId};
use super::words;
use crate::error::AppError;
use crate::events::Event;
use crate::i18n::Tr;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/installations/{id}/live", get(live))
}

#[derive(Deserialize, Default)]
struct LiveQuery {
    /// Only this charger's events (the charger page).
    charger: Option<ChargerId>,
}

/// What one stream keeps between events.
struct Watch {
    app: AppState,
    principal: Principal,
    installation: InstallationId,
    charger: Option<ChargerId>,
    tr: Tr,
    events: tokio::sync::broadcast::Receiver<Event>,
    running: Vec<RunningSession>,
    ended: bool,
}

impl Watch {
    /// The message for `event`, if this page shows it.
    async fn message(&mut self, event: Event) -> Option<SseEvent> {
        if event.installation() != self.installation {
            return None;
        }
        match &event {
            Event::AccessChanged { .. }
            | Event::AccessRevoked { .. }
            | Event::AccessExpired { .. } => {
                let still = self
                    .app
                    .installation::<ViewInstallation>(&self.principal, self.installation)
                    .await
                    .is_ok();
                if !still {
                    self.ended = true;
                }
                return None;
            }
            Event::AccessGranted { .. } => return None,
            _ => {}
        }
        if self.charger.is_some() && event.charger() != self.charger {
            return None;
        }
        let charger = event.charger()?;
        match event {
            Event::MeterReading {
                connector,
                power_w,
                current,
                energy_wh,
                ..
            } => {
                let tr = self.tr;
                let session = self
                    .running
                    .iter()
                    .find(|s| s.charger_id == charger && s.connector_id == connector as i32);
                let power = power_w
                    .filter(|_| session.is_some())
                    .map(|w| format!("{} kW", words::decimal(tr, w / 1000.0, 1)));
                let current = session.and(current.iter().any(Option::is_some).then(|| {
                    let phases: Vec<String> = current
                        .iter()
                        .map(|a| a.map_or("–".into(), |a| words::decimal(tr, a, 1)))
                        .collect();
                    format!("{} A", phases.join(" / "))
                }));
                let energy = match (session, energy_wh) {
                    (Some(session), Some(wh)) => {
                        let kwh = ((wh - session.meter_start as f64) / 1000.0).max(0.0);
                        Some(format!("{} kWh", words::decimal(tr, kwh, 1)))
                    }
                    _ => None,
                };
                let data = json!({
                    "charger": charger, "connector": connector,
                    "power": power, "current": current, "energy": energy,
                });
                Some(SseEvent::default().event("meter").data(data.to_string()))
            }
            Event::SessionStarted { .. } | Event::SessionEnded { .. } => {
                if let Ok(running) = self.app.store.running_sessions(self.installation).await {
                    self.running = running;
                }
                Some(refresh(charger))
            }
            _ => Some(refresh(charger)),
        }
    }
}

fn refresh(charger: ChargerId) -> SseEvent {
    SseEvent::default()
        .event("refresh")
        .data(json!({ "charger": charger }).to_string())
}

fn updates(watch: Watch) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    stream::unfold(watch, |mut watch| async move {
        loop {
            if watch.ended {
                return None;
            }
            match watch.events.recv().await {
                Ok(event) => {
                    if let Some(message) = watch.message(event).await {
                        return Some((Ok(message), watch));
                    }
                }
                // Fell behind: the page catches up by fetching itself.
                Err(RecvError::Lagged(_)) => {
                    let message = SseEvent::default().event("refresh").data("{}");
                    return Some((Ok(message), watch));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

async fn live(
    State(app): State<AppState>,
    auth: AuthUser,
    PathId(id): PathId<InstallationId>,
    Query(query): Query<LiveQuery>,
) -> Result<Response, AppError> {
    let principal = auth.principal();
    app.installation::<ViewInstallation>(&principal, id).await?;
    if let Some(charger) = query.charger {
        let found = app.store.charger(charger).await?;
        if found.is_none_or(|c| c.installation_id != id) {
            return Err(AppError::NotFound);
        }
    }
    // Subscribe before reading, so nothing between the two is missed.
    let events = app.events.subscribe();
    let running = app.store.running_sessions(id).await?;
    let watch = Watch {
        tr: Tr(auth.visit.lang),
        app,
        principal,
        installation: id,
        charger: query.charger,
        events,
        running,
        ended: false,
    };
    Ok(Sse::new(updates(watch))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
