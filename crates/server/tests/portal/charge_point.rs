//! A scripted OCPP 1.6J charge point over a real WebSocket, for the charger and conformance tests.
//!
//! Load balancing sends every charger its capabilities question and its limits on its own; the charge
//! point answers those by itself (Accepted, unless told otherwise) and keeps them apart, so a test sees
//! exactly the CALLs it provokes.

use std::time::Duration;

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use voltgate_domain::InstallationId;

use crate::helpers::{Browser, TestApp};
use crate::installations::create_installation;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a connection as `identity`, offering `protocol` (none when `None`).
pub async fn open(
    base: &str,
    identity: &str,
    password: Option<&str>,
    protocol: Option<&str>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let url = format!("{}/ocpp/{identity}", base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request()?;
    if let Some(protocol) = protocol {
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
    }
    if let Some(password) = password {
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{identity}:{password}"));
        request.headers_mut().insert(
            "Authorization",
            format!("Basic {credentials}").parse().unwrap(),
        );
    }
    Ok(tokio_tungstenite::connect_async(request).await?.0)
}

/// The HTTP status a refused handshake got.
pub fn http_status(error: tokio_tungstenite::tungstenite::Error) -> u16 {
    match error {
        tokio_tungstenite::tungstenite::Error::Http(response) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other}"),
    }
}

/// Whether a CALL from the central system belongs to load balancing (its capabilities question, or
/// one of its limits).
pub fn is_balancing(action: &str, payload: &Value) -> bool {
    match action {
        "GetConfiguration" => {
            payload["key"]
                == json!([
                    "ChargeProfileMaxStackLevel",
                    "ChargingScheduleAllowedChargingRateUnit"
                ])
        }
        "SetChargingProfile" => payload["csChargingProfiles"]["chargingProfileId"]
            .as_i64()
            .is_some_and(|id| (1000..3000).contains(&id)),
        _ => false,
    }
}

/// A limit load balancing sent: connector, purpose, limit.
pub type Limit = (u64, String, f64);

/// A charger speaking OCPP 1.6J to the server.
pub struct ChargePoint {
    pub socket: Socket,
    next_id: u32,
    /// The central system's own CALLs that arrived while this charge point waited for an answer,
    /// each answered `Accepted`.
    pub received: Vec<(String, Value)>,
    /// Load balancing's limits, in the order they came.
    pub limits: Vec<Limit>,
    /// The answer to load balancing's limits.
    pub profile_answer: Value,
    /// The answer to load balancing's capabilities question.
    pub capabilities: Value,
}

impl ChargePoint {
    pub fn new(socket: Socket) -> Self {
        Self {
            socket,
            next_id: 0,
            received: Vec::new(),
            limits: Vec::new(),
            profile_answer: json!({"status": "Accepted"}),
            capabilities: json!({"configurationKey": [
                {"key": "ChargeProfileMaxStackLevel", "readonly": true, "value": "10"},
                {"key": "ChargingScheduleAllowedChargingRateUnit", "readonly": true, "value": "Current,Power"}]}),
        }
    }

    /// Connects with the right password and subprotocol.
    pub async fn connect(base: &str, identity: &str, password: &str) -> Self {
        let socket = open(base, identity, Some(password), Some("ocpp1.6"))
            .await
            .expect("the charger connects");
        Self::new(socket)
    }

    pub async fn send_text(&mut self, text: String) {
        self.socket.send(Message::Text(text.into())).await.unwrap();
    }

    /// The next text frame from the server, as JSON.
    pub async fn receive(&mut self) -> Value {
        self.receive_within(Duration::from_secs(10))
            .await
            .expect("a frame in time")
    }

    /// The next text frame, if one comes within `wait`.
    pub async fn receive_within(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(wait, self.socket.next()).await.ok()?;
            let message = message.expect("open").expect("a WebSocket message");
            match message {
                Message::Text(text) => return Some(serde_json::from_str(&text).unwrap()),
                Message::Close(frame) => panic!("the server closed the connection: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// Answers a load-balancing CALL; false when the frame is something else.
    pub async fn answer_balancing(&mut self, frame: &Value) -> bool {
        let action = frame[2].as_str().unwrap_or_default();
        if frame[0] != 2 || !is_balancing(action, &frame[3]) {
            return false;
        }
        let answer = if action == "GetConfiguration" {
            self.capabilities.clone()
        } else {
            let profile = &frame[3]["csChargingProfiles"];
            self.limits.push((
                frame[3]["connectorId"].as_u64().unwrap_or_default(),
                profile["chargingProfilePurpose"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
                    .as_f64()
                    .unwrap_or(f64::NAN),
            ));
            self.profile_answer.clone()
        };
        self.send_text(json!([3, frame[1], answer]).to_string())
            .await;
        true
    }

    /// The next frame that is not load balancing's (which is answered on the way).
    pub async fn next_frame(&mut self) -> Value {
        loop {
            let frame = self.receive().await;
            if !self.answer_balancing(&frame).await {
                return frame;
            }
        }
    }

    /// Sends a CALL and returns the server's answer frame, answering the server's own CALLs meanwhile.
    pub async fn call(&mut self, action: &str, payload: Value) -> Value {
        self.next_id += 1;
        let id = format!("c{}", self.next_id);
        self.send_text(json!([2, id, action, payload]).to_string())
            .await;
        loop {
            let frame = self.next_frame().await;
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

    /// The payload of the CALLRESULT to a CALL; panics on a CALLERROR.
    pub async fn ok(&mut self, action: &str, payload: Value) -> Value {
        let answer = self.call(action, payload).await;
        assert_eq!(
            answer[0], 3,
            "{action} answered with a CALLRESULT: {answer}"
        );
        answer[2].clone()
    }

    /// Waits for the server's next CALL (other than load balancing's), answers it with `payload`, and
    /// returns (action, request payload).
    pub async fn answer_next(&mut self, payload: Value) -> (String, Value) {
        let call = self.next_frame().await;
        assert_eq!(call[0], 2, "a CALL from the central system: {call}");
        let reply = json!([3, call[1], payload]).to_string();
        self.send_text(reply).await;
        (call[2].as_str().unwrap().to_owned(), call[3].clone())
    }

    /// Answers load balancing until `wait` passes without a CALL from it.
    pub async fn settle(&mut self, wait: Duration) {
        while let Some(frame) = self.receive_within(wait).await {
            assert!(
                self.answer_balancing(&frame).await,
                "only load balancing speaks now: {frame}"
            );
        }
    }

    /// Boots with a vendor and model.
    pub async fn boot(&mut self) {
        let answer = self
            .ok(
                "BootNotification",
                json!({"chargePointVendor": "Zaptec", "chargePointModel": "Go", "firmwareVersion": "2.1"}),
            )
            .await;
        assert_eq!(
            (answer["status"].clone(), answer["interval"].clone()),
            (json!("Accepted"), json!(60))
        );
    }
}

/// The password shown once on the page after adding a charger.
pub fn password_in(html: &str) -> String {
    let marker = "<dt>Password</dt><dd><code class=\"key\">";
    let start = html.find(marker).expect("the password is shown once") + marker.len();
    html[start..].split('<').next().unwrap().to_owned()
}

/// Adds a charger with `connectors` through the portal; returns its password and id.
pub async fn add_charger(
    owner: &Browser,
    installation: InstallationId,
    identity: &str,
    connectors: u32,
) -> (String, String) {
    let page = format!("/installations/{installation}");
    let connectors = connectors.to_string();
    let fields = [
        ("name", identity),
        ("identity", identity),
        ("connectors", connectors.as_str()),
    ];
    let (status, html) = owner
        .submit_page(&page, &format!("{page}/chargers"), &fields)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let link = "<a href=\"/chargers/";
    let (_, list) = owner.page(&page).await;
    let marker = format!(">{identity}</a>");
    let end = list.find(&marker).expect("the charger is listed");
    let start = list[..end].rfind(link).unwrap() + link.len();
    let charger_id = list[start..end].trim_end_matches('"').to_owned();
    (password_in(&html), charger_id)
}

/// An owner with an installation and a two-connector charger added through the portal; returns the
/// charger's password and id.
pub async fn with_charger(
    app: &TestApp,
    identity: &str,
) -> (Browser, InstallationId, String, String) {
    let owner = app.signed_up("owner@example.no", "Owner").await;
    let installation = create_installation(&owner, "Garage Nord", "go").await;
    let (password, charger_id) = add_charger(&owner, installation, identity, 2).await;
    (owner, installation, password, charger_id)
}
