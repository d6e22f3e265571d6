//! Three `voltgate serve` processes on one PostgreSQL act as one service: a command from any process
//! reaches a charger on any other, a charger that moves replaces its old connection, a process that
//! dies takes its chargers offline within its lease, and load balancing across processes never goes
//! over the installation's current. (On SQLite one process is the whole service: nothing to test.)

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::json;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use voltgate_domain::authz::{ManageGroup, ManagePermissions};
use voltgate_domain::webhook::{WebhookEvents, WebhookUrl};
use voltgate_domain::{Email, InstallationId, Principal};
use voltgate_store::testing::{on_group, TestDatabase};
use voltgate_store::{Engine, NewWebhookEndpoint, RequestContext};

use crate::charge_point::{add_charger, ChargePoint};
use crate::fleet::{self, arm, questions, until, worst, Shared, SimCharger};
use crate::groups::create_group;
use crate::helpers::{operator, Browser};
use crate::installations::create_installation;
use crate::webhooks::Receiver;

/// Each process's lease, in seconds: short, so that a dead process is noticed quickly.
const LEASE: u64 = 3;

/// One `voltgate serve` process.
pub(crate) struct Process {
    base: String,
    pub(crate) child: Child,
}

async fn start(database_url: &str) -> Process {
    start_with(database_url, &[]).await
}

/// Starts a `voltgate serve` process on the database with these environment variables besides the
/// usual ones (webhooks go to the test's local receivers, retried soon).
pub(crate) async fn start_with(database_url: &str, env: &[(&str, &str)]) -> Process {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_voltgate"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .env("VOLTGATE_CLUSTER_LEASE", LEASE.to_string())
        .env("VOLTGATE_OCPP_COMMAND_TIMEOUT", "5")
        .env("VOLTGATE_SIGNUPS_PER_HOUR", "1000")
        .env("VOLTGATE_LOG", "warn")
        .env("VOLTGATE_ALLOW_PRIVATE_WEBHOOK_TARGETS", "true")
        .env("VOLTGATE_WEBHOOK_RETRY_BASE_MS", "100")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the voltgate binary runs");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Process { base, child };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("voltgate serve did not start on {base}");
}

/// Three processes on a fresh database.
async fn three() -> (TestDatabase, Vec<Process>) {
    let database = TestDatabase::new(Engine::Postgres).await;
    let mut processes = Vec::new();
    for _ in 0..3 {
        processes.push(start(&database.url).await);
    }
    (database, processes)
}

/// The same signed-in person on another process (browser sessions live in the database).
fn on(browser: &Browser, process: &Process) -> Browser {
    Browser {
        client: browser.client.clone(),
        base: process.base.clone(),
    }
}

async fn owner_with_installation(first: &Process) -> (Browser, InstallationId) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let owner = Browser {
        client,
        base: first.base.clone(),
    };
    let response = owner
        .submit(
            "/signup",
            "/signup",
            &[
                ("email", "owner@example.no"),
                ("full_name", "Owner"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert!(response.status().is_redirection(), "signed up");
    let installation = create_installation(&owner, "Borettslag", "go").await;
    (owner, installation)
}

/// Whether a process's page of the charger says it is online.
async fn shown_online(browser: &Browser, charger_id: &str) -> bool {
    let (status, html) = browser.page(&format!("/chargers/{charger_id}")).await;
    assert_eq!(status, StatusCode::OK);
    html.contains("badge online")
}

/// Sends a restart from `browser`'s process and answers it as `charger`; returns the page's verdict.
async fn restart(browser: &Browser, charger_id: &str, charger: &mut ChargePoint) -> String {
    let page = format!("/chargers/{charger_id}");
    let sending = {
        let browser = Browser {
            client: browser.client.clone(),
            base: browser.base.clone(),
        };
        let page = page.clone();
        tokio::spawn(async move {
            browser
                .submit_page(
                    &page,
                    &format!("{page}/commands"),
                    &[("command", "restart")],
                )
                .await
                .1
        })
    };
    let (action, _) = charger.answer_next(json!({"status": "Accepted"})).await;
    assert_eq!(action, "Reset");
    sending.await.unwrap()
}

/// Whether the server closes the connection within a few seconds (load balancing's CALLs on the way
/// are skipped).
async fn closes(charger: &mut ChargePoint) -> bool {
    use futures::StreamExt;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, charger.socket.next()).await {
            Err(_) => return false,
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

async fn eventually(what: &str, within: Duration, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < within {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("not within {within:?}: {what}");
}

#[tokio::test]
async fn commands_reach_chargers_on_every_process_and_survive_a_dead_one() {
    let (_database, mut processes) = three().await;
    let (owner, installation) = owner_with_installation(&processes[0]).await;
    let mut chargers = Vec::new();
    for (n, process) in processes.iter().enumerate() {
        let identity = format!("CP-{n}");
        let (password, id) = add_charger(&owner, installation, &identity, 1).await;
        let mut charger = ChargePoint::connect(&process.base, &identity, &password).await;
        charger.boot().await;
        charger.settle(Duration::from_millis(500)).await;
        chargers.push((identity, password, id, charger));
    }
    for process in &processes {
        let browser = on(&owner, process);
        for (identity, _, id, charger) in chargers.iter_mut() {
            assert!(
                shown_online(&browser, id).await,
                "{identity} online everywhere"
            );
            let verdict = restart(&browser, id, charger).await;
            assert!(
                verdict.contains("The charger answered: accepted."),
                "{identity} commanded from {}",
                process.base
            );
        }
    }

    // A charger that connects to another process replaces its old connection there.
    let (identity, password, id, old) = &mut chargers[0];
    let mut moved = ChargePoint::connect(&processes[1].base, identity, password).await;
    moved.boot().await;
    assert!(closes(old).await, "the old connection is closed");
    let verdict = restart(&on(&owner, &processes[2]), id, &mut moved).await;
    assert!(
        verdict.contains("The charger answered: accepted."),
        "{verdict}"
    );
    let id0 = id.clone();
    chargers[0].3 = moved;

    // Process 2 dies: its charger is offline once the lease runs out, everywhere.
    let (identity, password, id, _) = &chargers[2];
    processes[2].child.kill().await.unwrap();
    let watcher = on(&owner, &processes[0]);
    eventually(
        "the dead process's charger shows offline",
        Duration::from_secs(LEASE * 3),
        async || !shown_online(&watcher, id).await,
    )
    .await;
    // It reconnects to a live process and is commanded there, from the other one.
    let mut back = ChargePoint::connect(&processes[0].base, identity, password).await;
    back.boot().await;
    let verdict = restart(&on(&owner, &processes[1]), id, &mut back).await;
    assert!(
        verdict.contains("The charger answered: accepted."),
        "{verdict}"
    );
    assert!(shown_online(&on(&owner, &processes[1]), &id0).await);
}

/// A process that dies takes its chargers offline for the partners' webhooks too: the live processes
/// that notice enqueue `charger.offline` with forgetting the charger, so it is delivered once, for the
/// dead process's charger only, however many processes reap at the same time.
#[tokio::test]
async fn a_dead_process_s_charger_is_said_offline_to_webhooks_exactly_once() {
    let (database, mut processes) = three().await;
    let (owner, installation) = owner_with_installation(&processes[0]).await;
    let group = create_group(&owner, "Acme Charging", "").await;
    let db = voltgate_store::connect(&database.url).await.unwrap();
    let store = db.store.as_ref();
    let permissions = operator::<ManagePermissions>(&db, installation).await;
    let context = RequestContext::default();
    assert!(store
        .grant_access(&permissions, group, &Default::default(), &context)
        .await
        .unwrap()
        .is_new());
    let email = Email::parse("owner@example.no").unwrap();
    let owner_id = store.user_by_email(&email).await.unwrap().unwrap().id;
    let manage = on_group::<ManageGroup>(store, Principal::User(owner_id), group)
        .await
        .unwrap();
    let (receiver, url) = Receiver::start(&[], Duration::ZERO).await;
    let endpoint = NewWebhookEndpoint {
        url: WebhookUrl::parse(&url).unwrap(),
        events: WebhookEvents::parse(["charger.offline"]).unwrap(),
        secret: "whsec_test".into(),
    };
    store.create_webhook(&manage, &endpoint).await.unwrap();

    let mut chargers = Vec::new();
    for (n, process) in processes.iter().enumerate().skip(1) {
        let identity = format!("CP-{n}");
        let (password, id) = add_charger(&owner, installation, &identity, 1).await;
        let mut charger = ChargePoint::connect(&process.base, &identity, &password).await;
        charger.boot().await;
        chargers.push((id, charger));
    }
    processes[2].child.kill().await.unwrap();
    let got = receiver.wait_for(1).await;
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["type"], "charger.offline");
    assert_eq!(body["data"]["chargerId"], chargers[1].0.as_str());
    // Both live processes look for dead ones every second: after several rounds of looking (the dead
    // process's charger shows offline everywhere once it was reaped), still one delivery.
    for process in &processes[..2] {
        let watcher = on(&owner, process);
        eventually(
            "the dead process's charger shows offline",
            Duration::from_secs(LEASE * 3),
            async || !shown_online(&watcher, &chargers[1].0).await,
        )
        .await;
    }
    tokio::time::sleep(Duration::from_secs(LEASE)).await;
    let got = receiver.got();
    assert_eq!(got.len(), 1, "one delivery: {got:?}");
    assert!(shown_online(&on(&owner, &processes[0]), &chargers[0].0).await);
}

#[tokio::test]
async fn load_balancing_across_processes_never_goes_over() {
    let (_database, processes) = three().await;
    let (owner, installation) = owner_with_installation(&processes[0]).await;
    let page = format!("/installations/{installation}");
    let settings = [
        ("max_current", "32"),
        ("available_mode", "all"),
        ("available_current", "20"),
        ("phases", "3"),
    ];
    let response = owner
        .submit(&page, &format!("{page}/settings"), &settings)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let shared = Shared::default();
    let names = ["CP-A", "CP-B", "CP-C"];
    let mut passwords = Vec::new();
    let mut chargers = Vec::new();
    for (name, process) in names.iter().zip(&processes) {
        let (password, _) = add_charger(&owner, installation, name, 1).await;
        chargers.push(SimCharger::start(&process.base, name, &password, &shared).await);
        passwords.push(password);
    }
    until(&shared, "every charger holds a default limit", |truth| {
        names.iter().all(|name| {
            truth
                .connectors
                .get(&(name.to_string(), 1))
                .is_some_and(|c| c.default.is_some())
        })
    })
    .await;
    arm(&shared);
    // Starts, stops and reconnections in a scrambled but repeatable order, on every process.
    let mut seed = 0x2545_f491_u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut sessions: Vec<Option<i64>> = vec![None; names.len()];
    for _ in 0..12 {
        let k = next(names.len() as u64) as usize;
        match (next(3), sessions[k]) {
            (0, None) => {
                let charger = chargers.remove(k);
                charger.disconnect().await;
                let process = &processes[next(processes.len() as u64) as usize];
                let back = SimCharger::start(&process.base, names[k], &passwords[k], &shared).await;
                chargers.insert(k, back);
            }
            (_, None) => {
                let at = chrono::Utc::now().to_rfc3339();
                sessions[k] = Some(chargers[k].start_session(&at).await);
            }
            (_, Some(transaction)) => {
                chargers[k].stop_session(transaction).await;
                sessions[k] = None;
            }
        }
        tokio::time::sleep(Duration::from_millis(100 * next(5))).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        worst(&shared) <= 20.0 + 1e-9,
        "the accepted limits never add up to more than 20 A: {} A",
        worst(&shared)
    );
}

/// A charger is asked what it supports once per connection, by the process it is connected to;
/// rebalances run on the other processes read the answer from the database (they never ask across
/// processes) and send limits in the charger's unit and at its stack level.
#[tokio::test]
async fn capabilities_are_asked_once_by_the_process_holding_the_charger() {
    let (_database, processes) = three().await;
    let (owner, installation) = owner_with_installation(&processes[0]).await;
    let (password, _) = add_charger(&owner, installation, "CP-W", 1).await;
    let shared = Shared::default();
    let reports = fleet::capabilities(0, "Power");
    let _charger =
        SimCharger::start_reporting(&processes[0].base, "CP-W", &password, &shared, reports).await;
    let in_watts = |amperes: f64| {
        move |truth: &crate::fleet::Truth| {
            truth.connectors.get(&("CP-W".into(), 1)).is_some_and(|c| {
                c.profiles
                    .last()
                    .is_some_and(|(purpose, limit, unit, stack)| {
                        purpose == "TxDefaultProfile"
                            && unit == "W"
                            && *stack == 0
                            && *limit == amperes * 230.0 * 3.0
                    })
            })
        }
    };
    for (process, amperes) in [(&processes[1], 12.0), (&processes[2], 16.0)] {
        let page = format!("/installations/{installation}");
        let settings = [
            ("max_current", "32"),
            ("available_mode", "all"),
            ("available_current", &*amperes.to_string()),
            ("phases", "3"),
        ];
        let response = on(&owner, process)
            .submit(&page, &format!("{page}/settings"), &settings)
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        until(
            &shared,
            "the new default arrives in watts",
            in_watts(amperes),
        )
        .await;
    }
    assert_eq!(questions(&shared, "CP-W"), 1);
}

/// A command from one process to a charger on another, whose caller gives up (its HTTP client times
/// out and goes away) while the command waits behind another for the charger, is never sent.
#[tokio::test]
async fn a_command_whose_caller_gave_up_is_never_sent_from_another_process() {
    let database = TestDatabase::new(Engine::Postgres).await;
    let here = start(&database.url).await;
    let there = start(&database.url).await;
    let (owner, installation) = owner_with_installation(&here).await;
    let (password, id) = add_charger(&owner, installation, "CP-W", 1).await;
    let mut charger = ChargePoint::connect(&there.base, "CP-W", &password).await;
    charger.boot().await;
    charger.settle(Duration::from_millis(500)).await;
    let page = format!("/chargers/{id}");
    // A first command holds the charger: it receives it and does not answer yet.
    let first = {
        let browser = on(&owner, &here);
        let page = page.clone();
        tokio::spawn(async move {
            browser
                .submit_page(
                    &page,
                    &format!("{page}/commands"),
                    &[("command", "restart")],
                )
                .await
                .1
        })
    };
    let held = charger.next_frame().await;
    assert_eq!(
        (held[0].clone(), held[2].clone()),
        (json!(2), json!("Reset"))
    );
    // A second waits behind it on the other process; its caller gives up after a second.
    let (_, html) = owner.page(&page).await;
    let token = crate::helpers::csrf_in(&html);
    let gave_up = owner
        .client
        .post(format!("{}{page}/commands", here.base))
        .form(&[("command", "restart"), ("csrf", token.as_str())])
        .timeout(Duration::from_secs(1))
        .send()
        .await;
    assert!(gave_up.is_err_and(|e| e.is_timeout()), "the caller gave up");
    tokio::time::sleep(Duration::from_millis(500)).await;
    charger
        .send_text(json!([3, held[1], {"status": "Accepted"}]).to_string())
        .await;
    // Until well past the second command's time (5 s), nothing but load balancing arrives.
    let until = tokio::time::Instant::now() + Duration::from_secs(6);
    while let Some(frame) = charger
        .receive_within(until.saturating_duration_since(tokio::time::Instant::now()))
        .await
    {
        assert!(
            charger.answer_balancing(&frame).await,
            "a command was sent after its caller gave up: {frame}"
        );
    }
    let verdict = first.await.unwrap();
    assert!(
        verdict.contains("The charger answered: accepted."),
        "{verdict}"
    );
}
