//! What one server process spends under load, measured from outside on a real `voltgate serve` child
//! process: memory under parallel password hashing, connections held by slow clients. Small numbers,
//! so each runs in a few seconds; the large ones are `voltgate bench passwords` and
//! `voltgate bench slow-clients`.

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use voltgate_server::measure::{
    client_from, closed_by_server, forms_at_once, half_open, register_charger, ServerProcess,
};
use voltgate_server::sim::connect_charger;
use voltgate_store::testing::TestDatabase;
use voltgate_store::Engine;

use crate::on_both_engines;

on_both_engines!(
    parallel_password_hashing_keeps_memory_bounded,
    slow_clients_leave_room_for_health_checks_and_chargers,
);

/// The most the server's peak memory may grow while hashing passwords in parallel (the target
/// for 200 at once; 40 unbounded hashes would take 760 MiB).
const MAX_GROWTH_KIB: u64 = 200 * 1024;
/// What may stay resident afterwards.
const MAX_KEPT_KIB: u64 = 48 * 1024;
const PARALLEL: u16 = 40;

/// A `voltgate serve` child process on a fresh database on `engine`, with `extra` arguments.
pub async fn server(engine: Engine, extra: &[&str]) -> (TestDatabase, ServerProcess) {
    let database = TestDatabase::new(engine).await;
    let exe = Path::new(env!("CARGO_BIN_EXE_voltgate"));
    let server = ServerProcess::start(exe, &database.url, extra)
        .await
        .expect("the server starts");
    (database, server)
}

fn person(i: usize) -> Vec<(&'static str, String)> {
    vec![
        ("email", format!("person{i}@example.com")),
        ("full_name", "Parallel".into()),
        ("password", "correct horse battery".into()),
    ]
}

async fn parallel_password_hashing_keeps_memory_bounded(engine: Engine) {
    let (_database, server) = server(engine, &[]).await;
    let warm = [client_from(1000).unwrap()];
    let warmed = forms_at_once(&warm, &server.base, "/signup", |_| person(usize::MAX)).await;
    assert_eq!(warmed.unwrap(), [(StatusCode::SEE_OTHER, false)]);
    let (peak_before, resident_before) =
        (server.peak_rss_kib().unwrap(), server.rss_kib().unwrap());

    let browsers = || {
        (1..=PARALLEL)
            .map(|n| client_from(n).unwrap())
            .collect::<Vec<_>>()
    };
    let signups = forms_at_once(&browsers(), &server.base, "/signup", person)
        .await
        .unwrap();
    let logins = forms_at_once(&browsers(), &server.base, "/login", person)
        .await
        .unwrap();
    let (served, busy) = (StatusCode::SEE_OTHER, StatusCode::SERVICE_UNAVAILABLE);
    for (signup, login) in signups.iter().zip(&logins) {
        let login_expected = if signup.0 == served {
            served
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let quick_refusal =
            |(status, retry_after): &(StatusCode, bool)| *status == busy && *retry_after;
        assert!(
            (signup.0 == served || quick_refusal(signup))
                && (login.0 == login_expected || quick_refusal(login)),
            "every request is served or refused with 503 and Retry-After: {signups:?} {logins:?}"
        );
    }
    assert!(signups
        .iter()
        .chain(&logins)
        .any(|(status, _)| *status == served));

    let growth = server.peak_rss_kib().unwrap().saturating_sub(peak_before);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kept = server.rss_kib().unwrap().saturating_sub(resident_before);
    eprintln!("{engine:?}: {PARALLEL} sign-ups and {PARALLEL} logins at once: peak +{growth} KiB, kept +{kept} KiB");
    assert!(growth < MAX_GROWTH_KIB, "peak memory grew by {growth} KiB");
    assert!(kept < MAX_KEPT_KIB, "{kept} KiB stayed resident");
    server.stop().await;
}

/// The portal connection cap of the slow-client test, and its header-read timeout in seconds.
const CAP: usize = 100;
const HEADER_SECONDS: u64 = 2;

async fn slow_clients_leave_room_for_health_checks_and_chargers(engine: Engine) {
    let cap = CAP.to_string();
    let timeout = HEADER_SECONDS.to_string();
    let limits = [
        "--max-portal-connections",
        &cap,
        "--header-read-timeout",
        &timeout,
    ];
    let (database, server) = server(engine, &limits).await;
    let password = register_charger(&database.url, "CP-SLOW").await.unwrap();
    let files_before = server.open_files().unwrap();

    let mut slow = half_open(server.address(), CAP * 2 + 50).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let closed_at_once = closed_by_server(&mut slow).await;
    assert!(
        closed_at_once >= 50,
        "past twice the cap, connections are closed at once: {closed_at_once}"
    );
    let files = server.open_files().unwrap();
    assert!(
        files <= files_before + 2 * CAP + 5,
        "{files} files open, {files_before} before"
    );

    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(slow.len() >= CAP, "{} slow clients still held", slow.len());
    let health = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "/healthz answers while slow clients are held"
    );
    let ocpp = format!("ws://{}/ocpp", server.address());
    let charger = connect_charger(&ocpp, "CP-SLOW", &password).await;
    assert!(
        charger.is_ok(),
        "a charger connects while slow clients are held: {charger:?}"
    );

    let mut idle = tokio::net::TcpStream::connect(server.address())
        .await
        .unwrap();
    let request = b"GET /healthz HTTP/1.1\r\nHost: voltgate\r\n\r\n";
    idle.write_all(request).await.unwrap();
    let mut answer = [0u8; 12];
    idle.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    let mut idle = vec![idle];

    // The idle connection's timeout started when its answer was sent; leave a margin for a busy machine.
    tokio::time::sleep(Duration::from_secs(HEADER_SECONDS) + Duration::from_millis(800)).await;
    let held = slow.len();
    assert_eq!(
        closed_by_server(&mut slow).await,
        held,
        "after the timeout the server closed them all"
    );
    assert_eq!(
        closed_by_server(&mut idle).await,
        1,
        "an idle keep-alive connection is closed too"
    );
    assert!(
        server
            .logs()
            .iter()
            .any(|line| line.contains("portal connection cap reached")),
        "reaching the cap is logged"
    );
    drop(charger);
    server.stop().await;
}
