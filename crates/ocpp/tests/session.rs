//! A charger session driven through channels: what the charger sends, what it gets back.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use futures::channel::mpsc::{channel, unbounded, Receiver, UnboundedReceiver, UnboundedSender};
use futures::{Sink, StreamExt};
use rust_ocpp::v1_6::messages::get_configuration::GetConfigurationRequest;
use rust_ocpp::v1_6::messages::heart_beat::HeartbeatResponse;
use rust_ocpp::v1_6::messages::reset::{ResetRequest, ResetResponse};
use rust_ocpp::v1_6::messages::status_notification::StatusNotificationResponse;
use rust_ocpp::v1_6::messages::stop_transaction::StopTransactionResponse;
use rust_ocpp::v1_6::messages::unlock_connector::UnlockConnectorRequest;
use rust_ocpp::v1_6::types::{ResetRequestStatus, ResetResponseStatus};
use serde_json::{json, Value};
use voltgate_domain::{ChargePointIdentity, ChargerId, InstallationId};
use voltgate_ocpp::central::HandlerError;
use voltgate_ocpp::{
    run_session, Answer, CentralSystem, ChargerRef, ChargerRequest, ChargerResponse, CloseReason,
    Command, CommandError, Registry, SessionConfig, WsIn, WsOut,
};

struct Central;

#[async_trait]
impl CentralSystem for Central {
    async fn handle(
        &self,
        _: &ChargerRef,
        request: ChargerRequest,
    ) -> Result<ChargerResponse, HandlerError> {
        match request {
            ChargerRequest::Heartbeat => Ok(ChargerResponse::Heartbeat(HeartbeatResponse {
                current_time: Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap(),
            })),
            ChargerRequest::Authorize(_) => {
                Err(HandlerError::Failed("the database is down".into()))
            }
            ChargerRequest::StopTransaction(_) => {
                Ok(ChargerResponse::StopTransaction(StopTransactionResponse {
                    id_tag_info: None,
                }))
            }
            _ => Ok(ChargerResponse::StatusNotification(
                StatusNotificationResponse {},
            )),
        }
    }
}

struct Charger<O = UnboundedReceiver<WsOut>> {
    to_central: UnboundedSender<WsIn>,
    from_central: O,
}

impl<O: futures::Stream<Item = WsOut> + Unpin> Charger<O> {
    fn send(&self, text: &str) {
        self.to_central
            .unbounded_send(WsIn::Text(text.to_owned().into()))
            .unwrap();
    }

    /// The next text frame (skipping pings), as JSON.
    async fn next(&mut self) -> Value {
        loop {
            let out = tokio::time::timeout(Duration::from_secs(5), self.from_central.next())
                .await
                .expect("an answer")
                .expect("open");
            match out {
                WsOut::Text(text) => return serde_json::from_str(&text).unwrap(),
                WsOut::Ping => continue,
                WsOut::Close(reason) => panic!("closed: {reason:?}"),
            }
        }
    }

    /// Everything sent until the session closed, and why it closed.
    async fn rest(&mut self) -> (usize, Option<CloseReason>) {
        let mut texts = 0;
        while let Some(out) = self.from_central.next().await {
            match out {
                WsOut::Text(_) => texts += 1,
                WsOut::Close(reason) => return (texts, Some(reason)),
                WsOut::Ping => {}
            }
        }
        (texts, None)
    }
}

fn charger_ref(identity: &str) -> ChargerRef {
    ChargerRef {
        id: ChargerId::random(),
        identity: ChargePointIdentity::parse(identity).unwrap(),
        installation: InstallationId::random(),
        connectors: 2,
    }
}

fn start<S>(
    registry: &Arc<Registry>,
    identity: &str,
    config: SessionConfig,
    sink: S,
) -> (UnboundedSender<WsIn>, tokio::task::JoinHandle<()>)
where
    S: Sink<WsOut> + Unpin + Send + 'static,
{
    let (to_central, incoming) = unbounded();
    let task = tokio::spawn(run_session(
        charger_ref(identity),
        sink,
        incoming,
        registry.clone(),
        Arc::new(Central),
        config,
    ));
    (to_central, task)
}

fn connect(
    registry: &Arc<Registry>,
    identity: &str,
    config: SessionConfig,
) -> (Charger, tokio::task::JoinHandle<()>) {
    let (outgoing, from_central) = unbounded();
    let (to_central, task) = start(registry, identity, config, outgoing);
    (
        Charger {
            to_central,
            from_central,
        },
        task,
    )
}

/// A charger whose socket holds one message at a time: it reads only when the test reads.
fn connect_slow_reader(
    registry: &Arc<Registry>,
    identity: &str,
    config: SessionConfig,
) -> (Charger<Receiver<WsOut>>, tokio::task::JoinHandle<()>) {
    let (outgoing, from_central) = channel(0);
    let (to_central, task) = start(registry, identity, config, outgoing);
    (
        Charger {
            to_central,
            from_central,
        },
        task,
    )
}

fn quick() -> SessionConfig {
    SessionConfig {
        command_timeout: Duration::from_millis(300),
        ..SessionConfig::default()
    }
}

async fn wait_online(registry: &Registry, identity: &str) {
    for _ in 0..100 {
        if registry.is_online(identity) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{identity} never came online");
}

fn reset(kind: ResetRequestStatus) -> Command {
    Command::Reset(ResetRequest { kind })
}

fn spawn_call(
    registry: &Arc<Registry>,
    identity: &'static str,
    command: Command,
    timeout: Duration,
) -> tokio::task::JoinHandle<Result<Answer, CommandError>> {
    let caller = registry.clone();
    tokio::spawn(async move { caller.call(identity, command, timeout).await })
}

#[tokio::test]
async fn requests_are_answered_and_bad_frames_refused_without_closing() {
    let registry = Arc::new(Registry::new());
    let (mut charger, _) = connect(&registry, "CP-1", quick());
    charger.send(r#"[2,"1","Heartbeat",{}]"#);
    assert_eq!(
        charger.next().await,
        json!([3, "1", {"currentTime": "2026-11-25T12:00:00Z"}])
    );
    for (text, expected) in [
        ("{not json", json!([4, "-1", "FormationViolation"])),
        (
            r#"[2,"2","Teleport",{}]"#,
            json!([4, "2", "NotImplemented"]),
        ),
        (
            r#"[2,"3","BootNotification",{"chargePointVendor":"V"}]"#,
            json!([4, "3", "ProtocolError"]),
        ),
        (
            r#"[2,"4","BootNotification",{"chargePointVendor":1,"chargePointModel":"M"}]"#,
            json!([4, "4", "TypeConstraintViolation"]),
        ),
        (
            r#"[2,"5","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Melting"}]"#,
            json!([4, "5", "PropertyConstraintViolation"]),
        ),
        (
            r#"[2,"6","Authorize",{"idTag":"TAG"}]"#,
            json!([4, "6", "InternalError"]),
        ),
    ] {
        charger.send(text);
        let answer = charger.next().await;
        assert_eq!(
            answer.as_array().unwrap()[..3],
            expected.as_array().unwrap()[..],
            "{text}"
        );
    }
    charger.to_central.unbounded_send(WsIn::Binary).unwrap();
    assert_eq!(charger.next().await[2], "FormationViolation");
    charger.send(r#"[2,"7","Heartbeat",{}]"#);
    assert_eq!(
        charger.next().await[1],
        "7",
        "the connection survived every bad frame"
    );
}

#[tokio::test]
async fn commands_are_correlated_strictly_by_id() {
    let registry = Arc::new(Registry::new());
    let (mut charger, _) = connect(&registry, "CP-2", quick());
    wait_online(&registry, "CP-2").await;
    let call = spawn_call(
        &registry,
        "CP-2",
        reset(ResetRequestStatus::Soft),
        Duration::from_secs(5),
    );
    let frame = charger.next().await;
    assert_eq!(
        (frame[0].clone(), frame[2].clone(), frame[3].clone()),
        (json!(2), json!("Reset"), json!({"type": "Soft"}))
    );
    let id = frame[1].as_str().unwrap().to_owned();
    charger.send(r#"[3,"no-such-call",{"status":"Rejected"}]"#);
    charger.send(&format!(r#"[3,"{id}",{{"status":"Accepted"}}]"#));
    assert_eq!(
        call.await.unwrap(),
        Ok(Answer::Reset(ResetResponse {
            status: ResetResponseStatus::Accepted
        })),
        "the stray answer did not shift the real one"
    );

    let unlock = Command::UnlockConnector(UnlockConnectorRequest { connector_id: 1 });
    let call = spawn_call(&registry, "CP-2", unlock.clone(), Duration::from_secs(5));
    let id = charger.next().await[1].as_str().unwrap().to_owned();
    charger.send(&format!(r#"[4,"{id}","NotSupported","no lock",{{}}]"#));
    assert!(matches!(
        call.await.unwrap(),
        Err(CommandError::Refused(
            voltgate_ocpp::ErrorCode::NotSupported,
            _
        ))
    ));
    let call = spawn_call(&registry, "CP-2", unlock, Duration::from_secs(5));
    let id = charger.next().await[1].as_str().unwrap().to_owned();
    charger.send(&format!(r#"[3,"{id}",{{"status":"Opened"}}]"#));
    assert!(
        matches!(call.await.unwrap(), Err(CommandError::BadAnswer(_))),
        "an answer outside the schema is reported as such"
    );
}

#[tokio::test]
async fn silence_times_out_and_late_answers_are_dropped() {
    let registry = Arc::new(Registry::new());
    let (mut charger, _) = connect(&registry, "CP-3", quick());
    wait_online(&registry, "CP-3").await;
    let call = spawn_call(
        &registry,
        "CP-3",
        reset(ResetRequestStatus::Hard),
        Duration::from_millis(300),
    );
    let late_id = charger.next().await[1].as_str().unwrap().to_owned();
    let outcome = call.await.unwrap();
    charger.send(&format!(r#"[3,"{late_id}",{{"status":"Accepted"}}]"#));
    assert_eq!(
        outcome,
        Err(CommandError::Timeout(Duration::from_millis(300))),
        "the caller's deadline"
    );
    let call = spawn_call(
        &registry,
        "CP-3",
        Command::GetConfiguration(GetConfigurationRequest { key: None }),
        Duration::from_secs(5),
    );
    let frame = charger.next().await;
    assert_eq!(frame[2], "GetConfiguration");
    let id = frame[1].as_str().unwrap().to_owned();
    charger.send(&format!(r#"[3,"{id}",{{"configurationKey":[]}}]"#));
    let Ok(Answer::GetConfiguration(answer)) = call.await.unwrap() else {
        panic!("the late answer did not satisfy this call");
    };
    assert_eq!(answer.configuration_key, Some(vec![]));
    assert_eq!(
        registry
            .call(
                "CP-404",
                reset(ResetRequestStatus::Soft),
                Duration::from_secs(1)
            )
            .await,
        Err(CommandError::Offline)
    );
}

/// A charger that answers each command only after 200 ms; three commands sent together with 300 ms
/// to live: the third is never sent, and nothing arrives after its caller was told it failed.
#[tokio::test]
async fn commands_past_their_deadline_are_never_sent() {
    let registry = Arc::new(Registry::new());
    let (mut charger, _) = connect(&registry, "CP-6", SessionConfig::default());
    wait_online(&registry, "CP-6").await;
    let begun = tokio::time::Instant::now();
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let caller = registry.clone();
            tokio::spawn(async move {
                let outcome = caller
                    .call(
                        "CP-6",
                        reset(ResetRequestStatus::Soft),
                        Duration::from_millis(300),
                    )
                    .await;
                (outcome, begun.elapsed())
            })
        })
        .collect();
    let mut received = Vec::new();
    while let Ok(Some(WsOut::Text(text))) =
        tokio::time::timeout(Duration::from_millis(800), charger.from_central.next()).await
    {
        received.push(begun.elapsed());
        let frame: Value = serde_json::from_str(&text).unwrap();
        let id = frame[1].as_str().unwrap().to_owned();
        let answer = charger.to_central.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let text = format!(r#"[3,"{id}",{{"status":"Accepted"}}]"#);
            let _ = answer.unbounded_send(WsIn::Text(text.into()));
        });
    }
    let mut outcomes = Vec::new();
    for call in calls {
        outcomes.push(call.await.unwrap());
    }
    let failed_at: Vec<Duration> = outcomes
        .iter()
        .filter(|(outcome, _)| outcome.is_err())
        .map(|(_, at)| *at)
        .collect();
    assert_eq!(received.len(), 2, "the third command was never sent");
    assert_eq!(
        outcomes.iter().filter(|(o, _)| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes
        .iter()
        .any(|(o, _)| *o == Err(CommandError::Expired)));
    for failure in failed_at {
        assert!(
            received.iter().all(|at| *at <= failure),
            "a CALL arrived after its caller gave up: {received:?} vs {failure:?}"
        );
    }
}

#[tokio::test]
async fn a_disconnect_ends_the_pending_command() {
    let registry = Arc::new(Registry::new());
    let (mut charger, task) = connect(&registry, "CP-4", SessionConfig::default());
    wait_online(&registry, "CP-4").await;
    let call = spawn_call(
        &registry,
        "CP-4",
        reset(ResetRequestStatus::Soft),
        Duration::from_secs(5),
    );
    charger.next().await;
    charger.to_central.unbounded_send(WsIn::Close).unwrap();
    assert_eq!(call.await.unwrap(), Err(CommandError::Disconnected));
    task.await.unwrap();
    assert!(!registry.is_online("CP-4"));
}

#[tokio::test]
async fn a_new_connection_replaces_the_old_one_at_once() {
    let registry = Arc::new(Registry::new());
    let (mut first, first_task) = connect(&registry, "CP-5", SessionConfig::default());
    wait_online(&registry, "CP-5").await;
    let pending = spawn_call(
        &registry,
        "CP-5",
        reset(ResetRequestStatus::Soft),
        Duration::from_secs(30),
    );
    assert_eq!(first.next().await[2], "Reset", "a command is pending");
    let (mut second, _) = connect(&registry, "CP-5", SessionConfig::default());
    tokio::time::timeout(Duration::from_secs(1), first_task)
        .await
        .expect("the old session ends at once, pending command or not")
        .unwrap();
    assert_eq!(
        first.from_central.next().await,
        Some(WsOut::Close(CloseReason::Normal))
    );
    assert_eq!(pending.await.unwrap(), Err(CommandError::Replaced));
    assert!(
        registry.is_online("CP-5"),
        "the newer connection stays registered"
    );
    second.send(r#"[2,"1","Heartbeat",{}]"#);
    assert_eq!(second.next().await[1], "1");
}

fn tight() -> SessionConfig {
    SessionConfig {
        flood_burst: 5,
        flood_per_second: 1,
        flood_strikes: 3,
        ..SessionConfig::default()
    }
}

#[tokio::test]
async fn a_patient_charger_is_never_held_back() {
    let registry = Arc::new(Registry::new());
    let (mut charger, _) = connect(&registry, "CP-backlog", tight());
    let begun = std::time::Instant::now();
    for n in 0..600 {
        charger.send(&format!(
            r#"[2,"{n}","MeterValues",{{"connectorId":1,"meterValue":[{{"timestamp":"2026-11-25T12:00:00Z","sampledValue":[{{"value":"{n}"}}]}}]}}]"#
        ));
        assert_eq!(charger.next().await[1], n.to_string());
    }
    assert!(
        begun.elapsed() < Duration::from_secs(5),
        "not slowed to the bucket's rate"
    );
    charger.send(r#"[2,"last","Heartbeat",{}]"#);
    assert_eq!(charger.next().await[1], "last", "still connected");
}

#[tokio::test]
async fn a_pipelining_charger_is_slowed_then_disconnected() {
    let registry = Arc::new(Registry::new());
    let patient = SessionConfig {
        flood_strikes: 1000,
        ..tight()
    };
    let (mut neighbour, _) = connect(&registry, "CP-calm", patient);
    let (mut flooder, task) = connect(&registry, "CP-flood", tight());
    for n in 0..20 {
        flooder.send(&format!(r#"[2,"{n}","Heartbeat",{{}}]"#));
    }
    neighbour.send(r#"[2,"1","Heartbeat",{}]"#);
    let quick = tokio::time::timeout(Duration::from_millis(500), neighbour.next()).await;
    assert_eq!(
        quick.expect("the neighbour is answered at once")[1],
        "1",
        "others are unaffected"
    );
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the flooder is disconnected")
        .unwrap();
    let (answered, reason) = flooder.rest().await;
    assert!(
        (5..20).contains(&answered),
        "{answered} answered before the cut"
    );
    assert_eq!(reason, Some(CloseReason::PolicyViolation));
}

#[tokio::test]
async fn a_charger_that_stops_reading_is_disconnected() {
    let registry = Arc::new(Registry::new());
    let config = SessionConfig {
        write_timeout: Duration::from_millis(200),
        ..SessionConfig::default()
    };
    let (charger, task) = connect_slow_reader(&registry, "CP-deaf", config);
    for n in 0..5 {
        charger.send(&format!(r#"[2,"{n}","Heartbeat",{{}}]"#));
    }
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("a charger that reads nothing is let go")
        .unwrap();
    assert!(!registry.is_online("CP-deaf"));
}

#[tokio::test]
async fn oversized_messages_close_with_1009_except_a_large_stop_transaction() {
    let registry = Arc::new(Registry::new());
    let config = SessionConfig {
        max_message: 1024,
        max_stop_transaction: 64 * 1024,
        ..SessionConfig::default()
    };
    let (mut charger, _) = connect(&registry, "CP-big", config);
    let samples: Vec<Value> = (0..500)
        .map(|n| json!({"timestamp": "2026-11-25T12:00:00Z", "sampledValue": [{"value": n.to_string()}]}))
        .collect();
    let stop = json!([2, "s", "StopTransaction", {"transactionId": 1, "meterStop": 500, "timestamp": "2026-11-25T13:00:00Z", "transactionData": samples}]);
    let stop = stop.to_string();
    assert!(stop.len() > 1024);
    charger.send(&stop);
    assert_eq!(charger.next().await[0], 3, "the large stop lands");
    let data = format!(
        r#"[2,"d","DataTransfer",{{"vendorId":"x","data":"{}"}}]"#,
        "x".repeat(2000)
    );
    charger.send(&data);
    assert_eq!(charger.rest().await, (0, Some(CloseReason::TooBig)));

    let (charger, _) = connect(&registry, "CP-huge", config);
    charger.to_central.unbounded_send(WsIn::TooBig).unwrap();
    let mut charger = charger;
    assert_eq!(charger.rest().await, (0, Some(CloseReason::TooBig)));
}

#[tokio::test]
async fn idle_connections_are_pinged() {
    let registry = Arc::new(Registry::new());
    let config = SessionConfig {
        ping_interval: Duration::from_millis(50),
        ..SessionConfig::default()
    };
    let (mut charger, _) = connect(&registry, "CP-ping", config);
    let first = tokio::time::timeout(Duration::from_secs(2), charger.from_central.next())
        .await
        .expect("a ping in time");
    assert_eq!(first, Some(WsOut::Ping));
}
