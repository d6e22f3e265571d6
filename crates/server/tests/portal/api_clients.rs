//! Real clients of the REST API, on both engines: pyzaptec 0.8.7 from PyPI (unchanged but for its
//! base URL) as a group member after an approval, and schemathesis checking every operation against
//! the OpenAPI document. Both come from the virtualenv `scripts/pyzaptec-venv` makes (scripts/test
//! runs it); without it these tests fail, they never skip.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use tokio::process::Command;
use voltgate_domain::authz::{ManageGroup, ManagePermissions};
use voltgate_domain::{Email, GroupRole, Principal};
use voltgate_store::testing::on_group;
use voltgate_store::{Engine, RequestContext};

use crate::api::owner_revokes;
use crate::charge_point::{with_charger, ChargePoint};
use crate::groups::create_group;
use crate::helpers::{operator, spawn_app, TestApp};

crate::on_both_engines!(
    pyzaptec_builds_polls_commands_and_loses_a_revoked_installation,
    schemathesis_finds_the_openapi_document_true
);

const PASSWORD: &str = "correct horse battery";

fn venv_python() -> PathBuf {
    let python =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/pyzaptec-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/pyzaptec-venv (scripts/test does); this test never skips",
        python.display()
    );
    python
}

/// An owner's installation with a charger, and a member of a group that was given access.
async fn member_with_access(
    app: &TestApp,
    identity: &str,
) -> (
    voltgate_domain::InstallationId,
    voltgate_domain::GroupId,
    String,
) {
    let (_owner, installation, password, _charger) = with_charger(app, identity).await;
    let partner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let group = create_group(&partner, "Acme Charging", "").await;
    app.signed_up("member@acme.example", "Member").await;
    let store = app.db.store.as_ref();
    let member = store
        .user_by_email(&Email::parse("member@acme.example").unwrap())
        .await
        .unwrap()
        .unwrap();
    let on_group = on_group::<ManageGroup>(store, Principal::Operator, group)
        .await
        .unwrap();
    store
        .set_group_role(&on_group, member.id, GroupRole::Member)
        .await
        .unwrap();
    let permissions = operator::<ManagePermissions>(&app.db, installation).await;
    store
        .grant_access(
            &permissions,
            group,
            &Default::default(),
            &RequestContext::default(),
        )
        .await
        .unwrap();
    (installation, group, password)
}

async fn drive(app: &TestApp, mode: &str) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop/pyzaptec_drive.py");
    let run = Command::new(venv_python())
        .arg(script)
        .args([app.base.as_str(), "member@acme.example", PASSWORD, mode])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("pyzaptec finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "pyzaptec {mode} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn pyzaptec_builds_polls_commands_and_loses_a_revoked_installation(engine: Engine) {
    let app = spawn_app(engine).await;
    let (installation, group, password) = member_with_access(&app, "CP-PZ-1").await;

    // The charger is charging, so that pyzaptec's own guard and ours let "stop charging final" through.
    let mut charger = ChargePoint::connect(&app.base, "CP-PZ-1", &password).await;
    charger.boot().await;
    let now = chrono::Utc::now().to_rfc3339();
    charger.ok("StatusNotification", json!({"connectorId": 1, "status": "Preparing", "errorCode": "NoError", "timestamp": now})).await;
    charger
        .ok(
            "StartTransaction",
            json!({"connectorId": 1, "idTag": "PZ-TAG", "meterStart": 0, "timestamp": now}),
        )
        .await;
    charger.ok("StatusNotification", json!({"connectorId": 1, "status": "Charging", "errorCode": "NoError", "timestamp": now})).await;
    let answering = tokio::spawn(async move {
        while let Some(frame) = charger.receive_within(Duration::from_secs(600)).await {
            if frame[0] == 2 && !charger.answer_balancing(&frame).await {
                charger
                    .send_text(json!([3, frame[1], {"status": "Accepted"}]).to_string())
                    .await;
            }
        }
    });

    let out = drive(&app, "full").await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first(), Some(&"LOGIN"), "{out}");
    assert!(lines.contains(&"BUILT 1 1"), "{out}");
    assert!(lines.iter().any(|l| l.starts_with("POLLED ")), "{out}");
    assert!(
        lines.contains(&"COMMANDED") && lines.contains(&"LIMITED"),
        "{out}"
    );
    assert!(
        lines.contains(&"NO STREAM"),
        "a 403 from messagingConnectionDetails is no streaming to pyzaptec: {out}"
    );
    let stored = app
        .db
        .store
        .installation(installation)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.settings.available_current.phases()[0].get(),
        10.0,
        "set_limit_current arrived"
    );

    owner_revokes(&app, installation, group).await;
    let out = drive(&app, "revoked").await;
    assert!(
        out.lines().any(|l| l == "BUILT 0 0"),
        "the installation and its charger are gone: {out}"
    );
    answering.abort();
}

async fn schemathesis_finds_the_openapi_document_true(engine: Engine) {
    let app = spawn_app(engine).await;
    member_with_access(&app, "CP-ST-1").await;
    let token: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .form(&[
            ("grant_type", "password"),
            ("username", "member@acme.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let schemathesis = venv_python().with_file_name("schemathesis");
    let run = Command::new(schemathesis)
        .args([
            "run",
            &format!("{}/api/openapi.json", app.base),
            "--url",
            &app.base,
        ])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        .args(["--max-examples", "15", "--no-color"])
        .env("SCHEMATHESIS_HOOKS", "")
        // Its cache of examples stays out of the source tree.
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("schemathesis finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
