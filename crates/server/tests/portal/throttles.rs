//! Throttles that hold when requests arrive together: logins per account and per address, sign-ups
//! and access-request pages per address, each answered with 429, `Retry-After` and a page in the
//! visitor's language. Small numbers, so they run in a few seconds.

use futures::future::join_all;
use reqwest::StatusCode;
use voltgate_store::Engine;

use crate::helpers::{csrf_in, spawn_app, spawn_app_with, Browser};
use crate::on_both_engines;

on_both_engines!(
    parallel_wrong_passwords_are_checked_at_most_five_times,
    parallel_logins_from_one_address_are_checked_at_most_twenty_times,
    sign_ups_are_limited_per_address,
    access_request_pages_are_limited_per_address,
);

/// Sends the same login form `n` times at once, each with its own password; answers the statuses.
async fn logins_at_once(browser: &Browser, attempts: &[(String, String)]) -> Vec<StatusCode> {
    let (_, html) = browser.page("/login").await;
    let token = csrf_in(&html);
    let sends = attempts.iter().map(|(email, password)| {
        let fields = [
            ("email", email.as_str()),
            ("password", password.as_str()),
            ("csrf", token.as_str()),
        ];
        let request = browser
            .client
            .post(format!("{}/login", browser.base))
            .form(&fields);
        async move { request.send().await.expect("POST").status() }
    });
    join_all(sends).await
}

fn tally(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn parallel_wrong_passwords_are_checked_at_most_five_times(engine: Engine) {
    let app = spawn_app(engine).await;
    app.signed_up("target@example.com", "Target").await;
    let mut attempts: Vec<(String, String)> = (0..29)
        .map(|i| ("target@example.com".into(), format!("wrong guess {i}")))
        .collect();
    attempts.push(("target@example.com".into(), "correct horse battery".into()));
    let statuses = logins_at_once(&app.browser(), &attempts).await;
    let checked = tally(&statuses, StatusCode::UNPROCESSABLE_ENTITY)
        + tally(&statuses, StatusCode::SEE_OTHER);
    assert!(checked <= 5, "at most 5 passwords checked: {statuses:?}");
    assert_eq!(
        checked + tally(&statuses, StatusCode::TOO_MANY_REQUESTS),
        30,
        "{statuses:?}"
    );
    assert_eq!(tally(&statuses, StatusCode::INTERNAL_SERVER_ERROR), 0);
}

async fn parallel_logins_from_one_address_are_checked_at_most_twenty_times(engine: Engine) {
    let app = spawn_app(engine).await;
    let attempts: Vec<(String, String)> = (0..60)
        .map(|i| (format!("victim{i}@example.com"), "guess guess guess".into()))
        .collect();
    let statuses = logins_at_once(&app.browser(), &attempts).await;
    assert_eq!(
        tally(&statuses, StatusCode::UNPROCESSABLE_ENTITY),
        20,
        "{statuses:?}"
    );
    assert_eq!(tally(&statuses, StatusCode::TOO_MANY_REQUESTS), 40);
}

async fn sign_ups_are_limited_per_address(engine: Engine) {
    let app = spawn_app_with(engine, |settings| settings.signups_per_hour = 3).await;
    let browser = app.browser();
    let (_, html) = browser.page("/signup?lang=de").await;
    let token = csrf_in(&html);
    let sends = (0..5).map(|i| {
        let email = format!("new{i}@example.com");
        let fields = [
            ("email", email),
            ("full_name", "Neu".to_string()),
            ("password", "correct horse battery".to_string()),
            ("csrf", token.clone()),
        ];
        let request = browser
            .client
            .post(format!("{}/signup", browser.base))
            .form(&fields);
        async move { request.send().await.expect("POST") }
    });
    let responses = join_all(sends).await;
    let statuses: Vec<StatusCode> = responses.iter().map(|r| r.status()).collect();
    assert_eq!(tally(&statuses, StatusCode::SEE_OTHER), 3, "{statuses:?}");
    assert_eq!(tally(&statuses, StatusCode::TOO_MANY_REQUESTS), 2);
    for response in responses {
        if response.status() != StatusCode::TOO_MANY_REQUESTS {
            continue;
        }
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((3500..=3600).contains(&retry), "{retry}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("lang=\"de\"") && html.contains("Zu viele Versuche"),
            "{html}"
        );
    }
}

async fn access_request_pages_are_limited_per_address(engine: Engine) {
    let app = spawn_app_with(engine, |settings| settings.access_requests_per_minute = 30).await;
    let prober = app.browser();
    let probes = (0..40).map(|i| {
        let key = format!("AB{:02}", i % 31)
            .replace('0', "A")
            .replace('1', "B");
        let request = prober
            .client
            .get(format!("{}/access/request/{key}", prober.base))
            .header("accept-language", "nb");
        async move { request.send().await.expect("GET") }
    });
    let responses = join_all(probes).await;
    let statuses: Vec<StatusCode> = responses.iter().map(|r| r.status()).collect();
    assert_eq!(tally(&statuses, StatusCode::NOT_FOUND), 30, "{statuses:?}");
    assert_eq!(tally(&statuses, StatusCode::TOO_MANY_REQUESTS), 10);
    let throttled = responses
        .into_iter()
        .find(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .unwrap();
    assert!(throttled.headers().contains_key("retry-after"));
    let html = throttled.text().await.unwrap();
    assert!(html.contains("For mange forsøk"), "{html}");
}
