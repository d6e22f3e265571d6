//! A group's owners change its name, description and support contacts: validated next to the
//! fields (with aria-describedby), the confusable-name rule, CSRF, audited, shown on the review page.

use reqwest::StatusCode;
use voltgate_store::Engine;

use crate::access::setting;
use crate::groups::create_group;
use crate::helpers::{location, spawn_app};
use crate::on_both_engines;

on_both_engines!(
    owners_edit_the_details_and_nobody_else,
    group_owners_read_the_groups_audit_log_in_words,
);

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
    let audit = app
        .db
        .store
        .group_audit(
            &voltgate_store::testing::on_group::<voltgate_domain::authz::ManageGroup>(
                app.db.store.as_ref(),
                voltgate_domain::Principal::Operator,
                group,
            )
            .await
            .unwrap(),
            10,
            0,
        )
        .await
        .unwrap();
    let changed = audit
        .iter()
        .find(|e| e.kind == "group_details_changed")
        .expect("audited");
    assert_eq!(changed.detail["before"]["name"], "Acme Charging");
    assert_eq!(changed.detail["after"]["name"], "Acme Charging Nord");
}

/// The group's owners read its audit log in words (no "something else happened"), paged; people
/// outside the group who acted on its access are not named; members and outsiders are refused.
async fn group_owners_read_the_groups_audit_log_in_words(engine: Engine) {
    let app = spawn_app(engine).await;
    let (partner, owner, key, group, installation) = setting(&app).await;
    let request = format!("/access/request/{key}");
    crate::access::decide(&owner, &request, "approve", &installation.to_string()).await;
    let page = format!("/groups/{group}");
    let accounts = format!("{page}/service-accounts");
    let created = partner
        .submit(&accounts, &accounts, &[("name", "Sync")])
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let tech = app.signed_up("tech@acme.example", "Tech").await;
    partner
        .submit(
            &page,
            &format!("{page}/members"),
            &[("email", "tech@acme.example")],
        )
        .await;

    let events = format!("{page}/events");
    let (_, group_page) = partner.page(&page).await;
    assert!(
        group_page.contains(&format!("href=\"{events}\"")),
        "linked from the group page"
    );
    let (status, html) = partner.page(&events).await;
    assert_eq!(status, StatusCode::OK);
    for says in [
        "Created the group “Acme Charging”",
        "Created the API credentials “Sync”",
        "Gave tech@acme.example the group role member",
        "Approved access for Acme Charging",
        "someone outside the group",
        ">Garage Nord</a>",
        "cpo@acme.example",
    ] {
        assert!(html.contains(says), "{says}: {html}");
    }
    assert!(!html.contains("Something else happened"), "{html}");
    assert!(
        !html.contains("kari@example.no"),
        "the installation's owner is not named to the partner"
    );

    assert_eq!(
        partner.page(&format!("{events}?page=0")).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        partner.page(&format!("{events}?page=2")).await.0,
        StatusCode::OK
    );
    assert_eq!(tech.page(&events).await.0, StatusCode::FORBIDDEN, "members");
    assert_eq!(
        owner.page(&events).await.0,
        StatusCode::NOT_FOUND,
        "outsiders"
    );
}
