//! The review page and the errors in the middle of the access flow say only what is true: what the
//! group already has after a Back, no lists of rights when nothing can be granted, the group's own
//! description, and error pages that keep the request banner and the way back to the request.

use reqwest::StatusCode;
use voltgate_store::Engine;

use crate::access::{decide, setting};
use crate::helpers::{location, spawn_app};
use crate::installations::create_installation;
use crate::on_both_engines;

on_both_engines!(
    a_back_after_approving_shows_what_is_true_now,
    errors_in_the_flow_keep_the_way_back,
    a_new_owner_creates_an_installation_and_comes_back,
);

async fn a_back_after_approving_shows_what_is_true_now(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, garage) = setting(&app).await;
    create_installation(&owner, "Borettslag Pro", "pro").await;
    let request = format!("/access/request/{key}");
    let response = owner.get(&request).await;
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "a Back re-reads the page"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("We run chargers"), "the group's description");
    assert!(html.contains("They will be able to") && html.contains("value=\"approve\""));

    decide(&owner, &request, "approve", &garage.to_string()).await;
    let (status, html) = owner.page(&request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Acme Charging already has access to Garage Nord."),
        "names what it has"
    );
    assert!(
        !html.contains("every installation"),
        "a Pro one is not shared"
    );
    assert!(
        !html.contains("They will be able to") && !html.contains("value=\"approve\""),
        "no rights listed when nothing can be granted"
    );
    let (_, html) = owner.page(&format!("{request}?lang=nb")).await;
    assert!(html.contains("Acme Charging har allerede tilgang til Garage Nord."));
}

async fn errors_in_the_flow_keep_the_way_back(engine: Engine) {
    let app = spawn_app(engine).await;
    let (partner, owner, key, _, _) = setting(&app).await;
    let elsewhere = create_installation(&partner, "Not Kari's", "go").await;
    let request = format!("/access/request/{key}?partnerName=Acme%20Energy");
    // No installation chosen: the review page again, the error next to the installations.
    let response = owner
        .submit(
            &request,
            &request,
            &[("decision", "approve"), ("installation_id", "")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"installation_id-error\"") && html.contains("Acme Energy"));
    for (installation, status) in [(elsewhere.to_string(), StatusCode::NOT_FOUND)] {
        let response = owner
            .submit(
                &request,
                &request,
                &[("decision", "approve"), ("installation_id", &installation)],
            )
            .await;
        assert!(
            response.status() == status
                || (status == StatusCode::NOT_FOUND && response.status() == StatusCode::FORBIDDEN),
            "{installation:?}: {}",
            response.status()
        );
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Acme Energy asks for access to your installation"),
            "the request banner stays"
        );
        assert!(
            html.contains(&format!("href=\"{request}\"")) && html.contains("Back to the request"),
            "the way back to the request"
        );
    }
    let german = format!("{request}&lang=de");
    let response = owner
        .submit(&german, &german, &[("decision", "maybe")])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Zurück zur Anfrage") && html.contains("<html lang=\"de\">"),
        "{html}"
    );
}

async fn a_new_owner_creates_an_installation_and_comes_back(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, _, key, group, _) = setting(&app).await;
    let request = format!("/access/request/{key}?partnerName=Acme");
    let visitor = app.browser();
    let login = location(&visitor.get(&request).await);
    let next = login
        .split_once("next=")
        .map(|(_, n)| n)
        .unwrap_or_default();
    let signup = format!("/signup?next={next}");
    let response = visitor
        .submit(
            &signup,
            "/signup",
            &[
                ("email", "new@example.no"),
                ("full_name", "New Owner"),
                ("password", "correct horse battery"),
                ("next", &request),
            ],
        )
        .await;
    assert_eq!(
        location(&response),
        request,
        "sign-up leads back to the request"
    );
    let (_, html) = visitor.page(&request).await;
    assert!(html.contains("You own or administer no installation"));
    let marker = "href=\"/installations?next=";
    let at = html
        .find(marker)
        .expect("a way to create an installation from the empty state");
    let create = html[at + 6..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let (status, page) = visitor.page(&create).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Acme asks for access to your installation")
            && page.contains(&format!("name=\"next\" value=\"{request}\"")),
        "the banner, and the request to come back to"
    );
    let created = visitor
        .submit(
            &create,
            "/installations",
            &[
                ("name", "Hytta"),
                ("address", ""),
                ("installation_type", "go"),
                ("next", &request),
            ],
        )
        .await;
    assert_eq!(location(&created), request, "back to the same request");
    let (_, html) = visitor.page(&request).await;
    assert!(html.contains("Hytta") && html.contains("value=\"approve\""));
    let installation = html
        .split("name=\"installation_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    crate::access::decide(&visitor, &request, "approve", &installation).await;
    let grants = app.db.store.group_grants(group).await.unwrap();
    assert_eq!(grants.len(), 1, "the new installation was shared");

    let elsewhere = visitor
        .submit(
            "/installations",
            "/installations",
            &[
                ("name", "Garasje"),
                ("installation_type", "go"),
                ("next", "https://evil.example/access/request"),
            ],
        )
        .await;
    assert!(
        location(&elsewhere).starts_with("/installations/"),
        "a next that is not an access request is ignored"
    );
}
