//! A group's owners change its name, description and support contacts: validated next to the
//! fields (with aria-describedby), the confusable-name rule, CSRF, audited, shown on the review page.

use reqwest::StatusCode;
use voltgate_store::Engine;

use crate::access::setting;
use crate::groups::create_group;
use crate::helpers::{location, spawn_app};
use crate::on_both_engines;

on_both_engines!(owners_edit_the_details_and_nobody_else);

async fn owners_edit_the_details_and_nobody_else(engine: Engine) {
    let app = spawn_app(engine).await;
    let (partner, owner, key, group, _) = setting(&app).await;
    let page = format!("/groups/{group}");
    let action = format!("{page}/details");
    let (_, html) = partner.page(&page).await;
    assert!(html.contains("<svg class=\"icon group-icon\"") && !html.contains("👥 Acme"));

    let details = [
        ("name", "Acme Charging Nord"),
        ("description", "We run the chargers of Nordby"),
        ("support_email", "nord@acme.example"),
        ("support_url", "https://acme.example/help"),
    ];
    let response = partner.submit(&page, &action, &details).await;
    assert_eq!(location(&response), format!("{page}?saved=details"));
    let (_, html) = partner.page(&location(&response)).await;
    assert!(html.contains("details are saved."));
    assert!(html.contains("Acme Charging Nord") && html.contains("nord@acme.example"));
    let (_, review) = owner.page(&format!("/access/request/{key}")).await;
    assert!(
        review.contains("We run the chargers of Nordby") && review.contains("Acme Charging Nord"),
        "the review page shows the new name and description"
    );

    let other = app.signed_up("rival@example.com", "Rival").await;
    create_group(&other, "Volt Partners", "https://volt.example/back").await;
    let nul = "Acme\u{0}Nord";
    let long = "x".repeat(3000);
    let refused: [(&str, &str, &str); 4] = [
        ("name", "", "name"),
        ("name", "Vоlt Partners", "name"),
        ("name", nul, "name"),
        ("description", &long, "description"),
    ];
    for (field, value, error) in refused {
        let mut fields = details.to_vec();
        fields.retain(|(f, _)| *f != field);
        fields.push((field, value));
        let response = partner.submit(&page, &action, &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value:?}"
        );
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("id=\"{error}-error\""))
                && html.contains(&format!("aria-describedby=\"{error}-error\""))
                && html.contains("aria-invalid=\"true\""),
            "{field}: the error is tied to its field"
        );
    }
    let mut bad_email = details.to_vec();
    bad_email[2] = ("support_email", "not an address");
    assert_eq!(
        partner.submit(&page, &action, &bad_email).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (_, html) = partner.page(&page).await;
    assert!(
        html.contains("Acme Charging Nord"),
        "refusals changed nothing"
    );

    assert_eq!(
        partner.post(&action, &details).await.status(),
        StatusCode::FORBIDDEN,
        "no CSRF token, no change"
    );
    assert_ne!(
        owner
            .submit("/installations", &action, &details)
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "an installation owner cannot rename the partner's group"
    );
    let audit = app.db.store.group_audit(group, 10, 0).await.unwrap();
    let changed = audit
        .iter()
        .find(|e| e.kind == "group_details_changed")
        .expect("audited");
    assert_eq!(changed.detail["before"]["name"], "Acme Charging");
    assert_eq!(changed.detail["after"]["name"], "Acme Charging Nord");
}
