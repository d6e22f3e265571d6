//! Sign-up, login, sessions, CSRF and login throttling.

use reqwest::StatusCode;
use voltgate_domain::Email;
use voltgate_store::Engine;

use voltgate_server::ServeSettings;

use crate::helpers::{csrf_in, location, lookup_key_in, serve, spawn_app, Browser};
use crate::on_both_engines;

on_both_engines!(
    health_answers_when_the_database_does,
    sign_up_logs_in_and_lands_on_installations,
    sign_up_refuses_bad_input_and_writes_nothing,
    login_rotates_the_session_and_logout_ends_it,
    after_login_only_local_paths_are_followed,
    pages_need_login,
    forms_without_the_session_token_are_refused,
    failed_logins_are_throttled_per_account,
    failed_logins_are_throttled_per_address,
    any_process_serves_any_session,
    cookies_are_secure_behind_https,
    anonymous_visitors_store_nothing,
    anonymous_forms_need_their_own_cookie,
);

async fn health_answers_when_the_database_does(engine: Engine) {
    let app = spawn_app(engine).await;
    let (status, body) = app.browser().page("/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
}

async fn sign_up_logs_in_and_lands_on_installations(engine: Engine) {
    let app = spawn_app(engine).await;
    let browser = app.browser();
    let login_page = browser.get("/signup").await;
    let cookie = login_page
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain-http development server: {cookie}"
    );
    let response = browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("email", "Kari@Example.no"),
                ("full_name", "Kari Nordmann"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/installations");
    let (status, html) = browser.page("/installations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Kari Nordmann"));
    assert!(html.contains("You have no installations yet"));
    let user = app
        .db
        .store
        .user_by_email(&Email::parse("kari@example.no").unwrap())
        .await
        .unwrap()
        .unwrap();
    let (_, hash, _) = app
        .db
        .store
        .credentials(&Email::parse("kari@example.no").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.email, "Kari@Example.no");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

async fn sign_up_refuses_bad_input_and_writes_nothing(engine: Engine) {
    let app = spawn_app(engine).await;
    app.signed_up("taken@example.com", "First").await;
    let long_name = "x".repeat(257);
    let long_email = format!("{}@example.com", "a".repeat(250));
    let cases: [(&str, &str, &str, &str); 7] = [
        (
            "",
            "Name",
            "correct horse battery",
            "Enter an e-mail address.",
        ),
        (
            "not-an-email",
            "Name",
            "correct horse battery",
            "This is not a valid e-mail address.",
        ),
        (
            &long_email,
            "Name",
            "correct horse battery",
            "At most 254 characters.",
        ),
        (
            "new@example.com",
            "",
            "correct horse battery",
            "This field is required.",
        ),
        (
            "new@example.com",
            &long_name,
            "correct horse battery",
            "At most 256 characters.",
        ),
        (
            "new@example.com",
            "Name",
            "short",
            "At least 10 characters.",
        ),
        (
            "TAKEN@example.com",
            "Name",
            "correct horse battery",
            "An account with this e-mail already exists.",
        ),
    ];
    for (email, name, password, message) in cases {
        let browser = app.browser();
        let (status, html) = browser
            .submit_page(
                "/signup",
                "/signup",
                &[
                    ("email", email),
                    ("full_name", name),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{email} / {name:.20} / {password}"
        );
        assert!(html.contains(message), "{message} missing for {email:.30}");
        assert!(
            !html.contains("correct horse battery"),
            "the password is never echoed"
        );
    }
    let hostile = app.browser();
    let (status, html) = hostile
        .submit_page(
            "/signup",
            "/signup",
            &[
                ("email", "x@example.com"),
                ("full_name", "<script>alert(1)</script>"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "markup is escaped"
    );
    assert!(
        html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
        "and shown as text"
    );
    assert!(app
        .db
        .store
        .user_by_email(&Email::parse("new@example.com").unwrap())
        .await
        .unwrap()
        .is_none());
    assert!(app
        .db
        .store
        .user_by_email(&Email::parse("x@example.com").unwrap())
        .await
        .unwrap()
        .is_none());
}

async fn login_rotates_the_session_and_logout_ends_it(engine: Engine) {
    let app = spawn_app(engine).await;
    app.signed_up("ola@example.com", "Ola").await;
    let browser = app.browser();
    let page = browser.get("/login").await;
    let before = page
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = csrf_in(&page.text().await.unwrap());

    let wrong = browser
        .post(
            "/login",
            &[
                ("email", "ola@example.com"),
                ("password", "wrong password!"),
                ("csrf", &token),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("The e-mail or the password is wrong."));
    let unknown = browser
        .post(
            "/login",
            &[
                ("email", "nobody@example.com"),
                ("password", "wrong password!"),
                ("csrf", &token),
            ],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("The e-mail or the password is wrong."),
        "no hint whether an account exists"
    );

    let ok = browser
        .post(
            "/login",
            &[
                ("email", "OLA@example.com"),
                ("password", "correct horse battery"),
                ("csrf", &token),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let after = ok
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(before, after, "the session id changes at login");
    assert_eq!(browser.get("/installations").await.status(), StatusCode::OK);

    let stale = browser.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(
        stale.status(),
        StatusCode::FORBIDDEN,
        "the pre-login CSRF token died with the old session"
    );
    let logout = browser.submit("/installations", "/logout", &[]).await;
    assert_eq!(location(&logout), "/login");
    let response = browser.get("/installations").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

async fn after_login_only_local_paths_are_followed(engine: Engine) {
    let app = spawn_app(engine).await;
    app.signed_up("ola@example.com", "Ola").await;
    for (next, expected) in [
        ("/installations?x=1", "/installations?x=1"),
        ("//evil.example/", "/installations"),
        ("https://evil.example/", "/installations"),
        ("/\\evil.example", "/installations"),
        ("javascript:alert(1)", "/installations"),
    ] {
        let browser = app.browser();
        let response = browser
            .submit(
                "/login",
                "/login",
                &[
                    ("email", "ola@example.com"),
                    ("password", "correct horse battery"),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), expected, "next={next}");
    }
}

async fn pages_need_login(engine: Engine) {
    let app = spawn_app(engine).await;
    let browser = app.browser();
    for path in [
        "/installations",
        "/groups",
        "/installations/00000000-0000-0000-0000-000000000000",
    ] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        let to = location(&response);
        assert!(to.starts_with("/login?next=%2F"), "{path} → {to}");
    }
    assert_eq!(location(&browser.get("/").await), "/login");
    let (status, html) = browser.page("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Not found"));
}

async fn forms_without_the_session_token_are_refused(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = app.signed_up("owner@example.com", "Owner").await;
    let other = app.signed_up("other@example.com", "Other").await;
    let (_, html) = other.page("/installations").await;
    let foreign_token = csrf_in(&html);
    for token in [None, Some(""), Some("0000"), Some(foreign_token.as_str())] {
        let mut fields = vec![
            ("name", "Sneaky"),
            ("address", ""),
            ("installation_type", "go"),
        ];
        if let Some(token) = token {
            fields.push(("csrf", token));
        }
        let response = owner.post("/installations", &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "token {token:?}");
        assert!(response.text().await.unwrap().contains("Form expired"));
    }
    let user = app
        .db
        .store
        .user_by_email(&Email::parse("owner@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.db
            .store
            .installations_for(&voltgate_domain::Principal::User(user.id))
            .await
            .unwrap()
            .is_empty(),
        "nothing was written"
    );
}

async fn failed_logins_are_throttled_per_account(engine: Engine) {
    let app = spawn_app(engine).await;
    app.signed_up("target@example.com", "Target").await;
    let attacker = app.browser();
    for attempt in 1..=5 {
        let response = attacker
            .submit(
                "/login",
                "/login",
                &[
                    ("email", "target@example.com"),
                    ("password", "guess guess guess"),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    let locked = attacker
        .submit(
            "/login",
            "/login",
            &[
                ("email", "target@example.com"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(
        locked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");

    for attempt in 1..=5 {
        let response = attacker
            .submit(
                "/login",
                "/login",
                &[
                    ("email", "ghost@example.com"),
                    ("password", "guess guess guess"),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ghost attempt {attempt}"
        );
    }
    let ghost = attacker
        .submit(
            "/login",
            "/login",
            &[
                ("email", "ghost@example.com"),
                ("password", "guess guess guess"),
            ],
        )
        .await;
    assert_eq!(
        ghost.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "unknown accounts lock the same way: no existence leak"
    );

    app.signed_up("bystander@example.com", "Bystander").await;
    let bystander = app.browser();
    let response = bystander
        .submit(
            "/login",
            "/login",
            &[
                ("email", "bystander@example.com"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "other accounts are unaffected"
    );
}

async fn failed_logins_are_throttled_per_address(engine: Engine) {
    let app = spawn_app(engine).await;
    let attacker = app.browser();
    for attempt in 0..20 {
        let email = format!("victim{attempt}@example.com");
        let response = attacker
            .submit(
                "/login",
                "/login",
                &[("email", &email), ("password", "guess guess guess")],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    let response = attacker
        .submit(
            "/login",
            "/login",
            &[
                ("email", "fresh@example.com"),
                ("password", "guess guess guess"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
}

async fn any_process_serves_any_session(engine: Engine) {
    let app = spawn_app(engine).await;
    let second = serve(ServeSettings::for_tests(&app.database_url)).await;
    let browser = app.signed_up("roamer@example.com", "Roamer").await;
    let elsewhere = Browser {
        client: browser.client.clone(),
        base: second,
    };
    let (status, html) = elsewhere.page("/installations").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the session made by one process is honoured by another"
    );
    assert!(html.contains("Roamer"));
    let response = elsewhere
        .submit(
            "/installations",
            "/installations",
            &[("name", "Made elsewhere"), ("installation_type", "go")],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "and so is its CSRF token"
    );
    let logout = elsewhere.submit("/installations", "/logout", &[]).await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        browser.get("/installations").await.status(),
        StatusCode::SEE_OTHER,
        "logging out anywhere ends it everywhere"
    );
}

async fn cookies_are_secure_behind_https(engine: Engine) {
    let app = spawn_app(engine).await;
    let mut settings = ServeSettings::for_tests(&app.database_url);
    settings.public_url = Some("https://voltgate.example".into());
    let base = serve(settings).await;
    let response = reqwest::get(format!("{base}/login")).await.unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

async fn anonymous_visitors_store_nothing(engine: Engine) {
    let app = spawn_app(engine).await;
    let partner = app.signed_up("partner@example.com", "Partner").await;
    let created = partner
        .submit("/groups", "/groups", &[("name", "Acme Charging")])
        .await;
    let (_, html) = partner.page(&location(&created)).await;
    let key = lookup_key_in(&html);
    let stored = || async { app.db.store.browser_sessions().await.unwrap() };
    let before = stored().await;
    let pages = [
        "/login".to_string(),
        "/signup".to_string(),
        "/login?lang=de".to_string(),
        format!("/access/request/{key}?partnerName=Acme&lang=nb"),
        "/access/request/ZZZZ".to_string(),
    ];
    for round in 0..200 {
        for page in &pages {
            let response = reqwest::Client::new()
                .get(format!("{}{page}", app.base))
                .send()
                .await
                .unwrap();
            assert!(
                response.status().is_success()
                    || response.status().is_redirection()
                    || response.status() == StatusCode::NOT_FOUND,
                "{page}: {}",
                response.status()
            );
            if round == 0 {
                let cookies: Vec<&str> = response
                    .headers()
                    .get_all("set-cookie")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                assert!(
                    cookies.iter().all(|c| !c.starts_with("voltgate_session")),
                    "{page}: {cookies:?}"
                );
            }
        }
    }
    assert_eq!(
        stored().await,
        before,
        "1 000 anonymous GETs stored no session"
    );
    app.signed_up("someone@example.com", "Someone").await;
    assert_eq!(stored().await, before + 1, "a login stores one");
}

async fn anonymous_forms_need_their_own_cookie(engine: Engine) {
    let app = spawn_app(engine).await;
    app.signed_up("ola@example.com", "Ola").await;
    let (victim, attacker) = (app.browser(), app.browser());
    let (_, html) = attacker.page("/login").await;
    let foreign = csrf_in(&html);
    victim.get("/login").await;
    let fields = [
        ("email", "ola@example.com"),
        ("password", "correct horse battery"),
        ("csrf", foreign.as_str()),
    ];
    let response = victim.post("/login", &fields).await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "another browser's token"
    );
    let cookieless = reqwest::Client::new()
        .post(format!("{}/login", app.base))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(
        cookieless.status(),
        StatusCode::FORBIDDEN,
        "no cookie, no form"
    );
    let own = attacker.post("/login", &fields).await;
    assert_eq!(
        own.status(),
        StatusCode::SEE_OTHER,
        "the token goes with its own cookie"
    );
}
