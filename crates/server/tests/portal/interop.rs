//! Interoperability: the independent `ocpp` package from PyPI (interop/charge_point.py) as the
//! charge point, on both engines. The package checks every message both ways against the official
//! OCPP 1.6 JSON schemas. Needs the virtualenv that scripts/test makes; without it, it fails.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};
use voltgate_store::Engine;

use crate::helpers::spawn_app;
use crate::on_both_engines;

on_both_engines!(an_independent_charge_point_charges_and_obeys);

fn python() -> PathBuf {
    match std::env::var("VOLTGATE_INTEROP_PYTHON") {
        Ok(path) => PathBuf::from(path),
        Err(_) => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/interop-venv/bin/python")
        }
    }
}

async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the charge point speaks in time")
        .unwrap()
        .expect("the charge point is still running")
}

async fn an_independent_charge_point_charges_and_obeys(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.no", "Owner").await;
    let installation = crate::installations::create_installation(&owner, "Garage", "go").await;
    let page = format!("/installations/{installation}");
    let (_, html) = owner
        .submit_page(
            &page,
            &format!("{page}/chargers"),
            &[
                ("name", "Interop"),
                ("identity", "PY-1"),
                ("connectors", "1"),
            ],
        )
        .await;
    let marker = "<dt>Password</dt><dd><code class=\"key\">";
    let password = html[html.find(marker).unwrap() + marker.len()..]
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let (_, list) = owner.page(&page).await;
    let link = "<a href=\"/chargers/";
    let charger_page = format!(
        "/chargers/{}",
        list[list.find(link).unwrap() + link.len()..]
            .split('"')
            .next()
            .unwrap()
    );

    let python = python();
    assert!(
        python.exists(),
        "{} is missing: run scripts/test (it makes the virtualenv); this test never skips",
        python.display()
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop/charge_point.py");
    let mut child = Command::new(&python)
        .arg(script)
        .env(
            "VOLTGATE_OCPP_URL",
            format!("{}/ocpp", app.base.replacen("http://", "ws://", 1)),
        )
        .env("VOLTGATE_CHARGER_ID", "PY-1")
        .env("VOLTGATE_CHARGER_PASSWORD", &password)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(
        next_line(&mut lines).await,
        "BOOTED",
        "a boot with empty optional strings is accepted"
    );
    let started = next_line(&mut lines).await;
    let transaction = started
        .strip_prefix("STARTED ")
        .unwrap_or_else(|| panic!("{started}"))
        .to_owned();
    assert_eq!(
        next_line(&mut lines).await,
        "LIMIT 32.0 A 1",
        "the session's charging profile went round: schema-valid, in the unit and at the stack level \
         the charge point reports, with all of the installation's 32 A"
    );

    let commands = format!("{charger_page}/commands");
    let (_, html) = owner
        .submit_page(
            &charger_page,
            &commands,
            &[("command", "stop"), ("transaction", &transaction)],
        )
        .await;
    assert!(
        html.contains("The charger answered: accepted."),
        "RemoteStopTransaction accepted"
    );
    assert_eq!(next_line(&mut lines).await, "STOPPED");
    let (_, html) = owner
        .submit_page(&charger_page, &commands, &[("command", "restart")])
        .await;
    let notice = html
        .split("class=\"notice\" role=\"status\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or("no outcome");
    assert!(
        html.contains("The charger answered: accepted."),
        "Reset accepted: {notice}"
    );
    assert_eq!(next_line(&mut lines).await, "RESET");
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "the charge point finished cleanly");

    let sessions = app
        .db
        .store
        .charge_history(installation, &Default::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        (sessions[0].energy_kwh(), sessions[0].id_tag.as_str()),
        (Some(5.0), "PY-TAG")
    );
    assert_eq!(
        app.db
            .store
            .meter_samples(sessions[0].id)
            .await
            .unwrap()
            .len(),
        501,
        "the StopTransaction's 500 samples landed, with the one MeterValues sample"
    );
}
