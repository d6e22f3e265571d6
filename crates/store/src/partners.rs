//! What partners use beyond the portal: a group's service accounts and their tokens, the installations
//! shared with a group as the partner API lists them, return URLs added and removed one at a time, and
//! pushed access requests (a partner's parameters kept on the server behind a short link).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use voltgate_domain::authz::{ManageGroup, ManagePermissions, RequestAccess, ViewGroupGrants};
use voltgate_domain::{
    AccessRequestId, Authorized, GrantTerms, GroupId, InstallationId, RegisteredReturnUrl,
    ServiceAccountId,
};

use crate::error::Result;
use crate::model::{Approval, RequestContext};

/// A group's API credentials as its owners see them (never the secret).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceAccount {
    /// Also the OAuth client id.
    pub id: ServiceAccountId,
    pub group: GroupId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A live service account's credentials, for the client-credentials grant.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceCredentials {
    pub id: ServiceAccountId,
    pub group: GroupId,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
}

/// An installation shared with a group, as the partner API lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedInstallation {
    pub installation: InstallationId,
    pub name: String,
    pub granted_at: DateTime<Utc>,
    /// The e-mail of who approved it, while that account exists.
    pub granted_by: Option<String>,
    /// What the grant gives and until when (it may have ended).
    pub terms: GrantTerms,
}

/// A pushed access request as the partner sent it (checked by the server before it is stored).
#[derive(Clone, Debug, PartialEq)]
pub struct NewPushedRequest {
    pub installation: Option<InstallationId>,
    pub return_url: Option<String>,
    /// Opaque to us; handed back unchanged with the decision.
    pub state: Option<String>,
    pub lang: Option<String>,
    pub partner_name: Option<String>,
    /// The rights asked for, as checked words separated by commas.
    pub requested_rights: String,
    /// The end of the access asked for (RFC 3339), if any.
    pub grant_until: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

/// What became of a pushed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushedOutcome {
    Pending,
    Approved(InstallationId),
    Denied,
    Expired,
}

/// A stored pushed access request.
#[derive(Clone, Debug, PartialEq)]
pub struct PushedRequest {
    pub id: AccessRequestId,
    pub group: GroupId,
    pub request: NewPushedRequest,
    /// `Some` once decided: whether approved, and for which installation.
    pub decision: Option<(bool, Option<InstallationId>)>,
}

impl PushedRequest {
    /// The request's state at `now`: a decision stands; an undecided request past its link's end
    /// has expired.
    pub fn outcome(&self, now: DateTime<Utc>) -> PushedOutcome {
        match self.decision {
            Some((true, Some(installation))) => PushedOutcome::Approved(installation),
            Some(_) => PushedOutcome::Denied,
            None if now >= self.request.expires_at => PushedOutcome::Expired,
            None => PushedOutcome::Pending,
        }
    }
}

/// Partners' credentials, listings and pushed requests.
#[async_trait]
pub trait PartnerStore: Send + Sync {
    /// Stores a new service account of the group with its secret's hash (audited).
    async fn create_service_account(
        &self,
        on: &Authorized<ManageGroup>,
        name: &str,
        secret_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<ServiceAccount>;
    /// The group's service accounts, revoked ones last, newest first.
    async fn service_accounts(&self, on: &Authorized<ManageGroup>) -> Result<Vec<ServiceAccount>>;
    /// Revokes one of the group's service accounts and its tokens (audited); `NotFound` when the group
    /// has no such live account.
    async fn revoke_service_account(
        &self,
        on: &Authorized<ManageGroup>,
        account: ServiceAccountId,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// The credentials of a live service account.
    async fn service_credentials(
        &self,
        account: ServiceAccountId,
    ) -> Result<Option<ServiceCredentials>>;
    /// Stores an access token for a service account and notes the account's use.
    async fn create_service_token(
        &self,
        account: ServiceAccountId,
        hash: &str,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()>;
    /// The account and group of an unexpired token of a live service account; notes the use (at most
    /// once a minute).
    async fn service_token(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(ServiceAccountId, GroupId)>>;
    /// Ends one service-account token (RFC 7009); answers whether it was known.
    async fn revoke_service_token(&self, hash: &str) -> Result<bool>;
    /// A page of the installations shared with the group (`limit` rows from `offset`), by name, and
    /// how many there are.
    async fn shared_installations(
        &self,
        on: &Authorized<ViewGroupGrants>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<SharedInstallation>, i64)>;
    /// Registers one more return URL (audited); registering one again changes nothing.
    async fn add_return_url(
        &self,
        on: &Authorized<ManageGroup>,
        url: &RegisteredReturnUrl,
    ) -> Result<()>;
    /// Removes a registered return URL (audited); `NotFound` when it is not registered.
    async fn remove_return_url(&self, on: &Authorized<ManageGroup>, url: &str) -> Result<()>;
    /// Stores a pushed access request for the group.
    async fn create_pushed_request(
        &self,
        on: &Authorized<RequestAccess>,
        request: &NewPushedRequest,
    ) -> Result<AccessRequestId>;
    /// A pushed request, whichever group it is for (the caller checks that it matches).
    async fn pushed_request(&self, id: AccessRequestId) -> Result<Option<PushedRequest>>;
    /// Approves an undecided, unexpired request for the installation `on` names and gives the group
    /// access, in one transaction (the grant audited as [`crate::GroupStore::grant_access`] does).
    /// `None` when the request was decided already or has expired (nothing changes); else what the
    /// approval did to the group's grant.
    async fn approve_pushed_request(
        &self,
        id: AccessRequestId,
        on: &Authorized<ManagePermissions>,
        terms: &GrantTerms,
        context: &RequestContext,
        at: DateTime<Utc>,
    ) -> Result<Option<Approval>>;
    /// Records the denial of an undecided, unexpired request; `false` when it was decided already or
    /// has expired (nothing changes).
    async fn deny_pushed_request(&self, id: AccessRequestId, at: DateTime<Utc>) -> Result<bool>;
}
