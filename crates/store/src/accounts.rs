//! People's accounts: sign-up, credentials, session epochs, languages and the login throttle's counts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use voltgate_domain::throttle::{Count, ThrottlePolicy};
use voltgate_domain::{Email, UserId};

use crate::error::Result;
use crate::model::*;

/// People's accounts: sign-up, credentials, session epochs, languages and the login throttle's counts.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account; `Conflict("email")` when the address (any case) is taken.
    async fn create_user(&self, user: &NewUser) -> Result<User>;
    /// The account with this id.
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    /// The account with this address, matched case-insensitively.
    async fn user_by_email(&self, email: &Email) -> Result<Option<User>>;
    /// The account, its password hash and its session epoch read together, for logging in: a session
    /// or token made from this check carries this epoch, so a password change that commits meanwhile
    /// (and moves the epoch on) ends it.
    async fn credentials(&self, email: &Email) -> Result<Option<(User, String, i64)>>;

    /// The account with this id, if `epoch` is still the epoch of its browser sessions (see
    /// [`Store::end_sessions`]): a session from an older epoch has ended.
    async fn user_in_epoch(&self, id: UserId, epoch: i64) -> Result<Option<User>>;
    /// The epoch a new browser session of `user` starts in.
    async fn session_epoch(&self, user: UserId) -> Result<i64>;
    /// Ends every browser session and revokes every API token of `user`, in one transaction: the
    /// sessions' epoch moves on. Answers the new epoch (for a session that is to stay).
    async fn end_sessions(&self, user: UserId, now: DateTime<Utc>) -> Result<i64>;
    /// Replaces `user`'s password hash and, in the same transaction, ends their sessions and tokens as
    /// [`Store::end_sessions`] does. Answers the new epoch.
    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64>;

    /// Saves the portal language a user chose (`en`, `de`, `nb`).
    async fn set_language(&self, user: UserId, language: &str) -> Result<()>;

    /// Counts one attempt under a throttle key and answers the key's count in its window (a window
    /// older than the policy's starts afresh). One statement that increments and returns, so attempts
    /// that arrive together are all counted: call it before the work it guards.
    async fn count_attempt(
        &self,
        key: &str,
        policy: &ThrottlePolicy,
        now: DateTime<Utc>,
    ) -> Result<Count>;
    /// Takes one attempt back (a login that succeeded does not count against its address).
    async fn uncount_attempt(&self, key: &str) -> Result<()>;
    /// Forgets a throttle key (a successful login clears its account's count).
    async fn clear_attempts(&self, key: &str) -> Result<()>;
}
