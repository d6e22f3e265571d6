//! Sends each charging connector of an installation its share of the available current, as a
//! TxDefaultProfile (stack level 8, below the portal's pause at 9).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use voltgate_domain::balancing::{allocate, Demand};
use voltgate_domain::settings::{Amperes, Phases};
use voltgate_domain::InstallationId;
use voltgate_ocpp::{Command, Registry};
use voltgate_store::Store;

/// Charging profile ids used for balancing: this base plus the connector number.
const PROFILE_BASE: i32 = 8000;

fn profile(connector: u32, limit: Amperes) -> serde_json::Value {
    json!({
        "chargingProfileId": PROFILE_BASE + connector as i32,
        "stackLevel": 8,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit.get()}]}
    })
}

/// Recomputes the shares of an installation and sends them; failures are logged, never fatal.
pub async fn rebalance(
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    installation: InstallationId,
    timeout: Duration,
) {
    let (settings, running) = match (
        store.installation(installation).await,
        store.running_sessions(installation).await,
    ) {
        (Ok(Some(installation)), Ok(running)) => (installation.settings, running),
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(%installation, %error, "load balancing: could not read the installation");
            return;
        }
        (Ok(None), _) => return,
    };
    let phases = settings.available_current.phases();
    let used = match settings.phases {
        Phases::One => &phases[..1],
        Phases::Three => &phases[..],
    };
    let available = used
        .iter()
        .copied()
        .fold(settings.max_current, |least, phase| {
            if phase < least {
                phase
            } else {
                least
            }
        });
    let demands: Vec<Demand<(String, u32)>> = running
        .into_iter()
        .map(|s| Demand {
            key: (s.identity, s.connector_id.max(0) as u32),
            started_at: s.started_at,
        })
        .collect();
    for ((identity, connector), limit) in allocate(available, &demands) {
        let command = Command::SetChargingProfile {
            connector_id: connector,
            profile: profile(connector, limit),
        };
        if let Err(error) = registry.call(&identity, command, timeout).await {
            tracing::info!(charger = identity, connector, %error, "load balancing: limit not delivered");
        }
    }
}
