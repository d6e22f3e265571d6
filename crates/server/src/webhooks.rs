//! Sending webhooks: a background worker claims due deliveries from the outbox, signs them the way
//! Stripe does (`t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`, one `v1=` per valid secret),
//! POSTs them with a 5 s timeout to an address it resolved and checked itself (SSRF), and records
//! each attempt; failures are retried with exponential back-off until the retry window is over, then
//! the endpoint is disabled with the reason.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use voltgate_domain::webhook::{forbidden_target, DeliveryShares, RetryPolicy};
use voltgate_store::{AttemptRecord, DeliveryOutcome, DueDelivery, Store, WebhookAttempt};

/// The header carrying the event's id (the same in every retry: receivers drop duplicates by it).
pub const EVENT_ID_HEADER: &str = "Voltgate-Event-Id";
/// The header carrying the event's type.
pub const EVENT_TYPE_HEADER: &str = "Voltgate-Event-Type";
/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Voltgate-Signature";
/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The shortest a claim lasts: over the timeout, so a living worker never loses its claim.
pub const MIN_CLAIM_LEASE: Duration = Duration::from_secs(TIMEOUT.as_secs() + 1);
/// Deliveries one process sends at once.
const IN_FLIGHT: usize = 32;

/// A new endpoint secret: `whsec_` and 32 random bytes in hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signature header's value for `body` sent at `timestamp` (Unix seconds), signed with each
/// secret (the current one first).
pub fn signature(secrets: &[String], timestamp: i64, body: &str) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            continue;
        };
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        header.push_str(",v1=");
        header.push_str(&hex(&mac.finalize().into_bytes()));
    }
    header
}

/// How the worker behaves.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    pub retry: RetryPolicy,
    /// Whether private, loopback and link-local targets may be called (development).
    pub allow_private_targets: bool,
    /// How long a claim lasts (at least [`MIN_CLAIM_LEASE`]): after it, a delivery whose worker died
    /// is due again.
    pub claim_lease: Duration,
    /// Root certificates trusted for https endpoints besides the Mozilla roots (`--webhook-root-ca`).
    pub extra_roots: Arc<[reqwest::Certificate]>,
}

/// Sends the outbox's deliveries until dropped (the task is aborted on shutdown, and the sends in
/// flight with it: their claims lapse and another worker sends them). Up to [`IN_FLIGHT`] at once,
/// each on its own task, so a receiver that takes its full timeout holds up no other delivery; a
/// claim is made whenever a send ends or the idle wait is over, shared fairly between groups and
/// endpoints ([`DeliveryShares`]).
pub async fn run_worker(store: Arc<dyn Store>, settings: WorkerSettings) {
    let idle = settings
        .retry
        .base
        .clamp(Duration::from_millis(50), Duration::from_secs(1));
    let lease = settings.claim_lease.max(MIN_CLAIM_LEASE);
    let mut sending = tokio::task::JoinSet::new();
    loop {
        while sending.try_join_next().is_some() {}
        let room = IN_FLIGHT.saturating_sub(sending.len());
        let claimed = store
            .claim_webhook_deliveries(Utc::now(), lease, room, DeliveryShares::default())
            .await;
        let due = match claimed {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "could not claim webhook deliveries");
                Vec::new()
            }
        };
        let filled = room > 0 && due.len() == room;
        for delivery in due {
            let (store, settings) = (store.clone(), settings.clone());
            sending.spawn(async move {
                let record = attempt(&delivery, &settings).await;
                if let Err(error) = store.record_webhook_attempt(&record).await {
                    tracing::warn!(%error, delivery = delivery.id, "could not record a webhook attempt");
                }
            });
        }
        if filled {
            continue;
        }
        // Wait for a send to end (its endpoint may take another) or for the next look.
        tokio::select! {
            _ = sending.join_next(), if !sending.is_empty() => {}
            () = tokio::time::sleep(idle) => {}
        }
    }
}

/// Sends one delivery and decides what becomes of it.
async fn attempt(delivery: &DueDelivery, settings: &WorkerSettings) -> AttemptRecord {
    let started = Instant::now();
    let at = Utc::now();
    let result = send(delivery, settings, at).await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status_code, error) = match &result {
        Ok(status) => (Some(i32::from(*status)), None),
        Err(error) => (None, Some(error.clone())),
    };
    let outcome = match result {
        Ok(status) if (200..300).contains(&status) => DeliveryOutcome::Delivered,
        failed => next_step(delivery, &settings.retry, at, failed),
    };
    AttemptRecord {
        delivery: delivery.id,
        attempt: WebhookAttempt {
            endpoint: delivery.endpoint,
            event_id: delivery.event_id,
            event_type: delivery.event_type.clone(),
            at,
            duration_ms,
            status_code,
            error,
        },
        outcome,
    }
}

/// After a failed attempt: when to try again, or why to give up.
fn next_step(
    delivery: &DueDelivery,
    retry: &RetryPolicy,
    now: DateTime<Utc>,
    failed: Result<u16, String>,
) -> DeliveryOutcome {
    let age = (now - delivery.created_at).to_std().unwrap_or_default();
    if retry.gives_up(age) {
        let why = match failed {
            Ok(status) => format!("the endpoint answered HTTP {status}"),
            Err(error) => error,
        };
        let hours = retry.window.as_secs_f64() / 3600.0;
        return DeliveryOutcome::GiveUp(format!(
            "Deliveries failed for {hours:.1} h; the last one: {why}."
        ));
    }
    let delay = retry.delay_after(delivery.attempts + 1);
    let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
    DeliveryOutcome::RetryAt(now + delay)
}

/// POSTs the delivery; the receiver's status, or why there was none.
async fn send(
    delivery: &DueDelivery,
    settings: &WorkerSettings,
    at: DateTime<Utc>,
) -> Result<u16, String> {
    let url = url::Url::parse(&delivery.url).map_err(|_| "the URL is invalid".to_owned())?;
    let host = url.host_str().ok_or("the URL has no host")?.to_owned();
    let port = url.port_or_known_default().ok_or("the URL has no port")?;
    let address = checked_address(&host, port, settings.allow_private_targets).await?;
    let mut client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    for root in settings.extra_roots.iter() {
        client = client.add_root_certificate(root.clone());
    }
    if url
        .host()
        .is_some_and(|h| matches!(h, url::Host::Domain(_)))
    {
        // Connect to the address that was checked: no second resolution.
        client = client.resolve(&host, address);
    }
    let client = client.build().map_err(|e| format!("no HTTP client: {e}"))?;
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::USER_AGENT, "voltgate-webhooks/1")
        .header(EVENT_ID_HEADER, delivery.event_id.to_string())
        .header(EVENT_TYPE_HEADER, &delivery.event_type)
        .header(
            SIGNATURE_HEADER,
            signature(&delivery.secrets, at.timestamp(), &delivery.body),
        )
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                format!("no answer within {} s", TIMEOUT.as_secs())
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                "the request failed".to_owned()
            }
        })?;
    Ok(response.status().as_u16())
}

/// Resolves `host` now and answers its first address, unless any address it resolves to is one a
/// webhook must never reach (and private targets are not allowed).
async fn checked_address(host: &str, port: u16, allow_private: bool) -> Result<SocketAddr, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| format!("{host} could not be resolved"))?
        .collect();
    let first = *addresses
        .first()
        .ok_or_else(|| format!("{host} has no address"))?;
    if !allow_private {
        if let Some(refused) = addresses.iter().find(|a| forbidden_target(a.ip())) {
            return Err(format!(
                "{host} resolves to {}, a private or reserved address, which webhooks never call",
                refused.ip()
            ));
        }
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_stripes_scheme_with_one_v1_per_secret() {
        // HMAC-SHA256("secret", "1700000000.{}") computed independently.
        let one = signature(&["secret".into()], 1_700_000_000, "{}");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"1700000000.{}");
        assert_eq!(
            one,
            format!("t=1700000000,v1={}", hex(&mac.finalize().into_bytes()))
        );
        let two = signature(&["a".into(), "b".into()], 1, "x");
        assert_eq!(two.matches(",v1=").count(), 2);
        assert!(new_secret().starts_with("whsec_"));
        assert_ne!(new_secret(), new_secret());
    }

    #[tokio::test]
    async fn private_targets_are_refused_after_resolution_unless_allowed() {
        let refused = checked_address("localhost", 80, false).await.unwrap_err();
        assert!(refused.contains("private or reserved"), "{refused}");
        assert!(checked_address("127.0.0.1", 80, true).await.is_ok());
        assert!(checked_address("[::1]", 80, false).await.is_err());
    }
}
