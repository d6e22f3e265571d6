//! Charging history counted in SQL, the installation's time zone, and the charts, through HTTP.

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::StatusCode;
use voltgate_domain::chart::last_hours;
use voltgate_domain::{ChargerId, Email, InstallationId, UserId, Zone};
use voltgate_store::{Engine, MeterReading, NewChargeSession, StopReport};

use crate::charge_point::with_charger;
use crate::helpers::{location, spawn_app, TestApp};
use crate::on_both_engines;

on_both_engines!(
    totals_cover_every_session_while_a_page_shows_fifty,
    dates_given_backwards_are_explained,
    the_time_zone_is_chosen_checked_and_used,
    rows_say_who_charged_how_long_and_what_is_charging_now,
    the_overview_charts_energy_per_day_and_power_per_hour,
);

/// Starts (and, with `stop`, stops) a session directly in the store.
async fn session(
    app: &TestApp,
    charger: ChargerId,
    started_at: DateTime<Utc>,
    wh: i64,
    user: Option<UserId>,
    tag: &str,
    stop: Option<DateTime<Utc>>,
) -> i32 {
    let new = NewChargeSession {
        connector_id: 1,
        id_tag: tag.into(),
        user,
        started_at,
        meter_start: 1000,
        authorized: true,
        received_at: started_at,
    };
    let id = app
        .db
        .store
        .start_charge_session(charger, &new)
        .await
        .unwrap();
    if let Some(at) = stop {
        let report = StopReport {
            transaction: id,
            at,
            meter_stop: 1000 + wh,
            reason: None,
            samples: &[],
        };
        app.db
            .store
            .stop_charge_session(charger, &report)
            .await
            .unwrap();
    }
    id
}

fn rows_in(html: &str) -> usize {
    html.split("<table class=\"stack\">")
        .nth(1)
        .and_then(|t| t.split("<tbody>").nth(1))
        .map_or(0, |body| {
            body.split("</tbody>")
                .next()
                .unwrap_or_default()
                .matches("<tr>")
                .count()
        })
}

async fn totals_cover_every_session_while_a_page_shows_fifty(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, _, charger) = with_charger(&app, "CP-H").await;
    let charger: ChargerId = charger.parse().unwrap();
    let first = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    for i in 0..120 {
        let at = first + Duration::hours(i);
        session(
            &app,
            charger,
            at,
            (i + 1) * 100,
            None,
            "TAG",
            Some(at + Duration::minutes(30)),
        )
        .await;
    }
    let history = format!("/installations/{installation}/history");
    let (status, html) = owner.page(&history).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("120 charging sessions · 726.0 kWh in all · page 1 of 3"),
        "totals of all 120, not of the page"
    );
    assert_eq!(rows_in(&html), 50);
    let (_, last) = owner.page(&format!("{history}?page=3")).await;
    assert_eq!(rows_in(&last), 20);
    assert!(last.contains("120 charging sessions · 726.0 kWh in all · page 3 of 3"));

    // 3 November in Oslo is 2 Nov 23:00 to 3 Nov 23:00 UTC: sessions 47..=70.
    let (_, day) = owner
        .page(&format!("{history}?from=2026-11-03&to=2026-11-03&lang=de"))
        .await;
    assert!(
        day.contains("24 Ladevorgänge · 142,8 kWh insgesamt"),
        "German decimal comma"
    );
    assert!(
        day.contains("<svg class=\"chart\"") && day.contains("role=\"img\""),
        "a chart of the filtered sessions"
    );
    assert!(
        day.contains("<td>2026-11-03</td><td>142,8 kWh</td>"),
        "its figures as text, by local day"
    );

    let (status, csv) = owner.page(&format!("{history}?format=csv")).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 121, "every session, streamed");
    assert!(lines[0].starts_with("session,charger,"));
    assert!(
        lines[1].contains(",2026-11-06T00:00:00+01:00,2026-11-06T00:30:00+01:00,"),
        "{}",
        lines[1]
    );

    let (_, none) = owner.page(&format!("{history}?from=2027-01-01")).await;
    assert!(
        none.contains("No charging sessions match")
            && !none.contains("-0.0")
            && !none.contains("<svg")
    );
}

async fn dates_given_backwards_are_explained(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, _, _) = with_charger(&app, "CP-H").await;
    let history = format!("/installations/{installation}/history");
    let (status, html) = owner
        .page(&format!("{history}?from=2026-11-05&to=2026-11-01"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("The “from” date (2026-11-05) is after the “to” date (2026-11-01)"),
        "{html}"
    );
    assert!(html.contains("aria-describedby=\"filter-problem\""));
    let (status, html) = owner
        .page(&format!("{history}?from=2026-11-05&to=2026-11-01&lang=nb"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Fra-datoen (2026-11-05) er etter til-datoen (2026-11-01)"));
    let csv = owner
        .get(&format!(
            "{history}?from=2026-11-05&to=2026-11-01&format=csv"
        ))
        .await;
    assert_eq!(csv.status(), StatusCode::BAD_REQUEST);
}

async fn the_time_zone_is_chosen_checked_and_used(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, _, charger) = with_charger(&app, "CP-H").await;
    let zone_of = |id: InstallationId| {
        let store = app.db.store.clone();
        async move {
            store
                .installation(id)
                .await
                .unwrap()
                .unwrap()
                .time_zone
                .name()
        }
    };
    assert_eq!(
        zone_of(installation).await,
        "Europe/Oslo",
        "no script, no zone: Oslo"
    );
    for (sent, kept) in [
        ("America/New_York", "America/New_York"),
        ("Mars/Olympus", "Europe/Oslo"),
    ] {
        let fields = [
            ("name", "Hytta"),
            ("address", ""),
            ("installation_type", "go"),
            ("time_zone", sent),
        ];
        let response = owner
            .submit("/installations", "/installations", &fields)
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let id: InstallationId = location(&response)
            .trim_start_matches("/installations/")
            .parse()
            .unwrap();
        assert_eq!(zone_of(id).await, kept, "the browser's {sent}");
    }

    let page = format!("/installations/{installation}");
    let response = owner
        .submit(
            &page,
            &format!("{page}/time-zone"),
            &[("time_zone", "Asia/Tokyo")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{page}?saved=time-zone"));
    assert_eq!(zone_of(installation).await, "Asia/Tokyo");
    let response = owner
        .submit(
            &page,
            &format!("{page}/time-zone"),
            &[("time_zone", "Nowhere/Land\u{0}")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Choose a time zone from the list")
            && html.contains("aria-describedby=\"time_zone-error\"")
    );
    assert_eq!(zone_of(installation).await, "Asia/Tokyo", "nothing written");
    let (_, audit) = owner.page(&format!("{page}/audit")).await;
    assert!(
        audit.contains("Changed the time zone from Europe/Oslo to Asia/Tokyo"),
        "audited"
    );

    let charger: ChargerId = charger.parse().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 42).unwrap();
    session(
        &app,
        charger,
        at,
        7500,
        None,
        "TAG-1",
        Some(at + Duration::hours(1)),
    )
    .await;
    let (_, html) = owner.page(&format!("{page}/history")).await;
    assert!(
        html.contains("<td data-label=\"Started\">2026-11-20 17:00</td>"),
        "Tokyo time, no seconds: {html}"
    );
    assert!(html.contains("Times in Asia/Tokyo."));
    let (_, csv) = owner.page(&format!("{page}/history?format=csv")).await;
    assert!(
        csv.contains(",2026-11-20T17:00:42+09:00,2026-11-20T18:00:42+09:00,"),
        "{csv}"
    );
}

async fn rows_say_who_charged_how_long_and_what_is_charging_now(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, _, charger) = with_charger(&app, "CP-H").await;
    let charger: ChargerId = charger.parse().unwrap();
    let user = app
        .db
        .store
        .user_by_email(&Email::parse("owner@example.no").unwrap())
        .await
        .unwrap()
        .unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
    session(
        &app,
        charger,
        at,
        7500,
        Some(user.id),
        "OWNER-TAG",
        Some(at + Duration::minutes(95)),
    )
    .await;
    let now = Utc::now();
    session(
        &app,
        charger,
        now - Duration::minutes(5),
        0,
        None,
        "GUEST",
        None,
    )
    .await;
    let reading = MeterReading {
        energy_wh: Some(3500.0),
        ..MeterReading::default()
    };
    app.db
        .store
        .record_reading(charger, 1, &reading, now)
        .await
        .unwrap();
    app.db.store.flush().await.unwrap();

    let (_, html) = owner
        .page(&format!("/installations/{installation}/history?lang=nb"))
        .await;
    assert!(
        html.contains("Owner<br><code>OWNER-TAG</code>"),
        "the person's name and their token"
    );
    assert!(
        html.contains("<td data-label=\"Varighet\">1 t 35 min</td>"),
        "{html}"
    );
    assert!(html.contains("7,5 kWh"));
    assert!(
        html.contains(">GUEST</td>"),
        "a token no account holds names itself"
    );
    assert!(
        html.contains("2,5 kWh så langt"),
        "a running session's energy from its meter"
    );
    assert!(
        html.contains("2 ladeøkter · 7,5 kWh totalt"),
        "totals count the energy of stopped sessions"
    );
}

async fn the_overview_charts_energy_per_day_and_power_per_hour(engine: Engine) {
    let app = spawn_app(engine).await;
    let (owner, installation, _, charger) = with_charger(&app, "CP-H").await;
    let charger: ChargerId = charger.parse().unwrap();
    let hours = last_hours(Utc::now(), 24);
    let hour = hours[22];
    let id = session(
        &app,
        charger,
        hour + Duration::minutes(5),
        5000,
        None,
        "TAG",
        None,
    )
    .await;
    let samples = [
        (hour + Duration::minutes(10), 3000.0),
        (hour + Duration::minutes(20), 6000.0),
    ];
    app.db
        .store
        .add_meter_samples(charger, id, &samples)
        .await
        .unwrap();
    let report = StopReport {
        transaction: id,
        at: hour + Duration::minutes(30),
        meter_stop: 6000,
        reason: None,
        samples: &[],
    };
    app.db
        .store
        .stop_charge_session(charger, &report)
        .await
        .unwrap();

    let (status, html) = owner
        .page(&format!("/installations/{installation}?lang=de"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        html.matches("<svg class=\"chart\"").count(),
        2,
        "energy per day and power per hour"
    );
    assert!(
        html.contains("<title id=\"energy-chart-title\">Energie pro Tag, letzte 30 Tage</title>")
    );
    assert!(html.contains("viewBox=\"0 0 600 240\" width=\"100%\""));
    let day = Zone::default().show_date(hour + Duration::minutes(5));
    assert!(
        html.contains(&format!("<td>{day}</td><td>5,0 kWh</td>")),
        "the day, in Oslo"
    );
    let label = Zone::default().show(hour);
    assert!(
        html.contains(&format!("<td>{label}</td><td>5,0 kW</td>")),
        "5 kWh within one hour"
    );
    assert_eq!(html.matches("<td>0,0 kW</td>").count(), 23);
}
