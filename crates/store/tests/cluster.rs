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
