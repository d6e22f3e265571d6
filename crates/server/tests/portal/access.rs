//! The access-request flow end to end over HTTP: link → login → review → decision → return, then
//! what members may do, the Permissions tab, revocation and the audit log.

use reqwest::StatusCode;
use voltgate_domain::{Email, GroupId, InstallationId};
use voltgate_store::Engine;

use crate::groups::create_group;
use crate::helpers::{location, operator, spawn_app, Browser, TestApp};
use crate::installations::create_installation;
use crate::on_both_engines;

on_both_engines!(
    the_whole_story,
    denying_grants_nothing_and_says_so,
    parameters_shape_the_review,
    bad_links_get_clear_pages,
    only_registered_return_urls_are_followed,
    refused_decisions_write_nothing,
    approving_twice_changes_nothing,
    members_see_their_groups_details_and_owners_can_give_up,
    the_audit_log_records_decisions,
    the_flow_speaks_german_and_norwegian,
    partners_cannot_pass_for_others,
    a_pro_installation_is_never_approved_from_a_link_that_does_not_name_it,
    partner_members_and_users_see_no_people,
);

const RETURN: &str = "https://acme.example/voltgate/return";

/// A partner with a group, an owner with an installation; returns (partner, owner, key, group, installation).
pub async fn setting(app: &TestApp) -> (Browser, Browser, String, GroupId, InstallationId) {
    let partner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let group = create_group(&partner, "Acme Charging", RETURN).await;
    let owner = app.signed_up("kari@example.no", "Kari").await;
    let installation = create_installation(&owner, "Garage Nord", "go").await;
    let key = lookup_key(app, group).await;
    (partner, owner, key, group, installation)
}

async fn lookup_key(app: &TestApp, group: GroupId) -> String {
    let partner = app
        .db
        .store
        .user_by_email(&Email::parse("cpo@acme.example").unwrap())
        .await
        .unwrap()
        .unwrap();
    app.db
        .store
        .group_for(&voltgate_domain::Principal::User(partner.id), group)
        .await
        .unwrap()
        .unwrap()
        .0
        .lookup_key
        .to_string()
}

async fn grants(app: &TestApp, installation: InstallationId) -> usize {
    app.db
        .store
        .installation_grants(installation)
        .await
        .unwrap()
        .len()
}

/// Opens the request and presses a button on the review page.
pub async fn decide(
    browser: &Browser,
    request: &str,
    decision: &str,
    installation: &str,
) -> reqwest::Response {
    browser
        .submit(
            request,
            request,
            &[("decision", decision), ("installation_id", installation)],
        )
        .await
}

async fn the_whole_story(engine: Engine) {
    let app = spawn_app(engine).await;
    let (partner, _, key, group, installation) = setting(&app).await;
    let request = format!(
        "/access/request/{key}?partnerName=Acme%20Energy&returnUrl={}",
        urlencode(RETURN)
    );

    let visitor = app.browser();
    let to_login = visitor.get(&request).await;
    assert_eq!(to_login.status(), StatusCode::SEE_OTHER);
    let login = location(&to_login);
    assert!(
        login.starts_with("/login?next=%2Faccess%2Frequest%2F"),
        "{login}"
    );
    let (_, html) = visitor.page(&login).await;
    assert!(html.contains("Acme Energy asks for access to your installation"));
    assert!(html.contains("This name comes from the link you followed"));
    assert!(
        !html.contains("Acme Charging"),
        "the real group name only after login"
    );
    let logged_in = visitor
        .submit(
            &login,
            "/login",
            &[
                ("email", "kari@example.no"),
                ("password", "correct horse battery"),
                ("next", &request),
            ],
        )
        .await;
    assert_eq!(
        location(&logged_in),
        request,
        "back to the same request, parameters intact"
    );

    let newcomer = app.browser();
    let signup = format!("/signup?next={}", url_escape(&request));
    let (_, html) = newcomer.page(&signup).await;
    assert!(
        html.contains("Acme Energy asks for access to your installation"),
        "sign-up keeps the banner"
    );
    let fields = [
        ("email", "new@example.no"),
        ("full_name", "New Owner"),
        ("password", "correct horse battery"),
        ("next", request.as_str()),
    ];
    let signed_up = newcomer.submit(&signup, "/signup", &fields).await;
    assert_eq!(
        location(&signed_up),
        request,
        "sign-up also returns to the request"
    );
    let (_, html) = newcomer.page(&request).await;
    assert!(
        html.contains("You own or administer no installation"),
        "and says why nothing can be granted"
    );

    let (status, html) = visitor.page(&request).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "Acme Charging asks for access to one of your installations",
        "The link called this partner “Acme Energy”",
        "see the installation and its charging history",
        "change the installation&#39;s settings",
        "start, stop, restart, pause and unlock every charger of the installation",
        "configure every charger: its settings, OCPP configuration and charging limits",
        "manage who has access",
        "You can revoke this at any time",
        "Garage Nord",
    ] {
        assert!(
            html.contains(expected) || html.contains(&expected.replace("&#39;", "'")),
            "review lacks {expected:?}"
        );
    }
    let approved = decide(&visitor, &request, "approve", &installation.to_string()).await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&approved),
        format!("{RETURN}?success=true&installationId={installation}&lookup={key}")
    );

    let page = format!("/installations/{installation}");
    let (status, html) = partner.page(&page).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the group's owner reaches the installation"
    );
    assert!(
        html.contains("through Acme Charging") && !html.contains("👥"),
        "the group icon is an SVG, not an emoji"
    );
    // The circuit's rating is the owners' to set: a partner sees it fixed and cannot raise it.
    let rating = html
        .split("id=\"max_current\"")
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the maximum current is shown")
        .to_owned();
    assert!(html.contains("readonly aria-describedby=\"max_current_fixed\""));
    let raised = [
        ("max_current", "1000"),
        ("available_mode", "all"),
        ("available_current", "25"),
        ("phases", "3"),
    ];
    let refused = partner
        .submit(&page, &format!("{page}/settings"), &raised)
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("owners and administrators may change the maximum current."));
    let settings = [
        ("max_current", rating.as_str()),
        ("available_mode", "all"),
        ("available_current", "25"),
        ("phases", "3"),
    ];
    assert_eq!(
        partner
            .submit(&page, &format!("{page}/settings"), &settings)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, html) = partner.page(&page).await;
    assert!(
        html.contains(&format!("value=\"{rating}\"")),
        "the rating is unchanged"
    );
    let (_, list) = partner.page("/installations").await;
    assert!(list.contains("Garage Nord") && list.contains("through Acme Charging"));
    let members = format!("{page}/members");
    let promote = partner
        .submit(
            &page,
            &members,
            &[("email", "cpo@acme.example"), ("role", "owner")],
        )
        .await;
    assert_eq!(
        promote.status(),
        StatusCode::FORBIDDEN,
        "members cannot manage people"
    );
    assert_eq!(
        partner.get(&format!("{page}/audit")).await.status(),
        StatusCode::FORBIDDEN
    );

    let outsider = app.signed_up("outsider@example.com", "Outsider").await;
    assert_eq!(outsider.get(&page).await.status(), StatusCode::NOT_FOUND);

    let later = app.signed_up("tech@acme.example", "Technician").await;
    assert_eq!(later.get(&page).await.status(), StatusCode::NOT_FOUND);
    let group_page = format!("/groups/{group}");
    partner
        .submit(
            &group_page,
            &format!("{group_page}/members"),
            &[("email", "tech@acme.example")],
        )
        .await;
    assert_eq!(
        later.get(&page).await.status(),
        StatusCode::OK,
        "members added later have access at once"
    );

    let owner = app.browser();
    owner
        .submit(
            "/login",
            "/login",
            &[
                ("email", "kari@example.no"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    let revoke = format!("/installations/{installation}/permissions/groups/{group}/revoke");
    let (status, confirm) = owner.page(&revoke).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("stops being able to see") && confirm.contains("Garage Nord"));
    let revoked = owner.submit(&revoke, &revoke, &[]).await;
    assert_eq!(
        location(&revoked),
        format!("/installations/{installation}/permissions?revoked=1")
    );
    assert_eq!(
        later.get(&page).await.status(),
        StatusCode::NOT_FOUND,
        "denied on the very next request"
    );
    assert_eq!(partner.get(&page).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        partner
            .submit("/installations", &format!("{page}/settings"), &settings)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(grants(&app, installation).await, 0);
}

async fn denying_grants_nothing_and_says_so(engine: Engine) {
    let app = spawn_app(engine).await;
    let (partner, owner, key, _, installation) = setting(&app).await;
    let with_return = format!("/access/request/{key}?returnUrl={}", urlencode(RETURN));
    let denied = decide(&owner, &with_return, "deny", &installation.to_string()).await;
    assert_eq!(
        location(&denied),
        format!("{RETURN}?success=false&lookup={key}"),
        "no installation id on denial"
    );
    let plain = format!("/access/request/{key}");
    let denied = decide(&owner, &plain, "deny", "").await;
    let receipt = location(&denied);
    assert_eq!(
        receipt,
        format!("/access/receipt?success=false&lookup={key}")
    );
    let (status, html) = owner.page(&receipt).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("You denied the request of Acme Charging.")
            && html.contains("Nothing was shared.")
    );
    assert_eq!(grants(&app, installation).await, 0);
    assert_eq!(
        partner
            .get(&format!("/installations/{installation}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn parameters_shape_the_review(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, garage) = setting(&app).await;
    let hytta = create_installation(&owner, "Hytta", "go").await;
    let pro = create_installation(&owner, "Borettslag Pro", "pro").await;

    let (_, html) = owner.page(&format!("/access/request/{key}")).await;
    assert!(
        html.contains("Garage Nord") && html.contains("Hytta") && !html.contains("Borettslag Pro"),
        "Go/Home by default"
    );
    assert!(
        !html.split("type=\"radio\"").skip(1).any(|radio| radio
            .split('>')
            .next()
            .unwrap_or_default()
            .contains(" checked")),
        "nothing pre-selected without installationId"
    );

    let (_, html) = owner
        .page(&format!("/access/request/{key}?installationId={hytta}"))
        .await;
    assert!(
        html.contains(&format!("value=\"{hytta}\" checked")),
        "installationId pre-selects"
    );

    let (_, html) = owner
        .page(&format!("/access/request/{key}?installationtype=0"))
        .await;
    assert!(html.contains(
        "Pro installations can only be shared through a link that names the installation"
    ));
    assert!(!html.contains("value=\"approve\""), "nothing to approve");
    assert!(
        html.contains("value=\"deny\""),
        "but the request can be denied"
    );
    let (_, html) = owner
        .page(&format!(
            "/access/request/{key}?installationtype=0&installationId={pro}"
        ))
        .await;
    assert!(html.contains(&format!("value=\"{pro}\" checked")) && !html.contains("Garage Nord"));

    let request = format!("/access/request/{key}");
    decide(&owner, &request, "approve", &garage.to_string()).await;
    let (_, html) = owner.page(&request).await;
    assert!(
        !html.contains("Garage Nord"),
        "already granted ones are hidden"
    );
    let (_, html) = owner.page(&format!("{request}?showExisting=true")).await;
    assert!(html.contains("Garage Nord") && html.contains("already has access"));
    assert!(html.contains(&format!("value=\"{garage}\" disabled")));

    decide(&owner, &request, "approve", &hytta.to_string()).await;
    let (_, html) = owner.page(&request).await;
    assert!(
        html.contains("Acme Charging already has access to Garage Nord, Hytta.")
            && !html.contains("every installation"),
        "the Pro installation is not shared, so no claim about every installation"
    );

    let (status, html) = owner
        .page(&format!("/access/request?lookup={}", key.to_lowercase()))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "lookup= works instead of the path, in any case"
    );
    assert!(html.contains("Acme Charging"));

    let stranger = app.signed_up("nobody@example.com", "Nobody").await;
    let (_, html) = stranger
        .page(&format!("{request}?installationId={garage}"))
        .await;
    assert!(html.contains("You own or administer no installation"));
    assert!(html.contains("The link names an installation you cannot give access to"));
}

async fn bad_links_get_clear_pages(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, _) = setting(&app).await;
    for path in [
        "/access/request/ZZZZZZ",
        "/access/request/..%2F..%2Fetc",
        "/access/request/a",
        "/access/request",
    ] {
        for browser in [&owner, &app.browser()] {
            let (status, html) = browser.page(path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(html.contains("No partner has the lookup key"), "{path}");
        }
    }
    let long = "x".repeat(101);
    for (query, param) in [
        ("installationId=42", "installationId"),
        ("installationtype=7", "installationtype"),
        ("showExisting=maybe", "showExisting"),
        (&*format!("partnerName={long}"), "partnerName"),
        ("partnerName=A%00B", "partnerName"),
    ] {
        let (status, html) = owner.page(&format!("/access/request/{key}?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            html.contains(&format!("The link&#39;s parameter {param} is not valid"))
                || html.contains(&format!("The link's parameter {param} is not valid")),
            "{query}"
        );
    }
    let hostile = format!("/access/request/{key}?partnerName=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    let visitor = app.browser();
    let login = location(&visitor.get(&hostile).await);
    let (_, html) = visitor.page(&login).await;
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "escaped, never executed"
    );
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62; asks for access")
            || html.contains("&lt;script&gt;")
    );
    let (status, _) = owner.page(&format!("/access/request/{key}?lang=xx")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an unknown lang falls back to English"
    );
}

async fn only_registered_return_urls_are_followed(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, installation) = setting(&app).await;
    let followed = [
        RETURN.to_owned(),
        format!("{RETURN}/deeper?state=abc"),
        "https://ACME.example:443/voltgate/return".into(),
    ];
    for url in &followed {
        let request = format!("/access/request/{key}?returnUrl={}", urlencode(url));
        let (_, html) = owner.page(&request).await;
        assert!(
            !html.contains("you will stay on voltgate"),
            "{url} is trusted"
        );
        let to = location(&decide(&owner, &request, "deny", "").await);
        assert!(
            to.starts_with("https://acme.example/voltgate/return"),
            "{url} → {to}"
        );
        assert!(to.contains("success=false"));
    }
    let refused = [
        "https://evil.example/voltgate/return",
        "https://acme.example/voltgate/returnx",
        "https://acme.example/voltgate/return/../../evil",
        "https://acme.example/voltgate/return/%2e%2e/%2e%2e/evil",
        "http://acme.example/voltgate/return",
        "https://acme.example@evil.example/voltgate/return",
        "https://acme.example.evil.example/voltgate/return",
        "//evil.example/voltgate/return",
        "/\\evil.example",
        "https:\\\\evil.example",
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "%2F%2Fevil.example",
        "https://acme.example:8443/voltgate/return",
        "https://acme.example/voltgate/return/..%2F..%2Fevil",
        "https://acme.example/voltgate/return/%2E%2E%2F%2E%2E%2Fevil",
        "https://acme.example/voltgate/return/..;/..;/evil",
        "https://acme.example/voltgate/return/%5C..%5Cevil",
    ];
    for url in refused {
        let request = format!("/access/request/{key}?returnUrl={}", urlencode(url));
        let (status, html) = owner.page(&request).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        assert!(
            html.contains("you will stay on voltgate after your decision"),
            "{url}: warned before deciding"
        );
        let to = location(&decide(&owner, &request, "approve", &installation.to_string()).await);
        assert!(
            to.starts_with("/access/receipt?"),
            "{url} must not be followed: {to}"
        );
        assert!(to.contains("returnRefused=true"));
        let (_, receipt) = owner.page(&to).await;
        assert!(
            receipt.contains("Acme Charging now has access to Garage Nord.")
                || receipt.contains("Acme Charging already had access to Garage Nord"),
            "the first approval grants, the next ones say the group had access"
        );
        assert!(
            receipt.contains("The partner&#39;s return address was not trusted")
                || receipt.contains("The partner's return address was not trusted")
        );
        assert!(receipt.contains(&format!("/installations/{installation}/permissions")));
    }
}

async fn refused_decisions_write_nothing(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, garage) = setting(&app).await;
    let request = format!("/access/request/{key}");
    let viewer = app.signed_up("viewer@example.no", "Viewer").await;
    let page = format!("/installations/{garage}");
    owner
        .submit(
            &page,
            &format!("{page}/members"),
            &[("email", "viewer@example.no"), ("role", "user")],
        )
        .await;
    let as_user = decide(&viewer, &request, "approve", &garage.to_string()).await;
    assert_eq!(
        as_user.status(),
        StatusCode::FORBIDDEN,
        "a user of the installation cannot grant it"
    );
    let stranger = app.signed_up("stranger@example.com", "Stranger").await;
    let foreign = decide(&stranger, &request, "approve", &garage.to_string()).await;
    assert_eq!(
        foreign.status(),
        StatusCode::NOT_FOUND,
        "a stranger learns nothing about it"
    );
    assert_eq!(
        decide(&owner, &request, "approve", "not-an-id")
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the review page again, the error next to the installations"
    );
    assert_eq!(
        decide(
            &owner,
            &request,
            "approve",
            &InstallationId::random().to_string()
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        decide(&owner, &request, "maybe", &garage.to_string())
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let forged = owner
        .post(
            &request,
            &[
                ("decision", "approve"),
                ("installation_id", &garage.to_string()),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let missing = owner
        .post(
            &request,
            &[
                ("decision", "approve"),
                ("installation_id", &garage.to_string()),
            ],
        )
        .await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let anonymous = app
        .browser()
        .post(
            &request,
            &[
                ("decision", "approve"),
                ("installation_id", &garage.to_string()),
            ],
        )
        .await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert!(location(&anonymous).starts_with("/login"));
    assert_eq!(grants(&app, garage).await, 0, "nothing was written");
    let audit = app
        .db
        .store
        .installation_audit(&operator(&app.db, garage).await, 100, 0)
        .await
        .unwrap();
    assert!(audit.iter().all(|e| e.kind != "access_approved"));
}

async fn approving_twice_changes_nothing(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, garage) = setting(&app).await;
    let request = format!("/access/request/{key}?showExisting=true");
    let first = decide(&owner, &request, "approve", &garage.to_string()).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let again = owner
        .post(
            &request,
            &[
                ("decision", "approve"),
                ("installation_id", &garage.to_string()),
                ("csrf", &csrf_of(&owner, &request).await),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&again), location(&first));
    assert_eq!(grants(&app, garage).await, 1);
    let audit = app
        .db
        .store
        .installation_audit(&operator(&app.db, garage).await, 100, 0)
        .await
        .unwrap();
    assert_eq!(
        audit.iter().filter(|e| e.kind == "access_approved").count(),
        1
    );
}

async fn csrf_of(browser: &Browser, page: &str) -> String {
    crate::helpers::csrf_in(&browser.page(page).await.1)
}

async fn members_see_their_groups_details_and_owners_can_give_up(engine: Engine) {
    let app = spawn_app(engine).await;
    let (partner, owner, key, group, garage) = setting(&app).await;
    decide(
        &owner,
        &format!("/access/request/{key}"),
        "approve",
        &garage.to_string(),
    )
    .await;
    let tech = app.signed_up("tech@acme.example", "Technician").await;
    let group_page = format!("/groups/{group}");
    partner
        .submit(
            &group_page,
            &format!("{group_page}/members"),
            &[("email", "tech@acme.example")],
        )
        .await;

    let permissions = format!("/installations/{garage}/permissions");
    let (status, html) = owner.page(&permissions).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("group-icon\" aria-hidden=\"true\"")
            && html.contains("Acme Charging")
            && html.contains(&key)
            && html.contains("by Kari")
            && html.contains("Revoke…")
    );
    assert!(
        html.contains("kari@example.no"),
        "owners see the people too"
    );
    let (status, html) = tech.page(&permissions).await;
    assert_eq!(status, StatusCode::OK, "members see the tab");
    assert!(
        html.contains("group-icon") && html.contains("Acme Charging") && html.contains(&key),
        "with their group's lookup key"
    );
    assert!(!html.contains("kari@example.no"), "but not the people");
    assert!(!html.contains("Revoke…"), "and cannot revoke");
    let revoke = format!("/installations/{garage}/permissions/groups/{group}/revoke");
    assert_eq!(tech.get(&revoke).await.status(), StatusCode::FORBIDDEN);

    let (_, html) = partner.page(&group_page).await;
    assert!(html.contains("Garage Nord") && html.contains("Give up access…"));
    let given_up = partner.submit(&revoke, &revoke, &[]).await;
    assert_eq!(
        location(&given_up),
        group_page,
        "the group owner gave up the access"
    );
    assert_eq!(
        tech.get(&format!("/installations/{garage}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        partner.get(&revoke).await.status(),
        StatusCode::NOT_FOUND,
        "nothing left to revoke"
    );
}

async fn the_audit_log_records_decisions(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, garage) = setting(&app).await;
    let request = format!(
        "/access/request/{key}?partnerName=Acme%20Energy&returnUrl={}",
        urlencode("https://evil.example/x")
    );
    decide(&owner, &request, "deny", &garage.to_string()).await;
    decide(&owner, &request, "approve", &garage.to_string()).await;
    let (status, html) = owner.page(&format!("/installations/{garage}/audit")).await;
    assert_eq!(status, StatusCode::OK);
    let approved = html
        .find("Approved access for Acme Charging")
        .expect("approval listed");
    let denied = html
        .find("Denied access to Acme Charging")
        .expect("denial listed");
    assert!(approved < denied, "newest first");
    assert!(html.contains("partnerName “Acme Energy”") && html.contains("https://evil.example/x"));
    assert!(html.contains("kari@example.no"));
    assert!(html.contains("3 events"), "created, denied, approved");
    assert_eq!(
        owner
            .get(&format!("/installations/{garage}/audit?page=0"))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        owner
            .get(&format!("/installations/{garage}/audit?page=abc"))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let (status, html) = owner
        .page(&format!("/installations/{garage}/audit?page=9"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Nothing has happened here yet.") || html.contains("page 9 of 1"));
}

async fn the_flow_speaks_german_and_norwegian(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, garage) = setting(&app).await;
    let visitor = app.browser();
    let request = format!("/access/request/{key}?partnerName=Acme&lang=de");
    let login = location(&visitor.get(&request).await);
    let (_, html) = visitor.page(&login).await;
    assert!(
        html.contains("<html lang=\"de\">")
            && html.contains("Acme bittet um Zugriff auf Ihre Installation")
    );
    assert!(html.contains("Anmelden") && html.contains("Passwort"));
    let (_, html) = owner.page(&request).await;
    assert!(html.contains("Acme Charging bittet um Zugriff auf eine Ihrer Installationen"));
    assert!(
        html.contains("Genehmigen") && html.contains("Ablehnen") && html.contains("Berechtigungen")
    );
    let (_, html) = owner.page(&format!("/access/request/{key}?lang=no")).await;
    assert!(
        html.contains("<html lang=\"nb\">") && html.contains("Godkjenn") && html.contains("Avslå")
    );
    let to = location(
        &decide(
            &owner,
            &format!("/access/request/{key}?lang=nb"),
            "approve",
            &garage.to_string(),
        )
        .await,
    );
    let (_, html) = owner.page(&to).await;
    assert!(
        html.contains("Acme Charging har nå tilgang til Garage Nord."),
        "the receipt in the language chosen"
    );
    let owner_id = app
        .db
        .store
        .user_by_email(&Email::parse("kari@example.no").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let saved = || async { app.db.store.user(owner_id).await.unwrap().unwrap().language };
    let (_, html) = owner.page("/installations").await;
    assert!(
        html.contains("<html lang=\"en\">") && saved().await.is_none(),
        "a link's lang shows its pages, it changes no saved language"
    );
    let chosen = owner
        .submit(
            "/installations",
            "/language",
            &[("lang", "nb"), ("next", "/installations")],
        )
        .await;
    assert_eq!(location(&chosen), "/installations");
    let (_, html) = owner.page("/installations").await;
    assert!(
        html.contains("<html lang=\"nb\">") && html.contains(">Installasjoner</a>"),
        "the switch's choice sticks"
    );
    assert_eq!(
        saved().await.as_deref(),
        Some("nb"),
        "and is saved for the account"
    );
    let chooser = app.browser();
    let chosen = chooser
        .submit(
            "/login?lang=en",
            "/language",
            &[("lang", "de"), ("next", "/login?lang=en")],
        )
        .await;
    assert_eq!(location(&chosen), "/login?lang=en");
    let (_, html) = chooser.page("/login").await;
    assert!(
        html.contains("<html lang=\"de\">"),
        "a visitor's choice is remembered in a cookie"
    );
    let response = chooser
        .submit(
            "/login",
            "/login",
            &[
                ("email", "kari@example.no"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        saved().await.as_deref(),
        Some("de"),
        "and becomes the account's at login"
    );
    let fresh = app.browser();
    let response = fresh
        .client
        .get(format!("{}/login", fresh.base))
        .header("accept-language", "de-DE,de;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<html lang=\"de\">"),
        "Accept-Language is honoured"
    );
}

pub fn urlencode(text: &str) -> String {
    url_escape(text)
}

/// Percent-encodes everything but unreserved characters, as a link builder would.
fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn partners_cannot_pass_for_others(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, garage) = setting(&app).await;
    let impostor = app.signed_up("impostor@evil.example", "Impostor").await;
    for name in [
        "ACME CHARGING",
        "\u{0391}cme Charging",
        "Acme\u{200B} Charging",
        "Acme  charging",
    ] {
        let (status, html) = impostor
            .submit_page(
                "/groups",
                "/groups",
                &[
                    ("name", name),
                    ("return_urls", "https://evil.example/return"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert!(
            html.contains("Another group already has this name or one that looks the same"),
            "{name:?}"
        );
    }
    let (status, html) = impostor
        .submit_page("/groups", "/groups", &[("name", "Acme\u{202E}gnigrahC")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Characters that change the direction of text are not allowed."));

    let request = format!("/access/request/{key}");
    let (_, html) = owner.page(&request).await;
    assert!(
        html.contains(&format!("<code>{key}</code>")),
        "the lookup key"
    );
    assert!(
        html.contains("<code>acme.example</code>"),
        "the domain it returns to"
    );
    assert!(
        html.contains(&chrono::Utc::now().format("%Y-%m-%d").to_string()),
        "when it was registered"
    );
    assert!(html.contains("Installations that gave it access</dt><dd>0</dd>"));
    assert!(html.contains("voltgate has not checked who this group is"));
    assert_eq!(
        decide(&owner, &request, "approve", &garage.to_string())
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let verified = crate::cli::admin(&app.database_url, &["group", "verify", &key], "");
    assert!(crate::cli::stdout(&verified).contains("is verified"));
    let second = app.signed_up("second@example.no", "Second").await;
    create_installation(&second, "Hytta", "go").await;
    let (_, html) = second.page(&request).await;
    assert!(
        html.contains("✓ voltgate checked who this group is"),
        "the verified mark"
    );
    assert!(!html.contains("voltgate has not checked"));
    assert!(html.contains("Installations that gave it access</dt><dd>1</dd>"));
    let unknown = crate::cli::admin(&app.database_url, &["group", "verify", "ZZZZ"], "");
    assert!(crate::cli::refused(&unknown).contains("no group has the lookup key ZZZZ"));
}

async fn a_pro_installation_is_never_approved_from_a_link_that_does_not_name_it(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, owner, key, _, garage) = setting(&app).await;
    let pro = create_installation(&owner, "Borettslag Pro", "pro").await;
    for link in [
        format!("/access/request/{key}"),
        format!("/access/request/{key}?installationtype=0"),
    ] {
        let response = decide(&owner, &link, "approve", &pro.to_string()).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{link}: the form posted by hand"
        );
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("link that names the installation"));
    }
    assert_eq!(grants(&app, pro).await, 0, "nothing was granted");
    let asking_pro = format!("/access/request/{key}?installationtype=0&installationId={garage}");
    let named = format!("/access/request/{key}?installationId={pro}");
    assert_eq!(
        decide(&owner, &named, "approve", &pro.to_string())
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        grants(&app, pro).await,
        1,
        "named by the link, it is approved"
    );
    assert_eq!(
        decide(&owner, &asking_pro, "approve", &garage.to_string())
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "a Go installation the link names"
    );
}

async fn partner_members_and_users_see_no_people(engine: Engine) {
    let app = spawn_app(engine).await;
    let (partner, owner, key, _, garage) = setting(&app).await;
    let page = format!("/installations/{garage}");
    app.signed_up("viewer@example.no", "Viewer").await;
    owner
        .submit(
            &page,
            &format!("{page}/members"),
            &[("email", "viewer@example.no"), ("role", "user")],
        )
        .await;
    let request = format!("/access/request/{key}");
    decide(&owner, &request, "approve", &garage.to_string()).await;
    let (_, html) = owner.page(&page).await;
    assert!(
        html.contains("kari@example.no") && html.contains("viewer@example.no"),
        "owners see people"
    );
    let viewer = app.browser();
    viewer
        .submit(
            "/login",
            "/login",
            &[
                ("email", "viewer@example.no"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    for (who, browser) in [("the group's member", &partner), ("a user", &viewer)] {
        let (status, html) = browser.page(&page).await;
        assert_eq!(status, StatusCode::OK, "{who} sees the installation");
        assert!(
            !html.contains("kari@example.no")
                && !html.contains("Kari")
                && !html.contains("id=\"people\""),
            "{who} sees no people"
        );
    }
}
