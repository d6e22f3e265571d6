//! What one server process spends under load, measured from outside on a real `voltgate serve` child
//! process: memory under parallel password hashing. Small numbers, so it runs in a few seconds; the
//! large ones are `voltgate bench passwords`.

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use voltgate_server::measure::{client_from, forms_at_once, ServerProcess};
use voltgate_store::testing::TestDatabase;
use voltgate_store::Engine;

use crate::on_both_engines;

on_both_engines!(parallel_password_hashing_keeps_memory_bounded);

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
