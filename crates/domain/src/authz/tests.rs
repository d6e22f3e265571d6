use super::*;
use crate::grant::GrantRights;
use proptest::prelude::*;

fn on_installation(role: Option<Role>, groups: usize) -> (Principal, InstallationAccess) {
    let principal = Principal::User(UserId::random());
    let access = InstallationAccess {
        principal,
        installation: InstallationId::random(),
        role,
        via_groups: (0..groups)
            .map(|_| ViaGroup::all(GroupId::random()))
            .collect(),
    };
    (principal, access)
}

fn ask(role: Option<Role>, groups: usize, action: Action) -> Result<(), Denial> {
    let (principal, access) = on_installation(role, groups);
    check(&principal, action, &access)
}

#[test]
fn strangers_see_nothing() {
    for action in INSTALLATION_ACTIONS.iter().copied() {
        assert_eq!(ask(None, 0, action), Err(Denial::NotFound));
    }
}

#[test]
fn owners_do_everything_admins_all_but_delete() {
    for action in INSTALLATION_ACTIONS.iter().copied() {
        assert_eq!(ask(Some(Role::Owner), 0, action), Ok(()));
    }
    assert_eq!(ask(Some(Role::Admin), 0, Action::ManageUsers), Ok(()));
    assert_eq!(ask(Some(Role::Admin), 0, Action::ViewPeople), Ok(()));
    assert_eq!(
        ask(Some(Role::Admin), 0, Action::DeleteInstallation),
        Err(Denial::Forbidden)
    );
}

#[test]
fn users_only_look_and_see_no_people() {
    assert_eq!(ask(Some(Role::User), 0, Action::ViewInstallation), Ok(()));
    assert_eq!(ask(Some(Role::User), 0, Action::ViewChargeHistory), Ok(()));
    for action in [
        Action::ChangeSettings,
        Action::ManageUsers,
        Action::ViewPeople,
    ] {
        assert_eq!(ask(Some(Role::User), 0, action), Err(Denial::Forbidden));
    }
}

#[test]
fn group_members_manage_the_installation_but_not_its_access_nor_see_its_people() {
    for action in GRANTED_TO_GROUPS {
        assert_eq!(ask(None, 1, *action), Ok(()));
    }
    for action in [
        Action::ViewPeople,
        Action::ManageUsers,
        Action::ManagePermissions,
        Action::DeleteInstallation,
    ] {
        assert_eq!(ask(None, 1, action), Err(Denial::Forbidden));
    }
}

#[test]
fn a_direct_role_and_a_grant_add_up() {
    assert_eq!(ask(Some(Role::User), 1, Action::ChangeSettings), Ok(()));
    assert_eq!(
        ask(Some(Role::User), 1, Action::ManagePermissions),
        Err(Denial::Forbidden)
    );
    assert_eq!(ask(Some(Role::Admin), 1, Action::ManagePermissions), Ok(()));
}

#[test]
fn facts_about_someone_else_prove_nothing() {
    let (_, access) = on_installation(Some(Role::Owner), 0);
    let intruder = Principal::User(UserId::random());
    assert_eq!(
        check(&intruder, Action::ViewInstallation, &access),
        Err(Denial::NotFound)
    );
    assert_eq!(
        authorize::<ViewInstallation>(&intruder, access).map(|_| ()),
        Err(Denial::NotFound)
    );
}

#[test]
fn installation_roles_give_nothing_on_groups() {
    assert_eq!(
        ask(Some(Role::Owner), 1, Action::ManageGroup),
        Err(Denial::Forbidden)
    );
    assert_eq!(
        ask(Some(Role::Owner), 1, Action::VerifyGroup),
        Err(Denial::Forbidden)
    );
}

fn on_group(role: Option<GroupRole>) -> (Principal, GroupAccess) {
    let principal = Principal::User(UserId::random());
    let access = GroupAccess {
        principal,
        group: GroupId::random(),
        role,
    };
    (principal, access)
}

#[test]
fn group_roles() {
    let ask = |role, action| {
        let (principal, access) = on_group(role);
        check(&principal, action, &access)
    };
    assert_eq!(ask(None, Action::ViewGroup), Err(Denial::NotFound));
    assert_eq!(ask(None, Action::LeaveGroup), Err(Denial::NotFound));
    assert_eq!(ask(Some(GroupRole::Member), Action::ViewGroup), Ok(()));
    assert_eq!(ask(Some(GroupRole::Member), Action::LeaveGroup), Ok(()));
    assert_eq!(
        ask(Some(GroupRole::Member), Action::ManageGroup),
        Err(Denial::Forbidden)
    );
    assert_eq!(ask(Some(GroupRole::Owner), Action::ManageGroup), Ok(()));
    assert_eq!(ask(Some(GroupRole::Owner), Action::LeaveGroup), Ok(()));
    assert_eq!(
        ask(Some(GroupRole::Owner), Action::VerifyGroup),
        Err(Denial::Forbidden)
    );
    assert_eq!(
        ask(Some(GroupRole::Owner), Action::ChangeSettings),
        Err(Denial::Forbidden)
    );
}

#[test]
fn the_operator_does_everything_but_leave() {
    let op = Principal::Operator;
    let installation = InstallationAccess {
        principal: op,
        installation: InstallationId::random(),
        role: None,
        via_groups: vec![],
    };
    for action in INSTALLATION_ACTIONS.iter().copied() {
        assert_eq!(check(&op, action, &installation), Ok(()));
    }
    let group = GroupAccess {
        principal: op,
        group: GroupId::random(),
        role: None,
    };
    assert!(authorize::<VerifyGroup>(&op, group.clone()).is_ok());
    assert!(authorize::<ManageGroup>(&op, group.clone()).is_ok());
    assert_eq!(
        authorize::<LeaveGroup>(&op, group).map(|_| ()),
        Err(Denial::Forbidden)
    );
}

#[test]
fn a_capability_carries_the_checked_id_and_principal() {
    let (principal, access) = on_installation(Some(Role::Admin), 0);
    let id = access.installation;
    let cap = authorize::<ChangeSettings>(&principal, access).unwrap();
    assert_eq!((cap.id(), *cap.principal()), (id, principal));
    assert!(cap.may(Action::ManageUsers));
    assert!(cap.also::<ManageUsers>().is_ok());
    assert_eq!(
        cap.also::<DeleteInstallation>().map(|_| ()),
        Err(Denial::Forbidden)
    );
}

fn grant(
    installation_role: Option<Role>,
    via_group: bool,
    group_role: Option<GroupRole>,
) -> (Principal, GrantAccess) {
    let (principal, mut installation) = on_installation(installation_role, 0);
    let group = GroupId::random();
    if via_group {
        installation.via_groups.push(ViaGroup::all(group));
    }
    let group = GroupAccess {
        principal,
        group,
        role: group_role,
    };
    (
        principal,
        GrantAccess {
            installation,
            group,
        },
    )
}

#[test]
fn who_may_revoke_a_grant() {
    let revoke = |(principal, facts): (Principal, GrantAccess)| {
        authorize::<RevokeGrant>(&principal, facts).map(|_| ())
    };
    assert_eq!(revoke(grant(Some(Role::Owner), false, None)), Ok(()));
    assert_eq!(revoke(grant(Some(Role::Admin), false, None)), Ok(()));
    assert_eq!(
        revoke(grant(None, true, Some(GroupRole::Owner))),
        Ok(()),
        "the group gives it up"
    );
    assert_eq!(
        revoke(grant(Some(Role::User), false, None)),
        Err(Denial::Forbidden)
    );
    assert_eq!(
        revoke(grant(None, true, Some(GroupRole::Member))),
        Err(Denial::Forbidden),
        "a member sees the installation but may not end the group's access"
    );
    assert_eq!(revoke(grant(None, false, None)), Err(Denial::NotFound));
    let (principal, mut mixed) = grant(Some(Role::Owner), false, None);
    mixed.group.principal = Principal::User(UserId::random());
    assert_eq!(
        revoke((principal, mixed)),
        Err(Denial::NotFound),
        "facts of two people"
    );
}

/// Any direct role, or none.
pub(super) fn any_role() -> impl Strategy<Value = Option<Role>> {
    prop_oneof![
        Just(None),
        Just(Some(Role::User)),
        Just(Some(Role::Admin)),
        Just(Some(Role::Owner))
    ]
}

proptest! {
    #[test]
    fn more_relations_never_take_rights_away(role in any_role(), groups in 0usize..3, ix in 0usize..9) {
        let action = INSTALLATION_ACTIONS[ix];
        if ask(role, groups, action).is_ok() {
            prop_assert!(ask(role, groups + 1, action).is_ok());
            prop_assert!(ask(Some(Role::Owner), groups, action).is_ok());
        }
    }

    #[test]
    fn whoever_may_act_may_look(role in any_role(), groups in 0usize..3, ix in 0usize..9) {
        if ask(role, groups, INSTALLATION_ACTIONS[ix]).is_ok() {
            prop_assert!(ask(role, groups, Action::ViewInstallation).is_ok());
        }
    }

    #[test]
    fn only_direct_owners_and_admins_manage_access_and_see_people(role in any_role(), groups in 0usize..3) {
        let direct = matches!(role, Some(Role::Owner | Role::Admin));
        prop_assert_eq!(ask(role, groups, Action::ManagePermissions).is_ok(), direct);
        prop_assert_eq!(ask(role, groups, Action::ViewPeople).is_ok(), direct);
    }

    #[test]
    fn no_relation_means_not_found(ix in 0usize..9) {
        prop_assert_eq!(ask(None, 0, INSTALLATION_ACTIONS[ix]), Err(Denial::NotFound));
    }
}

fn service_account(group: GroupId) -> Principal {
    Principal::Service {
        account: crate::ids::ServiceAccountId::random(),
        group,
    }
}

#[test]
fn a_service_account_reaches_only_what_its_groups_grant_gives() {
    let group = GroupId::random();
    let principal = service_account(group);
    let granted = InstallationAccess {
        principal,
        installation: InstallationId::random(),
        role: None,
        via_groups: vec![ViaGroup::all(group)],
    };
    for action in GRANTED_TO_GROUPS {
        assert_eq!(check(&principal, *action, &granted), Ok(()));
    }
    for action in [
        Action::ViewPeople,
        Action::ManageUsers,
        Action::ManagePermissions,
        Action::DeleteInstallation,
    ] {
        assert_eq!(check(&principal, action, &granted), Err(Denial::Forbidden));
    }
    // Another group's grant, or a role somehow in the facts, counts for nothing.
    let elsewhere = InstallationAccess {
        role: Some(Role::Owner),
        via_groups: vec![ViaGroup::all(GroupId::random())],
        ..granted
    };
    for action in INSTALLATION_ACTIONS.iter().copied() {
        assert_eq!(check(&principal, action, &elsewhere), Err(Denial::NotFound));
    }
}

#[test]
fn a_service_account_acts_for_its_own_group_only_and_never_on_its_people() {
    let group = GroupId::random();
    let principal = service_account(group);
    let own = GroupAccess {
        principal,
        group,
        role: None,
    };
    for action in [
        Action::ViewGroupGrants,
        Action::RequestAccess,
        Action::GiveUpAccess,
    ] {
        assert_eq!(check(&principal, action, &own), Ok(()));
    }
    for action in [Action::ViewGroup, Action::ManageGroup, Action::LeaveGroup] {
        assert_eq!(check(&principal, action, &own), Err(Denial::Forbidden));
    }
    let other = GroupAccess {
        group: GroupId::random(),
        ..own
    };
    assert_eq!(
        check(&principal, Action::ViewGroupGrants, &other),
        Err(Denial::NotFound)
    );
}

#[test]
fn members_see_their_groups_grants_owners_also_push_requests_and_give_access_up() {
    let group = GroupId::random();
    let principal = Principal::User(UserId::random());
    let member = GroupAccess {
        principal,
        group,
        role: Some(GroupRole::Member),
    };
    assert_eq!(check(&principal, Action::ViewGroupGrants, &member), Ok(()));
    for action in [Action::RequestAccess, Action::GiveUpAccess] {
        assert_eq!(check(&principal, action, &member), Err(Denial::Forbidden));
    }
    let owner = GroupAccess {
        role: Some(GroupRole::Owner),
        ..member
    };
    for action in [
        Action::ViewGroupGrants,
        Action::RequestAccess,
        Action::GiveUpAccess,
    ] {
        assert_eq!(check(&principal, action, &owner), Ok(()));
    }
}

fn through_grant(rights: GrantRights) -> (Principal, InstallationAccess) {
    let (principal, mut access) = on_installation(None, 0);
    access.via_groups.push(ViaGroup {
        group: GroupId::random(),
        rights,
    });
    (principal, access)
}

#[test]
fn a_view_only_grant_sees_but_changes_nothing() {
    let (principal, access) = through_grant(GrantRights::VIEW);
    for action in [Action::ViewInstallation, Action::ViewChargeHistory] {
        assert_eq!(check(&principal, action, &access), Ok(()));
    }
    for action in [
        Action::ChangeSettings,
        Action::ControlChargers,
        Action::ConfigureChargers,
    ] {
        assert_eq!(
            check(&principal, action, &access),
            Err(Denial::Forbidden),
            "{action:?}"
        );
    }
}

#[test]
fn control_and_configure_are_separate_rights() {
    use crate::grant::GrantRight;
    let (principal, control) = through_grant(GrantRights::VIEW.with(GrantRight::Control));
    assert_eq!(check(&principal, Action::ControlChargers, &control), Ok(()));
    assert_eq!(
        check(&principal, Action::ConfigureChargers, &control),
        Err(Denial::Forbidden)
    );
    let (principal, configure) = through_grant(GrantRights::VIEW.with(GrantRight::Configure));
    assert_eq!(
        check(&principal, Action::ConfigureChargers, &configure),
        Ok(())
    );
    assert_eq!(
        check(&principal, Action::ControlChargers, &configure),
        Err(Denial::Forbidden)
    );
    let on = authorize::<ConfigureChargers>(&principal, configure).unwrap();
    let right = ChargerRight::from(on);
    assert!(right.allows(Action::ConfigureChargers));
    assert!(!right.allows(Action::ControlChargers));
    assert!(right.control().is_none());
}

#[test]
fn two_groups_add_their_rights_up() {
    use crate::grant::GrantRight;
    let (principal, mut access) = through_grant(GrantRights::VIEW.with(GrantRight::Settings));
    access.via_groups.push(ViaGroup {
        group: GroupId::random(),
        rights: GrantRights::VIEW.with(GrantRight::Control),
    });
    assert_eq!(check(&principal, Action::ChangeSettings, &access), Ok(()));
    assert_eq!(check(&principal, Action::ControlChargers, &access), Ok(()));
    assert_eq!(
        check(&principal, Action::ConfigureChargers, &access),
        Err(Denial::Forbidden)
    );
}

#[test]
fn the_audit_names_a_group_whose_grant_allowed_the_action() {
    use crate::grant::GrantRight;
    let (principal, mut access) = through_grant(GrantRights::VIEW);
    let viewer = access.via_groups[0].group;
    let controller = GroupId::random();
    access.via_groups.push(ViaGroup {
        group: controller,
        rights: GrantRights::VIEW.with(GrantRight::Control),
    });
    let control = authorize::<ControlChargers>(&principal, access.clone()).unwrap();
    assert_eq!(control.acting_group(), Some(controller));
    let view = authorize::<ViewInstallation>(&principal, access.clone()).unwrap();
    assert_eq!(view.acting_group(), Some(viewer));
    assert_eq!(access.acting_group(Action::ConfigureChargers), None);
    access.role = Some(Role::Owner);
    let own = authorize::<ControlChargers>(&principal, access).unwrap();
    assert_eq!(own.acting_group(), None, "an owner acts in their own name");
}

fn any_rights() -> impl Strategy<Value = GrantRights> {
    (0i64..8).prop_map(|bits| GrantRights::from_bits(bits).unwrap())
}

proptest! {
    /// A grant with every right behaves as grants did before rights could be chosen, whatever else
    /// the principal holds; a narrower grant never allows more.
    #[test]
    fn narrowing_only_takes_away(role in any_role(), rights in any_rights(), ix in 0usize..9) {
        let action = INSTALLATION_ACTIONS[ix];
        let (principal, mut access) = on_installation(role, 0);
        let group = GroupId::random();
        access.via_groups.push(ViaGroup::all(group));
        let all = check(&principal, action, &access);
        let before = role.is_some_and(|role| role_allows(role, action)) || GRANTED_TO_GROUPS.contains(&action);
        prop_assert_eq!(all.is_ok(), before);
        access.via_groups[0].rights = rights;
        if check(&principal, action, &access).is_ok() {
            prop_assert!(all.is_ok());
        }
    }
}
