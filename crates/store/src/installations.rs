//! Installations, their settings and the people with a role on them.

use async_trait::async_trait;
use voltgate_domain::authz::{ChangeSettings, ManageUsers, ViewPeople};
use voltgate_domain::{
    Authorized, InstallationAccess, InstallationId, InstallationSettings, Principal, Role, UserId,
    Zone,
};

use crate::error::Result;
use crate::model::*;

/// Installations, their settings and the people with a role on them.
#[async_trait]
pub trait InstallationStore: Send + Sync {
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
}
