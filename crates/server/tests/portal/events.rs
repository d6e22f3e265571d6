//! The event stream: what chargers report and what people decide arrives as events, in the order it
//! happened; on PostgreSQL every process hears the others' events.

use std::time::Duration;

use serde_json::json;
use tokio::sync::broadcast;
use voltgate_server::events::Event;
use voltgate_server::ServeSettings;
use voltgate_store::Engine;

use crate::access::{decide, setting};
use crate::charge_point::{with_charger, ChargePoint};
use crate::helpers::{serve_with_events, spawn_app};
use crate::on_both_engines;

on_both_engines!(
    a_charger_day_arrives_as_events,
    access_decisions_arrive_as_events
);

mod cluster {
    #[tokio::test]
    async fn two_processes_hear_each_others_events() {
        super::two_processes_hear_each_others_events().await
    }
}

/// The next event that `wanted` picks, within a few seconds; events it passes over are skipped.
async fn next<T>(
    events: &mut broadcast::Receiver<Event>,
    what: &str,
    wanted: impl Fn(&Event) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no event: {what}"))
            .expect("the subscriber keeps up");
        if let Some(found) = wanted(&event) {
            return found;
        }
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

/// A charger connects, charges a session with a meter reading, and goes; every step is an event about
/// its installation and charger.
async fn a_charger_day(
    base: &str,
    listen: &mut broadcast::Receiver<Event>,
    password: &str,
    charger: &str,
) {
    let mut cp = ChargePoint::connect(base, "CP-EV", password).await;
    let on = next(listen, "online", |e| match e {
        Event::ChargerOnline { charger, .. } => Some(charger.to_string()),
        _ => None,
    })
    .await;
    assert_eq!(on, charger);
    cp.boot().await;
    cp.ok("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Preparing", "timestamp": now()}))
        .await;
    let status = next(listen, "status", |e| match e {
        Event::ConnectorStatus {
            connector: 1,
            status,
            ..
        } => Some(status.clone()),
        _ => None,
    })
    .await;
    assert_eq!(status, "Preparing");
    let started = cp
        .ok(
            "StartTransaction",
            json!({"connectorId": 1, "idTag": "TAG-1", "meterStart": 1000, "timestamp": now()}),
        )
        .await;
    let transaction = started["transactionId"].as_i64().unwrap() as i32;
    let heard = next(listen, "session started", |e| match e {
        Event::SessionStarted {
            transaction,
            connector: 1,
            ..
        } => Some(*transaction),
        _ => None,
    })
    .await;
    assert_eq!(heard, transaction);
    cp.ok(
        "MeterValues",
        json!({"connectorId": 1, "transactionId": transaction, "meterValue": [{"timestamp": now(), "sampledValue": [
            {"value": "2500"}, {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"}]}]}),
    )
    .await;
    let (power, energy) = next(listen, "meter reading", |e| match e {
        Event::MeterReading {
            power_w, energy_wh, ..
        } => Some((*power_w, *energy_wh)),
        _ => None,
    })
    .await;
    assert_eq!((power, energy), (Some(7200.0), Some(2500.0)));
    cp.ok(
        "StopTransaction",
        json!({"transactionId": transaction, "meterStop": 3000, "timestamp": now()}),
    )
    .await;
    let ended = next(listen, "session ended", |e| match e {
        Event::SessionEnded {
            transaction,
            confirmed,
            ..
        } => Some((*transaction, *confirmed)),
        _ => None,
    })
    .await;
    assert_eq!(ended, (transaction, true));
    drop(cp);
    let off = next(listen, "offline", |e| match e {
        Event::ChargerOffline { charger, .. } => Some(charger.to_string()),
        _ => None,
    })
    .await;
    assert_eq!(off, charger);
}

async fn a_charger_day_arrives_as_events(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, installation, password, charger) = with_charger(&app, "CP-EV").await;
    let mut listen = app.events.subscribe();
    a_charger_day(&app.base, &mut listen, &password, &charger).await;
    let mut all = app.events.subscribe();
    let mut cp = ChargePoint::connect(&app.base, "CP-EV", &password).await;
    let online = next(&mut all, "online again", |e| match e {
        Event::ChargerOnline { .. } => Some(e.clone()),
        _ => None,
    })
    .await;
    assert_eq!(online.installation(), installation);
    cp.boot().await;
    let replaced = ChargePoint::connect(&app.base, "CP-EV", &password).await;
    next(&mut all, "the newer connection is online", |e| {
        matches!(e, Event::ChargerOnline { .. }).then_some(())
    })
    .await;
    drop(cp);
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(event) = all.try_recv() {
        assert!(
            !matches!(event, Event::ChargerOffline { .. }),
            "a replaced connection does not take the charger offline"
        );
    }
    drop(replaced);
}

async fn access_decisions_arrive_as_events(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, group, installation) = setting(&app).await;
    let mut listen = app.events.subscribe();
    let request = format!("/access/request/{key}");
    decide(&owner, &request, "approve", &installation.to_string()).await;
    let granted = next(&mut listen, "granted", |e| match e {
        Event::AccessGranted {
            installation,
            group,
        } => Some((*installation, *group)),
        _ => None,
    })
    .await;
    assert_eq!(granted, (installation, group));
    let member = [("email", "cpo@acme.example"), ("role", "user")];
    let page = format!("/installations/{installation}");
    owner
        .submit(&page, &format!("{page}/members"), &member)
        .await;
    let changed = next(&mut listen, "role given", |e| match e {
        Event::AccessChanged { installation, .. } => Some(*installation),
        _ => None,
    })
    .await;
    assert_eq!(changed, installation);
    let revoke = format!("/installations/{installation}/permissions/groups/{group}/revoke");
    owner.submit(&revoke, &revoke, &[]).await;
    let revoked = next(&mut listen, "revoked", |e| match e {
        Event::AccessRevoked {
            installation,
            group,
        } => Some((*installation, *group)),
        _ => None,
    })
    .await;
    assert_eq!(revoked, (installation, group));
}

/// Two servers on one PostgreSQL database: each hears what happens on the other, and its own once.
async fn two_processes_hear_each_others_events() {
    let app = spawn_app(Engine::Postgres).await;
    let (second, second_events) =
        serve_with_events(ServeSettings::for_tests(&app.database_url)).await;
    let (_, _, password, charger) = with_charger(&app, "CP-EV").await;
    let mut on_first = app.events.subscribe();
    let mut on_second = second_events.subscribe();
    a_charger_day(&second, &mut on_first, &password, &charger).await;
    let mut own = 0;
    while let Ok(event) = tokio::time::timeout(Duration::from_millis(500), on_second.recv()).await {
        if matches!(event, Ok(Event::SessionStarted { .. })) {
            own += 1;
        }
    }
    assert_eq!(own, 1, "a process hears its own event once");
    let mut on_second = second_events.subscribe();
    a_charger_day(&app.base, &mut on_second, &password, &charger).await;
}
