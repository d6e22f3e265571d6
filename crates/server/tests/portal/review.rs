//! The review page and the errors in the middle of the access flow say only what is true: what the
//! group already has after a Back, no lists of rights when nothing can be granted, the group's own
//! description, and error pages that keep the request banner and the way back to the request.

use reqwest::StatusCode;
use voltgate_store::Engine;

use crate::access::{decide, setting};
use crate::helpers::spawn_app;
use crate::installations::create_installation;
use crate::on_both_engines;

on_both_engines!(
    a_back_after_approving_shows_what_is_true_now,
    errors_in_the_flow_keep_the_way_back,
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
    for (installation, status) in [
        (String::new(), StatusCode::BAD_REQUEST),
        (elsewhere.to_string(), StatusCode::NOT_FOUND),
    ] {
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
