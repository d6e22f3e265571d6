//! The one API every engine implements.

use async_trait::async_trait;

use crate::error::Result;

/// Everything voltgate keeps. Every multi-row change runs in one transaction, and every change that
/// people make to installations or groups writes its audit event in that same transaction.
///
/// Every write that changes an installation or a group takes the capability that proves the change
/// was authorized ([`voltgate_domain::Authorized`]); the id it changes and the actor the audit log names come from that
/// capability, never from a separate argument.
///
/// The methods live in one trait per concern (accounts, installations, groups and grants, audit logs,
/// chargers, tokens, history and reports); `Store` is all of them with the few that concern the
/// service itself.
#[async_trait]
pub trait Store:
    crate::chargers::ChargerStore
    + crate::tokens::TokenStore
    + crate::partners::PartnerStore
    + crate::history::HistoryStore
    + crate::accounts::AccountStore
    + crate::installations::InstallationStore
    + crate::groups::GroupStore
    + crate::audit::AuditStore
    + crate::history::ReportStore
    + crate::webhooks::WebhookStore
    + Send
    + Sync
    + 'static
{
    /// Answers when the database answers.
    async fn ping(&self) -> Result<()>;

    /// The secret named `name` that every process shares; the first process to ask stores
    /// `candidate`, and every later ask answers that one.
    async fn shared_secret(&self, name: &str, candidate: &str) -> Result<String>;
    /// How many browser sessions are stored.
    async fn browser_sessions(&self) -> Result<i64>;
}
