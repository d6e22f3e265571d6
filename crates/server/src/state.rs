//! What every handler shares, and the one place that loads facts and asks `authorize()`.

use std::collections::HashMap;
use std::sync::Arc;

use voltgate_domain::{
    authorize, Action, GroupAccess, GroupId, InstallationAccess, InstallationId, Principal,
    Resource,
};
use voltgate_ocpp::{CentralSystem, Registry, SessionConfig};
use voltgate_store::{Group, Installation, Store, User};

use crate::charging::Charging;
use crate::error::AppError;

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    /// Everything voltgate keeps.
    pub store: Arc<dyn Store>,
    /// The chargers connected to this process.
    pub registry: Arc<Registry>,
    /// What the central system does with chargers' requests: the charging service.
    pub central: Arc<dyn CentralSystem>,
    /// Commands to chargers and load balancing.
    pub charging: Arc<Charging>,
    /// Timing and limits of charger sessions.
    pub sessions: SessionConfig,
    /// Where people reach the service (for the OCPP URL shown to installers), if configured.
    pub public_url: Option<String>,
}

/// The acting user as `authorize()` sees them.
pub fn principal(user: &User) -> Principal {
    Principal { user: user.id }
}

impl AppState {
    /// The installation, if `user` may do `action` on it: 404 when they have no relation, 403 when
    /// they may see it but not do this.
    pub async fn installation(
        &self,
        user: &User,
        id: InstallationId,
        action: Action,
    ) -> Result<(Installation, InstallationAccess), AppError> {
        let (installation, access) = self
            .store
            .installation_for(user.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        authorize(&principal(user), action, Resource::Installation(&access))?;
        Ok((installation, access))
    }

    /// The installations `user` may see.
    pub async fn visible_installations(
        &self,
        user: &User,
    ) -> Result<Vec<(Installation, InstallationAccess)>, AppError> {
        let all = self.store.installations_for(user.id).await?;
        Ok(all
            .into_iter()
            .filter(|(_, access)| {
                authorize(
                    &principal(user),
                    Action::ViewInstallation,
                    Resource::Installation(access),
                )
                .is_ok()
            })
            .collect())
    }

    /// The group, if `user` may do `action` on it.
    pub async fn group(
        &self,
        user: &User,
        id: GroupId,
        action: Action,
    ) -> Result<(Group, GroupAccess), AppError> {
        let (group, access) = self
            .store
            .group_for(user.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        authorize(&principal(user), action, Resource::Group(&access))?;
        Ok((group, access))
    }

    /// The names of the groups `user` belongs to, to say through which group access comes.
    pub async fn group_names(&self, user: &User) -> Result<HashMap<GroupId, String>, AppError> {
        let groups = self.store.groups_for(user.id).await?;
        Ok(groups
            .into_iter()
            .map(|(group, _)| (group.id, group.name))
            .collect())
    }

    /// Whether `user` may do `action` given facts already loaded for them.
    pub fn may(&self, user: &User, action: Action, resource: Resource<'_>) -> bool {
        authorize(&principal(user), action, resource).is_ok()
    }
}
