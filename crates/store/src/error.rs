//! The store's one error type.

use voltgate_domain::authz::rules::RoleChangeRefused;
use voltgate_domain::installation::LastOwner;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write; the string names what is taken (`email`, `lookup_key`).
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// A limit was reached: the message id that says so, and the limit.
    #[error("limit {0} of {1} reached")]
    Limit(&'static str, u32),
    /// A role change that the rules refuse: not the caller's to make, or it would leave no owner.
    #[error(transparent)]
    Refused(#[from] RoleChangeRefused),
    /// The database URL or settings are unusable.
    #[error("database configuration: {0}")]
    Config(String),
    /// Stored data that does not satisfy the domain's rules.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<LastOwner> for StoreError {
    fn from(rule: LastOwner) -> Self {
        Self::Refused(rule.into())
    }
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// Maps a foreign-key violation (a row that vanished meanwhile) to [`StoreError::NotFound`].
    pub(crate) fn on_foreign_key(error: sqlx::Error) -> StoreError {
        match &error {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
            _ => StoreError::Database(error),
        }
    }

    /// Maps a unique-constraint violation to [`StoreError::Conflict`] naming `what`.
    pub(crate) fn on_unique(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
            _ => StoreError::Database(error),
        }
    }
}
