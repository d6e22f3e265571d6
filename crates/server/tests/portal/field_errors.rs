//! Every form ties its field errors to the field: the message has an id, the field names it in
//! `aria-describedby` and says `aria-invalid="true"`.

use reqwest::StatusCode;
use voltgate_store::Engine;

use crate::helpers::{spawn_app, Browser};
use crate::installations::create_installation;
use crate::on_both_engines;

on_both_engines!(every_field_error_is_tied_to_its_field);

/// Each error message on the page has an id that a field marked invalid points at.
pub fn assert_tied(html: &str, what: &str) {
    let marker = "class=\"field-error\" id=\"";
    let ids: Vec<&str> = html
        .match_indices(marker)
        .filter_map(|(at, _)| html[at + marker.len()..].split('"').next())
        .collect();
    assert!(!ids.is_empty(), "{what}: an error is shown");
    for id in ids {
        let pointed = html.match_indices("aria-describedby=\"").any(|(at, _)| {
            let value = html[at + 18..].split('"').next().unwrap_or_default();
            let tag_start = html[..at].rfind('<').unwrap_or(0);
            value.split(' ').any(|v| v == id)
                && html[tag_start..at].contains("aria-invalid=\"true\"")
        });
        assert!(
            pointed,
            "{what}: a field points at {id} and is marked invalid"
        );
    }
}

async fn refused(browser: &Browser, page: &str, action: &str, fields: &[(&str, &str)]) -> String {
    let response = browser.submit(page, action, fields).await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "{action}"
    );
    response.text().await.unwrap()
}

async fn every_field_error_is_tied_to_its_field(engine: Engine) {
    let app = spawn_app(engine).await;
    let visitor = app.browser();
    let html = refused(
        &visitor,
        "/signup",
        "/signup",
        &[
            ("email", "not-an-address"),
            ("full_name", ""),
            ("password", "short"),
        ],
    )
    .await;
    assert_tied(&html, "sign-up");

    let login = visitor
        .submit(
            "/login",
            "/login",
            &[
                ("email", "nobody@example.com"),
                ("password", "wrong password"),
            ],
        )
        .await;
    let html = login.text().await.unwrap();
    assert!(
        html.contains("id=\"login-error\"")
            && html.contains("aria-invalid=\"true\" aria-describedby=\"login-error\""),
        "a refused login points both fields at why"
    );

    let owner = app.signed_up("owner@example.com", "Owner").await;
    let html = refused(
        &owner,
        "/installations",
        "/installations",
        &[("name", ""), ("installation_type", "x")],
    )
    .await;
    assert_tied(&html, "new installation");
    let html = refused(
        &owner,
        "/groups",
        "/groups",
        &[("name", ""), ("support_email", "x")],
    )
    .await;
    assert_tied(&html, "new group");

    let id = create_installation(&owner, "Garage", "go").await;
    let page = format!("/installations/{id}");
    let html = refused(
        &owner,
        &page,
        &format!("{page}/settings"),
        &[
            ("max_current", "abc"),
            ("available_current", "x"),
            ("phases", "2"),
        ],
    )
    .await;
    assert_tied(&html, "settings");
    let html = refused(
        &owner,
        &page,
        &format!("{page}/id-tags"),
        &[
            ("id_tag", "this token is far too long to be one"),
            ("email", "x"),
        ],
    )
    .await;
    assert_tied(&html, "tokens");
}
