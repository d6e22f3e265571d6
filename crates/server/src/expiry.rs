//! Telling the ends of grants: a sweep in every serve process claims the grants whose end passed and
//! that were not told yet (each is claimed by one process only), writes their audit entries and
//! `access.expired` deliveries in the same transaction, and publishes `Event::AccessExpired`.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use voltgate_store::Store;

use crate::events::{Event, Events};

/// Grants told in one transaction; a sweep that claims this many goes on at once.
const BATCH: i64 = 100;

/// Tells ended grants every `interval` until dropped (the task is aborted on shutdown).
pub async fn run_expiry_sweep(store: Arc<dyn Store>, events: Events, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        while sweep(store.as_ref(), &events).await == BATCH as usize {}
    }
}

/// One claim: tells up to [`BATCH`] ended grants and answers how many it told.
async fn sweep(store: &dyn Store, events: &Events) -> usize {
    match store.tell_ended_grants(Utc::now(), BATCH).await {
        Ok(told) => {
            for grant in &told {
                tracing::info!(
                    installation = %grant.installation,
                    group = %grant.group,
                    ended = %grant.ended,
                    "a group's access ended"
                );
                events.publish(Event::AccessExpired {
                    installation: grant.installation,
                    group: grant.group,
                });
            }
            told.len()
        }
        Err(error) => {
            tracing::warn!(%error, "could not tell the grants that ended");
            0
        }
    }
}
