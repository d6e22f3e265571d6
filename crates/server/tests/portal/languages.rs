//! Every page in German and Norwegian: no catalogue miss, no English left over, `<html lang>` right;
//! error pages keep the site's frame.

use reqwest::StatusCode;
use voltgate_store::Engine;

use crate::access::{decide, setting};
use crate::charge_point::{add_charger, ChargePoint};
use crate::helpers::{location, spawn_app, Browser};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(every_page_speaks_german_and_norwegian);

/// Words that are the same in English and the other language, or names from the test's data.
const SAME_EVERYWHERE: &[&str] = &[
    // product, protocol and unit words
    "voltgate",
    "OCPP",
    "HTTP",
    "Basic",
    "kWh",
    "KiB",
    "CSV",
    "RFID",
    "URL",
    "Pro",
    "Go",
    "Home",
    "Deutsch",
    "English",
    "Norsk",
    "bokmål",
    "true",
    "false",
    "Token",
    "Tokens",
    "Firmware",
    "Installation",
    "Installationen",
    "Name",
    "Status",
    "Phase",
    "Type",
    "Support",
    "Partner",
    "min",
    "E-Mail",
    "e-post",
    "Admin",
    "Energy",
    "Active",
    "Import",
    "Register",
    "Power",
    "https",
    "http",
    "localhost",
    "partnerName",
    "returnUrl",
    "installationId",
    "installationtype",
    "lang",
    // the test's own data
    "Acme",
    "Charging",
    "Admin",
    "Kari",
    "Garage",
    "Nord",
    "CP-1",
    "example",
    "acme",
    "kari",
    "cpo",
    "voltgate",
    "return",
    "Storgata",
    "Oslo",
    "UTC",
    "showExisting",
    "help",
    "run",
    "chargers",
    // words both languages share with English
    "time", // Norwegian for "hour"
    "Person",
    "for",
    "per",
    "integrator",
    "Zaptec",
];

/// The text a person reads (and hears: aria-label): tags, scripts and codes left out.
fn visible_words(html: &str) -> Vec<String> {
    let mut text = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        text.push(' ');
        let tag_end = rest[start..]
            .find('>')
            .map_or(rest.len(), |e| start + e + 1);
        let tag = &rest[start..tag_end];
        if let Some(label) = tag.split("aria-label=\"").nth(1) {
            text.push_str(label.split('"').next().unwrap_or_default());
            text.push(' ');
        }
        rest = &rest[tag_end..];
        for skipped in ["script", "style", "code"] {
            if tag.starts_with(&format!("<{skipped}")) {
                let close = format!("</{skipped}>");
                rest = rest.find(&close).map_or("", |e| &rest[e + close.len()..]);
            }
        }
    }
    text.push_str(rest);
    text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(|w| w.trim_matches('-'))
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 3)
        .map(str::to_owned)
        .collect()
}

/// The page at `path`, after redirects within the site.
async fn followed(browser: &Browser, path: &str) -> (StatusCode, String) {
    let mut path = path.to_owned();
    for _ in 0..3 {
        let response = browser.get(&path).await;
        let target = location(&response);
        if response.status() == StatusCode::SEE_OTHER && target.starts_with('/') {
            path = target;
            continue;
        }
        let status = response.status();
        return (status, response.text().await.unwrap());
    }
    panic!("{path} redirects too often")
}

/// Fails on a catalogue miss, a wrong `<html lang>`, or a word of the English page that is left over.
async fn speaks(browser: &Browser, path: &str, lang: &str, problems: &mut Vec<String>) {
    let join = if path.contains('?') { '&' } else { '?' };
    let (_, english) = followed(browser, &format!("{path}{join}lang=en")).await;
    let (status, html) = followed(browser, &format!("{path}{join}lang={lang}")).await;
    assert!(status.as_u16() < 500, "{path} in {lang}: {status}");
    assert!(
        html.contains(&format!("<html lang=\"{lang}\">")),
        "{path} in {lang}: <html lang>"
    );
    assert!(
        !html.contains("Unknown localization"),
        "{path} in {lang}: a message is missing from the catalogues"
    );
    let english: std::collections::HashSet<String> = visible_words(&english).into_iter().collect();
    let leftovers: Vec<String> = visible_words(&html)
        .into_iter()
        .filter(|w| english.contains(w))
        .filter(|w| {
            !SAME_EVERYWHERE
                .iter()
                .any(|same| same.eq_ignore_ascii_case(w))
        })
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
        .filter(
            |w| w.chars().any(|c| c.is_lowercase()), /* codes such as lookup keys */
        )
        .collect();
    if !leftovers.is_empty() {
        problems.push(format!(
            "{path} in {lang}: English left over: {leftovers:?}"
        ));
    }
}

async fn every_page_speaks_german_and_norwegian(engine: Engine) {
    let app = spawn_app(engine).await;
    let (partner, owner, key, group, installation) = setting(&app).await;
    let request = format!("/access/request/{key}");
    let approved = decide(&owner, &request, "approve", &installation.to_string()).await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let (password, charger) = add_charger(&owner, installation, "CP-1", 2).await;
    let i = format!("/installations/{installation}");
    let owner_pages = [
        "/installations".to_owned(),
        i.clone(),
        format!("{i}/permissions"),
        format!("{i}/audit"),
        format!("{i}/history"),
        format!("{i}/history?from=2026-13-45"),
        format!("{i}/permissions/groups/{group}/revoke"),
        format!("/chargers/{charger}"),
        format!("/chargers/{charger}/configuration"),
        format!("/chargers/{charger}/confirm?command=restart"),
        format!("/chargers/{charger}/confirm?command=disable"),
        "/access/receipt".to_owned(),
        "/groups".to_owned(),
        "/no/such/page".to_owned(),
        format!("{request}?showExisting=maybe"),
    ];
    let partner_pages = [
        format!("/groups/{group}"),
        format!("/groups/{group}/lookup-key"),
        i.clone(),
        "/installations".to_owned(),
    ];
    let visitor = app.browser();
    let mut problems = Vec::new();
    for lang in ["de", "nb"] {
        for path in &owner_pages {
            speaks(&owner, path, lang, &mut problems).await;
        }
        for path in &partner_pages {
            speaks(&partner, path, lang, &mut problems).await;
        }
        for path in ["/login", "/signup", &request, "/access/request/NOPE7"] {
            speaks(&visitor, path, lang, &mut problems).await;
        }
    }
    let mut charger_cp = ChargePoint::connect(&app.base, "CP-1", &password).await;
    charger_cp.boot().await;
    let now = chrono::Utc::now().to_rfc3339();
    charger_cp
        .ok("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": now}))
        .await;
    charger_cp
        .ok(
            "StartTransaction",
            json!({"connectorId": 1, "idTag": "TAG-1", "meterStart": 1000, "timestamp": now}),
        )
        .await;
    for lang in ["de", "nb"] {
        speaks(&owner, &format!("/chargers/{charger}"), lang, &mut problems).await;
        speaks(&owner, &i, lang, &mut problems).await;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let (status, html) = owner.page("/no/such/page?lang=de").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Nicht gefunden"), "{html}");
    assert!(
        html.contains("href=\"/installations\"") && html.contains("name=\"lang\""),
        "the error page keeps the navigation and the language switch"
    );
}
