//! What processes on one PostgreSQL use to act as one service. SQLite has none of it.

use std::time::Duration;

use voltgate_store::cluster::{Heard, NOTIFY_LIMIT};
use voltgate_store::testing::TestDatabase;
use voltgate_store::Engine;

#[tokio::test]
async fn sqlite_has_no_cluster() {
    let database = TestDatabase::new(Engine::Sqlite).await;
    let db = voltgate_store::connect(&database.url).await.unwrap();
    assert!(db.cluster.is_none());
}

async fn heard(listener: &mut voltgate_store::cluster::Listener) -> (String, String) {
    match tokio::time::timeout(Duration::from_secs(5), listener.recv()).await {
        Ok(Ok(Heard::Message { channel, payload })) => (channel, payload),
        other => panic!("a message, not {other:?}"),
    }
}

/// Payloads of any size arrive whole and in order, on the channel they were sent to; those over the
/// notification limit go through the message table, which forgets them only once they are old.
#[tokio::test]
async fn notifications_of_any_size_arrive_in_order() {
    let database = TestDatabase::new(Engine::Postgres).await;
    let db = voltgate_store::connect(&database.url).await.unwrap();
    let cluster = db.cluster.expect("PostgreSQL has a cluster");
    let mut listener = cluster
        .listen(&["voltgate_test_a", "voltgate_test_b"])
        .await
        .unwrap();
    let large = format!("{{\"text\":\"{}\"}}", "é".repeat(NOTIFY_LIMIT));
    let sent = vec!["first".to_owned(), large.clone(), "third".to_owned()];
    cluster
        .notify("voltgate_test_a", sent.clone())
        .await
        .unwrap();
    cluster
        .notify("voltgate_test_b", vec!["other".into()])
        .await
        .unwrap();
    cluster
        .notify("voltgate_test_c", vec!["unheard".into()])
        .await
        .unwrap();
    for payload in &sent {
        assert_eq!(
            heard(&mut listener).await,
            ("voltgate_test_a".to_owned(), payload.clone())
        );
    }
    assert_eq!(
        heard(&mut listener).await,
        ("voltgate_test_b".to_owned(), "other".to_owned())
    );
    assert_eq!(
        cluster.sweep_messages().await.unwrap(),
        0,
        "a fresh message is kept for its readers"
    );
}

/// A connection's capabilities are known once noted for that very connection: a new connection
/// starts without them, a note for an older connection is ignored, and chargers of a node whose
/// lease ran out are not ready.
#[tokio::test]
async fn capabilities_belong_to_the_connection_that_noted_them() {
    use voltgate_domain::authz::ManageUsers;
    use voltgate_domain::text::{Address, Name};
    use voltgate_domain::{ChargePointIdentity, Email, InstallationType, Principal};
    use voltgate_store::cluster::{Capabilities, NodeId};
    use voltgate_store::testing::on_installation;
    use voltgate_store::{NewCharger, NewInstallation, NewUser};

    let database = TestDatabase::new(Engine::Postgres).await;
    let db = voltgate_store::connect(&database.url).await.unwrap();
    let cluster = db.cluster.clone().expect("PostgreSQL has a cluster");
    let owner = db
        .store
        .create_user(&NewUser {
            email: Email::parse("owner@example.com").unwrap(),
            full_name: Name::parse("Owner").unwrap(),
            password_hash: "x".into(),
        })
        .await
        .unwrap();
    let site = NewInstallation {
        name: Name::parse("Garage").unwrap(),
        address: Address::parse("").unwrap(),
        installation_type: InstallationType::Go,
        time_zone: voltgate_domain::Zone::default(),
    };
    let installation = db
        .store
        .create_installation(owner.id, &site, &Principal::User(owner.id))
        .await
        .unwrap();
    let manage: voltgate_domain::Authorized<ManageUsers> = on_installation(
        db.store.as_ref(),
        Principal::User(owner.id),
        installation.id,
    )
    .await
    .unwrap();
    let new = NewCharger {
        identity: ChargePointIdentity::parse("CP-1").unwrap(),
        name: Name::parse("One").unwrap(),
        connectors: 1,
        password_hash: "x".into(),
    };
    let charger = db.store.create_charger(&manage, &new).await.unwrap();
    let (a, b) = (NodeId::random(), NodeId::random());
    cluster.join(a, Duration::from_secs(30)).await.unwrap();
    cluster.join(b, Duration::from_secs(30)).await.unwrap();
    let watts = Capabilities {
        max_stack_level: 0,
        amperes: false,
    };

    cluster.claim(charger.id, a, 1).await.unwrap();
    assert!(
        cluster.ready(&[charger.id]).await.unwrap().is_empty(),
        "not asked yet"
    );
    cluster
        .note_capabilities(charger.id, a, 1, watts)
        .await
        .unwrap();
    assert_eq!(
        cluster.ready(&[charger.id]).await.unwrap(),
        vec![(charger.id, watts)]
    );

    assert_eq!(cluster.claim(charger.id, b, 7).await.unwrap(), Some(a));
    assert!(
        cluster.ready(&[charger.id]).await.unwrap().is_empty(),
        "a new connection starts without"
    );
    cluster
        .note_capabilities(charger.id, a, 1, watts)
        .await
        .unwrap();
    assert!(
        cluster.ready(&[charger.id]).await.unwrap().is_empty(),
        "the old connection's note is ignored"
    );
    let amperes = Capabilities {
        max_stack_level: 3,
        amperes: true,
    };
    cluster
        .note_capabilities(charger.id, b, 7, amperes)
        .await
        .unwrap();
    assert_eq!(
        cluster.ready(&[charger.id]).await.unwrap(),
        vec![(charger.id, amperes)]
    );

    cluster.leave(b).await.unwrap();
    assert!(
        cluster.ready(&[charger.id]).await.unwrap().is_empty(),
        "its process left"
    );
}
