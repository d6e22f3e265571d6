//! Load balancing over real WebSockets: simulated chargers that accept, reject or ignore their limits,
//! and what they may draw together, watched at every limit they apply.

use std::time::Duration;

use reqwest::StatusCode;
use voltgate_domain::InstallationId;
use voltgate_store::Engine;

use crate::charge_point::add_charger;
use crate::fleet::{self, arm, connector, questions, until, worst, Behaviour, Shared, SimCharger};
use crate::helpers::{spawn_app_with, Browser, TestApp};
use crate::installations::create_installation;
use crate::on_both_engines;

on_both_engines!(
    a_new_session_starts_capped_and_lowering_comes_first,
    a_silent_charger_never_puts_the_installation_over,
    a_rejecting_charger_keeps_the_others_within_the_limit,
    a_charger_back_from_offline_gets_its_limit_again,
    the_queue_follows_the_servers_clock,
    pausing_a_session_frees_its_share,
    profiles_follow_what_the_charger_supports,
    capabilities_are_asked_once_per_connection,
);

/// Limits are sent within 2 s or counted as unanswered.
async fn app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |settings| settings.ocpp_command_timeout = 2).await
}

async fn set_available(owner: &Browser, installation: InstallationId, amperes: &str) {
    let page = format!("/installations/{installation}");
    let settings = [
        ("max_current", "32"),
        ("available_mode", "all"),
        ("available_current", amperes),
        ("phases", "3"),
    ];
    let response = owner
        .submit(&page, &format!("{page}/settings"), &settings)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// An installation with `available` amperes and one single-connector simulated charger per identity,
/// each holding its first default limit.
async fn fleet_of(
    app: &TestApp,
    available: &str,
    identities: &[&str],
) -> (Browser, InstallationId, Shared, Vec<SimCharger>) {
    let owner = app.signed_up("owner@example.no", "Owner").await;
    let installation = create_installation(&owner, "Borettslag", "go").await;
    set_available(&owner, installation, available).await;
    let shared = Shared::default();
    let mut chargers = Vec::new();
    for identity in identities {
        let (password, _) = add_charger(&owner, installation, identity, 1).await;
        chargers.push(SimCharger::start(&app.base, identity, &password, &shared).await);
    }
    let names: Vec<String> = identities.iter().map(|s| s.to_string()).collect();
    until(&shared, "every charger holds a default limit", |truth| {
        names.iter().all(|name| {
            truth
                .connectors
                .get(&(name.clone(), 1))
                .is_some_and(|c| c.default.is_some())
        })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    (owner, installation, shared, chargers)
}

fn tx(shared: &Shared, identity: &str) -> Option<f64> {
    connector(shared, identity, 1).tx.map(|(_, limit)| limit)
}

fn default(shared: &Shared, identity: &str) -> Option<f64> {
    connector(shared, identity, 1).default
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

async fn a_new_session_starts_capped_and_lowering_comes_first(engine: Engine) {
    let app = app(engine).await;
    let (_, _, shared, mut chargers) = fleet_of(&app, "20", &["CP-A", "CP-B", "CP-C"]).await;
    for identity in ["CP-A", "CP-B", "CP-C"] {
        assert_eq!(
            default(&shared, identity),
            Some(6.6),
            "idle connectors share the current as the limit a new session starts with"
        );
    }
    arm(&shared);
    chargers[0].start_session(&now()).await;
    until(&shared, "A gets all 20 A", |_| {
        tx(&shared, "CP-A") == Some(20.0)
    })
    .await;
    assert_eq!(
        (default(&shared, "CP-B"), default(&shared, "CP-C")),
        (Some(0.0), Some(0.0)),
        "with nothing free, a new session would start at 0 A"
    );
    chargers[1].start_session(&now()).await;
    until(&shared, "A and B share", |_| {
        tx(&shared, "CP-A") == Some(10.0) && tx(&shared, "CP-B") == Some(10.0)
    })
    .await;
    assert!(
        worst(&shared) <= 20.0 + 1e-9,
        "never over: {}",
        worst(&shared)
    );
}

async fn a_silent_charger_never_puts_the_installation_over(engine: Engine) {
    let app = app(engine).await;
    let (_, _, shared, mut chargers) = fleet_of(&app, "20", &["CP-A", "CP-B", "CP-C"]).await;
    arm(&shared);
    chargers[2].behave(Behaviour::Silent);
    let (a, rest) = chargers.split_at_mut(1);
    let (b, c) = rest.split_at_mut(1);
    let at = now();
    tokio::join!(
        a[0].start_session(&at),
        b[0].start_session(&at),
        c[0].start_session(&at)
    );
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(
        worst(&shared) <= 20.0 + 1e-9,
        "overlapping rebalances with a silent charger: {} A",
        worst(&shared)
    );
}

async fn a_rejecting_charger_keeps_the_others_within_the_limit(engine: Engine) {
    let app = app(engine).await;
    let (owner, installation, shared, mut chargers) =
        fleet_of(&app, "20", &["CP-A", "CP-B", "CP-C"]).await;
    arm(&shared);
    chargers[1].behave(Behaviour::Reject);
    chargers[0].start_session(&now()).await;
    chargers[1].start_session(&now()).await;
    until(&shared, "A gets its share", |_| {
        tx(&shared, "CP-A") == Some(10.0)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(worst(&shared) <= 20.0 + 1e-9, "{} A", worst(&shared));
    let (_, html) = owner.page(&format!("/installations/{installation}")).await;
    assert!(
        html.contains("The charger rejected its current limit."),
        "the installation page says so"
    );
}

async fn a_charger_back_from_offline_gets_its_limit_again(engine: Engine) {
    let app = app(engine).await;
    let (owner, installation, shared, mut chargers) = fleet_of(&app, "20", &["CP-A", "CP-B"]).await;
    arm(&shared);
    let b = chargers.pop().unwrap();
    b.disconnect().await;
    chargers[0].start_session(&now()).await;
    until(&shared, "A charges within what offline B may draw", |_| {
        tx(&shared, "CP-A") == Some(10.0)
    })
    .await;
    let (_, html) = owner.page(&format!("/installations/{installation}")).await;
    assert!(html.contains("The charger is offline; its current limit was not sent."));
    let password = {
        let page = format!("/installations/{installation}");
        let (_, html) = owner.page(&page).await;
        let marker = "<a href=\"/chargers/";
        let start = html.rfind(marker).unwrap() + marker.len();
        let id = html[start..].split('"').next().unwrap().to_owned();
        let charger = format!("/chargers/{id}");
        let (_, html) = owner
            .submit_page(&charger, &format!("{charger}/password"), &[])
            .await;
        crate::charge_point::password_in(&html)
    };
    let _b = SimCharger::start(&app.base, "CP-B", &password, &shared).await;
    until(
        &shared,
        "B back: its limit comes down, then A gets all",
        |_| default(&shared, "CP-B") == Some(0.0) && tx(&shared, "CP-A") == Some(20.0),
    )
    .await;
    assert!(worst(&shared) <= 20.0 + 1e-9, "{} A", worst(&shared));
}

async fn the_queue_follows_the_servers_clock(engine: Engine) {
    let app = app(engine).await;
    let (_, _, shared, mut chargers) = fleet_of(&app, "10", &["CP-A", "CP-B"]).await;
    arm(&shared);
    let first = chargers[0].start_session(&now()).await;
    until(&shared, "A charges", |_| tx(&shared, "CP-A") == Some(10.0)).await;
    chargers[1].start_session("2026-01-01T00:00:00Z").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        tx(&shared, "CP-A"),
        Some(10.0),
        "a session started offline long ago does not jump the queue"
    );
    assert!(connector(&shared, "CP-B", 1).potential(32.0) == 0.0);
    chargers[0].stop_session(first).await;
    until(
        &shared,
        "the waiting session resumes when the first ends",
        |_| tx(&shared, "CP-B") == Some(10.0),
    )
    .await;
    assert!(worst(&shared) <= 10.0 + 1e-9);
}

async fn pausing_a_session_frees_its_share(engine: Engine) {
    let app = app(engine).await;
    let (owner, installation, shared, mut chargers) = fleet_of(&app, "20", &["CP-A", "CP-B"]).await;
    arm(&shared);
    chargers[0].start_session(&now()).await;
    chargers[1].start_session(&now()).await;
    until(&shared, "both share", |_| {
        tx(&shared, "CP-A") == Some(10.0) && tx(&shared, "CP-B") == Some(10.0)
    })
    .await;
    let page = format!("/installations/{installation}");
    let (_, html) = owner.page(&page).await;
    let marker = "<a href=\"/chargers/";
    let first = html.find(marker).unwrap() + marker.len();
    let a = format!("/chargers/{}", html[first..].split('"').next().unwrap());
    let pause = [("command", "pause"), ("connector", "1")];
    let (_, html) = owner
        .submit_page(&a, &format!("{a}/commands"), &pause)
        .await;
    assert!(
        html.contains("The charger accepted its new limit."),
        "{html}"
    );
    until(&shared, "B gets A's share", |_| {
        tx(&shared, "CP-A") == Some(0.0) && tx(&shared, "CP-B") == Some(20.0)
    })
    .await;
    let resume = [("command", "resume"), ("connector", "1")];
    owner
        .submit_page(&a, &format!("{a}/commands"), &resume)
        .await;
    until(&shared, "shared again", |_| {
        tx(&shared, "CP-A") == Some(10.0) && tx(&shared, "CP-B") == Some(10.0)
    })
    .await;
    assert!(worst(&shared) <= 20.0 + 1e-9, "{} A", worst(&shared));
}

async fn profiles_follow_what_the_charger_supports(engine: Engine) {
    let app = app(engine).await;
    let owner = app.signed_up("owner@example.no", "Owner").await;
    let installation = create_installation(&owner, "Hytte", "go").await;
    set_available(&owner, installation, "16").await;
    let (password, _) = add_charger(&owner, installation, "CP-W", 1).await;
    let shared = Shared::default();
    let reports = fleet::capabilities(0, "Power");
    let mut charger =
        SimCharger::start_reporting(&app.base, "CP-W", &password, &shared, reports).await;
    charger.start_session(&now()).await;
    until(&shared, "a limit in watts at stack level 0", |truth| {
        truth.connectors.get(&("CP-W".into(), 1)).is_some_and(|c| {
            c.profiles.iter().any(|(purpose, limit, unit, stack)| {
                purpose == "TxProfile" && unit == "W" && *stack == 0 && *limit == 11040.0
            })
        })
    })
    .await;
}

/// Rebalances read what a charger supports from where its connection noted it: it is asked once per
/// connection, however often its installation is rebalanced, and once more when it reconnects.
async fn capabilities_are_asked_once_per_connection(engine: Engine) {
    let app = app(engine).await;
    let owner = app.signed_up("owner@example.no", "Owner").await;
    let installation = create_installation(&owner, "Borettslag", "go").await;
    set_available(&owner, installation, "20").await;
    let shared = Shared::default();
    let (password, _) = add_charger(&owner, installation, "CP-A", 1).await;
    let a = SimCharger::start(&app.base, "CP-A", &password, &shared).await;
    let (password_b, _) = add_charger(&owner, installation, "CP-B", 1).await;
    let _b = SimCharger::start(&app.base, "CP-B", &password_b, &shared).await;
    for available in ["12", "16", "24"] {
        set_available(&owner, installation, available).await;
    }
    until(&shared, "the last settings' limits arrived", |truth| {
        ["CP-A", "CP-B"].iter().all(|name| {
            truth
                .connectors
                .get(&(name.to_string(), 1))
                .is_some_and(|c| c.default == Some(12.0))
        })
    })
    .await;
    assert_eq!(questions(&shared, "CP-A"), 1);
    assert_eq!(questions(&shared, "CP-B"), 1);
    a.disconnect().await;
    let sent = connector(&shared, "CP-A", 1).profiles.len();
    let _a = SimCharger::start(&app.base, "CP-A", &password, &shared).await;
    until(
        &shared,
        "the reconnected charger gets its default again",
        |truth| {
            truth
                .connectors
                .get(&("CP-A".to_string(), 1))
                .is_some_and(|c| c.profiles.len() > sent)
        },
    )
    .await;
    assert_eq!(
        questions(&shared, "CP-A"),
        2,
        "asked again on its new connection"
    );
    assert_eq!(questions(&shared, "CP-B"), 1);
}
