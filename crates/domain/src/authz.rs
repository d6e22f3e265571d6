//! The one function that decides who may do what: [`authorize`].
//!
//! Relationship-based: the store loads the facts that tie a principal to a resource (its direct role on
//! an installation, the groups through which it holds a grant, its role in a group) and this module
//! alone turns those facts into yes or no.

use crate::group::GroupRole;
use crate::ids::{GroupId, UserId};
use crate::installation::Role;

/// Who is acting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The signed-in user.
    pub user: UserId,
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
    /// Start, stop, restart and configure the installation's chargers.
    ControlChargers,
    /// Add, remove or change the people who hold roles on the installation, add chargers.
    ManageUsers,
    /// See and revoke groups' access; approve access requests.
    ManagePermissions,
    /// Rename or delete the installation.
    DeleteInstallation,
    /// See a user group's details and members.
    ViewGroup,
    /// Manage a group's members, return URLs and lookup key.
    ManageGroup,
}

/// What ties one principal to one installation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallationAccess {
    /// The principal these facts were loaded for.
    pub user: UserId,
    /// The principal's direct role, if any.
    pub role: Option<Role>,
    /// Groups the principal belongs to that hold a grant on the installation.
    pub via_groups: Vec<GroupId>,
}

/// What ties one principal to one user group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupAccess {
    /// The principal these facts were loaded for.
    pub user: UserId,
    /// The principal's role in the group, if any.
    pub role: Option<GroupRole>,
}

/// The resource being acted on, with the facts about the principal's relation to it.
#[derive(Clone, Copy, Debug)]
pub enum Resource<'a> {
    /// An installation.
    Installation(&'a InstallationAccess),
    /// A user group.
    Group(&'a GroupAccess),
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

/// What a group grant gives on an installation: the whole installation, but no say over who has access.
const GRANTED_TO_GROUPS: &[Action] = &[
    Action::ViewInstallation,
    Action::ViewChargeHistory,
    Action::ChangeSettings,
    Action::ControlChargers,
];

fn role_allows(role: Role, action: Action) -> bool {
    match role {
        Role::Owner => true,
        Role::Admin => action != Action::DeleteInstallation,
        Role::User => matches!(action, Action::ViewInstallation | Action::ViewChargeHistory),
    }
}

fn installation_allows(access: &InstallationAccess, action: Action) -> Result<(), Denial> {
    let by_role = access.role.is_some_and(|role| role_allows(role, action));
    let by_grant = !access.via_groups.is_empty() && GRANTED_TO_GROUPS.contains(&action);
    if by_role || by_grant {
        Ok(())
    } else if access.role.is_none() && access.via_groups.is_empty() {
        Err(Denial::NotFound)
    } else {
        Err(Denial::Forbidden)
    }
}

fn group_allows(access: &GroupAccess, action: Action) -> Result<(), Denial> {
    match (access.role, action) {
        (None, _) => Err(Denial::NotFound),
        (Some(_), Action::ViewGroup) | (Some(GroupRole::Owner), Action::ManageGroup) => Ok(()),
        (Some(_), _) => Err(Denial::Forbidden),
    }
}

/// Decides whether `principal` may do `action` on `resource`.
///
/// Facts loaded for someone else prove nothing and deny as not found.
pub fn authorize(
    principal: &Principal,
    action: Action,
    resource: Resource<'_>,
) -> Result<(), Denial> {
    match resource {
        Resource::Installation(access) if access.user == principal.user => {
            installation_allows(access, action)
        }
        Resource::Group(access) if access.user == principal.user => group_allows(access, action),
        _ => Err(Denial::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const INSTALLATION_ACTIONS: [Action; 7] = [
        Action::ViewInstallation,
        Action::ViewChargeHistory,
        Action::ChangeSettings,
        Action::ControlChargers,
        Action::ManageUsers,
        Action::ManagePermissions,
        Action::DeleteInstallation,
    ];

    fn on_installation(role: Option<Role>, groups: usize) -> (Principal, InstallationAccess) {
        let user = UserId::random();
        let via_groups = (0..groups).map(|_| GroupId::random()).collect();
        (
            Principal { user },
            InstallationAccess {
                user,
                role,
                via_groups,
            },
        )
    }

    fn check(role: Option<Role>, groups: usize, action: Action) -> Result<(), Denial> {
        let (principal, access) = on_installation(role, groups);
        authorize(&principal, action, Resource::Installation(&access))
    }

    #[test]
    fn strangers_see_nothing() {
        for action in INSTALLATION_ACTIONS {
            assert_eq!(check(None, 0, action), Err(Denial::NotFound));
        }
    }

    #[test]
    fn owners_do_everything_admins_all_but_delete() {
        for action in INSTALLATION_ACTIONS {
            assert_eq!(check(Some(Role::Owner), 0, action), Ok(()));
        }
        assert_eq!(check(Some(Role::Admin), 0, Action::ManageUsers), Ok(()));
        assert_eq!(
            check(Some(Role::Admin), 0, Action::DeleteInstallation),
            Err(Denial::Forbidden)
        );
    }

    #[test]
    fn users_only_look() {
        assert_eq!(check(Some(Role::User), 0, Action::ViewInstallation), Ok(()));
        assert_eq!(
            check(Some(Role::User), 0, Action::ViewChargeHistory),
            Ok(())
        );
        assert_eq!(
            check(Some(Role::User), 0, Action::ChangeSettings),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            check(Some(Role::User), 0, Action::ManageUsers),
            Err(Denial::Forbidden)
        );
    }

    #[test]
    fn group_members_manage_the_installation_but_not_its_access() {
        for action in GRANTED_TO_GROUPS {
            assert_eq!(check(None, 1, *action), Ok(()));
        }
        for action in [
            Action::ManageUsers,
            Action::ManagePermissions,
            Action::DeleteInstallation,
        ] {
            assert_eq!(check(None, 1, action), Err(Denial::Forbidden));
        }
    }

    #[test]
    fn group_grant_cases() {
        let user = UserId::random();
        let principal = Principal { user };
        let granted_group = GroupId::random();
        let on = |role, via_groups: Vec<GroupId>, action| {
            authorize(
                &principal,
                action,
                Resource::Installation(&InstallationAccess {
                    user,
                    role,
                    via_groups,
                }),
            )
        };
        // A member (or an owner) of a group holding a grant: the facts list that group.
        assert_eq!(
            on(None, vec![granted_group], Action::ControlChargers),
            Ok(())
        );
        assert_eq!(
            on(None, vec![granted_group], Action::ManagePermissions),
            Err(Denial::Forbidden)
        );
        // An ex-member, a non-member, or anyone after the grant is revoked: the group drops out of the facts.
        assert_eq!(
            on(None, vec![], Action::ViewInstallation),
            Err(Denial::NotFound)
        );
        // A direct role plus a grant: the union of both.
        assert_eq!(
            on(
                Some(Role::User),
                vec![granted_group],
                Action::ChangeSettings
            ),
            Ok(())
        );
        assert_eq!(
            on(
                Some(Role::Owner),
                vec![granted_group],
                Action::DeleteInstallation
            ),
            Ok(())
        );
    }

    #[test]
    fn a_direct_role_and_a_grant_add_up() {
        assert_eq!(check(Some(Role::User), 1, Action::ChangeSettings), Ok(()));
        assert_eq!(
            check(Some(Role::User), 1, Action::ManagePermissions),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            check(Some(Role::Admin), 1, Action::ManagePermissions),
            Ok(())
        );
    }

    #[test]
    fn facts_about_someone_else_prove_nothing() {
        let (_, access) = on_installation(Some(Role::Owner), 0);
        let intruder = Principal {
            user: UserId::random(),
        };
        assert_eq!(
            authorize(
                &intruder,
                Action::ViewInstallation,
                Resource::Installation(&access)
            ),
            Err(Denial::NotFound)
        );
    }

    #[test]
    fn group_roles() {
        let user = UserId::random();
        let principal = Principal { user };
        let ask = |role, action| {
            authorize(
                &principal,
                action,
                Resource::Group(&GroupAccess { user, role }),
            )
        };
        assert_eq!(ask(None, Action::ViewGroup), Err(Denial::NotFound));
        assert_eq!(ask(Some(GroupRole::Member), Action::ViewGroup), Ok(()));
        assert_eq!(
            ask(Some(GroupRole::Member), Action::ManageGroup),
            Err(Denial::Forbidden)
        );
        assert_eq!(ask(Some(GroupRole::Owner), Action::ManageGroup), Ok(()));
        assert_eq!(
            ask(Some(GroupRole::Owner), Action::ChangeSettings),
            Err(Denial::Forbidden)
        );
    }

    fn any_role() -> impl Strategy<Value = Option<Role>> {
        prop_oneof![
            Just(None),
            Just(Some(Role::User)),
            Just(Some(Role::Admin)),
            Just(Some(Role::Owner))
        ]
    }

    proptest! {
        #[test]
        fn more_relations_never_take_rights_away(role in any_role(), groups in 0usize..3, action_ix in 0usize..7) {
            let action = INSTALLATION_ACTIONS[action_ix];
            if check(role, groups, action).is_ok() {
                prop_assert!(check(role, groups + 1, action).is_ok());
                prop_assert!(check(Some(Role::Owner), groups, action).is_ok());
            }
        }

        #[test]
        fn whoever_may_act_may_look(role in any_role(), groups in 0usize..3, action_ix in 0usize..7) {
            if check(role, groups, INSTALLATION_ACTIONS[action_ix]).is_ok() {
                prop_assert!(check(role, groups, Action::ViewInstallation).is_ok());
            }
        }

        #[test]
        fn only_direct_owners_and_admins_manage_access(role in any_role(), groups in 0usize..3) {
            let allowed = check(role, groups, Action::ManagePermissions).is_ok();
            prop_assert_eq!(allowed, matches!(role, Some(Role::Owner | Role::Admin)));
        }

        #[test]
        fn no_relation_means_not_found(action_ix in 0usize..7) {
            prop_assert_eq!(check(None, 0, INSTALLATION_ACTIONS[action_ix]), Err(Denial::NotFound));
        }
    }
}
