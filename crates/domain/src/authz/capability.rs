//! Capabilities: values that prove a check was made. Only [`authorize`](super::authorize) makes one,
//! and the store's writes take them, so a write that nobody checked does not compile.

use std::fmt;
use std::marker::PhantomData;

use super::{
    check, sealed, Action, Denial, Facts, GrantAccess, GroupAccess, InstallationAccess, Principal,
};

/// Something that can be authorized: the facts it is decided on, and the action it stands for.
pub trait Right: sealed::Sealed + 'static {
    /// The facts the decision needs.
    type Facts: Facts;
    /// The action the right stands for.
    const ACTION: Action;
}

/// Proof that a principal may do `R` on one installation or group (or one grant). It carries the facts
/// it was decided on, and with them the principal and the resource's id, so a write cannot be aimed
/// at another resource than the one checked.
pub struct Authorized<R: Right> {
    facts: R::Facts,
    right: PhantomData<fn() -> R>,
}

impl<R: Right> Authorized<R> {
    pub(super) fn new(facts: R::Facts) -> Self {
        Self {
            facts,
            right: PhantomData,
        }
    }

    /// Who may act.
    pub fn principal(&self) -> &Principal {
        self.facts.principal()
    }

    /// The installation's or group's id (for a grant: both).
    pub fn id(&self) -> <R::Facts as Facts>::Target {
        self.facts.target()
    }

    /// The facts the decision was made on (the principal's role, the groups it acts through).
    pub fn facts(&self) -> &R::Facts {
        &self.facts
    }

    /// Whether the same facts also allow `action`, for what a page offers.
    pub fn may(&self, action: Action) -> bool {
        check(self.principal(), action, &self.facts).is_ok()
    }

    /// The capability for another right on the same resource, from the same facts.
    pub fn also<S: Right<Facts = R::Facts>>(&self) -> Result<Authorized<S>, Denial> {
        super::authorize(self.principal(), self.facts.clone())
    }
}

impl<R: Right<Facts = InstallationAccess>> Authorized<R> {
    /// The group whose grant allowed this right, when the principal has no role of its own (what the
    /// audit log names as "through 👥 group").
    pub fn acting_group(&self) -> Option<crate::GroupId> {
        self.facts.acting_group(R::ACTION)
    }
}

impl<R: Right> Clone for Authorized<R> {
    fn clone(&self) -> Self {
        Self::new(self.facts.clone())
    }
}

impl<R: Right> fmt::Debug for Authorized<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorized")
            .field("action", &R::ACTION)
            .field("facts", &self.facts)
            .finish()
    }
}

macro_rules! rights {
    ($($(#[$doc:meta])* $name:ident: $facts:ty;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug)]
            pub enum $name {}
            impl sealed::Sealed for $name {}
            impl Right for $name {
                type Facts = $facts;
                const ACTION: Action = Action::$name;
            }
        )*
    };
}

rights! {
    /// See an installation, its chargers and settings.
    ViewInstallation: InstallationAccess;
    /// See an installation's charge history.
    ViewChargeHistory: InstallationAccess;
    /// Change an installation's settings.
    ChangeSettings: InstallationAccess;
    /// Start, stop, restart, pause, resume and unlock an installation's chargers.
    ControlChargers: InstallationAccess;
    /// Change an installation's chargers' settings, OCPP configuration and charging limits.
    ConfigureChargers: InstallationAccess;
    /// See who holds roles on an installation.
    ViewPeople: InstallationAccess;
    /// Change who holds roles on an installation; add chargers and RFID tokens.
    ManageUsers: InstallationAccess;
    /// Approve access requests, revoke grants, read the audit log.
    ManagePermissions: InstallationAccess;
    /// Rename or delete an installation.
    DeleteInstallation: InstallationAccess;
    /// See a group and its members.
    ViewGroup: GroupAccess;
    /// Leave a group.
    LeaveGroup: GroupAccess;
    /// Manage a group's members, return URLs and lookup key.
    ManageGroup: GroupAccess;
    /// Mark a group as checked by the operator.
    VerifyGroup: GroupAccess;
    /// End a group's access to an installation.
    RevokeGrant: GrantAccess;
    /// See the installations shared with a group.
    ViewGroupGrants: GroupAccess;
    /// Push an access request for a group.
    RequestAccess: GroupAccess;
}

/// Proof that a principal may send commands to an installation's chargers: to control them or to
/// configure them. Which one it is decides which commands may go (see [`ChargerRight::allows`]).
#[derive(Clone, Debug)]
pub enum ChargerRight {
    /// The right to start, stop, restart, pause, resume and unlock.
    Control(Authorized<ControlChargers>),
    /// The right to change settings, configuration and limits.
    Configure(Authorized<ConfigureChargers>),
}

impl ChargerRight {
    /// The facts the right was decided on.
    pub fn facts(&self) -> &InstallationAccess {
        match self {
            Self::Control(on) => on.facts(),
            Self::Configure(on) => on.facts(),
        }
    }

    /// Who may act.
    pub fn principal(&self) -> &Principal {
        &self.facts().principal
    }

    /// The installation's id.
    pub fn id(&self) -> crate::ids::InstallationId {
        self.facts().installation
    }

    /// The group whose grant gave the right proven, when the principal has no role of its own.
    pub fn acting_group(&self) -> Option<crate::GroupId> {
        match self {
            Self::Control(on) => on.acting_group(),
            Self::Configure(on) => on.acting_group(),
        }
    }

    /// Whether the right covers a command that needs `action` (one of the two charger actions): the
    /// right proven, or the other one where the same facts allow it too.
    pub fn allows(&self, action: Action) -> bool {
        let proven = match self {
            Self::Control(_) => Action::ControlChargers,
            Self::Configure(_) => Action::ConfigureChargers,
        };
        matches!(action, Action::ControlChargers | Action::ConfigureChargers)
            && (action == proven || check(self.principal(), action, self.facts()).is_ok())
    }

    /// The right to control, if this is it or the same facts give it.
    pub fn control(&self) -> Option<Authorized<ControlChargers>> {
        match self {
            Self::Control(on) => Some(on.clone()),
            Self::Configure(on) => on.also().ok(),
        }
    }

    /// The right to configure, if this is it or the same facts give it.
    pub fn configure(&self) -> Option<Authorized<ConfigureChargers>> {
        match self {
            Self::Configure(on) => Some(on.clone()),
            Self::Control(on) => on.also().ok(),
        }
    }
}

impl From<Authorized<ControlChargers>> for ChargerRight {
    fn from(on: Authorized<ControlChargers>) -> Self {
        Self::Control(on)
    }
}

impl From<Authorized<ConfigureChargers>> for ChargerRight {
    fn from(on: Authorized<ConfigureChargers>) -> Self {
        Self::Configure(on)
    }
}
