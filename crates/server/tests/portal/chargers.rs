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

use crate::helpers::{operator, spawn_app, Browser, TestApp};
use crate::installations::{create_installation, Fields};
use crate::on_both_engines;

on_both_engines!(
    only_known_chargers_with_the_right_password_and_protocol_connect,
    a_charger_reports_and_the_portal_shows_it,
    a_charge_session_lands_in_the_history_once,
    portal_commands_reach_the_charger_and_come_back,
    malformed_frames_get_call_errors_and_the_connection_stays,
    granted_groups_control_chargers_and_strangers_do_not,
    load_balancing_shares_the_available_current,
    the_simulator_charges_and_obeys_the_portal,
    oversized_messages_end_the_connection,
);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A charger speaking OCPP 1.6J to the server.
struct TestCharger {
    socket: Socket,
    next_id: u32,
    /// CALLs from the central system that arrived while this charger waited for an answer; each was
    /// answered `Accepted`.
    received: Vec<(String, Value)>,
}

async fn open(
    base: &str,
    identity: &str,
    password: &str,
    protocol: Option<&str>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let url = format!("{}/ocpp/{identity}", base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request()?;
    if let Some(protocol) = protocol {
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
    }
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{identity}:{password}"));
    request.headers_mut().insert(
        "Authorization",
        format!("Basic {credentials}").parse().unwrap(),
    );
    Ok(tokio_tungstenite::connect_async(request).await?.0)
}

fn http_status(error: tokio_tungstenite::tungstenite::Error) -> u16 {
    match error {
        tokio_tungstenite::tungstenite::Error::Http(response) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other}"),
    }
}

impl TestCharger {
    async fn connect(base: &str, identity: &str, password: &str) -> Self {
        let socket = open(base, identity, password, Some("ocpp1.6"))
            .await
            .expect("the charger connects");
        Self {
            socket,
            next_id: 0,
            received: Vec::new(),
        }
    }

    async fn send_text(&mut self, text: String) {
        self.socket.send(Message::Text(text.into())).await.unwrap();
    }

    /// The next text frame from the server, as JSON.
    async fn receive(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a frame")
                .expect("open")
                .unwrap();
            if let Message::Text(text) = message {
                return serde_json::from_str(&text).unwrap();
            }
        }
    }

    /// Sends a CALL and returns the server's answer frame, answering the server's own CALLs meanwhile.
    async fn call(&mut self, action: &str, payload: Value) -> Value {
        self.next_id += 1;
        let id = format!("c{}", self.next_id);
        self.send_text(json!([2, id, action, payload]).to_string())
            .await;
        loop {
            let frame = self.receive().await;
            if frame[0] == 2 {
                self.send_text(json!([3, frame[1], {"status": "Accepted"}]).to_string())
                    .await;
                self.received.push((
                    frame[2].as_str().unwrap_or_default().to_owned(),
                    frame[3].clone(),
                ));
                continue;
            }
            assert_eq!(frame[1], id, "answers are correlated: {frame}");
            return frame;
        }
    }

    /// Waits for the server's CALL, answers it with `payload`, and returns (action, request payload).
    async fn answer_next(&mut self, payload: Value) -> (String, Value) {
        let call = self.receive().await;
        assert_eq!(call[0], 2, "a CALL from the central system: {call}");
        let reply = json!([3, call[1], payload]).to_string();
        self.send_text(reply).await;
        (call[2].as_str().unwrap().to_owned(), call[3].clone())
    }
}

/// An owner with an installation and a charger added through the portal; returns the charger's password.
async fn with_charger(app: &TestApp, identity: &str) -> (Browser, InstallationId, String, String) {
    let owner = app.signed_up("owner@example.no", "Owner").await;
    let installation = create_installation(&owner, "Garage Nord", "go").await;
    let page = format!("/installations/{installation}");
    let fields = [
        ("name", "Bay 1"),
        ("identity", identity),
        ("connectors", "2"),
    ];
    let (status, html) = owner
        .submit_page(&page, &format!("{page}/chargers"), &fields)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let marker = "<dt>Password</dt><dd><code class=\"key\">";
    let start = html.find(marker).expect("the password is shown once") + marker.len();
    let password = html[start..].split('<').next().unwrap().to_owned();
    assert!(
        html.contains(&format!("/ocpp/{identity}")),
        "the OCPP URL is shown"
    );
    let link = "<a href=\"/chargers/";
    let (_, list) = owner.page(&page).await;
    let charger_id = list[list.find(link).unwrap() + link.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    (owner, installation, password, charger_id)
}

async fn boot(charger: &mut TestCharger) {
    let answer = charger.call("BootNotification", json!({"chargePointVendor": "Zaptec", "chargePointModel": "Go", "firmwareVersion": "2.1"})).await;
    assert_eq!(
        (answer[2]["status"].clone(), answer[2]["interval"].clone()),
        (json!("Accepted"), json!(60))
    );
}

async fn only_known_chargers_with_the_right_password_and_protocol_connect(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, _, password, _) = with_charger(&app, "CP-1").await;
    assert_eq!(
        http_status(open(&app.base, "CP-1", &password, None).await.unwrap_err()),
        400,
        "no subprotocol"
    );
    assert_eq!(
        http_status(
            open(&app.base, "CP-1", &password, Some("ocpp2.0.1"))
                .await
                .unwrap_err()
        ),
        400
    );
    assert_eq!(
        http_status(
            open(&app.base, "CP-1", "wrong", Some("ocpp1.6"))
                .await
                .unwrap_err()
        ),
        401
    );
    assert_eq!(
        http_status(
            open(&app.base, "CP-404", &password, Some("ocpp1.6"))
                .await
                .unwrap_err()
        ),
        401
    );
    assert_eq!(
        http_status(
            open(&app.base, &"x".repeat(49), &password, Some("ocpp1.6"))
                .await
                .unwrap_err()
        ),
        400
    );
    let socket = open(&app.base, "CP-1", &password, Some("ocpp2.0.1, ocpp1.6"))
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
    let mut charger = TestCharger::connect(&app.base, "CP-1", &password).await;
    boot(&mut charger).await;
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
        html.contains("badge online") && html.contains("1: Charging, 7.4 kW, 16/–/– A<"),
        "live state on the installation page"
    );
    let (_, html) = owner.page(&format!("/chargers/{charger_id}")).await;
    assert!(html.contains("Zaptec") && html.contains("2.1") && html.contains("16.1 A"));
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
    let mut charger = TestCharger::connect(&app.base, "CP-1", &password).await;
    boot(&mut charger).await;
    let start = json!({"connectorId": 1, "idTag": "TAG-1", "meterStart": 10000, "timestamp": "2026-11-20T08:00:00Z"});
    let started = charger.call("StartTransaction", start.clone()).await;
    assert_eq!(started[2]["idTagInfo"]["status"], "Accepted");
    let transaction = started[2]["transactionId"].as_i64().unwrap();
    drop(charger);
    let mut charger = TestCharger::connect(&app.base, "CP-1", &password).await;
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
        html.contains(&format!("1: Unknown, session #{transaction}, 2.5 kWh")),
        "the live view shows the session's energy"
    );
    let stop = json!({"transactionId": transaction, "meterStop": 17500, "timestamp": "2026-11-20T09:00:00Z", "reason": "EVDisconnected"});
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
    assert!(html.contains("1 session · 7.5 kWh in all"), "counted once");
    assert!(
        html.contains("2026-11-20 08:00 UTC")
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
    assert!(empty.contains("0 sessions"));
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
    assert_eq!(
        (
            refused[2]["idTagInfo"]["status"].clone(),
            refused[2]["transactionId"].clone()
        ),
        (json!("Invalid"), json!(0))
    );
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
        "Invalid",
        "removed tokens stop working"
    );
}

/// Submits a portal form while the charger answers the CALL it causes.
async fn command_with_answer(
    owner: &Browser,
    charger: &mut TestCharger,
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
    (called, payload, response.unwrap().text().await.unwrap())
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

    let mut charger = TestCharger::connect(&app.base, "CP-1", &password).await;
    boot(&mut charger).await;
    let cases: [(Fields, &str, Value); 7] = [
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
            &[("command", "resume"), ("connector", "1")],
            "ClearChargingProfile",
            json!({"id": 9001}),
        ),
        (
            &[("command", "refresh")],
            "TriggerMessage",
            json!({"requestedMessage": "StatusNotification"}),
        ),
    ];
    for (fields, action, payload) in cases {
        let (called, sent, html) = command_with_answer(
            &owner,
            &mut charger,
            &page,
            &commands,
            fields,
            json!({"status": "Accepted"}),
        )
        .await;
        assert_eq!((called.as_str(), sent), (action, payload));
        assert!(html.contains("The charger answered: Accepted."), "{action}");
    }
    let (called, sent, html) = command_with_answer(
        &owner,
        &mut charger,
        &page,
        &commands,
        &[("command", "pause"), ("connector", "1")],
        json!({"status": "Rejected"}),
    )
    .await;
    assert_eq!(called, "SetChargingProfile");
    assert_eq!(
        sent["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"],
        0.0
    );
    assert!(html.contains("The charger answered: Rejected."));
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
    let answer_change = async {
        let changed = charger
            .answer_next(json!({"status": "RebootRequired"}))
            .await;
        let reread = charger.answer_next(json!({"configurationKey": []})).await;
        (changed, reread)
    };
    let (response, ((action, payload), _)) = tokio::join!(change, answer_change);
    assert_eq!(
        (action.as_str(), payload),
        (
            "ChangeConfiguration",
            json!({"key": "HeartbeatInterval", "value": "300"})
        )
    );
    assert!(response
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("HeartbeatInterval: The charger answered: RebootRequired."));
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
        audit.iter().filter(|e| e.kind == "charger_command").count() >= 9,
        "every command is audited"
    );
}

async fn malformed_frames_get_call_errors_and_the_connection_stays(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, _, password, _) = with_charger(&app, "CP-1").await;
    let mut charger = TestCharger::connect(&app.base, "CP-1", &password).await;
    for (text, code) in [
        ("{\"not\": \"an array\"}", "FormationViolation"),
        ("[2,\"x1\",\"Teleport\",{}]", "NotImplemented"),
        ("[2,\"x2\",\"StartTransaction\",{\"connectorId\":1}]", "ProtocolError"),
        ("[2,\"x3\",\"StartTransaction\",{\"connectorId\":\"one\",\"idTag\":\"T\",\"meterStart\":0,\"timestamp\":\"2026-11-20T08:00:00Z\"}]", "TypeConstraintViolation"),
        ("[2,\"x4\",\"Authorize\",{\"idTag\":\"THIS-TAG-IS-FAR-TOO-LONG-FOR-OCPP\"}]", "PropertyConstraintViolation"),
    ] {
        charger.send_text(text.to_owned()).await;
        let answer = charger.receive().await;
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
        html.contains("Start charging") && !html.contains("Make a new password"),
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
async fn owners_installation(app: &TestApp) -> InstallationId {
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

/// Adds a charger through the portal and returns its password.
async fn add_charger(owner: &Browser, installation: InstallationId, identity: &str) -> String {
    let page = format!("/installations/{installation}");
    let fields = [
        ("name", identity),
        ("identity", identity),
        ("connectors", "1"),
    ];
    let (status, html) = owner
        .submit_page(&page, &format!("{page}/chargers"), &fields)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let marker = "<dt>Password</dt><dd><code class=\"key\">";
    let start = html.find(marker).unwrap() + marker.len();
    html[start..].split('<').next().unwrap().to_owned()
}

/// The limit of the next charging profile the charger is sent (answered Accepted).
async fn next_limit(charger: &mut TestCharger) -> f64 {
    let (action, payload) = charger.answer_next(json!({"status": "Accepted"})).await;
    assert_eq!(action, "SetChargingProfile");
    assert_eq!(
        payload["csChargingProfiles"]["chargingProfilePurpose"],
        "TxDefaultProfile"
    );
    payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
        .as_f64()
        .unwrap()
}

async fn load_balancing_shares_the_available_current(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.no", "Owner").await;
    let installation = create_installation(&owner, "Borettslag", "go").await;
    let page = format!("/installations/{installation}");
    let settings = [
        ("max_current", "32"),
        ("available_mode", "all"),
        ("available_current", "16"),
        ("phases", "3"),
    ];
    assert_eq!(
        owner
            .submit(&page, &format!("{page}/settings"), &settings)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let mut chargers = Vec::new();
    for identity in ["CP-A", "CP-B", "CP-C"] {
        let password = add_charger(&owner, installation, identity).await;
        let mut charger = TestCharger::connect(&app.base, identity, &password).await;
        boot(&mut charger).await;
        chargers.push(charger);
    }
    let mut transactions = Vec::new();
    for (n, expected) in [
        (0usize, vec![16.0]),
        (1, vec![8.0, 8.0]),
        (2, vec![8.0, 8.0, 0.0]),
    ] {
        let start = json!({"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": format!("2026-11-25T08:0{n}:00Z")});
        let started = chargers[n].call("StartTransaction", start).await;
        transactions.push(started[2]["transactionId"].as_i64().unwrap());
        let mut limits = Vec::new();
        for charger in chargers.iter_mut().take(n + 1) {
            limits.push(next_limit(charger).await);
        }
        assert_eq!(limits, expected, "after {} sessions started", n + 1);
    }
    let stop = json!({"transactionId": transactions[0], "meterStop": 1000, "timestamp": "2026-11-25T09:00:00Z"});
    chargers[0].call("StopTransaction", stop).await;
    let (b, c) = (
        next_limit(&mut chargers[1]).await,
        next_limit(&mut chargers[2]).await,
    );
    assert_eq!(
        (b, c),
        (8.0, 8.0),
        "the waiting session resumes when one ends"
    );
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
        html.contains("The charger answered: Accepted."),
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
            assert!(html.contains("The charger answered: Accepted."), "reset");
            simulator.abort();
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the simulator never stopped the session");
}

async fn oversized_messages_end_the_connection(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, _, password, _) = with_charger(&app, "CP-1").await;
    let mut charger = TestCharger::connect(&app.base, "CP-1", &password).await;
    let huge = format!(
        "[2,\"big\",\"DataTransfer\",{{\"vendorId\":\"x\",\"data\":\"{}\"}}]",
        "x".repeat(100 * 1024)
    );
    let _ = charger.socket.send(Message::Text(huge.into())).await;
    let outcome = tokio::time::timeout(Duration::from_secs(5), charger.socket.next())
        .await
        .expect("the server reacts");
    assert!(
        !matches!(outcome, Some(Ok(Message::Text(_)))),
        "a message over 64 KiB is not processed: {outcome:?}"
    );
    let mut again = TestCharger::connect(&app.base, "CP-1", &password).await;
    assert_eq!(
        again.call("Heartbeat", json!({})).await[0],
        3,
        "the charger can reconnect"
    );
}
