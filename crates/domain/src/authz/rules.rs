//! Rules that need more than one set of facts, or the state at the moment of a write: who may change
//! whose role, who may hold an RFID token, which grants a member sees. The store applies the role
//! rules inside the transaction that writes, on what it read under the installation's lock.

#[cfg(test)]
use super::ViaGroup;
use super::{Action, Facts, InstallationAccess, Principal};
use crate::ids::GroupId;
use crate::installation::{keeps_an_owner, LastOwner, Role};

/// Why a change of someone's role on an installation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoleChangeRefused {
    /// The caller no longer manages the installation's people (their own role changed meanwhile).
    #[error("You no longer manage the people of this installation.")]
    NotPermitted,
    /// The change touches the owner role and the caller is not an owner.
    #[error("Only an owner can give, change or take away the owner role.")]
    OwnersOnly,
    /// The change would leave the installation (or group) without an owner.
    #[error(transparent)]
    LastOwner(#[from] LastOwner),
}

/// Whether `by`, holding `by_role` on an installation now, may change a person's role from `current`
/// to `next` (`None`: no role, i.e. added or removed), given how many owners there are now.
///
/// Owners change anything; admins manage admins and users only: they can neither give nor take away
/// the owner role, nor demote or remove an owner. The operator may do anything. Whatever happens, the
/// last owner stays.
pub fn role_change(
    by: &Principal,
    by_role: Option<Role>,
    current: Option<Role>,
    next: Option<Role>,
    owners_now: usize,
) -> Result<(), RoleChangeRefused> {
    let touches_owner = current == Some(Role::Owner) || next == Some(Role::Owner);
    match (by, by_role) {
        (Principal::Operator, _) | (_, Some(Role::Owner)) => {}
        (_, Some(Role::Admin)) if touches_owner => return Err(RoleChangeRefused::OwnersOnly),
        (_, Some(Role::Admin)) => {}
        (_, Some(Role::User) | None) => return Err(RoleChangeRefused::NotPermitted),
    }
    keeps_an_owner(
        owners_now,
        current == Some(Role::Owner),
        next == Some(Role::Owner),
    )?;
    Ok(())
}

/// Whether the person these facts describe may hold an RFID token on the installation: anyone who
/// may see it (a direct role or a group grant). A charger accepts a token only while this holds.
pub fn may_hold_id_tag(holder: &InstallationAccess) -> bool {
    holder.principal.user().is_some() && holder.allows(Action::ViewInstallation).is_ok()
}

/// Whether the principal of these facts sees `group`'s grant on the Permissions tab: those who manage
/// permissions see every grant, members of a group with access see their own group's.
pub fn sees_grant(access: &InstallationAccess, group: GroupId) -> bool {
    access.allows(Action::ManagePermissions).is_ok() || access.through(group)
}

/// Whether the principal may change an installation's `MaxCurrent` (the fuse): its owners and admins
/// and the operator, never a group through its grant.
pub fn may_change_max_current(access: &InstallationAccess) -> bool {
    access.principal == Principal::Operator
        || matches!(access.role, Some(Role::Owner) | Some(Role::Admin))
}

/// The caller's roles on an installation as Zaptec's `UserRoles` bitmask (User 1, Owner 2,
/// Maintainer 4, Administrator 8): a group's grant shows as Maintainer, the "service" role.
pub fn zaptec_roles(access: &InstallationAccess) -> u32 {
    let direct = match access.role {
        Some(Role::User) => 1,
        Some(Role::Owner) => 2,
        Some(Role::Admin) => 8,
        None => 0,
    };
    let service = if access.via_groups.is_empty() { 0 } else { 4 };
    let operator = if access.principal == Principal::Operator {
        8
    } else {
        0
    };
    direct | service | operator
}

impl crate::message::Coded for RoleChangeRefused {
    fn message(&self) -> crate::message::Message {
        use crate::message::Message;
        match self {
            Self::NotPermitted => Message::new("err-no-longer-manage"),
            Self::OwnersOnly => Message::new("err-owners-only"),
            Self::LastOwner(last) => Message::from(*last),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::tests::any_role;
    use crate::ids::{InstallationId, UserId};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn user() -> Principal {
        Principal::User(UserId::random())
    }

    #[test]
    fn owners_change_anything_but_keep_an_owner() {
        let by = user();
        let owner = Some(Role::Owner);
        assert_eq!(role_change(&by, owner, None, owner, 1), Ok(()));
        assert_eq!(role_change(&by, owner, owner, Some(Role::User), 2), Ok(()));
        assert_eq!(role_change(&by, owner, owner, None, 2), Ok(()));
        assert_eq!(
            role_change(&by, owner, owner, None, 1),
            Err(RoleChangeRefused::LastOwner(LastOwner))
        );
    }

    #[test]
    fn admins_manage_admins_and_users_only() {
        let by = user();
        let admin = Some(Role::Admin);
        for (current, next) in [
            (None, Some(Role::User)),
            (None, Some(Role::Admin)),
            (Some(Role::User), Some(Role::Admin)),
            (Some(Role::Admin), Some(Role::User)),
            (Some(Role::Admin), None),
            (Some(Role::User), None),
        ] {
            assert_eq!(
                role_change(&by, admin, current, next, 1),
                Ok(()),
                "{current:?} → {next:?}"
            );
        }
        for (current, next) in [
            (None, Some(Role::Owner)),
            (Some(Role::Admin), Some(Role::Owner)),
            (Some(Role::Owner), Some(Role::Admin)),
            (Some(Role::Owner), Some(Role::User)),
            (Some(Role::Owner), None),
            (Some(Role::Owner), Some(Role::Owner)),
        ] {
            assert_eq!(
                role_change(&by, admin, current, next, 3),
                Err(RoleChangeRefused::OwnersOnly),
                "{current:?} → {next:?}"
            );
        }
    }

    #[test]
    fn users_and_strangers_change_nothing_the_operator_everything() {
        for role in [Some(Role::User), None] {
            assert_eq!(
                role_change(&user(), role, None, Some(Role::User), 1),
                Err(RoleChangeRefused::NotPermitted)
            );
        }
        let op = Principal::Operator;
        assert_eq!(
            role_change(&op, None, Some(Role::Owner), Some(Role::User), 2),
            Ok(())
        );
        assert_eq!(
            role_change(&op, None, Some(Role::Owner), None, 1),
            Err(RoleChangeRefused::LastOwner(LastOwner))
        );
    }

    fn facts(principal: Principal, role: Option<Role>, groups: usize) -> InstallationAccess {
        InstallationAccess {
            principal,
            installation: InstallationId::random(),
            role,
            via_groups: (0..groups)
                .map(|_| ViaGroup::all(GroupId::random()))
                .collect(),
        }
    }

    #[test]
    fn token_holders_are_people_who_see_the_installation() {
        assert!(may_hold_id_tag(&facts(user(), Some(Role::User), 0)));
        assert!(
            may_hold_id_tag(&facts(user(), None, 1)),
            "a member of a granted group"
        );
        assert!(!may_hold_id_tag(&facts(user(), None, 0)), "no relation");
        assert!(
            !may_hold_id_tag(&facts(Principal::Operator, None, 0)),
            "not a person"
        );
    }

    #[test]
    fn members_see_only_their_own_groups_grant() {
        let member = facts(user(), None, 1);
        let own = member.via_groups[0].group;
        assert!(sees_grant(&member, own));
        assert!(!sees_grant(&member, GroupId::random()));
        let viewer = facts(user(), Some(Role::User), 0);
        assert!(!sees_grant(&viewer, own));
        let admin = facts(user(), Some(Role::Admin), 0);
        assert!(sees_grant(&admin, own) && sees_grant(&admin, GroupId::random()));
    }

    /// One step of the property test: `actor` asks to give `target` the role `next` (or remove them).
    #[derive(Clone, Debug)]
    struct Step {
        actor: usize,
        target: usize,
        next: Option<Role>,
    }

    const PEOPLE: usize = 6;

    /// Applies a step as the portal and the store do: the capability to manage people first, then the
    /// role rule on the roles as they are now. Answers whether it changed anything.
    fn apply(roles: &mut BTreeMap<usize, Role>, ids: &[UserId], step: &Step) -> bool {
        let principal = Principal::User(ids[step.actor]);
        let access = InstallationAccess {
            principal,
            installation: InstallationId::random(),
            role: roles.get(&step.actor).copied(),
            via_groups: vec![],
        };
        if super::super::authorize::<super::super::ManageUsers>(&principal, access).is_err() {
            return false;
        }
        let owners = roles.values().filter(|r| **r == Role::Owner).count();
        let current = roles.get(&step.target).copied();
        let by_role = roles.get(&step.actor).copied();
        if role_change(&principal, by_role, current, step.next, owners).is_err() {
            return false;
        }
        match step.next {
            Some(role) => roles.insert(step.target, role),
            None => roles.remove(&step.target),
        };
        true
    }

    fn owners(roles: &BTreeMap<usize, Role>) -> Vec<usize> {
        roles
            .iter()
            .filter(|(_, r)| **r == Role::Owner)
            .map(|(p, _)| *p)
            .collect()
    }

    proptest! {
        /// Over any sequence of role changes made by admins and users (and strangers), the set of owners
        /// never changes — however the admins shuffle roles among themselves.
        #[test]
        fn only_owners_decide_who_owns(
            start in proptest::collection::vec(any_role(), PEOPLE),
            steps in proptest::collection::vec((0..PEOPLE, 0..PEOPLE, any_role()), 0..40),
        ) {
            let ids: Vec<UserId> = (0..PEOPLE).map(|_| UserId::random()).collect();
            let mut roles: BTreeMap<usize, Role> =
                start.iter().enumerate().filter_map(|(p, r)| r.map(|r| (p, r))).collect();
            let before = owners(&roles);
            for (actor, target, next) in steps {
                if roles.get(&actor) == Some(&Role::Owner) {
                    continue;
                }
                apply(&mut roles, &ids, &Step { actor, target, next });
                prop_assert_eq!(owners(&roles), before.clone());
            }
        }

        /// Whoever acts, an installation that had an owner keeps one.
        #[test]
        fn an_owner_always_remains(
            steps in proptest::collection::vec((0..PEOPLE, 0..PEOPLE, any_role()), 0..40),
        ) {
            let ids: Vec<UserId> = (0..PEOPLE).map(|_| UserId::random()).collect();
            let mut roles = BTreeMap::from([(0, Role::Owner), (1, Role::Admin)]);
            for (actor, target, next) in steps {
                apply(&mut roles, &ids, &Step { actor, target, next });
                prop_assert!(!owners(&roles).is_empty());
            }
        }
    }
}
