//! Throw-away databases for tests: a SQLite file in a temporary folder, or a fresh PostgreSQL database
//! on the server named by `VOLTGATE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//! A PostgreSQL that cannot be reached fails the test; it never skips.

use sqlx::{Connection, Executor, PgConnection};

use voltgate_domain::authz::Right;
use voltgate_domain::{
    authorize, Authorized, Denial, GroupAccess, GroupId, InstallationAccess, InstallationId,
    Principal,
};

use crate::{Engine, Store};

/// The server and maintenance database the PostgreSQL tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("VOLTGATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    /// The `DATABASE_URL` of the new database.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// Creates an empty database on `engine`. Panics with the reason when that is impossible.
    pub async fn new(engine: Engine) -> Self {
        match engine {
            Engine::Sqlite => {
                let dir =
                    tempfile::tempdir().expect("a temporary folder for the SQLite test database");
                let url = format!("sqlite://{}", dir.path().join("voltgate.db").display());
                Self {
                    url,
                    cleanup: Cleanup::File(dir),
                }
            }
            Engine::Postgres => {
                let admin_url = postgres_admin_url();
                let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL test server at {admin_url} is unreachable ({e}); start it, tests do not skip")
                });
                let name = format!("voltgate_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute(format!("CREATE DATABASE \"{name}\"").as_str())
                    .await
                    .expect("create the PostgreSQL test database");
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .unwrap_or(&admin_url);
                let url = format!("{base}/{name}");
                Self {
                    url,
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                admin.execute(sql.as_str()).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop a PostgreSQL test database; remove voltgate_test_* databases by hand");
        }
    }
}

/// The capability for `R` on an installation, got the way a handler gets it: the facts the store loads
/// for `principal`, then `authorize()`. `Err` when refused (`NotFound` also for an unknown id).
pub async fn on_installation<R>(
    store: &dyn Store,
    principal: Principal,
    id: InstallationId,
) -> Result<Authorized<R>, Denial>
where
    R: Right<Facts = InstallationAccess>,
{
    let facts = store.installation_for(&principal, id).await;
    let (_, access) = facts.expect("the store answers").ok_or(Denial::NotFound)?;
    authorize(&principal, access)
}

/// The capability for `R` on a group, got the way a handler gets it.
pub async fn on_group<R>(
    store: &dyn Store,
    principal: Principal,
    id: GroupId,
) -> Result<Authorized<R>, Denial>
where
    R: Right<Facts = GroupAccess>,
{
    let facts = store.group_for(&principal, id).await;
    let (_, access) = facts.expect("the store answers").ok_or(Denial::NotFound)?;
    authorize(&principal, access)
}

/// Runs `$body` with `$pool` a raw pool of the engine's own type on `$url` (the same SQL on both).
#[macro_export]
macro_rules! with_raw_pool {
    ($engine:expr, $url:expr, |$pool:ident| $body:expr) => {
        match $engine {
            $crate::Engine::Sqlite => {
                let options = $url
                    .parse::<sqlx::sqlite::SqliteConnectOptions>()
                    .unwrap()
                    .create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .busy_timeout(std::time::Duration::from_secs(30))
                    .foreign_keys(true);
                let $pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                $body
            }
            $crate::Engine::Postgres => {
                let $pool = sqlx::PgPool::connect($url).await.unwrap();
                $body
            }
        }
    };
}
