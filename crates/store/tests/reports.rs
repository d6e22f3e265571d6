//! Histories across installations, installation reports, the API's RFID token and charger caps: the
//! store's contract on SQLite and on PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use voltgate_domain::authz::{ConfigureChargers, ControlChargers, ManageUsers, ViewChargeHistory};
use voltgate_domain::text::{Address, Name};
use voltgate_domain::{
    Authorized, ChargePointIdentity, Email, InstallationType, Principal, UserId,
};
use voltgate_store::testing::{on_installation, TestDatabase};
use voltgate_store::*;

macro_rules! onboth_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(voltgate_store::Engine::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(voltgate_store::Engine::Postgres).await } )* }
    };
}

onboth_engines!(
    histories_span_the_installations_given_and_reports_sum_ended_sessions,
    the_api_token_is_the_holders_oldest_or_made_once,
    charger_caps_come_from_their_settings,
);

async fn person(db: &Database, email: &str, name: &str) -> User {
    let new = NewUser {
        email: Email::parse(email).unwrap(),
        full_name: Name::parse(name).unwrap(),
        password_hash: "x".into(),
    };
    db.store.create_user(&new).await.unwrap()
}

async fn installation(db: &Database, owner: &User, name: &str) -> Installation {
    let new = NewInstallation {
        name: Name::parse(name).unwrap(),
        address: Address::parse("").unwrap(),
        installation_type: InstallationType::Go,
        time_zone: voltgate_domain::Zone::default(),
    };
    db.store
        .create_installation(owner.id, &new, &Principal::User(owner.id))
        .await
        .unwrap()
}

async fn cap<R: voltgate_domain::authz::Right<Facts = voltgate_domain::InstallationAccess>>(
    db: &Database,
    who: &User,
    site: &Installation,
) -> Authorized<R> {
    on_installation(db.store.as_ref(), Principal::User(who.id), site.id)
        .await
        .unwrap()
}

async fn charger(db: &Database, owner: &User, site: &Installation, identity: &str) -> Charger {
    let new = NewCharger {
        identity: ChargePointIdentity::parse(identity).unwrap(),
        name: Name::parse(identity).unwrap(),
        connectors: 2,
        password_hash: "x".into(),
    };
    let manage = cap::<ManageUsers>(db, owner, site).await;
    db.store.create_charger(&manage, &new).await.unwrap()
}

/// A session of `minutes` delivering `wh`; `minutes` of `None` leaves it running.
async fn session(
    db: &Database,
    charger: &Charger,
    tag: &str,
    user: Option<UserId>,
    at: DateTime<Utc>,
    minutes: Option<i64>,
    wh: i64,
) {
    let new = NewChargeSession {
        connector_id: 1,
        id_tag: tag.into(),
        user,
        started_at: at,
        meter_start: 0,
        authorized: true,
        received_at: at,
    };
    let transaction = db
        .store
        .start_charge_session(charger.id, &new)
        .await
        .unwrap();
    if let Some(minutes) = minutes {
        let stop = StopReport {
            transaction,
            at: at + Duration::minutes(minutes),
            meter_stop: wh,
            reason: None,
            samples: &[],
        };
        db.store
            .stop_charge_session(charger.id, &stop)
            .await
            .unwrap();
    }
}

async fn histories_span_the_installations_given_and_reports_sum_ended_sessions(engine: Engine) {
    let guard = TestDatabase::new(engine).await;
    let db = connect(&guard.url).await.unwrap();
    let (ann, bob) = (
        person(&db, "ann@example.com", "Ann").await,
        person(&db, "bob@example.com", "Bob").await,
    );
    let (north, south) = (
        installation(&db, &ann, "North").await,
        installation(&db, &bob, "South").await,
    );
    let (n1, s1) = (
        charger(&db, &ann, &north, "N-1").await,
        charger(&db, &bob, &south, "S-1").await,
    );
    let at = |h: u32| Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap();
    session(&db, &n1, "ANN", Some(ann.id), at(8), Some(60), 3000).await;
    session(&db, &s1, "BOB", Some(bob.id), at(9), Some(30), 1000).await;
    session(&db, &n1, "LOOSE", None, at(10), Some(90), 2000).await;
    session(&db, &n1, "ANN", Some(ann.id), at(11), None, 0).await;

    let both = [
        cap::<ViewChargeHistory>(&db, &ann, &north).await,
        cap::<ViewChargeHistory>(&db, &bob, &south).await,
    ];
    let all = HistoryFilter::default();
    let page = db
        .store
        .history_across(&both, &all, HistoryOrder::Newest, 10, 0)
        .await
        .unwrap();
    let tags: Vec<&str> = page.iter().map(|s| s.session.id_tag.as_str()).collect();
    assert_eq!(tags, ["ANN", "LOOSE", "BOB", "ANN"]);
    assert_eq!(
        (page[2].identity.as_str(), page[2].installation),
        ("S-1", south.id)
    );
    let totals = db.store.history_totals_across(&both, &all).await.unwrap();
    assert_eq!((totals.sessions, totals.energy_wh), (4, 6000.0));
    let north_only = db
        .store
        .history_totals_across(&both[..1], &all)
        .await
        .unwrap();
    assert_eq!(north_only.sessions, 3);
    let none = db.store.history_totals_across(&[], &all).await.unwrap();
    assert_eq!(none.sessions, 0, "no installations, no sessions");
    let by_user = db
        .store
        .history_across(&both, &all, HistoryOrder::User, 10, 1)
        .await
        .unwrap();
    let tags: Vec<&str> = by_user.iter().map(|s| s.session.id_tag.as_str()).collect();
    assert_eq!(
        tags,
        ["ANN", "BOB", "LOOSE"],
        "Ann's two, Bob's, no one's last"
    );

    let report = |group: ReportGroup, filter: ReportFilter| {
        let db = &db;
        let on = both[0].clone();
        async move { db.store.charge_report(&on, &filter, &group).await.unwrap() }
    };
    let rows = report(ReportGroup::User, ReportFilter::default()).await;
    assert_eq!(rows.len(), 2, "ended sessions of North only: {rows:?}");
    assert_eq!(
        (
            &rows[0].key,
            rows[0].sessions,
            rows[0].energy_wh,
            rows[0].seconds
        ),
        (
            &ReportKey::User {
                id: Some(ann.id),
                full_name: Some("Ann".into()),
                email: Some("ann@example.com".into())
            },
            1,
            3000.0,
            3600.0
        )
    );
    let rows = report(ReportGroup::Charger, ReportFilter::default()).await;
    assert_eq!(
        (rows.len(), rows[0].sessions, rows[0].seconds),
        (1, 2, 9000.0)
    );
    let rows = report(
        ReportGroup::Token,
        ReportFilter {
            users: vec![ann.id],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(rows.len(), 1);
    let rows = report(
        ReportGroup::Buckets(vec![at(0), at(9), at(12)]),
        ReportFilter {
            chargers: vec![n1.id, s1.id],
            ..Default::default()
        },
    )
    .await;
    let counts: Vec<(ReportKey, i64)> = rows.into_iter().map(|r| (r.key, r.sessions)).collect();
    assert_eq!(
        counts,
        [(ReportKey::Bucket(0), 1), (ReportKey::Bucket(1), 1)]
    );
    let refused = db
        .store
        .charge_report(
            &both[0],
            &ReportFilter::default(),
            &ReportGroup::Buckets(vec![at(9), at(9)]),
        )
        .await;
    assert!(refused.is_err(), "empty buckets are refused");
}

async fn the_api_token_is_the_holders_oldest_or_made_once(engine: Engine) {
    let guard = TestDatabase::new(engine).await;
    let db = connect(&guard.url).await.unwrap();
    let (ann, bob) = (
        person(&db, "ann@example.com", "Ann").await,
        person(&db, "bob@example.com", "Bob").await,
    );
    let north = installation(&db, &ann, "North").await;
    let manage = cap::<ManageUsers>(&db, &ann, &north).await;
    db.store
        .set_installation_role(&manage, bob.id, voltgate_domain::Role::Admin)
        .await
        .unwrap();
    db.store
        .add_id_tag(&manage, "ANN-CARD", ann.id)
        .await
        .unwrap();
    let as_ann = cap::<ControlChargers>(&db, &ann, &north).await;
    assert_eq!(
        db.store.api_id_tag(&as_ann, "API-1").await.unwrap(),
        "ANN-CARD"
    );
    let asbob = cap::<ControlChargers>(&db, &bob, &north).await;
    assert!(
        matches!(
            db.store.api_id_tag(&asbob, "ANN-CARD").await,
            Err(StoreError::Conflict("id_tag"))
        ),
        "someone else's token is never taken"
    );
    assert_eq!(db.store.api_id_tag(&asbob, "API-2").await.unwrap(), "API-2");
    assert_eq!(
        db.store.api_id_tag(&asbob, "API-3").await.unwrap(),
        "API-2",
        "made once"
    );
    let holder = db.store.id_tag_holder(north.id, "API-2").await.unwrap();
    assert_eq!(holder.map(|h| h.user), Some(bob.id));
}

async fn charger_caps_come_from_their_settings(engine: Engine) {
    let guard = TestDatabase::new(engine).await;
    let db = connect(&guard.url).await.unwrap();
    let ann = person(&db, "ann@example.com", "Ann").await;
    let north = installation(&db, &ann, "North").await;
    let (a, b) = (
        charger(&db, &ann, &north, "A").await,
        charger(&db, &ann, &north, "B").await,
    );
    assert!(db.store.charger_caps(north.id).await.unwrap().is_empty());
    let control = cap::<ConfigureChargers>(&db, &ann, &north).await;
    let settings = ChargerSettings {
        max_current: Some(10.0),
        ..Default::default()
    };
    db.store
        .set_charger_settings(&control, a.id, &settings)
        .await
        .unwrap();
    let only_phases = ChargerSettings {
        max_phases: Some(1),
        ..Default::default()
    };
    db.store
        .set_charger_settings(&control, b.id, &only_phases)
        .await
        .unwrap();
    assert_eq!(
        db.store.charger_caps(north.id).await.unwrap(),
        [(a.id, 10.0)]
    );
}
