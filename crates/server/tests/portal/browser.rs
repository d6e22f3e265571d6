//! The access flow in a real headless Chromium (e2e/access.test.mjs, driven by playwright-core), on
//! both engines. Needs node, `npm ci --prefix e2e` and /usr/bin/chromium; without them it fails.

use std::path::PathBuf;
use std::process::Command;

use axum::extract::RawQuery;
use axum::routing::get;
use voltgate_store::Engine;

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

    let e2e = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e");
    assert!(
        e2e.join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix e2e` first (scripts/test does): the browser test never skips"
    );
    let base = app.base.clone();
    let key_text = key.to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(["--test", "--test-reporter=spec", "access.test.mjs"])
            .current_dir(&e2e)
            .env("VOLTGATE_BASE_URL", &base)
            .env("VOLTGATE_LOOKUP_KEY", &key_text)
            .env("VOLTGATE_RETURN_URL", &return_url)
            .env("VOLTGATE_OWNER_EMAIL", "kari@example.no")
            .env("VOLTGATE_OWNER_PASSWORD", "correct horse battery")
            .env("VOLTGATE_INSTALLATION_NAME", "Garage Nord")
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
        report.contains("pass 2") && report.contains("fail 0"),
        "{report}"
    );
    let grants = app
        .db
        .store
        .installation_grants(installation)
        .await
        .unwrap();
    assert_eq!(grants.len(), 1, "the click in the browser wrote the grant");
    assert_eq!(grants[0].group.id, group);
}
