//! The audit log through HTTP: changes told with their values before and after, in the reader's
//! language, and the filters by person, group and kind (validated).

use reqwest::StatusCode;
use voltgate_domain::{Email, GroupId};
use voltgate_store::Engine;

use crate::access::{decide, setting};
use crate::helpers::{spawn_app, Browser};
use crate::on_both_engines;

on_both_engines!(
    changes_are_told_with_their_values,
    the_log_filters_by_person_group_and_kind,
    bad_filters_are_refused_clearly,
);

async fn change_settings(owner: &Browser, page: &str, max: &str, available: &str) {
    let response = owner
        .submit(
            page,
            &format!("{page}/settings"),
            &[
                ("max_current", max),
                ("available_mode", "all"),
                ("available_current", available),
                ("phases", "3"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

async fn changes_are_told_with_their_values(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, _, _, garage) = setting(&app).await;
    let page = format!("/installations/{garage}");
    change_settings(&owner, &page, "32", "32").await;
    change_settings(&owner, &page, "32", "20").await;
    let (status, html) = owner.page(&format!("{page}/audit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Changed available current 32 A → 20 A"),
        "{html}"
    );
    let (_, html) = owner.page(&format!("{page}/audit?lang=de")).await;
    assert!(
        html.contains("Hat die verfügbare Stromstärke geändert: 32 A → 20 A"),
        "German"
    );
    let (_, html) = owner.page(&format!("{page}/audit?lang=nb")).await;
    assert!(
        html.contains("Endret tilgjengelig strøm 32 A → 20 A"),
        "Norwegian"
    );
}

async fn the_log_filters_by_person_group_and_kind(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, group, garage) = setting(&app).await;
    let page = format!("/installations/{garage}");
    change_settings(&owner, &page, "32", "20").await;
    decide(
        &owner,
        &format!("/access/request/{key}"),
        "approve",
        &garage.to_string(),
    )
    .await;
    let audit = format!("{page}/audit");
    let (_, html) = owner.page(&audit).await;
    assert!(html.contains("Approved access for") && html.contains("available current"));
    assert!(
        html.contains("name=\"person\"")
            && html.contains("name=\"group\"")
            && html.contains("name=\"kind\""),
        "one row of filters"
    );
    assert!(
        html.contains(&format!("value=\"{group}\"")),
        "the group is offered"
    );

    let (_, html) = owner.page(&format!("{audit}?kind=settings")).await;
    assert!(html.contains("available current") && !html.contains("Approved access for"));
    assert!(
        html.contains("value=\"settings\" selected"),
        "the choice stays chosen"
    );

    let (_, html) = owner.page(&format!("{audit}?group={group}")).await;
    assert!(html.contains("Approved access for") && !html.contains("available current"));
    assert!(html.contains("1 event"));

    let kari = app
        .db
        .store
        .user_by_email(&Email::parse("kari@example.no").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let (_, html) = owner
        .page(&format!("{audit}?person={kari}&kind=access"))
        .await;
    assert!(html.contains("Approved access for") && !html.contains("available current"));

    let partner = app
        .db
        .store
        .user_by_email(&Email::parse("cpo@acme.example").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let (status, html) = owner.page(&format!("{audit}?person={partner}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Nothing matches these filters."));
    let (_, html) = owner
        .page(&format!("{audit}?group={}", GroupId::random()))
        .await;
    assert!(html.contains("Nothing matches these filters."));
}

async fn bad_filters_are_refused_clearly(engine: Engine) {
    let app = spawn_app(engine).await;
    let (partner, owner, _, _, garage) = setting(&app).await;
    let audit = format!("/installations/{garage}/audit");
    for (query, said) in [
        ("kind=everything", "Choose a kind of event from the list."),
        ("kind=%00", "Choose a kind of event from the list."),
        ("person=bob", "Choose a person from the list."),
        ("group=%F0%9F%91%A5", "Choose a group from the list."),
    ] {
        let (status, html) = owner.page(&format!("{audit}?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(html.contains(said), "{query}: {said}");
    }
    assert_ne!(
        partner
            .get(&format!("{audit}?kind=settings"))
            .await
            .status(),
        StatusCode::OK,
        "filters open nothing to outsiders"
    );
}
