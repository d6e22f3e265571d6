//! The one API every engine implements.

use async_trait::async_trait;
use voltgate_domain::throttle::Attempts;
use voltgate_domain::{
    Email, GroupAccess, GroupId, GroupRole, InstallationAccess, InstallationId,
    InstallationSettings, LookupKey, RegisteredReturnUrl, Role, UserId,
};

use crate::error::Result;
use crate::model::*;

/// Everything voltgate keeps. Every multi-row change runs in one transaction, and every change that
/// people make to installations or groups writes its audit event in that same transaction.
#[async_trait]
pub trait Store: crate::chargers::ChargerStore + Send + Sync + 'static {
    /// Answers when the database answers.
    async fn ping(&self) -> Result<()>;

    /// Creates an account; `Conflict("email")` when the address (any case) is taken.
    async fn create_user(&self, user: &NewUser) -> Result<User>;
    /// The account with this id.
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    /// The account with this address, matched case-insensitively.
    async fn user_by_email(&self, email: &Email) -> Result<Option<User>>;
    /// The account and its password hash, for logging in.
    async fn credentials(&self, email: &Email) -> Result<Option<(User, String)>>;

    /// Saves the portal language a user chose (`en`, `de`, `nb`).
    async fn set_language(&self, user: UserId, language: &str) -> Result<()>;

    /// Failed logins recorded under a throttle key.
    async fn login_attempts(&self, key: &str) -> Result<Option<Attempts>>;
    /// Records the failed logins of a throttle key.
    async fn save_login_attempts(&self, key: &str, attempts: &Attempts) -> Result<()>;
    /// Forgets a throttle key's failures (after a successful login).
    async fn clear_login_attempts(&self, key: &str) -> Result<()>;

    /// Creates an installation with default settings; `owner` becomes its owner.
    async fn create_installation(
        &self,
        owner: UserId,
        new: &NewInstallation,
        actor: Actor,
    ) -> Result<Installation>;
    /// An installation by id, for the central system's own decisions (a charger has no principal);
    /// pages and the API go through [`Store::installation_for`] and `authorize()`.
    async fn installation(&self, id: InstallationId) -> Result<Option<Installation>>;
    /// An installation and what ties `user` to it; `None` when it does not exist.
    async fn installation_for(
        &self,
        user: UserId,
        id: InstallationId,
    ) -> Result<Option<(Installation, InstallationAccess)>>;
    /// Every installation `user` has any relation to, by name.
    async fn installations_for(
        &self,
        user: UserId,
    ) -> Result<Vec<(Installation, InstallationAccess)>>;
    /// Replaces an installation's settings (audited).
    async fn update_settings(
        &self,
        id: InstallationId,
        settings: &InstallationSettings,
        actor: Actor,
    ) -> Result<()>;
    /// The people holding direct roles on an installation, owners first.
    async fn installation_members(&self, id: InstallationId) -> Result<Vec<InstallationMember>>;
    /// Gives `user` a role on an installation, or changes it (audited); keeps an owner.
    async fn set_installation_role(
        &self,
        id: InstallationId,
        user: UserId,
        role: Role,
        actor: Actor,
    ) -> Result<()>;
    /// Takes `user`'s role away (audited); keeps an owner. `NotFound` when there was none.
    async fn remove_installation_role(
        &self,
        id: InstallationId,
        user: UserId,
        actor: Actor,
    ) -> Result<()>;

    /// Creates a group with `owner` as its owner; `Conflict("lookup_key")` when the key is taken.
    async fn create_group(
        &self,
        owner: UserId,
        new: &NewGroup,
        key: &LookupKey,
        actor: Actor,
    ) -> Result<Group>;
    /// A group and what ties `user` to it; `None` when it does not exist.
    async fn group_for(&self, user: UserId, id: GroupId) -> Result<Option<(Group, GroupAccess)>>;
    /// The group a lookup key names.
    async fn group_by_lookup_key(&self, key: &LookupKey) -> Result<Option<Group>>;
    /// The groups `user` belongs to, by name.
    async fn groups_for(&self, user: UserId) -> Result<Vec<(Group, GroupRole)>>;
    /// Whether `user` owns at least one group.
    async fn owns_a_group(&self, user: UserId) -> Result<bool>;
    /// A group's members, owners first.
    async fn group_members(&self, id: GroupId) -> Result<Vec<GroupMember>>;
    /// Adds `user` to a group or changes their role (audited); keeps an owner.
    async fn set_group_role(
        &self,
        id: GroupId,
        user: UserId,
        role: GroupRole,
        actor: Actor,
    ) -> Result<()>;
    /// Removes `user` from a group (audited); keeps an owner. `NotFound` when not a member.
    async fn remove_group_member(&self, id: GroupId, user: UserId, actor: Actor) -> Result<()>;
    /// Gives a group a new lookup key (audited); the old one stops working at once.
    async fn rotate_lookup_key(&self, id: GroupId, key: &LookupKey, actor: Actor) -> Result<()>;
    /// Replaces a group's registered return URLs (audited).
    async fn set_return_urls(
        &self,
        id: GroupId,
        urls: &[RegisteredReturnUrl],
        actor: Actor,
    ) -> Result<()>;

    /// Gives a group access to an installation (audited) and answers whether it is new; approving
    /// again changes nothing.
    async fn grant_access(
        &self,
        installation: InstallationId,
        group: GroupId,
        actor: Actor,
        request: &RequestContext,
    ) -> Result<bool>;
    /// Records that an access request was denied (for the chosen installation, if any).
    async fn record_denial(
        &self,
        installation: Option<InstallationId>,
        group: GroupId,
        actor: Actor,
        request: &RequestContext,
    ) -> Result<()>;
    /// Ends a group's access (audited); `NotFound` when it had none.
    async fn revoke_access(
        &self,
        installation: InstallationId,
        group: GroupId,
        actor: Actor,
    ) -> Result<()>;
    /// The groups with access to an installation, by name.
    async fn installation_grants(&self, installation: InstallationId) -> Result<Vec<GroupGrant>>;
    /// The installations a group has access to.
    async fn group_grants(&self, group: GroupId) -> Result<Vec<InstallationId>>;

    /// An installation's audit log, newest first.
    async fn installation_audit(
        &self,
        id: InstallationId,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>>;
    /// How many events an installation's audit log holds.
    async fn installation_audit_count(&self, id: InstallationId) -> Result<i64>;
    /// A group's audit log, newest first.
    async fn group_audit(&self, id: GroupId, limit: i64, offset: i64) -> Result<Vec<AuditEvent>>;
}
