//! What pages give away beyond their content: caching, transport security, and the OCPP URL shown to
//! installers (from the service's public address, never from a request's Host header).

use reqwest::StatusCode;
use voltgate_server::ServeSettings;
use voltgate_store::Engine;

use crate::helpers::{serve, spawn_app, Browser};
use crate::installations::create_installation;
use crate::on_both_engines;

on_both_engines!(
    pages_are_not_cached_and_https_is_strict,
    the_ocpp_url_comes_from_the_public_address,
);

async fn pages_are_not_cached_and_https_is_strict(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.com", "Owner").await;
    let page = owner.get("/installations").await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(
        !page.headers().contains_key("strict-transport-security"),
        "plain http"
    );
    let style = owner.get("/static/style.css").await;
    assert!(style.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public"));

    let mut settings = ServeSettings::for_tests(&app.database_url);
    settings.public_url = Some("https://voltgate.example".into());
    let behind_https = serve(settings).await;
    let response = reqwest::get(format!("{behind_https}/login")).await.unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=63072000"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
}

/// Adds a charger from a browser that lies about the host; answers the charger page.
async fn add_charger(browser: &Browser, identity: &str) -> String {
    let id = create_installation(browser, "Garage", "go").await;
    let page = format!("/installations/{id}");
    let (_, html) = browser.page(&page).await;
    let token = crate::helpers::csrf_in(&html);
    let response = browser
        .client
        .post(format!("{}{page}/chargers", browser.base))
        .header("host", "evil.example")
        .form(&[
            ("name", "Charger"),
            ("identity", identity),
            ("connectors", "1"),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.text().await.unwrap()
}

async fn the_ocpp_url_comes_from_the_public_address(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.com", "Owner").await;
    let html = add_charger(&owner, "CP-HOST").await;
    let listening = app.base.replacen("http://", "ws://", 1);
    assert!(
        html.contains(&format!("{listening}/ocpp/CP-HOST")),
        "the address it listens on"
    );
    assert!(!html.contains("evil.example"), "never the Host header");

    let mut settings = ServeSettings::for_tests(&app.database_url);
    settings.public_url = Some("https://voltgate.example/".into());
    let public = Browser {
        client: owner.client.clone(),
        base: serve(settings).await,
    };
    let html = add_charger(&public, "CP-PUBLIC").await;
    assert!(html.contains("wss://voltgate.example/ocpp/CP-PUBLIC"));
    assert!(!html.contains("evil.example"));
}
