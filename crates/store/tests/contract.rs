//! The store's contract, written once and run on SQLite and on PostgreSQL.

use chrono::{Duration, Utc};
use voltgate_domain::authz::rules::RoleChangeRefused;
use voltgate_domain::authz::{
    ChangeSettings, ManageGroup, ManagePermissions, ManageUsers, Right, ViewGroup, ViewPeople,
};
use voltgate_domain::settings::SettingsInput;
use voltgate_domain::text::{Address, Description};
use voltgate_domain::throttle::ThrottlePolicy;
use voltgate_domain::{
    authorize, Authorized, GrantAccess, GroupAccess, GroupId, InstallationAccess, InstallationId,
    Principal, ViaGroup,
};
use voltgate_domain::{
    Email, GroupRole, InstallationSettings, InstallationType, LookupKey, Name, RegisteredReturnUrl,
    Role,
};
use voltgate_store::testing::TestDatabase;
use voltgate_store::testing::{on_group, on_installation};
use voltgate_store::with_raw_pool;
use voltgate_store::RequestContext;
use voltgate_store::{
    connect, Database, Engine, NewGroup, NewInstallation, NewUser, StoreError, User,
};

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(voltgate_store::Engine::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(voltgate_store::Engine::Postgres).await } )* }
    };
}

on_both_engines!(
    grants_carry_rights_and_end_and_expired_ones_count_for_nothing,
    the_audit_names_the_group_whose_grant_allowed_the_change,
    an_ended_grant_is_told_once_until_it_is_extended,
    accounts_are_unique_by_email_in_any_case,
    migrations_are_idempotent,
    installations_start_with_an_owner_and_defaults,
    strangers_have_no_relation,
    settings_changes_are_stored_and_audited,
    roles_keep_an_owner_and_failures_write_nothing,
    concurrent_demotions_leave_an_owner,
    a_stale_capability_changes_no_role,
    groups_have_unique_lookup_keys,
    look_alike_group_names_are_refused_and_groups_verified,
    group_membership_keeps_an_owner,
    return_urls_are_replaced_in_order,
    throttles_count_every_parallel_attempt,
    shared_secrets_are_made_once,
    group_grants_reach_every_member_until_revoked,
    access_decisions_are_audited_with_the_links_words,
    api_tokens_rotate_and_a_reused_refresh_token_revokes_its_family,
    api_tokens_are_revoked_listed_and_expire,
    a_token_and_its_holders_relation_come_in_one_call,
    a_kept_token_check_counts_every_change_on_the_next_call,
    ending_sessions_moves_the_epoch_and_revokes_tokens,
    a_login_checked_against_the_old_password_makes_nothing_that_lasts,
);

async fn open(engine: Engine) -> (TestDatabase, Database) {
    let test_db = TestDatabase::new(engine).await;
    let db = connect(&test_db.url).await.expect("connect and migrate");
    (test_db, db)
}

async fn user(db: &Database, email: &str) -> User {
    let new = NewUser {
        email: Email::parse(email).unwrap(),
        full_name: Name::parse("Test Person").unwrap(),
        password_hash: "$argon2id$not-a-real-hash".into(),
    };
    db.store.create_user(&new).await.unwrap()
}

/// owner@example.com's installation "Garage" and partner@acme.example's group "Acme" (key ACME).
async fn garage_and_acme(
    db: &Database,
) -> (
    User,
    User,
    voltgate_store::Installation,
    voltgate_store::Group,
) {
    let owner = user(db, "owner@example.com").await;
    let partner = user(db, "partner@acme.example").await;
    let inst = db
        .store
        .create_installation(
            owner.id,
            &installation("Garage"),
            &Principal::User(owner.id),
        )
        .await
        .unwrap();
    let acme = db
        .store
        .create_group(
            partner.id,
            &group("Acme", &[]),
            &LookupKey::parse("ACME").unwrap(),
            &Principal::User(partner.id),
        )
        .await
        .unwrap();
    (owner, partner, inst, acme)
}

/// `by`'s capability for `R` on an installation; panics when refused.
async fn cap<R: Right<Facts = InstallationAccess>>(
    db: &Database,
    by: &User,
    id: InstallationId,
) -> Authorized<R> {
    on_installation(db.store.as_ref(), Principal::User(by.id), id)
        .await
        .expect("authorized")
}

/// The operator's capability for `R` on an installation.
async fn op<R: Right<Facts = InstallationAccess>>(
    db: &Database,
    id: InstallationId,
) -> Authorized<R> {
    on_installation(db.store.as_ref(), Principal::Operator, id)
        .await
        .expect("the operator may")
}

/// `by`'s capability for `R` on a group; panics when refused.
async fn gcap<R: Right<Facts = GroupAccess>>(
    db: &Database,
    by: &User,
    id: GroupId,
) -> Authorized<R> {
    on_group(db.store.as_ref(), Principal::User(by.id), id)
        .await
        .expect("authorized")
}

/// The operator's capability for `R` on a group.
async fn gop<R: Right<Facts = GroupAccess>>(db: &Database, id: GroupId) -> Authorized<R> {
    on_group(db.store.as_ref(), Principal::Operator, id)
        .await
        .expect("the operator may")
}

/// `by`'s capability to end a group's access to an installation.
async fn revocation(
    db: &Database,
    by: &User,
    installation: InstallationId,
    group: GroupId,
) -> Authorized<voltgate_domain::authz::RevokeGrant> {
    let principal = Principal::User(by.id);
    let (_, installation) = db
        .store
        .installation_for(&principal, installation)
        .await
        .unwrap()
        .unwrap();
    let (_, group) = db
        .store
        .group_for(&principal, group)
        .await
        .unwrap()
        .unwrap();
    authorize(
        &principal,
        GrantAccess {
            installation,
            group,
        },
    )
    .expect("may revoke")
}

fn installation(name: &str) -> NewInstallation {
    NewInstallation {
        name: Name::parse(name).unwrap(),
        address: Address::parse("Storgata 1, Oslo").unwrap(),
        installation_type: InstallationType::Go,
        time_zone: voltgate_domain::Zone::default(),
    }
}

fn group(name: &str, urls: &[&str]) -> NewGroup {
    NewGroup {
        name: Name::parse(name).unwrap(),
        description: Description::parse("Charge point operator").unwrap(),
        support_email: Some(Email::parse("support@acme.example").unwrap()),
        support_url: None,
        return_urls: urls
            .iter()
            .map(|u| RegisteredReturnUrl::parse(u).unwrap())
            .collect(),
    }
}

async fn accounts_are_unique_by_email_in_any_case(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let kari = user(&db, "Kari@Example.com").await;
    assert_eq!(kari.email, "Kari@Example.com");
    let again = NewUser {
        email: Email::parse("kari@example.COM").unwrap(),
        full_name: Name::parse("Imposter").unwrap(),
        password_hash: "x".into(),
    };
    assert!(matches!(
        db.store.create_user(&again).await,
        Err(StoreError::Conflict("email"))
    ));
    let found = db
        .store
        .user_by_email(&Email::parse("KARI@example.com").unwrap())
        .await
        .unwrap();
    assert_eq!(found, Some(kari.clone()));
    let (_, hash, _) = db
        .store
        .credentials(&Email::parse("kari@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash, "$argon2id$not-a-real-hash");
    assert_eq!(db.store.user(kari.id).await.unwrap(), Some(kari));
    assert_eq!(
        db.store
            .user_by_email(&Email::parse("nobody@example.com").unwrap())
            .await
            .unwrap(),
        None
    );
}

async fn migrations_are_idempotent(engine: Engine) {
    let (guard, db) = open(engine).await;
    user(&db, "a@example.com").await;
    let reopened = connect(&guard.url)
        .await
        .expect("second start on the same database");
    assert!(reopened
        .store
        .user_by_email(&Email::parse("a@example.com").unwrap())
        .await
        .unwrap()
        .is_some());
    reopened.store.ping().await.unwrap();
}

async fn installations_start_with_an_owner_and_defaults(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let owner = user(&db, "owner@example.com").await;
    let created = db
        .store
        .create_installation(
            owner.id,
            &installation("Garage Nord"),
            &Principal::User(owner.id),
        )
        .await
        .unwrap();
    assert_eq!(created.name, "Garage Nord");
    assert_eq!(created.settings, InstallationSettings::default());
    let (loaded, access) = db
        .store
        .installation_for(&Principal::User(owner.id), created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded, created);
    assert_eq!(access.role, Some(Role::Owner));
    let members = db
        .store
        .installation_members(&op::<ViewPeople>(&db, created.id).await)
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].user.id, members[0].role),
        (owner.id, Role::Owner)
    );
    let audit = db
        .store
        .installation_audit(&op::<ManagePermissions>(&db, created.id).await, 10, 0)
        .await
        .unwrap();
    assert_eq!(audit[0].kind, "installation_created");
    assert_eq!(audit[0].actor_email.as_deref(), Some("owner@example.com"));
    assert_eq!(
        db.store
            .installation_audit_count(&op::<ManagePermissions>(&db, created.id).await)
            .await
            .unwrap(),
        1
    );
    db.store.set_language(owner.id, "nb").await.unwrap();
    assert_eq!(
        db.store
            .user(owner.id)
            .await
            .unwrap()
            .unwrap()
            .language
            .as_deref(),
        Some("nb")
    );
}

async fn strangers_have_no_relation(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let owner = user(&db, "owner@example.com").await;
    let stranger = user(&db, "stranger@example.com").await;
    let inst = db
        .store
        .create_installation(
            owner.id,
            &installation("Hjemme"),
            &Principal::User(owner.id),
        )
        .await
        .unwrap();
    let (_, access) = db
        .store
        .installation_for(&Principal::User(stranger.id), inst.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.role, None);
    assert!(access.via_groups.is_empty());
    assert!(db
        .store
        .installations_for(&Principal::User(stranger.id))
        .await
        .unwrap()
        .is_empty());
    let missing = voltgate_domain::InstallationId::random();
    assert!(db
        .store
        .installation_for(&Principal::User(owner.id), missing)
        .await
        .unwrap()
        .is_none());
}

async fn settings_changes_are_stored_and_audited(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let owner = user(&db, "owner@example.com").await;
    let inst = db
        .store
        .create_installation(
            owner.id,
            &installation("Borettslag"),
            &Principal::User(owner.id),
        )
        .await
        .unwrap();
    let input = SettingsInput {
        max_current: "63".into(),
        available_mode: "per_phase".into(),
        available_current_phase1: "40".into(),
        available_current_phase2: "32.5".into(),
        available_current_phase3: "0".into(),
        authentication_required: Some("on".into()),
        phases: "3".into(),
        ..SettingsInput::default()
    };
    let settings = InstallationSettings::from_input(&input).unwrap();
    db.store
        .update_settings(
            &cap::<ChangeSettings>(&db, &owner, inst.id).await,
            &settings,
        )
        .await
        .unwrap();
    let (loaded, _) = db
        .store
        .installation_for(&Principal::User(owner.id), inst.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.settings, settings);
    assert!(loaded.updated_at >= inst.updated_at);
    let audit = db
        .store
        .installation_audit(&op::<ManagePermissions>(&db, inst.id).await, 1, 0)
        .await
        .unwrap();
    assert_eq!(audit[0].kind, "settings_changed");
    assert_eq!(audit[0].detail["before"]["max_current"], 32.0);
    assert_eq!(audit[0].detail["after"]["available_current"][1], 32.5);
    let missing = voltgate_domain::InstallationId::random();
    let refused =
        on_installation::<ChangeSettings>(db.store.as_ref(), Principal::User(owner.id), missing);
    assert_eq!(
        refused.await.map(|_| ()),
        Err(voltgate_domain::Denial::NotFound),
        "no capability for what does not exist"
    );
}

async fn roles_keep_an_owner_and_failures_write_nothing(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let owner = user(&db, "owner@example.com").await;
    let helper = user(&db, "helper@example.com").await;
    let inst = db
        .store
        .create_installation(owner.id, &installation("Hytta"), &Principal::User(owner.id))
        .await
        .unwrap();
    db.store
        .set_installation_role(
            &cap::<ManageUsers>(&db, &owner, inst.id).await,
            helper.id,
            Role::User,
        )
        .await
        .unwrap();
    db.store
        .set_installation_role(
            &cap::<ManageUsers>(&db, &owner, inst.id).await,
            helper.id,
            Role::Admin,
        )
        .await
        .unwrap();
    let (_, access) = db
        .store
        .installation_for(&Principal::User(helper.id), inst.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.role, Some(Role::Admin));
    assert_eq!(
        db.store
            .installations_for(&Principal::User(helper.id))
            .await
            .unwrap()
            .len(),
        1
    );

    let before = db
        .store
        .installation_audit(&op::<ManagePermissions>(&db, inst.id).await, 100, 0)
        .await
        .unwrap()
        .len();
    let as_admin = cap::<ManageUsers>(&db, &helper, inst.id).await;
    for (target, next) in [
        (helper.id, Some(Role::Owner)),
        (owner.id, Some(Role::Admin)),
        (owner.id, None),
    ] {
        let refused = match next {
            Some(role) => {
                db.store
                    .set_installation_role(&as_admin, target, role)
                    .await
            }
            None => db.store.remove_installation_role(&as_admin, target).await,
        };
        assert!(
            matches!(
                refused,
                Err(StoreError::Refused(RoleChangeRefused::OwnersOnly))
            ),
            "an admin may not touch the owner role: {next:?} → {refused:?}"
        );
    }
    let as_owner = cap::<ManageUsers>(&db, &owner, inst.id).await;
    let demote = db
        .store
        .set_installation_role(&as_owner, owner.id, Role::Admin)
        .await;
    assert!(matches!(
        demote,
        Err(StoreError::Refused(RoleChangeRefused::LastOwner(_)))
    ));
    let remove = db.store.remove_installation_role(&as_owner, owner.id).await;
    assert!(matches!(
        remove,
        Err(StoreError::Refused(RoleChangeRefused::LastOwner(_)))
    ));
    assert_eq!(
        db.store
            .installation_audit(&op::<ManagePermissions>(&db, inst.id).await, 100, 0)
            .await
            .unwrap()
            .len(),
        before
    );
    let (_, access) = db
        .store
        .installation_for(&Principal::User(owner.id), inst.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.role, Some(Role::Owner));

    db.store
        .set_installation_role(
            &cap::<ManageUsers>(&db, &owner, inst.id).await,
            helper.id,
            Role::Owner,
        )
        .await
        .unwrap();
    db.store
        .remove_installation_role(&cap::<ManageUsers>(&db, &helper, inst.id).await, owner.id)
        .await
        .unwrap();
    assert!(db
        .store
        .installations_for(&Principal::User(owner.id))
        .await
        .unwrap()
        .is_empty());
    let again = db
        .store
        .remove_installation_role(&cap::<ManageUsers>(&db, &helper, inst.id).await, owner.id)
        .await;
    assert!(matches!(again, Err(StoreError::NotFound)));
    let kinds: Vec<String> = db
        .store
        .installation_audit(&op::<ManagePermissions>(&db, inst.id).await, 100, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds[..2],
        ["role_removed".to_string(), "role_set".to_string()]
    );
    db.store
        .set_installation_role(&op::<ManageUsers>(&db, inst.id).await, owner.id, Role::User)
        .await
        .unwrap();
    let latest = &db
        .store
        .installation_audit(&op::<ManagePermissions>(&db, inst.id).await, 1, 0)
        .await
        .unwrap()[0];
    assert_eq!(
        (latest.actor, latest.detail["via"].as_str()),
        (None, Some("operator command line"))
    );
}

async fn concurrent_demotions_leave_an_owner(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let a = user(&db, "a@example.com").await;
    let b = user(&db, "b@example.com").await;
    let inst = db
        .store
        .create_installation(a.id, &installation("Twin owners"), &Principal::User(a.id))
        .await
        .unwrap();
    db.store
        .set_installation_role(
            &cap::<ManageUsers>(&db, &a, inst.id).await,
            b.id,
            Role::Owner,
        )
        .await
        .unwrap();
    let (by_a, by_b) = (
        cap::<ManageUsers>(&db, &a, inst.id).await,
        cap::<ManageUsers>(&db, &b, inst.id).await,
    );
    let (first, second) = tokio::join!(
        db.store.remove_installation_role(&by_b, a.id),
        db.store.remove_installation_role(&by_a, b.id),
    );
    assert_eq!(
        u8::from(first.is_ok()) + u8::from(second.is_ok()),
        1,
        "{first:?} {second:?}"
    );
    let owners = db
        .store
        .installation_members(&op::<ViewPeople>(&db, inst.id).await)
        .await
        .unwrap();
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].role, Role::Owner);
}

async fn a_stale_capability_changes_no_role(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let owner = user(&db, "owner@example.com").await;
    let admin = user(&db, "admin@example.com").await;
    let third = user(&db, "third@example.com").await;
    let inst = db
        .store
        .create_installation(owner.id, &installation("Stale"), &Principal::User(owner.id))
        .await
        .unwrap();
    let as_owner = cap::<ManageUsers>(&db, &owner, inst.id).await;
    db.store
        .set_installation_role(&as_owner, admin.id, Role::Admin)
        .await
        .unwrap();
    let as_admin = cap::<ManageUsers>(&db, &admin, inst.id).await;
    db.store
        .set_installation_role(&as_owner, admin.id, Role::User)
        .await
        .unwrap();
    let late = db
        .store
        .set_installation_role(&as_admin, third.id, Role::Admin)
        .await;
    assert!(
        matches!(
            late,
            Err(StoreError::Refused(RoleChangeRefused::NotPermitted))
        ),
        "the role is read again inside the transaction: {late:?}"
    );
    let members = db
        .store
        .installation_members(&op::<ViewPeople>(&db, inst.id).await)
        .await
        .unwrap();
    assert_eq!(members.len(), 2, "nobody was added");
}

async fn look_alike_group_names_are_refused_and_groups_verified(engine: Engine) {
    let (guard, db) = open(engine).await;
    let owner = user(&db, "cpo@example.com").await;
    let by = Principal::User(owner.id);
    let key = |k: &str| LookupKey::parse(k).unwrap();
    let real = db
        .store
        .create_group(owner.id, &group("Acme Charging", &[]), &key("ACME"), &by)
        .await
        .unwrap();
    assert_eq!(real.verified_at, None);
    for (n, fake) in [
        "ACME CHARGING",
        "\u{0391}cme Charging",
        "Ac\u{200B}me  Charging",
    ]
    .iter()
    .enumerate()
    {
        let taken = db
            .store
            .create_group(
                owner.id,
                &group(fake, &[]),
                &key(&format!("FAKE{}", n + 2)),
                &by,
            )
            .await;
        assert!(
            matches!(taken, Err(StoreError::Conflict("name"))),
            "{fake:?}: {taken:?}"
        );
    }
    db.store
        .create_group(owner.id, &group("Acme Energy", &[]), &key("ENERGY"), &by)
        .await
        .unwrap();

    let verify = gop::<voltgate_domain::authz::VerifyGroup>(&db, real.id).await;
    db.store.set_group_verified(&verify, true).await.unwrap();
    let (verified, _) = db.store.group_for(&by, real.id).await.unwrap().unwrap();
    assert!(verified.verified_at.is_some());
    let owners_try =
        on_group::<voltgate_domain::authz::VerifyGroup>(db.store.as_ref(), by, real.id).await;
    assert_eq!(
        owners_try.map(|_| ()),
        Err(voltgate_domain::Denial::Forbidden),
        "only the operator verifies"
    );
    let reopened = connect(&guard.url).await.unwrap();
    let (again, _) = reopened
        .store
        .group_for(&by, real.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.verified_at, verified.verified_at);
}

async fn groups_have_unique_lookup_keys(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let owner = user(&db, "cpo@example.com").await;
    let key = LookupKey::parse("TZBV").unwrap();
    let acme = db
        .store
        .create_group(
            owner.id,
            &group("Acme Charging", &["https://acme.example/cb"]),
            &key,
            &Principal::User(owner.id),
        )
        .await
        .unwrap();
    assert_eq!(acme.lookup_key, key);
    assert_eq!(
        acme.return_urls,
        vec!["https://acme.example/cb".to_string()]
    );
    let clash = db
        .store
        .create_group(
            owner.id,
            &group("Other", &[]),
            &LookupKey::parse("tzbv").unwrap(),
            &Principal::User(owner.id),
        )
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict("lookup_key"))));
    assert_eq!(
        db.store.groups_for(owner.id).await.unwrap().len(),
        1,
        "the refused group left nothing behind"
    );
    let found = db
        .store
        .group_by_lookup_key(&LookupKey::parse("tzbv").unwrap())
        .await
        .unwrap();
    assert_eq!(found.map(|g| g.id), Some(acme.id));

    let other = db
        .store
        .create_group(
            owner.id,
            &group("Other", &[]),
            &LookupKey::parse("ABCD").unwrap(),
            &Principal::User(owner.id),
        )
        .await
        .unwrap();
    let taken = db
        .store
        .rotate_lookup_key(&gcap::<ManageGroup>(&db, &owner, other.id).await, &key)
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict("lookup_key"))));
    let fresh = LookupKey::parse("WXYZ").unwrap();
    db.store
        .rotate_lookup_key(&gcap::<ManageGroup>(&db, &owner, acme.id).await, &fresh)
        .await
        .unwrap();
    assert!(
        db.store.group_by_lookup_key(&key).await.unwrap().is_none(),
        "the old key stops working"
    );
    assert_eq!(
        db.store
            .group_by_lookup_key(&fresh)
            .await
            .unwrap()
            .map(|g| g.id),
        Some(acme.id)
    );
    assert!(db.store.owns_a_group(owner.id).await.unwrap());
    let audit = db
        .store
        .group_audit(
            &on_group::<ManageGroup>(db.store.as_ref(), Principal::Operator, acme.id)
                .await
                .unwrap(),
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(audit[0].kind, "lookup_key_rotated");
    assert_eq!(audit[0].detail["old"], "TZBV");
}

async fn group_membership_keeps_an_owner(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let owner = user(&db, "owner@example.com").await;
    let member = user(&db, "member@example.com").await;
    let key = LookupKey::parse("MNPQ").unwrap();
    let g = db
        .store
        .create_group(
            owner.id,
            &group("Installers AS", &[]),
            &key,
            &Principal::User(owner.id),
        )
        .await
        .unwrap();
    let (_, access) = db
        .store
        .group_for(&Principal::User(member.id), g.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.role, None);
    assert!(!db.store.owns_a_group(member.id).await.unwrap());
    db.store
        .set_group_role(
            &gcap::<ManageGroup>(&db, &owner, g.id).await,
            member.id,
            GroupRole::Member,
        )
        .await
        .unwrap();
    let (_, access) = db
        .store
        .group_for(&Principal::User(member.id), g.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.role, Some(GroupRole::Member));
    assert!(matches!(
        db.store
            .remove_group_member(&gcap::<ManageGroup>(&db, &owner, g.id).await, owner.id)
            .await,
        Err(StoreError::Refused(RoleChangeRefused::LastOwner(_)))
    ));
    db.store
        .set_group_role(
            &gcap::<ManageGroup>(&db, &owner, g.id).await,
            member.id,
            GroupRole::Owner,
        )
        .await
        .unwrap();
    db.store
        .remove_group_member(&gcap::<ManageGroup>(&db, &owner, g.id).await, owner.id)
        .await
        .unwrap();
    let members = db
        .store
        .group_members(&gop::<ViewGroup>(&db, g.id).await)
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].user.id, members[0].role),
        (member.id, GroupRole::Owner)
    );
    assert_eq!(db.store.groups_for(owner.id).await.unwrap().len(), 0);
}

async fn return_urls_are_replaced_in_order(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let owner = user(&db, "owner@example.com").await;
    let g = db
        .store
        .create_group(
            owner.id,
            &group("Acme", &["https://a.example/x"]),
            &LookupKey::parse("QRST").unwrap(),
            &Principal::User(owner.id),
        )
        .await
        .unwrap();
    let urls: Vec<_> = [
        "https://b.example/2",
        "http://localhost:3000/cb",
        "https://b.example/2",
    ]
    .iter()
    .map(|u| RegisteredReturnUrl::parse(u).unwrap())
    .collect();
    db.store
        .set_return_urls(&gcap::<ManageGroup>(&db, &owner, g.id).await, &urls)
        .await
        .unwrap();
    let (loaded, _) = db
        .store
        .group_for(&Principal::User(owner.id), g.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        loaded.return_urls,
        vec!["https://b.example/2", "http://localhost:3000/cb"]
    );
}

async fn shared_secrets_are_made_once(engine: Engine) {
    let (guard, db) = open(engine).await;
    let (first, second) = tokio::join!(
        db.store.shared_secret("csrf", "first"),
        db.store.shared_secret("csrf", "second")
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first, second, "two processes starting together agree");
    let elsewhere = connect(&guard.url).await.unwrap();
    assert_eq!(
        elsewhere
            .store
            .shared_secret("csrf", "third")
            .await
            .unwrap(),
        first
    );
    assert_eq!(db.store.shared_secret("other", "x").await.unwrap(), "x");
    assert_eq!(db.store.browser_sessions().await.unwrap(), 0);
}

async fn throttles_count_every_parallel_attempt(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let policy = ThrottlePolicy::PER_ACCOUNT;
    let now = Utc::now();
    let counts = futures::future::join_all(
        (0..40).map(|_| db.store.count_attempt("account:x", &policy, now)),
    )
    .await;
    let mut seen: Vec<u32> = counts.into_iter().map(|c| c.unwrap().attempts).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=40).collect::<Vec<u32>>(),
        "no count lost, none repeated"
    );
    let admitted = seen.iter().filter(|n| **n <= policy.max_attempts).count();
    assert_eq!(admitted, 5);

    db.store.uncount_attempt("account:x").await.unwrap();
    let next = db
        .store
        .count_attempt("account:x", &policy, now)
        .await
        .unwrap();
    assert_eq!(next.attempts, 40, "one taken back, one counted");
    let later = now + Duration::minutes(16);
    let fresh = db
        .store
        .count_attempt("account:x", &policy, later)
        .await
        .unwrap();
    assert_eq!(
        (fresh.attempts, fresh.window_start.timestamp_millis()),
        (1, later.timestamp_millis())
    );
    db.store.clear_attempts("account:x").await.unwrap();
    let cleared = db
        .store
        .count_attempt("account:x", &policy, later)
        .await
        .unwrap();
    assert_eq!(cleared.attempts, 1);
    let other = db
        .store
        .count_attempt("address:127.0.0.1", &policy, now)
        .await
        .unwrap();
    assert_eq!(other.attempts, 1, "keys count apart");
}

async fn group_grants_reach_every_member_until_revoked(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let (owner, partner, inst, acme) = garage_and_acme(&db).await;
    let later = user(&db, "later@acme.example").await;
    let outsider = user(&db, "outsider@example.com").await;
    let context = RequestContext::default();

    assert!(db
        .store
        .grant_access(
            &cap::<ManagePermissions>(&db, &owner, inst.id).await,
            acme.id,
            &Default::default(),
            &context
        )
        .await
        .unwrap()
        .is_new());
    assert!(
        !db.store
            .grant_access(
                &cap::<ManagePermissions>(&db, &owner, inst.id).await,
                acme.id,
                &Default::default(),
                &context
            )
            .await
            .unwrap()
            .is_new(),
        "idempotent"
    );
    let approvals = db
        .store
        .installation_audit(&op::<ManagePermissions>(&db, inst.id).await, 100, 0)
        .await
        .unwrap();
    assert_eq!(
        approvals
            .iter()
            .filter(|e| e.kind == "access_approved")
            .count(),
        1
    );

    let (_, access) = db
        .store
        .installation_for(&Principal::User(partner.id), inst.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (access.role, access.via_groups.clone()),
        (None, vec![ViaGroup::all(acme.id)])
    );
    assert_eq!(
        db.store
            .installations_for(&Principal::User(partner.id))
            .await
            .unwrap()
            .len(),
        1
    );
    let (_, access) = db
        .store
        .installation_for(&Principal::User(outsider.id), inst.id)
        .await
        .unwrap()
        .unwrap();
    assert!(access.via_groups.is_empty());
    assert!(db
        .store
        .installations_for(&Principal::User(outsider.id))
        .await
        .unwrap()
        .is_empty());

    db.store
        .set_group_role(
            &gcap::<ManageGroup>(&db, &partner, acme.id).await,
            later.id,
            GroupRole::Member,
        )
        .await
        .unwrap();
    let (_, access) = db
        .store
        .installation_for(&Principal::User(later.id), inst.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        access.via_groups,
        vec![ViaGroup::all(acme.id)],
        "members added later have access too"
    );
    db.store
        .remove_group_member(&gcap::<ManageGroup>(&db, &partner, acme.id).await, later.id)
        .await
        .unwrap();
    let (_, access) = db
        .store
        .installation_for(&Principal::User(later.id), inst.id)
        .await
        .unwrap()
        .unwrap();
    assert!(access.via_groups.is_empty(), "ex-members lose it");

    let grants = db.store.installation_grants(inst.id).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].group.id, acme.id);
    assert_eq!(grants[0].granted_by.as_ref().map(|u| u.id), Some(owner.id));
    assert_eq!(db.store.group_grants(acme.id).await.unwrap(), vec![inst.id]);

    db.store
        .revoke_access(&revocation(&db, &owner, inst.id, acme.id).await)
        .await
        .unwrap();
    let (_, access) = db
        .store
        .installation_for(&Principal::User(partner.id), inst.id)
        .await
        .unwrap()
        .unwrap();
    assert!(access.via_groups.is_empty());
    assert!(db
        .store
        .installations_for(&Principal::User(partner.id))
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        db.store
            .revoke_access(&revocation(&db, &owner, inst.id, acme.id).await)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        db.store
            .installation_audit(&op::<ManagePermissions>(&db, inst.id).await, 1, 0)
            .await
            .unwrap()[0]
            .kind,
        "access_revoked"
    );
    let missing = voltgate_domain::InstallationId::random();
    let refused =
        on_installation::<ManagePermissions>(db.store.as_ref(), Principal::User(owner.id), missing);
    assert_eq!(
        refused.await.map(|_| ()),
        Err(voltgate_domain::Denial::NotFound)
    );
    let no_group = voltgate_domain::GroupId::random();
    assert!(matches!(
        db.store
            .grant_access(
                &cap::<ManagePermissions>(&db, &owner, inst.id).await,
                no_group,
                &Default::default(),
                &context
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(
        db.store
            .installation_grants(inst.id)
            .await
            .unwrap()
            .is_empty(),
        "failed grants wrote nothing"
    );
}

async fn access_decisions_are_audited_with_the_links_words(engine: Engine) {
    let (_guard, db) = open(engine).await;
    let owner = user(&db, "owner@example.com").await;
    let partner = user(&db, "partner@acme.example").await;
    let inst = db
        .store
        .create_installation(
            owner.id,
            &installation("Garage"),
            &Principal::User(owner.id),
        )
        .await
        .unwrap();
    let key = LookupKey::parse("ACME").unwrap();
    let acme = db
        .store
        .create_group(
            partner.id,
            &group("Acme Charging", &[]),
            &key,
            &Principal::User(partner.id),
        )
        .await
        .unwrap();
    let context = RequestContext {
        partner_name: Some("Acme Energy".into()),
        return_url: Some("https://acme.example/cb".into()),
    };
    db.store
        .record_denial(
            &Principal::User(owner.id),
            Some(&cap::<ManagePermissions>(&db, &owner, inst.id).await),
            acme.id,
            &context,
        )
        .await
        .unwrap();
    let event = &db
        .store
        .installation_audit(&op::<ManagePermissions>(&db, inst.id).await, 1, 0)
        .await
        .unwrap()[0];
    assert_eq!(event.kind, "access_denied");
    assert_eq!(event.group, Some(acme.id));
    assert_eq!(event.detail["partner_name"], "Acme Energy");
    assert_eq!(event.detail["group_name"], "Acme Charging");
    assert_eq!(event.detail["return_url"], "https://acme.example/cb");
    assert!(
        db.store
            .installation_grants(inst.id)
            .await
            .unwrap()
            .is_empty(),
        "a denial grants nothing"
    );
    db.store
        .record_denial(&Principal::User(owner.id), None, acme.id, &context)
        .await
        .unwrap();
    assert_eq!(
        db.store
            .group_audit(
                &on_group::<ManageGroup>(db.store.as_ref(), Principal::Operator, acme.id)
                    .await
                    .unwrap(),
                1,
                0
            )
            .await
            .unwrap()[0]
            .kind,
        "access_denied"
    );
}

fn pair(user: &User, name: &str, now: chrono::DateTime<Utc>) -> voltgate_store::NewTokenPair {
    voltgate_store::NewTokenPair {
        user: user.id,
        access_hash: format!("access-{name}"),
        access_expires: now + Duration::hours(1),
        refresh_hash: format!("refresh-{name}"),
        refresh_expires: now + Duration::days(30),
        client_address: "192.0.2.1".into(),
        at: now,
        epoch: None,
    }
}

async fn api_tokens_rotate_and_a_reused_refresh_token_revokes_its_family(engine: Engine) {
    use voltgate_store::Refreshed;
    let (_t, db) = open(engine).await;
    let alice = user(&db, "alice@example.com").await;
    let now = Utc::now();
    let store = db.store.as_ref();
    store.create_tokens(&pair(&alice, "1", now)).await.unwrap();
    let holder = store
        .access_token("access-1", "192.0.2.1", now)
        .await
        .unwrap()
        .expect("valid");
    assert_eq!(holder.user.id, alice.id);
    assert!(
        store
            .access_token("refresh-1", "192.0.2.1", now)
            .await
            .unwrap()
            .is_none(),
        "a refresh token is no access token"
    );
    assert!(store
        .access_token("nothing", "192.0.2.1", now)
        .await
        .unwrap()
        .is_none());

    let rotated = store
        .refresh_tokens("refresh-1", &pair(&alice, "2", now))
        .await
        .unwrap();
    assert_eq!(rotated, Refreshed::Rotated(alice.id));
    assert!(store
        .access_token("access-2", "192.0.2.1", now)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store
            .refresh_tokens("unknown", &pair(&alice, "x", now))
            .await
            .unwrap(),
        Refreshed::Invalid
    );

    // The first refresh token again: someone holds a copy, so the whole family ends.
    let reused = store
        .refresh_tokens("refresh-1", &pair(&alice, "3", now))
        .await
        .unwrap();
    assert_eq!(reused, Refreshed::Reused);
    for hash in ["access-1", "access-2", "access-3"] {
        assert!(
            store
                .access_token(hash, "192.0.2.1", now)
                .await
                .unwrap()
                .is_none(),
            "{hash} revoked"
        );
    }
    assert_eq!(
        store
            .refresh_tokens("refresh-2", &pair(&alice, "4", now))
            .await
            .unwrap(),
        Refreshed::Reused
    );

    // Two refreshes of one token at once: exactly one rotates.
    store.create_tokens(&pair(&alice, "5", now)).await.unwrap();
    let (six, seven) = (pair(&alice, "6", now), pair(&alice, "7", now));
    let (a, b) = tokio::join!(
        store.refresh_tokens("refresh-5", &six),
        store.refresh_tokens("refresh-5", &seven)
    );
    let rotated = [a.unwrap(), b.unwrap()]
        .iter()
        .filter(|r| matches!(r, Refreshed::Rotated(_)))
        .count();
    assert_eq!(rotated, 1);
}

async fn api_tokens_are_revoked_listed_and_expire(engine: Engine) {
    let (_t, db) = open(engine).await;
    let alice = user(&db, "alice@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let now = Utc::now();
    let store = db.store.as_ref();
    let first = store.create_tokens(&pair(&alice, "a1", now)).await.unwrap();
    let second = store
        .create_tokens(&pair(&alice, "a2", now + Duration::seconds(1)))
        .await
        .unwrap();
    store.create_tokens(&pair(&bob, "b1", now)).await.unwrap();
    let later = now + Duration::minutes(5);
    store
        .access_token("access-a1", "198.51.100.7", later)
        .await
        .unwrap()
        .unwrap();

    let families = store.token_families(alice.id, later).await.unwrap();
    assert_eq!(
        families.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![second, first],
        "newest first"
    );
    assert_eq!(families[1].client_address.as_deref(), Some("198.51.100.7"));
    assert_eq!(
        families[1].last_used_at.map(|t| t.timestamp_millis()),
        Some(later.timestamp_millis())
    );

    assert!(
        !store.revoke_token_family(bob.id, first, now).await.unwrap(),
        "not bob's to revoke"
    );
    assert!(store
        .revoke_token_family(alice.id, first, now)
        .await
        .unwrap());
    assert!(store
        .access_token("access-a1", "192.0.2.1", later)
        .await
        .unwrap()
        .is_none());
    assert!(
        store.revoke_token("refresh-a2", now).await.unwrap(),
        "RFC 7009: revoking a refresh token ends its family"
    );
    assert!(store
        .access_token("access-a2", "192.0.2.1", later)
        .await
        .unwrap()
        .is_none());
    assert!(!store.revoke_token("never-issued", now).await.unwrap());
    assert!(store
        .token_families(alice.id, later)
        .await
        .unwrap()
        .is_empty());

    assert_eq!(store.revoke_user_tokens(bob.id, now).await.unwrap(), 2);
    assert!(store
        .access_token("access-b1", "192.0.2.1", now)
        .await
        .unwrap()
        .is_none());

    store.create_tokens(&pair(&alice, "a3", now)).await.unwrap();
    let expired = now + Duration::hours(2);
    assert!(
        store
            .access_token("access-a3", "192.0.2.1", expired)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    let after_refresh_expiry = now + Duration::days(31);
    assert!(store
        .token_families(alice.id, after_refresh_expiry)
        .await
        .unwrap()
        .is_empty());
}

/// What `db` answers for a token on `inst` at `at` through the charger list: nothing for a bad token,
/// else the installation's name and the groups whose grants count (empty without a relation).
async fn seen_by_token(
    db: &Database,
    token: &str,
    at: chrono::DateTime<Utc>,
    inst: InstallationId,
) -> Option<(String, Vec<ViaGroup>)> {
    let (_, on) = db
        .store
        .chargers_by_token(token, "192.0.2.1", at, inst, (None, 0))
        .await
        .unwrap()?;
    let on = on.expect("the installation exists");
    Some((on.installation.name.to_string(), on.access.via_groups))
}

/// A second process on the same database keeps the checks of the tokens it has seen: every change that
/// bears on one counts on its very next call, whichever process made it and however (through the store
/// or in bare SQL), and the end of a grant or a token counts when it passes, without any write.
async fn a_kept_token_check_counts_every_change_on_the_next_call(engine: Engine) {
    use voltgate_domain::{GrantRight, GrantRights, GrantTerms};
    let (t, db) = open(engine).await;
    let other = connect(&t.url).await.expect("a second process");
    let store = db.store.as_ref();
    let now = Utc::now();
    let (owner, partner, inst, acme) = garage_and_acme(&db).await;
    let ends = Some(now + Duration::minutes(30));
    let manage = cap::<ManagePermissions>(&db, &owner, inst.id).await;
    let mut terms = GrantTerms {
        rights: GrantRights::VIEW.with(GrantRight::Control),
        ends,
    };
    let context = RequestContext::default();
    store
        .grant_access(&manage, acme.id, &terms, &context)
        .await
        .unwrap();
    store
        .create_tokens(&pair(&partner, "p", now))
        .await
        .unwrap();
    let via = |rights| {
        vec![ViaGroup {
            group: acme.id,
            rights,
        }]
    };
    let seen = |at| seen_by_token(&other, "access-p", at, inst.id);

    for _ in 0..3 {
        assert_eq!(seen(now).await, Some(("Garage".into(), via(terms.rights))));
    }
    terms.rights = GrantRights::VIEW;
    store
        .grant_access(&manage, acme.id, &terms, &context)
        .await
        .unwrap();
    assert_eq!(
        seen(now).await,
        Some(("Garage".into(), via(GrantRights::VIEW))),
        "a grant narrowed by another process"
    );
    with_raw_pool!(engine, t.url.as_str(), |pool| {
        sqlx::query("UPDATE installations SET name = 'Renamed' WHERE id = $1")
            .bind(inst.id.as_uuid())
            .execute(&pool)
            .await
            .unwrap();
    });
    assert_eq!(
        seen(now).await,
        Some(("Renamed".into(), via(GrantRights::VIEW))),
        "a change in bare SQL"
    );
    let later = now + Duration::minutes(31);
    assert_eq!(
        seen(later).await,
        Some(("Renamed".into(), vec![])),
        "the grant's end passed"
    );
    assert_eq!(
        seen(now + Duration::minutes(61)).await,
        None,
        "the token's end passed"
    );
    assert!(store.revoke_token("access-p", now).await.unwrap());
    assert_eq!(seen(now).await, None, "a token revoked by another process");

    store
        .create_tokens(&pair(&partner, "q", now))
        .await
        .unwrap();
    let seen = |at| seen_by_token(&other, "access-q", at, inst.id);
    assert_eq!(
        seen(now).await,
        Some(("Renamed".into(), via(GrantRights::VIEW)))
    );
    with_raw_pool!(engine, t.url.as_str(), |pool| {
        sqlx::query("DELETE FROM group_members WHERE user_id = $1")
            .bind(partner.id.as_uuid())
            .execute(&pool)
            .await
            .unwrap();
    });
    assert_eq!(
        seen(now).await,
        Some(("Renamed".into(), vec![])),
        "a membership removed in bare SQL"
    );
}

async fn a_token_and_its_holders_relation_come_in_one_call(engine: Engine) {
    let (_t, db) = open(engine).await;
    let store = db.store.as_ref();
    let now = Utc::now();
    let (owner, partner, inst, acme) = garage_and_acme(&db).await;
    let outsider = user(&db, "outsider@example.com").await;
    let beta = store
        .create_group(
            partner.id,
            &group("Beta", &[]),
            &LookupKey::parse("BETA").unwrap(),
            &Principal::User(partner.id),
        )
        .await
        .unwrap();
    for g in [acme.id, beta.id] {
        store
            .grant_access(
                &op::<ManagePermissions>(&db, inst.id).await,
                g,
                &Default::default(),
                &RequestContext::default(),
            )
            .await
            .unwrap();
    }
    for (who, name) in [(&owner, "o"), (&partner, "p"), (&outsider, "x")] {
        store.create_tokens(&pair(who, name, now)).await.unwrap();
    }

    let (holder, found) = store
        .access_token_on("access-o", "192.0.2.1", now, inst.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holder.user.id, owner.id);
    let (found, access) = found.unwrap();
    assert_eq!(found.id, inst.id);
    assert_eq!(
        (access.role, access.via_groups.len()),
        (Some(Role::Owner), 0)
    );
    assert_eq!(access.principal, Principal::Api(owner.id));

    let (_, found) = store
        .access_token_on("access-p", "192.0.2.1", now, inst.id)
        .await
        .unwrap()
        .unwrap();
    let (_, access) = found.unwrap();
    let mut expected = vec![acme.id, beta.id];
    expected.sort_by_key(|g| g.as_uuid());
    assert_eq!(
        (access.role, access.via_groups),
        (None, expected.into_iter().map(ViaGroup::all).collect()),
        "both granting groups"
    );

    let (_, found) = store
        .access_token_on("access-x", "192.0.2.1", now, inst.id)
        .await
        .unwrap()
        .unwrap();
    let (_, access) = found.unwrap();
    assert!(
        access.role.is_none() && access.via_groups.is_empty(),
        "no relation"
    );
    let unknown = InstallationId::from_uuid(uuid::Uuid::new_v4());
    let (holder, found) = store
        .access_token_on("access-x", "192.0.2.1", now, unknown)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (holder.user.id, found.is_none()),
        (outsider.id, true),
        "no such installation"
    );
    assert!(store
        .access_token_on("never-issued", "192.0.2.1", now, inst.id)
        .await
        .unwrap()
        .is_none());
    store
        .revoke_access(&revocation(&db, &owner, inst.id, acme.id).await)
        .await
        .unwrap();
    let (_, found) = store
        .access_token_on("access-p", "192.0.2.1", now, inst.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.unwrap().1.via_groups,
        vec![ViaGroup::all(beta.id)],
        "a revoked grant is gone at once"
    );
    store.revoke_user_tokens(partner.id, now).await.unwrap();
    assert!(store
        .access_token_on("access-p", "192.0.2.1", now, inst.id)
        .await
        .unwrap()
        .is_none());
}

async fn ending_sessions_moves_the_epoch_and_revokes_tokens(engine: Engine) {
    let (_t, db) = open(engine).await;
    let store = db.store.as_ref();
    let now = Utc::now();
    let alice = user(&db, "alice@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    store.create_tokens(&pair(&alice, "a", now)).await.unwrap();
    store.create_tokens(&pair(&bob, "b", now)).await.unwrap();
    assert_eq!(store.session_epoch(alice.id).await.unwrap(), 0);
    assert!(store.user_in_epoch(alice.id, 0).await.unwrap().is_some());

    let epoch = store.end_sessions(alice.id, now).await.unwrap();
    assert_eq!(epoch, 1);
    assert!(
        store.user_in_epoch(alice.id, 0).await.unwrap().is_none(),
        "the old sessions ended"
    );
    assert!(store.user_in_epoch(alice.id, 1).await.unwrap().is_some());
    assert!(store
        .access_token("access-a", "192.0.2.1", now)
        .await
        .unwrap()
        .is_none());
    assert!(
        store
            .access_token("access-b", "192.0.2.1", now)
            .await
            .unwrap()
            .is_some(),
        "only hers"
    );
    assert!(store.user_in_epoch(bob.id, 0).await.unwrap().is_some());

    store.create_tokens(&pair(&alice, "a2", now)).await.unwrap();
    let epoch = store
        .change_password(alice.id, "$argon2id$new", now)
        .await
        .unwrap();
    assert_eq!(epoch, 2);
    let (_, hash, _) = store
        .credentials(&Email::parse("alice@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash, "$argon2id$new");
    assert!(store
        .access_token("access-a2", "192.0.2.1", now)
        .await
        .unwrap()
        .is_none());
    let nobody = voltgate_domain::UserId::from_uuid(uuid::Uuid::new_v4());
    assert!(matches!(
        store.change_password(nobody, "x", now).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.end_sessions(nobody, now).await,
        Err(StoreError::NotFound)
    ));
}

/// A login or password grant checks the hash it read with the epoch; a password change that commits
/// between that read and the session or token being made must leave nothing that works: the session
/// carries the old epoch, and the tokens are not made at all. Also many grants racing one change.
async fn a_login_checked_against_the_old_password_makes_nothing_that_lasts(engine: Engine) {
    let (_t, db) = open(engine).await;
    let store = &db.store;
    let alice = user(&db, "alice@example.com").await;
    let now = Utc::now();
    let email = Email::parse("alice@example.com").unwrap();
    let (_, _, epoch) = store.credentials(&email).await.unwrap().unwrap();
    store
        .change_password(alice.id, "$argon2id$new", now)
        .await
        .unwrap();
    assert!(store
        .user_in_epoch(alice.id, epoch)
        .await
        .unwrap()
        .is_none());
    let mut late = pair(&alice, "late", now);
    late.epoch = Some(epoch);
    assert!(matches!(
        store.create_tokens(&late).await,
        Err(StoreError::Conflict("session_epoch"))
    ));
    assert!(store
        .access_token("access-late", "192.0.2.1", now)
        .await
        .unwrap()
        .is_none());

    let (_, _, epoch) = store.credentials(&email).await.unwrap().unwrap();
    let grants = (0..20).map(|i| {
        let mut racing = pair(&alice, &format!("race-{i}"), now);
        racing.epoch = Some(epoch);
        async move { store.create_tokens(&racing).await }
    });
    let change = store.change_password(alice.id, "$argon2id$newer", now);
    let (made, changed) = tokio::join!(futures::future::join_all(grants), change);
    changed.unwrap();
    for (i, result) in made.into_iter().enumerate() {
        assert!(
            matches!(result, Ok(_) | Err(StoreError::Conflict("session_epoch"))),
            "{i}: {result:?}"
        );
        let token = store
            .access_token(&format!("access-race-{i}"), "192.0.2.1", now)
            .await
            .unwrap();
        assert!(token.is_none(), "grant {i} outlived the password change");
    }

    // Refreshes racing a change: whichever way each goes, no pair made from them outlives it.
    for i in 0..20 {
        let mut before = pair(&alice, &format!("old-{i}"), now);
        before.epoch = None;
        store.create_tokens(&before).await.unwrap();
    }
    let refreshes = (0..20).map(|i| {
        let next = pair(&alice, &format!("next-{i}"), now);
        async move {
            store
                .refresh_tokens(&format!("refresh-old-{i}"), &next)
                .await
        }
    });
    let change = store.change_password(alice.id, "$argon2id$newest", now);
    let (refreshed, changed) = tokio::join!(futures::future::join_all(refreshes), change);
    changed.unwrap();
    for (i, result) in refreshed.into_iter().enumerate() {
        result.unwrap();
        let token = store
            .access_token(&format!("access-next-{i}"), "192.0.2.1", now)
            .await
            .unwrap();
        assert!(token.is_none(), "refresh {i} outlived the password change");
    }
}

async fn grants_carry_rights_and_end_and_expired_ones_count_for_nothing(engine: Engine) {
    use voltgate_domain::{GrantRight, GrantRights, GrantTerms};
    let (_guard, db) = open(engine).await;
    let (owner, partner, inst, acme) = garage_and_acme(&db).await;
    let control = GrantRights::VIEW.with(GrantRight::Control);
    let manage = cap::<ManagePermissions>(&db, &owner, inst.id).await;
    let soon = chrono::Utc::now() + chrono::Duration::days(3);
    let terms = GrantTerms {
        rights: control,
        ends: Some(soon),
    };
    assert!(db
        .store
        .grant_access(&manage, acme.id, &terms, &RequestContext::default())
        .await
        .unwrap()
        .is_new());
    let access = |who| {
        let db = &db;
        async move {
            db.store
                .installation_for(&Principal::User(who), inst.id)
                .await
                .unwrap()
        }
    };
    let (_, seen) = access(partner.id).await.unwrap();
    assert_eq!(
        seen.via_groups,
        vec![ViaGroup {
            group: acme.id,
            rights: control
        }]
    );
    let listed = db.store.installation_grants(inst.id).await.unwrap();
    assert_eq!(listed[0].terms.rights, control);
    assert_eq!(
        listed[0].terms.ends.map(|end| end.timestamp_millis()),
        Some(soon.timestamp_millis())
    );

    // Narrowed to view only, then ended a moment ago: from then on the grant gives nothing.
    let view = GrantTerms {
        rights: GrantRights::VIEW,
        ends: None,
    };
    db.store
        .change_grant(&manage, acme.id, &view)
        .await
        .unwrap();
    let (_, seen) = access(partner.id).await.unwrap();
    assert_eq!(seen.via_groups[0].rights, GrantRights::VIEW);
    let past = GrantTerms {
        rights: GrantRights::ALL,
        ends: Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
    };
    db.store
        .change_grant(&manage, acme.id, &past)
        .await
        .unwrap();
    let (_, seen) = access(partner.id).await.unwrap();
    assert!(seen.via_groups.is_empty(), "an expired grant gives nothing");
    assert!(db
        .store
        .installations_for(&Principal::User(partner.id))
        .await
        .unwrap()
        .is_empty());
    assert!(db.store.group_grants(acme.id).await.unwrap().is_empty());
    let listed = db.store.installation_grants(inst.id).await.unwrap();
    assert!(
        listed[0].terms.expired(chrono::Utc::now()),
        "still listed, as expired"
    );

    // Approving again renews an expired grant; changing a grant that is not there is NotFound.
    assert!(db
        .store
        .grant_access(
            &manage,
            acme.id,
            &GrantTerms::default(),
            &RequestContext::default()
        )
        .await
        .unwrap()
        .is_new());
    let (_, seen) = access(partner.id).await.unwrap();
    assert_eq!(seen.via_groups, vec![ViaGroup::all(acme.id)]);
    let stranger = GroupId::from_uuid(uuid::Uuid::new_v4());
    assert!(matches!(
        db.store.change_grant(&manage, stranger, &view).await,
        Err(StoreError::NotFound)
    ));
    let log = db
        .store
        .installation_audit(&op::<ManagePermissions>(&db, inst.id).await, 100, 0)
        .await
        .unwrap();
    assert_eq!(log.iter().filter(|e| e.kind == "access_changed").count(), 2);
    assert_eq!(
        log.iter().filter(|e| e.kind == "access_approved").count(),
        2
    );
}

/// A partner in two groups, one with a view-only grant and one that may change settings: the change is
/// audited "through" the group whose grant allowed it, whichever was granted first.
async fn the_audit_names_the_group_whose_grant_allowed_the_change(engine: Engine) {
    use voltgate_domain::time_zone::Zone;
    use voltgate_domain::{GrantRight, GrantRights, GrantTerms};
    let (_guard, db) = open(engine).await;
    let owner = user(&db, "owner@example.com").await;
    let partner = user(&db, "partner@acme.example").await;
    let inst = db
        .store
        .create_installation(
            owner.id,
            &installation("Garage"),
            &Principal::User(owner.id),
        )
        .await
        .unwrap();
    let mut groups = Vec::new();
    for (name, key) in [("Acme View", "AVWXY"), ("Acme Settings", "ASETS")] {
        let created = db
            .store
            .create_group(
                partner.id,
                &group(name, &[]),
                &LookupKey::parse(key).unwrap(),
                &Principal::User(partner.id),
            )
            .await
            .unwrap();
        groups.push(created.id);
    }
    let manage = cap::<ManagePermissions>(&db, &owner, inst.id).await;
    for (group, rights) in [
        (groups[0], GrantRights::VIEW),
        (groups[1], GrantRights::VIEW.with(GrantRight::Settings)),
    ] {
        let terms = GrantTerms { rights, ends: None };
        db.store
            .grant_access(&manage, group, &terms, &RequestContext::default())
            .await
            .unwrap();
    }
    let change = cap::<ChangeSettings>(&db, &partner, inst.id).await;
    db.store
        .set_time_zone(&change, Zone::parse("Europe/Berlin").unwrap())
        .await
        .unwrap();
    let latest = db
        .store
        .installation_audit(&cap::<ManagePermissions>(&db, &owner, inst.id).await, 1, 0)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(latest.kind, "time_zone_changed");
    assert_eq!(
        latest.group,
        Some(groups[1]),
        "the group that may change settings"
    );
}

async fn an_ended_grant_is_told_once_until_it_is_extended(engine: Engine) {
    use voltgate_domain::{GrantRights, GrantTerms};
    let (_guard, db) = open(engine).await;
    let (owner, _, inst, acme) = garage_and_acme(&db).await;
    let manage = cap::<ManagePermissions>(&db, &owner, inst.id).await;
    let now = chrono::Utc::now();
    let ending = |ends| GrantTerms {
        rights: GrantRights::ALL,
        ends: Some(ends),
    };
    let tell = || db.store.tell_ended_grants(chrono::Utc::now(), 10);
    db.store
        .grant_access(
            &manage,
            acme.id,
            &ending(now + chrono::Duration::days(1)),
            &RequestContext::default(),
        )
        .await
        .unwrap();
    assert!(tell().await.unwrap().is_empty(), "an end ahead is not told");

    // Ended: told once, with its audit entry.
    let past = now - chrono::Duration::minutes(1);
    db.store
        .change_grant(&manage, acme.id, &ending(past))
        .await
        .unwrap();
    let told = tell().await.unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!((told[0].installation, told[0].group), (inst.id, acme.id));
    assert_eq!(told[0].ended.timestamp_millis(), past.timestamp_millis());
    assert!(tell().await.unwrap().is_empty(), "told once");
    let expired = || async {
        db.store
            .installation_audit(&manage, 100, 0)
            .await
            .unwrap()
            .into_iter()
            .filter(|event| event.kind == "access_expired")
            .count()
    };
    assert_eq!(expired().await, 1);

    // Still ended after a change of rights: not told again. Extended, then ended: told again.
    let view = GrantTerms {
        rights: GrantRights::VIEW,
        ends: Some(past),
    };
    db.store
        .change_grant(&manage, acme.id, &view)
        .await
        .unwrap();
    assert!(tell().await.unwrap().is_empty());
    db.store
        .change_grant(&manage, acme.id, &ending(now + chrono::Duration::days(1)))
        .await
        .unwrap();
    assert!(tell().await.unwrap().is_empty());
    db.store
        .change_grant(&manage, acme.id, &ending(past))
        .await
        .unwrap();
    assert_eq!(tell().await.unwrap().len(), 1);
    assert_eq!(expired().await, 2);

    // Approving the link again renews the ended grant: its next end is told too.
    let renewed = db
        .store
        .grant_access(
            &manage,
            acme.id,
            &ending(now + chrono::Duration::days(1)),
            &RequestContext::default(),
        )
        .await
        .unwrap();
    assert!(renewed.is_new(), "{renewed:?}");
    db.store
        .change_grant(&manage, acme.id, &ending(past))
        .await
        .unwrap();
    assert_eq!(tell().await.unwrap().len(), 1);
    assert_eq!(expired().await, 3);
}
