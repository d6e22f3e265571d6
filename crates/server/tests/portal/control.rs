//! Charger control as people use it: post/redirect/get with a pending state, no command twice on a
//! reload, configuration values checked before sending, live updates, and a receipt that cannot be
//! forged.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use voltgate_store::Engine;

use crate::access::{decide, setting};
use crate::charge_point::{with_charger, ChargePoint};
use crate::helpers::{csrf_in, location, operator, serve_with_events, spawn_app, TestApp};
use crate::on_both_engines;
use voltgate_server::ServeSettings;

on_both_engines!(
    a_command_redirects_and_a_reload_never_resends_it,
    a_configuration_value_of_the_wrong_type_is_never_sent,
    the_live_stream_tells_of_a_change_within_a_second,
    the_receipt_cannot_be_forged,
    the_link_builder_keeps_to_registered_addresses,
);

mod cluster {
    #[tokio::test]
    async fn the_live_stream_of_one_process_tells_of_a_charger_on_another() {
        super::the_live_stream_of_one_process_tells_of_a_charger_on_another().await
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

async fn commands_audited(app: &TestApp, installation: voltgate_domain::InstallationId) -> usize {
    app.db
        .store
        .installation_audit(&operator(&app.db, installation).await, 100, 0)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == "charger_command")
        .count()
}

async fn a_command_redirects_and_a_reload_never_resends_it(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, password, charger_id) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    charger.boot().await;
    charger
        .ok("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": now()}))
        .await;
    let started = charger
        .ok(
            "StartTransaction",
            json!({"connectorId": 1, "idTag": "TAG-1", "meterStart": 1000, "timestamp": now()}),
        )
        .await;
    let transaction = started["transactionId"].as_i64().unwrap();
    let page = format!("/chargers/{charger_id}");
    let (_, html) = owner.page(&format!("{page}?lang=en")).await;
    assert!(
        html.contains("Stop charging"),
        "the connector's own Stop button"
    );
    assert!(
        !html.contains("name=\"transaction\""),
        "no session number to type"
    );

    let token = csrf_in(&html);
    let action = format!("{page}/commands");
    let fields = [("command", "stop"), ("connector", "1"), ("csrf", &token)];
    let stop = owner.post(&action, &fields);
    let (response, (called, payload)) =
        tokio::join!(stop, charger.answer_next(json!({"status": "Accepted"})));
    assert_eq!(called, "RemoteStopTransaction");
    assert_eq!(
        payload["transactionId"], transaction,
        "the connector's own session"
    );
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "post/redirect/get"
    );
    let target = format!("{}&lang=en", location(&response));
    assert!(target.starts_with(&format!("{page}?")), "{target}");
    let (_, html) = owner.page(&target).await;
    assert!(
        html.contains("The charger answered: accepted."),
        "the outcome"
    );
    assert!(
        html.contains("Stopping…"),
        "pending until the charger reports"
    );
    let sent = commands_audited(&app, installation).await;

    let (_, again) = owner.page(&target).await;
    assert!(
        again.contains("The charger answered: accepted."),
        "a reload shows the same"
    );
    assert_eq!(
        commands_audited(&app, installation).await,
        sent,
        "and sends nothing"
    );
    while let Some(frame) = charger.receive_within(Duration::from_millis(300)).await {
        assert_ne!(
            frame[2], "RemoteStopTransaction",
            "the charger hears no second stop"
        );
    }
    let forged = target.replace("accepted", "hacked");
    let (_, html) = owner.page(&forged).await;
    assert!(
        !html.contains("answered: hacked") && !html.contains("Stopping…"),
        "an outcome cannot be forged"
    );

    charger
        .ok("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Finishing", "timestamp": now()}))
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (_, reported) = owner.page(&target).await;
    assert!(!reported.contains("Stopping…"), "the charger reported");

    let (status, confirm) = owner
        .page(&format!("{page}/confirm?command=restart&lang=en"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Restart now") && confirm.contains("Cancel"));
}

async fn a_configuration_value_of_the_wrong_type_is_never_sent(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, password, charger_id) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    charger.boot().await;
    let configuration = format!("/chargers/{charger_id}/configuration");
    let keys = json!({"configurationKey": [
        {"key": "HeartbeatInterval", "readonly": false, "value": "300"},
    ]});
    let english = format!("{configuration}?lang=en");
    let (load, _) = tokio::join!(owner.page(&english), charger.answer_next(keys.clone()));
    let html = load.1;
    assert!(
        html.contains("How often the charger says it is still there."),
        "common keys explained"
    );
    let before = commands_audited(&app, installation).await;
    let token = csrf_in(&html);
    let fields = [
        ("key", "HeartbeatInterval"),
        ("value", "abc"),
        ("csrf", &token),
    ];
    let change = owner.post(&configuration, &fields);
    let (response, _) = tokio::join!(change, charger.answer_next(keys));
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("HeartbeatInterval was not sent"), "{html}");
    assert_eq!(
        commands_audited(&app, installation).await,
        before + 1,
        "only the configuration was read again; nothing was changed"
    );
}

async fn the_live_stream_tells_of_a_change_within_a_second(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, password, charger_id) = with_charger(&app, "CP-1").await;
    let mut charger = ChargePoint::connect(&app.base, "CP-1", &password).await;
    charger.boot().await;
    let mut stream = owner
        .get(&format!(
            "/installations/{installation}/live?charger={charger_id}"
        ))
        .await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    charger
        .ok("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": now()}))
        .await;
    let heard = tokio::time::timeout(Duration::from_secs(1), async {
        let mut seen = String::new();
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: refresh") {
                return seen;
            }
        }
        seen
    })
    .await
    .expect("a change within a second");
    assert!(heard.contains(&charger_id), "{heard}");

    let stranger = app.signed_up("stranger@example.no", "Stranger").await;
    let refused = stranger
        .get(&format!("/installations/{installation}/live"))
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
}

async fn the_receipt_cannot_be_forged(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, installation) = setting(&app).await;
    let forged =
        format!("/access/receipt?success=true&installationId={installation}&lookup={key}&lang=en");
    let (status, html) = owner.page(&forged).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no decision, no receipt");
    assert!(!html.contains("now has access"));

    let request = format!("/access/request/{key}");
    let denied = decide(&owner, &request, "deny", &installation.to_string()).await;
    assert_eq!(denied.status(), StatusCode::SEE_OTHER);
    let (_, html) = owner.page(&forged).await;
    assert!(html.contains("You denied the request"), "{html}");
    assert!(
        !html.contains("now has access"),
        "the URL's success=true is not believed"
    );
}

async fn the_link_builder_keeps_to_registered_addresses(engine: Engine) {
    let app = spawn_app(engine).await;
    let (partner, _, key, group, _) = setting(&app).await;
    let page = format!("/groups/{group}");
    let (_, html) = partner
        .page(&format!(
            "{page}?partnerName=Acme+Energy&lang=de&showExisting=true&returnUrl=https%3A%2F%2Fevil.example%2Fx"
        ))
        .await;
    assert!(
        html.contains(&format!(
            "/access/request/{key}?partnerName=Acme+Energy&#38;lang=de&#38;showExisting=true</code>"
        )),
        "the built link"
    );
    let link = html
        .split("<code id=\"access-link\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap_or_default();
    assert!(
        !link.contains("evil.example"),
        "an address the group did not register is left out"
    );
    let (_, html) = partner
        .page(&format!(
            "{page}?returnUrl=https%3A%2F%2Facme.example%2Fvoltgate%2Freturn"
        ))
        .await;
    assert!(html.contains("?returnUrl=https%3A%2F%2Facme.example%2Fvoltgate%2Freturn</code>"));

    let (status, confirm) = partner.page(&format!("{page}/lookup-key?lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        confirm.contains(&format!("The key {key} stops working at once")),
        "asks first"
    );
    let (_, still) = partner.page(&page).await;
    assert!(still.contains(&key), "nothing changed by asking");
}

/// Two processes on one PostgreSQL: the page is served by one, the charger is connected to the other.
async fn the_live_stream_of_one_process_tells_of_a_charger_on_another() {
    let app = spawn_app(Engine::Postgres).await;
    let (second, _) = serve_with_events(ServeSettings::for_tests(&app.database_url)).await;
    let (owner, installation, password, _) = with_charger(&app, "CP-1").await;
    let mut stream = owner
        .client
        .get(format!("{}/installations/{installation}/live", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let mut charger = ChargePoint::connect(&second, "CP-1", &password).await;
    charger.boot().await;
    charger
        .ok("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": now()}))
        .await;
    let heard = tokio::time::timeout(Duration::from_secs(5), async {
        let mut seen = String::new();
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: refresh") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        heard,
        Ok(true),
        "the other process's charger reached this page"
    );
}
