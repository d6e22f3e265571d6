//! The REST API's bearer tokens: only their SHA-256 is kept. An access token and a refresh token are
//! issued together as one family; a refresh rotates the family's refresh token, and presenting a
//! refresh token that was already rotated revokes the family (someone copied it).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use voltgate_domain::{
    GroupId, InstallationAccess, InstallationId, Principal, ServiceAccountId, UserId,
};

use crate::chargers::ChargerSummary;
use crate::error::Result;
use crate::model::{Installation, User};

/// Which of a family's tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Presented on every API call.
    Access,
    /// Exchanged for a new pair at `/oauth/token`.
    Refresh,
}

impl TokenKind {
    /// The database's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// A new access token and refresh token, given as hashes.
#[derive(Clone, Debug)]
pub struct NewTokenPair {
    /// Whose they are (a refresh keeps the family's holder and ignores this).
    pub user: UserId,
    pub access_hash: String,
    pub access_expires: DateTime<Utc>,
    pub refresh_hash: String,
    pub refresh_expires: DateTime<Utc>,
    /// The address that asked for them.
    pub client_address: String,
    pub at: DateTime<Utc>,
    /// For a password grant: the holder's session epoch read with the password hash that was checked.
    /// The tokens are made only while the epoch is still that one, so a password change that commits
    /// during the check leaves no token behind ([`crate::StoreError::Conflict`] `"session_epoch"`).
    pub epoch: Option<i64>,
}

/// A valid access token: whose it is.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenHolder {
    pub user: User,
    pub family: Uuid,
}

/// A valid service account's token: the account and the group it acts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceHolder {
    pub account: ServiceAccountId,
    pub group: GroupId,
}

impl ServiceHolder {
    /// The account as the principal `authorize()` judges.
    pub fn principal(self) -> Principal {
        Principal::Service {
            account: self.account,
            group: self.group,
        }
    }
}

/// What [`TokenStore::chargers_by_token`] found on the installation: the facts `authorize()` needs and
/// a page of its chargers (empty, with a total of 0, when the holder has no relation to it).
#[derive(Clone, Debug)]
pub struct ChargersOn {
    pub installation: Installation,
    pub access: InstallationAccess,
    pub chargers: Vec<ChargerSummary>,
    /// How many chargers the installation has.
    pub total: i64,
}

/// What became of a refresh.
#[derive(Clone, Debug, PartialEq)]
pub enum Refreshed {
    /// The new pair was stored in the old one's family.
    Rotated(UserId),
    /// Unknown, expired or revoked token: nothing happened.
    Invalid,
    /// The token had already been rotated: its family is revoked now.
    Reused,
}

/// One family of tokens as its holder sees it on the account page.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenFamily {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The address it was last used from (or issued to).
    pub client_address: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// The API's tokens.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a new family with its first access and refresh token; answers the family's id.
    async fn create_tokens(&self, pair: &NewTokenPair) -> Result<Uuid>;
    /// The holder of an unrevoked, unexpired access token. Notes its use (at most once a minute) and
    /// the address it came from.
    async fn access_token(
        &self,
        hash: &str,
        client_address: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenHolder>>;
    /// In one query: the holder of an unrevoked, unexpired access token (as [`Self::access_token`],
    /// noting its use as seldom) and, when the installation exists, the facts `authorize()` needs
    /// about the holder's relation to it (their role, the groups granting them access). `None` when
    /// the token is not valid; `Some((holder, None))` when the installation does not exist.
    async fn access_token_on(
        &self,
        hash: &str,
        client_address: &str,
        now: DateTime<Utc>,
        installation: InstallationId,
    ) -> Result<Option<(TokenHolder, Option<(Installation, InstallationAccess)>)>>;
    /// As [`Self::access_token_on`], and in the same statement a page of the installation's chargers
    /// (`limit` rows from `offset`, all when `limit` is `None`; as [`crate::ChargerStore::charger_page`]),
    /// read only when the holder has a role on the installation or a group's grant. The caller must
    /// still ask `authorize()` before showing any of it.
    async fn chargers_by_token(
        &self,
        hash: &str,
        client_address: &str,
        now: DateTime<Utc>,
        installation: InstallationId,
        page: (Option<i64>, i64),
    ) -> Result<Option<(TokenHolder, Option<ChargersOn>)>>;
    /// As [`Self::access_token_on`] for a service account's token, in one statement: the account and
    /// its group when the token is unexpired and its credentials not revoked (noting its use at most
    /// once a minute) and, when the installation exists, the facts about the group's grant on it.
    async fn service_token_on(
        &self,
        hash: &str,
        now: DateTime<Utc>,
        installation: InstallationId,
    ) -> Result<Option<(ServiceHolder, Option<(Installation, InstallationAccess)>)>>;
    /// As [`Self::chargers_by_token`] for a service account's token: a page of the installation's
    /// chargers read in the same statement, only when the account's group holds a grant in force.
    async fn service_chargers_by_token(
        &self,
        hash: &str,
        now: DateTime<Utc>,
        installation: InstallationId,
        page: (Option<i64>, i64),
    ) -> Result<Option<(ServiceHolder, Option<ChargersOn>)>>;
    /// Exchanges a refresh token for `pair` in one transaction: the old refresh token is used up and
    /// the new pair joins its family. A refresh token that was already used revokes its family.
    async fn refresh_tokens(&self, old_hash: &str, pair: &NewTokenPair) -> Result<Refreshed>;
    /// Revokes the family of the token with this hash, whatever its kind (RFC 7009: unknown tokens
    /// are no error). Answers whether a token was found.
    async fn revoke_token(&self, hash: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Revokes one of `user`'s families; `false` when they have no such family.
    async fn revoke_token_family(
        &self,
        user: UserId,
        family: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Revokes every token of `user` (logging out everywhere, a new password); answers how many.
    async fn revoke_user_tokens(&self, user: UserId, now: DateTime<Utc>) -> Result<u64>;
    /// `user`'s families with a token still valid, newest first.
    async fn token_families(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<TokenFamily>>;
}
