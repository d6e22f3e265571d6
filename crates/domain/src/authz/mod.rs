//! The one place that decides who may do what.
//!
//! Relationship-based: the store loads the facts that tie a [`Principal`] to a resource (its direct role
//! on an installation, the groups through which it holds a grant, its role in a group) and this module
//! alone turns those facts into yes or no. [`authorize`] answers with a capability, an
//! [`Authorized<R>`](Authorized) value that only this module can make; the store's writes take it, so a
//! handler that forgot to ask does not compile. [`check`] answers yes or no from the same rules, for
//! pages that show or hide a button.
//!
//! The rules that need more than one resource or the state at the time of a write live in [`rules`]:
//! who may change whose role, who may revoke a grant, who may hold an RFID token, which grants a member
//! sees.

mod capability;
pub mod rules;

use crate::grant::GrantRights;
use crate::group::GroupRole;
use crate::ids::{GroupId, InstallationId, ServiceAccountId, UserId};
use crate::installation::Role;

pub use capability::*;

/// Who is acting. The portal and the REST API both turn a request into one of these (a session or a
/// bearer token names a user); the command line acts as the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A person with an account, signed in to the portal or holding an API token.
    User(UserId),
    /// A person acting through the REST API with a bearer token: the same rights as [`Self::User`],
    /// and the audit log says the change came through the API.
    Api(UserId),
    /// The service's operator, through the `voltgate admin` command line: may do everything, and the
    /// audit log says so.
    Operator,
    /// A group's service account, acting through the REST API with a client-credentials token: it
    /// reaches an installation only through its group's grant, and the audit log names it.
    Service {
        /// The service account (its client id).
        account: ServiceAccountId,
        /// The group it acts for.
        group: GroupId,
    },
}

impl Principal {
    /// How the audit log names the way the principal acted, beyond the portal: `None` for a person in
    /// the portal.
    pub fn via(&self) -> Option<&'static str> {
        match self {
            Self::User(_) => None,
            Self::Api(_) => Some("api"),
            Self::Operator => Some("operator command line"),
            Self::Service { .. } => Some("service account"),
        }
    }

    /// The acting user, if a person acts.
    pub fn user(&self) -> Option<UserId> {
        match self {
            Self::User(id) | Self::Api(id) => Some(*id),
            Self::Operator | Self::Service { .. } => None,
        }
    }

    /// The group a service account acts for; `None` for people and the operator.
    pub fn service_group(&self) -> Option<GroupId> {
        match self {
            Self::Service { group, .. } => Some(*group),
            _ => None,
        }
    }
}

/// Everything that can be asked of a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See an installation, its chargers and its settings.
    ViewInstallation,
    /// See an installation's charge history.
    ViewChargeHistory,
    /// Change an installation's settings.
    ChangeSettings,
    /// Start, stop, restart, pause, resume and unlock the installation's chargers.
    ControlChargers,
    /// Change the chargers' own settings, their OCPP configuration and their charging limits.
    ConfigureChargers,
    /// See the people who hold roles on the installation, with their e-mail addresses.
    ViewPeople,
    /// Add, remove or change the people who hold roles on the installation; add chargers and RFID tokens.
    ManageUsers,
    /// See and revoke groups' access; approve access requests; read the audit log.
    ManagePermissions,
    /// Rename or delete the installation.
    DeleteInstallation,
    /// See a user group's details and members.
    ViewGroup,
    /// Leave a user group one belongs to.
    LeaveGroup,
    /// Manage a group's members, return URLs and lookup key.
    ManageGroup,
    /// Mark a group as checked by the service's operator.
    VerifyGroup,
    /// End a group's access to an installation.
    RevokeGrant,
    /// See which installations are shared with a group (its members, owners and service accounts).
    ViewGroupGrants,
    /// Push an access request on a group's behalf (its owners and service accounts).
    RequestAccess,
    /// Give up a group's access to an installation (its owners and service accounts): decided with the
    /// installation's facts by [`GrantAccess`].
    GiveUpAccess,
}

/// What ties one principal to one installation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallationAccess {
    /// The principal these facts were loaded for.
    pub principal: Principal,
    /// The installation they are about.
    pub installation: InstallationId,
    /// The principal's direct role, if any.
    pub role: Option<Role>,
    /// Groups the principal belongs to that hold a grant on the installation (grants that have ended
    /// are not loaded), each with the rights its grant gives.
    pub via_groups: Vec<ViaGroup>,
}

/// A group through which a principal holds a grant, and what the grant gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViaGroup {
    /// The group.
    pub group: GroupId,
    /// The rights of its grant.
    pub rights: GrantRights,
}

impl ViaGroup {
    /// A group's grant with every right, as grants were before they could be narrowed.
    pub fn all(group: GroupId) -> Self {
        Self {
            group,
            rights: GrantRights::ALL,
        }
    }
}

impl InstallationAccess {
    /// The group through which the principal does `action` (what the audit log names as "through
    /// 👥 group"): the first group whose grant allows it, when the principal has no role of its own;
    /// `None` for owners, admins and users, who act in their own name, and when no grant allows it.
    pub fn acting_group(&self, action: Action) -> Option<GroupId> {
        match self.role {
            Some(_) => None,
            None => self
                .via_groups
                .iter()
                .find(|via| via.rights.allows(action))
                .map(|via| via.group),
        }
    }

    /// Whether the principal holds a grant through `group`.
    pub fn through(&self, group: GroupId) -> bool {
        self.via_groups.iter().any(|via| via.group == group)
    }

    /// Whether any of the principal's grants allows `action`.
    fn granted(&self, action: Action) -> bool {
        self.via_groups.iter().any(|via| via.rights.allows(action))
    }
}

/// What ties one principal to one user group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupAccess {
    /// The principal these facts were loaded for.
    pub principal: Principal,
    /// The group they are about.
    pub group: GroupId,
    /// The principal's role in the group, if any.
    pub role: Option<GroupRole>,
}

/// What decides whether a group's access to an installation may be ended: the principal's relation to
/// both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantAccess {
    /// The principal's relation to the installation.
    pub installation: InstallationAccess,
    /// The principal's relation to the group.
    pub group: GroupAccess,
}

/// Why an action was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// The principal has no relation to the resource: answer as if it did not exist.
    #[error("not found")]
    NotFound,
    /// The principal may see the resource but not do this.
    #[error("forbidden")]
    Forbidden,
}

mod sealed {
    pub trait Sealed {}
}

/// Facts about one principal and one resource, as the store loads them.
pub trait Facts: sealed::Sealed + Clone + std::fmt::Debug + Send + Sync + 'static {
    /// What the facts are about: an installation id, a group id, or both.
    type Target: Copy + std::fmt::Debug + Eq + Send + Sync + 'static;
    /// Whom the facts were loaded for.
    fn principal(&self) -> &Principal;
    /// What they are about.
    fn target(&self) -> Self::Target;
    /// The rule: whether these facts allow `action`.
    fn allows(&self, action: Action) -> Result<(), Denial>;
}

/// What a group grant with every right gives on an installation: the whole installation, but no say
/// over who has access. A grant's [`GrantRights`] narrow it.
pub const GRANTED_TO_GROUPS: &[Action] = &[
    Action::ViewInstallation,
    Action::ViewChargeHistory,
    Action::ChangeSettings,
    Action::ControlChargers,
    Action::ConfigureChargers,
];

fn role_allows(role: Role, action: Action) -> bool {
    match role {
        Role::Owner => true,
        Role::Admin => action != Action::DeleteInstallation,
        Role::User => matches!(action, Action::ViewInstallation | Action::ViewChargeHistory),
    }
}

const INSTALLATION_ACTIONS: &[Action] = &[
    Action::ViewInstallation,
    Action::ViewChargeHistory,
    Action::ChangeSettings,
    Action::ControlChargers,
    Action::ConfigureChargers,
    Action::ViewPeople,
    Action::ManageUsers,
    Action::ManagePermissions,
    Action::DeleteInstallation,
];

/// What a service account may do on an installation: exactly what its group's grant gives, nothing
/// when the group holds no grant (any role or other group in the facts counts for nothing).
fn service_account_reaches(its_grant: Option<GrantRights>, action: Action) -> Result<(), Denial> {
    match its_grant {
        Some(rights) if rights.allows(action) => Ok(()),
        Some(_) => Err(Denial::Forbidden),
        None => Err(Denial::NotFound),
    }
}

impl sealed::Sealed for InstallationAccess {}
impl Facts for InstallationAccess {
    type Target = InstallationId;

    fn principal(&self) -> &Principal {
        &self.principal
    }

    fn target(&self) -> InstallationId {
        self.installation
    }

    fn allows(&self, action: Action) -> Result<(), Denial> {
        if self.principal == Principal::Operator {
            return if INSTALLATION_ACTIONS.contains(&action) {
                Ok(())
            } else {
                Err(Denial::Forbidden)
            };
        }
        if let Some(group) = self.principal.service_group() {
            let its_grant = self.via_groups.iter().find(|via| via.group == group);
            return service_account_reaches(its_grant.map(|via| via.rights), action);
        }
        let by_role = self.role.is_some_and(|role| role_allows(role, action))
            && INSTALLATION_ACTIONS.contains(&action);
        let by_grant = self.granted(action);
        if by_role || by_grant {
            Ok(())
        } else if self.role.is_none() && self.via_groups.is_empty() {
            Err(Denial::NotFound)
        } else {
            Err(Denial::Forbidden)
        }
    }
}

impl sealed::Sealed for GroupAccess {}
impl Facts for GroupAccess {
    type Target = GroupId;

    fn principal(&self) -> &Principal {
        &self.principal
    }

    fn target(&self) -> GroupId {
        self.group
    }

    fn allows(&self, action: Action) -> Result<(), Denial> {
        let operator = self.principal == Principal::Operator;
        if let Some(group) = self.principal.service_group() {
            return service_account_allows(group == self.group, action);
        }
        match (self.role, action) {
            _ if operator && action == Action::LeaveGroup => Err(Denial::Forbidden),
            _ if operator => Ok(()),
            (None, _) => Err(Denial::NotFound),
            (Some(_), Action::ViewGroup | Action::LeaveGroup | Action::ViewGroupGrants)
            | (
                Some(GroupRole::Owner),
                Action::ManageGroup | Action::RequestAccess | Action::GiveUpAccess,
            ) => Ok(()),
            (Some(_), _) => Err(Denial::Forbidden),
        }
    }
}

/// What a service account may do with a group: with its own group, what the partner API needs (see
/// the shared installations, push access requests, give access up) and nothing of its people; any
/// other group does not exist for it.
fn service_account_allows(own_group: bool, action: Action) -> Result<(), Denial> {
    match action {
        _ if !own_group => Err(Denial::NotFound),
        Action::ViewGroupGrants | Action::RequestAccess | Action::GiveUpAccess => Ok(()),
        _ => Err(Denial::Forbidden),
    }
}

impl sealed::Sealed for GrantAccess {}
impl Facts for GrantAccess {
    type Target = (InstallationId, GroupId);

    fn principal(&self) -> &Principal {
        &self.installation.principal
    }

    fn target(&self) -> (InstallationId, GroupId) {
        (self.installation.installation, self.group.group)
    }

    /// A grant may be ended by whoever manages the installation's permissions, or by an owner or a
    /// service account of the group (giving the access up).
    fn allows(&self, action: Action) -> Result<(), Denial> {
        if self.group.principal != self.installation.principal || action != Action::RevokeGrant {
            return Err(Denial::NotFound);
        }
        let visible = self.installation.allows(Action::ViewInstallation);
        let by_installation = self.installation.allows(Action::ManagePermissions);
        let by_group = self.group.allows(Action::GiveUpAccess);
        match (visible, by_installation, by_group) {
            (_, Ok(()), _) | (_, _, Ok(())) => Ok(()),
            (Err(denial), _, _) => Err(denial),
            (Ok(()), _, _) => Err(Denial::Forbidden),
        }
    }
}

/// Whether `principal` may do `action`, given facts loaded for them: for showing or hiding what a page
/// offers. Facts loaded for someone else prove nothing and deny as not found.
pub fn check(principal: &Principal, action: Action, facts: &impl Facts) -> Result<(), Denial> {
    if facts.principal() != principal {
        return Err(Denial::NotFound);
    }
    facts.allows(action)
}

/// The capability to do `R`, if the facts allow it: the only way to make an [`Authorized`].
pub fn authorize<R: Right>(
    principal: &Principal,
    facts: R::Facts,
) -> Result<Authorized<R>, Denial> {
    check(principal, R::ACTION, &facts)?;
    Ok(Authorized::new(facts))
}

#[cfg(test)]
mod tests;
