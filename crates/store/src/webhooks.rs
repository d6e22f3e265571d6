//! Signed webhooks of user groups: their endpoints, the outbox of deliveries that the changes causing
//! them write in their own transaction, and every attempt to deliver.
//!
//! Events reach every endpoint that subscribed to their type, of the group they are about (access
//! events) or of every group holding a grant in force on the installation (sessions, chargers). A worker claims
//! due deliveries with a lease ([`WebhookStore::claim_webhook_deliveries`]; `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so several processes never claim one twice), sends them and records the outcome.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;
use uuid::Uuid;
use voltgate_domain::authz::ManageGroup;
use voltgate_domain::webhook::{DeliveryShares, WebhookEvent, WebhookEvents, WebhookUrl};
use voltgate_domain::{Authorized, ChargerId, GroupId, InstallationId};

use crate::error::Result;

/// Something that happened which webhooks tell about: built by the store inside the transaction of
/// the change, or handed to [`WebhookStore::notify`].
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookNotice {
    /// The event's id, the same in every endpoint's delivery.
    pub id: Uuid,
    pub kind: WebhookEvent,
    pub occurred_at: DateTime<Utc>,
    pub installation: InstallationId,
    /// Only this group's endpoints (access events); `None`: every group holding a grant on the
    /// installation.
    pub group: Option<GroupId>,
    /// The event's details (`data` in the payload).
    pub data: serde_json::Value,
}

impl WebhookNotice {
    /// A new event of `kind` on `installation`, now.
    pub fn new(kind: WebhookEvent, installation: InstallationId, data: serde_json::Value) -> Self {
        Self {
            id: Uuid::new_v4(),
            kind,
            occurred_at: Utc::now(),
            installation,
            group: None,
            data,
        }
    }

    /// The same event, for one group's endpoints only.
    pub fn for_group(mut self, group: GroupId) -> Self {
        self.group = Some(group);
        self
    }

    /// The body that is signed and sent: `{id, type, occurredAt, installationId, data}`.
    pub fn body(&self) -> String {
        json!({
            "id": self.id,
            "type": self.kind.as_str(),
            "occurredAt": self.occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "installationId": self.installation,
            "data": self.data,
        })
        .to_string()
    }
}

/// A new endpoint as its owner entered it, with the secret made for it.
#[derive(Clone, Debug)]
pub struct NewWebhookEndpoint {
    pub url: WebhookUrl,
    pub events: WebhookEvents,
    /// Signs the deliveries; shown once to the owner, never logged.
    pub secret: String,
}

/// An endpoint as its group's owners see it (without its secret).
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookEndpoint {
    pub id: Uuid,
    pub group: GroupId,
    pub url: String,
    pub events: WebhookEvents,
    pub created_at: DateTime<Utc>,
    /// Until when the previous secret also signs, during a rotation.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// When it was disabled for failing, and why.
    pub disabled: Option<(DateTime<Utc>, String)>,
}

/// One attempt to deliver an event.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookAttempt {
    pub endpoint: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub at: DateTime<Utc>,
    pub duration_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// Why there was no answer (or why it was refused), when there was none.
    pub error: Option<String>,
}

/// A delivery a worker claimed: what to send where, and the secrets that sign it.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    pub id: i64,
    pub endpoint: Uuid,
    pub url: String,
    pub event_id: Uuid,
    pub event_type: String,
    pub body: String,
    /// When the event was enqueued (retries stop a window after it).
    pub created_at: DateTime<Utc>,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The current secret, then the previous one while its overlap lasts.
    pub secrets: Vec<String>,
}

/// What became of a delivery attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Retries are used up: the delivery fails and its endpoint is disabled for this reason.
    GiveUp(String),
}

/// An attempt, as the worker records it.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRecord {
    pub delivery: i64,
    pub attempt: WebhookAttempt,
    pub outcome: DeliveryOutcome,
}

/// Webhook endpoints, the outbox and delivery attempts.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Adds an endpoint to a group (audited).
    async fn create_webhook(
        &self,
        on: &Authorized<ManageGroup>,
        new: &NewWebhookEndpoint,
    ) -> Result<WebhookEndpoint>;
    /// A group's endpoints, oldest first.
    async fn webhooks(&self, on: &Authorized<ManageGroup>) -> Result<Vec<WebhookEndpoint>>;
    /// Removes a group's endpoint with its pending deliveries (audited); `NotFound` if it has none
    /// with this id.
    async fn delete_webhook(&self, on: &Authorized<ManageGroup>, id: Uuid) -> Result<()>;
    /// Gives an endpoint a new secret; the current one keeps signing as well until `overlap_until`.
    /// A disabled endpoint is enabled again. Audited; `NotFound` as for [`Self::delete_webhook`].
    /// Answers the endpoint's URL.
    async fn rotate_webhook_secret(
        &self,
        on: &Authorized<ManageGroup>,
        id: Uuid,
        secret: &str,
        overlap_until: DateTime<Utc>,
    ) -> Result<String>;
    /// The latest attempts to deliver to a group's endpoints, newest first.
    async fn webhook_attempts(
        &self,
        on: &Authorized<ManageGroup>,
        limit: i64,
    ) -> Result<Vec<WebhookAttempt>>;

    /// Enqueues an event in its own transaction (for events no store write causes).
    async fn notify(&self, notice: &WebhookNotice) -> Result<()>;
    /// Enqueues `charger.online` or `charger.offline` for a charger's installation.
    async fn charger_presence(&self, charger: ChargerId, online: bool) -> Result<()>;

    /// Claims up to `room` due deliveries of enabled endpoints for `lease`: no other worker gets
    /// them until the lease ends (a worker that dies loses its claims then). Shared fairly
    /// ([`fair_share`](voltgate_domain::webhook::fair_share)): every group with something due gets
    /// one before any gets a second, and no endpoint or group gets more than `shares` in flight.
    async fn claim_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        room: usize,
        shares: DeliveryShares,
    ) -> Result<Vec<DueDelivery>>;
    /// Records an attempt and its outcome, in one transaction.
    async fn record_webhook_attempt(&self, record: &AttemptRecord) -> Result<()>;
}
