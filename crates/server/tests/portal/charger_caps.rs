//! A charger's own maximum (`maxChargeCurrent` through the API) in load balancing, over real
//! WebSockets on both engines: the capped charger gets no more than its cap, the others what it leaves.

use reqwest::StatusCode;
use serde_json::json;
use voltgate_store::Engine;

use crate::api::{call, token};
use crate::charge_point::add_charger;
use crate::fleet::{arm, connector, until, worst, Shared, SimCharger};
use crate::helpers::spawn_app_with;
use crate::installations::create_installation;
use crate::on_both_engines;

on_both_engines!(a_capped_charger_leaves_its_share_to_the_others);

fn tx(shared: &Shared, identity: &str) -> Option<f64> {
    connector(shared, identity, 1).tx.map(|(_, limit)| limit)
}

async fn a_capped_charger_leaves_its_share_to_the_others(engine: Engine) {
    let app = spawn_app_with(engine, |settings| settings.ocpp_command_timeout = 2).await;
    let owner = app.signed_up("owner@example.no", "Owner").await;
    let installation = create_installation(&owner, "Borettslag", "go").await;
    let page = format!("/installations/{installation}");
    let settings = [
        ("max_current", "32"),
        ("available_mode", "all"),
        ("available_current", "32"),
        ("phases", "3"),
    ];
    let response = owner
        .submit(&page, &format!("{page}/settings"), &settings)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let shared = Shared::default();
    let mut chargers = Vec::new();
    let mut ids = Vec::new();
    for identity in ["CP-A", "CP-B"] {
        let (password, id) = add_charger(&owner, installation, identity, 1).await;
        chargers.push(SimCharger::start(&app.base, identity, &password, &shared).await);
        ids.push(id);
    }
    until(&shared, "every charger holds a default limit", |truth| {
        ["CP-A", "CP-B"].iter().all(|name| {
            truth
                .connectors
                .get(&(name.to_string(), 1))
                .is_some_and(|c| c.default.is_some())
        })
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    arm(&shared);
    let now = chrono::Utc::now().to_rfc3339();
    chargers[0].start_session(&now).await;
    chargers[1].start_session(&now).await;
    until(&shared, "A and B share 32 A", |_| {
        tx(&shared, "CP-A") == Some(16.0) && tx(&shared, "CP-B") == Some(16.0)
    })
    .await;

    let t = token(&app, "owner@example.no").await;
    let cap = |amperes: f64| {
        let (t, path) = (t.clone(), format!("/api/chargers/{}/update", ids[0]));
        let app = &app;
        async move {
            call(
                app,
                &t,
                "POST",
                &path,
                Some(json!({"maxChargeCurrent": amperes})),
            )
            .await
        }
    };
    let (status, body) = cap(10.0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    until(&shared, "A gets its cap, B the rest", |_| {
        tx(&shared, "CP-A") == Some(10.0) && tx(&shared, "CP-B") == Some(22.0)
    })
    .await;
    assert!(
        worst(&shared) <= 32.0 + 1e-9,
        "never over: {}",
        worst(&shared)
    );
    // 0 A means no charging there: all of it for B.
    assert_eq!(cap(0.0).await.0, StatusCode::OK);
    until(&shared, "A stops, B gets everything", |_| {
        tx(&shared, "CP-A") == Some(0.0) && tx(&shared, "CP-B") == Some(32.0)
    })
    .await;
    // A cap above the share changes nothing.
    assert_eq!(cap(32.0).await.0, StatusCode::OK);
    until(&shared, "back to equal shares", |_| {
        tx(&shared, "CP-A") == Some(16.0) && tx(&shared, "CP-B") == Some(16.0)
    })
    .await;
    assert!(
        worst(&shared) <= 32.0 + 1e-9,
        "never over: {}",
        worst(&shared)
    );
}
