//! The access flow in a real headless Chromium (e2e/access.test.mjs, driven by playwright-core), on
//! both engines. Needs node, `npm ci --prefix e2e` and /usr/bin/chromium; without them it fails.

use std::path::PathBuf;
use std::process::Command;

use axum::extract::RawQuery;
use axum::routing::get;
use voltgate_store::Engine;

use crate::charge_point::add_charger;
use crate::groups::create_group;
use crate::helpers::spawn_app;
use crate::installations::create_installation;
use crate::on_both_engines;

on_both_engines!(an_owner_approves_through_the_link_in_a_real_browser);

/// A stand-in for the partner's web site: the return URL the browser lands on.
async fn partner_site() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/return",
        get(|RawQuery(query): RawQuery| async move {
            format!("partner received {}", query.unwrap_or_default())
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://127.0.0.1:{port}/return")
}

async fn an_owner_approves_through_the_link_in_a_real_browser(engine: Engine) {
    let app = spawn_app(engine).await;
    let return_url = partner_site().await;
    let partner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let group = create_group(&partner, "Acme Charging", &return_url).await;
    let owner = app.signed_up("kari@example.no", "Kari").await;
    let installation = create_installation(&owner, "Garage Nord", "go").await;
    let partner_user = app
        .db
        .store
        .user_by_email(&voltgate_domain::Email::parse("cpo@acme.example").unwrap())
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

    // A member's day: a charger that a car is plugged into a few seconds after the browser opened its
    // page, so the page must change by itself.
    let (password, charger_id) = add_charger(&owner, installation, "CP-SIM", 2).await;
    let simulator = tokio::spawn(voltgate_server::sim::run(voltgate_server::sim::SimArgs {
        url: format!("{}/ocpp", app.base.replacen("http://", "ws://", 1)),
        id: "CP-SIM".into(),
        password,
        connectors: 2,
        plug_in_after: Some(8),
        id_tag: "SIM-TAG".into(),
        meter_interval: 1,
    }));

    let e2e = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e");
    assert!(
        e2e.join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix e2e` first (scripts/test does): the browser test never skips"
    );
    let base = app.base.clone();
    let key_text = key.to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([
                "--test",
                "--test-concurrency=1",
                "--test-reporter=spec",
                "access.test.mjs",
                "portal.test.mjs",
                "every_page.test.mjs",
            ])
            .current_dir(&e2e)
            .env("VOLTGATE_BASE_URL", &base)
            .env("VOLTGATE_LOOKUP_KEY", &key_text)
            .env("VOLTGATE_RETURN_URL", &return_url)
            .env("VOLTGATE_OWNER_EMAIL", "kari@example.no")
            .env("VOLTGATE_PARTNER_EMAIL", "cpo@acme.example")
            .env("VOLTGATE_OWNER_PASSWORD", "correct horse battery")
            .env("VOLTGATE_INSTALLATION_NAME", "Garage Nord")
            .env("VOLTGATE_CHARGER_ID", &charger_id)
            .output()
            .expect("node runs (install Node.js)")
    })
    .await
    .unwrap();
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the browser test failed:\n{report}"
    );
    assert!(
        report.contains("pass 5") && report.contains("fail 0"),
        "{report}"
    );
    simulator.abort();
    let grants = app
        .db
        .store
        .installation_grants(installation)
        .await
        .unwrap();
    assert_eq!(grants.len(), 1, "the click in the browser wrote the grant");
    assert_eq!(grants[0].group.id, group);
    assert_eq!(
        grants[0].terms.rights,
        voltgate_domain::GrantRights::VIEW.with(voltgate_domain::GrantRight::Control),
        "the rights ticked in the browser"
    );
    let end = grants[0]
        .terms
        .ends
        .expect("the end date chosen in the browser");
    let days = (end - chrono::Utc::now()).num_days();
    assert!((19..=21).contains(&days), "ends in {days} days");
}
