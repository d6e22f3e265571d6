//! A charger session driven through channels: what the charger sends, what it gets back.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::StreamExt;
use serde_json::{json, Value};
use voltgate_domain::{ChargePointIdentity, ChargerId};
use voltgate_ocpp::central::HandlerError;
use voltgate_ocpp::{
    run_session, CentralSystem, ChargerRef, ChargerRequest, Command, CommandError, Registry,
    SessionConfig, WsIn, WsOut,
};

struct Central;

#[async_trait]
impl CentralSystem for Central {
    async fn handle(&self, _: &ChargerRef, request: ChargerRequest) -> Result<Value, HandlerError> {
        match request {
            ChargerRequest::Heartbeat => Ok(json!({"currentTime": "2026-11-25T12:00:00Z"})),
            ChargerRequest::Authorize(_) => Err(HandlerError("the database is down".into())),
            _ => Ok(json!({})),
        }
    }
}

struct Charger {
    to_central: UnboundedSender<WsIn>,
    from_central: UnboundedReceiver<WsOut>,
}

impl Charger {
    fn send(&self, text: &str) {
        self.to_central
            .unbounded_send(WsIn::Text(text.to_owned()))
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
                WsOut::Close => panic!("closed"),
            }
        }
    }
}

fn connect(
    registry: &Arc<Registry>,
    identity: &str,
    config: SessionConfig,
) -> (Charger, tokio::task::JoinHandle<()>) {
    let (to_central, incoming) = unbounded();
    let (outgoing, from_central) = unbounded();
    let charger = ChargerRef {
        id: ChargerId::random(),
        identity: ChargePointIdentity::parse(identity).unwrap(),
    };
    let task = tokio::spawn(run_session(
        charger,
        outgoing,
        incoming,
        registry.clone(),
        Arc::new(Central),
        config,
    ));
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
    let caller = registry.clone();
    let call = tokio::spawn(async move {
        caller
            .call(
                "CP-2",
                Command::Reset { hard: false },
                Duration::from_secs(5),
            )
            .await
    });
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
        Ok(json!({"status": "Accepted"})),
        "the stray answer did not shift the real one"
    );

    let caller = registry.clone();
    let call = tokio::spawn(async move {
        caller
            .call(
                "CP-2",
                Command::UnlockConnector { connector_id: 1 },
                Duration::from_secs(5),
            )
            .await
    });
    let id = charger.next().await[1].as_str().unwrap().to_owned();
    charger.send(&format!(r#"[4,"{id}","NotSupported","no lock",{{}}]"#));
    assert!(matches!(
        call.await.unwrap(),
        Err(CommandError::Refused(
            voltgate_ocpp::ErrorCode::NotSupported,
            _
        ))
    ));
}

#[tokio::test]
async fn silence_times_out_and_late_answers_are_dropped() {
    let registry = Arc::new(Registry::new());
    let (mut charger, _) = connect(&registry, "CP-3", quick());
    wait_online(&registry, "CP-3").await;
    let outcome = {
        let caller = registry.clone();
        let call = tokio::spawn(async move {
            caller
                .call(
                    "CP-3",
                    Command::Reset { hard: true },
                    Duration::from_secs(5),
                )
                .await
        });
        let late_id = charger.next().await[1].as_str().unwrap().to_owned();
        let outcome = call.await.unwrap();
        charger.send(&format!(r#"[3,"{late_id}",{{"status":"Accepted"}}]"#));
        outcome
    };
    assert_eq!(
        outcome,
        Err(CommandError::Timeout(Duration::from_millis(300))),
        "the session's deadline"
    );
    let caller = registry.clone();
    let call = tokio::spawn(async move {
        caller
            .call(
                "CP-3",
                Command::GetConfiguration { keys: vec![] },
                Duration::from_secs(5),
            )
            .await
    });
    let frame = charger.next().await;
    assert_eq!(frame[2], "GetConfiguration");
    let id = frame[1].as_str().unwrap().to_owned();
    charger.send(&format!(r#"[3,"{id}",{{"configurationKey":[]}}]"#));
    assert_eq!(
        call.await.unwrap(),
        Ok(json!({"configurationKey": []})),
        "the late answer did not satisfy this call"
    );
    assert_eq!(
        registry
            .call(
                "CP-404",
                Command::Reset { hard: false },
                Duration::from_secs(1)
            )
            .await,
        Err(CommandError::Offline)
    );
}

#[tokio::test]
async fn a_disconnect_ends_the_pending_command() {
    let registry = Arc::new(Registry::new());
    let (mut charger, task) = connect(&registry, "CP-4", SessionConfig::default());
    wait_online(&registry, "CP-4").await;
    let caller = registry.clone();
    let call = tokio::spawn(async move {
        caller
            .call(
                "CP-4",
                Command::Reset { hard: false },
                Duration::from_secs(5),
            )
            .await
    });
    charger.next().await;
    charger.to_central.unbounded_send(WsIn::Close).unwrap();
    assert_eq!(call.await.unwrap(), Err(CommandError::Disconnected));
    task.await.unwrap();
    assert!(!registry.is_online("CP-4"));
}

#[tokio::test]
async fn a_new_connection_replaces_the_old_one() {
    let registry = Arc::new(Registry::new());
    let (mut first, first_task) = connect(&registry, "CP-5", SessionConfig::default());
    wait_online(&registry, "CP-5").await;
    let (mut second, _) = connect(&registry, "CP-5", SessionConfig::default());
    tokio::time::timeout(Duration::from_secs(5), first_task)
        .await
        .expect("the old session ends")
        .unwrap();
    assert_eq!(first.from_central.next().await, Some(WsOut::Close));
    assert!(
        registry.is_online("CP-5"),
        "the newer connection stays registered"
    );
    second.send(r#"[2,"1","Heartbeat",{}]"#);
    assert_eq!(second.next().await[1], "1");
}

#[tokio::test]
async fn a_flooding_charger_is_slowed_then_disconnected() {
    let registry = Arc::new(Registry::new());
    let config = SessionConfig {
        flood_burst: 5,
        flood_per_second: 1000,
        flood_strikes: 3,
        ..SessionConfig::default()
    };
    let fast = SessionConfig {
        flood_burst: 5,
        flood_per_second: 1000,
        flood_strikes: 1000,
        ..SessionConfig::default()
    };
    let (calm, _) = connect(&registry, "CP-calm", fast);
    let (mut flooder, task) = connect(
        &registry,
        "CP-flood",
        SessionConfig {
            flood_per_second: 1,
            ..config
        },
    );
    for n in 0..20 {
        flooder.send(&format!(r#"[2,"{n}","Heartbeat",{{}}]"#));
    }
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the flooder is disconnected")
        .unwrap();
    let mut answered = 0;
    while let Some(out) = flooder.from_central.next().await {
        if matches!(out, WsOut::Text(_)) {
            answered += 1;
        }
    }
    assert!(
        (5..20).contains(&answered),
        "{answered} answered before the cut"
    );
    let mut calm = calm;
    calm.send(r#"[2,"1","Heartbeat",{}]"#);
    assert_eq!(calm.next().await[1], "1", "others are unaffected");
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
