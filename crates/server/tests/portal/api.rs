//! The partner REST API over HTTP, on SQLite and PostgreSQL: tokens, every route as each kind of
//! caller, revocation on the very next call, case-insensitivity, paging, rate limits and audit.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use voltgate_domain::authz::{ManageGroup, ManagePermissions, ManageUsers, RevokeGrant};
use voltgate_domain::{
    authorize, ChargerId, Email, GrantAccess, GroupId, GroupRole, InstallationId, Principal, Role,
    UserId,
};
use voltgate_store::testing::on_group;
use voltgate_store::{NewChargeSession, RequestContext, StopReport};

use crate::charge_point::{with_charger, ChargePoint};
use crate::groups::create_group;
use crate::helpers::{operator, spawn_app, spawn_app_with, TestApp};

crate::on_both_engines!(
    tokens_are_granted_refreshed_revoked_and_refused,
    every_route_answers_each_caller_by_their_rights,
    revocation_takes_effect_on_the_very_next_call,
    routes_and_keys_match_in_any_case,
    paging_has_edges_and_history_totals_come_from_sql,
    api_calls_and_token_requests_are_rate_limited,
    the_account_page_lists_and_revokes_tokens,
    a_new_password_ends_every_other_session_and_token,
    logging_out_everywhere_ends_every_browser_session,
    the_charger_list_pages_in_sql,
    charger_settings_reach_the_charger_as_a_profile,
    pausing_a_charger_that_went_offline_is_refused,
    the_charger_list_says_which_chargers_are_connected,
    the_charger_list_shows_each_charger_once_by_its_connector_in_use,
);

pub const PASSWORD: &str = "correct horse battery";

/// The people around one installation with a charger: (owner, admin, user, member, outsider) e-mails.
pub struct World {
    pub app: TestApp,
    pub installation: InstallationId,
    pub charger: String,
    /// The charger's OCPP password.
    pub password: String,
    pub group: GroupId,
}

pub async fn user_id(app: &TestApp, email: &str) -> UserId {
    app.db
        .store
        .user_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The owner (owner@example.no) revokes `group`'s access to `installation`, as the Permissions tab does.
pub async fn owner_revokes(app: &TestApp, installation: InstallationId, group: GroupId) {
    let principal = Principal::User(user_id(app, "owner@example.no").await);
    let store = app.db.store.as_ref();
    let (_, on_installation) = store
        .installation_for(&principal, installation)
        .await
        .unwrap()
        .unwrap();
    let (_, on_group) = store.group_for(&principal, group).await.unwrap().unwrap();
    let revoke = authorize::<RevokeGrant>(
        &principal,
        GrantAccess {
            installation: on_installation,
            group: on_group,
        },
    )
    .unwrap();
    store.revoke_access(&revoke).await.unwrap();
}

pub async fn world(app: TestApp) -> World {
    let (_owner, installation, password, charger) = with_charger(&app, "CP-API-1").await;
    let partner = app.signed_up("cpo@acme.example", "Acme Admin").await;
    let group = create_group(&partner, "Acme Charging", "").await;
    for email in [
        "admin@example.no",
        "user@example.no",
        "member@acme.example",
        "outsider@example.org",
    ] {
        app.signed_up(email, "Someone").await;
    }
    let store = app.db.store.as_ref();
    let manage = operator::<ManageUsers>(&app.db, installation).await;
    store
        .set_installation_role(
            &manage,
            user_id(&app, "admin@example.no").await,
            Role::Admin,
        )
        .await
        .unwrap();
    store
        .set_installation_role(&manage, user_id(&app, "user@example.no").await, Role::User)
        .await
        .unwrap();
    let on_group = on_group::<ManageGroup>(store, Principal::Operator, group)
        .await
        .unwrap();
    store
        .set_group_role(
            &on_group,
            user_id(&app, "member@acme.example").await,
            GroupRole::Member,
        )
        .await
        .unwrap();
    let permissions = operator::<ManagePermissions>(&app.db, installation).await;
    store
        .grant_access(
            &permissions,
            group,
            &Default::default(),
            &RequestContext::default(),
        )
        .await
        .unwrap();
    World {
        app,
        installation,
        charger,
        password,
        group,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn grant(app: &TestApp, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = client()
        .post(format!("{}/oauth/token", app.base))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn token(app: &TestApp, email: &str) -> String {
    let (status, body) = grant(
        app,
        &[
            ("grant_type", "password"),
            ("username", email),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

pub async fn call(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let url = format!("{}{path}", app.base);
    let request = match method {
        "POST" => client().post(url).json(&body.unwrap_or(json!({}))),
        _ => client().get(url),
    };
    let response = request.bearer_auth(token).send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    call(app, token, "GET", path, None).await
}

async fn tokens_are_granted_refreshed_revoked_and_refused(engine: voltgate_store::Engine) {
    let app = spawn_app(engine).await;
    app.signed_up("kari@example.no", "Kari").await;

    let (status, body) = grant(
        &app,
        &[
            ("grant_type", "password"),
            ("username", "kari@example.no"),
            ("password", "wrong"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    let (status, body) = grant(
        &app,
        &[
            ("grant_type", "password"),
            ("username", "nobody@example.no"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, body) = grant(&app, &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (status, body) = grant(&app, &[("grant_type", "implicit")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let (status, body) = grant(&app, &[("username", "kari@example.no")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );

    let (status, first) = grant(
        &app,
        &[
            ("grant_type", "password"),
            ("username", "KARI@example.no"),
            ("password", PASSWORD),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 86_400);
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(
        get(&app, access, "/api/installation").await.0,
        StatusCode::OK
    );

    // Without a token, with a wrong one: 401 and a challenge.
    let bare = client()
        .get(format!("{}/api/installation", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert!(bare.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    assert_eq!(
        get(&app, "not-a-token", "/api/installation").await.0,
        StatusCode::UNAUTHORIZED
    );

    // Rotation: the refresh token is good once; presenting it again ends the whole family.
    let refresh = first["refresh_token"].as_str().unwrap();
    let (status, second) = grant(
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let second_access = second["access_token"].as_str().unwrap();
    assert_eq!(
        get(&app, second_access, "/api/installation").await.0,
        StatusCode::OK
    );
    let (status, reused) = grant(
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(
        get(&app, second_access, "/api/installation").await.0,
        StatusCode::UNAUTHORIZED,
        "family revoked"
    );
    assert_eq!(
        get(&app, access, "/api/installation").await.0,
        StatusCode::UNAUTHORIZED
    );

    // RFC 7009: revoked on the next call; unknown tokens are no error.
    let fresh = token(&app, "kari@example.no").await;
    let revoke = |token: String| {
        let base = app.base.clone();
        async move {
            client()
                .post(format!("{base}/oauth/revoke"))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(revoke(fresh.clone()).await, StatusCode::OK);
    assert_eq!(
        get(&app, &fresh, "/api/installation").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(revoke("never-issued".into()).await, StatusCode::OK);

    let discovery: Value = client()
        .get(format!("{}/.well-known/openid-configuration", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["token_endpoint"],
        format!("{}/oauth/token", app.base)
    );

    // The account page's "log out everywhere" ends every token.
    let kept = token(&app, "kari@example.no").await;
    let kari = user_id(&app, "kari@example.no").await;
    app.db
        .store
        .revoke_user_tokens(kari, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        get(&app, &kept, "/api/installation").await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn every_route_answers_each_caller_by_their_rights(engine: voltgate_store::Engine) {
    let w = world(spawn_app(engine).await).await;
    let (app, inst, charger) = (&w.app, w.installation, w.charger.as_str());
    let reads = [
        format!("/api/installation/{inst}"),
        format!("/api/installation/{inst}/hierarchy"),
        format!("/api/chargers?InstallationId={inst}"),
        format!("/api/chargers/{charger}"),
        format!("/api/chargers/{charger}/state"),
        format!("/api/chargerFirmware/installation/{inst}"),
        format!("/api/chargehistory?InstallationId={inst}"),
        format!("/api/sessions/archived?InstallationId={inst}"),
    ];
    // (who, roles bitmask, may change settings and control chargers, may change the fuse)
    let callers = [
        ("owner@example.no", 2, true, true),
        ("admin@example.no", 8, true, true),
        ("user@example.no", 1, false, false),
        ("member@acme.example", 4, true, false),
    ];
    for (email, roles, may_change, may_fuse) in callers {
        let t = token(app, email).await;
        for path in &reads {
            let (status, _) = get(app, &t, path).await;
            assert_eq!(status, StatusCode::OK, "{email} GET {path}");
        }
        let (_, list) = get(app, &t, "/api/installation").await;
        assert_eq!(list["Pages"], 1, "{email}: {list}");
        assert_eq!(list["Data"][0]["Id"], inst.to_string());
        assert_eq!(list["Data"][0]["CurrentUserRoles"], roles, "{email}");
        assert_eq!(list["Message"], Value::Null);
        let (_, chargers) = get(app, &t, "/api/chargers").await;
        assert_eq!(chargers["Data"][0]["Id"], charger);
        assert_eq!(chargers["Data"][0]["Name"], "CP-API-1");

        let (status, _) = call(
            app,
            &t,
            "POST",
            &format!("/api/installation/{inst}/update"),
            Some(json!({"AvailableCurrent": 20})),
        )
        .await;
        assert_eq!(
            status == StatusCode::OK,
            may_change,
            "{email} update: {status}"
        );
        let (status, _) = call(
            app,
            &t,
            "POST",
            &format!("/api/installation/{inst}/update"),
            Some(json!({"MaxCurrent": 40})),
        )
        .await;
        assert_eq!(
            status == StatusCode::OK,
            may_fuse,
            "{email} MaxCurrent: {status}"
        );
        let (status, body) = call(
            app,
            &t,
            "POST",
            &format!("/api/chargers/{charger}/sendCommand/4242"),
            None,
        )
        .await;
        if may_change {
            assert_eq!(
                (status, body["Code"].as_i64()),
                (StatusCode::BAD_REQUEST, Some(519)),
                "{email}"
            );
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{email}");
            assert_eq!(body.get("Data"), None);
        }
        // Pausing a charger that is not connected: offline comes first (520), whatever its state.
        if may_change {
            let (status, body) = call(
                app,
                &t,
                "POST",
                &format!("/api/chargers/{charger}/SendCommand/506"),
                None,
            )
            .await;
            assert_eq!(
                (status, body["Code"].as_i64()),
                (StatusCode::CONFLICT, Some(520)),
                "{email}: {body}"
            );
            // The charger is not connected: a restart cannot reach it.
            let (status, body) = call(
                app,
                &t,
                "POST",
                &format!("/api/chargers/{charger}/sendCommand/102"),
                None,
            )
            .await;
            assert_eq!(
                (status, body["Code"].as_i64()),
                (StatusCode::CONFLICT, Some(520)),
                "{email}: {body}"
            );
        }
    }

    // The outsider sees nothing and learns nothing.
    let t = token(app, "outsider@example.org").await;
    let (_, list) = get(app, &t, "/api/installation").await;
    assert_eq!(list["Data"], json!([]));
    assert_eq!(list["Pages"], 0);
    for path in &reads {
        let (status, body) = get(app, &t, path).await;
        if path.ends_with("/hierarchy") {
            assert_eq!(status, StatusCode::NO_CONTENT, "{path}");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "outsider GET {path}: {body}");
            assert!(
                body.get("Data").is_none() && body.get("Name").is_none(),
                "{body}"
            );
        }
    }
    let (status, _) = call(
        app,
        &t,
        "POST",
        &format!("/api/installation/{inst}/update"),
        Some(json!({"AvailableCurrent": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(app, &t, "/api/installation/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(app, &t, "/api/no/such/route").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let random = InstallationId::random();
    assert_eq!(
        get(app, &t, &format!("/api/installation/{random}")).await.0,
        StatusCode::FORBIDDEN,
        "unknown looks like no access"
    );

    // Every change above was audited as made through the API, naming the group for the member.
    let log = app
        .db
        .store
        .installation_audit(&operator::<ManagePermissions>(&app.db, inst).await, 100, 0)
        .await
        .unwrap();
    let through_api: Vec<_> = log.iter().filter(|e| e.detail["via"] == "api").collect();
    assert!(
        through_api.iter().any(|e| e.kind == "settings_changed"),
        "{log:#?}"
    );
    let member = user_id(app, "member@acme.example").await;
    assert!(through_api
        .iter()
        .any(|e| e.actor == Some(member) && e.kind == "settings_changed"));
    assert!(
        through_api.iter().any(|e| e.kind == "charger_command"
            && e.actor == Some(member)
            && e.group == Some(w.group)),
        "{log:#?}"
    );

    // The update rebalanced within the new values.
    let stored = app.db.store.installation(inst).await.unwrap().unwrap();
    assert_eq!(stored.settings.max_current.get(), 40.0);
}

async fn revocation_takes_effect_on_the_very_next_call(engine: voltgate_store::Engine) {
    let w = world(spawn_app(engine).await).await;
    let (app, inst, charger) = (&w.app, w.installation, w.charger.as_str());
    let t = token(app, "member@acme.example").await;
    let paths = [
        format!("/api/installation/{inst}"),
        format!("/api/chargers/{charger}"),
        format!("/api/chargers/{charger}/state"),
        format!("/api/chargers?InstallationId={inst}"),
        format!("/api/chargehistory?InstallationId={inst}"),
    ];
    // Twice each, so the server keeps its checks of the token before the revocation.
    for path in paths.iter().chain(&paths) {
        assert_eq!(get(app, &t, path).await.0, StatusCode::OK, "{path}");
    }

    // The test's own connection to the database revokes: another process's worth of store, whose
    // change the server hears of only through the database.
    owner_revokes(app, inst, w.group).await;

    let (status, body) = get(app, &t, &format!("/api/installation/{inst}/hierarchy")).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    for path in &paths {
        assert_eq!(get(app, &t, path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _) = call(
        app,
        &t,
        "POST",
        &format!("/api/chargers/{charger}/sendCommand/102"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = get(app, &t, "/api/installation").await;
    assert_eq!(list["Data"], json!([]));
}

async fn routes_and_keys_match_in_any_case(engine: voltgate_store::Engine) {
    let w = world(spawn_app(engine).await).await;
    let (app, inst) = (&w.app, w.installation);
    let t = token(app, "member@acme.example").await;
    let upper = inst.to_string().to_uppercase();
    let (status, body) = get(app, &t, &format!("/API/Installation/{upper}/Hierarchy")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Circuits"][0]["Chargers"][0]["Name"], "CP-API-1");
    let (status, body) = get(
        app,
        &t,
        &format!("/api/CHARGERS?installationid={inst}&pagesize=1"),
    )
    .await;
    assert_eq!((status, body["Pages"].as_i64()), (StatusCode::OK, Some(1)));

    for (body, expected) in [
        (json!({"availableCurrent": 10}), 10.0),
        (json!({"AVAILABLECURRENT": 12}), 12.0),
        (json!({"AvailableCurrent": 99}), 32.0),
        (json!({"availableCurrent": -1}), 32.0),
    ] {
        let (status, _) = call(
            app,
            &t,
            "POST",
            &format!("/Api/Installation/{inst}/Update"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, shown) = get(app, &t, &format!("/api/installation/{inst}")).await;
        assert_eq!(shown["AvailableCurrent"], expected, "{body}");
    }
    let (status, _) = call(app, &t, "POST", &format!("/api/installation/{inst}/update"),
        Some(json!({"availableCurrentPhase1": 10, "AvailableCurrentPhase2": 11, "availablecurrentphase3": 12}))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, shown) = get(app, &t, &format!("/api/installation/{inst}")).await;
    assert_eq!(
        (
            shown["AvailableCurrentPhase3"].as_f64(),
            shown["AvailableCurrent"].clone()
        ),
        (Some(12.0), Value::Null)
    );
    let (status, body) = call(
        app,
        &t,
        "POST",
        &format!("/api/installation/{inst}/update"),
        Some(json!({"availableCurrent": "ten"})),
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(529))
    );
    let (status, _) = call(
        app,
        &t,
        "POST",
        &format!("/api/installation/{inst}/update"),
        Some(json!({"AvailableCurrentPhase1": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let raw = client()
        .post(format!("{}/api/installation/{inst}/update", app.base))
        .bearer_auth(&t)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
}

async fn paging_has_edges_and_history_totals_come_from_sql(engine: voltgate_store::Engine) {
    let w = world(spawn_app(engine).await).await;
    let (app, inst) = (&w.app, w.installation);
    let charger: ChargerId = w.charger.parse().unwrap();
    let store = app.db.store.as_ref();
    let start = Utc::now() - Duration::days(3);
    for n in 0..7i64 {
        let at = start + Duration::hours(n);
        let transaction = store
            .start_charge_session(
                charger,
                &NewChargeSession {
                    connector_id: 1,
                    id_tag: format!("TAG{n}"),
                    user: None,
                    started_at: at,
                    meter_start: 1000 * n,
                    authorized: true,
                    received_at: at,
                },
            )
            .await
            .unwrap();
        store
            .stop_charge_session(
                charger,
                &StopReport {
                    transaction,
                    at: at + Duration::minutes(30),
                    meter_stop: 1000 * n + 2500,
                    reason: None,
                    samples: &[],
                },
            )
            .await
            .unwrap();
    }
    let t = token(app, "member@acme.example").await;
    let history = |query: String| {
        let t = t.clone();
        async move {
            get(
                app,
                &t,
                &format!("/api/chargehistory?InstallationId={inst}{query}"),
            )
            .await
        }
    };
    let (status, page) = history("&PageSize=3&PageIndex=1".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["Pages"], 3);
    assert_eq!(page["Data"].as_array().unwrap().len(), 3);
    assert_eq!(page["TotalCount"], 7);
    assert_eq!(page["TotalEnergy"].as_f64(), Some(17.5));
    assert_eq!(page["Data"][0]["Energy"].as_f64(), Some(2.5));
    assert_eq!(page["Data"][0]["TokenName"], "TAG3", "newest first");
    let (_, last) = history("&PageSize=3&PageIndex=2".into()).await;
    assert_eq!(last["Data"].as_array().unwrap().len(), 1);
    let (_, beyond) = history("&PageSize=3&PageIndex=9".into()).await;
    assert_eq!(
        (beyond["Data"].clone(), beyond["Pages"].clone()),
        (json!([]), json!(3))
    );
    for bad in [
        "&PageSize=0",
        "&PageSize=5001",
        "&PageIndex=-1",
        "&PageSize=lots",
        "&From=yesterday",
    ] {
        let (status, body) = history(bad.into()).await;
        assert_eq!(
            (status, body["Code"].as_i64()),
            (StatusCode::BAD_REQUEST, Some(529)),
            "{bad}"
        );
    }
    assert_eq!(history("&PageSize=5000".into()).await.0, StatusCode::OK);
    let (_, window) = history(format!(
        "&From={}",
        (start + Duration::hours(5)).format("%Y-%m-%dT%H:%M:%S")
    ))
    .await;
    assert_eq!(window["TotalCount"], 2);
    let (status, everywhere) = get(app, &t, "/api/chargehistory").await;
    assert_eq!(
        (status, everywhere["TotalCount"].clone()),
        (StatusCode::OK, json!(7)),
        "without InstallationId: every installation the caller may read"
    );
    let (status, _) = get(app, &t, "/api/installation?PageSize=5001").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let id = page["Data"][0]["Id"].as_str().unwrap().to_owned();
    let (status, one) = get(app, &t, &format!("/api/session/{id}")).await;
    assert_eq!(
        (status, one["Energy"].as_f64()),
        (StatusCode::OK, Some(2.5))
    );
    let outsider = token(app, "outsider@example.org").await;
    assert_eq!(
        get(app, &outsider, &format!("/api/session/{id}")).await.0,
        StatusCode::FORBIDDEN
    );

    let mut cursor = String::new();
    let mut seen = 0;
    loop {
        let (status, page) = get(
            app,
            &t,
            &format!("/api/sessions/archived?InstallationId={inst}&PageSize=4{cursor}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        seen += page["sessions"].as_array().unwrap().len();
        match page["cursor"].as_str() {
            Some(next) => {
                assert_eq!(page["hasMore"], true);
                cursor = format!("&Cursor={next}");
            }
            None => break,
        }
    }
    assert_eq!(seen, 7);
}

async fn api_calls_and_token_requests_are_rate_limited(engine: voltgate_store::Engine) {
    let app = spawn_app_with(engine, |s| {
        s.api_rate_per_second = 1;
        s.api_rate_burst = 3;
    })
    .await;
    app.signed_up("kari@example.no", "Kari").await;
    let t = token(&app, "kari@example.no").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = client()
            .get(format!("{}/api/installation", app.base))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(wait >= 1);
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    // Another token has its own allowance.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let other = token(&app, "kari@example.no").await;
    assert_eq!(
        get(&app, &other, "/api/installation").await.0,
        StatusCode::OK
    );
    // The token endpoint is limited per address (two grants spent above, one recovered).
    let mut refused = false;
    for _ in 0..4 {
        let (status, _) = grant(
            &app,
            &[
                ("grant_type", "password"),
                ("username", "kari@example.no"),
                ("password", "wrong"),
            ],
        )
        .await;
        refused |= status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(refused);
}

async fn the_account_page_lists_and_revokes_tokens(engine: voltgate_store::Engine) {
    let app = spawn_app(engine).await;
    let kari = app.signed_up("kari@example.no", "Kari").await;
    let (_, empty) = kari.page("/account").await;
    assert!(
        empty.contains("No program holds an API token of yours."),
        "{empty}"
    );
    let first = token(&app, "kari@example.no").await;
    let second = token(&app, "kari@example.no").await;
    get(&app, &first, "/api/installation").await;

    let (status, page) = kari.page("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("/revoke\"").count(), 2, "{page}");
    assert!(page.contains("127.0.0.1"), "from where");
    let (_, german) = kari.page("/account?lang=de").await;
    assert!(german.contains("API-Tokens") && german.contains("Widerrufen"));
    let (_, norwegian) = kari.page("/account?lang=nb").await;
    assert!(norwegian.contains("Trekk tilbake"));

    // A revoke form without its CSRF token changes nothing.
    let action = page
        .split("action=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|a| a.ends_with("/revoke"))
        .unwrap()
        .to_owned();
    assert_eq!(
        kari.post(&action, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    let revoked = kari.submit("/account", &action, &[]).await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    let still = [
        get(&app, &first, "/api/installation").await.0,
        get(&app, &second, "/api/installation").await.0,
    ];
    assert_eq!(
        still
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count(),
        1,
        "one of the two revoked: {still:?}"
    );

    // Someone else's family is not found.
    let other = app.signed_up("ola@example.no", "Ola").await;
    token(&app, "ola@example.no").await;
    let (_, olas) = other.page("/account").await;
    let olas_action = olas
        .split("action=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|a| a.ends_with("/revoke"))
        .unwrap()
        .to_owned();
    assert_eq!(
        kari.submit("/account", &olas_action, &[]).await.status(),
        StatusCode::NOT_FOUND
    );

    let out = kari
        .submit("/account", "/account/logout-everywhere", &[])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, &first, "/api/installation").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, &second, "/api/installation").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        kari.get("/account").await.status(),
        StatusCode::SEE_OTHER,
        "signed out here too"
    );
}

/// A second browser signed in to an existing account through the login form.
pub async fn logged_in(app: &TestApp, email: &str, password: &str) -> crate::helpers::Browser {
    let browser = app.browser();
    let response = browser
        .submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "login of {email}");
    browser
}

async fn a_new_password_ends_every_other_session_and_token(engine: voltgate_store::Engine) {
    let app = spawn_app(engine).await;
    let here = app.signed_up("kari@example.no", "Kari").await;
    let elsewhere = logged_in(&app, "kari@example.no", PASSWORD).await;
    let old_token = token(&app, "kari@example.no").await;
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let here = &here;
        async move {
            let response = here
                .submit(
                    "/account",
                    "/account/password",
                    &[
                        ("current_password", current),
                        ("new_password", new),
                        ("new_password_again", again),
                    ],
                )
                .await;
            let status = response.status();
            (status, response.text().await.unwrap())
        }
    };

    let (status, page) = change(
        "not my password",
        "a brand new passphrase",
        "a brand new passphrase",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("This is not your current password."),
        "{page}"
    );
    let (status, page) = change(PASSWORD, "a brand new passphrase", "a brand new passfrase").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("The two new passwords differ."), "{page}");
    let (status, page) = change(PASSWORD, "short", "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("At least 10 characters."), "{page}");
    // Without its CSRF token the form changes nothing.
    let forged = here
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("new_password_again", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, &old_token, "/api/installation").await.0,
        StatusCode::OK
    );
    assert_eq!(elsewhere.get("/account").await.status(), StatusCode::OK);

    let (status, _) = change(PASSWORD, "a brand new passphrase", "a brand new passphrase").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page) = here.page("/account?password=changed").await;
    assert_eq!(status, StatusCode::OK, "this session stays");
    assert!(page.contains("Your password is changed."), "{page}");
    assert_eq!(
        get(&app, &old_token, "/api/installation").await.0,
        StatusCode::UNAUTHORIZED,
        "the old token fails on its next call"
    );
    assert_eq!(
        elsewhere.get("/account").await.status(),
        StatusCode::SEE_OTHER,
        "the other browser is logged out"
    );
    let (status, _) = grant(
        &app,
        &[
            ("grant_type", "password"),
            ("username", "kari@example.no"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the old password is refused"
    );
    logged_in(&app, "kari@example.no", "a brand new passphrase").await;
    let (_, german) = here.page("/account?lang=de").await;
    assert!(german.contains("Passwort ändern"), "{german}");
    let (_, norwegian) = here.page("/account?lang=nb").await;
    assert!(norwegian.contains("Bytt passord"), "{norwegian}");

    // Guessing the current password is throttled like logging in.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            change(
                "still guessing",
                "another new passphrase",
                "another new passphrase",
            )
            .await
            .0,
        );
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(
        statuses[..4]
            .iter()
            .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
}

async fn logging_out_everywhere_ends_every_browser_session(engine: voltgate_store::Engine) {
    let app = spawn_app(engine).await;
    let here = app.signed_up("kari@example.no", "Kari").await;
    let elsewhere = logged_in(&app, "kari@example.no", PASSWORD).await;
    let someone_else = app.signed_up("ola@example.no", "Ola").await;
    let t = token(&app, "kari@example.no").await;
    let out = here
        .submit("/account", "/account/logout-everywhere", &[])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(here.get("/account").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        elsewhere.get("/account").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        get(&app, &t, "/api/installation").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        someone_else.get("/account").await.status(),
        StatusCode::OK,
        "only hers"
    );
    let again = logged_in(&app, "kari@example.no", PASSWORD).await;
    assert_eq!(
        again.get("/account").await.status(),
        StatusCode::OK,
        "a new login works"
    );
}

async fn the_charger_list_pages_in_sql(engine: voltgate_store::Engine) {
    let w = world(spawn_app(engine).await).await;
    let (app, inst) = (&w.app, w.installation);
    let manage = operator::<ManageUsers>(&app.db, inst).await;
    for n in 0..4 {
        app.db
            .store
            .create_charger(
                &manage,
                &voltgate_store::NewCharger {
                    identity: voltgate_domain::ChargePointIdentity::parse(&format!("CP-PAGE-{n}"))
                        .unwrap(),
                    name: voltgate_domain::text::Name::parse(&format!("Bay {n}")).unwrap(),
                    connectors: 2,
                    password_hash: String::new(),
                },
            )
            .await
            .unwrap();
    }
    let t = token(app, "member@acme.example").await;
    let list = |query: &'static str| {
        let t = t.clone();
        async move {
            get(
                app,
                &t,
                &format!("/api/chargers?InstallationId={inst}{query}"),
            )
            .await
        }
    };
    let (status, all) = list("").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["Pages"], 1);
    let names: Vec<&str> = all["Data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 5);
    assert_eq!(&names[..4], ["Bay 0", "Bay 1", "Bay 2", "Bay 3"], "by name");
    assert_eq!(
        all["Data"][0]["CurrentUserRoles"], 4,
        "a group member shows as Maintainer"
    );
    let (_, second) = list("&PageSize=2&PageIndex=1").await;
    assert_eq!(second["Pages"], 3);
    let second: Vec<&str> = second["Data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Name"].as_str().unwrap())
        .collect();
    assert_eq!(second, ["Bay 2", "Bay 3"]);
    let (_, last) = list("&PageSize=2&PageIndex=2").await;
    assert_eq!(last["Data"].as_array().unwrap().len(), 1);
    let (_, beyond) = list("&PageSize=2&PageIndex=7").await;
    assert_eq!(
        (beyond["Data"].clone(), beyond["Pages"].clone()),
        (json!([]), json!(3))
    );
    let (_, filtered) = list("&NameFilter=bay%202").await;
    assert_eq!(filtered["Data"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["Data"][0]["Name"], "Bay 2");
    let (status, _) = get(
        app,
        "not a token",
        &format!("/api/chargers?InstallationId={inst}"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = get(
        app,
        &t,
        &format!("/api/chargers?InstallationId={}", uuid::Uuid::new_v4()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let outsider = token(app, "outsider@example.org").await;
    let (status, body) = get(
        app,
        &outsider,
        &format!("/api/chargers?InstallationId={inst}"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.get("Data").is_none(), "no data: {body}");
    owner_revokes(app, inst, w.group).await;
    assert_eq!(
        list("").await.0,
        StatusCode::FORBIDDEN,
        "revoked on the very next call"
    );
}

async fn charger_settings_reach_the_charger_as_a_profile(engine: voltgate_store::Engine) {
    let app = spawn_app(engine).await;
    let (_owner, inst, password, charger) = with_charger(&app, "CP-UPD-1").await;
    let t = token(&app, "owner@example.no").await;
    let path = format!("/api/chargers/{charger}/update");
    for bad in [
        json!({"maxChargeCurrent": 40}),
        json!({"maxChargeCurrent": 3}),
        json!({"MaxChargeCurrent": -1}),
        json!({"maxChargePhases": 2}),
        json!({"minChargeCurrent": 16, "maxChargeCurrent": 10}),
        json!({"offlineChargeCurrent": -3}),
        json!({"offlineChargePhase": 2}),
        json!({"meterValueInterval": -5}),
        json!({"maxChargeCurrent": "lots"}),
    ] {
        let (status, body) = call(&app, &t, "POST", &path, Some(bad.clone())).await;
        assert_eq!(
            (status, body["Code"].as_i64()),
            (StatusCode::BAD_REQUEST, Some(529)),
            "{bad}: {body}"
        );
    }
    // A limit cannot reach a charger that is not connected; the offline settings are only stored.
    let (status, body) = call(
        &app,
        &t,
        "POST",
        &path,
        Some(json!({"maxChargeCurrent": 16})),
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_i64()),
        (StatusCode::CONFLICT, Some(520)),
        "{body}"
    );
    let (status, _) = call(
        &app,
        &t,
        "POST",
        &path,
        Some(json!({"offlineChargeCurrent": 10, "offlineChargePhase": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let mut cp = ChargePoint::connect(&app.base, "CP-UPD-1", &password).await;
    cp.boot().await;
    let update = call(
        &app,
        &t,
        "POST",
        &path,
        Some(json!({"maxChargeCurrent": 16, "maxChargePhases": 1, "minChargeCurrent": 6})),
    );
    let ((status, body), (action, sent)) =
        tokio::join!(update, cp.answer_next(json!({"status": "Accepted"})));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(action, "SetChargingProfile");
    assert_eq!(sent["connectorId"], 0);
    let profile = &sent["csChargingProfiles"];
    assert_eq!(profile["chargingProfilePurpose"], "ChargePointMaxProfile");
    let schedule = &profile["chargingSchedule"];
    assert_eq!(schedule["chargingRateUnit"], "A");
    assert_eq!(schedule["minChargingRate"].as_f64(), Some(6.0));
    assert_eq!(
        schedule["chargingSchedulePeriod"][0]["limit"].as_f64(),
        Some(16.0)
    );
    assert_eq!(schedule["chargingSchedulePeriod"][0]["numberPhases"], 1);

    // A later maximum keeps the phases set before; a refused profile stores nothing.
    let update = call(
        &app,
        &t,
        "POST",
        &path,
        Some(json!({"maxChargeCurrent": 10})),
    );
    let ((status, _), (_, sent)) =
        tokio::join!(update, cp.answer_next(json!({"status": "Rejected"})));
    assert_eq!(status, StatusCode::CONFLICT);
    let period = &sent["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0];
    assert_eq!(
        (period["limit"].as_f64(), period["numberPhases"].clone()),
        (Some(10.0), json!(1))
    );
    let stored = app
        .db
        .store
        .charger_settings(charger.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (
            stored.max_current,
            stored.min_current,
            stored.max_phases,
            stored.offline_current,
            stored.offline_phases
        ),
        (Some(16.0), Some(6.0), Some(1), Some(10.0), Some(1))
    );
    // The meter value interval is a configuration key.
    let update = call(
        &app,
        &t,
        "POST",
        &path,
        Some(json!({"meterValueInterval": 60})),
    );
    let ((status, _), (action, sent)) =
        tokio::join!(update, cp.answer_next(json!({"status": "Accepted"})));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            action.as_str(),
            sent["key"].as_str(),
            sent["value"].as_str()
        ),
        (
            "ChangeConfiguration",
            Some("MeterValueSampleInterval"),
            Some("60")
        )
    );

    let log = app
        .db
        .store
        .installation_audit(&operator::<ManagePermissions>(&app.db, inst).await, 100, 0)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.kind == "charger_settings_changed" && e.detail["via"] == "api"),
        "{log:#?}"
    );
    // A user of the installation may not change a charger.
    app.signed_up("user@example.no", "User").await;
    let manage = operator::<ManageUsers>(&app.db, inst).await;
    app.db
        .store
        .set_installation_role(&manage, user_id(&app, "user@example.no").await, Role::User)
        .await
        .unwrap();
    let user = token(&app, "user@example.no").await;
    let (status, _) = call(
        &app,
        &user,
        "POST",
        &path,
        Some(json!({"offlineChargePhase": 3})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Pause (and resume) are limits that would wait for the charger to come back: while it is offline the
/// API says so (409, 520) instead of answering 200 as if charging had stopped.
async fn pausing_a_charger_that_went_offline_is_refused(engine: voltgate_store::Engine) {
    let app = spawn_app(engine).await;
    let (_owner, _inst, password, charger) = with_charger(&app, "CP-OFF-1").await;
    let t = token(&app, "owner@example.no").await;
    let mut cp = ChargePoint::connect(&app.base, "CP-OFF-1", &password).await;
    cp.boot().await;
    // Online but nothing paused: refused by its state, Zaptec's 528.
    let (status, body) = call(
        &app,
        &t,
        "POST",
        &format!("/api/chargers/{charger}/sendCommand/507"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_i64()),
        (StatusCode::CONFLICT, Some(528)),
        "{body}"
    );
    let start = json!({"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": Utc::now().to_rfc3339()});
    cp.ok("StartTransaction", start).await;
    let charging = json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging"});
    cp.ok("StatusNotification", charging).await;
    drop(cp);
    let state = format!("/api/chargers/{charger}");
    let mut online = true;
    for _ in 0..100 {
        let (_, body) = get(&app, &t, &state).await;
        online = body["IsOnline"] == json!(true);
        if !online {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!online, "the server noticed the closed connection");
    let (status, body) = call(
        &app,
        &t,
        "POST",
        &format!("/api/chargers/{charger}/sendCommand/506"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_i64()),
        (StatusCode::CONFLICT, Some(520)),
        "{body}"
    );
}

/// The list's one statement says which chargers are connected (the routing table on PostgreSQL, the
/// process's connections on SQLite), with a running session's operating mode, and notices a charger
/// that went away.
async fn the_charger_list_says_which_chargers_are_connected(engine: voltgate_store::Engine) {
    let app = spawn_app(engine).await;
    let (_owner, inst, password, charger) = with_charger(&app, "CP-LIST-1").await;
    let t = token(&app, "owner@example.no").await;
    let list = format!("/api/chargers?InstallationId={inst}");
    let listed = |body: &Value| {
        body["Data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["Id"] == json!(charger))
            .cloned()
            .unwrap()
    };
    let (status, body) = get(&app, &t, &list).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(listed(&body)["IsOnline"], json!(false), "never connected");
    let mut cp = ChargePoint::connect(&app.base, "CP-LIST-1", &password).await;
    cp.boot().await;
    let start = json!({"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": Utc::now().to_rfc3339()});
    cp.ok("StartTransaction", start).await;
    let charging = json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging"});
    cp.ok("StatusNotification", charging).await;
    let (_, body) = get(&app, &t, &list).await;
    let shown = listed(&body);
    assert_eq!(shown["IsOnline"], json!(true), "{shown}");
    assert_eq!(shown["OperatingMode"], json!(3), "charging: {shown}");
    drop(cp);
    let mut online = true;
    for _ in 0..100 {
        let (_, body) = get(&app, &t, &list).await;
        online = listed(&body)["IsOnline"] == json!(true);
        if !online {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!online, "the list noticed the closed connection");
}

/// A member whose access comes through two groups sees each charger once; the list speaks of the
/// connector with a running session (here the second), paused or not, not of the first.
async fn the_charger_list_shows_each_charger_once_by_its_connector_in_use(
    engine: voltgate_store::Engine,
) {
    let w = world(spawn_app(engine).await).await;
    let (app, inst) = (&w.app, w.installation);
    let partner = app.signed_up("cpo2@acme.example", "Acme Two Admin").await;
    let second = create_group(&partner, "Acme Two", "").await;
    let store = app.db.store.as_ref();
    let on_second = on_group::<ManageGroup>(store, Principal::Operator, second)
        .await
        .unwrap();
    let member = user_id(app, "member@acme.example").await;
    store
        .set_group_role(&on_second, member, GroupRole::Member)
        .await
        .unwrap();
    let permissions = operator::<ManagePermissions>(&app.db, inst).await;
    store
        .grant_access(
            &permissions,
            second,
            &Default::default(),
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let t = token(app, "member@acme.example").await;
    let list = format!("/api/chargers?InstallationId={inst}");
    let mut cp = ChargePoint::connect(&app.base, "CP-API-1", &w.password).await;
    cp.boot().await;
    let start = json!({"connectorId": 2, "idTag": "T", "meterStart": 0, "timestamp": Utc::now().to_rfc3339()});
    cp.ok("StartTransaction", start).await;
    let charging = json!({"connectorId": 2, "errorCode": "NoError", "status": "Charging"});
    cp.ok("StatusNotification", charging).await;
    let (status, body) = get(app, &t, &list).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = body["Data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "once, though two groups grant it: {body}");
    assert_eq!(body["Pages"], 1);
    assert_eq!(data[0]["Id"], json!(w.charger));
    assert_eq!(
        data[0]["OperatingMode"],
        json!(3),
        "connector 2 charges: {body}"
    );
    assert_eq!(data[0]["CurrentUserRoles"], 4);
    let (status, one) = get(app, &t, &format!("/api/chargers/{}", w.charger)).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(
        one["OperatingMode"], data[0]["OperatingMode"],
        "the list and the charger agree"
    );
    owner_revokes(app, inst, w.group).await;
    let (status, body) = get(app, &t, &list).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the second group still grants: {body}"
    );
    assert_eq!(body["Data"].as_array().unwrap().len(), 1);
    owner_revokes(app, inst, second).await;
    assert_eq!(get(app, &t, &list).await.0, StatusCode::FORBIDDEN);
}
