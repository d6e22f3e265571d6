//! What the portal says about chargers, in the reader's language: connector states, command outcomes,
//! limits, durations.

use chrono::{DateTime, Utc};
use voltgate_ocpp::CommandError;
use voltgate_store::{ConnectorLimit, ConnectorState, RunningSession};

use crate::charging::commands::{CommandFailure, CommandResult};
use crate::charging::CommandOutcome;
use crate::i18n::Tr;
use voltgate_domain::balancing::Delivery;

/// A connector's state: the words, an icon and a tone for the card's colour.
pub struct StateWords {
    pub text: String,
    pub icon: &'static str,
    pub tone: &'static str,
}

/// The state of a connector in words. `paused` is a pause by a person (the session's flag).
pub fn connector_state(tr: Tr, state: &ConnectorState, paused: bool) -> StateWords {
    let (id, icon, tone) = match state.status.as_str() {
        "Available" => ("state-available", "○", "idle"),
        "Preparing" => ("state-preparing", "◔", "busy"),
        "Charging" => ("state-charging", "⚡", "charging"),
        "SuspendedEVSE" if paused => ("state-paused-you", "⏸", "paused"),
        "SuspendedEVSE" => ("state-paused-limit", "⏸", "paused"),
        "SuspendedEV" if paused => ("state-paused-you", "⏸", "paused"),
        "SuspendedEV" => ("state-paused-car", "⏸", "paused"),
        "Finishing" => ("state-finishing", "◕", "busy"),
        "Reserved" => ("state-reserved", "◷", "busy"),
        "Faulted" => ("state-faulted", "⚠", "fault"),
        "Unavailable" => ("state-unavailable", "⊘", "off"),
        _ => ("state-unknown", "?", "off"),
    };
    StateWords {
        text: tr.t(id),
        icon,
        tone,
    }
}

/// "3 h 12 min", "5 min", "< 1 min".
pub fn duration(tr: Tr, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let minutes = (to - from).num_minutes().max(0);
    match (minutes / 60, minutes % 60) {
        (0, 0) => tr.t("duration-under-minute"),
        (0, m) => tr.with("duration-minutes", &[("m", &m.to_string())]),
        (h, m) => tr.with(
            "duration-hours",
            &[("h", &h.to_string()), ("m", &m.to_string())],
        ),
    }
}

/// A number with one decimal in the reader's convention (a decimal comma in German and Norwegian).
pub fn decimal(tr: Tr, value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    match tr.0 {
        crate::i18n::Lang::En => text,
        _ => text.replace('.', ","),
    }
}

/// Energy charged in a running session, in kWh, from the meter.
pub fn session_energy(tr: Tr, session: &RunningSession, state: &ConnectorState) -> Option<String> {
    let wh = state.energy_wh?;
    let kwh = ((wh - session.meter_start as f64) / 1000.0).max(0.0);
    Some(format!("{} kWh", decimal(tr, kwh, 1)))
}

/// What a connector is charging now: "session #12, 3.4 kWh".
pub fn session_label(tr: Tr, session: &RunningSession, state: &ConnectorState) -> String {
    let energy = session_energy(tr, session, state).unwrap_or_else(|| "—".into());
    tr.with(
        "session-label",
        &[
            ("number", &session.transaction.to_string()),
            ("energy", &energy),
        ],
    )
}

/// Why a limit did not arrive, stored in English by the balancer, in the reader's language.
pub fn problem(tr: Tr, stored: &str) -> String {
    match stored {
        "The charger rejected its current limit." => tr.t("limit-rejected"),
        "The charger is offline; its current limit was not sent." => tr.t("limit-offline"),
        "The charger did not confirm its current limit." => tr.t("limit-unconfirmed"),
        other => other.to_owned(),
    }
}

/// "Limit 16.0 A", or why the limit did not arrive.
pub fn limit_line(tr: Tr, limit: &ConnectorLimit) -> Option<String> {
    let amps = limit.tx_accepted.or(limit.default_accepted);
    let problem = limit.problem.as_deref().map(|p| problem(tr, p));
    Some(match (amps, problem) {
        (Some(amps), None) => tr.with("limit-amps", &[("amps", &decimal(tr, amps, 1))]),
        (Some(amps), Some(problem)) => format!(
            "{} ({problem})",
            tr.with("limit-amps", &[("amps", &decimal(tr, amps, 1))])
        ),
        (None, Some(problem)) => problem,
        (None, None) => return None,
    })
}

fn command_error(tr: Tr, error: &CommandError) -> String {
    match error {
        CommandError::Offline => tr.t("outcome-offline"),
        CommandError::Expired => tr.t("outcome-expired"),
        CommandError::Busy => tr.t("outcome-busy"),
        CommandError::Timeout(_) => tr.t("outcome-timeout"),
        CommandError::Dropped | CommandError::Disconnected | CommandError::Replaced => {
            tr.t("outcome-disconnected")
        }
        CommandError::Refused(code, description) => {
            let why = format!("{} {description}", code.as_str());
            tr.with(
                "outcome-refused",
                &[("why", voltgate_domain::text::reported(why.trim()).as_ref())],
            )
        }
        _ => tr.t("outcome-no-answer"),
    }
}

/// What came of a command, in a sentence.
pub fn outcome(tr: Tr, result: &CommandResult) -> String {
    match result {
        Ok(CommandOutcome::Answered(answer)) => {
            let status = answer.summary();
            let word = match status.as_str() {
                "Accepted" => tr.t("answer-accepted"),
                "Rejected" => tr.t("answer-rejected"),
                "RebootRequired" => tr.t("answer-reboot-required"),
                "NotSupported" => tr.t("answer-not-supported"),
                "Scheduled" => tr.t("answer-scheduled"),
                "Unlocked" => tr.t("answer-unlocked"),
                "UnlockFailed" => tr.t("answer-unlock-failed"),
                other => voltgate_domain::text::reported(other).into_owned(),
            };
            tr.with("outcome-answered", &[("answer", &word)])
        }
        Ok(CommandOutcome::Limit(Some(Delivery::Accepted))) => tr.t("outcome-limit-accepted"),
        Ok(CommandOutcome::Limit(Some(Delivery::Rejected))) => tr.t("outcome-limit-rejected"),
        Ok(CommandOutcome::Limit(Some(Delivery::NotSent))) => tr.t("outcome-limit-offline"),
        Ok(CommandOutcome::Limit(Some(Delivery::Unknown))) => tr.t("outcome-limit-unknown"),
        Ok(CommandOutcome::Limit(None)) => tr.t("outcome-limit-none"),
        Ok(CommandOutcome::Ended) => tr.t("outcome-ended"),
        Err(CommandFailure::Charger(error)) => command_error(tr, error),
        Err(CommandFailure::NothingCharging(_)) => tr.t("outcome-nothing-charging"),
        Err(CommandFailure::NoSuchSession(_)) => tr.t("outcome-no-session"),
        Err(CommandFailure::Store(_)) => tr.t("outcome-not-recorded"),
    }
}
