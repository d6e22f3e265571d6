//! Grants the owner shapes: rights and an end date, chosen on the review page and changed on the
//! Permissions tab, honoured by the portal and the API on the very next request.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;
use voltgate_domain::authz::ManagePermissions;
use voltgate_domain::{GrantRight, GrantRights, GrantTerms, GroupId, InstallationId};
use voltgate_store::Engine;

use crate::access::{setting, urlencode};
use crate::api::{call, get, logged_in, token, world, World, PASSWORD};
use crate::helpers::{location, operator, spawn_app, Browser, TestApp};
use crate::on_both_engines;

on_both_engines!(
    a_view_only_grant_sees_but_changes_nothing,
    control_and_configure_are_separate,
    an_expired_grant_denies_on_the_next_request,
    the_review_page_stores_the_ticked_rights_and_end,
    bad_rights_and_dates_are_refused_and_store_nothing,
    approving_a_group_with_access_again_changes_its_grant_and_says_so,
);

const MEMBER: &str = "member@acme.example";

/// The owner changes the group's grant on the Permissions tab: `rights` ticked, `until` as typed.
pub async fn owner_changes(
    owner: &Browser,
    installation: InstallationId,
    group: GroupId,
    rights: &[&str],
    until: &str,
) -> reqwest::Response {
    let page = format!("/installations/{installation}/permissions");
    let mut fields = vec![("rights_shown", "1"), ("until", until)];
    fields.extend(rights.iter().map(|right| ("right", *right)));
    owner
        .submit(&page, &format!("{page}/groups/{group}/terms"), &fields)
        .await
}

async fn terms(app: &TestApp, installation: InstallationId) -> Vec<GrantTerms> {
    app.db
        .store
        .installation_grants(installation)
        .await
        .unwrap()
        .into_iter()
        .map(|grant| grant.terms)
        .collect()
}

/// What the member may do through the API: (change settings, send a command, configure a charger),
/// each as "not refused for lack of rights" (a command to the offline charger is a 409, not a 403).
async fn api_rights(w: &World, token: &str) -> (bool, bool, bool) {
    let (app, inst, charger) = (&w.app, w.installation, w.charger.as_str());
    let (seen, _) = get(app, token, &format!("/api/installation/{inst}")).await;
    assert_eq!(seen, StatusCode::OK, "every grant sees the installation");
    let (settings, _) = call(
        app,
        token,
        "POST",
        &format!("/api/installation/{inst}/update"),
        Some(json!({"AvailableCurrent": 20})),
    )
    .await;
    let (command, _) = call(
        app,
        token,
        "POST",
        &format!("/api/chargers/{charger}/sendCommand/102"),
        None,
    )
    .await;
    let (configure, _) = call(
        app,
        token,
        "POST",
        &format!("/api/chargers/{charger}/update"),
        Some(json!({"maxChargeCurrent": 16})),
    )
    .await;
    let allowed = |status: StatusCode| status != StatusCode::FORBIDDEN;
    (allowed(settings), allowed(command), allowed(configure))
}

/// What the member may do in the portal: (change settings, send a command, open the configuration).
async fn portal_rights(w: &World, member: &Browser) -> (bool, bool, bool) {
    let (inst, charger) = (w.installation, w.charger.as_str());
    let page = format!("/installations/{inst}");
    let (status, _) = member.page(&page).await;
    assert_eq!(status, StatusCode::OK, "every grant sees the installation");
    let (status, _) = member.page(&format!("/chargers/{charger}")).await;
    assert_eq!(status, StatusCode::OK, "and its chargers");
    let settings = member
        .submit(
            &page,
            &format!("{page}/settings"),
            &[
                ("available_mode", "all"),
                ("available_current", "20"),
                ("phases", "3"),
            ],
        )
        .await
        .status();
    let command = member
        .submit(
            &format!("/chargers/{charger}"),
            &format!("/chargers/{charger}/commands"),
            &[("command", "refresh")],
        )
        .await
        .status();
    let (configure, _) = member
        .page(&format!("/chargers/{charger}/configuration"))
        .await;
    let allowed = |status: StatusCode| status != StatusCode::FORBIDDEN;
    (allowed(settings), allowed(command), allowed(configure))
}

async fn a_view_only_grant_sees_but_changes_nothing(engine: Engine) {
    let w = world(spawn_app(engine).await).await;
    let app = &w.app;
    let member_token = token(app, MEMBER).await;
    let member = logged_in(app, MEMBER, PASSWORD).await;
    assert_eq!(api_rights(&w, &member_token).await, (true, true, true));
    assert_eq!(portal_rights(&w, &member).await, (true, true, true));

    let owner = logged_in(app, "owner@example.no", PASSWORD).await;
    let changed = owner_changes(&owner, w.installation, w.group, &[], "").await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        terms(app, w.installation).await,
        vec![GrantTerms {
            rights: GrantRights::VIEW,
            ends: None
        }]
    );
    // Narrowing takes effect on the very next request, with the token and the session held before.
    assert_eq!(api_rights(&w, &member_token).await, (false, false, false));
    assert_eq!(portal_rights(&w, &member).await, (false, false, false));

    let (_, tab) = owner.page(&location(&changed)).await;
    assert!(tab.contains("now reads: see"), "the change is confirmed");
    let log = app
        .db
        .store
        .installation_audit(
            &operator::<ManagePermissions>(&app.db, w.installation).await,
            50,
            0,
        )
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.kind == "access_changed"));
    // Only those who manage permissions change a grant.
    let refused = member
        .submit(
            &format!("/installations/{}", w.installation),
            &format!(
                "/installations/{}/permissions/groups/{}/terms",
                w.installation, w.group
            ),
            &[("right", "settings")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

async fn control_and_configure_are_separate(engine: Engine) {
    let w = world(spawn_app(engine).await).await;
    let app = &w.app;
    let owner = logged_in(app, "owner@example.no", PASSWORD).await;
    let member_token = token(app, MEMBER).await;
    let member = logged_in(app, MEMBER, PASSWORD).await;

    owner_changes(&owner, w.installation, w.group, &["control"], "").await;
    assert_eq!(api_rights(&w, &member_token).await, (false, true, false));
    assert_eq!(portal_rights(&w, &member).await, (false, true, false));

    owner_changes(&owner, w.installation, w.group, &["configure"], "").await;
    assert_eq!(api_rights(&w, &member_token).await, (false, false, true));
    assert_eq!(portal_rights(&w, &member).await, (false, false, true));

    owner_changes(
        &owner,
        w.installation,
        w.group,
        &["settings", "control", "configure"],
        "",
    )
    .await;
    assert_eq!(api_rights(&w, &member_token).await, (true, true, true));
}

async fn an_expired_grant_denies_on_the_next_request(engine: Engine) {
    let w = world(spawn_app(engine).await).await;
    let app = &w.app;
    let member_token = token(app, MEMBER).await;
    let member = logged_in(app, MEMBER, PASSWORD).await;
    let page = format!("/installations/{}", w.installation);
    assert_eq!(member.page(&page).await.0, StatusCode::OK);

    // An end date that is still ahead changes nothing yet, and shows on the Permissions tab.
    let owner = logged_in(app, "owner@example.no", PASSWORD).await;
    let until = (Utc::now() + Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let changed = owner_changes(
        &owner,
        w.installation,
        w.group,
        &["settings", "control", "configure"],
        &until,
    )
    .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(member.page(&page).await.0, StatusCode::OK);
    let (_, tab) = owner.page(&format!("{page}/permissions")).await;
    assert!(tab.contains(&until) && !tab.contains(">expired<"));

    // The end passes (set through the store: the form takes no past dates).
    let manage = operator::<ManagePermissions>(&app.db, w.installation).await;
    let ended = GrantTerms {
        rights: GrantRights::ALL,
        ends: Some(Utc::now() - Duration::seconds(1)),
    };
    app.db
        .store
        .change_grant(&manage, w.group, &ended)
        .await
        .unwrap();
    assert_eq!(member.page(&page).await.0, StatusCode::NOT_FOUND);
    let (status, _) = get(
        app,
        &member_token,
        &format!("/api/installation/{}", w.installation),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = get(app, &member_token, "/api/installation").await;
    assert_eq!(list["Data"], json!([]), "{list}");
    let (_, mine) = member.page("/installations").await;
    assert!(!mine.contains("Garage Nord"));
    let (_, tab) = owner.page(&format!("{page}/permissions")).await;
    assert!(
        tab.contains(">expired<"),
        "the tab says the grant has expired"
    );

    // The owner extends it: access is back on the next request.
    owner_changes(&owner, w.installation, w.group, &["settings"], &until).await;
    assert_eq!(member.page(&page).await.0, StatusCode::OK);
    assert_eq!(api_rights(&w, &member_token).await, (true, false, false));
}

async fn the_review_page_stores_the_ticked_rights_and_end(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, installation) = setting(&app).await;
    let request = format!("/access/request/{key}?rights=control,configure");
    let (status, html) = owner.page(&request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"right\" value=\"control\" checked"),
        "{html}"
    );
    assert!(html.contains("name=\"right\" value=\"configure\" checked"));
    assert!(
        html.contains("name=\"right\" value=\"settings\">"),
        "not asked for"
    );
    assert!(
        html.contains("type=\"checkbox\" checked disabled"),
        "seeing is always given"
    );
    assert!(html.contains("name=\"until\""));

    let until = (Utc::now() + Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    let id = installation.to_string();
    let approved = owner
        .submit(
            &request,
            &request,
            &[
                ("decision", "approve"),
                ("installation_id", &id),
                ("rights_shown", "1"),
                ("right", "control"),
                ("until", &until),
            ],
        )
        .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let stored = terms(&app, installation).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].rights,
        GrantRights::VIEW.with(GrantRight::Control)
    );
    let end = stored[0].ends.expect("an end date");
    // The end of that day in the installation's zone: whatever the zone and the time of day now (the
    // date was taken in UTC), more than nine and less than twelve days away.
    assert!(
        end > Utc::now() + Duration::days(9) && end < Utc::now() + Duration::days(12),
        "{end}"
    );

    // Without the boxes (an older form), the link's rights apply; the default is all.
    let app = spawn_app(engine).await;
    let (_, owner, key, _, installation) = setting(&app).await;
    let request = format!("/access/request/{key}");
    let (_, html) = owner.page(&request).await;
    assert!(html.contains("name=\"right\" value=\"settings\" checked"));
    let id = installation.to_string();
    owner
        .submit(
            &request,
            &request,
            &[("decision", "approve"), ("installation_id", &id)],
        )
        .await;
    assert_eq!(terms(&app, installation).await, vec![GrantTerms::default()]);
}

async fn bad_rights_and_dates_are_refused_and_store_nothing(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, installation) = setting(&app).await;
    let (status, html) = owner
        .page(&format!("/access/request/{key}?rights=settings,admin"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("rights"), "names the parameter");

    let request = format!("/access/request/{key}");
    let id = installation.to_string();
    let yesterday = (Utc::now() - Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    for (right, until, field, says) in [
        ("admin", "", "rights", "Unknown right"),
        ("settings\0", "", "rights", "Unknown right"),
        (
            "control",
            yesterday.as_str(),
            "until",
            "must be today or later",
        ),
        ("control", "next week", "until", "as a date"),
        ("control", "2026-12-31\0", "until", "as a date"),
        ("control", "2026-02-30", "until", "as a date"),
    ] {
        let refused = owner
            .submit(
                &request,
                &request,
                &[
                    ("decision", "approve"),
                    ("installation_id", &id),
                    ("rights_shown", "1"),
                    ("right", right),
                    ("right", "configure"),
                    ("until", until),
                ],
            )
            .await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{right:?} {until:?}"
        );
        let html = refused.text().await.unwrap();
        let error = format!("class=\"field-error\" id=\"{field}-error\" role=\"alert\">");
        let at = html
            .find(&error)
            .unwrap_or_else(|| panic!("{field}: {html}"));
        let message = html[at + error.len()..]
            .split('<')
            .next()
            .unwrap_or_default();
        assert!(
            message.contains(says),
            "{right:?} {until:?}: the message is next to the field: {message}"
        );
        crate::field_errors::assert_tied(&html, "review");
        assert!(
            html.contains(&format!("value=\"{id}\" checked")),
            "the chosen installation is kept"
        );
        assert!(
            html.contains("name=\"right\" value=\"configure\" checked"),
            "the ticks are kept"
        );
        if right == "control" {
            assert!(html.contains("name=\"right\" value=\"control\" checked"));
        }
        assert!(
            html.contains(&format!("value=\"{}\"", until.trim_end_matches('\0'))),
            "the date as typed, without the NUL"
        );
        assert!(!html.contains('\0'));
        assert!(terms(&app, installation).await.is_empty(), "nothing stored");
    }
    let no_choice = owner
        .submit(
            &request,
            &request,
            &[("decision", "approve"), ("installation_id", "\0")],
        )
        .await;
    assert_eq!(no_choice.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = no_choice.text().await.unwrap();
    assert!(html.contains("id=\"installation_id-error\""));
    crate::field_errors::assert_tied(&html, "no installation");
    assert!(terms(&app, installation).await.is_empty(), "nothing stored");

    // The same on the Permissions tab: the form comes back open with the input and the error next
    // to the field; the grant stays as it was.
    let id = installation.to_string();
    owner
        .submit(
            &request,
            &request,
            &[("decision", "approve"), ("installation_id", &id)],
        )
        .await;
    let group = app
        .db
        .store
        .installation_grants(installation)
        .await
        .unwrap()[0]
        .group
        .id;
    for (rights, until, field) in [
        (&["admin", "control"][..], "", "rights"),
        (&["control\0"][..], "", "rights"),
        (&["control"][..], yesterday.as_str(), "until"),
        (&["control"][..], "soon", "until"),
        (&["control"][..], "2030-01-01\0", "until"),
    ] {
        let refused = owner_changes(&owner, installation, group, rights, until).await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{rights:?} {until:?}"
        );
        let html = refused.text().await.unwrap();
        assert!(
            html.contains(&format!("id=\"{field}-{group}-error\"")),
            "{rights:?} {until:?}: {html}"
        );
        crate::field_errors::assert_tied(&html, "permissions");
        assert!(html.contains("<details class=\"grant-change\" open>"));
        if rights == ["admin", "control"] || field == "until" {
            assert!(
                html.contains("name=\"right\" value=\"control\" checked"),
                "the ticks are kept"
            );
        }
        assert!(!html.contains('\0'));
    }
    assert_eq!(terms(&app, installation).await, vec![GrantTerms::default()]);
    let _ = urlencode("");
}

/// Approving a request for a group that holds a grant already (a page left open, a second tab) gives
/// the grant the terms chosen now, audited as a change; the receipt says what happened, and when the
/// terms are the same that nothing changed.
async fn approving_a_group_with_access_again_changes_its_grant_and_says_so(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, installation) = setting(&app).await;
    let request = format!("/access/request/{key}");
    let id = installation.to_string();
    let approve = |rights: &'static [&'static str]| {
        let (owner, request, id) = (&owner, &request, &id);
        async move {
            let mut fields = vec![
                ("decision", "approve"),
                ("installation_id", id.as_str()),
                ("rights_shown", "1"),
                ("until", ""),
            ];
            fields.extend(rights.iter().map(|right| ("right", *right)));
            let response = owner.submit(request, request, &fields).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            let (status, receipt) = owner.page(&location(&response)).await;
            assert_eq!(status, StatusCode::OK);
            receipt
        }
    };
    let kinds = || async {
        app.db
            .store
            .installation_audit(
                &operator::<ManagePermissions>(&app.db, installation).await,
                50,
                0,
            )
            .await
            .unwrap()
            .into_iter()
            .map(|event| event.kind)
            .filter(|kind| kind.starts_with("access_"))
            .collect::<Vec<_>>()
    };

    let receipt = approve(&["control"]).await;
    assert!(
        receipt.contains("Acme Charging now has access to Garage Nord"),
        "{receipt}"
    );
    assert!(
        receipt.contains("Its members can now: see, control chargers."),
        "{receipt}"
    );

    let receipt = approve(&["control"]).await;
    assert!(
        receipt.contains(
            "Acme Charging already had access to Garage Nord with exactly these rights: \
             see, control chargers. Nothing changed."
        ),
        "{receipt}"
    );
    assert_eq!(kinds().await, vec!["access_approved"], "nothing to audit");

    let receipt = approve(&["settings", "configure"]).await;
    assert!(
        receipt.contains(
            "Acme Charging already had access to Garage Nord; its access now reads: \
             see, settings, configure chargers."
        ),
        "{receipt}"
    );
    assert_eq!(
        terms(&app, installation).await,
        vec![GrantTerms {
            rights: GrantRights::VIEW
                .with(GrantRight::Settings)
                .with(GrantRight::Configure),
            ends: None,
        }]
    );
    assert_eq!(kinds().await, vec!["access_changed", "access_approved"]);
    let changed = app
        .db
        .store
        .installation_audit(
            &operator::<ManagePermissions>(&app.db, installation).await,
            1,
            0,
        )
        .await
        .unwrap()
        .remove(0);
    assert_eq!(changed.detail["before"]["rights"], "view,control");
    assert_eq!(changed.detail["rights"], "view,settings,configure");
}
