//! Partners over HTTP, on SQLite and PostgreSQL: a group's service accounts (client credentials), the
//! partner endpoints as owner, member, outsider and service account, and pushed access requests.

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};
use voltgate_domain::{GroupId, InstallationId};

use crate::api::{call, get, owner_revokes, token, world, World, PASSWORD};
use crate::helpers::{location, spawn_app, spawn_app_with, Browser, TestApp};

crate::on_both_engines!(
    service_accounts_act_as_their_group_until_revoked,
    partner_endpoints_answer_each_caller_by_their_relation_to_the_group,
    pushed_requests_keep_their_parameters_on_the_server_and_take_one_decision,
    service_accounts_are_rate_limited_like_people,
    pushed_requests_ask_for_something_without_revealing_installations,
);

const RETURN: &str = "https://partner.example/voltgate/done";

pub async fn logged_in(app: &TestApp, email: &str) -> Browser {
    let browser = app.browser();
    let response = browser
        .submit(
            "/login",
            "/login",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{email} logs in");
    browser
}

/// The text of the element marked `attribute` on a page.
fn marked(html: &str, attribute: &str) -> String {
    let start = html.find(attribute).expect("the page shows it") + attribute.len() + 1;
    html[start..].split('<').next().unwrap().to_owned()
}

/// Creates API credentials on the group page as its owner: (client id, secret).
pub async fn create_credentials(owner: &Browser, group: GroupId, name: &str) -> (String, String) {
    let page = format!("/groups/{group}/service-accounts");
    let response = owner.submit(&page, &page, &[("name", name)]).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    (
        marked(&html, "data-client-id"),
        marked(&html, "data-client-secret"),
    )
}

async fn token_request(
    app: &TestApp,
    fields: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .form(fields);
    if let Some((id, secret)) = basic {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        request = request.header("authorization", format!("Basic {encoded}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn service_token(app: &TestApp, id: &str, secret: &str) -> String {
    let (status, body) = token_request(
        app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("refresh_token").is_none(), "no refresh token");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn delete(app: &TestApp, token: &str, path: &str) -> StatusCode {
    reqwest::Client::new()
        .delete(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn service_accounts_act_as_their_group_until_revoked(engine: voltgate_store::Engine) {
    let World {
        app,
        installation,
        group,
        charger,
        ..
    } = world(spawn_app(engine).await).await;
    let owner = logged_in(&app, "cpo@acme.example").await;
    let (id, secret) = create_credentials(&owner, group, "Fleet sync").await;
    let (second_id, second_secret) = create_credentials(&owner, group, "Billing").await;

    // Only the group's owners manage credentials; every form needs its CSRF token.
    let member = logged_in(&app, "member@acme.example").await;
    let (status, _) = member
        .page(&format!("/groups/{group}/service-accounts"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let forged = owner
        .post(
            &format!("/groups/{group}/service-accounts"),
            &[("name", "Forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // Wrong secrets, unknown clients and no credentials: invalid_client, 401.
    for (client, wrong) in [
        (id.as_str(), "not-the-secret"),
        ("0f0e0d0c-0b0a-4908-8706-050403020100", secret.as_str()),
    ] {
        let fields = [
            ("grant_type", "client_credentials"),
            ("client_id", client),
            ("client_secret", wrong),
        ];
        let (status, body) = token_request(&app, &fields, None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client"))
        );
    }
    let (status, _) = token_request(&app, &[("grant_type", "client_credentials")], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // HTTP Basic works as well as the form.
    let (status, basic) = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{basic}");
    let basic = basic["access_token"].as_str().unwrap();
    assert_eq!(get(&app, basic, "/api/userGroups").await.0, StatusCode::OK);
    let revoked = reqwest::Client::new()
        .post(format!("{}/oauth/revoke", app.base))
        .form(&[("token", basic)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(
        get(&app, basic, "/api/userGroups").await.0,
        StatusCode::UNAUTHORIZED,
        "RFC 7009 revocation ends a service account's token"
    );
    let first = service_token(&app, &id, &secret).await;

    // It reaches the shared installation, as the group does (Maintainer), and nothing else.
    let (status, list) = get(&app, &first, "/api/installation").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["Data"].as_array().unwrap().len(), 1);
    assert_eq!(list["Data"][0]["Id"], installation.to_string());
    assert_eq!(list["Data"][0]["CurrentUserRoles"], 4);
    let (status, chargers) = get(
        &app,
        &first,
        &format!("/api/chargers?InstallationId={installation}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(chargers["Data"].as_array().unwrap().len(), 1);
    let (status, _) = call(
        &app,
        &first,
        "POST",
        &format!("/api/installation/{installation}/update"),
        Some(json!({"AvailableCurrent": 10})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the grant lets the group change settings"
    );
    let (status, _) = call(
        &app,
        &first,
        "POST",
        &format!("/api/installation/{installation}/update"),
        Some(json!({"MaxCurrent": 25})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the fuse is the owner's");
    let (status, _) = call(
        &app,
        &first,
        "POST",
        &format!("/api/chargers/{charger}/sendCommand/501"),
        None,
    )
    .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::CONFLICT),
        "a start needs a person's RFID token, never a server error: {status}"
    );
    let elsewhere = InstallationId::random();
    assert_eq!(
        get(&app, &first, &format!("/api/installation/{elsewhere}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // The change is audited as the service account of the group.
    let house_owner = logged_in(&app, "owner@example.no").await;
    let (_, audit) = house_owner
        .page(&format!("/installations/{installation}/audit"))
        .await;
    assert!(
        audit.contains("service account Fleet sync of group Acme Charging"),
        "{audit}"
    );
    // The list shows when it was last used.
    let (_, listed) = owner
        .page(&format!("/groups/{group}/service-accounts"))
        .await;
    assert!(listed.contains("Fleet sync") && listed.contains("Billing"));
    assert!(!listed.contains(&secret), "the secret is shown once only");

    // Revoking the credentials stops its token on the next call, and it gets no new one.
    let page = format!("/groups/{group}/service-accounts");
    let revoked = owner
        .submit(
            &page,
            &format!("/groups/{group}/service-accounts/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    // The very next call on the installation (the token, the credentials and the grant checked in one
    // statement), on its chargers, and on the list: refused.
    let one = format!("/api/installation/{installation}");
    let its_chargers = format!("/api/chargers?InstallationId={installation}");
    for path in [one.as_str(), its_chargers.as_str(), "/api/installation"] {
        assert_eq!(
            get(&app, &first, path).await.0,
            StatusCode::UNAUTHORIZED,
            "{path} after the credentials were revoked"
        );
    }
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    assert_eq!(
        token_request(&app, &fields, None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Revoking the grant stops the other account on the next call.
    let other = service_token(&app, &second_id, &second_secret).await;
    let path = format!("/api/installation/{installation}");
    assert_eq!(get(&app, &other, &path).await.0, StatusCode::OK);
    assert_eq!(get(&app, &other, &its_chargers).await.0, StatusCode::OK);
    owner_revokes(&app, installation, group).await;
    assert_eq!(get(&app, &other, &path).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, &other, &its_chargers).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, list) = get(&app, &other, "/api/installation").await;
    assert_eq!(list["Data"].as_array().unwrap().len(), 0);
}

async fn partner_endpoints_answer_each_caller_by_their_relation_to_the_group(
    engine: voltgate_store::Engine,
) {
    let World {
        app,
        installation,
        group,
        ..
    } = world(spawn_app(engine).await).await;
    let owner = token(&app, "cpo@acme.example").await;
    let member = token(&app, "member@acme.example").await;
    let outsider = token(&app, "outsider@example.org").await;
    let (id, secret) =
        create_credentials(&logged_in(&app, "cpo@acme.example").await, group, "Sync").await;
    let service = service_token(&app, &id, &secret).await;

    for (caller, role) in [
        (&owner, "owner"),
        (&member, "member"),
        (&service, "serviceAccount"),
    ] {
        let (status, groups) = get(&app, caller, "/api/userGroups").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(groups.as_array().unwrap().len(), 1, "{groups}");
        assert_eq!(groups[0]["Id"], group.to_string());
        assert_eq!(groups[0]["Role"], role);
        assert_eq!(groups[0]["Name"], "Acme Charging");
        assert!(groups[0]["LookupKey"]
            .as_str()
            .is_some_and(|k| !k.is_empty()));
    }
    let (_, none) = get(&app, &outsider, "/api/usergroups").await;
    assert_eq!(none, json!([]));

    let shared = format!("/api/userGroups/{group}/installations");
    for caller in [&owner, &member, &service] {
        let (status, page) = get(&app, caller, &shared).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["Pages"], 1);
        assert_eq!(page["Data"][0]["Id"], installation.to_string());
        assert_eq!(page["Data"][0]["Name"], "Garage Nord");
        assert!(page["Data"][0]["GrantedAt"].is_string());
        assert!(page["Data"][0]["Rights"].is_array());
    }
    let (status, body) = get(&app, &outsider, &shared).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.get("Data").is_none(), "no data");
    let (status, empty) = get(&app, &owner, &format!("{shared}?PageIndex=1&PageSize=1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty["Data"], json!([]));
    assert_eq!(
        get(&app, &owner, &format!("{shared}?PageSize=0")).await.0,
        StatusCode::BAD_REQUEST
    );

    // Return URLs: the group's owners only.
    let urls = format!("/api/userGroups/{group}/returnUrls");
    for caller in [&member, &service, &outsider] {
        assert_eq!(
            call(&app, caller, "POST", &urls, Some(json!({"url": RETURN})))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
    }
    let (status, listed) = call(&app, &owner, "POST", &urls, Some(json!({"Url": RETURN}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed, json!([RETURN]));
    let (status, _) = call(
        &app,
        &owner,
        "POST",
        &urls,
        Some(json!({"url": "javascript:alert(1)"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&app, &owner, &urls).await.1, json!([RETURN]));
    let remove = format!("{urls}?url={}", urlencode(RETURN));
    assert_eq!(delete(&app, &owner, &remove).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(&app, &owner, &remove).await, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, &owner, &urls).await.1, json!([]));

    // Giving access up: not members nor outsiders; the group's service account may.
    let give_up = format!("/api/userGroups/{group}/installations/{installation}");
    for caller in [&member, &outsider] {
        assert_eq!(delete(&app, caller, &give_up).await, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        delete(&app, &service, &give_up).await,
        StatusCode::NO_CONTENT
    );
    let (_, page) = get(&app, &owner, &shared).await;
    assert_eq!(page["Data"], json!([]));
    assert_eq!(
        get(&app, &member, &format!("/api/installation/{installation}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let house_owner = logged_in(&app, "owner@example.no").await;
    let (_, audit) = house_owner
        .page(&format!("/installations/{installation}/audit"))
        .await;
    assert!(audit.contains("service account Sync of group Acme Charging"));
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)]).unwrap()[2..].to_owned()
}

async fn pushed_requests_keep_their_parameters_on_the_server_and_take_one_decision(
    engine: voltgate_store::Engine,
) {
    let World {
        app,
        installation,
        group,
        ..
    } = world(spawn_app(engine).await).await;
    owner_revokes(&app, installation, group).await;
    let owner = token(&app, "cpo@acme.example").await;
    let member = token(&app, "member@acme.example").await;
    let urls = format!("/api/userGroups/{group}/returnUrls");
    call(&app, &owner, "POST", &urls, Some(json!({"url": RETURN}))).await;
    let (id, secret) =
        create_credentials(&logged_in(&app, "cpo@acme.example").await, group, "Sync").await;
    let service = service_token(&app, &id, &secret).await;
    let push = format!("/api/userGroups/{group}/accessRequests");

    let (status, body) = call(
        &app,
        &service,
        "POST",
        &push,
        Some(json!({"returnUrl": "https://evil.example/done"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["Details"].as_str().unwrap().contains("not registered"));
    for bad in [
        json!({"state": "x".repeat(513)}),
        json!({"rights": ["everything"]}),
        json!({"until": "2001-01-01T00:00:00Z"}),
    ] {
        assert_eq!(
            call(&app, &service, "POST", &push, Some(bad)).await.0,
            StatusCode::BAD_REQUEST
        );
    }
    assert_eq!(
        call(&app, &member, "POST", &push, Some(json!({}))).await.0,
        StatusCode::FORBIDDEN,
        "members do not push requests"
    );

    let state = "opaque state/with spaces & = signs é";
    let (status, pushed) = call(
        &app,
        &service,
        "POST",
        &push,
        Some(json!({
            "installationId": installation, "returnUrl": RETURN, "state": state, "lang": "en",
            "partnerName": "Acme Energy", "rights": ["controlChargers"], "until": "2999-01-01T00:00:00Z",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{pushed}");
    let request_id = pushed["Id"].as_str().unwrap().to_owned();
    let link = pushed["Link"].as_str().unwrap();
    let path = &link[app.base.len()..];
    assert!(
        path.starts_with("/access/request/") && path.ends_with(&format!("?request={request_id}"))
    );
    let status_path = format!("{push}/{request_id}");
    let (_, answer) = get(&app, &service, &status_path).await;
    assert_eq!(answer["Status"], "pending");

    // Someone who could not approve it cannot spend it on a denial either.
    let stranger = app.signed_up("stranger@example.org", "Stranger").await;
    let denied = crate::access::decide(&stranger, path, "deny", "").await;
    assert_eq!(
        denied.status(),
        StatusCode::NOT_FOUND,
        "not their installation"
    );
    let (_, answer) = get(&app, &service, &status_path).await;
    assert_eq!(answer["Status"], "pending", "still the owner's to decide");

    // Tampering with the link's query changes nothing: the stored parameters count.
    let house_owner = logged_in(&app, "owner@example.no").await;
    let tampered = format!(
        "{path}&partnerName=Evil%20Corp&returnUrl={}&installationId=nonsense",
        urlencode("https://evil.example/")
    );
    let (status, html) = house_owner.page(&tampered).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Acme Energy") && !html.contains("Evil Corp"));
    assert!(
        html.contains("partner.example"),
        "the stored return address's site"
    );
    assert!(
        html.contains(r#"value="control" checked"#)
            && !html.contains(r#"value="settings" checked"#),
        "the rights asked for are ticked, no others"
    );
    assert!(html.contains(r#"value="2999-01-01""#), "the end asked for");

    // Another group's key with this request is refused.
    let other_owner = app.signed_up("rival@example.org", "Rival").await;
    crate::groups::create_group(&other_owner, "Rival Charging", "").await;
    let (_, groups) = get(
        &app,
        &token(&app, "rival@example.org").await,
        "/api/userGroups",
    )
    .await;
    let rival_key = groups[0]["LookupKey"].as_str().unwrap();
    let (status, _) = house_owner
        .page(&format!("/access/request/{rival_key}?request={request_id}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Approval: back to the partner with state unchanged; one decision only.
    let approved = crate::access::decide(
        &house_owner,
        &tampered,
        "approve",
        &installation.to_string(),
    )
    .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let to = url::Url::parse(&location(&approved)).unwrap();
    assert!(to.as_str().starts_with(RETURN), "{to}");
    let query: Vec<(String, String)> = to.query_pairs().into_owned().collect();
    assert!(query.contains(&("state".into(), state.into())), "{query:?}");
    assert!(query.contains(&("installationId".into(), installation.to_string())));
    let (_, answer) = get(&app, &service, &status_path).await;
    assert_eq!(answer["Status"], "approved");
    assert_eq!(answer["InstallationId"], installation.to_string());
    let (_, page) = get(
        &app,
        &service,
        &format!("/api/userGroups/{group}/installations"),
    )
    .await;
    assert_eq!(page["Data"][0]["Id"], installation.to_string());
    assert_eq!(
        page["Data"][0]["Rights"],
        json!(["view", "controlChargers"]),
        "the grant gives what the request asked for"
    );
    let (status, _) = call(
        &app,
        &service,
        "POST",
        &format!("/api/installation/{installation}/update"),
        Some(json!({"AvailableCurrent": 10})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the service account holds only the rights granted"
    );
    let (status, _) = house_owner.page(path).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "decided: the link is spent"
    );

    // A denial is told as such; another group's request is not told at all.
    let (_, second) = call(
        &app,
        &owner,
        "POST",
        &push,
        Some(json!({"returnUrl": RETURN})),
    )
    .await;
    let second_path = &second["Link"].as_str().unwrap()[app.base.len()..];
    let denied = crate::access::decide(&house_owner, second_path, "deny", "").await;
    let to = location(&denied);
    assert!(
        to.starts_with(RETURN) && to.contains("success=false"),
        "{to}"
    );
    let second_status = format!("{push}/{}", second["Id"].as_str().unwrap());
    assert_eq!(
        get(&app, &owner, &second_status).await.1["Status"],
        "denied"
    );

    // A link past its 7 days is expired: told so, and the owner can no longer decide it.
    let on = voltgate_store::testing::on_group::<voltgate_domain::authz::RequestAccess>(
        app.db.store.as_ref(),
        voltgate_domain::Principal::Operator,
        group,
    )
    .await
    .unwrap();
    let long_ago = chrono::Utc::now() - chrono::Duration::days(8);
    let stale = voltgate_store::NewPushedRequest {
        installation: None,
        return_url: None,
        state: None,
        lang: None,
        partner_name: None,
        requested_rights: "view".into(),
        grant_until: None,
        created_at: long_ago,
        expires_at: voltgate_domain::pushed_request::link_expires(long_ago),
    };
    let stale = app
        .db
        .store
        .create_pushed_request(&on, &stale)
        .await
        .unwrap();
    assert_eq!(
        get(&app, &owner, &format!("{push}/{stale}")).await.1["Status"],
        "expired"
    );
    let key = path
        .trim_start_matches("/access/request/")
        .split('?')
        .next()
        .unwrap();
    let (status, _) = house_owner
        .page(&format!("/access/request/{key}?request={stale}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let rival = token(&app, "rival@example.org").await;
    let rival_group = groups[0]["Id"].as_str().unwrap();
    assert_eq!(
        get(
            &app,
            &rival,
            &format!("/api/userGroups/{rival_group}/accessRequests/{request_id}")
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
}

async fn service_accounts_are_rate_limited_like_people(engine: voltgate_store::Engine) {
    let app = spawn_app_with(engine, |s| {
        s.api_rate_per_second = 1;
        s.api_rate_burst = 3;
    })
    .await;
    let owner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let group = crate::groups::create_group(&owner, "Acme Charging", "").await;
    let (id, secret) = create_credentials(&owner, group, "Sync").await;
    let service = service_token(&app, &id, &secret).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get(&app, &service, "/api/userGroups").await.0);
    }
    assert_eq!(
        statuses[..3],
        [StatusCode::OK; 3],
        "the burst of one token: {statuses:?}"
    );
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    // The token endpoint is limited per address for client credentials too (one grant spent above).
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", "wrong"),
    ];
    let mut throttled = false;
    for _ in 0..4 {
        throttled |= token_request(&app, &fields, None).await.0 == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(throttled, "wrong secrets cannot be tried at will");
}

/// A pushed request names an installation or a return address; an installation the group cannot see
/// is taken as the owner's hint whether it exists or not, so the answer tells nothing about it.
async fn pushed_requests_ask_for_something_without_revealing_installations(
    engine: voltgate_store::Engine,
) {
    let World {
        app,
        installation,
        group,
        ..
    } = world(spawn_app(engine).await).await;
    let owner = token(&app, "cpo@acme.example").await;
    let urls = format!("/api/userGroups/{group}/returnUrls");
    call(&app, &owner, "POST", &urls, Some(json!({"url": RETURN}))).await;
    let push = format!("/api/userGroups/{group}/accessRequests");

    for nothing in [
        json!({}),
        json!({"state": "abc", "partnerName": "Acme", "lang": "en", "rights": ["view"]}),
    ] {
        let (status, body) = call(&app, &owner, "POST", &push, Some(nothing.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{nothing}");
        assert_eq!(body["Code"], 529, "{body}");
        let details = body["Details"].as_str().unwrap();
        assert!(
            details.contains("installationId") && details.contains("returnUrl"),
            "{details}"
        );
    }
    let empty = reqwest::Client::new()
        .post(format!("{}{push}", app.base))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST, "an empty body");

    let (status, body) = call(
        &app,
        &owner,
        "POST",
        &push,
        Some(json!({"installationId": installation})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "shared already: {body}");
    assert!(body["Details"]
        .as_str()
        .unwrap()
        .contains("already has access"));

    let unknown = uuid::Uuid::new_v4();
    let (unknown_status, unknown_body) = call(
        &app,
        &owner,
        "POST",
        &push,
        Some(json!({"installationId": unknown})),
    )
    .await;
    owner_revokes(&app, installation, group).await;
    let (hidden_status, hidden_body) = call(
        &app,
        &owner,
        "POST",
        &push,
        Some(json!({"installationId": installation})),
    )
    .await;
    assert_eq!(unknown_status, StatusCode::CREATED, "{unknown_body}");
    assert_eq!(
        hidden_status, unknown_status,
        "an installation the group cannot see is answered as one that does not exist"
    );
    let keys = |body: &Value| {
        let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&hidden_body), keys(&unknown_body));
}
