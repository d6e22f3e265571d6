//! The chargers part of the store's contract, on SQLite and on PostgreSQL.

use chrono::{Duration, TimeZone, Utc};
use voltgate_domain::authz::{ControlChargers, ManagePermissions, ManageUsers};
use voltgate_domain::text::{Address, Name};
use voltgate_domain::Principal;
use voltgate_domain::{ChargePointIdentity, ChargerId, Email, InstallationId, InstallationType};
use voltgate_store::testing::{on_installation, TestDatabase};
use voltgate_store::with_raw_pool;
use voltgate_store::*;

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(voltgate_store::Engine::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(voltgate_store::Engine::Postgres).await } )* }
    };
}

on_both_engines!(
    chargers_are_registered_once_and_report_state,
    charge_sessions_survive_resends,
    history_filters_and_samples,
    stale_statuses_never_overwrite_newer_ones,
    removed_tokens_are_remembered,
    open_sessions_end_and_a_late_stop_corrects_them,
    paused_sessions_and_arrival_order,
    connector_limits_are_kept,
    command_audits_hold_any_text,
    sessions_keep_their_installation_across_migration_0014,
);

fn site_named(name: &str) -> NewInstallation {
    NewInstallation {
        name: Name::parse(name).unwrap(),
        address: Address::parse("").unwrap(),
        installation_type: InstallationType::Go,
        time_zone: voltgate_domain::Zone::default(),
    }
}

struct Site {
    _guard: TestDatabase,
    db: Database,
    owner: User,
    installation: Installation,
}

async fn site(engine: Engine) -> Site {
    let guard = TestDatabase::new(engine).await;
    let db = connect(&guard.url).await.unwrap();
    let new = NewUser {
        email: Email::parse("owner@example.com").unwrap(),
        full_name: Name::parse("Owner").unwrap(),
        password_hash: "x".into(),
    };
    let owner = db.store.create_user(&new).await.unwrap();
    let new = site_named("Garage");
    let installation = db
        .store
        .create_installation(owner.id, &new, &Principal::User(owner.id))
        .await
        .unwrap();
    Site {
        _guard: guard,
        db,
        owner,
        installation,
    }
}

impl Site {
    /// The owner's capability to manage the installation's people and chargers.
    async fn manage(&self) -> voltgate_domain::Authorized<ManageUsers> {
        let owner = Principal::User(self.owner.id);
        on_installation(self.db.store.as_ref(), owner, self.installation.id)
            .await
            .unwrap()
    }
}

async fn charger(site: &Site, identity: &str) -> Charger {
    let new = NewCharger {
        identity: ChargePointIdentity::parse(identity).unwrap(),
        name: Name::parse(&format!("Charger {identity}")).unwrap(),
        connectors: 2,
        password_hash: format!("hash-of-{identity}"),
    };
    site.db
        .store
        .create_charger(&site.manage().await, &new)
        .await
        .unwrap()
}

fn new_session(
    connector_id: i32,
    id_tag: &str,
    started_at: chrono::DateTime<Utc>,
    meter_start: i64,
) -> NewChargeSession {
    NewChargeSession {
        connector_id,
        id_tag: id_tag.into(),
        user: None,
        started_at,
        meter_start,
        authorized: true,
        received_at: Utc::now(),
    }
}

async fn chargers_are_registered_once_and_report_state(engine: Engine) {
    let site = site(engine).await;
    let cp = charger(&site, "CP-1").await;
    assert_eq!(
        (cp.identity.as_str(), cp.connectors, cp.installation_id),
        ("CP-1", 2, site.installation.id)
    );
    let again = NewCharger {
        identity: ChargePointIdentity::parse("CP-1").unwrap(),
        name: Name::parse("Twin").unwrap(),
        connectors: 1,
        password_hash: "x".into(),
    };
    let clash = site
        .db
        .store
        .create_charger(&site.manage().await, &again)
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict("identity"))));
    let elsewhere = site
        .db
        .store
        .create_installation(
            site.owner.id,
            &site_named("Elsewhere"),
            &Principal::User(site.owner.id),
        )
        .await
        .unwrap();
    let other = on_installation::<ManageUsers>(
        site.db.store.as_ref(),
        Principal::User(site.owner.id),
        elsewhere.id,
    )
    .await
    .unwrap();
    assert!(
        matches!(
            site.db
                .store
                .set_charger_password(&other, cp.id, "stolen")
                .await,
            Err(StoreError::NotFound)
        ),
        "a capability on one installation changes no charger of another"
    );

    let (found, hash) = site
        .db
        .store
        .charger_credentials("CP-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, hash.as_str()), (cp.id, "hash-of-CP-1"));
    assert!(
        site.db
            .store
            .charger_credentials("cp-1")
            .await
            .unwrap()
            .is_none(),
        "identities match exactly"
    );
    site.db
        .store
        .set_charger_password(&site.manage().await, cp.id, "new-hash")
        .await
        .unwrap();
    assert_eq!(
        site.db
            .store
            .charger_credentials("CP-1")
            .await
            .unwrap()
            .unwrap()
            .1,
        "new-hash"
    );

    let at = Utc::now();
    let boot = BootInfo {
        vendor: "Zaptec".into(),
        model: "Go".into(),
        serial_number: Some("ZAP123".into()),
        firmware_version: Some("1.2".into()),
    };
    site.db.store.record_boot(cp.id, &boot, at).await.unwrap();
    site.db
        .store
        .record_status(cp.id, 1, "Charging", "NoError", at)
        .await
        .unwrap();
    let reading = MeterReading {
        power_w: Some(7200.0),
        current: [Some(10.0), Some(10.5), None],
        energy_wh: Some(1234.0),
    };
    site.db
        .store
        .record_reading(cp.id, 1, &reading, at)
        .await
        .unwrap();
    site.db
        .store
        .record_reading(
            cp.id,
            1,
            &MeterReading {
                power_w: Some(3600.0),
                ..MeterReading::default()
            },
            at,
        )
        .await
        .unwrap();
    site.db
        .store
        .record_reading(
            cp.id,
            2,
            &MeterReading {
                energy_wh: Some(5.0),
                ..MeterReading::default()
            },
            at,
        )
        .await
        .unwrap();
    // One charger's states, read before any batch was written, hold what was received.
    let own = site.db.store.connector_states(cp.id).await.unwrap();
    assert_eq!(
        own.iter()
            .map(|c| (c.connector_id, c.status.as_str(), c.power_w, c.energy_wh))
            .collect::<Vec<_>>(),
        vec![
            (1, "Charging", Some(3600.0), Some(1234.0)),
            (2, "Unknown", None, Some(5.0))
        ]
    );
    let listed = site.db.store.chargers(site.installation.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    let (loaded, connectors) = &listed[0];
    assert_eq!(
        (loaded.vendor.as_deref(), loaded.firmware_version.as_deref()),
        (Some("Zaptec"), Some("1.2"))
    );
    assert_eq!(connectors.len(), 2);
    assert_eq!(connectors[0].status, "Charging");
    assert_eq!(
        (
            connectors[0].power_w,
            connectors[0].current[1],
            connectors[0].energy_wh
        ),
        (Some(3600.0), Some(10.5), Some(1234.0))
    );
    assert_eq!(connectors[1].status, "Unknown");
    let (installation, owner) = (site.installation.id, site.manage().await);
    site.db
        .store
        .add_id_tag(&owner, "TAG-1", site.owner.id)
        .await
        .unwrap();
    let tags = site.db.store.id_tags(installation).await.unwrap();
    assert_eq!((tags[0].0.as_str(), tags[0].1.id), ("TAG-1", site.owner.id));
    assert_eq!(
        site.db
            .store
            .id_tag_holder(installation, "TAG-1")
            .await
            .unwrap(),
        Some(IdTagHolder {
            user: site.owner.id,
            removed: false
        })
    );
    site.db.store.remove_id_tag(&owner, "TAG-1").await.unwrap();
    let again = site.db.store.remove_id_tag(&owner, "TAG-1").await;
    assert!(matches!(again, Err(StoreError::NotFound)));
    assert!(site
        .db
        .store
        .id_tags(installation)
        .await
        .unwrap()
        .is_empty());
    let audit = site
        .db
        .store
        .installation_audit(&owner.also::<ManagePermissions>().unwrap(), 10, 0)
        .await
        .unwrap();
    let kinds: Vec<&str> = audit.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds[..4],
        [
            "id_tag_removed",
            "id_tag_set",
            "charger_password_changed",
            "charger_added"
        ]
    );
}

async fn charge_sessions_survive_resends(engine: Engine) {
    let site = site(engine).await;
    let cp = charger(&site, "CP-1").await;
    let other = charger(&site, "CP-2").await;
    let started_at = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
    let start = new_session(1, "TAG1", started_at, 1000);
    let start = NewChargeSession {
        user: Some(site.owner.id),
        ..start
    };
    let id = site
        .db
        .store
        .start_charge_session(cp.id, &start)
        .await
        .unwrap();
    assert_eq!(
        site.db
            .store
            .start_charge_session(cp.id, &start)
            .await
            .unwrap(),
        id,
        "a resent start is the same session"
    );
    let later = NewChargeSession {
        started_at: started_at + Duration::hours(2),
        ..start.clone()
    };
    assert_ne!(
        site.db
            .store
            .start_charge_session(cp.id, &later)
            .await
            .unwrap(),
        id
    );
    let stop_at = started_at + Duration::hours(1);
    let stop = |transaction, meter_stop, reason| StopReport {
        transaction,
        at: stop_at,
        meter_stop,
        reason,
        samples: &[],
    };
    let store = &site.db.store;
    assert_eq!(
        store
            .stop_charge_session(other.id, &stop(id, 9000, None))
            .await
            .unwrap(),
        Stopped::Unknown,
        "not another charger's"
    );
    assert_eq!(
        store
            .stop_charge_session(cp.id, &stop(id, 8500, Some("EVDisconnected")))
            .await
            .unwrap(),
        Stopped::Stopped
    );
    assert_eq!(
        store
            .stop_charge_session(cp.id, &stop(id, 99999, None))
            .await
            .unwrap(),
        Stopped::Unknown,
        "never stopped twice"
    );
    assert_eq!(
        store
            .stop_charge_session(cp.id, &stop(424242, 1, None))
            .await
            .unwrap(),
        Stopped::Unknown,
        "unknown ones are ignored"
    );
    let history = site
        .db
        .store
        .charge_history(site.installation.id, &HistoryFilter::default(), 10, 0)
        .await
        .unwrap();
    let session = history.iter().find(|s| s.id == id).unwrap();
    assert_eq!(session.energy_kwh(), Some(7.5));
    assert_eq!(session.stop_reason.as_deref(), Some("EVDisconnected"));
    assert_eq!(session.user_email.as_deref(), Some("owner@example.com"));
    assert_eq!(
        session.started_at, started_at,
        "times kept as the charger reported them"
    );
}

async fn history_filters_and_samples(engine: Engine) {
    let site = site(engine).await;
    let cp = charger(&site, "CP-1").await;
    let other = charger(&site, "CP-2").await;
    let day = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
    for (n, at) in [
        (0, day),
        (1, day + Duration::days(1)),
        (2, day + Duration::days(2)),
    ] {
        let start = new_session(1, &format!("T{n}"), at, 0);
        site.db
            .store
            .start_charge_session(cp.id, &start)
            .await
            .unwrap();
    }
    let theirs = new_session(2, "X", day, 0);
    let their_id = site
        .db
        .store
        .start_charge_session(other.id, &theirs)
        .await
        .unwrap();
    let all = site
        .db
        .store
        .charge_history(site.installation.id, &HistoryFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    assert!(all[0].started_at >= all[1].started_at, "newest first");
    let only_cp = HistoryFilter {
        charger: Some(cp.id),
        ..HistoryFilter::default()
    };
    assert_eq!(
        site.db
            .store
            .charge_history(site.installation.id, &only_cp, 10, 0)
            .await
            .unwrap()
            .len(),
        3
    );
    let window = HistoryFilter {
        from: Some(day + Duration::hours(12)),
        to: Some(day + Duration::days(2)),
        ..HistoryFilter::default()
    };
    let in_window = site
        .db
        .store
        .charge_history(site.installation.id, &window, 10, 0)
        .await
        .unwrap();
    assert_eq!(
        in_window
            .iter()
            .map(|s| s.id_tag.as_str())
            .collect::<Vec<_>>(),
        vec!["T1"]
    );
    assert_eq!(
        site.db
            .store
            .charge_history(site.installation.id, &HistoryFilter::default(), 2, 2)
            .await
            .unwrap()
            .len(),
        2
    );

    let samples = [
        (day, 0.0),
        (day + Duration::minutes(10), 1200.0),
        (day + Duration::minutes(20), 2500.0),
    ];
    site.db
        .store
        .add_meter_samples(other.id, their_id, &samples)
        .await
        .unwrap();
    site.db
        .store
        .add_meter_samples(other.id, their_id, &samples[1..])
        .await
        .unwrap();
    site.db
        .store
        .add_meter_samples(cp.id, their_id, &[(day + Duration::hours(1), 99.0)])
        .await
        .unwrap();
    let stored = site.db.store.meter_samples(their_id).await.unwrap();
    assert_eq!(
        stored.iter().map(|(_, wh)| *wh).collect::<Vec<_>>(),
        vec![0.0, 1200.0, 2500.0],
        "repeats and foreign samples ignored"
    );
}

async fn stale_statuses_never_overwrite_newer_ones(engine: Engine) {
    let site = site(engine).await;
    let cp = charger(&site, "CP-1").await;
    let store = &site.db.store;
    let noon = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    assert!(store
        .record_status(cp.id, 1, "Charging", "NoError", noon)
        .await
        .unwrap());
    assert!(
        !store
            .record_status(
                cp.id,
                1,
                "Available",
                "NoError",
                noon - Duration::minutes(5)
            )
            .await
            .unwrap(),
        "an older status is not stored"
    );
    assert!(store
        .record_status(
            cp.id,
            1,
            "Finishing",
            "NoError",
            noon + Duration::minutes(5)
        )
        .await
        .unwrap());
    let listed = store.chargers(site.installation.id).await.unwrap();
    assert_eq!(listed[0].1[0].status, "Finishing");
}

async fn removed_tokens_are_remembered(engine: Engine) {
    let site = site(engine).await;
    let (installation, owner) = (site.installation.id, site.manage().await);
    let store = &site.db.store;
    store
        .add_id_tag(&owner, "TAG-1", site.owner.id)
        .await
        .unwrap();
    store.remove_id_tag(&owner, "TAG-1").await.unwrap();
    assert_eq!(
        store.id_tag_holder(installation, "TAG-1").await.unwrap(),
        Some(IdTagHolder {
            user: site.owner.id,
            removed: true
        }),
        "a removed token is known as removed"
    );
    assert!(store.id_tags(installation).await.unwrap().is_empty());
    store
        .add_id_tag(&owner, "TAG-1", site.owner.id)
        .await
        .unwrap();
    assert_eq!(
        store
            .id_tag_holder(installation, "TAG-1")
            .await
            .unwrap()
            .map(|h| h.removed),
        Some(false),
        "registering it again brings it back"
    );
    assert_eq!(
        store.id_tag_holder(installation, "NOPE").await.unwrap(),
        None
    );
}

async fn open_sessions_end_and_a_late_stop_corrects_them(engine: Engine) {
    let site = site(engine).await;
    let cp = charger(&site, "CP-1").await;
    let store = &site.db.store;
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
    let refused = NewChargeSession {
        authorized: false,
        ..new_session(1, "STRANGER", start, 50_000)
    };
    let id = store.start_charge_session(cp.id, &refused).await.unwrap();
    assert!(id > 0, "a refused token still gets a real transaction");
    let samples = [
        (start + Duration::minutes(10), 52_000.0),
        (start + Duration::minutes(20), 54_000.0),
        (start + Duration::minutes(30), 300.0),
    ];
    store.add_meter_samples(cp.id, id, &samples).await.unwrap();
    let on_other_connector = store
        .start_charge_session(cp.id, &new_session(2, "T", start, 0))
        .await
        .unwrap();
    let boot = start + Duration::hours(1);
    let ended = store
        .end_open_sessions(cp.id, Some(1), boot, boot)
        .await
        .unwrap();
    assert_eq!(ended, vec![id], "only connector 1's session");
    let history = store
        .charge_history(site.installation.id, &HistoryFilter::default(), 10, 0)
        .await
        .unwrap();
    let estimate = history.iter().find(|s| s.id == id).unwrap();
    assert_eq!(
        (
            estimate.stop_reason.as_deref(),
            estimate.stop_confirmed,
            estimate.authorized,
            estimate.meter_stop
        ),
        (Some(ENDED_WITHOUT_STOP), false, false, Some(300))
    );
    assert_eq!(
        estimate.energy_wh,
        Some(4300.0),
        "the meter reset is counted from zero, not as a loss"
    );
    let late = StopReport {
        transaction: id,
        at: start + Duration::minutes(40),
        meter_stop: 1_200,
        reason: Some("PowerLoss"),
        samples: &[],
    };
    assert_eq!(
        store.stop_charge_session(cp.id, &late).await.unwrap(),
        Stopped::Corrected
    );
    assert_eq!(
        store.stop_charge_session(cp.id, &late).await.unwrap(),
        Stopped::Unknown,
        "once confirmed, never again"
    );
    let history = store
        .charge_history(site.installation.id, &HistoryFilter::default(), 10, 0)
        .await
        .unwrap();
    let corrected = history.iter().find(|s| s.id == id).unwrap();
    assert_eq!(
        (
            corrected.stop_reason.as_deref(),
            corrected.stop_confirmed,
            corrected.energy_wh
        ),
        (Some("PowerLoss"), true, Some(5200.0))
    );
    assert_eq!(history.len(), 2, "counted once");
    assert!(store.end_session(cp.id, on_other_connector).await.unwrap());
    assert!(!store.end_session(cp.id, on_other_connector).await.unwrap());
    assert!(store
        .running_sessions(site.installation.id)
        .await
        .unwrap()
        .is_empty());
}

async fn paused_sessions_and_arrival_order(engine: Engine) {
    let site = site(engine).await;
    let cp = charger(&site, "CP-1").await;
    let store = &site.db.store;
    let now = Utc::now();
    let early_by_clock = NewChargeSession {
        received_at: now,
        ..new_session(1, "OFFLINE", now - Duration::hours(5), 0)
    };
    let first = NewChargeSession {
        received_at: now - Duration::minutes(1),
        ..new_session(2, "FIRST", now - Duration::minutes(1), 0)
    };
    let late = store
        .start_charge_session(cp.id, &early_by_clock)
        .await
        .unwrap();
    let early = store.start_charge_session(cp.id, &first).await.unwrap();
    let running = store.running_sessions(site.installation.id).await.unwrap();
    assert_eq!(
        running.iter().map(|s| s.transaction).collect::<Vec<_>>(),
        vec![early, late],
        "the server's arrival order, not the charger's clock"
    );
    assert!(store.set_session_paused(cp.id, late, true).await.unwrap());
    assert!(!store.set_session_paused(cp.id, 424242, true).await.unwrap());
    let running = store.running_sessions(site.installation.id).await.unwrap();
    assert!(running.iter().any(|s| s.transaction == late && s.paused));
}

async fn connector_limits_are_kept(engine: Engine) {
    let site = site(engine).await;
    let cp = charger(&site, "CP-1").await;
    let store = &site.db.store;
    let mut limit = ConnectorLimit::unknown(cp.id, 1);
    limit.default_accepted = Some(6.5);
    limit.tx_transaction = Some(7);
    limit.tx_uncertain = Some(16.0);
    limit.problem = Some("no answer\u{0}".into());
    store.save_connector_limit(&limit).await.unwrap();
    limit.tx_refused = true;
    store.save_connector_limit(&limit).await.unwrap();
    let kept = store.connector_limits(site.installation.id).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (
            kept[0].default_accepted,
            kept[0].tx_uncertain,
            kept[0].tx_refused
        ),
        (Some(6.5), Some(16.0), true)
    );
    assert_eq!(kept[0].problem.as_deref(), Some("no answer\u{fffd}"));
    let other = charger(&site, "CP-2").await;
    store
        .save_connector_limit(&ConnectorLimit::unknown(other.id, 1))
        .await
        .unwrap();
    let own = store.charger_limits(cp.id).await.unwrap();
    assert_eq!(own, kept, "one charger's limits, not its neighbour's");
}

async fn command_audits_hold_any_text(engine: Engine) {
    let site = site(engine).await;
    let cp = charger(&site, "CP-1").await;
    let store = &site.db.store;
    let command = CommandAudit {
        command: "ChangeConfiguration".into(),
        request: serde_json::json!({"key": "Evil\u{0}Key", "value": "\u{202e}x"}),
    };
    let owner = site.manage().await;
    let control: voltgate_domain::ChargerRight = owner.also::<ControlChargers>().unwrap().into();
    let elsewhere = charger_elsewhere(&site).await;
    assert!(
        matches!(
            store
                .begin_charger_command(&control, &elsewhere, &command)
                .await,
            Err(StoreError::NotFound)
        ),
        "a capability on one installation does not reach another's charger"
    );
    let event = store
        .begin_charger_command(&control, &cp, &command)
        .await
        .expect("a NUL in a command never keeps it from the audit log");
    let audit = store
        .installation_audit(&owner.also::<ManagePermissions>().unwrap(), 1, 0)
        .await
        .unwrap();
    assert_eq!(audit[0].kind, "charger_command");
    assert_eq!(
        audit[0].detail["outcome"],
        serde_json::Value::Null,
        "written before sending"
    );
    store
        .finish_charger_command(
            event,
            &cp,
            &command,
            &serde_json::json!({"id": "outcome-answered", "args": {"status": "Accepted\u{0}"}}),
        )
        .await
        .unwrap();
    let audit = store
        .installation_audit(&owner.also::<ManagePermissions>().unwrap(), 1, 0)
        .await
        .unwrap();
    assert_eq!(
        audit[0].detail["outcome"]["args"]["status"],
        "Accepted\u{fffd}"
    );
    assert_eq!(audit[0].detail["request"]["key"], "Evil\u{fffd}Key");
    assert_eq!(audit[0].actor, Some(site.owner.id));
}

/// A charger of another installation of the same owner.
async fn charger_elsewhere(site: &Site) -> Charger {
    let other = site
        .db
        .store
        .create_installation(
            site.owner.id,
            &site_named("Cabin"),
            &Principal::User(site.owner.id),
        )
        .await
        .unwrap();
    let manage: voltgate_domain::Authorized<ManageUsers> = on_installation(
        site.db.store.as_ref(),
        Principal::User(site.owner.id),
        other.id,
    )
    .await
    .unwrap();
    let new = NewCharger {
        identity: ChargePointIdentity::parse("CP-CABIN").unwrap(),
        name: Name::parse("Cabin").unwrap(),
        connectors: 1,
        password_hash: "x".into(),
    };
    site.db.store.create_charger(&manage, &new).await.unwrap()
}

/// The migrations before 0014 (sessions reach their installation through their charger).
fn migrations_before_0014(engine: Engine) -> sqlx::migrate::Migrator {
    let mut migrator = match engine {
        Engine::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Engine::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    let older: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version < 14)
        .cloned()
        .collect();
    migrator.migrations = older.into();
    migrator
}

/// Inserts, as a process of the version before 0014 would, a user, two installations with a charger
/// each, and `sessions` sessions on each charger (energy n + 1 Wh for the n-th).
macro_rules! seed_before_0014 {
    ($pool:expr, $ids:expr, $sessions:expr) => {{
        let (user, sites, chargers) = $ids;
        let now = Utc::now();
        sqlx::query(
            "INSERT INTO users (id, email, email_norm, full_name, password_hash, created_at) \
             VALUES ($1, 'o@example.com', 'o@example.com', 'O', 'x', $2)",
        )
        .bind(user)
        .bind(now)
        .execute($pool)
        .await
        .unwrap();
        for (site, charger) in sites.iter().zip(chargers.iter()) {
            sqlx::query(
                "INSERT INTO installations (id, name, address, installation_type, max_current, \
                 available_current_mode, available_current_phase1, available_current_phase2, \
                 available_current_phase3, authentication_required, phases, created_at, updated_at) \
                 VALUES ($1, 'Site', '', 'pro', 32, 'all', 32, 32, 32, FALSE, 3, $2, $2)",
            )
            .bind(site)
            .bind(now)
            .execute($pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO chargers (id, installation_id, identity, name, connectors, password_hash, created_at) \
                 VALUES ($1, $2, $3, 'C', 2, 'x', $4)",
            )
            .bind(charger)
            .bind(site)
            .bind(charger.simple().to_string())
            .bind(now)
            .execute($pool)
            .await
            .unwrap();
            for n in 0..$sessions {
                insert_old_session!($pool, charger, n);
            }
        }
    }};
}

/// One stopped session written the way a process of the version before 0014 writes it: without
/// the installation.
macro_rules! insert_old_session {
    ($pool:expr, $charger:expr, $n:expr) => {{
        let n: i64 = $n;
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(n);
        sqlx::query(
            "INSERT INTO charge_sessions (charger_id, connector_id, id_tag, started_at, meter_start, \
             stopped_at, meter_stop, energy_wh, received_at) VALUES ($1, 1, 'T', $2, $3, $2, $4, $5, $2)",
        )
        .bind($charger)
        .bind(at)
        .bind(n * 1000)
        .bind(n * 1000 + n + 1)
        .bind((n + 1) as f64)
        .execute($pool)
        .await
        .unwrap();
    }};
}

/// Sessions written before migration 0014, during it (by a process of the older version that keeps
/// inserting without the installation column) and after it all land in their own installation's
/// history with exact totals; when a charger moves, its sessions follow it.
async fn sessions_keep_their_installation_across_migration_0014(engine: Engine) {
    let guard = TestDatabase::new(engine).await;
    let user = uuid::Uuid::new_v4();
    let sites = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()];
    let chargers = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()];
    const BEFORE: i64 = 300;
    let (db, during) = with_raw_pool!(engine, guard.url.as_str(), |pool| {
        migrations_before_0014(engine).run(&pool).await.unwrap();
        seed_before_0014!(&pool, (user, sites, chargers), BEFORE);
        // The older process keeps inserting on the first charger while this one migrates.
        let writer = {
            let pool = pool.clone();
            let charger = chargers[0];
            tokio::spawn(async move {
                let mut n = BEFORE;
                while n < BEFORE + 2_000 {
                    insert_old_session!(&pool, charger, n);
                    n += 1;
                    tokio::task::yield_now().await;
                }
            })
        };
        let db = connect(&guard.url).await.expect("migrate to 0014");
        writer.await.unwrap();
        let nulls: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM charge_sessions WHERE installation_id IS NULL",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(nulls, 0, "every session has its installation");
        (db, 2_000)
    });
    let first = InstallationId::from_uuid(sites[0]);
    let second = InstallationId::from_uuid(sites[1]);
    // Energy of sessions 0..n is 1 + 2 + … + n.
    let sum = |n: i64| (n * (n + 1) / 2) as f64;
    let totals = db
        .store
        .charge_history_totals(first, &HistoryFilter::default())
        .await
        .unwrap();
    assert_eq!(
        (totals.sessions, totals.energy_wh),
        (BEFORE + during, sum(BEFORE + during))
    );
    let totals = db
        .store
        .charge_history_totals(second, &HistoryFilter::default())
        .await
        .unwrap();
    assert_eq!((totals.sessions, totals.energy_wh), (BEFORE, sum(BEFORE)));
    let page = db
        .store
        .charge_history(second, &HistoryFilter::default(), 1000, 0)
        .await
        .unwrap();
    assert_eq!(page.len(), BEFORE as usize);
    assert!(page
        .iter()
        .all(|s| s.charger_id == ChargerId::from_uuid(chargers[1])));

    // A session started through the store, and one imported.
    let started = new_session(1, "NEW", Utc::now(), 0);
    db.store
        .start_charge_session(ChargerId::from_uuid(chargers[1]), &started)
        .await
        .unwrap();
    let imported = ImportedSession {
        connector_id: 2,
        id_tag: "IMP".into(),
        started_at: Utc::now() - Duration::days(1),
        stopped_at: Utc::now() - Duration::days(1) + Duration::hours(1),
        meter_start: 0,
        meter_stop: 7,
    };
    db.store
        .import_charge_sessions(ChargerId::from_uuid(chargers[1]), &[imported])
        .await
        .unwrap();
    // The started one stops with 5 Wh (as a stop or a correction writes it).
    with_raw_pool!(engine, guard.url.as_str(), |pool| {
        sqlx::query("UPDATE charge_sessions SET energy_wh = 5 WHERE id_tag = 'NEW'")
            .execute(&pool)
            .await
            .unwrap();
    });
    let totals = db
        .store
        .charge_history_totals(second, &HistoryFilter::default())
        .await
        .unwrap();
    assert_eq!(
        (totals.sessions, totals.energy_wh),
        (BEFORE + 2, sum(BEFORE) + 12.0)
    );
    // The same from the sessions themselves (a filter that matches all of them).
    let everything = HistoryFilter {
        from: Some(Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap()),
        ..HistoryFilter::default()
    };
    let counted = db
        .store
        .charge_history_totals(second, &everything)
        .await
        .unwrap();
    assert_eq!(
        (counted.sessions, counted.energy_wh),
        (totals.sessions, totals.energy_wh)
    );
    assert_eq!((counted.first, counted.last), (totals.first, totals.last));

    // The second charger moves to the first installation (no page does this today; the database
    // keeps the sessions with it if anything ever does).
    with_raw_pool!(engine, guard.url.as_str(), |pool| {
        sqlx::query("UPDATE chargers SET installation_id = $1 WHERE id = $2")
            .bind(sites[0])
            .bind(chargers[1])
            .execute(&pool)
            .await
            .unwrap();
    });
    let totals = db
        .store
        .charge_history_totals(second, &HistoryFilter::default())
        .await
        .unwrap();
    assert_eq!(totals.sessions, 0, "nothing stays behind");
    let totals = db
        .store
        .charge_history_totals(first, &HistoryFilter::default())
        .await
        .unwrap();
    assert_eq!(
        (totals.sessions, totals.energy_wh),
        (
            2 * BEFORE + during + 2,
            sum(BEFORE + during) + sum(BEFORE) + 12.0
        )
    );

    // A deleted charger takes its sessions along: none is left without an installation.
    with_raw_pool!(engine, guard.url.as_str(), |pool| {
        sqlx::query("DELETE FROM chargers WHERE id = $1")
            .bind(chargers[0])
            .execute(&pool)
            .await
            .unwrap();
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM charge_sessions WHERE installation_id IS NULL OR charger_id = $1",
        )
        .bind(chargers[0])
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(left, 0);
    });
    let totals = db
        .store
        .charge_history_totals(first, &HistoryFilter::default())
        .await
        .unwrap();
    assert_eq!(
        (totals.sessions, totals.energy_wh),
        (BEFORE + 2, sum(BEFORE) + 12.0)
    );
}
