//! User groups, their members and lookup keys, and the grants that give them installations.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use voltgate_domain::authz::{
    LeaveGroup, ManageGroup, ManagePermissions, RevokeGrant, VerifyGroup, ViewGroup,
};
use voltgate_domain::{
    Authorized, GrantTerms, GroupAccess, GroupId, GroupRole, InstallationId, LookupKey, Principal,
    RegisteredReturnUrl, UserId,
};

use crate::error::Result;
use crate::model::*;

/// User groups, their members and lookup keys, and the grants that give them installations.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Creates a group with `owner` as its owner; `Conflict("lookup_key")` when the key is taken,
    /// `Conflict("name")` when another group's name looks the same (the same TR39 skeleton).
    async fn create_group(
        &self,
        owner: UserId,
        new: &NewGroup,
        key: &LookupKey,
        by: &Principal,
    ) -> Result<Group>;
    /// A group and what ties `principal` to it; `None` when it does not exist.
    async fn group_for(
        &self,
        principal: &Principal,
        id: GroupId,
    ) -> Result<Option<(Group, GroupAccess)>>;
    /// The group a lookup key names.
    async fn group_by_lookup_key(&self, key: &LookupKey) -> Result<Option<Group>>;
    /// The groups `user` belongs to, by name.
    async fn groups_for(&self, user: UserId) -> Result<Vec<(Group, GroupRole)>>;
    /// Whether `user` owns at least one group.
    async fn owns_a_group(&self, user: UserId) -> Result<bool>;
    /// A group's members, owners first.
    async fn group_members(&self, on: &Authorized<ViewGroup>) -> Result<Vec<GroupMember>>;
    /// Adds `user` to a group or changes their role (audited); keeps an owner.
    async fn set_group_role(
        &self,
        on: &Authorized<ManageGroup>,
        user: UserId,
        role: GroupRole,
    ) -> Result<()>;
    /// Removes `user` from a group (audited); keeps an owner. `NotFound` when not a member.
    async fn remove_group_member(&self, on: &Authorized<ManageGroup>, user: UserId) -> Result<()>;
    /// The acting user leaves the group (audited); keeps an owner.
    async fn leave_group(&self, on: &Authorized<LeaveGroup>) -> Result<()>;
    /// Gives a group a new lookup key (audited); the old one stops working at once.
    async fn rotate_lookup_key(&self, on: &Authorized<ManageGroup>, key: &LookupKey) -> Result<()>;
    /// Marks a group as checked by the operator, or takes the mark away (audited).
    async fn set_group_verified(&self, on: &Authorized<VerifyGroup>, verified: bool) -> Result<()>;
    /// Changes a group's name, description and support contacts (audited with the values before and
    /// after); `Conflict("name")` when another group's name looks the same.
    async fn set_group_details(
        &self,
        on: &Authorized<ManageGroup>,
        details: &GroupDetails,
    ) -> Result<()>;
    /// Replaces a group's registered return URLs (audited).
    async fn set_return_urls(
        &self,
        on: &Authorized<ManageGroup>,
        urls: &[RegisteredReturnUrl],
    ) -> Result<()>;

    /// Gives a group access to an installation on `terms` (rights and end, stored with the grant and
    /// its audit event in one transaction). Approving a grant in force again gives it the new terms
    /// as [`Self::change_grant`] does (nothing happens when they are its own); approving one that has
    /// ended renews it.
    async fn grant_access(
        &self,
        on: &Authorized<ManagePermissions>,
        group: GroupId,
        terms: &GrantTerms,
        request: &RequestContext,
    ) -> Result<Approval>;
    /// Changes the rights and end of a group's grant (narrowing, widening, extending), audited as
    /// `access_changed` with the terms before and after, in one transaction; `NotFound` when the group
    /// has no grant. The one place a grant's terms change: hook events here.
    async fn change_grant(
        &self,
        on: &Authorized<ManagePermissions>,
        group: GroupId,
        terms: &GrantTerms,
    ) -> Result<()>;
    /// Records that `by` denied an access request (for the chosen installation, if they manage it).
    async fn record_denial(
        &self,
        by: &Principal,
        about: Option<&Authorized<ManagePermissions>>,
        group: GroupId,
        request: &RequestContext,
    ) -> Result<()>;
    /// Ends a group's access (audited); `NotFound` when it had none.
    async fn revoke_access(&self, grant: &Authorized<RevokeGrant>) -> Result<()>;
    /// The groups with access to an installation, by name, with their terms; grants that have ended are
    /// listed too (the Permissions tab shows them as expired).
    async fn installation_grants(&self, installation: InstallationId) -> Result<Vec<GroupGrant>>;
    /// The installations a group has access to now (grants that have ended are left out).
    async fn group_grants(&self, group: GroupId) -> Result<Vec<InstallationId>>;
    /// Tells up to `limit` grants whose end passed by `now` and that were not told yet, each once
    /// however many processes call this at the same time: marks them told and writes, in the same
    /// transaction, an `access_expired` audit entry and `access.expired` deliveries for the group's
    /// subscribed endpoints. Answers the grants it told (the caller publishes the live events).
    async fn tell_ended_grants(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<EndedGrant>>;
}
