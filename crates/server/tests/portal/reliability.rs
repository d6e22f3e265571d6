//! OCPP 1.6J that real chargers can rely on, over real WebSockets on both engines: what the schema
//! allows is accepted, no session stays open, commands never run late, and every command is audited.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use voltgate_domain::authz::ManagePermissions;
use voltgate_store::{Engine, ENDED_WITHOUT_STOP};

use crate::charge_point::{with_charger, ChargePoint};
use crate::helpers::{csrf_in, operator, spawn_app, spawn_app_with};
use crate::on_both_engines;

on_both_engines!(
    what_the_schema_allows_is_accepted,
    no_session_stays_open_and_no_energy_goes_missing,
    transactions_only_on_connectors_the_charger_has,
    times_from_unset_or_absurd_clocks_are_not_believed,
    stale_statuses_do_not_overwrite_newer_ones,
    commands_that_timed_out_are_never_sent_afterwards,
    a_replaced_connection_closes_at_once,
    a_charger_replaying_its_backlog_is_never_disconnected,
    commands_are_audited_before_they_are_sent,
    text_with_nul_from_people_or_chargers_breaks_nothing,
);

async fn history(app: &crate::helpers::TestApp) -> Vec<voltgate_store::ChargeSession> {
    let installation = crate::chargers::owners_installation(app).await;
    app.db
        .store
        .charge_history(installation, &Default::default(), 50, 0)
        .await
        .unwrap()
}

async fn what_the_schema_allows_is_accepted(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, _, password, charger_id) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    let boot = json!({"chargePointVendor": "Acme", "chargePointModel": "Wallbox", "iccid": "", "imsi": "",
        "chargePointSerialNumber": "", "chargeBoxSerialNumber": "", "firmwareVersion": "", "meterType": "",
        "meterSerialNumber": ""});
    assert_eq!(
        charger.ok("BootNotification", boot).await["status"],
        "Accepted",
        "empty optional strings are valid under the 1.6 schema"
    );
    let (_, html) = owner.page(&format!("/chargers/{charger_id}")).await;
    assert!(
        html.contains("<dt>Firmware</dt><dd>—</dd>"),
        "empty is stored as absent"
    );
    let start = json!({"connectorId": 1, "idTag": "T", "meterStart": 3_000_000_000_i64, "timestamp": "2026-11-20T08:00:00"});
    let transaction = charger.ok("StartTransaction", start).await["transactionId"].clone();
    let meter = json!({"connectorId": 1, "transactionId": transaction, "meterValue": [{"timestamp": "2026-11-20T08:30:00", "sampledValue": [
        {"value": "3000005000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"value": "50.01", "measurand": "Frequency", "unit": "Hertz"},
        {"value": "31.5", "measurand": "Temperature", "unit": "Celcius"},
        {"value": "31.5", "measurand": "Temperature", "unit": "Celsius"},
        {"value": 17, "measurand": "Voltage"},
        {"measurand": "Voltage"}]}]});
    charger.ok("MeterValues", meter).await;
    let stop = json!({"transactionId": transaction, "meterStop": 3_000_010_000_i64, "timestamp": "2026-11-20T09:00:00",
        "transactionData": [{"timestamp": "not a time", "sampledValue": []},
                            {"timestamp": "2026-11-20T08:45:00+01:00", "sampledValue": [{"value": "3000007000", "unit": "Hertz"}, {"value": "abc"}]}]});
    charger.ok("StopTransaction", stop).await;
    let session = &history(&app).await[0];
    assert_eq!(
        (
            session.meter_start,
            session.meter_stop,
            session.energy_kwh(),
            session.started_at.to_rfc3339()
        ),
        (
            3_000_000_000,
            Some(3_000_010_000),
            Some(10.0),
            "2026-11-20T08:00:00+00:00".to_owned()
        ),
        "meters beyond 2^31 Wh, times without a zone read as UTC"
    );
    let samples = app.db.store.meter_samples(session.id).await.unwrap();
    assert_eq!(
        samples.iter().map(|(_, wh)| *wh).collect::<Vec<_>>(),
        vec![3_000_007_000.0, 3_000_005_000.0],
        "unreadable samples are skipped one by one, the rest kept (07:45 UTC comes first)"
    );
}

async fn no_session_stays_open_and_no_energy_goes_missing(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, _, password, _) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    let start = |connector: u32, at: &str, meter: i64| json!({"connectorId": connector, "idTag": "T", "meterStart": meter, "timestamp": at});
    let status = |connector: u32, state: &str, at: &str| json!({"connectorId": connector, "errorCode": "NoError", "status": state, "timestamp": at});
    let sample = |transaction: &Value, at: &str, wh: &str| json!({"connectorId": 1, "transactionId": transaction, "meterValue": [{"timestamp": at, "sampledValue": [{"value": wh}]}]});

    // A connector reported free ends its open session, with the last reading; the late stop corrects it.
    let first = charger
        .ok("StartTransaction", start(1, "2026-11-20T08:00:00Z", 50_000))
        .await["transactionId"]
        .clone();
    charger
        .ok(
            "MeterValues",
            sample(&first, "2026-11-20T08:10:00Z", "52000"),
        )
        .await;
    charger
        .ok(
            "StatusNotification",
            status(1, "Available", "2026-11-20T08:20:00Z"),
        )
        .await;
    let ended = &history(&app).await[0];
    assert_eq!(
        (
            ended.stop_reason.as_deref(),
            ended.meter_stop,
            ended.stop_confirmed
        ),
        (Some(ENDED_WITHOUT_STOP), Some(52_000), false)
    );
    let late = json!({"transactionId": first, "meterStop": 53_000, "timestamp": "2026-11-20T08:19:00Z", "reason": "EVDisconnected"});
    charger.ok("StopTransaction", late).await;
    let sessions = history(&app).await;
    assert_eq!(
        sessions.len(),
        1,
        "the late stop lands without a second session"
    );
    assert_eq!(
        (sessions[0].energy_kwh(), sessions[0].stop_reason.as_deref()),
        (Some(3.0), Some("EVDisconnected"))
    );

    // A reboot ends what is open; a meter that reset mid-session keeps its energy.
    let second = charger
        .ok("StartTransaction", start(1, "2026-11-20T10:00:00Z", 90_000))
        .await["transactionId"]
        .clone();
    charger
        .ok(
            "MeterValues",
            sample(&second, "2026-11-20T10:10:00Z", "92000"),
        )
        .await;
    charger
        .ok(
            "MeterValues",
            sample(&second, "2026-11-20T10:20:00Z", "500"),
        )
        .await;
    charger.boot().await;
    let stop = json!({"transactionId": second, "meterStop": 1500, "timestamp": "2026-11-20T10:30:00Z", "reason": "PowerLoss"});
    charger.ok("StopTransaction", stop).await;
    let rebooted = history(&app)
        .await
        .into_iter()
        .find(|s| json!(s.id) == second)
        .unwrap();
    assert_eq!(
        (rebooted.energy_kwh(), rebooted.stop_confirmed),
        (Some(3.5), true),
        "2 kWh before the reset, 1.5 kWh after: not 0"
    );

    // Energy reported per phase only is summed; a new start on the connector ends the old session.
    let third = charger
        .ok("StartTransaction", start(2, "2026-11-20T11:00:00Z", 0))
        .await["transactionId"]
        .clone();
    let phases = json!({"connectorId": 2, "transactionId": third, "meterValue": [{"timestamp": "2026-11-20T11:30:00Z", "sampledValue": [
        {"value": "1000", "measurand": "Energy.Active.Import.Register", "phase": "L1"},
        {"value": "1000", "measurand": "Energy.Active.Import.Register", "phase": "L2"},
        {"value": "1000", "measurand": "Energy.Active.Import.Register", "phase": "L3"}]}]});
    charger.ok("MeterValues", phases).await;
    charger
        .ok("StartTransaction", start(2, "2026-11-20T12:00:00Z", 3000))
        .await;
    let replaced = history(&app)
        .await
        .into_iter()
        .find(|s| json!(s.id) == third)
        .unwrap();
    assert_eq!(
        (replaced.stop_reason.as_deref(), replaced.energy_kwh()),
        (Some(ENDED_WITHOUT_STOP), Some(3.0))
    );
}

async fn transactions_only_on_connectors_the_charger_has(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, _, password, _) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    for connector in [0, 3] {
        let start = json!({"connectorId": connector, "idTag": "T", "meterStart": 0, "timestamp": "2026-11-20T08:00:00Z"});
        let answer = charger.call("StartTransaction", start).await;
        assert_eq!(
            (answer[0].clone(), answer[2].clone()),
            (json!(4), json!("PropertyConstraintViolation")),
            "connector {connector}"
        );
    }
    assert!(history(&app).await.is_empty());
}

/// Spec-valid times that cannot be true (an unset clock, the year 0 or 9999) are accepted, but the
/// session is recorded at the time the server heard of it: no negative durations, nothing from 9999
/// sorting first; nanoseconds are kept alike on both engines.
async fn times_from_unset_or_absurd_clocks_are_not_believed(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, _, password, _) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let start = json!({"connectorId": 1, "idTag": "T", "meterStart": -5, "timestamp": "9999-12-31T23:59:59Z"});
    let absurd = charger.ok("StartTransaction", start).await["transactionId"].clone();
    let sample = json!({"connectorId": 1, "transactionId": absurd, "meterValue": [{"timestamp": "0000-01-01T00:00:00Z", "sampledValue": [{"value": "10"}]}]});
    charger.ok("MeterValues", sample).await;
    let stop =
        json!({"transactionId": absurd, "meterStop": 100, "timestamp": "0001-01-01T00:00:00Z"});
    charger.ok("StopTransaction", stop).await;
    let start = json!({"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-11-20T07:00:00.123456789Z"});
    let real = charger.ok("StartTransaction", start).await["transactionId"].clone();
    let after = chrono::Utc::now() + chrono::Duration::seconds(1);
    let sessions = history(&app).await;
    let absurd = sessions
        .iter()
        .find(|s| json!(s.id) == absurd)
        .expect("the absurd session is recorded");
    let stopped = absurd.stopped_at.expect("stopped");
    assert!(
        before <= absurd.started_at && absurd.started_at <= stopped && stopped <= after,
        "recorded when heard: {:?} – {stopped:?}",
        absurd.started_at
    );
    let samples = app.db.store.meter_samples(absurd.id).await.unwrap();
    assert!(samples.iter().all(|(at, _)| before <= *at && *at <= after));
    let real = sessions
        .iter()
        .find(|s| json!(s.id) == real)
        .expect("the real session is recorded");
    assert_eq!(
        real.started_at.to_rfc3339(),
        "2026-11-20T07:00:00.123456+00:00",
        "believable times are kept, to the microsecond on both engines"
    );
}

async fn stale_statuses_do_not_overwrite_newer_ones(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, password, _) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    let status = |state: &str, at: &str| json!({"connectorId": 1, "errorCode": "NoError", "status": state, "timestamp": at});
    charger
        .ok(
            "StatusNotification",
            status("Charging", "2026-11-20T08:10:00Z"),
        )
        .await;
    charger
        .ok(
            "StatusNotification",
            status("Preparing", "2026-11-20T08:00:00Z"),
        )
        .await;
    let (_, html) = owner.page(&format!("/installations/{installation}")).await;
    assert!(
        html.contains("Connector 1: ⚡ Charging"),
        "the older report came late"
    );
}

/// A charger that answers each command after 2 s; three commands together with 3 s to live: none
/// reaches the charger after its caller was told it failed.
async fn commands_that_timed_out_are_never_sent_afterwards(engine: Engine) {
    let app = spawn_app_with(engine, |settings| settings.ocpp_command_timeout = 3).await;
    let (owner, _, password, charger_id) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    charger.settle(Duration::from_millis(300)).await;
    let page = format!("/chargers/{charger_id}");
    let token = csrf_in(&owner.page(&page).await.1);
    let begun = Instant::now();
    let send = |command: &'static str| {
        let request = owner
            .client
            .post(format!("{}{page}/commands", owner.base))
            .form(&[("command", command), ("csrf", token.as_str())])
            .send();
        let owner = &owner;
        async move {
            let response = request.await.unwrap();
            let told = begun.elapsed();
            let (_, html) = owner.follow_to_charger(response).await;
            (html, told)
        }
    };
    // Each CALL is noted the moment it arrives and answered 2 s later.
    let answering = async {
        let mut received = Vec::new();
        let mut due: std::collections::VecDeque<(tokio::time::Instant, Value)> = Default::default();
        let quiet = tokio::time::Instant::now() + Duration::from_secs(6);
        loop {
            let next_answer = due.front().map(|(at, _)| *at).unwrap_or(quiet);
            tokio::select! {
                message = futures::StreamExt::next(&mut charger.socket) => {
                    let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = message else {
                        continue;
                    };
                    let frame: Value = serde_json::from_str(&text).unwrap();
                    received.push((frame[2].as_str().unwrap_or_default().to_owned(), begun.elapsed()));
                    due.push_back((tokio::time::Instant::now() + Duration::from_secs(2), frame));
                }
                () = tokio::time::sleep_until(next_answer) => match due.pop_front() {
                    Some((_, frame)) => {
                        let answer = json!([3, frame[1], {"status": "Accepted"}]).to_string();
                        charger.send_text(answer).await;
                    }
                    None => break,
                },
            }
        }
        received
    };
    let (reset, trigger, availability, received) =
        tokio::join!(send("restart"), send("refresh"), send("disable"), answering);
    let outcomes = [
        ("Reset", reset),
        ("TriggerMessage", trigger),
        ("ChangeAvailability", availability),
    ];
    let mut failures = 0;
    for (action, (html, told)) in &outcomes {
        if !html.contains("No result") {
            continue;
        }
        failures += 1;
        if let Some((_, at)) = received.iter().find(|(called, _)| called == action) {
            assert!(
                at < told,
                "{action} reached the charger at {at:?}, after its caller was told at {told:?}: {}",
                html.split("class=\"notice\" role=\"status\">")
                    .nth(1)
                    .unwrap_or_default()
                    .split('<')
                    .next()
                    .unwrap_or_default()
            );
        }
    }
    assert!(failures >= 1, "with these timings some command fails");
    assert!(
        received.len() < 3,
        "a command whose time ran out while it waited is never sent: {received:?}"
    );
    assert!(outcomes
        .iter()
        .any(|(_, (html, _))| html.contains("the command was not sent")));
}

async fn a_replaced_connection_closes_at_once(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, _, password, charger_id) = with_charger(&app, "CP-1").await;
    let mut first = ChargePoint::connect(&app.base, "CP-1", &password).await;
    first.settle(Duration::from_millis(300)).await;
    let page = format!("/chargers/{charger_id}");
    let action = format!("{page}/commands");
    let command = owner.submit_page(&page, &action, &[("command", "restart")]);
    let replace = async {
        let call = first.next_frame().await;
        assert_eq!(
            call[2], "Reset",
            "a command is pending on the first connection"
        );
        let begun = Instant::now();
        let _second = ChargePoint::connect(&app.base, "CP-1", &password).await;
        loop {
            match tokio::time::timeout(
                Duration::from_secs(2),
                futures::StreamExt::next(&mut first.socket),
            )
            .await
            {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))))
                | Ok(None)
                | Ok(Some(Err(_))) => break,
                Ok(_) => continue,
                Err(_) => panic!("the replaced connection stayed open"),
            }
        }
        begun.elapsed()
    };
    let ((_, html), closed_after) = tokio::join!(command, replace);
    assert!(closed_after < Duration::from_secs(2), "{closed_after:?}");
    assert!(
        html.contains("connection closed before it answered."),
        "the pending command fails with a clear error"
    );
}

async fn a_charger_replaying_its_backlog_is_never_disconnected(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, _, password, _) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    for minute in 0..600 {
        let meter = json!({"connectorId": 1, "meterValue": [{"timestamp": format!("2026-11-20T{:02}:{:02}:00Z", minute / 60, minute % 60),
            "sampledValue": [{"value": (minute * 10).to_string()}]}]});
        charger.ok("MeterValues", meter).await;
    }
    assert_eq!(
        charger.call("Heartbeat", json!({})).await[0],
        3,
        "still connected"
    );
}

async fn commands_are_audited_before_they_are_sent(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, password, charger_id) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    charger.settle(Duration::from_millis(300)).await;
    let page = format!("/chargers/{charger_id}");
    let unlock = [("command", "unlock"), ("connector", "1")];
    let action = format!("{page}/commands");
    let command = owner.submit_page(&page, &action, &unlock);
    let audited = async {
        let call = charger.next_frame().await;
        let audit = app
            .db
            .store
            .installation_audit(
                &operator::<ManagePermissions>(&app.db, installation).await,
                1,
                0,
            )
            .await
            .unwrap();
        let answer = json!([3, call[1], {"status": "Unlocked"}]).to_string();
        charger.send_text(answer).await;
        audit
    };
    let ((_, html), before) = tokio::join!(command, audited);
    assert!(html.contains("The charger answered: unlocked."));
    assert_eq!(
        (
            before[0].kind.as_str(),
            before[0].detail["command"].clone(),
            before[0].detail["outcome"].clone()
        ),
        ("charger_command", json!("UnlockConnector"), Value::Null),
        "the event was written before the charger got the command"
    );
    let after = app
        .db
        .store
        .installation_audit(
            &operator::<ManagePermissions>(&app.db, installation).await,
            1,
            0,
        )
        .await
        .unwrap();
    assert_eq!(after[0].id, before[0].id);
    assert_eq!(
        after[0].detail["outcome"],
        json!({"id": "outcome-answered", "args": {"status": "Unlocked"}}),
        "a code the portal translates, not an English sentence"
    );
    let (_, html) = owner
        .page(&format!(
            "/installations/{installation}/audit?kind=commands&lang=de"
        ))
        .await;
    assert!(
        html.contains("Angenommen") && html.contains("Das Ladegerät antwortete: entriegelt."),
        "the stored code is said in the reader's language"
    );
    assert_eq!(after[0].detail["request"], json!({"connectorId": 1}));
}

async fn text_with_nul_from_people_or_chargers_breaks_nothing(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, password, charger_id) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    charger.settle(Duration::from_millis(300)).await;
    let boot = json!({"chargePointVendor": "Ev\u{0}il", "chargePointModel": "M\u{202e}odel",
        "chargePointSerialNumber": "S\u{1b}N", "firmwareVersion": "1.0\u{2066}"});
    assert_eq!(
        charger.ok("BootNotification", boot).await["status"],
        "Accepted",
        "what a charger reports is cleaned before it is stored, even on PostgreSQL"
    );
    let page = app
        .db
        .store
        .charger(charger_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            page.vendor.as_deref(),
            page.model.as_deref(),
            page.serial_number.as_deref()
        ),
        (
            Some("Ev\u{fffd}il"),
            Some("M\u{fffd}odel"),
            Some("S\u{fffd}N")
        )
    );
    let start = json!({"connectorId": 1, "idTag": "T\u{0}G", "meterStart": 0, "timestamp": "2026-11-20T08:00:00Z"});
    assert!(charger.ok("StartTransaction", start).await["transactionId"].as_i64() > Some(0));
    let configuration = format!("/chargers/{charger_id}/configuration");
    let keys = json!({"configurationKey": [{"key": "Evil\u{0}Key", "readonly": false, "value": "x\u{202e}y"}]});
    let (load, _) = tokio::join!(owner.page(&configuration), charger.answer_next(keys));
    assert_eq!(load.0, StatusCode::OK);
    assert!(!load.1.contains('\u{0}') && !load.1.contains('\u{202e}'));
    let token = csrf_in(&load.1);
    let response = owner
        .client
        .post(format!("{}{configuration}", owner.base))
        .form(&[("key", "Heart\u{0}beat"), ("value", "1"), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "a key with NUL is refused, not sent"
    );
    let change = owner
        .client
        .post(format!("{}{configuration}", owner.base))
        .form(&[
            ("key", "HeartbeatInterval"),
            ("value", "300"),
            ("csrf", &token),
        ])
        .send();
    let refuse = async {
        let call = charger.next_frame().await;
        assert_eq!(call[2], "ChangeConfiguration");
        let error = json!([4, call[1], "NotSupported", "no\u{0}pe", {}]).to_string();
        charger.send_text(error).await;
    };
    let (response, ()) = tokio::join!(change, refuse);
    let response = response.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "post/redirect/get"
    );
    let ((_, html), _) = tokio::join!(
        owner.page(&configuration),
        charger.answer_next(json!({"configurationKey": []}))
    );
    assert!(html.contains("no\u{fffd}pe"), "{html}");
    let audit = app
        .db
        .store
        .installation_audit(
            &operator::<ManagePermissions>(&app.db, installation).await,
            10,
            0,
        )
        .await
        .unwrap();
    let commands: Vec<&Value> = audit
        .iter()
        .filter(|e| e.kind == "charger_command")
        .map(|e| &e.detail)
        .collect();
    assert!(
        commands
            .iter()
            .any(|d| d["outcome"].to_string().contains("no\u{fffd}pe")),
        "the charger's answer is in the audit log, cleaned: {commands:?}"
    );
    assert!(
        !commands
            .iter()
            .any(|d| d["request"]["key"] == "Heart\u{0}beat"),
        "what was refused was not sent"
    );
}
