//! The OCA OCPP 1.6 test cases that concern a central system (the ones SteVe runs as
//! `Ocpp16JsonCsmsCertificationIT`), each a test named by its OCTT id, on SQLite and PostgreSQL.
//!
//! A scripted charge point speaks to a real server over a real WebSocket. The central system's own
//! messages (remote start, reset, configuration, …) are asked of it the way the portal and the API
//! ask: through the one command path, with the installation owner's capability. Before each case the
//! database holds one registered charge point with two connectors and one registered RFID token, on an
//! installation that requires authorisation. Cases for features voltgate does not implement are listed
//! in [`NOT_SUPPORTED`], and `the_suite_covers_every_case` checks that the README's count is the truth.

mod core;
mod management;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use voltgate_domain::authz::{ChangeSettings, ManageUsers};
use voltgate_domain::text::{Address, Name};
use voltgate_domain::{
    ChargePointIdentity, ChargerId, Email, InstallationId, InstallationSettings, InstallationType,
    Principal, UserId,
};
use voltgate_ocpp::{Answer, Command};
use voltgate_server::charging::{
    secrets, ChargerCommand, ChargerControl, Charging, CommandOutcome,
};
use voltgate_server::{Application, ServeSettings};
use voltgate_store::testing::{on_installation, TestDatabase};
use voltgate_store::{Database, Engine, NewInstallation, NewUser};

use crate::charge_point::ChargePoint;

/// The registered charge point's identity.
pub const STATION: &str = "CP-CONFORMANCE";
/// The registered RFID token.
pub const TAG: &str = "REGISTERED-TAG";

/// The active cases of SteVe's certification suite (tool document 2026-02), by OCTT id.
pub const ACTIVE: [&str; 73] = [
    "TC_001", "TC_003", "TC_004_1", "TC_004_2", "TC_005_1", "TC_007", "TC_010", "TC_011_1",
    "TC_011_2", "TC_012", "TC_013", "TC_014", "TC_017_1", "TC_017_2", "TC_018_1", "TC_019_1",
    "TC_019_2", "TC_021", "TC_023_1", "TC_023_2", "TC_023_3", "TC_024", "TC_026", "TC_028",
    "TC_030", "TC_031", "TC_032_1", "TC_037_1", "TC_037_3", "TC_039", "TC_040_1", "TC_040_2",
    "TC_042_1", "TC_042_2", "TC_043_1", "TC_043_3", "TC_043_4", "TC_043_5", "TC_044_1", "TC_044_2",
    "TC_044_3", "TC_045_1", "TC_045_2", "TC_046", "TC_047", "TC_048_1", "TC_048_2", "TC_048_3",
    "TC_048_4", "TC_049", "TC_051", "TC_052", "TC_053", "TC_054", "TC_055", "TC_056", "TC_057",
    "TC_059", "TC_061", "TC_064", "TC_066", "TC_067", "TC_073", "TC_075_1", "TC_075_2", "TC_076",
    "TC_078", "TC_079", "TC_080", "TC_081", "TC_083", "TC_085", "TC_088",
];

/// Cases of features voltgate does not implement, and why.
pub const NOT_SUPPORTED: [(&str, &str); 19] = [
    ("TC_046", "reservations"),
    ("TC_047", "reservations"),
    ("TC_048_1", "reservations"),
    ("TC_048_2", "reservations"),
    ("TC_048_3", "reservations"),
    ("TC_048_4", "reservations"),
    ("TC_049", "reservations"),
    ("TC_051", "reservations"),
    ("TC_052", "reservations"),
    ("TC_053", "reservations"),
    (
        "TC_073",
        "security extension: AuthorizationKey password update",
    ),
    ("TC_075_1", "security extension: certificates"),
    ("TC_075_2", "security extension: certificates"),
    ("TC_076", "security extension: certificates"),
    (
        "TC_078",
        "security extension: certificates and security events",
    ),
    ("TC_079", "security extension: security log"),
    ("TC_080", "security extension: signed firmware"),
    ("TC_081", "security extension: signed firmware"),
    (
        "TC_083",
        "security profiles 2 and 3 (TLS is the reverse proxy's)",
    ),
];

/// The cases implemented as tests below (their test function names start with the id in lower case).
pub const IMPLEMENTED: [&str; 54] = [
    "TC_001", "TC_003", "TC_004_1", "TC_004_2", "TC_005_1", "TC_007", "TC_010", "TC_011_1",
    "TC_011_2", "TC_012", "TC_013", "TC_014", "TC_017_1", "TC_017_2", "TC_018_1", "TC_019_1",
    "TC_019_2", "TC_021", "TC_023_1", "TC_023_2", "TC_023_3", "TC_024", "TC_026", "TC_028",
    "TC_030", "TC_031", "TC_032_1", "TC_037_1", "TC_037_3", "TC_039", "TC_040_1", "TC_040_2",
    "TC_042_1", "TC_042_2", "TC_043_1", "TC_043_3", "TC_043_4", "TC_043_5", "TC_044_1", "TC_044_2",
    "TC_044_3", "TC_045_1", "TC_045_2", "TC_054", "TC_055", "TC_056", "TC_057", "TC_059", "TC_061",
    "TC_064", "TC_066", "TC_067", "TC_085", "TC_088",
];

/// A fresh server and database with the registered charge point and token.
pub struct Suite {
    pub base: String,
    pub db: Database,
    pub charging: Arc<Charging>,
    pub owner: UserId,
    pub installation: InstallationId,
    pub charger: ChargerId,
    pub password: String,
    _database: TestDatabase,
}

impl Suite {
    pub async fn new(engine: Engine) -> Self {
        let database = TestDatabase::new(engine).await;
        let app = Application::build(ServeSettings::for_tests(&database.url))
            .await
            .expect("the application starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        let charging = app.charging();
        tokio::spawn(app.run_until_stopped());
        let db = voltgate_store::connect(&database.url).await.unwrap();
        let owner = person(&db, "owner@example.no").await;
        let new = NewInstallation {
            name: Name::parse("Conformance").unwrap(),
            address: Address::parse("").unwrap(),
            installation_type: InstallationType::Go,
            time_zone: voltgate_domain::Zone::default(),
        };
        let installation = db
            .store
            .create_installation(owner, &new, &Principal::User(owner))
            .await
            .unwrap()
            .id;
        let suite_principal = Principal::User(owner);
        let settings: voltgate_domain::Authorized<ChangeSettings> =
            on_installation(db.store.as_ref(), suite_principal, installation)
                .await
                .unwrap();
        let required = InstallationSettings {
            authentication_required: true,
            ..InstallationSettings::default()
        };
        db.store
            .update_settings(&settings, &required)
            .await
            .unwrap();
        let manage: voltgate_domain::Authorized<ManageUsers> =
            on_installation(db.store.as_ref(), suite_principal, installation)
                .await
                .unwrap();
        let (new, password) = secrets::new_charger(
            ChargePointIdentity::parse(STATION).unwrap(),
            Name::parse("Station").unwrap(),
            2,
        );
        let charger = db.store.create_charger(&manage, &new).await.unwrap().id;
        db.store.add_id_tag(&manage, TAG, owner).await.unwrap();
        Self {
            base,
            db,
            charging,
            owner,
            installation,
            charger,
            password,
            _database: database,
        }
    }

    /// The station, connected with its password (security profile 1); load balancing's first words
    /// to it are answered.
    pub async fn station(&self) -> ChargePoint {
        let mut station = ChargePoint::connect(&self.base, STATION, &self.password).await;
        station.settle(Duration::from_millis(200)).await;
        station
    }

    /// Has the central system send `command` (as the installation's owner would, through the portal
    /// or the API) while the station answers it with `answer`; returns what the central system
    /// reports and the CALL the station got.
    pub async fn command(
        &self,
        station: &mut ChargePoint,
        command: Command,
        answer: Value,
    ) -> (Answer, String, Value) {
        let control = ChargerControl::check::<voltgate_domain::authz::ControlChargers>(
            self.db.store.as_ref(),
            &Principal::User(self.owner),
            self.charger,
        )
        .await
        .expect("the owner controls the station");
        let send = self
            .charging
            .send_command(&control, ChargerCommand::Ocpp(command));
        let (result, (action, payload)) = tokio::join!(send, station.answer_next(answer));
        match result {
            Ok(CommandOutcome::Answered(answer)) => (answer, action, payload),
            other => panic!("{action}: the central system reports {other:?}"),
        }
    }

    /// Registers `tag` to a new person with a role on the installation; returns the person.
    pub async fn tag_for_new_person(&self, tag: &str, email: &str) -> UserId {
        let person = person(&self.db, email).await;
        let manage = self.manage().await;
        self.db
            .store
            .set_installation_role(&manage, person, voltgate_domain::Role::User)
            .await
            .unwrap();
        self.db
            .store
            .add_id_tag(&manage, tag, person)
            .await
            .unwrap();
        person
    }

    pub async fn manage(&self) -> voltgate_domain::Authorized<ManageUsers> {
        on_installation(
            self.db.store.as_ref(),
            Principal::User(self.owner),
            self.installation,
        )
        .await
        .unwrap()
    }
}

async fn person(db: &Database, email: &str) -> UserId {
    let new = NewUser {
        email: Email::parse(email).unwrap(),
        full_name: Name::parse("Person").unwrap(),
        password_hash: "not a hash".into(),
    };
    db.store.create_user(&new).await.unwrap().id
}

/// Now, as OCPP writes it.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `minutes` from now (negative: ago).
pub fn minutes_from_now(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Sends a CALL and checks that it was answered with a CALLRESULT; returns its payload.
pub async fn ok(station: &mut ChargePoint, action: &str, payload: Value) -> Value {
    station.ok(action, payload).await
}

pub async fn status(station: &mut ChargePoint, connector: u32, state: &str) -> Value {
    status_at(station, connector, state, &now()).await
}

pub async fn status_at(station: &mut ChargePoint, connector: u32, state: &str, at: &str) -> Value {
    let payload =
        json!({"connectorId": connector, "errorCode": "NoError", "status": state, "timestamp": at});
    ok(station, "StatusNotification", payload).await
}

pub async fn all_connectors(station: &mut ChargePoint, state: &str) {
    for connector in 0..=2 {
        status(station, connector, state).await;
    }
}

pub async fn authorize(station: &mut ChargePoint, tag: &str) -> String {
    let answer = ok(station, "Authorize", json!({ "idTag": tag })).await;
    answer["idTagInfo"]["status"].as_str().unwrap().to_owned()
}

/// A StartTransaction; returns (status, transactionId).
pub async fn start(station: &mut ChargePoint, tag: &str, meter: i64, at: &str) -> (String, i64) {
    let payload = json!({"connectorId": 1, "idTag": tag, "meterStart": meter, "timestamp": at});
    let answer = ok(station, "StartTransaction", payload).await;
    (
        answer["idTagInfo"]["status"].as_str().unwrap().to_owned(),
        answer["transactionId"].as_i64().unwrap(),
    )
}

pub async fn stop(
    station: &mut ChargePoint,
    transaction: i64,
    tag: &str,
    reason: &str,
    at: &str,
) -> Value {
    let payload = json!({"transactionId": transaction, "idTag": tag, "meterStop": 10, "timestamp": at, "reason": reason});
    ok(station, "StopTransaction", payload).await
}

/// Authorize, Preparing, StartTransaction (accepted, with a real transaction), Charging.
pub async fn enter_charging(station: &mut ChargePoint, tag: &str) -> i64 {
    assert_eq!(authorize(station, TAG).await, "Accepted");
    status(station, 1, "Preparing").await;
    let (accepted, transaction) = start(station, tag, 0, &now()).await;
    assert_eq!(accepted, "Accepted");
    assert!(transaction > 0);
    status(station, 1, "Charging").await;
    transaction
}

/// The status in a command's answer.
pub fn status_of(answer: &Answer) -> String {
    answer.summary()
}

#[test]
fn the_suite_covers_every_case() {
    let mut covered: Vec<&str> = IMPLEMENTED.to_vec();
    covered.extend(NOT_SUPPORTED.iter().map(|(id, _)| *id));
    covered.sort_unstable();
    let mut active = ACTIVE.to_vec();
    active.sort_unstable();
    assert_eq!(
        covered, active,
        "every active case is implemented or declared not supported"
    );
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("the README")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let claim = format!(
        "{} of the {} active cases pass",
        IMPLEMENTED.len(),
        ACTIVE.len()
    );
    assert!(readme.contains(&claim), "the README says \"{claim}\"");
    for (id, _) in NOT_SUPPORTED {
        assert!(
            readme.contains(id),
            "the README lists {id} as not supported"
        );
    }
    let sources = [include_str!("core.rs"), include_str!("management.rs")].concat();
    for id in IMPLEMENTED {
        let name = format!("async fn {}_", id.to_lowercase());
        assert!(sources.contains(&name), "{id} has a test");
    }
}
