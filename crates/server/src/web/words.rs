//! What the portal says about chargers, in the reader's language: connector states, command outcomes,
//! limits, durations.

use chrono::{DateTime, Utc};
use voltgate_store::{ConnectorLimit, ConnectorState, RunningSession};

use crate::charging::commands::CommandResult;
use crate::i18n::Tr;
use voltgate_domain::text::reported;

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

/// Why a limit did not arrive, in the reader's language: the balancer stores a code; rows written
/// before codes hold the English sentence, which is recognised too.
pub fn problem(tr: Tr, stored: &str) -> String {
    use crate::charging::balance::{PROBLEM_OFFLINE, PROBLEM_REJECTED, PROBLEM_UNCONFIRMED};
    match stored {
        PROBLEM_REJECTED | "The charger rejected its current limit." => tr.t(PROBLEM_REJECTED),
        PROBLEM_OFFLINE | "The charger is offline; its current limit was not sent." => {
            tr.t(PROBLEM_OFFLINE)
        }
        PROBLEM_UNCONFIRMED | "The charger did not confirm its current limit." => {
            tr.t(PROBLEM_UNCONFIRMED)
        }
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

/// What came of a command, in a sentence.
pub fn outcome(tr: Tr, result: &CommandResult) -> String {
    let message = match result {
        Ok(outcome) => outcome.message(),
        Err(failure) => failure.message(),
    };
    let args: Vec<(&str, String)> = message
        .args
        .iter()
        .map(|(name, value)| (*name, value.clone()))
        .collect();
    said(tr, message.id, &args)
}

/// A command's outcome as the audit log stored it, in a sentence: a code with arguments
/// (`{"id": "outcome-answered", "args": {"status": "Accepted"}}`), or, in rows written before codes,
/// the English sentence itself. `None` when no outcome was stored.
pub fn stored_outcome(tr: Tr, stored: &serde_json::Value) -> Option<String> {
    match stored {
        serde_json::Value::String(sentence) => Some(reported(sentence).into_owned()),
        serde_json::Value::Object(code) => {
            let id = code.get("id")?.as_str()?;
            let args: Vec<(&str, String)> = code
                .get("args")
                .and_then(serde_json::Value::as_object)
                .map(|args| {
                    args.iter()
                        .filter_map(|(name, value)| {
                            Some((name.as_str(), value.as_str()?.to_owned()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(said(tr, id, &args))
        }
        _ => None,
    }
}

/// The outcome codes a command can store, so a stored id is only ever looked up among these.
const OUTCOME_IDS: &[&str] = &[
    "outcome-answered",
    "outcome-limit-accepted",
    "outcome-limit-rejected",
    "outcome-limit-offline",
    "outcome-limit-unknown",
    "outcome-limit-none",
    "outcome-ended",
    "outcome-offline",
    "outcome-expired",
    "outcome-busy",
    "outcome-timeout",
    "outcome-disconnected",
    "outcome-refused",
    "outcome-no-answer",
    "outcome-nothing-charging",
    "outcome-no-session",
    "outcome-not-recorded",
];

/// An outcome code with its arguments in the reader's language; a charger's own words are cleaned.
fn said(tr: Tr, id: &str, args: &[(&str, String)]) -> String {
    let arg = |name: &str| {
        args.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    match id {
        "outcome-answered" => {
            let word = match arg("status") {
                "Accepted" => tr.t("answer-accepted"),
                "Rejected" => tr.t("answer-rejected"),
                "RebootRequired" => tr.t("answer-reboot-required"),
                "NotSupported" => tr.t("answer-not-supported"),
                "Scheduled" => tr.t("answer-scheduled"),
                "Unlocked" => tr.t("answer-unlocked"),
                "UnlockFailed" => tr.t("answer-unlock-failed"),
                other => reported(other).into_owned(),
            };
            tr.with("outcome-answered", &[("answer", &word)])
        }
        "outcome-refused" => tr.with("outcome-refused", &[("why", reported(arg("why")).as_ref())]),
        known if OUTCOME_IDS.contains(&known) => tr.t(known),
        _ => tr.t("outcome-no-answer"),
    }
}

/// Whether a stored outcome means the charger did what was asked (`Some(true)`), refused it
/// (`Some(false)`) or gave no answer (`None`), for the audit log's outcome column.
pub fn outcome_accepted(stored: &serde_json::Value) -> Option<bool> {
    match stored {
        serde_json::Value::String(said)
            if said.contains("Rejected") || said.contains("rejected") =>
        {
            Some(false)
        }
        serde_json::Value::String(said) if said.starts_with("No result") => None,
        serde_json::Value::String(_) => Some(true),
        serde_json::Value::Object(code) => match code.get("id")?.as_str()? {
            "outcome-answered" => {
                let status = code.get("args")?.get("status")?.as_str()?;
                Some(!matches!(
                    status,
                    "Rejected" | "UnlockFailed" | "NotSupported"
                ))
            }
            "outcome-limit-accepted" | "outcome-limit-none" | "outcome-ended" => Some(true),
            "outcome-limit-rejected" | "outcome-refused" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use serde_json::json;

    #[test]
    fn stored_codes_are_said_in_the_readers_language() {
        let code = json!({"id": "outcome-answered", "args": {"status": "Unlocked"}});
        let english = stored_outcome(Tr(Lang::En), &code).unwrap();
        let german = stored_outcome(Tr(Lang::De), &code).unwrap();
        assert_eq!(english, "The charger answered: unlocked.");
        assert_ne!(german, english);
        assert_eq!(outcome_accepted(&code), Some(true));
        let refused = json!({"id": "outcome-limit-rejected"});
        assert_eq!(outcome_accepted(&refused), Some(false));
        assert_eq!(outcome_accepted(&json!({"id": "outcome-timeout"})), None);
    }

    #[test]
    fn old_sentences_stay_readable_and_unknown_codes_say_nothing_false() {
        let old = json!("The charger answered: Rejected.");
        assert_eq!(
            stored_outcome(Tr(Lang::De), &old).as_deref(),
            Some("The charger answered: Rejected.")
        );
        assert_eq!(outcome_accepted(&old), Some(false));
        assert_eq!(outcome_accepted(&json!("No result: offline.")), None);
        let forged = json!({"id": "nav-groups"});
        assert_eq!(
            stored_outcome(Tr(Lang::En), &forged),
            Some(Tr(Lang::En).t("outcome-no-answer"))
        );
        assert_eq!(stored_outcome(Tr(Lang::En), &json!(null)), None);
    }

    #[test]
    fn problems_read_codes_and_the_old_sentences() {
        let tr = Tr(Lang::Nb);
        assert_eq!(
            problem(tr, "limit-rejected"),
            problem(tr, "The charger rejected its current limit.")
        );
        assert_ne!(problem(tr, "limit-offline"), "limit-offline");
    }
}
