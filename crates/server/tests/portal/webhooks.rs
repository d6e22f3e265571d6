//! Signed webhooks through the real HTTP surface, with a receiver inside the test: signature,
//! retries, exactly-once after a stopped worker, no duplicates with two workers (PostgreSQL), SSRF
//! refusal and bad URLs.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use hmac::{Hmac, Mac};
use reqwest::StatusCode as Status;
use serde_json::{json, Value};
use sha2::Sha256;
use voltgate_domain::authz::ManagePermissions;
use voltgate_domain::webhook::WebhookEvent;
use voltgate_domain::{GrantRight, GrantRights, GrantTerms, GroupId, InstallationId};
use voltgate_server::events::Event;
use voltgate_server::ServeSettings;
use voltgate_store::{Engine, RequestContext, WebhookNotice};

use crate::api::{call, get, owner_revokes, token};
use crate::charge_point::{add_charger, with_charger, ChargePoint};
use crate::groups::create_group;
use crate::helpers::{operator, serve, spawn_app_with, TestApp};

crate::on_both_engines!(
    deliveries_are_signed_retried_and_delivered_once,
    bad_urls_are_refused_and_private_targets_are_never_called,
    a_delivery_enqueued_while_no_worker_runs_is_sent_exactly_once_later,
    the_group_page_adds_rotates_and_deletes_endpoints,
    an_endpoint_failing_for_the_whole_window_is_disabled_with_the_reason,
    chargers_connecting_and_leaving_at_once_each_enqueue_their_presence,
    a_worker_killed_while_delivering_delivers_exactly_once_after_restart,
    a_grant_whose_end_passes_is_told_once_and_again_after_an_extension,
    a_group_whose_endpoints_hang_does_not_hold_up_another_groups_delivery,
);

mod postgres_only {
    #[tokio::test]
    async fn two_workers_never_send_one_delivery_twice() {
        super::two_workers_never_send_one_delivery_twice().await
    }

    #[tokio::test]
    async fn three_processes_tell_each_ended_grant_once() {
        super::three_processes_tell_each_ended_grant_once().await
    }
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) event_id: String,
    signature: String,
    pub(crate) body: String,
}

/// A webhook receiver on a random local port: answers the queued statuses, then 200.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    delay: Duration,
    /// Never answers the first request (its sender has to give up or die).
    hold_first: bool,
}

impl Receiver {
    pub(crate) async fn start(answers: &[u16], delay: Duration) -> (Self, String) {
        Self::listen(Receiver {
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
            delay,
            ..Receiver::default()
        })
        .await
    }

    /// A receiver that keeps the first request waiting for ever, then answers 200.
    async fn holding_first() -> (Self, String) {
        Self::listen(Receiver {
            hold_first: true,
            ..Receiver::default()
        })
        .await
    }

    async fn listen(receiver: Receiver) -> (Self, String) {
        let state = receiver.clone();
        let router = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    tokio::time::sleep(state.delay).await;
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let first = {
                        let mut got = state.got.lock().unwrap();
                        got.push(Received {
                            event_id: header("voltgate-event-id"),
                            signature: header("voltgate-signature"),
                            body,
                        });
                        got.len() == 1
                    };
                    if first && state.hold_first {
                        std::future::pending::<()>().await;
                    }
                    let status = state.answers.lock().unwrap().pop_front().unwrap_or(200);
                    StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://127.0.0.1:{}/hooks",
            listener.local_addr().unwrap().port()
        );
        tokio::spawn(async move { axum::serve(listener, router).await });
        (receiver, url)
    }

    pub(crate) fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `count` requests arrived (at most 20 s).
    pub(crate) async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..400 {
            if self.got().len() >= count {
                return self.got();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {count} deliveries, got {:?}", self.got());
    }
}

/// Whether `header` (`t=…,v1=…[,v1=…]`) signs `body` with `secret`.
pub fn signed_with(header: &str, body: &str, secret: &str) -> bool {
    let mut timestamp = "";
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = t,
            Some(("v1", v)) => signatures.push(v.to_owned()),
            _ => {}
        }
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    signatures.contains(&expected)
}

pub fn fast(settings: &mut ServeSettings) {
    settings.allow_private_webhook_targets = true;
    settings.webhook_retry_base_ms = 100;
}

/// The owner's installation with a charger, and Acme's group (owner cpo@acme.example), not yet
/// given access; Acme's token.
pub async fn partner(app: &TestApp) -> (InstallationId, String, GroupId, String) {
    let (_owner, installation, password, _charger) = with_charger(app, "CP-WH-1").await;
    let partner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let group = create_group(&partner, "Acme Charging", "").await;
    (
        installation,
        password,
        group,
        token(app, "cpo@acme.example").await,
    )
}

pub async fn add_webhook(
    app: &TestApp,
    token: &str,
    group: GroupId,
    url: &str,
    events: &[&str],
) -> Value {
    let path = format!("/api/userGroups/{group}/webhooks");
    let (status, body) = call(
        app,
        token,
        "POST",
        &path,
        Some(json!({"Url": url, "Events": events})),
    )
    .await;
    assert_eq!(status, Status::CREATED, "{body}");
    body
}

pub async fn grant(app: &TestApp, installation: InstallationId, group: GroupId) {
    let permissions = operator::<ManagePermissions>(&app.db, installation).await;
    let store = app.db.store.as_ref();
    assert!(store
        .grant_access(
            &permissions,
            group,
            &Default::default(),
            &RequestContext::default()
        )
        .await
        .unwrap()
        .is_new());
}

async fn deliveries_are_signed_retried_and_delivered_once(engine: Engine) {
    let app = spawn_app_with(engine, fast).await;
    let (installation, password, group, token) = partner(&app).await;
    let (receiver, url) = Receiver::start(&[500], Duration::ZERO).await;
    let events = [
        "access.granted",
        "access.revoked",
        "charger.online",
        "session.started",
    ];
    let created = add_webhook(&app, &token, group, &url, &events).await;
    let secret = created["Secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));

    grant(&app, installation, group).await;
    let got = receiver.wait_for(2).await;
    assert_eq!(
        got[0].event_id, got[1].event_id,
        "the retry carries the same event"
    );
    for delivery in &got {
        assert!(
            signed_with(&delivery.signature, &delivery.body, &secret),
            "{delivery:?}"
        );
        assert!(!signed_with(
            &delivery.signature,
            &delivery.body,
            "whsec_wrong"
        ));
    }
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["type"], "access.granted");
    assert_eq!(body["id"].as_str().unwrap(), got[0].event_id);
    assert_eq!(body["installationId"], json!(installation));
    assert_eq!(body["data"]["groupId"], json!(group));
    assert!(body["occurredAt"].as_str().is_some());

    // The charger connects and starts a session on the shared installation.
    let mut charger = ChargePoint::connect(&app.base, "CP-WH-1", &password).await;
    charger.boot().await;
    let now = chrono::Utc::now().to_rfc3339();
    charger
        .ok(
            "StartTransaction",
            json!({"connectorId": 1, "idTag": "WH-TAG", "meterStart": 0, "timestamp": now}),
        )
        .await;
    let got = receiver.wait_for(4).await;
    let types: Vec<String> = got[2..]
        .iter()
        .map(|d| {
            serde_json::from_str::<Value>(&d.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(types.contains(&"charger.online".to_owned()), "{types:?}");
    assert!(types.contains(&"session.started".to_owned()), "{types:?}");

    // A rotation: both secrets sign during the overlap.
    let webhook = created["Id"].as_str().unwrap();
    let rotate = format!("/api/userGroups/{group}/webhooks/{webhook}/rotate");
    let (status, rotated) = call(
        &app,
        &token,
        "POST",
        &rotate,
        Some(json!({"OverlapMinutes": 10})),
    )
    .await;
    assert_eq!(status, Status::OK, "{rotated}");
    let new_secret = rotated["Secret"].as_str().unwrap().to_owned();
    owner_revokes(&app, installation, group).await;
    let got = receiver.wait_for(5).await;
    let revoked = &got[4];
    assert!(revoked.body.contains("access.revoked"));
    assert!(signed_with(&revoked.signature, &revoked.body, &new_secret));
    assert!(signed_with(&revoked.signature, &revoked.body, &secret));

    // Nothing is sent twice, and every attempt is listed: 500, then 200s.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.got().len(), 5);
    let (status, list) = get(&app, &token, &format!("/api/userGroups/{group}/webhooks")).await;
    assert_eq!(status, Status::OK, "{list}");
    let attempts = list[0]["RecentAttempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 5, "{list}");
    let codes: Vec<i64> = attempts
        .iter()
        .map(|a| a["StatusCode"].as_i64().unwrap())
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == 500).count(), 1);
    assert_eq!(codes[4], 500, "the oldest attempt failed: {codes:?}");

    // Deleted: no more deliveries.
    let path = format!("{}/api/userGroups/{group}/webhooks/{webhook}", app.base);
    let deleted = reqwest::Client::new()
        .delete(path)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), Status::NO_CONTENT);
    let (_, list) = get(&app, &token, &format!("/api/userGroups/{group}/webhooks")).await;
    assert_eq!(list, json!([]));
}

async fn bad_urls_are_refused_and_private_targets_are_never_called(engine: Engine) {
    let app = spawn_app_with(engine, |s| s.webhook_retry_base_ms = 100).await;
    let (installation, _password, group, token) = partner(&app).await;
    let path = format!("/api/userGroups/{group}/webhooks");
    for (url, events, why) in [
        (
            "http://partner.example/hooks",
            json!(["access.granted"]),
            "https",
        ),
        (
            "ftp://partner.example/hooks",
            json!(["access.granted"]),
            "https",
        ),
        ("not a url", json!(["access.granted"]), "absolute URL"),
        (
            "https://u:p@partner.example/",
            json!(["access.granted"]),
            "user name",
        ),
        ("https://partner.example/", json!([]), "at least one"),
        (
            "https://partner.example/",
            json!(["access.nope"]),
            "Unknown event",
        ),
    ] {
        let (status, body) = call(
            &app,
            &token,
            "POST",
            &path,
            Some(json!({"url": url, "events": events})),
        )
        .await;
        assert_eq!(status, Status::BAD_REQUEST, "{url}: {body}");
        assert!(body.to_string().contains(why), "{url}: {body}");
    }
    // Only the group's owners manage its webhooks.
    app.signed_up("outsider@example.org", "Outsider").await;
    let outsider = crate::api::token(&app, "outsider@example.org").await;
    let (status, _) = get(&app, &outsider, &path).await;
    assert!(
        matches!(status, Status::FORBIDDEN | Status::NOT_FOUND),
        "{status}"
    );
    let (status, _) = call(
        &app,
        &outsider,
        "POST",
        &path,
        Some(json!({"url": "https://x.example/", "events": ["access.granted"]})),
    )
    .await;
    assert!(
        matches!(status, Status::FORBIDDEN | Status::NOT_FOUND),
        "{status}"
    );

    // Without --allow-private-webhook-targets, 127.0.0.1 is registered but never called.
    let (receiver, url) = Receiver::start(&[], Duration::ZERO).await;
    add_webhook(&app, &token, group, &url, &["access.granted"]).await;
    grant(&app, installation, group).await;
    let mut attempts = Vec::new();
    for _ in 0..100 {
        let (_, list) = get(&app, &token, &path).await;
        attempts = list[0]["RecentAttempts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !attempts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let error = attempts[0]["Error"].as_str().unwrap_or_default();
    assert!(error.contains("private or reserved"), "{attempts:?}");
    assert!(receiver.got().is_empty());

    // A group has at most 10 endpoints, also when additions race: one exists, 12 more at once.
    let additions = (0..12).map(|n| {
        let (app, token, path) = (&app, &token, &path);
        async move {
            let url = format!("https://hooks{n}.partner.example/");
            let body = json!({"url": url, "events": ["access.granted"]});
            call(app, token, "POST", path, Some(body)).await
        }
    });
    let answers = futures::future::join_all(additions).await;
    let created = answers
        .iter()
        .filter(|(status, _)| *status == Status::CREATED)
        .count();
    assert_eq!(created, 9, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != Status::CREATED) {
        assert_eq!(*status, Status::CONFLICT, "{body}");
        assert!(body.to_string().contains("at most 10"), "{body}");
    }
    let (_, list) = get(&app, &token, &path).await;
    assert_eq!(list.as_array().map(Vec::len), Some(10));
}

async fn a_delivery_enqueued_while_no_worker_runs_is_sent_exactly_once_later(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        fast(s);
        s.no_webhook_delivery = true;
    })
    .await;
    let (installation, _password, group, token) = partner(&app).await;
    let (receiver, url) = Receiver::start(&[], Duration::ZERO).await;
    add_webhook(&app, &token, group, &url, &["access.granted"]).await;
    grant(&app, installation, group).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver.got().is_empty(), "no worker ran yet");

    // A process with a worker starts on the same database: the delivery goes out, once.
    let mut settings = ServeSettings::for_tests(&app.database_url);
    fast(&mut settings);
    serve(settings).await;
    let got = receiver.wait_for(1).await;
    assert!(got[0].body.contains("access.granted"));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.got().len(), 1);
}

async fn two_workers_never_send_one_delivery_twice() {
    let app = spawn_app_with(Engine::Postgres, |s| {
        fast(s);
        s.no_webhook_delivery = true;
    })
    .await;
    let (installation, _password, group, token) = partner(&app).await;
    let (receiver, url) = Receiver::start(&[], Duration::from_millis(20)).await;
    add_webhook(&app, &token, group, &url, &["access.changed"]).await;
    const EVENTS: usize = 60;
    for n in 0..EVENTS {
        let notice = WebhookNotice::new(WebhookEvent::AccessChanged, installation, json!({"n": n}));
        app.db.store.notify(&notice.for_group(group)).await.unwrap();
    }
    for _ in 0..2 {
        let mut settings = ServeSettings::for_tests(&app.database_url);
        fast(&mut settings);
        serve(settings).await;
    }
    receiver.wait_for(EVENTS).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for delivery in receiver.got() {
        *seen.entry(delivery.event_id).or_default() += 1;
    }
    assert_eq!(seen.len(), EVENTS);
    assert!(seen.values().all(|n| *n == 1), "duplicates: {seen:?}");
}

async fn the_group_page_adds_rotates_and_deletes_endpoints(engine: Engine) {
    let app = spawn_app_with(engine, fast).await;
    let (_installation, _password, group, _token) = partner(&app).await;
    let owner = crate::api::logged_in(&app, "cpo@acme.example", crate::api::PASSWORD).await;
    let page = format!("/groups/{group}/webhooks");
    let (status, html) = owner.page(&format!("/groups/{group}")).await;
    assert_eq!(status, Status::OK);
    assert!(html.contains(&page), "the group page links to its webhooks");

    // A bad URL and no events: both said, nothing stored.
    let response = owner
        .submit(&page, &page, &[("url", "http://partner.example/x")])
        .await;
    assert_eq!(response.status(), Status::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("https://"), "{html}");
    assert!(html.contains("at least one event"), "{html}");

    // Added: the secret is shown once.
    let fields = [
        ("url", "https://partner.example/hooks"),
        ("event.access.granted", "on"),
        ("event.session.ended", "on"),
    ];
    let response = owner.submit(&page, &page, &fields).await;
    assert_eq!(response.status(), Status::CREATED);
    let html = response.text().await.unwrap();
    assert!(html.contains("whsec_"), "the secret is shown");
    let (_, html) = owner.page(&page).await;
    assert!(!html.contains("whsec_"), "only once");
    assert!(html.contains("access.granted, session.ended"), "{html}");

    // A form without the CSRF token is refused.
    let response = owner.post(&page, &fields).await;
    assert_eq!(response.status(), Status::FORBIDDEN);

    // Rotate, then delete, through the page's forms.
    let (_, list) = get(
        &app,
        &crate::api::token(&app, "cpo@acme.example").await,
        &format!("/api/userGroups/{group}/webhooks"),
    )
    .await;
    let id = list[0]["Id"].as_str().unwrap().to_owned();
    let response = owner
        .submit(&page, &format!("{page}/{id}/rotate"), &[])
        .await;
    assert_eq!(response.status(), Status::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("whsec_") && html.contains("previous secret also signs"),
        "{html}"
    );
    let response = owner
        .submit(&page, &format!("{page}/{id}/delete"), &[])
        .await;
    assert_eq!(response.status(), Status::SEE_OTHER);
    let (_, html) = owner.page(&page).await;
    assert!(html.contains("No webhook endpoints yet."));

    // Someone who does not own the group does not get the page.
    app.signed_up("outsider@example.org", "Outsider").await;
    let outsider = crate::api::logged_in(&app, "outsider@example.org", crate::api::PASSWORD).await;
    let (status, _) = outsider.page(&page).await;
    assert!(
        matches!(status, Status::FORBIDDEN | Status::NOT_FOUND),
        "{status}"
    );
}

async fn an_endpoint_failing_for_the_whole_window_is_disabled_with_the_reason(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        fast(s);
        s.webhook_retry_window = 1;
    })
    .await;
    let (installation, _password, group, token) = partner(&app).await;
    let (receiver, url) = Receiver::start(&[500; 1000], Duration::ZERO).await;
    add_webhook(&app, &token, group, &url, &["access.granted"]).await;
    grant(&app, installation, group).await;
    let path = format!("/api/userGroups/{group}/webhooks");
    let mut list = Value::Null;
    for _ in 0..100 {
        list = get(&app, &token, &path).await.1;
        if list[0]["DisabledReason"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reason = list[0]["DisabledReason"].as_str().unwrap_or_default();
    assert!(reason.contains("HTTP 500"), "{list}");
    let tried = receiver.got().len();
    assert!(tried >= 2, "retried before giving up: {tried}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.got().len(),
        tried,
        "a disabled endpoint gets nothing"
    );

    // A new secret enables it again.
    let webhook = list[0]["Id"].as_str().unwrap();
    let rotate = format!("{path}/{webhook}/rotate");
    let (status, _) = call(&app, &token, "POST", &rotate, None).await;
    assert_eq!(status, Status::OK);
    let (_, list) = get(&app, &token, &path).await;
    assert!(list[0]["DisabledReason"].is_null(), "{list}");
}

/// Many chargers connect and leave at once while webhooks are registered: each connection enqueues
/// its `charger.online` and `charger.offline` (on SQLite a presence that read before writing failed
/// under the other writers, and its event was lost).
async fn chargers_connecting_and_leaving_at_once_each_enqueue_their_presence(engine: Engine) {
    const CHARGERS: usize = 12;
    const ROUNDS: usize = 2;
    let app = spawn_app_with(engine, fast).await;
    let (owner, installation, _password, _charger) = with_charger(&app, "CP-WH-1").await;
    let partner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let group = create_group(&partner, "Acme Charging", "").await;
    let token = token(&app, "cpo@acme.example").await;
    let (receiver, url) = Receiver::start(&[], Duration::ZERO).await;
    add_webhook(
        &app,
        &token,
        group,
        &url,
        &["charger.online", "charger.offline"],
    )
    .await;
    grant(&app, installation, group).await;
    let mut chargers = Vec::new();
    for n in 0..CHARGERS {
        let identity = format!("CP-MANY-{n}");
        let (password, _) = add_charger(&owner, installation, &identity, 1).await;
        chargers.push((identity, password));
    }
    for round in 1..=ROUNDS {
        let sessions = chargers.iter().cloned().map(|(identity, password)| {
            let base = app.base.clone();
            tokio::spawn(async move {
                let mut charger = ChargePoint::connect(&base, &identity, &password).await;
                charger.boot().await;
                charger.socket.close(None).await.unwrap();
            })
        });
        for session in futures::future::join_all(sessions).await {
            session.unwrap();
        }
        // The next round starts once the server has seen this one's connections close: a charger
        // that reconnects before its old connection is gone replaces it, and is rightly never
        // said offline in between.
        receiver.wait_for(CHARGERS * round * 2).await;
    }
    let mut by_type: HashMap<(String, String), usize> = HashMap::new();
    for delivery in receiver.got() {
        let body: Value = serde_json::from_str(&delivery.body).unwrap();
        let key = (
            body["type"].as_str().unwrap().to_owned(),
            body["data"]["chargerId"].as_str().unwrap().to_owned(),
        );
        *by_type.entry(key).or_default() += 1;
    }
    assert_eq!(by_type.len(), CHARGERS * 2, "{by_type:?}");
    assert!(by_type.values().all(|n| *n == ROUNDS), "{by_type:?}");
}

/// A `voltgate serve` process is killed (SIGKILL) while its worker sends a delivery, after the change
/// that caused it was committed and before the receiver answered. Another process on the same
/// database sends it once its worker's claim ran out: the event arrives again with the same id, is
/// recorded delivered, and is never sent a third time.
async fn a_worker_killed_while_delivering_delivers_exactly_once_after_restart(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        fast(s);
        s.no_webhook_delivery = true;
    })
    .await;
    let (installation, _password, group, token) = partner(&app).await;
    let (receiver, url) = Receiver::holding_first().await;
    add_webhook(&app, &token, group, &url, &["access.granted"]).await;
    let lease = [("VOLTGATE_WEBHOOK_CLAIM_LEASE", "1")];
    let mut worker = crate::cluster::start_with(&app.database_url, &lease).await;
    grant(&app, installation, group).await;
    let held = receiver.wait_for(1).await;
    worker.child.kill().await.unwrap();
    let _restarted = crate::cluster::start_with(&app.database_url, &lease).await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got[1].event_id, held[0].event_id);
    assert!(got[1].body.contains("access.granted"));
    // The second attempt is recorded delivered; the worker goes on and never sends it again.
    let mut delivered = false;
    for _ in 0..100 {
        let (_, endpoints) = get(&app, &token, &format!("/api/userGroups/{group}/webhooks")).await;
        delivered = endpoints[0]["RecentAttempts"]
            .as_array()
            .is_some_and(|all| all.iter().any(|a| a["StatusCode"] == json!(200)));
        if delivered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "the delivery is recorded");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.got().len(), 2, "{:?}", receiver.got());
}

/// Fast retries, private targets, and a look for ended grants every 50 ms.
fn sweeping(settings: &mut ServeSettings) {
    fast(settings);
    settings.grant_expiry_sweep_ms = 50;
}

/// Ends the group's grant now, as the store does for the Permissions tab (the form takes no past
/// dates), keeping `rights`.
async fn end_grant(
    app: &TestApp,
    installation: InstallationId,
    group: GroupId,
    rights: GrantRights,
) {
    let manage = operator::<ManagePermissions>(&app.db, installation).await;
    let ended = GrantTerms {
        rights,
        ends: Some(Utc::now() - chrono::Duration::seconds(1)),
    };
    app.db
        .store
        .change_grant(&manage, group, &ended)
        .await
        .unwrap();
}

/// The installation's audit entries of `kind`.
async fn audited(app: &TestApp, installation: InstallationId, kind: &str) -> Vec<Value> {
    let manage = operator::<ManagePermissions>(&app.db, installation).await;
    app.db
        .store
        .installation_audit(&manage, 500, 0)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.kind == kind)
        .map(|event| event.detail)
        .collect()
}

async fn a_grant_whose_end_passes_is_told_once_and_again_after_an_extension(engine: Engine) {
    let w = crate::api::world(spawn_app_with(engine, sweeping).await).await;
    let (app, installation, group) = (&w.app, w.installation, w.group);
    let owner_token = token(app, "cpo@acme.example").await;
    let partner_owner = crate::partner::logged_in(app, "cpo@acme.example").await;
    let (client, client_secret) =
        crate::partner::create_credentials(&partner_owner, group, "Fleet sync").await;
    let service = crate::partner::service_token(app, &client, &client_secret).await;
    let (receiver, url) = Receiver::start(&[], Duration::ZERO).await;
    let created = add_webhook(app, &owner_token, group, &url, &["access.expired"]).await;
    let secret = created["Secret"].as_str().unwrap().to_owned();
    let reached = format!("/api/installation/{installation}");
    assert_eq!(get(app, &service, &reached).await.0, Status::OK);

    // The end passes: one signed access.expired, the service account is refused, the log says so,
    // and the live event is published.
    let mut events = app.events.subscribe();
    let view_and_settings = GrantRights::VIEW.with(GrantRight::Settings);
    end_grant(app, installation, group, view_and_settings).await;
    let got = receiver.wait_for(1).await;
    assert!(
        signed_with(&got[0].signature, &got[0].body, &secret),
        "{got:?}"
    );
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["type"], "access.expired");
    assert_eq!(body["installationId"], json!(installation));
    assert_eq!(body["data"]["groupId"], json!(group));
    assert_eq!(body["data"]["rights"], json!(["view", "changeSettings"]));
    assert!(body["data"]["until"].is_string(), "{body}");
    assert_eq!(get(app, &service, &reached).await.0, Status::FORBIDDEN);
    let expired = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(Event::AccessExpired {
                installation: i,
                group: g,
            }) = events.recv().await
            {
                return (i, g);
            }
        }
    })
    .await
    .expect("the live event is published");
    assert_eq!(expired, (installation, group));
    let entries = audited(app, installation, "access_expired").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["installation_name"], "Garage Nord");
    let owner = crate::api::logged_in(app, "owner@example.no", crate::api::PASSWORD).await;
    let (_, log) = owner
        .page(&format!("/installations/{installation}/audit"))
        .await;
    assert!(log.contains("The access of Acme Charging"), "{log}");
    assert!(log.contains("to Garage Nord expired"), "{log}");
    assert!(log.contains("voltgate (automatically)"), "{log}");

    // Later sweeps, and changing the rights of the ended grant, tell nothing more.
    end_grant(app, installation, group, GrantRights::VIEW).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.got().len(), 1);
    assert_eq!(audited(app, installation, "access_expired").await.len(), 1);

    // The owner extends it on the Permissions tab: access is back; when the new end passes, it is
    // told again, as a new event.
    let until = (Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let changed =
        crate::grants::owner_changes(&owner, installation, group, &["settings"], &until).await;
    assert_eq!(changed.status(), Status::SEE_OTHER);
    assert_eq!(get(app, &service, &reached).await.0, Status::OK);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.got().len(), 1, "an end ahead is not told");
    end_grant(app, installation, group, GrantRights::VIEW).await;
    let got = receiver.wait_for(2).await;
    assert!(got[1].body.contains("access.expired"), "{got:?}");
    assert_ne!(got[0].event_id, got[1].event_id);
    assert_eq!(audited(app, installation, "access_expired").await.len(), 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.got().len(), 2);
}

async fn three_processes_tell_each_ended_grant_once() {
    let app = spawn_app_with(Engine::Postgres, |s| {
        sweeping(s);
        s.grant_expiry_sweep_ms = 10;
    })
    .await;
    let (first, _password, group, token) = partner(&app).await;
    let owner = app.browser();
    let login = owner
        .submit(
            "/login",
            "/login",
            &[
                ("email", "owner@example.no"),
                ("password", crate::api::PASSWORD),
            ],
        )
        .await;
    assert_eq!(login.status(), Status::SEE_OTHER);
    let mut installations = vec![first];
    for n in 1..12 {
        let name = format!("Garage {n}");
        installations.push(crate::installations::create_installation(&owner, &name, "go").await);
    }
    for installation in &installations {
        grant(&app, *installation, group).await;
    }
    let (receiver, url) = Receiver::start(&[], Duration::ZERO).await;
    add_webhook(&app, &token, group, &url, &["access.expired"]).await;
    for _ in 0..2 {
        let mut settings = ServeSettings::for_tests(&app.database_url);
        sweeping(&mut settings);
        settings.grant_expiry_sweep_ms = 10;
        serve(settings).await;
    }
    // Every grant ends at once, while three processes sweep every 10 ms.
    let ends = installations
        .iter()
        .map(|installation| end_grant(&app, *installation, group, GrantRights::ALL));
    futures::future::join_all(ends).await;
    receiver.wait_for(installations.len()).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut told: HashMap<String, usize> = HashMap::new();
    for delivery in receiver.got() {
        let body: Value = serde_json::from_str(&delivery.body).unwrap();
        *told
            .entry(body["installationId"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(told.len(), installations.len(), "{told:?}");
    assert!(told.values().all(|n| *n == 1), "told twice: {told:?}");
    for installation in &installations {
        assert_eq!(
            audited(&app, *installation, "access_expired").await.len(),
            1
        );
    }
}

/// A receiver that counts the requests it gets and never answers them.
async fn hanging_receiver() -> (Arc<Mutex<usize>>, String) {
    let arrived = Arc::new(Mutex::new(0));
    let counter = arrived.clone();
    let router = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                *counter.lock().unwrap() += 1;
                std::future::pending::<StatusCode>().await
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hooks",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    (arrived, url)
}

async fn a_group_whose_endpoints_hang_does_not_hold_up_another_groups_delivery(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        fast(s);
        s.no_webhook_delivery = true;
    })
    .await;
    let (installation, _password, slow, slow_token) = partner(&app).await;
    let other_owner = app.signed_up("ops@other.example", "Other Ops").await;
    let other = create_group(&other_owner, "Other Ops", "").await;
    let other_token = token(&app, "ops@other.example").await;

    // The slow group: three endpoints that never answer, and a backlog of 40 deliveries, older than
    // the other group's one.
    let (arrived, hanging) = hanging_receiver().await;
    for _ in 0..3 {
        add_webhook(&app, &slow_token, slow, &hanging, &["access.changed"]).await;
    }
    let (receiver, url) = Receiver::start(&[], Duration::ZERO).await;
    add_webhook(&app, &other_token, other, &url, &["access.changed"]).await;
    for n in 0..40 {
        let notice = WebhookNotice::new(WebhookEvent::AccessChanged, installation, json!({"n": n}));
        app.db.store.notify(&notice.for_group(slow)).await.unwrap();
    }
    let notice = WebhookNotice::new(WebhookEvent::AccessChanged, installation, json!({}));
    app.db.store.notify(&notice.for_group(other)).await.unwrap();

    // A worker starts: the other group's delivery goes out while the slow group's first attempts are
    // still waiting for their answer (none recorded yet), and the slow group holds its share only.
    let mut settings = ServeSettings::for_tests(&app.database_url);
    fast(&mut settings);
    serve(settings).await;
    receiver.wait_for(1).await;
    let (_, list) = get(
        &app,
        &slow_token,
        &format!("/api/userGroups/{slow}/webhooks"),
    )
    .await;
    for endpoint in list.as_array().unwrap() {
        assert_eq!(endpoint["RecentAttempts"], json!([]), "{list}");
    }
    let sending = *arrived.lock().unwrap();
    let share = voltgate_domain::webhook::DeliveryShares::default();
    assert!(
        sending <= share.per_group,
        "{sending} in flight for one group"
    );
}
