//! `voltgate admin …` against the same database the server uses.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use reqwest::StatusCode;
use voltgate_domain::{Email, GroupRole, InstallationId, Role};
use voltgate_store::Engine;

use crate::helpers::{location, operator, spawn_app};
use crate::on_both_engines;

on_both_engines!(
    operators_set_up_accounts_installations_and_groups,
    the_cli_refuses_bad_input_clearly
);

pub fn admin(database_url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_voltgate"))
        .arg("admin")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("VOLTGATE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the voltgate binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

pub fn refused(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stderr.clone()).unwrap()
}

async fn operators_set_up_accounts_installations_and_groups(engine: Engine) {
    let app = spawn_app(engine).await;
    let url = &app.database_url;
    let user_id = stdout(&admin(
        url,
        &[
            "user",
            "add",
            "owner@example.com",
            "--name",
            "Owner",
            "--password-stdin",
        ],
        "correct horse battery\n",
    ));
    assert!(user_id.parse::<uuid::Uuid>().is_ok(), "{user_id}");
    stdout(&admin(
        url,
        &[
            "user",
            "add",
            "member@example.com",
            "--name",
            "Member",
            "--password-stdin",
        ],
        "another long secret",
    ));

    let installation = stdout(&admin(
        url,
        &[
            "installation",
            "add",
            "Garage Nord",
            "--owner",
            "OWNER@example.com",
            "--type",
            "pro",
            "--address",
            "Storgata 1",
        ],
        "",
    ));
    let installation: InstallationId = installation.parse().expect("prints the installation id");
    stdout(&admin(
        url,
        &[
            "installation",
            "add-user",
            &installation.to_string(),
            "member@example.com",
            "--role",
            "admin",
        ],
        "",
    ));
    let key = stdout(&admin(
        url,
        &[
            "group",
            "add",
            "Acme Charging",
            "--owner",
            "owner@example.com",
            "--return-url",
            "https://acme.example/cb",
        ],
        "",
    ));
    assert_eq!(key.len(), 6, "prints the lookup key: {key}");
    stdout(&admin(
        url,
        &[
            "group",
            "add-member",
            &key.to_lowercase(),
            "member@example.com",
            "--owner",
        ],
        "",
    ));

    let member = app
        .db
        .store
        .user_by_email(&Email::parse("member@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    let (inst, access) = app
        .db
        .store
        .installation_for(&voltgate_domain::Principal::User(member.id), installation)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (inst.name.as_str(), access.role),
        ("Garage Nord", Some(Role::Admin))
    );
    let groups = app.db.store.groups_for(member.id).await.unwrap();
    assert_eq!(
        (groups[0].0.name.as_str(), groups[0].1),
        ("Acme Charging", GroupRole::Owner)
    );
    let audit = app
        .db
        .store
        .installation_audit(&operator(&app.db, installation).await, 1, 0)
        .await
        .unwrap();
    assert_eq!(
        (audit[0].actor, audit[0].detail["via"].as_str()),
        (None, Some("operator command line"))
    );

    let browser = app.browser();
    let response = browser
        .submit(
            "/login",
            "/login",
            &[
                ("email", "owner@example.com"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the account made on the command line logs in"
    );
    assert_eq!(location(&response), "/installations");
    let (_, html) = browser.page("/installations").await;
    assert!(html.contains("Garage Nord"));
}

async fn the_cli_refuses_bad_input_clearly(engine: Engine) {
    let app = spawn_app(engine).await;
    let url = &app.database_url;
    stdout(&admin(
        url,
        &[
            "user",
            "add",
            "owner@example.com",
            "--name",
            "Owner",
            "--password-stdin",
        ],
        "correct horse battery",
    ));
    let cases: [(&[&str], &str, &str); 10] = [
        (
            &[
                "user",
                "add",
                "Owner@Example.com",
                "--name",
                "Again",
                "--password-stdin",
            ],
            "correct horse battery",
            "already exists",
        ),
        (
            &[
                "user",
                "add",
                "bad-email",
                "--name",
                "X",
                "--password-stdin",
            ],
            "correct horse battery",
            "email: This is not a valid e-mail address.",
        ),
        (
            &[
                "user",
                "add",
                "x@example.com",
                "--name",
                "X",
                "--password-stdin",
            ],
            "short",
            "password: At least 10 characters.",
        ),
        (
            &["user", "add", "x@example.com", "--name", "X"],
            "",
            "--password-stdin",
        ),
        (
            &[
                "installation",
                "add",
                "Hytta",
                "--owner",
                "nobody@example.com",
            ],
            "",
            "no account has the e-mail nobody@example.com",
        ),
        (
            &[
                "installation",
                "add",
                "Hytta",
                "--owner",
                "owner@example.com",
                "--type",
                "home",
            ],
            "",
            "installation_type: Choose one of: go, pro.",
        ),
        (
            &[
                "installation",
                "add-user",
                "not-a-uuid",
                "owner@example.com",
                "--role",
                "user",
            ],
            "",
            "is not an installation id",
        ),
        (
            &[
                "installation",
                "add-user",
                "00000000-0000-0000-0000-000000000000",
                "owner@example.com",
                "--role",
                "user",
            ],
            "",
            "no installation has the id",
        ),
        (
            &[
                "group",
                "add",
                "Acme",
                "--owner",
                "owner@example.com",
                "--return-url",
                "ftp://x.example/",
            ],
            "",
            "return_urls: Line 1",
        ),
        (
            &["group", "add-member", "ZZZZ", "owner@example.com"],
            "",
            "no group has the lookup key ZZZZ",
        ),
    ];
    for (args, stdin, message) in cases {
        let error = refused(&admin(url, args, stdin));
        assert!(error.contains(message), "{args:?}: {error}");
    }
    let installation = stdout(&admin(
        url,
        &[
            "installation",
            "add",
            "Hytta",
            "--owner",
            "owner@example.com",
        ],
        "",
    ));
    let error = refused(&admin(
        url,
        &[
            "installation",
            "add-user",
            &installation,
            "owner@example.com",
            "--role",
            "ruler",
        ],
        "",
    ));
    assert!(
        error.contains("--role: Choose one of: owner, admin, user."),
        "{error}"
    );
    let error = refused(&admin(
        "mysql://nope",
        &["group", "add-member", "ABCD", "owner@example.com"],
        "",
    ));
    assert!(error.contains("sqlite: or postgres://"), "{error}");
    let owner = app
        .db
        .store
        .user_by_email(&Email::parse("owner@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.db.store.groups_for(owner.id).await.unwrap().is_empty(),
        "refused commands wrote nothing"
    );
    assert!(app
        .db
        .store
        .user_by_email(&Email::parse("x@example.com").unwrap())
        .await
        .unwrap()
        .is_none());
}

/// A connection budget outside what a process may open is refused when `serve` starts, saying which
/// values it takes (a huge one overflowed the pools' shares and panicked).
#[test]
fn serve_refuses_a_connection_budget_out_of_range() {
    for connections in ["0", "7", "10001", "4294967295", "-1", "many"] {
        let output = Command::new(env!("CARGO_BIN_EXE_voltgate"))
            // A database it cannot open: were the budget taken, `serve` would stop there, saying so.
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(["--database-url", "sqlite:///nonexistent/voltgate.db"])
            .arg(format!("--database-connections={connections}"))
            .env("VOLTGATE_LOG", "warn")
            .output()
            .expect("the voltgate binary runs");
        let said = refused(&output);
        assert!(
            said.contains("--database-connections"),
            "{connections}: {said}"
        );
        assert!(!said.contains("panicked"), "{connections}: {said}");
    }
}
