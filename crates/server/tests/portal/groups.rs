//! User groups: creation, lookup keys, members, return URLs.

use reqwest::StatusCode;
use voltgate_domain::{Email, GroupId, LookupKey};
use voltgate_store::Engine;

use crate::helpers::{location, spawn_app, Browser, TestApp};
use crate::on_both_engines;

on_both_engines!(
    a_new_group_gets_a_lookup_key_and_its_owner_the_tab,
    bad_groups_are_refused_and_nothing_is_written,
    lookup_keys_are_unique_and_case_insensitive,
    rotating_the_key_retires_the_old_one,
    owners_manage_members_and_members_only_look,
    return_urls_are_checked,
);

/// Creates a group through the portal and returns its id.
pub async fn create_group(browser: &Browser, name: &str, return_urls: &str) -> GroupId {
    let fields = [
        ("name", name),
        ("description", "We run chargers"),
        ("support_email", "help@acme.example"),
        ("return_urls", return_urls),
    ];
    let response = browser.submit("/groups", "/groups", &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "create {name}");
    location(&response)
        .trim_start_matches("/groups/")
        .parse()
        .expect("redirect to the new group")
}

async fn key_of(app: &TestApp, id: GroupId, owner_email: &str) -> LookupKey {
    let owner = app
        .db
        .store
        .user_by_email(&Email::parse(owner_email).unwrap())
        .await
        .unwrap()
        .unwrap();
    app.db
        .store
        .group_for(&voltgate_domain::Principal::User(owner.id), id)
        .await
        .unwrap()
        .unwrap()
        .0
        .lookup_key
}

async fn a_new_group_gets_a_lookup_key_and_its_owner_the_tab(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let (_, before) = owner.page("/installations").await;
    assert!(
        before.contains("href=\"/groups\">User groups"),
        "the tab is there before owning a group"
    );
    let (_, empty) = owner.page("/groups").await;
    assert!(
        empty.contains("You belong to no user group.")
            && empty.contains("so that installation owners can give it access"),
        "an empty state that says what a group is for"
    );
    let id = create_group(
        &owner,
        "Acme Charging",
        "https://acme.example/voltgate/return\nhttp://localhost:3000/cb",
    )
    .await;
    let key = key_of(&app, id, "cpo@acme.example").await;
    assert_eq!(key.as_str().len(), 6);
    let (status, html) = owner.page(&format!("/groups/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<code class=\"key\">{key}</code>")));
    assert!(
        html.contains("https://acme.example/voltgate/return")
            && html.contains("http://localhost:3000/cb")
    );
    assert!(html.contains("help@acme.example"));
    let (_, after) = owner.page("/installations").await;
    assert!(
        after.contains("href=\"/groups\">User groups"),
        "the tab appears for group owners"
    );
    let (_, list) = owner.page("/groups").await;
    assert!(list.contains("Acme Charging") && list.contains(key.as_str()));
}

async fn bad_groups_are_refused_and_nothing_is_written(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let long = "g".repeat(257);
    let long_url = format!("https://acme.example/{}", "p".repeat(2048));
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[("name", "")], "This field is required."),
        (&[("name", &long)], "At most 256 characters."),
        (
            &[("name", "Acme"), ("support_email", "not-an-email")],
            "This is not a valid e-mail address.",
        ),
        (
            &[("name", "Acme"), ("support_url", "javascript:alert(1)")],
            "Enter an absolute web address",
        ),
        (
            &[("name", "Acme"), ("return_urls", "http://acme.example/cb")],
            "Line 1: Use https://",
        ),
        (
            &[
                ("name", "Acme"),
                (
                    "return_urls",
                    "https://ok.example/\nhttps://good@evil.example/",
                ),
            ],
            "Line 2: A return address must not contain a user name",
        ),
        (
            &[("name", "Acme"), ("return_urls", &long_url)],
            "At most 2048 characters.",
        ),
    ];
    for (fields, message) in cases {
        let (status, html) = owner.submit_page("/groups", "/groups", fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(html.contains(message), "{message}");
    }
    let user = app
        .db
        .store
        .user_by_email(&Email::parse("cpo@acme.example").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(app.db.store.groups_for(user.id).await.unwrap().is_empty());
}

async fn lookup_keys_are_unique_and_case_insensitive(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let mut keys = std::collections::HashSet::new();
    for n in 0..12 {
        let id = create_group(&owner, &format!("Group {n}"), "").await;
        let key = key_of(&app, id, "cpo@acme.example").await;
        assert!(key
            .as_str()
            .bytes()
            .all(|b| voltgate_domain::lookup_key::ALPHABET.contains(&b)));
        let lower = LookupKey::parse(&key.as_str().to_lowercase()).unwrap();
        let found = app
            .db
            .store
            .group_by_lookup_key(&lower)
            .await
            .unwrap()
            .map(|g| g.id);
        assert_eq!(found, Some(id), "a lower-case key finds the group");
        assert!(keys.insert(key), "keys are unique");
    }
}

async fn rotating_the_key_retires_the_old_one(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let id = create_group(&owner, "Acme", "").await;
    let old = key_of(&app, id, "cpo@acme.example").await;
    let page = format!("/groups/{id}");
    let response = owner
        .submit(&page, &format!("{page}/lookup-key"), &[])
        .await;
    assert_eq!(location(&response), format!("{page}?saved=key"));
    let new = key_of(&app, id, "cpo@acme.example").await;
    assert_ne!(old, new);
    assert!(
        app.db
            .store
            .group_by_lookup_key(&old)
            .await
            .unwrap()
            .is_none(),
        "the old key stops working"
    );
    assert_eq!(
        app.db
            .store
            .group_by_lookup_key(&new)
            .await
            .unwrap()
            .map(|g| g.id),
        Some(id)
    );
    let (_, html) = owner.page(&location(&response)).await;
    assert!(html.contains("The old key no longer works") && html.contains(new.as_str()));
}

async fn owners_manage_members_and_members_only_look(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let member = app.signed_up("tech@acme.example", "Technician").await;
    let outsider = app.signed_up("outsider@example.com", "Outsider").await;
    let id = create_group(&owner, "Acme", "").await;
    let key = key_of(&app, id, "cpo@acme.example").await;
    let page = format!("/groups/{id}");

    let (status, html) = owner
        .submit_page(
            &page,
            &format!("{page}/members"),
            &[("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("No account has this e-mail"));
    let added = owner
        .submit(
            &page,
            &format!("{page}/members"),
            &[("email", "TECH@acme.example")],
        )
        .await;
    assert_eq!(location(&added), format!("{page}?saved=members"));

    let (status, html) = member.page(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(key.as_str()), "members see the lookup key");
    assert!(!html.contains("Make a new lookup key"), "but no management");
    let (_, tabs) = member.page("/installations").await;
    assert!(
        tabs.contains("href=\"/groups\">User groups"),
        "members who own no group see the tab too"
    );
    assert!(
        !html.contains(&format!("{page}/details")),
        "members cannot edit the details"
    );
    assert_eq!(
        member
            .submit(&page, &format!("{page}/lookup-key"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member
            .submit(
                &page,
                &format!("{page}/members"),
                &[("email", "outsider@example.com")]
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(outsider.get(&page).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        outsider.get("/groups/12345").await.status(),
        StatusCode::NOT_FOUND
    );

    let (status, html) = owner
        .submit_page(&page, &format!("{page}/leave"), &[])
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "the last owner cannot leave");
    assert!(html.contains("The last owner cannot be removed"));
    let promoted = owner
        .submit(
            &page,
            &format!("{page}/members"),
            &[("email", "tech@acme.example"), ("owner", "true")],
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::SEE_OTHER);
    let left = owner.submit(&page, &format!("{page}/leave"), &[]).await;
    assert_eq!(location(&left), "/groups");
    assert_eq!(
        owner.get(&page).await.status(),
        StatusCode::NOT_FOUND,
        "gone on the very next request"
    );
    let (_, html) = member.page(&page).await;
    assert!(
        html.contains("Make a new lookup key"),
        "the promoted member now manages the group"
    );
}

async fn return_urls_are_checked(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let id = create_group(&owner, "Acme", "https://acme.example/a").await;
    let page = format!("/groups/{id}");
    let action = format!("{page}/return-urls");
    let (status, html) = owner
        .submit_page(
            &page,
            &action,
            &[("return_urls", "https://acme.example/b\ndata:text/html,hi")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Line 2:") && html.contains("data:text/html,hi"),
        "the refused text stays in the field"
    );
    let response = owner
        .submit(
            &page,
            &action,
            &[(
                "return_urls",
                "https://acme.example/b\n\n  http://127.0.0.1:9000/cb  ",
            )],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let owner_user = app
        .db
        .store
        .user_by_email(&Email::parse("cpo@acme.example").unwrap())
        .await
        .unwrap()
        .unwrap();
    let (group, _) = app
        .db
        .store
        .group_for(&voltgate_domain::Principal::User(owner_user.id), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        group.return_urls,
        vec!["https://acme.example/b", "http://127.0.0.1:9000/cb"]
    );
}
