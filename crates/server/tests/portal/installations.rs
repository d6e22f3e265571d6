//! Installations: creation, roles, settings, and who may see or change what.

use reqwest::StatusCode;
use voltgate_domain::{Email, InstallationId, Role};
use voltgate_store::Engine;

use crate::helpers::{location, operator, spawn_app, Browser, TestApp};
use crate::on_both_engines;

on_both_engines!(
    owners_create_and_list_installations,
    bad_installations_are_refused_and_nothing_is_written,
    roles_decide_who_sees_and_who_changes,
    the_last_owner_stays,
    only_owners_decide_who_owns,
    settings_are_validated_next_to_their_fields,
);

/// A submitted form's fields.
pub type Fields<'a> = &'a [(&'a str, &'a str)];

/// Creates an installation through the portal and returns its id.
pub async fn create_installation(browser: &Browser, name: &str, kind: &str) -> InstallationId {
    let response = browser
        .submit(
            "/installations",
            "/installations",
            &[
                ("name", name),
                ("address", "Storgata 1, 0155 Oslo"),
                ("installation_type", kind),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "create {name}");
    location(&response)
        .trim_start_matches("/installations/")
        .parse()
        .expect("redirect to the new installation")
}

async fn installation_count(app: &TestApp, email: &str) -> usize {
    let user = app
        .db
        .store
        .user_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap();
    app.db
        .store
        .installations_for(&voltgate_domain::Principal::User(user.id))
        .await
        .unwrap()
        .len()
}

async fn owners_create_and_list_installations(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.com", "Owner").await;
    let garage = create_installation(&owner, "Garage Nord", "pro").await;
    create_installation(&owner, "Hytta", "go").await;
    let (status, html) = owner.page("/installations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("2 installations"));
    assert!(html.contains(&format!("href=\"/installations/{garage}\"")));
    let (status, html) = owner.page(&format!("/installations/{garage}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Garage Nord") && html.contains("Pro") && html.contains("Storgata 1"));
    assert!(
        html.contains("name=\"max_current\""),
        "the owner sees the settings form"
    );
    assert!(html.contains("value=\"32\""), "default maximum current");
}

async fn bad_installations_are_refused_and_nothing_is_written(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.com", "Owner").await;
    let long = "n".repeat(257);
    for (name, address, kind, message) in [
        ("", "", "go", "This field is required."),
        (long.as_str(), "", "go", "At most 256 characters."),
        ("Ok", &*"a".repeat(300), "go", "At most 256 characters."),
        ("Ok", "", "home", "Choose one of: go, pro."),
        ("Ok\u{7}", "", "go", "Control characters are not allowed."),
    ] {
        let (status, html) = owner
            .submit_page(
                "/installations",
                "/installations",
                &[
                    ("name", name),
                    ("address", address),
                    ("installation_type", kind),
                ],
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:.10} {kind}"
        );
        assert!(html.contains(message), "{message}");
    }
    assert_eq!(installation_count(&app, "owner@example.com").await, 0);
    let response = owner
        .submit(
            "/installations",
            "/installations",
            &[
                ("name", "Duplicated"),
                ("name", "twice"),
                ("installation_type", "go"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "a malformed form is a clear 400"
    );
    assert_eq!(installation_count(&app, "owner@example.com").await, 0);
}

async fn roles_decide_who_sees_and_who_changes(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.com", "Owner").await;
    let viewer = app.signed_up("viewer@example.com", "Viewer").await;
    let admin = app.signed_up("admin@example.com", "Admin").await;
    let stranger = app.signed_up("stranger@example.com", "Stranger").await;
    let id = create_installation(&owner, "Borettslag", "go").await;
    let page = format!("/installations/{id}");
    let members = format!("/installations/{id}/members");

    for (email, role) in [
        ("viewer@example.com", "user"),
        ("ADMIN@example.com", "admin"),
    ] {
        let response = owner
            .submit(&page, &members, &[("email", email), ("role", role)])
            .await;
        assert_eq!(location(&response), format!("{page}?saved=members"));
    }
    let (status, html) = viewer.page(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Borettslag") && !html.contains("name=\"max_current\""),
        "users see settings read-only"
    );
    let (_, list) = viewer.page("/installations").await;
    assert!(list.contains("Borettslag"));
    let settings = format!("/installations/{id}/settings");
    let fields = [
        ("max_current", "40"),
        ("available_mode", "all"),
        ("available_current", "20"),
        ("phases", "3"),
    ];
    assert_eq!(
        viewer.submit(&page, &settings, &fields).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        viewer
            .submit(
                &page,
                &members,
                &[("email", "viewer@example.com"), ("role", "owner")]
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.submit(&page, &settings, &fields).await.status(),
        StatusCode::SEE_OTHER
    );

    assert_eq!(
        stranger.get(&page).await.status(),
        StatusCode::NOT_FOUND,
        "no existence leak"
    );
    assert_eq!(
        stranger.get("/installations/not-a-uuid").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stranger
            .get(&format!("/installations/{}", InstallationId::random()))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let (_, list) = stranger.page("/installations").await;
    assert!(!list.contains("Borettslag"));
    let token_page = "/installations";
    assert_eq!(
        stranger
            .submit(token_page, &settings, &fields)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let (status, html) = owner
        .submit_page(
            &page,
            &members,
            &[("email", "nobody@example.com"), ("role", "user")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("No account has this e-mail"));
    let (status, html) = owner
        .submit_page(
            &page,
            &members,
            &[("email", "viewer@example.com"), ("role", "superuser")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Choose one of: owner, admin, user."));
    let (status, _) = owner
        .submit_page(
            &page,
            &format!("{members}/remove"),
            &[("user_id", "not-a-uuid")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let viewer_id = app
        .db
        .store
        .user_by_email(&Email::parse("viewer@example.com").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let removed = owner
        .submit(
            &page,
            &format!("{members}/remove"),
            &[("user_id", &viewer_id.to_string())],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        viewer.get(&page).await.status(),
        StatusCode::NOT_FOUND,
        "removal takes effect on the next request"
    );
}

async fn the_last_owner_stays(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.com", "Owner").await;
    let id = create_installation(&owner, "Alone", "go").await;
    let page = format!("/installations/{id}");
    let owner_id = app
        .db
        .store
        .user_by_email(&Email::parse("owner@example.com").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let (status, html) = owner
        .submit_page(
            &page,
            &format!("{page}/members/remove"),
            &[("user_id", &owner_id.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("The last owner cannot be removed"));
    let (status, _) = owner
        .submit_page(
            &page,
            &format!("{page}/members"),
            &[("email", "owner@example.com"), ("role", "admin")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(installation_count(&app, "owner@example.com").await, 1);
    let members = app
        .db
        .store
        .installation_members(&operator(&app.db, id).await)
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].role, voltgate_domain::Role::Owner);
}

async fn user_id(app: &TestApp, email: &str) -> voltgate_domain::UserId {
    let email = Email::parse(email).unwrap();
    app.db
        .store
        .user_by_email(&email)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn only_owners_decide_who_owns(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.com", "Owner").await;
    let admin = app.signed_up("admin@example.com", "Admin").await;
    app.signed_up("user@example.com", "User").await;
    let id = create_installation(&owner, "Mine", "go").await;
    let page = format!("/installations/{id}");
    let members = format!("{page}/members");
    let made_admin = owner
        .submit(
            &page,
            &members,
            &[("email", "admin@example.com"), ("role", "admin")],
        )
        .await;
    assert_eq!(made_admin.status(), StatusCode::SEE_OTHER);
    let owner_id = user_id(&app, "owner@example.com").await.to_string();
    let attempts: [(&str, Fields); 4] = [
        (
            &members,
            &[("email", "admin@example.com"), ("role", "owner")],
        ),
        (
            &members,
            &[("email", "owner@example.com"), ("role", "user")],
        ),
        (
            &members,
            &[("email", "owner@example.com"), ("role", "admin")],
        ),
        (&format!("{members}/remove"), &[("user_id", &owner_id)]),
    ];
    for (action, fields) in attempts {
        let (status, html) = admin.submit_page(&page, action, fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action} {fields:?}");
        assert!(html.contains("Only an owner can give, change or take away the owner role."));
    }
    assert_eq!(
        owner.get(&page).await.status(),
        StatusCode::OK,
        "the owner keeps the installation"
    );
    let roles: Vec<(String, Role)> = app
        .db
        .store
        .installation_members(&operator(&app.db, id).await)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.user.email, m.role))
        .collect();
    assert_eq!(
        roles,
        [
            ("owner@example.com".to_string(), Role::Owner),
            ("admin@example.com".to_string(), Role::Admin)
        ]
    );
    for (role, expected) in [
        ("admin", StatusCode::SEE_OTHER),
        ("user", StatusCode::SEE_OTHER),
    ] {
        let response = admin
            .submit(
                &page,
                &members,
                &[("email", "user@example.com"), ("role", role)],
            )
            .await;
        assert_eq!(
            response.status(),
            expected,
            "admins manage admins and users"
        );
    }
    let promoted = owner
        .submit(
            &page,
            &members,
            &[("email", "admin@example.com"), ("role", "owner")],
        )
        .await;
    assert_eq!(
        promoted.status(),
        StatusCode::SEE_OTHER,
        "owners make owners"
    );
}

async fn settings_are_validated_next_to_their_fields(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.com", "Owner").await;
    let id = create_installation(&owner, "Settings", "go").await;
    let page = format!("/installations/{id}");
    let action = format!("{page}/settings");
    let refused: [(Fields, &str, &str); 6] = [
        (
            &[
                ("max_current", "1001"),
                ("available_current", "10"),
                ("phases", "3"),
            ],
            "max_current-error",
            "Must be between 0 and 1000 A.",
        ),
        (
            &[
                ("max_current", "-5"),
                ("available_current", "10"),
                ("phases", "3"),
            ],
            "max_current-error",
            "Must be between 0 and 1000 A.",
        ),
        (
            &[
                ("max_current", "abc"),
                ("available_current", "10"),
                ("phases", "3"),
            ],
            "max_current-error",
            "Enter a number of amperes",
        ),
        (
            &[
                ("max_current", "16"),
                ("available_current", "20"),
                ("phases", "3"),
            ],
            "available_current-error",
            "Must not exceed the maximum current (16 A).",
        ),
        (
            &[
                ("max_current", "32"),
                ("available_mode", "per_phase"),
                ("available_current_phase1", "10"),
                ("available_current_phase2", "40"),
                ("available_current_phase3", "10"),
                ("phases", "3"),
            ],
            "available_current_phase2-error",
            "Must not exceed",
        ),
        (
            &[
                ("max_current", "32"),
                ("available_current", "10"),
                ("phases", "2"),
            ],
            "phases-error",
            "Choose 1 or 3 phases.",
        ),
    ];
    for (fields, id_attr, message) in refused {
        let (status, html) = owner.submit_page(&page, &action, fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let error_at = html
            .find(&format!("id=\"{id_attr}\""))
            .unwrap_or_else(|| panic!("{id_attr} shown"));
        let element = html[error_at..].split("</p>").next().unwrap_or_default();
        assert!(element.contains(message), "{message} next to its field");
    }
    let owner_id = app
        .db
        .store
        .user_by_email(&Email::parse("owner@example.com").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let (stored, _) = app
        .db
        .store
        .installation_for(&voltgate_domain::Principal::User(owner_id), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.settings.max_current.get(),
        32.0,
        "refused settings changed nothing"
    );

    let fields = [
        ("max_current", "63"),
        ("available_mode", "per_phase"),
        ("available_current_phase1", "40"),
        ("available_current_phase2", "32,5"),
        ("available_current_phase3", "0"),
        ("authentication_required", "true"),
        ("phases", "3"),
    ];
    let response = owner.submit(&page, &action, &fields).await;
    assert_eq!(location(&response), format!("{page}?saved=settings"));
    let (_, html) = owner.page(&location(&response)).await;
    assert!(
        html.contains("Settings saved.")
            && html.contains("value=\"63\"")
            && html.contains("value=\"32.5\"")
    );
    let audit = app
        .db
        .store
        .installation_audit(&operator(&app.db, id).await, 1, 0)
        .await
        .unwrap();
    assert_eq!(audit[0].kind, "settings_changed");
    assert_eq!(audit[0].detail["after"]["authentication_required"], true);
}
