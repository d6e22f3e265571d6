//! The REST API's history across installations, `GroupBy`, the installation report and the service
//! bus routes, over HTTP on SQLite and PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use voltgate_domain::authz::{ManagePermissions, ManageUsers};
use voltgate_domain::{ChargerId, UserId};
use voltgate_store::{NewChargeSession, RequestContext, StopReport};

use crate::api::{call, get, logged_in, token, user_id, world, World, PASSWORD};
use crate::charge_point::{add_charger, ChargePoint};
use crate::helpers::{operator, spawn_app, TestApp};
use crate::installations::create_installation;

crate::on_both_engines!(
    the_history_spans_every_installation_the_caller_may_read,
    group_by_puts_each_group_together,
    the_installation_report_sums_in_sql,
    messaging_details_say_streaming_is_not_offered,
    a_session_started_through_the_api_is_the_callers,
    concurrent_starts_send_one,
    the_docs_page_shows_every_operation_of_the_document,
);

/// A finished session of `minutes` that delivered `wh`.
async fn session(
    app: &TestApp,
    charger: ChargerId,
    tag: &str,
    user: Option<UserId>,
    at: DateTime<Utc>,
    minutes: i64,
    wh: i64,
) {
    let store = app.db.store.as_ref();
    let transaction = store
        .start_charge_session(
            charger,
            &NewChargeSession {
                connector_id: 1,
                id_tag: tag.to_owned(),
                user,
                started_at: at,
                meter_start: 1000,
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
                at: at + Duration::minutes(minutes),
                meter_stop: 1000 + wh,
                reason: None,
                samples: &[],
            },
        )
        .await
        .unwrap();
}

/// The world of `api.rs`, plus another person's installation ("Other Place") with a charger that
/// nobody of the world sees; answers its id and charger.
async fn with_other_installation(w: &World) -> (voltgate_domain::InstallationId, ChargerId) {
    let other = w.app.signed_up("other@example.org", "Olga Other").await;
    let installation = create_installation(&other, "Other Place", "go").await;
    let (_, charger) = add_charger(&other, installation, "CP-OTHER-1", 1).await;
    (installation, charger.parse().unwrap())
}

fn data(page: &Value) -> &Vec<Value> {
    page["Data"].as_array().expect("a Data array")
}

async fn the_history_spans_every_installation_the_caller_may_read(engine: voltgate_store::Engine) {
    let w = world(spawn_app(engine).await).await;
    let app = &w.app;
    let (other, other_charger) = with_other_installation(&w).await;
    let charger: ChargerId = w.charger.parse().unwrap();
    let kari = user_id(app, "user@example.no").await;
    let start = Utc::now() - Duration::days(2);
    for n in 0..5 {
        let user = (n % 2 == 0).then_some(kari);
        session(
            app,
            charger,
            &format!("A{n}"),
            user,
            start + Duration::hours(n),
            30,
            1000,
        )
        .await;
    }
    for n in 0..3 {
        session(
            app,
            other_charger,
            &format!("B{n}"),
            None,
            start + Duration::minutes(10 + 60 * n),
            30,
            2000,
        )
        .await;
    }

    // A member sees the one installation their group was given, counted in SQL.
    let member = token(app, "member@acme.example").await;
    let (status, page) = get(app, &member, "/api/chargehistory").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        (page["TotalCount"].clone(), page["Pages"].clone()),
        (json!(5), json!(1))
    );
    assert!(data(&page)
        .iter()
        .all(|s| s["TokenName"].as_str().unwrap().starts_with('A')));
    assert_eq!(data(&page)[0]["DeviceId"], "CP-API-1");

    // Once the other owner's installation is shared with the group too, it spans both.
    let permissions = operator::<ManagePermissions>(&app.db, other).await;
    app.db
        .store
        .grant_access(
            &permissions,
            w.group,
            &Default::default(),
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let (_, page) = get(app, &member, "/api/chargehistory?PageSize=3").await;
    assert_eq!(
        (page["TotalCount"].clone(), page["Pages"].clone()),
        (json!(8), json!(3))
    );
    assert_eq!(page["TotalEnergy"].as_f64(), Some(11.0));
    let mut seen = Vec::new();
    for index in 0..3 {
        let (_, page) = get(
            app,
            &member,
            &format!("/api/chargehistory?PageSize=3&PageIndex={index}"),
        )
        .await;
        seen.extend(
            data(&page)
                .iter()
                .map(|s| s["TokenName"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(
        seen,
        ["A4", "A3", "B2", "A2", "B1", "A1", "B0", "A0"],
        "newest first across both"
    );
    let (_, page) = get(
        app,
        &member,
        "/api/chargehistory?PageSize=3&PageIndex=9223372036854775807",
    )
    .await;
    assert_eq!(
        (data(&page).len(), page["TotalCount"].clone()),
        (0, json!(8))
    );

    // UserId alone: that user's sessions wherever the caller may read.
    let (_, page) = get(app, &member, &format!("/api/chargehistory?userid={kari}")).await;
    assert_eq!(page["TotalCount"], 3);
    assert!(data(&page).iter().all(|s| s["UserId"] == json!(kari)));
    assert_eq!(data(&page)[0]["UserFullName"], "Someone");

    // The owner of the other installation sees only theirs; someone with nothing sees nothing.
    let olga = token(app, "other@example.org").await;
    let (_, page) = get(app, &olga, "/api/chargehistory").await;
    assert_eq!(page["TotalCount"], 3);
    let outsider = token(app, "outsider@example.org").await;
    let (status, page) = get(app, &outsider, "/api/chargehistory").await;
    assert_eq!(
        (status, page["TotalCount"].clone(), page["Data"].clone()),
        (StatusCode::OK, json!(0), json!([]))
    );
    let (_, page) = get(app, &outsider, &format!("/api/chargehistory?UserId={kari}")).await;
    assert_eq!(page["TotalCount"], 0, "a user id opens nothing");
    // Naming an installation or charger one may not read is a 403 without data.
    let inst = w.installation;
    for path in [
        format!("/api/chargehistory?InstallationId={inst}"),
        format!("/api/chargehistory?ChargerId={charger}"),
    ] {
        let (status, body) = get(app, &outsider, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(body.get("Data").is_none(), "{body}");
    }

    // Client mistakes are 400 with code 529, never a 500.
    let from = (start + Duration::hours(3)).format("%Y-%m-%dT%H:%M:%S");
    let to = (start + Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S");
    for bad in [
        format!("From={from}&To={to}"),
        format!("From={from}&To={from}"),
        "InstallationId=%00".to_owned(),
        "UserId=%00".to_owned(),
        "From=2026-01-01%00".to_owned(),
        "GroupBy=7".to_owned(),
        "GroupBy=%00".to_owned(),
        "GroupBy=-1".to_owned(),
        "PageSize=5001".to_owned(),
        "PageSize=99999999999999999999".to_owned(),
    ] {
        let (status, body) = get(app, &member, &format!("/api/chargehistory?{bad}")).await;
        assert_eq!(
            (status, body["Code"].as_i64()),
            (StatusCode::BAD_REQUEST, Some(529)),
            "{bad}: {body}"
        );
    }
    let (status, page) = get(
        app,
        &member,
        &format!("/api/chargehistory?From={to}&To={from}"),
    )
    .await;
    assert_eq!(
        (status, page["TotalCount"].clone()),
        (StatusCode::OK, json!(4))
    );
}

/// Whether every value appears in one unbroken run.
fn in_runs(values: &[String]) -> bool {
    let mut finished: Vec<&String> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        if i > 0 && values[i - 1] != *value {
            if finished.contains(&value) {
                return false;
            }
            finished.push(&values[i - 1]);
        }
    }
    true
}

async fn group_by_puts_each_group_together(engine: voltgate_store::Engine) {
    let w = world(spawn_app(engine).await).await;
    let app = &w.app;
    let first: ChargerId = w.charger.parse().unwrap();
    // The owner adds a second charger, "AAA" (before "CP-API-1" by name).
    let owner = logged_in(app, "owner@example.no", PASSWORD).await;
    let (_, second) = add_charger(&owner, w.installation, "AAA", 1).await;
    let second: ChargerId = second.parse().unwrap();
    let kari = user_id(app, "user@example.no").await;
    let admin = user_id(app, "admin@example.no").await;
    let start = Utc::now() - Duration::days(1);
    let plan = [
        (first, Some(kari)),
        (second, Some(admin)),
        (first, None),
        (second, Some(kari)),
        (first, Some(admin)),
        (second, None),
    ];
    for (n, (charger, user)) in plan.iter().enumerate() {
        session(
            app,
            *charger,
            &format!("T{n}"),
            *user,
            start + Duration::hours(n as i64),
            20,
            500,
        )
        .await;
    }
    let t = token(app, "member@acme.example").await;
    let inst = w.installation;
    let list = |group: &'static str| {
        let t = t.clone();
        async move {
            let (status, page) = get(
                app,
                &t,
                &format!("/api/chargehistory?InstallationId={inst}&GroupBy={group}"),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{group}: {page}");
            data(&page).clone()
        }
    };
    let tokens = |rows: &[Value]| {
        rows.iter()
            .map(|s| s["TokenName"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    let by_charger = list("0").await;
    assert_eq!(
        tokens(&by_charger),
        ["T5", "T3", "T1", "T4", "T2", "T0"],
        "AAA first, newest first inside"
    );
    assert_eq!(tokens(&list("Charger").await), tokens(&by_charger));
    let by_day = list("1").await;
    assert_eq!(tokens(&by_day), ["T5", "T4", "T3", "T2", "T1", "T0"]);
    let by_user = list("2").await;
    let users: Vec<String> = by_user.iter().map(|s| s["UserId"].to_string()).collect();
    assert!(in_runs(&users), "{users:?}");
    assert_eq!(
        by_user.last().unwrap()["UserId"],
        Value::Null,
        "unknown tokens last"
    );
    assert_eq!(tokens(&by_user[4..]), ["T5", "T2"]);
    // Without GroupBy: newest first, as before.
    let (_, page) = get(
        app,
        &t,
        &format!("/api/chargehistory?InstallationId={inst}"),
    )
    .await;
    assert_eq!(tokens(data(&page)), ["T5", "T4", "T3", "T2", "T1", "T0"]);
    // Paging keeps the grouped order.
    let (_, second_page) = get(
        app,
        &t,
        &format!("/api/chargehistory?InstallationId={inst}&GroupBy=0&PageSize=4&PageIndex=1"),
    )
    .await;
    assert_eq!(tokens(data(&second_page)), ["T2", "T0"]);
}

async fn the_installation_report_sums_in_sql(engine: voltgate_store::Engine) {
    let w = world(spawn_app(engine).await).await;
    let app = &w.app;
    let (other, other_charger) = with_other_installation(&w).await;
    let charger: ChargerId = w.charger.parse().unwrap();
    let kari = user_id(app, "user@example.no").await;
    let admin = user_id(app, "admin@example.no").await;
    // Europe/Oslo (the default zone) is UTC+2 in June: 23:30 UTC on the 10th is the 11th there.
    let day = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 6, d, h, m, 0).unwrap();
    session(app, charger, "KARI-1", Some(kari), day(10, 8, 0), 90, 4000).await;
    session(
        app,
        charger,
        "KARI-2",
        Some(kari),
        day(10, 23, 30),
        30,
        1500,
    )
    .await;
    session(
        app,
        charger,
        "ADMIN-1",
        Some(admin),
        day(12, 9, 0),
        60,
        2500,
    )
    .await;
    session(app, charger, "LOOSE", None, day(12, 12, 0), 15, 500).await;
    session(app, charger, "BEFORE", Some(kari), day(1, 12, 0), 60, 9000).await;
    session(
        app,
        other_charger,
        "ELSEWHERE",
        None,
        day(10, 8, 0),
        60,
        7000,
    )
    .await;

    let inst = w.installation;
    let t = token(app, "member@acme.example").await;
    let report = |body: Value| {
        let t = t.clone();
        async move {
            call(
                app,
                &t,
                "POST",
                "/api/chargehistory/installationreport",
                Some(body),
            )
            .await
        }
    };
    let window = json!({"fromDate": "2026-06-05T00:00:00", "endDate": "2026-07-01T00:00:00", "installationId": inst});
    let with = |extra: Value| {
        let mut body = window.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };

    // By user (Zaptec's default, 0), as Zaptec's report clients read it.
    let (status, r) = report(window.clone()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["InstallationName"].clone(), r["GroupedBy"].clone()),
        (json!("Garage Nord"), json!("User"))
    );
    assert_eq!(
        (r["Fromdate"].clone(), r["Enddate"].clone()),
        (
            json!("2026-06-05T00:00:00.000"),
            json!("2026-07-01T00:00:00.000")
        )
    );
    assert_eq!(r["InstallationTimeZone"], "Europe/Oslo");
    let lines = r["totalUserChargerReportModel"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{r}");
    let kari_line = lines
        .iter()
        .find(|l| l["UserDetails"]["Id"] == json!(kari))
        .unwrap();
    assert_eq!(kari_line["TotalChargeSessionCount"], 2);
    assert_eq!(kari_line["TotalChargeSessionEnergy"].as_f64(), Some(5.5));
    assert_eq!(kari_line["TotalChargeSessionDuration"].as_f64(), Some(2.0));
    assert_eq!(kari_line["UserDetails"]["Email"], "user@example.no");
    assert_eq!(lines.last().unwrap()["GroupAsString"], "Unknown user");
    assert_eq!(
        lines.last().unwrap()["TotalChargeSessionEnergy"].as_f64(),
        Some(0.5)
    );

    // By charger (1), by token (2), by day (3, in the installation's zone).
    let (_, r) = report(with(json!({"groupBy": 1}))).await;
    let lines = r["totalUserChargerReportModel"].as_array().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (
            lines[0]["GroupAsString"].clone(),
            lines[0]["ChargerId"].clone()
        ),
        (json!("CP-API-1"), json!(charger))
    );
    assert_eq!(lines[0]["TotalChargeSessionCount"], 4);
    assert_eq!(lines[0]["TotalChargeSessionEnergy"].as_f64(), Some(8.5));
    assert_eq!(lines[0]["TotalChargeSessionDuration"].as_f64(), Some(3.25));
    let (_, r) = report(with(json!({"GroupBy": "ChargeCardName"}))).await;
    let names: Vec<&str> = r["totalUserChargerReportModel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["GroupAsString"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ADMIN-1", "KARI-1", "KARI-2", "LOOSE"]);
    let (status, r) = report(with(json!({"groupBy": 3}))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let days: Vec<(String, i64)> = r["totalUserChargerReportModel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["GroupAsString"].as_str().unwrap().to_owned(),
                l["TotalChargeSessionCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-06-10".to_owned(), 1),
            ("2026-06-11".to_owned(), 1),
            ("2026-06-12".to_owned(), 2)
        ]
    );

    // Filters: users and chargers, as a JSON array or as repeated query keys.
    let (_, r) = report(with(json!({"userIds": [admin, kari], "groupBy": 1}))).await;
    assert_eq!(
        r["totalUserChargerReportModel"][0]["TotalChargeSessionCount"],
        3
    );
    let (status, r) = get(
        app,
        &t,
        &format!("/api/chargehistory/installationreport?InstallationId={inst}&FromDate=2026-06-05&EndDate=2026-07-01&UserIds={admin}&UserIds={kari}&GroupBy=1"),
    )
    .await;
    assert_eq!(
        (
            status,
            r["totalUserChargerReportModel"][0]["TotalChargeSessionCount"].clone()
        ),
        (StatusCode::OK, json!(3))
    );
    let (_, r) = report(with(json!({"chargerIds": [other_charger]}))).await;
    assert_eq!(
        r["totalUserChargerReportModel"],
        json!([]),
        "another installation's charger adds nothing"
    );
    // Without a window, every ended session of the installation.
    let (_, r) = report(json!({"InstallationId": inst, "GroupBy": 1})).await;
    assert_eq!(
        r["totalUserChargerReportModel"][0]["TotalChargeSessionCount"],
        5
    );

    // Who may not read the installation's history gets a 403 without data.
    for who in ["outsider@example.org", "other@example.org"] {
        let t = token(app, who).await;
        let (status, body) = call(
            app,
            &t,
            "POST",
            "/api/chargehistory/installationreport",
            Some(window.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        assert!(body.get("totalUserChargerReportModel").is_none());
    }
    let olga = token(app, "other@example.org").await;
    let (status, r) = call(
        app,
        &olga,
        "POST",
        "/api/chargehistory/installationreport",
        Some(json!({"installationId": other})),
    )
    .await;
    assert_eq!(
        (
            status,
            r["totalUserChargerReportModel"][0]["TotalChargeSessionEnergy"].as_f64()
        ),
        (StatusCode::OK, Some(7.0))
    );

    // Mistakes are 400 with code 529.
    for bad in [
        json!({}),
        json!({"installationId": "nope"}),
        json!({"installationId": "\u{0}"}),
        with(json!({"groupBy": 9})),
        with(json!({"groupBy": "\u{0}"})),
        with(json!({"groupBy": [1]})),
        with(json!({"fromDate": "2026-07-01", "endDate": "2026-06-01"})),
        with(json!({"fromDate": "tomorrow"})),
        with(json!({"userIds": ["x"]})),
        with(json!({"userIds": "not a list"})),
        json!({"installationId": inst, "groupBy": 3}),
        with(json!({"groupBy": 3, "fromDate": "2020-01-01"})),
    ] {
        let (status, body) = report(bad.clone()).await;
        assert_eq!(
            (status, body["Code"].as_i64()),
            (StatusCode::BAD_REQUEST, Some(529)),
            "{bad}: {body}"
        );
    }
    for bad in [
        "",
        "InstallationId=%00",
        &format!("InstallationId={inst}&ChargerIds=%00"),
        &format!("InstallationId={inst}&GroupBy=x"),
    ] {
        let (status, body) = get(
            app,
            &t,
            &format!("/api/chargehistory/installationreport?{bad}"),
        )
        .await;
        assert_eq!(
            (status, body["Code"].as_i64()),
            (StatusCode::BAD_REQUEST, Some(529)),
            "{bad}: {body}"
        );
    }
}

async fn messaging_details_say_streaming_is_not_offered(engine: voltgate_store::Engine) {
    let w = world(spawn_app(engine).await).await;
    let app = &w.app;
    let (inst, group) = (w.installation, w.group);
    let paths = [
        format!("/api/installation/{inst}/messagingConnectionDetails"),
        format!("/api/userGroups/{group}/messagingConnectionDetails"),
        format!("/api/USERGROUPS/{group}/MessagingConnectionDetails"),
    ];
    let member = token(app, "member@acme.example").await;
    for path in &paths {
        let (status, body) = get(app, &member, path).await;
        assert_eq!(
            (status, body["Code"].as_i64()),
            (StatusCode::FORBIDDEN, Some(526)),
            "{path}: {body}"
        );
        assert!(body["Details"].as_str().unwrap().contains("service bus"));
    }
    let owner = token(app, "owner@example.no").await;
    let (status, body) = get(app, &owner, &paths[0]).await;
    assert_eq!(
        (status, body["Code"].as_i64()),
        (StatusCode::FORBIDDEN, Some(526))
    );
    // Not a member of the group, no relation to the installation: the plain 403.
    let outsider = token(app, "outsider@example.org").await;
    for path in &paths {
        let (status, body) = get(app, &outsider, path).await;
        assert_eq!(
            (status, body["Code"].as_i64()),
            (StatusCode::FORBIDDEN, Some(533)),
            "{path}: {body}"
        );
    }
    let (status, body) = get(app, &owner, &paths[1]).await;
    assert_eq!(
        (status, body["Code"].as_i64()),
        (StatusCode::FORBIDDEN, Some(533)),
        "the owner is no member of the group"
    );
    let (status, _) = get(
        app,
        &member,
        "/api/installation/not-an-id/messagingConnectionDetails",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = reqwest::Client::new()
        .get(format!("{}{}", app.base, paths[0]))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// `sendCommand/501` as `who`, answered by the charge point: the idTag its RemoteStartTransaction
/// carried, after the charger started and stopped a session with it.
async fn start_through_api(
    app: &TestApp,
    cp: &mut ChargePoint,
    charger: &str,
    who: &str,
) -> String {
    let preparing = json!({"connectorId": 1, "errorCode": "NoError", "status": "Preparing"});
    cp.ok("StatusNotification", preparing).await;
    let t = token(app, who).await;
    let (base, path) = (
        app.base.clone(),
        format!("/api/chargers/{charger}/sendCommand/501"),
    );
    let sent = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{base}{path}"))
            .bearer_auth(t)
            .send()
            .await
            .unwrap()
            .status()
    });
    let tag = loop {
        let frame = cp.receive().await;
        if frame[0] == 2 && cp.answer_balancing(&frame).await {
            continue;
        }
        assert_eq!(frame[2], "RemoteStartTransaction", "{frame}");
        cp.send_text(json!([3, frame[1], {"status": "Accepted"}]).to_string())
            .await;
        break frame[3]["idTag"].as_str().unwrap().to_owned();
    };
    assert_eq!(sent.await.unwrap(), StatusCode::OK);
    let now = Utc::now();
    let started = cp
        .ok(
            "StartTransaction",
            json!({"connectorId": 1, "idTag": tag, "meterStart": 0, "timestamp": now.to_rfc3339()}),
        )
        .await;
    assert_eq!(
        started["idTagInfo"]["status"], "Accepted",
        "the caller's tag is accepted: {started}"
    );
    let transaction = started["transactionId"].clone();
    cp.ok(
        "StopTransaction",
        json!({"transactionId": transaction, "meterStop": 1200, "timestamp": (now + Duration::minutes(5)).to_rfc3339()}),
    )
    .await;
    let available = json!({"connectorId": 1, "errorCode": "NoError", "status": "Available"});
    cp.ok("StatusNotification", available).await;
    tag
}

async fn a_session_started_through_the_api_is_the_callers(engine: voltgate_store::Engine) {
    let w = world(spawn_app(engine).await).await;
    let app = &w.app;
    let mut cp = ChargePoint::connect(&app.base, "CP-API-1", &w.password).await;
    cp.boot().await;

    // A member without an RFID token on the installation: one is made for them, and kept.
    let tag = start_through_api(app, &mut cp, &w.charger, "member@acme.example").await;
    assert!(tag.starts_with("API-") && tag.len() <= 20, "{tag}");
    let again = start_through_api(app, &mut cp, &w.charger, "member@acme.example").await;
    assert_eq!(again, tag, "the same token every time");
    // An admin with a token of their own starts with it.
    let admin = user_id(app, "admin@example.no").await;
    let manage = operator::<ManageUsers>(&app.db, w.installation).await;
    app.db
        .store
        .add_id_tag(&manage, "ADMIN-CARD", admin)
        .await
        .unwrap();
    let admins = start_through_api(app, &mut cp, &w.charger, "admin@example.no").await;
    assert_eq!(admins, "ADMIN-CARD");

    let member = user_id(app, "member@acme.example").await;
    let owner = token(app, "owner@example.no").await;
    let (_, page) = get(
        app,
        &owner,
        &format!("/api/chargehistory?InstallationId={}", w.installation),
    )
    .await;
    let rows = data(&page);
    assert_eq!(rows.len(), 3, "{page}");
    assert_eq!(
        (rows[0]["TokenName"].clone(), rows[0]["UserEmail"].clone()),
        (json!("ADMIN-CARD"), json!("admin@example.no"))
    );
    for row in &rows[1..] {
        assert_eq!(row["TokenName"], json!(tag));
        assert_eq!(
            (row["UserId"].clone(), row["UserEmail"].clone()),
            (json!(member), json!("member@acme.example"))
        );
        assert_eq!(row["UserFullName"], "Someone");
    }
    let id = rows[1]["Id"].as_str().unwrap();
    let (status, _) = get(app, &owner, &format!("/api/session/{id}")).await;
    assert_eq!(status, StatusCode::OK);
}

/// The anchor the docs page gives an operation: `op-get-api-chargers-id`.
fn anchor(method: &str, path: &str) -> String {
    let slug: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let parts: Vec<&str> = slug.split('-').filter(|p| !p.is_empty()).collect();
    format!("op-{method}-{}", parts.join("-"))
}

async fn the_docs_page_shows_every_operation_of_the_document(engine: voltgate_store::Engine) {
    let app = spawn_app(engine).await;
    let client = reqwest::Client::new();
    let doc: Value = client
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let page = client
        .get(format!("{}/api/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    std::fs::write(std::env::temp_dir().join("voltgate-api-docs.html"), &html).ok();
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let upper = method.to_ascii_uppercase();
            let id = anchor(method, path);
            let start = html
                .find(&format!("<section id=\"{id}\""))
                .unwrap_or_else(|| panic!("{upper} {path} has a section"));
            let section = &html[start..start + html[start..].find("</section>").unwrap()];
            assert!(
                section.contains(&format!(
                    "<h2 id=\"{id}-title\"><code>{upper} {}</code></h2>",
                    escape(path)
                )),
                "{section}"
            );
            assert!(
                html.contains(&format!("href=\"#{id}\"")),
                "{upper} {path} is in the contents"
            );
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                assert!(
                    section.contains(&format!("<td><code>{}</code></td>", escape(name))),
                    "{upper} {path}: parameter {name}"
                );
            }
            for status in operation["responses"].as_object().unwrap().keys() {
                assert!(
                    section.contains(&format!("<tr><td>{status}</td>")),
                    "{upper} {path}: answer {status}"
                );
            }
            let example_path = path.split('{').next().unwrap();
            assert!(
                section.contains(&format!(
                    "curl -X {upper} &quot;$VOLTGATE{}",
                    escape(example_path)
                )),
                "{upper} {path}: {section}"
            );
            let authorized = section.contains("Authorization: Bearer $TOKEN");
            assert_eq!(
                authorized,
                operation.get("security").is_some(),
                "{upper} {path}: token in the example as the document says"
            );
            if operation.get("requestBody").is_some() {
                assert!(
                    !section.contains("<h3>Request body</h3><p>None.</p>"),
                    "{upper} {path} shows its body"
                );
            }
        }
    }
    assert!(operations >= 20, "{operations}");
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(
            html.contains(&format!("<h3 id=\"schema-{name}\">{name}</h3>")),
            "schema {name}"
        );
    }
    // Every schema a page links to exists on it.
    for link in html.split("href=\"#schema-").skip(1) {
        let name = link.split('"').next().unwrap();
        assert!(
            html.contains(&format!("id=\"schema-{name}\"")),
            "a link to schema {name} leads somewhere"
        );
    }
    assert!(html.starts_with("<!doctype html><html lang=\"en\">"));
    assert_eq!(html.matches("<h1>").count(), 1);
    assert!(!html.contains("<script"), "rendered on the server");
    assert!(html.contains("<th scope=\"col\">Name</th>"));
    let report = anchor("post", "/api/chargehistory/installationreport");
    let start = html.find(&format!("<section id=\"{report}\"")).unwrap();
    assert!(
        html[start..].contains("<td><code>GroupBy</code></td>"),
        "the report's body fields are listed"
    );
}

/// Starts asked at once for one waiting car send one RemoteStartTransaction; the others are told a
/// start is on its way (409, 528). Once the session is reported, a later start is checked as usual.
async fn concurrent_starts_send_one(engine: voltgate_store::Engine) {
    let w = world(spawn_app(engine).await).await;
    let app = &w.app;
    let mut cp = ChargePoint::connect(&app.base, "CP-API-1", &w.password).await;
    cp.boot().await;
    let preparing = json!({"connectorId": 1, "errorCode": "NoError", "status": "Preparing"});
    cp.ok("StatusNotification", preparing).await;
    let t = token(app, "member@acme.example").await;
    let mut asked = Vec::new();
    for _ in 0..6 {
        let (base, t) = (app.base.clone(), t.clone());
        let path = format!("/api/chargers/{}/sendCommand/501", w.charger);
        asked.push(tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(format!("{base}{path}"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }));
    }
    let mut starts = 0;
    while let Ok(frame) =
        tokio::time::timeout(std::time::Duration::from_secs(2), cp.receive()).await
    {
        if frame[0] == 2 && cp.answer_balancing(&frame).await {
            continue;
        }
        assert_eq!(frame[2], "RemoteStartTransaction", "{frame}");
        starts += 1;
        cp.send_text(json!([3, frame[1], {"status": "Accepted"}]).to_string())
            .await;
    }
    let mut answers = Vec::new();
    for one in asked {
        answers.push(one.await.unwrap());
    }
    assert_eq!(starts, 1, "one RemoteStartTransaction: {answers:?}");
    let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(ok, 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert_eq!(
            (*status, body["Code"].as_i64()),
            (StatusCode::CONFLICT, Some(528)),
            "{body}"
        );
    }
}
