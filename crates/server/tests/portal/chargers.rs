//! Chargers over real WebSockets against the running server, and the portal around them.

use std::time::Duration;

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use voltgate_domain::{Email, InstallationId};
use voltgate_store::Engine;

use crate::charge_point::{http_status, open, with_charger, ChargePoint};
use crate::helpers::{operator, spawn_app, Browser, TestApp};
use crate::installations::Fields;
use crate::on_both_engines;

on_both_engines!(
    only_known_chargers_with_the_right_password_and_protocol_connect,
    a_charger_reports_and_the_portal_shows_it,
    a_charge_session_lands_in_the_history_once,
    portal_commands_reach_the_charger_and_come_back,
    malformed_frames_get_call_errors_and_the_connection_stays,
    granted_groups_control_chargers_and_strangers_do_not,
    the_simulator_charges_and_obeys_the_portal,
    oversized_messages_end_the_connection,
);

async fn only_known_chargers_with_the_right_password_and_protocol_connect(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, _, password, _) = with_charger(&app, "CP-1").await;
    assert_eq!(
        http_status(
            open(&app.base, "CP-1", Some(&password), None)
                .await
                .unwrap_err()
        ),
        400,
        "no subprotocol"
    );
    assert_eq!(
        http_status(
            open(&app.base, "CP-1", Some(&password), Some("ocpp2.0.1"))
                .await
                .unwrap_err()
        ),
        400
    );
    assert_eq!(
        http_status(
            open(&app.base, "CP-1", Some("wrong"), Some("ocpp1.6"))
                .await
                .unwrap_err()
        ),
        401
    );
    assert_eq!(
        http_status(
            open(&app.base, "CP-404", Some(&password), Some("ocpp1.6"))
                .await
                .unwrap_err()
        ),
        401
    );
    assert_eq!(
        http_status(
            open(&app.base, &"x".repeat(49), Some(&password), Some("ocpp1.6"))
                .await
                .unwrap_err()
        ),
        400
    );
    let socket = open(
        &app.base,
        "CP-1",
        Some(&password),
        Some("ocpp2.0.1, ocpp1.6"),
    )
    .await
    .expect("ocpp1.6 among others is fine");
    drop(socket);
    let (_, response) = tokio_tungstenite::connect_async({
        let mut request = format!("{}/ocpp/CP-1", app.base.replacen("http://", "ws://", 1))
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "ocpp1.6".parse().unwrap());
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("CP-1:{password}"));
        request.headers_mut().insert(
            "Authorization",
            format!("Basic {credentials}").parse().unwrap(),
        );
        request
    })
    .await
    .unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "ocpp1.6");
    let audit = app
        .db
        .store
        .installation_audit(
            &operator(&app.db, owners_installation(&app).await).await,
            10,
            0,
        )
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.kind == "charger_added"));
}

async fn a_charger_reports_and_the_portal_shows_it(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, password, charger_id) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    charger.boot().await;
    let beat = charger.call("Heartbeat", json!({})).await;
    assert!(beat[2]["currentTime"].as_str().unwrap().ends_with('Z'));
    let status = json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging"});
    assert_eq!(
        charger.call("StatusNotification", status).await[2],
        json!({})
    );
    let meter = json!({"connectorId": 1, "meterValue": [{"timestamp": "2026-11-25T12:00:00Z", "sampledValue": [
        {"value": "7.4", "measurand": "Power.Active.Import", "unit": "kW"},
        {"value": "16.1", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
        {"value": "1234.5", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]});
    charger.call("MeterValues", meter).await;
    let data = charger
        .call("DataTransfer", json!({"vendorId": "acme"}))
        .await;
    assert_eq!(data[2]["status"], "UnknownVendorId");
    let (_, html) = owner.page(&format!("/installations/{installation}")).await;
    assert!(
        html.contains("badge online")
            && html.contains("Connector 1: ⚡ Charging · 7.4 kW · 16.1 / – / – A<"),
        "live state on the installation page"
    );
    let (_, html) = owner.page(&format!("/chargers/{charger_id}")).await;
    assert!(html.contains("Zaptec") && html.contains("2.1") && html.contains("16.1 / – / – A"));
    assert!(
        !html.contains("<dt>Password</dt>"),
        "the password is not shown again"
    );
    drop(charger);
    for _ in 0..50 {
        let (_, html) = owner.page(&format!("/chargers/{charger_id}")).await;
        if html.contains("badge offline") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the charger never showed as offline");
}

async fn a_charge_session_lands_in_the_history_once(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, password, _) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    charger.boot().await;
    let start = json!({"connectorId": 1, "idTag": "TAG-1", "meterStart": 10000, "timestamp": "2026-11-20T08:00:00Z"});
    let started = charger.call("StartTransaction", start.clone()).await;
    assert_eq!(started[2]["idTagInfo"]["status"], "Accepted");
    let transaction = started[2]["transactionId"].as_i64().unwrap();
    drop(charger);
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    assert_eq!(
        charger.call("StartTransaction", start).await[2]["transactionId"],
        transaction,
        "a resend after reconnect is the same session"
    );
    for (minute, wh) in [(10, 11200), (20, 12500)] {
        let meter = json!({"connectorId": 1, "transactionId": transaction, "meterValue": [{"timestamp": format!("2026-11-20T08:{minute}:00Z"), "sampledValue": [{"value": wh.to_string()}]}]});
        charger.call("MeterValues", meter.clone()).await;
        charger.call("MeterValues", meter).await;
    }
    let (_, html) = owner.page(&format!("/installations/{installation}")).await;
    assert!(
        html.contains(&format!(
            "Connector 1: ? Unknown · session #{transaction}, 2.5 kWh"
        )),
        "the live view shows the session's energy"
    );
    let stop = json!({"transactionId": transaction, "idTag": "TAG-1", "meterStop": 17500, "timestamp": "2026-11-20T09:00:00Z", "reason": "EVDisconnected"});
    assert_eq!(
        charger.call("StopTransaction", stop.clone()).await[2]["idTagInfo"]["status"],
        "Accepted"
    );
    assert_eq!(
        charger.call("StopTransaction", stop).await[0],
        3,
        "a repeated stop is accepted"
    );
    let unknown =
        json!({"transactionId": 999999, "meterStop": 1, "timestamp": "2026-11-20T09:00:00Z"});
    assert_eq!(
        charger.call("StopTransaction", unknown).await[0],
        3,
        "so is an unknown one"
    );
    let samples = app
        .db
        .store
        .meter_samples(transaction as i32)
        .await
        .unwrap();
    assert_eq!(samples.len(), 2, "samples de-duplicated");

    let (status, html) = owner
        .page(&format!("/installations/{installation}/history"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("1 charging session · 7.5 kWh in all"),
        "counted once"
    );
    assert!(
        html.contains("2026-11-20 09:00")
            && html.contains("EVDisconnected")
            && html.contains("TAG-1")
    );
    let (_, csv) = owner
        .page(&format!("/installations/{installation}/history?format=csv"))
        .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].contains("\"TAG-1\"") && lines[1].contains(",7.500,"),
        "{}",
        lines[1]
    );
    let (_, empty) = owner
        .page(&format!(
            "/installations/{installation}/history?from=2026-11-21"
        ))
        .await;
    assert!(empty.contains("No charging sessions match"));
    assert_eq!(
        owner
            .get(&format!(
                "/installations/{installation}/history?from=yesterday"
            ))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );

    let page = format!("/installations/{installation}");
    let settings = [
        ("max_current", "32"),
        ("available_current", "32"),
        ("phases", "3"),
        ("authentication_required", "true"),
    ];
    owner
        .submit(&page, &format!("{page}/settings"), &settings)
        .await;
    assert_eq!(
        charger
            .call("Authorize", json!({"idTag": "STRANGER"}))
            .await[2]["idTagInfo"]["status"],
        "Invalid"
    );
    let refused = charger.call("StartTransaction", json!({"connectorId": 2, "idTag": "STRANGER", "meterStart": 0, "timestamp": "2026-11-21T08:00:00Z"})).await;
    assert_eq!(refused[2]["idTagInfo"]["status"], "Invalid");
    let stranger = refused[2]["transactionId"].as_i64().unwrap();
    assert!(
        stranger > 0 && stranger != transaction,
        "a refused token still gets a real transaction, so its energy is kept"
    );
    let stop = json!({"transactionId": stranger, "meterStop": 2500, "timestamp": "2026-11-21T09:00:00Z", "reason": "DeAuthorized"});
    charger.ok("StopTransaction", stop).await;
    let sessions = app
        .db
        .store
        .charge_history(installation, &Default::default(), 10, 0)
        .await
        .unwrap();
    let unauthorised = sessions.iter().find(|s| s.id == stranger as i32).unwrap();
    assert_eq!(
        (unauthorised.authorized, unauthorised.energy_kwh()),
        (false, Some(2.5))
    );
    let (_, html) = owner
        .page(&format!("/installations/{installation}/history"))
        .await;
    assert!(html.contains("STRANGER <span class=\"hint\">(not authorised)</span>"));
    let tokens = format!("{page}/id-tags");
    app.signed_up("outsider@example.com", "Outsider").await;
    for (tag, email, message) in [
        (
            "",
            "owner@example.no",
            "An RFID token has 1 to 20 printable characters",
        ),
        (
            "THIS-TOKEN-IS-TOO-LONG",
            "owner@example.no",
            "An RFID token has 1 to 20 printable characters",
        ),
        (
            "OK-TAG",
            "outsider@example.com",
            "Tokens belong to people with access to this installation.",
        ),
        (
            "OK-TAG",
            "nobody@example.com",
            "Tokens belong to people with access to this installation.",
        ),
    ] {
        let (status, html) = owner
            .submit_page(&page, &tokens, &[("id_tag", tag), ("email", email)])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{tag} {email}");
        assert!(html.contains(message), "{message}");
    }
    let registered = owner
        .submit(
            &page,
            &tokens,
            &[("id_tag", "OWNER-TAG"), ("email", "owner@example.no")],
        )
        .await;
    assert_eq!(registered.status(), StatusCode::SEE_OTHER);
    let (_, html) = owner.page(&page).await;
    assert!(html.contains("<code>OWNER-TAG</code>") && html.contains("1 token"));
    assert_eq!(
        charger
            .call("Authorize", json!({"idTag": "OWNER-TAG"}))
            .await[2]["idTagInfo"]["status"],
        "Accepted"
    );
    owner
        .submit(
            &page,
            &format!("{tokens}/remove"),
            &[("id_tag", "OWNER-TAG")],
        )
        .await;
    assert_eq!(
        charger
            .call("Authorize", json!({"idTag": "OWNER-TAG"}))
            .await[2]["idTagInfo"]["status"],
        "Blocked",
        "removed tokens stop working, and the charger hears why"
    );
}

/// Submits a portal form while the charger answers the CALL it causes.
async fn command_with_answer(
    owner: &Browser,
    charger: &mut ChargePoint,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
    answer: Value,
) -> (String, Value, String) {
    let token = crate::helpers::csrf_in(&owner.page(page).await.1);
    let mut all = fields.to_vec();
    all.push(("csrf", &token));
    let request = owner
        .client
        .post(format!("{}{action}", owner.base))
        .form(&all)
        .send();
    let (response, (called, payload)) = tokio::join!(request, charger.answer_next(answer));
    let (_, html) = owner.follow_to_charger(response.unwrap()).await;
    (called, payload, html)
}

async fn portal_commands_reach_the_charger_and_come_back(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, _, password, charger_id) = with_charger(&app, "CP-1").await;
    let page = format!("/chargers/{charger_id}");
    let commands = format!("{page}/commands");
    let (_, html) = owner
        .submit_page(&page, &commands, &[("command", "restart")])
        .await;
    assert!(
        html.contains("No result: the charger is offline."),
        "offline is a clear outcome"
    );

    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    charger.boot().await;
    let cases: [(Fields, &str, Value); 6] = [
        (&[("command", "restart")], "Reset", json!({"type": "Soft"})),
        (
            &[("command", "unlock"), ("connector", "2")],
            "UnlockConnector",
            json!({"connectorId": 2}),
        ),
        (
            &[("command", "disable")],
            "ChangeAvailability",
            json!({"connectorId": 0, "type": "Inoperative"}),
        ),
        (
            &[
                ("command", "start"),
                ("connector", "1"),
                ("id_tag", "TAG-9"),
            ],
            "RemoteStartTransaction",
            json!({"connectorId": 1, "idTag": "TAG-9"}),
        ),
        (
            &[("command", "stop"), ("transaction", "42")],
            "RemoteStopTransaction",
            json!({"transactionId": 42}),
        ),
        (
            &[("command", "refresh")],
            "TriggerMessage",
            json!({"requestedMessage": "StatusNotification"}),
        ),
    ];
    for (fields, action, payload) in cases {
        let status = if action == "UnlockConnector" {
            "Unlocked"
        } else {
            "Accepted"
        };
        let (called, sent, html) = command_with_answer(
            &owner,
            &mut charger,
            &page,
            &commands,
            fields,
            json!({ "status": status }),
        )
        .await;
        assert_eq!((called.as_str(), sent), (action, payload));
        assert!(
            html.contains(&format!("The charger answered: {}.", status.to_lowercase())),
            "{action}"
        );
    }
    let (_, _, html) = command_with_answer(
        &owner,
        &mut charger,
        &page,
        &commands,
        &[("command", "unlock"), ("connector", "1")],
        json!({"status": "Accepted"}),
    )
    .await;
    assert!(
        html.contains("answer could not be read"),
        "an answer outside the schema is not taken for success"
    );
    let (_, html) = owner
        .submit_page(
            &page,
            &commands,
            &[("command", "pause"), ("connector", "1")],
        )
        .await;
    assert!(
        html.contains("Nothing is charging on this connector."),
        "pausing needs a session"
    );
    let start = json!({"connectorId": 1, "idTag": "TAG-9", "meterStart": 0, "timestamp": "2026-11-25T08:00:00Z"});
    let transaction = charger.ok("StartTransaction", start).await["transactionId"].clone();
    charger.settle(Duration::from_millis(300)).await;
    charger.profile_answer = json!({"status": "Rejected"});
    let before = charger.limits.len();
    let pause = [("command", "pause"), ("connector", "1")];
    let ((_, html), ()) = tokio::join!(
        owner.submit_page(&page, &commands, &pause),
        charger.settle(Duration::from_millis(500))
    );
    assert!(
        html.contains("The charger rejected its new limit."),
        "{html}"
    );
    assert!(
        charger.limits[before..].contains(&(1, "TxProfile".into(), 0.0)),
        "a pause is the session's own 0 A limit: {:?}",
        charger.limits
    );
    charger.profile_answer = json!({"status": "Accepted"});
    let resume = [("command", "resume"), ("connector", "1")];
    let ((_, html), ()) = tokio::join!(
        owner.submit_page(&page, &commands, &resume),
        charger.settle(Duration::from_millis(500))
    );
    assert!(
        html.contains("The charger accepted its new limit."),
        "{html}"
    );
    let end = [
        ("command", "end"),
        ("transaction", &*transaction.to_string()),
    ];
    let (_, html) = owner.submit_page(&page, &commands, &end).await;
    assert!(html.contains("The charging session was ended."));
    let history = app
        .db
        .store
        .charge_history(owners_installation(&app).await, &Default::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        history[0].stop_reason.as_deref(),
        Some(voltgate_store::ENDED_WITHOUT_STOP)
    );
    let (status, html) = owner
        .submit_page(
            &page,
            &commands,
            &[("command", "unlock"), ("connector", "7")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Choose a connector from 1 to 2."));

    let configuration = format!("{page}/configuration");
    let keys = json!({"configurationKey": [
        {"key": "HeartbeatInterval", "readonly": false, "value": "60"},
        {"key": "NumberOfConnectors", "readonly": true, "value": "2"}]});
    let (load, read) = tokio::join!(owner.page(&configuration), charger.answer_next(keys));
    assert_eq!(read.0, "GetConfiguration");
    assert!(load.1.contains("HeartbeatInterval") && load.1.contains("read-only"));
    let token = crate::helpers::csrf_in(&load.1);
    let change = owner
        .client
        .post(format!("{}{configuration}", owner.base))
        .form(&[
            ("key", "HeartbeatInterval"),
            ("value", "300"),
            ("csrf", &token),
        ])
        .send();
    let answer_change = charger.answer_next(json!({"status": "RebootRequired"}));
    let (response, (action, payload)) = tokio::join!(change, answer_change);
    assert_eq!(
        (action.as_str(), payload),
        (
            "ChangeConfiguration",
            json!({"key": "HeartbeatInterval", "value": "300"})
        )
    );
    let response = response.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "post/redirect/get"
    );
    let (reload, _) = tokio::join!(
        owner.page(&configuration),
        charger.answer_next(json!({"configurationKey": []}))
    );
    assert!(reload.1.contains(
        "HeartbeatInterval: The charger answered: accepted, takes effect after a restart."
    ));
    let audit = app
        .db
        .store
        .installation_audit(
            &operator(&app.db, owners_installation(&app).await).await,
            100,
            0,
        )
        .await
        .unwrap();
    assert!(
        audit.iter().filter(|e| e.kind == "charger_command").count() >= 12,
        "every command is audited"
    );
    let (_, log) = owner
        .page(&format!(
            "/installations/{}/audit?kind=commands",
            owners_installation(&app).await
        ))
        .await;
    let ended = log
        .split("Ended a charging session on ")
        .nth(1)
        .expect("the end is in the log");
    assert!(
        ended.split('<').next().unwrap().ends_with(", connector 1"),
        "the log names the connector of the session ended: {ended:.80}"
    );
    assert!(
        log.contains("Changed HeartbeatInterval on") && log.contains("to “300”"),
        "the log names the value set"
    );
}

async fn malformed_frames_get_call_errors_and_the_connection_stays(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, _, password, _) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    for (text, code) in [
        ("{\"not\": \"an array\"}", "FormationViolation"),
        ("[2,\"x1\",\"Teleport\",{}]", "NotImplemented"),
        ("[2,\"x2\",\"StartTransaction\",{\"connectorId\":1}]", "ProtocolError"),
        ("[2,\"x3\",\"StartTransaction\",{\"connectorId\":\"one\",\"idTag\":\"T\",\"meterStart\":0,\"timestamp\":\"2026-11-20T08:00:00Z\"}]", "TypeConstraintViolation"),
        ("[2,\"x4\",\"Authorize\",{\"idTag\":\"THIS-TAG-IS-FAR-TOO-LONG-FOR-OCPP\"}]", "PropertyConstraintViolation"),
    ] {
        charger.send_text(text.to_owned()).await;
        let answer = charger.next_frame().await;
        assert_eq!((answer[0].clone(), answer[2].clone()), (json!(4), json!(code)), "{text}");
    }
    charger
        .send_text("[3,\"nobody-asked\",{}]".to_owned())
        .await;
    assert_eq!(
        charger.call("Heartbeat", json!({})).await[0],
        3,
        "still connected, stray results dropped"
    );
    let history = app
        .db
        .store
        .charge_history(owners_installation(&app).await, &Default::default(), 10, 0)
        .await
        .unwrap();
    assert!(history.is_empty(), "no half-written session");
}

async fn granted_groups_control_chargers_and_strangers_do_not(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, _, charger_id) = with_charger(&app, "CP-1").await;
    let partner = app.signed_up("cpo@acme.example", "Acme").await;
    let group = crate::groups::create_group(&partner, "Acme Charging", "").await;
    let partner_user = app
        .db
        .store
        .user_by_email(&Email::parse("cpo@acme.example").unwrap())
        .await
        .unwrap()
        .unwrap();
    let key = app
        .db
        .store
        .group_for(&voltgate_domain::Principal::User(partner_user.id), group)
        .await
        .unwrap()
        .unwrap()
        .0
        .lookup_key;
    let request = format!("/access/request/{key}");
    owner
        .submit(
            &request,
            &request,
            &[
                ("decision", "approve"),
                ("installation_id", &installation.to_string()),
            ],
        )
        .await;
    let page = format!("/chargers/{charger_id}");
    let (status, html) = partner.page(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Ask for its state") && !html.contains("Make a new password"),
        "control yes, manage no"
    );
    let (_, html) = partner
        .submit_page(
            &page,
            &format!("{page}/commands"),
            &[("command", "restart")],
        )
        .await;
    assert!(html.contains("the charger is offline"));
    let stranger = app.signed_up("stranger@example.com", "Stranger").await;
    assert_eq!(stranger.get(&page).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        stranger
            .submit(
                "/installations",
                &format!("{page}/commands"),
                &[("command", "restart")]
            )
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stranger.get("/chargers/not-an-id").await.status(),
        StatusCode::NOT_FOUND
    );
    let viewer_fields = [("email", "stranger@example.com"), ("role", "user")];
    let inst_page = format!("/installations/{installation}");
    owner
        .submit(&inst_page, &format!("{inst_page}/members"), &viewer_fields)
        .await;
    assert_eq!(
        stranger
            .submit(
                &page,
                &format!("{page}/commands"),
                &[("command", "restart")]
            )
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "users look, they do not control"
    );
}

/// The owner's (only) installation.
pub async fn owners_installation(app: &TestApp) -> InstallationId {
    let owner = app
        .db
        .store
        .user_by_email(&Email::parse("owner@example.no").unwrap())
        .await
        .unwrap()
        .unwrap();
    app.db
        .store
        .installations_for(&voltgate_domain::Principal::User(owner.id))
        .await
        .unwrap()[0]
        .0
        .id
}

async fn the_simulator_charges_and_obeys_the_portal(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, password, charger_id) = with_charger(&app, "CP-SIM").await;
    let args = voltgate_server::sim::SimArgs {
        url: format!("{}/ocpp", app.base.replacen("http://", "ws://", 1)),
        id: "CP-SIM".into(),
        password,
        connectors: 2,
        plug_in_after: Some(0),
        id_tag: "SIM-TAG".into(),
        meter_interval: 1,
    };
    let simulator = tokio::spawn(voltgate_server::sim::run(args));
    let mut transaction = None;
    for _ in 0..100 {
        let running = app.db.store.running_sessions(installation).await.unwrap();
        let sessions = app
            .db
            .store
            .charge_history(installation, &Default::default(), 10, 0)
            .await
            .unwrap();
        if let (Some(_), Some(session)) = (running.first(), sessions.first()) {
            if app.db.store.meter_samples(session.id).await.unwrap().len() >= 2 {
                transaction = Some(session.id);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let transaction = transaction.expect("the simulator started charging and sent meter values");
    let page = format!("/chargers/{charger_id}");
    let (_, html) = owner.page(&page).await;
    assert!(
        html.contains("badge online") && html.contains("Charging") && html.contains("voltgate-sim")
    );
    let stop = [
        ("command", "stop"),
        ("transaction", &*transaction.to_string()),
    ];
    let (_, html) = owner
        .submit_page(&page, &format!("{page}/commands"), &stop)
        .await;
    assert!(
        html.contains("The charger answered: accepted."),
        "remote stop"
    );
    for _ in 0..50 {
        let sessions = app
            .db
            .store
            .charge_history(installation, &Default::default(), 10, 0)
            .await
            .unwrap();
        if sessions[0].stopped_at.is_some() {
            assert!(
                sessions[0].energy_kwh().unwrap() > 0.0,
                "realistic meter values add up"
            );
            assert_eq!(sessions[0].stop_reason.as_deref(), Some("Remote"));
            let (_, html) = owner
                .submit_page(
                    &page,
                    &format!("{page}/commands"),
                    &[("command", "restart")],
                )
                .await;
            assert!(html.contains("The charger answered: accepted."), "reset");
            simulator.abort();
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the simulator never stopped the session");
}

/// The close code the server ends the connection with, reading past anything else it sends.
async fn close_code(charger: &mut ChargePoint) -> Option<u16> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), charger.socket.next())
            .await
            .expect("the server reacts");
        match message {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Err(_)) => return None,
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(frame[0], 2, "nothing is answered: {frame}");
            }
            Some(Ok(_)) => {}
            _ => return None,
        }
    }
}

async fn oversized_messages_end_the_connection(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, password, _) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    charger.settle(Duration::from_millis(300)).await;
    let huge = format!(
        "[2,\"big\",\"DataTransfer\",{{\"vendorId\":\"x\",\"data\":\"{}\"}}]",
        "x".repeat(100 * 1024)
    );
    charger.send_text(huge).await;
    assert_eq!(
        close_code(&mut charger).await,
        Some(1009),
        "a message over 64 KiB closes with 1009 (Message Too Big)"
    );

    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    let start = json!({"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-11-20T08:00:00Z"});
    let transaction = charger.ok("StartTransaction", start).await["transactionId"].clone();
    let samples: Vec<Value> = (1..=1500)
        .map(|minute| json!({"timestamp": (chrono::DateTime::parse_from_rfc3339("2026-11-20T08:00:00Z").unwrap() + chrono::Duration::minutes(minute)).to_rfc3339(),
            "sampledValue": [{"value": (minute * 10).to_string(), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                             {"value": "50.0", "measurand": "Frequency", "unit": "Hertz"}]}))
        .collect();
    let stop = json!({"transactionId": transaction, "meterStop": 15000, "timestamp": "2026-11-21T09:00:00Z",
        "reason": "Local", "transactionData": samples});
    assert!(stop.to_string().len() > 64 * 1024);
    charger.ok("StopTransaction", stop).await;
    let history = app
        .db
        .store
        .charge_history(installation, &Default::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        (history[0].meter_stop, history[0].energy_kwh()),
        (Some(15000), Some(15.0)),
        "a StopTransaction of a day offline lands"
    );
    assert_eq!(
        app.db
            .store
            .meter_samples(history[0].id)
            .await
            .unwrap()
            .len(),
        1500
    );
    let (_, html) = owner.page(&format!("/installations/{installation}")).await;
    assert!(html.contains("badge online"), "and the connection stays");

    let far_too_big = format!(
        "[2,\"s\",\"StopTransaction\",{{\"transactionId\":1,\"meterStop\":1,\"timestamp\":\"2026-11-21T09:00:00Z\",\"x\":\"{}\"}}]",
        "x".repeat(9 * 1024 * 1024)
    );
    // The server refuses it from the frame's header and closes while the rest is still being sent,
    // so the client may see its close frame or only the reset that follows.
    let _ = charger.socket.send(Message::Text(far_too_big.into())).await;
    let code = close_code(&mut charger).await;
    assert!(matches!(code, Some(1009) | None), "{code:?}");
    let mut again = ChargePoint::connect(&app.base, "CP-1", &password).await;
    assert_eq!(
        again.call("Heartbeat", json!({})).await[0],
        3,
        "the charger can reconnect"
    );
}
