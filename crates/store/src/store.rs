//! The one API every engine implements.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use voltgate_domain::authz::{
    ChangeSettings, LeaveGroup, ManageGroup, ManagePermissions, ManageUsers, RevokeGrant,
    VerifyGroup, ViewGroup, ViewPeople,
};
use voltgate_domain::throttle::{Count, ThrottlePolicy};
use voltgate_domain::{
    Authorized, Email, GroupAccess, GroupId, GroupRole, InstallationAccess, InstallationId,
    InstallationSettings, LookupKey, Principal, RegisteredReturnUrl, Role, UserId, Zone,
};

use crate::error::Result;
use crate::model::*;

/// Everything voltgate keeps. Every multi-row change runs in one transaction, and every change that
/// people make to installations or groups writes its audit event in that same transaction.
///
/// Every write that changes an installation or a group takes the capability that proves the change
/// was authorized ([`Authorized`]); the id it changes and the actor the audit log names come from that
/// capability, never from a separate argument.
#[async_trait]
pub trait Store:
    crate::chargers::ChargerStore
    + crate::tokens::TokenStore
    + crate::history::HistoryStore
    + crate::history::ReportStore
    + Send
    + Sync
    + 'static
{
    /// Answers when the database answers.
    async fn ping(&self) -> Result<()>;

    /// The secret named `name` that every process shares; the first process to ask stores
    /// `candidate`, and every later ask answers that one.
    async fn shared_secret(&self, name: &str, candidate: &str) -> Result<String>;
    /// How many browser sessions are stored.
    async fn browser_sessions(&self) -> Result<i64>;

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

    /// Creates an installation with default settings; `owner` becomes its owner.
    async fn create_installation(
        &self,
        owner: UserId,
        new: &NewInstallation,
        by: &Principal,
    ) -> Result<Installation>;
    /// An installation by id, for the central system's own decisions (a charger has no principal);
    /// pages and the API go through [`Store::installation_for`] and `authorize()`.
    async fn installation(&self, id: InstallationId) -> Result<Option<Installation>>;
    /// An installation and what ties `principal` to it; `None` when it does not exist.
    async fn installation_for(
        &self,
        principal: &Principal,
        id: InstallationId,
    ) -> Result<Option<(Installation, InstallationAccess)>>;
    /// Every installation `principal` has any relation to, by name (the operator: all of them).
    async fn installations_for(
        &self,
        principal: &Principal,
    ) -> Result<Vec<(Installation, InstallationAccess)>>;
    /// Replaces an installation's settings (audited).
    async fn update_settings(
        &self,
        on: &Authorized<ChangeSettings>,
        settings: &InstallationSettings,
    ) -> Result<()>;
    /// Sets the time zone the installation's times are shown in (audited as `time_zone_changed`; a
    /// zone it already has changes nothing).
    async fn set_time_zone(&self, on: &Authorized<ChangeSettings>, zone: Zone) -> Result<()>;
    /// The people holding direct roles on an installation, owners first.
    async fn installation_members(
        &self,
        on: &Authorized<ViewPeople>,
    ) -> Result<Vec<InstallationMember>>;
    /// Gives `user` a role on an installation, or changes it (audited). The role rules
    /// ([`voltgate_domain::authz::rules::role_change`]) are applied to the roles as they are inside
    /// the transaction: `Refused` when the caller may not make this change or it would leave no owner.
    async fn set_installation_role(
        &self,
        on: &Authorized<ManageUsers>,
        user: UserId,
        role: Role,
    ) -> Result<()>;
    /// Takes `user`'s role away (audited), under the same rules. `NotFound` when there was none.
    async fn remove_installation_role(
        &self,
        on: &Authorized<ManageUsers>,
        user: UserId,
    ) -> Result<()>;

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

    /// Gives a group access to an installation (audited) and answers whether it is new; approving
    /// again changes nothing.
    async fn grant_access(
        &self,
        on: &Authorized<ManagePermissions>,
        group: GroupId,
        request: &RequestContext,
    ) -> Result<bool>;
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
    /// The groups with access to an installation, by name.
    async fn installation_grants(&self, installation: InstallationId) -> Result<Vec<GroupGrant>>;
    /// The installations a group has access to.
    async fn group_grants(&self, group: GroupId) -> Result<Vec<InstallationId>>;

    /// An installation's audit log, newest first.
    async fn installation_audit(
        &self,
        on: &Authorized<ManagePermissions>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>>;
    /// How many events an installation's audit log holds.
    async fn installation_audit_count(&self, on: &Authorized<ManagePermissions>) -> Result<i64>;
    /// The events of an installation's audit log that pass `filter`, newest first.
    async fn installation_audit_filtered(
        &self,
        on: &Authorized<ManagePermissions>,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>>;
    /// How many events of an installation's audit log pass `filter`.
    async fn installation_audit_filtered_count(
        &self,
        on: &Authorized<ManagePermissions>,
        filter: &AuditFilter,
    ) -> Result<i64>;
    /// The people (still with an account) and groups an installation's audit log names.
    async fn installation_audit_names(
        &self,
        on: &Authorized<ManagePermissions>,
    ) -> Result<AuditNames>;
    /// A group's audit log, newest first.
    async fn group_audit(&self, id: GroupId, limit: i64, offset: i64) -> Result<Vec<AuditEvent>>;
}
