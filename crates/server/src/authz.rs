//! The one place in the server that loads the facts about a principal and asks `authorize()`. Every
//! handler, of the portal or the API, starts here and gets a capability ([`Authorized`]) that the
//! store's writes require: 404 when the principal has no relation to the resource, 403 when they may
//! see it but not do this.

use std::collections::HashMap;

use voltgate_domain::authz::{RevokeGrant, Right, ViewInstallation};
use voltgate_domain::{
    authorize, Authorized, GrantAccess, GroupAccess, GroupId, InstallationAccess, InstallationId,
    Principal, UserId,
};
use voltgate_store::{ChargersOn, Group, Installation, Store, User};

use crate::error::AppError;
use crate::state::AppState;

/// The installation, with `principal`'s capability to do `R` on it. The command line asks this as
/// [`Principal::Operator`]; handlers go through [`AppState::installation`].
pub async fn installation<R>(
    store: &dyn Store,
    principal: &Principal,
    id: InstallationId,
) -> Result<(Installation, Authorized<R>), AppError>
where
    R: Right<Facts = InstallationAccess>,
{
    let (installation, access) = store
        .installation_for(principal, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((installation, authorize(principal, access)?))
}

/// For an API call: the holder of the access token with this hash, the installation, and the
/// holder's capability to do `R` on it, from one query that loads the token and the holder's relation
/// to the installation together (nothing is cached: a revoked token or grant fails at once).
/// `Unauthorized` for a bad token, `NotFound` for an unknown installation.
pub async fn installation_by_token<R>(
    store: &dyn Store,
    token_hash: &str,
    client_address: &str,
    id: InstallationId,
) -> Result<(User, Installation, Authorized<R>), AppError>
where
    R: Right<Facts = InstallationAccess>,
{
    let (holder, found) = store
        .access_token_on(token_hash, client_address, chrono::Utc::now(), id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let (installation, access) = found.ok_or(AppError::NotFound)?;
    let principal = Principal::Api(holder.user.id);
    Ok((holder.user, installation, authorize(&principal, access)?))
}

/// For the API's charger list: the holder of the access token with this hash, a page of the
/// installation's chargers (`limit` rows from `offset`) and the holder's capability to see them, from
/// one statement that also loads the holder's relation to the installation (nothing is cached). The
/// page leaves here only with the capability: `Forbidden`/`NotFound` as [`installation_by_token`].
pub async fn chargers_by_token(
    store: &dyn Store,
    token_hash: &str,
    client_address: &str,
    id: InstallationId,
    page: (Option<i64>, i64),
) -> Result<(ChargersOn, Authorized<ViewInstallation>), AppError> {
    let (holder, found) = store
        .chargers_by_token(token_hash, client_address, chrono::Utc::now(), id, page)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let found = found.ok_or(AppError::NotFound)?;
    let principal = Principal::Api(holder.user.id);
    let cap = authorize(&principal, found.access.clone())?;
    Ok((found, cap))
}

/// As [`installation_by_token`] for a service account's token: the account (as its principal), the
/// installation and the account's capability to do `R` on it, from one query that also checks the
/// credentials are not revoked and loads the group's grant (a revoked credential or grant fails at
/// once).
pub async fn installation_by_service_token<R>(
    store: &dyn Store,
    token_hash: &str,
    id: InstallationId,
) -> Result<(Principal, Installation, Authorized<R>), AppError>
where
    R: Right<Facts = InstallationAccess>,
{
    let (holder, found) = store
        .service_token_on(token_hash, chrono::Utc::now(), id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let (installation, access) = found.ok_or(AppError::NotFound)?;
    let principal = holder.principal();
    Ok((principal, installation, authorize(&principal, access)?))
}

/// As [`chargers_by_token`] for a service account's token: the page is read in the same statement
/// as the token, only where the account's group holds a grant in force.
pub async fn chargers_by_service_token(
    store: &dyn Store,
    token_hash: &str,
    id: InstallationId,
    page: (Option<i64>, i64),
) -> Result<(ChargersOn, Authorized<ViewInstallation>), AppError> {
    let (holder, found) = store
        .service_chargers_by_token(token_hash, chrono::Utc::now(), id, page)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let found = found.ok_or(AppError::NotFound)?;
    let principal = holder.principal();
    let cap = authorize(&principal, found.access.clone())?;
    Ok((found, cap))
}

/// The group, with `principal`'s capability to do `R` on it.
pub async fn group<R>(
    store: &dyn Store,
    principal: &Principal,
    id: GroupId,
) -> Result<(Group, Authorized<R>), AppError>
where
    R: Right<Facts = GroupAccess>,
{
    let (group, access) = store
        .group_for(principal, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((group, authorize(principal, access)?))
}

impl AppState {
    /// The installation, with the capability to do `R` on it.
    pub async fn installation<R>(
        &self,
        principal: &Principal,
        id: InstallationId,
    ) -> Result<(Installation, Authorized<R>), AppError>
    where
        R: Right<Facts = InstallationAccess>,
    {
        installation(self.store.as_ref(), principal, id).await
    }

    /// The installations `principal` may see, each with the capability to see it.
    pub async fn visible_installations(
        &self,
        principal: &Principal,
    ) -> Result<Vec<(Installation, Authorized<ViewInstallation>)>, AppError> {
        self.installations_with::<ViewInstallation>(principal).await
    }

    /// The installations on which `principal` may do `R`, each with the capability to do it (the
    /// others are left out).
    pub async fn installations_with<R>(
        &self,
        principal: &Principal,
    ) -> Result<Vec<(Installation, Authorized<R>)>, AppError>
    where
        R: Right<Facts = InstallationAccess>,
    {
        let all = self.store.installations_for(principal).await?;
        Ok(all
            .into_iter()
            .filter_map(|(installation, access)| {
                authorize(principal, access)
                    .ok()
                    .map(|cap| (installation, cap))
            })
            .collect())
    }

    /// The group, with the capability to do `R` on it.
    pub async fn group<R>(
        &self,
        principal: &Principal,
        id: GroupId,
    ) -> Result<(Group, Authorized<R>), AppError>
    where
        R: Right<Facts = GroupAccess>,
    {
        group(self.store.as_ref(), principal, id).await
    }

    /// The capability to end `group`'s access to an installation, from the principal's relation to
    /// both (the installation's owners and admins, or the group's owners).
    pub async fn revocation(
        &self,
        principal: &Principal,
        installation: InstallationId,
        group: GroupId,
    ) -> Result<(Installation, Group, Authorized<RevokeGrant>), AppError> {
        let (installation, on_installation) = self
            .store
            .installation_for(principal, installation)
            .await?
            .ok_or(AppError::NotFound)?;
        let (group, on_group) = self
            .store
            .group_for(principal, group)
            .await?
            .ok_or(AppError::NotFound)?;
        let facts = GrantAccess {
            installation: on_installation,
            group: on_group,
        };
        Ok((installation, group, authorize(principal, facts)?))
    }

    /// The names of the groups `user` belongs to, to say through which group access comes.
    pub async fn group_names(&self, user: UserId) -> Result<HashMap<GroupId, String>, AppError> {
        let groups = self.store.groups_for(user).await?;
        Ok(groups
            .into_iter()
            .map(|(group, _)| (group.id, group.name))
            .collect())
    }
}
