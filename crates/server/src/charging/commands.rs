//! The one path every command to a charger takes, for the portal and the API alike: given the proven
//! right to control the charger, the actor and a typed command, it writes the audit event before
//! anything is sent (who, through which group, what), sends with the command's own deadline, adds the
//! outcome to the event, and returns a typed result. A command whose audit event cannot be written is
//! not sent.

use rust_ocpp::v1_6::types::MessageTrigger;
use serde_json::{json, Value};
use voltgate_domain::authz::{ChargerRight, Right};
use voltgate_domain::balancing::{Delivery, Purpose};
use voltgate_domain::text::reported;
use voltgate_domain::{Action, Authorized, ChargerId, InstallationAccess, Message, Principal};
use voltgate_ocpp::{Answer, Command, CommandError};
use voltgate_store::{Charger, CommandAudit, Store, StoreError};

use super::Charging;
use crate::authz;
use crate::error::AppError;
use crate::events::Event;

/// The right to send commands to one charger: the capability to control or to configure its
/// installation's chargers, tied to a charger of that installation. Which of the two it holds decides
/// which commands [`Charging::send_command`] sends.
#[derive(Clone, Debug)]
pub struct ChargerControl {
    on: ChargerRight,
    charger: Charger,
}

impl ChargerControl {
    /// The right to command `charger`, from a capability on its installation; 404 for a charger of
    /// another installation.
    pub fn new(on: impl Into<ChargerRight>, charger: Charger) -> Result<Self, AppError> {
        let on = on.into();
        if charger.installation_id != on.id() {
            return Err(AppError::NotFound);
        }
        Ok(Self { on, charger })
    }

    /// The charger, if `principal` may do `R` (control or configure) on it: 404 when they have no
    /// relation to its installation, 403 when they may not.
    pub async fn check<R>(
        store: &dyn Store,
        principal: &Principal,
        charger: ChargerId,
    ) -> Result<Self, AppError>
    where
        R: Right<Facts = InstallationAccess>,
        Authorized<R>: Into<ChargerRight>,
    {
        let charger = store.charger(charger).await?.ok_or(AppError::NotFound)?;
        let (_, on) = authz::installation::<R>(store, principal, charger.installation_id).await?;
        Self::new(on, charger)
    }

    /// The charger commanded.
    pub fn charger(&self) -> &Charger {
        &self.charger
    }

    /// The capability it rests on.
    pub fn capability(&self) -> &ChargerRight {
        &self.on
    }
}

/// What a person or integration may ask of a charger.
#[derive(Clone, Debug, PartialEq)]
pub enum ChargerCommand {
    /// An OCPP command, sent as it is.
    Ocpp(Command),
    /// Pause the session on a connector: 0 A, and its share of the current goes to others.
    Pause { connector: u32 },
    /// Let a paused session charge again, when its turn comes.
    Resume { connector: u32 },
    /// End a session the charger never reported stopped, with the last meter reading known.
    EndSession { transaction: i32 },
}

impl ChargerCommand {
    /// The command's name in the audit log.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ocpp(command) => command.action(),
            Self::Pause { .. } => "Pause",
            Self::Resume { .. } => "Resume",
            Self::EndSession { .. } => "EndSession",
        }
    }

    /// The particulars for the audit log; a file location's password is not written down.
    fn request(&self) -> Value {
        match self {
            Self::Ocpp(command) => {
                let mut payload = command.payload();
                if let Some(Value::String(location)) = payload.get_mut("location") {
                    *location = without_password(location);
                }
                payload
            }
            Self::Pause { connector } | Self::Resume { connector } => {
                json!({ "connectorId": connector })
            }
            Self::EndSession { transaction } => json!({ "transactionId": transaction }),
        }
    }

    /// Which right the command needs: configuring for what changes a charger's settings, configuration
    /// or charging limits (and reading its configuration), controlling for the rest.
    pub fn needs(&self) -> Action {
        match self {
            Self::Ocpp(
                Command::GetConfiguration(_)
                | Command::ChangeConfiguration(_)
                | Command::SetChargingProfile(_)
                | Command::ClearChargingProfile(_)
                | Command::GetCompositeSchedule(_)
                | Command::ClearCache(_)
                | Command::GetLocalListVersion(_)
                | Command::SendLocalList(_)
                | Command::UpdateFirmware(_)
                | Command::GetDiagnostics(_)
                | Command::DataTransfer(_),
            ) => Action::ConfigureChargers,
            Self::Ocpp(
                Command::RemoteStartTransaction(_)
                | Command::RemoteStopTransaction(_)
                | Command::Reset(_)
                | Command::UnlockConnector(_)
                | Command::ChangeAvailability(_)
                | Command::TriggerMessage(_),
            )
            | Self::Pause { .. }
            | Self::Resume { .. }
            | Self::EndSession { .. } => Action::ControlChargers,
        }
    }

    /// A TriggerMessage for the status of every connector.
    pub fn refresh_status() -> Self {
        Self::Ocpp(Command::TriggerMessage(
            rust_ocpp::v1_6::messages::trigger_message::TriggerMessageRequest {
                requested_message: MessageTrigger::StatusNotification,
                connector_id: None,
            },
        ))
    }
}

/// A URL with any password replaced by `***`.
fn without_password(location: &str) -> String {
    match url::Url::parse(location) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => location.to_owned(),
    }
}

/// What a command achieved.
#[derive(Clone, Debug, PartialEq)]
pub enum CommandOutcome {
    /// The charger's answer to an OCPP command.
    Answered(Answer),
    /// What became of the connector's new limit (pause, resume); `None` when none had to be sent.
    Limit(Option<Delivery>),
    /// The session was ended.
    Ended,
}

impl CommandOutcome {
    /// The outcome as a catalogue code with arguments (`outcome-answered`, status `Accepted`); the
    /// portal translates it, the audit log stores it (see [`message_json`]).
    pub fn message(&self) -> Message {
        match self {
            Self::Answered(answer) => {
                Message::new("outcome-answered").arg("status", reported(&answer.summary()))
            }
            Self::Limit(Some(Delivery::Accepted)) => Message::new("outcome-limit-accepted"),
            Self::Limit(Some(Delivery::Rejected)) => Message::new("outcome-limit-rejected"),
            Self::Limit(Some(Delivery::NotSent)) => Message::new("outcome-limit-offline"),
            Self::Limit(Some(Delivery::Unknown)) => Message::new("outcome-limit-unknown"),
            Self::Limit(None) => Message::new("outcome-limit-none"),
            Self::Ended => Message::new("outcome-ended"),
        }
    }
}

/// A code as the audit log stores it: `{"id": …, "args": {name: value}}`.
pub fn message_json(message: &Message) -> Value {
    let args: serde_json::Map<String, Value> = message
        .args
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Value::String(value.clone())))
        .collect();
    json!({ "id": message.id, "args": args })
}

/// Why a command achieved nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommandFailure {
    /// The charger gave no usable answer.
    #[error("{0}")]
    Charger(#[from] CommandError),
    /// There is no running session to act on.
    #[error("nothing is charging on connector {0}")]
    NothingCharging(u32),
    /// That session is not running on this charger.
    #[error("session {0} is not running on this charger")]
    NoSuchSession(i32),
    /// The capability does not cover this command (the right to control does not configure, nor the
    /// other way round); nothing was sent.
    #[error("no right to send this command")]
    NotPermitted,
    /// The store failed; nothing was sent.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CommandFailure {
    /// The failure as a catalogue code with arguments (what the charger said is cleaned).
    pub fn message(&self) -> Message {
        match self {
            Self::Charger(error) => match error {
                CommandError::Offline => Message::new("outcome-offline"),
                CommandError::Expired => Message::new("outcome-expired"),
                CommandError::Busy => Message::new("outcome-busy"),
                CommandError::Timeout(_) => Message::new("outcome-timeout"),
                CommandError::Dropped | CommandError::Disconnected | CommandError::Replaced => {
                    Message::new("outcome-disconnected")
                }
                CommandError::Refused(code, description) => {
                    let why = format!("{} {description}", code.as_str());
                    Message::new("outcome-refused").arg("why", reported(why.trim()))
                }
                _ => Message::new("outcome-no-answer"),
            },
            Self::NothingCharging(_) => Message::new("outcome-nothing-charging"),
            Self::NoSuchSession(_) => Message::new("outcome-no-session"),
            Self::NotPermitted => Message::new("outcome-not-permitted"),
            Self::Store(_) => Message::new("outcome-not-recorded"),
        }
    }
}

/// What a command returns.
pub type CommandResult = Result<CommandOutcome, CommandFailure>;

impl Charging {
    /// Audits, sends and records one command; see the module's documentation. The actor the audit log
    /// names is the capability's principal.
    pub async fn send_command(
        &self,
        control: &ChargerControl,
        command: ChargerCommand,
    ) -> CommandResult {
        if !control.capability().allows(command.needs()) {
            return Err(CommandFailure::NotPermitted);
        }
        let charger = control.charger();
        let mut request = command.request();
        if let Some(connector) = self.stopped_connector(charger, &command).await {
            request["connectorId"] = json!(connector);
        }
        let audit = CommandAudit {
            command: command.name().to_owned(),
            request,
        };
        let event = self
            .store
            .begin_charger_command(control.capability(), charger, &audit)
            .await?;
        let result = self.carry_out(charger, command).await;
        let said = message_json(&match &result {
            Ok(outcome) => outcome.message(),
            Err(failure) => failure.message(),
        });
        if let Err(error) = self
            .store
            .finish_charger_command(event, charger, &audit, &said)
            .await
        {
            tracing::error!(%error, event, "a command's outcome could not be added to its audit event");
        }
        result
    }

    /// For the audit log's "Stopped charging on Carport left, connector 1": the connector of the
    /// session a RemoteStopTransaction or EndSession names, when it is running on this charger.
    async fn stopped_connector(&self, charger: &Charger, command: &ChargerCommand) -> Option<i32> {
        let transaction = match command {
            ChargerCommand::Ocpp(Command::RemoteStopTransaction(stop)) => stop.transaction_id,
            ChargerCommand::EndSession { transaction } => *transaction,
            _ => return None,
        };
        let running = self
            .store
            .running_sessions(charger.installation_id)
            .await
            .ok()?;
        running
            .iter()
            .find(|s| s.charger_id == charger.id && s.transaction == transaction)
            .map(|s| s.connector_id)
    }

    async fn carry_out(&self, charger: &Charger, command: ChargerCommand) -> CommandResult {
        match command {
            ChargerCommand::Ocpp(command) => Ok(CommandOutcome::Answered(
                self.routes
                    .call(charger.id, &charger.identity, command, self.command_timeout)
                    .await?,
            )),
            ChargerCommand::Pause { connector } => self.pause(charger, connector, true).await,
            ChargerCommand::Resume { connector } => self.pause(charger, connector, false).await,
            ChargerCommand::EndSession { transaction } => {
                if !self.store.end_session(charger.id, transaction).await? {
                    return Err(CommandFailure::NoSuchSession(transaction));
                }
                self.events.publish(Event::SessionEnded {
                    installation: charger.installation_id,
                    charger: charger.id,
                    transaction,
                    confirmed: false,
                    at: chrono::Utc::now(),
                });
                self.rebalance(charger.installation_id);
                Ok(CommandOutcome::Ended)
            }
        }
    }

    /// Pauses or resumes the session on a connector, and waits for the rebalance it causes.
    async fn pause(&self, charger: &Charger, connector: u32, paused: bool) -> CommandResult {
        let running = self.store.running_sessions(charger.installation_id).await?;
        let session = running
            .iter()
            .rfind(|s| s.charger_id == charger.id && s.connector_id == connector as i32)
            .ok_or(CommandFailure::NothingCharging(connector))?;
        self.store
            .set_session_paused(charger.id, session.transaction, paused)
            .await?;
        let report = self.balancer.request(charger.installation_id);
        let wait = self.command_timeout * 2 + std::time::Duration::from_secs(2);
        let report = match tokio::time::timeout(wait, report).await {
            Ok(Ok(report)) => report,
            _ => return Err(CommandError::Timeout(wait).into()),
        };
        let key = (charger.id, connector);
        let delivery = report
            .delivery(key, Purpose::Tx)
            .or_else(|| report.delivery(key, Purpose::Default))
            .cloned();
        Ok(CommandOutcome::Limit(delivery))
    }
}
