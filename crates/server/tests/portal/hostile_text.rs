//! Text that breaks nothing: arbitrary Unicode — NUL bytes, control characters, direction overrides,
//! invisible characters, dates far outside the calendar — fed into every form and query parameter of
//! the portal, on both engines. Whatever comes in, the answer is never a 5xx.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use voltgate_domain::{ChargerId, GroupId, InstallationId};
use voltgate_store::Engine;

use crate::groups::create_group;
use crate::helpers::{csrf_in, lookup_key_in, spawn_app, Browser, TestApp};
use crate::installations::create_installation;
use crate::on_both_engines;

on_both_engines!(arbitrary_text_in_every_form_never_gives_a_server_error);

/// Texts that broke things before, then arbitrary ones.
fn texts() -> Vec<String> {
    let mut texts: Vec<String> = [
        "\u{0}",
        "a\u{0}b@example.com",
        "%00",
        "https://acme.example/return\u{0}",
        "Acme\u{202E}gnigrahC",
        "\u{2066}x\u{2069}",
        "\u{200B}\u{FEFF}",
        "-262000-01-01",
        "+275760-09-13",
        "line\r\nbreak",
        "\u{7}\u{1b}[31m",
        "\u{10FFFF}\u{E0041}",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "'; DROP TABLE users; --",
    ]
    .map(String::from)
    .to_vec();
    texts.push("x".repeat(3000));
    let mut runner = TestRunner::new(Config {
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x766f_6c74),
        ..Config::default()
    });
    let arbitrary = prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        "[\\x00-\\x20\\u{202a}-\\u{202e}a-z@.:/%]{0,30}"
    ];
    for _ in 0..24 {
        texts.push(arbitrary.new_tree(&mut runner).expect("a text").current());
    }
    texts
}

/// Everything the forms aim at.
struct World {
    installation: InstallationId,
    charger: ChargerId,
    group: GroupId,
    key: String,
}

async fn world(app: &TestApp, owner: &Browser) -> World {
    let installation = create_installation(owner, "Garage", "go").await;
    let group = create_group(owner, "Acme", "https://acme.example/return").await;
    let (_, html) = owner.page(&format!("/groups/{group}")).await;
    let key = lookup_key_in(&html);
    let added = owner
        .submit(
            &format!("/installations/{installation}"),
            &format!("/installations/{installation}/chargers"),
            &[
                ("name", "Charger"),
                ("identity", "CP-TEXT"),
                ("connectors", "2"),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let chargers = app.db.store.chargers(installation).await.unwrap();
    World {
        installation,
        charger: chargers[0].0.id,
        group,
        key,
    }
}

/// Sends a request and fails the test on a 5xx, naming what was sent.
async fn expect_no_server_error(request: reqwest::RequestBuilder, what: &str, text: &str) {
    let status = request
        .send()
        .await
        .expect("the request is answered")
        .status();
    assert!(
        !status.is_server_error(),
        "{status} for {what} with {text:?}"
    );
}

async fn forms(
    browser: &Browser,
    token: &str,
    action: &str,
    forms: &[Vec<(&str, &str)>],
    text: &str,
) {
    for fields in forms {
        let mut fields = fields.clone();
        fields.push(("csrf", token));
        let request = browser
            .client
            .post(format!("{}{action}", browser.base))
            .form(&fields);
        expect_no_server_error(request, &format!("POST {action} {fields:?}"), text).await;
    }
}

async fn pages(browser: &Browser, path: &str, queries: &[Vec<(&str, &str)>], text: &str) {
    for query in queries {
        let request = browser
            .client
            .get(format!("{}{path}", browser.base))
            .query(query);
        expect_no_server_error(request, &format!("GET {path} {query:?}"), text).await;
    }
}

async fn arbitrary_text_in_every_form_never_gives_a_server_error(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.com", "Owner").await;
    app.signed_up("member@example.com", "Member").await;
    let w = world(&app, &owner).await;
    let token = csrf_in(&owner.page("/installations").await.1);
    let visitor = app.browser();
    let anonymous = csrf_in(&visitor.page("/login").await.1);
    let (inst, group, key, charger) = (w.installation, w.group, w.key.as_str(), w.charger);
    for (n, text) in texts().iter().enumerate() {
        let t = text.as_str();
        let unique = format!("new{n}@example.com");
        forms(
            &visitor,
            &anonymous,
            "/signup",
            &[
                vec![("email", t), ("full_name", t), ("password", t), ("next", t)],
                vec![
                    ("email", &unique),
                    ("full_name", t),
                    ("password", "correct horse battery"),
                ],
            ],
            t,
        )
        .await;
        forms(
            &visitor,
            &anonymous,
            "/login",
            &[vec![("email", t), ("password", t), ("next", t)]],
            t,
        )
        .await;
        forms(
            &owner,
            &token,
            "/language",
            &[vec![("lang", t), ("next", t)]],
            t,
        )
        .await;
        forms(
            &owner,
            &token,
            "/installations",
            &[
                vec![("name", t), ("address", t), ("installation_type", t)],
                vec![
                    ("name", t),
                    ("address", "Storgata 1"),
                    ("installation_type", "go"),
                ],
            ],
            t,
        )
        .await;
        let on = |path: &str| format!("/installations/{inst}{path}");
        forms(
            &owner,
            &token,
            &on("/settings"),
            &[vec![
                ("max_current", t),
                ("available_mode", t),
                ("available_current", t),
                ("available_current_phase1", t),
                ("authentication_required", t),
                ("phases", t),
            ]],
            t,
        )
        .await;
        forms(
            &owner,
            &token,
            &on("/members"),
            &[
                vec![("email", t), ("role", t)],
                vec![("email", "member@example.com"), ("role", t)],
            ],
            t,
        )
        .await;
        forms(
            &owner,
            &token,
            &on("/members/remove"),
            &[vec![("user_id", t)]],
            t,
        )
        .await;
        forms(
            &owner,
            &token,
            &on("/id-tags"),
            &[
                vec![("id_tag", t), ("email", t)],
                vec![("id_tag", t), ("email", "owner@example.com")],
            ],
            t,
        )
        .await;
        forms(
            &owner,
            &token,
            &on("/id-tags/remove"),
            &[vec![("id_tag", t)]],
            t,
        )
        .await;
        let identity = format!("CP-{n}");
        forms(
            &owner,
            &token,
            &on("/chargers"),
            &[
                vec![("name", t), ("identity", t), ("connectors", t)],
                vec![("name", t), ("identity", &identity), ("connectors", "1")],
            ],
            t,
        )
        .await;
        let of_charger = |path: &str| format!("/chargers/{charger}{path}");
        forms(
            &owner,
            &token,
            &of_charger("/commands"),
            &[
                vec![
                    ("command", t),
                    ("connector", t),
                    ("id_tag", t),
                    ("transaction", t),
                ],
                vec![("command", "start"), ("connector", "1"), ("id_tag", t)],
            ],
            t,
        )
        .await;
        forms(
            &owner,
            &token,
            &of_charger("/configuration"),
            &[vec![("key", t), ("value", t)]],
            t,
        )
        .await;
        forms(
            &owner,
            &token,
            "/groups",
            &[
                vec![
                    ("name", t),
                    ("description", t),
                    ("support_email", t),
                    ("support_url", t),
                    ("return_urls", t),
                ],
                vec![("name", t)],
            ],
            t,
        )
        .await;
        let of_group = |path: &str| format!("/groups/{group}{path}");
        forms(
            &owner,
            &token,
            &of_group("/members"),
            &[vec![("email", t), ("owner", t)]],
            t,
        )
        .await;
        forms(
            &owner,
            &token,
            &of_group("/members/remove"),
            &[vec![("user_id", t)]],
            t,
        )
        .await;
        forms(
            &owner,
            &token,
            &of_group("/return-urls"),
            &[vec![("return_urls", t)]],
            t,
        )
        .await;
        let link_query = [
            ("partnerName", t),
            ("returnUrl", t),
            ("installationId", t),
            ("lang", t),
        ];
        let link = format!(
            "/access/request/{key}?{}",
            serde_urlencoded::to_string(&link_query[..2]).unwrap()
        );
        let id = inst.to_string();
        forms(
            &owner,
            &token,
            &link,
            &[
                vec![("decision", t), ("installation_id", t)],
                vec![("decision", "deny"), ("installation_id", &id)],
            ],
            t,
        )
        .await;
        pages(
            &owner,
            &format!("/access/request/{key}"),
            &[link_query.to_vec()],
            t,
        )
        .await;
        pages(&owner, "/access/request", &[vec![("lookup", t)]], t).await;
        pages(
            &owner,
            &on("/history"),
            &[
                vec![
                    ("charger", t),
                    ("user", t),
                    ("from", t),
                    ("to", t),
                    ("page", t),
                    ("format", t),
                ],
                vec![("from", t)],
                vec![("to", t), ("format", "csv")],
            ],
            t,
        )
        .await;
        pages(&owner, &on("/audit"), &[vec![("page", t)]], t).await;
        pages(
            &owner,
            "/access/receipt",
            &[vec![("success", t), ("lookup", t), ("installationId", t)]],
            t,
        )
        .await;
        pages(
            &visitor,
            "/login",
            &[vec![("next", t)], vec![("lang", t)]],
            t,
        )
        .await;
        pages(&visitor, "/signup", &[vec![("next", t)]], t).await;
    }
}
