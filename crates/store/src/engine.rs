//! The store's SQL, written once: `sqlite.rs` and `postgres.rs` each declare this file as their
//! module `engine` (`#[path]`) after defining `Db` (their sqlx database) and `EngineStore { pool }`, so
//! the same statements are compiled against each engine's native types (UUID/BLOB, TIMESTAMPTZ/TEXT,
//! JSONB/TEXT). `$n` placeholders, `RETURNING` and `ON CONFLICT` mean the same on both.

use super::*;
use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::types::Json;
use uuid::Uuid;
use voltgate_domain::authz::rules::role_change;
use voltgate_domain::authz::{
    ChangeSettings, LeaveGroup, ManageGroup, ManagePermissions, ManageUsers, RevokeGrant,
    VerifyGroup, ViewGroup, ViewPeople,
};
use voltgate_domain::group::name_skeleton;
use voltgate_domain::installation::keeps_an_owner;
use voltgate_domain::throttle::{Count, ThrottlePolicy};
use voltgate_domain::webhook::WebhookEvent;
use voltgate_domain::{
    Authorized, Email, GrantTerms, GroupAccess, GroupId, GroupRole, InstallationAccess,
    InstallationId, InstallationSettings, LookupKey, Principal, RegisteredReturnUrl, Role,
    ServiceAccountId, UserId, ViaGroup, Zone,
};

use crate::error::{Result, StoreError};
use crate::model::*;
use crate::rows::*;
use crate::store::Store;
use crate::webhooks::WebhookNotice;
use crate::{AccountStore, AuditStore, GroupStore, InstallationStore};

pub(super) type Tx<'a> = sqlx::Transaction<'a, Db>;

pub(super) const USER_COLUMNS: &str = "u.id, u.email, u.full_name, u.language, u.created_at";
pub(super) const INSTALLATION_COLUMNS: &str = "i.id, i.name, i.address, i.installation_type, i.max_current, \
     i.available_current_mode, i.available_current_phase1, i.available_current_phase2, \
     i.available_current_phase3, i.authentication_required, i.phases, i.time_zone, i.created_at, i.updated_at";
const GROUP_COLUMNS: &str =
    "g.id, g.name, g.description, g.support_email, g.support_url, g.lookup_key, g.created_at, g.verified_at";

/// Whether a write failed because another group's name looks the same (its skeleton is taken). The
/// index is named on PostgreSQL, the column on SQLite: both messages hold the word.
fn name_taken(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db)
        if db.is_unique_violation() && db.message().contains("name_skeleton"))
}

/// What an audit event is about.
pub(crate) struct Subject {
    pub(crate) installation: Option<InstallationId>,
    pub(crate) group: Option<GroupId>,
}

impl Subject {
    /// An installation someone acts on with a capability: names the group whose grant gave the right.
    pub(crate) fn acting_on<R>(on: &Authorized<R>) -> Self
    where
        R: voltgate_domain::authz::Right<Facts = voltgate_domain::InstallationAccess>,
    {
        Subject {
            installation: Some(on.id()),
            group: on.acting_group(),
        }
    }
}

pub(crate) async fn audit(
    tx: &mut Tx<'_>,
    actor: &Principal,
    subject: Subject,
    kind: &str,
    mut detail: serde_json::Value,
) -> Result<()> {
    if let Some(via) = actor.via() {
        detail["via"] = json!(via);
    }
    if let Principal::Service { account, .. } = actor {
        detail["service_account"] = json!(account);
        detail["actor"] = json!(service_actor_name(tx, *account).await?);
    }
    insert_audit(tx, actor.user(), subject, kind, detail).await
}

/// Writes an audit event of the service itself, which no person or client caused (a grant's end
/// passing): `by_service` in its detail says so.
pub(crate) async fn audit_by_service(
    tx: &mut Tx<'_>,
    subject: Subject,
    kind: &str,
    mut detail: serde_json::Value,
) -> Result<()> {
    detail["by_service"] = json!(true);
    insert_audit(tx, None, subject, kind, detail).await
}

async fn insert_audit(
    tx: &mut Tx<'_>,
    actor: Option<UserId>,
    subject: Subject,
    kind: &str,
    detail: serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (at, actor_id, installation_id, group_id, kind, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Utc::now())
    .bind(actor.map(|id| id.as_uuid()))
    .bind(subject.installation.map(|id| id.as_uuid()))
    .bind(subject.group.map(|id| id.as_uuid()))
    .bind(kind)
    .bind(Json(detail))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How the audit log names a service account: "service account X of group Y", with the names as
/// they are when it acts.
async fn service_actor_name(tx: &mut Tx<'_>, account: ServiceAccountId) -> Result<String> {
    let names: Option<(String, String)> = sqlx::query_as(
        "SELECT s.name, g.name FROM service_accounts s JOIN user_groups g ON g.id = s.group_id \
         WHERE s.id = $1",
    )
    .bind(account.as_uuid())
    .fetch_optional(&mut **tx)
    .await?;
    let (name, group) = names.ok_or(StoreError::NotFound)?;
    Ok(format!("service account {name} of group {group}"))
}

/// Moves `user`'s session epoch on and revokes their API tokens; answers the new epoch.
async fn end_sessions_in(tx: &mut Tx<'_>, user: UserId, now: DateTime<Utc>) -> Result<i64> {
    let epoch: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch",
    )
    .bind(user.as_uuid())
    .fetch_optional(&mut **tx)
    .await?;
    let epoch = epoch.ok_or(StoreError::NotFound)?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user.as_uuid())
        .bind(now.timestamp_millis())
        .execute(&mut **tx)
        .await?;
    Ok(epoch)
}

/// The conditions of an audit filter after `WHERE a.<scope> = $1`: the actor is `$2`, the group `$3`.
fn audit_conditions(filter: &AuditFilter) -> String {
    let mut sql =
        String::from(" AND ($2 IS NULL OR a.actor_id = $2) AND ($3 IS NULL OR a.group_id = $3)");
    let kinds: Vec<String> = filter
        .kinds
        .iter()
        .filter(|kind| kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .map(|kind| format!("'{kind}'"))
        .collect();
    if !filter.kinds.is_empty() {
        if kinds.is_empty() {
            sql.push_str(" AND FALSE");
        } else {
            sql.push_str(&format!(" AND a.kind IN ({})", kinds.join(", ")));
        }
    }
    sql
}

/// Takes the row lock (PostgreSQL) or the write lock (SQLite) of an installation or a group before a
/// read-then-write, so concurrent role changes cannot both remove "the other" owner. `NotFound` if the
/// row does not exist. `table` and `column` are constants of this file, never input.
async fn lock_row(tx: &mut Tx<'_>, table: &str, column: &str, id: Uuid) -> Result<()> {
    let sql = format!("UPDATE {table} SET {column} = {column} WHERE id = $1");
    let done = sqlx::query(&sql).bind(id).execute(&mut **tx).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn lock_installation(tx: &mut Tx<'_>, id: InstallationId) -> Result<()> {
    lock_row(tx, "installations", "updated_at", id.as_uuid()).await
}

pub(super) async fn lock_group(tx: &mut Tx<'_>, id: GroupId) -> Result<()> {
    lock_row(tx, "user_groups", "created_at", id.as_uuid()).await
}

async fn email_of(tx: &mut Tx<'_>, user: UserId) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user.as_uuid())
        .fetch_optional(&mut **tx)
        .await?)
}

/// Under the lock: the role `user` holds in a membership table.
/// `table`/`scope` are `installation_roles`/`installation_id` or `group_members`/`group_id`.
async fn role_of(
    tx: &mut Tx<'_>,
    table: &str,
    scope: &str,
    id: Uuid,
    user: UserId,
) -> Result<Option<String>> {
    let role_sql = format!("SELECT role FROM {table} WHERE {scope} = $1 AND user_id = $2");
    Ok(sqlx::query_scalar(&role_sql)
        .bind(id)
        .bind(user.as_uuid())
        .fetch_optional(&mut **tx)
        .await?)
}

/// Under the lock: the role `user` holds in a membership table, and how many owners the scope has.
async fn role_and_owners(
    tx: &mut Tx<'_>,
    table: &str,
    scope: &str,
    id: Uuid,
    user: UserId,
) -> Result<(Option<String>, usize)> {
    let role = role_of(tx, table, scope, id, user).await?;
    let owners_sql = format!("SELECT COUNT(*) FROM {table} WHERE {scope} = $1 AND role = 'owner'");
    let owners: i64 = sqlx::query_scalar(&owners_sql)
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Ok((role, usize::try_from(owners).unwrap_or(usize::MAX)))
}

/// Under the installation's lock: the target's role now, after checking that the capability's holder
/// (with the role they hold now) may change it to `next` without leaving the installation ownerless.
async fn checked_role_change(
    tx: &mut Tx<'_>,
    on: &Authorized<ManageUsers>,
    user: UserId,
    next: Option<Role>,
) -> Result<Option<Role>> {
    let id = on.id();
    lock_installation(tx, id).await?;
    let (current, owners) = role_and_owners(
        tx,
        "installation_roles",
        "installation_id",
        id.as_uuid(),
        user,
    )
    .await?;
    let current = parse_role(current)?;
    let by_role = match on.principal().user() {
        Some(by) => parse_role(
            role_of(
                tx,
                "installation_roles",
                "installation_id",
                id.as_uuid(),
                by,
            )
            .await?,
        )?,
        None => None,
    };
    role_change(on.principal(), by_role, current, next, owners)?;
    Ok(current)
}

/// Gives `group` access to the installation `on` names, in `tx`, audited. A grant in force takes the
/// new terms as a change (audited as `access_changed`, with its webhook) unless they are its own.
pub(super) async fn grant_in(
    tx: &mut Tx<'_>,
    on: &Authorized<ManagePermissions>,
    group: GroupId,
    terms: &GrantTerms,
    request: &RequestContext,
) -> Result<Approval> {
    let (installation, actor) = (on.id(), on.principal());
    let now = Utc::now();
    lock_installation(tx, installation).await?;
    // A grant in force stays as it is here; one that has ended is replaced by the new one.
    let inserted = sqlx::query(
        "INSERT INTO installation_grants (installation_id, group_id, granted_by, granted_at, rights, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (installation_id, group_id) DO UPDATE SET \
         granted_by = excluded.granted_by, granted_at = excluded.granted_at, rights = excluded.rights, \
         expires_at = excluded.expires_at, expiry_told_at = NULL \
         WHERE installation_grants.expires_at IS NOT NULL AND installation_grants.expires_at <= $7",
    )
    .bind(installation.as_uuid())
    .bind(group.as_uuid())
    .bind(actor.user().map(|id| id.as_uuid()))
    .bind(now)
    .bind(terms.rights.bits())
    .bind(terms.ends.map(|end| end.timestamp_millis()))
    .bind(now.timestamp_millis())
    .execute(&mut **tx)
    .await
    .map_err(StoreError::on_foreign_key)?;
    if inserted.rows_affected() == 0 {
        let before = grant_terms_in(tx, installation, group).await?;
        if before == *terms {
            return Ok(Approval::Unchanged);
        }
        change_in(tx, on, group, &before, terms, request).await?;
        return Ok(Approval::Changed);
    }
    let mut detail = decision_detail(tx, group, request).await?;
    detail["rights"] = json!(terms.rights.to_string());
    detail["until"] = json!(terms.ends);
    let subject = Subject {
        installation: Some(installation),
        group: Some(group),
    };
    audit(tx, actor, subject, "access_approved", detail).await?;
    let data = json!({ "groupId": group, "rights": terms.rights.api_words(), "until": terms.ends });
    let notice = WebhookNotice::new(WebhookEvent::AccessGranted, installation, data);
    super::webhooks_sql::enqueue(tx, &notice.for_group(group)).await?;
    Ok(Approval::Granted)
}

/// The terms of `group`'s grant on `installation`, read in `tx` (after its lock); `NotFound` when
/// there is none.
async fn grant_terms_in(
    tx: &mut Tx<'_>,
    installation: InstallationId,
    group: GroupId,
) -> Result<GrantTerms> {
    let row: Option<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT CAST(rights AS BIGINT), expires_at FROM installation_grants \
         WHERE installation_id = $1 AND group_id = $2",
    )
    .bind(installation.as_uuid())
    .bind(group.as_uuid())
    .fetch_optional(&mut **tx)
    .await?;
    let (rights, ends) = row.ok_or(StoreError::NotFound)?;
    Ok(GrantTerms {
        rights: grant_rights(rights)?,
        ends: grant_end(ends)?,
    })
}

/// Gives `group`'s grant the terms `terms` (it had `before`), in `tx` under the installation's lock:
/// audited as `access_changed` with both, and `access.changed` for the group's webhooks.
async fn change_in(
    tx: &mut Tx<'_>,
    on: &Authorized<ManagePermissions>,
    group: GroupId,
    before: &GrantTerms,
    terms: &GrantTerms,
    request: &RequestContext,
) -> Result<()> {
    let (installation, actor) = (on.id(), on.principal());
    // A grant in force after the change has its end told again when that end passes; one that stays
    // ended keeps its mark (told already, or told by the next sweep).
    sqlx::query(
        "UPDATE installation_grants SET rights = $3, expires_at = $4, \
         expiry_told_at = CASE WHEN $5 THEN NULL ELSE expiry_told_at END \
         WHERE installation_id = $1 AND group_id = $2",
    )
    .bind(installation.as_uuid())
    .bind(group.as_uuid())
    .bind(terms.rights.bits())
    .bind(terms.ends.map(|end| end.timestamp_millis()))
    .bind(!terms.expired(Utc::now()))
    .execute(&mut **tx)
    .await?;
    let mut detail = decision_detail(tx, group, request).await?;
    detail["before"] = json!({ "rights": before.rights.to_string(), "until": before.ends });
    detail["rights"] = json!(terms.rights.to_string());
    detail["until"] = json!(terms.ends);
    let subject = Subject {
        installation: Some(installation),
        group: Some(group),
    };
    audit(tx, actor, subject, "access_changed", detail).await?;
    let data = json!({ "groupId": group, "rights": terms.rights.api_words(), "until": terms.ends });
    let notice = WebhookNotice::new(WebhookEvent::AccessChanged, installation, data);
    super::webhooks_sql::enqueue(tx, &notice.for_group(group)).await?;
    Ok(())
}

/// The audit detail of an access decision: the group as it is now, and the link's own words.
async fn decision_detail(
    tx: &mut Tx<'_>,
    group: GroupId,
    request: &RequestContext,
) -> Result<serde_json::Value> {
    let names: Option<(String, String)> =
        sqlx::query_as("SELECT name, lookup_key FROM user_groups WHERE id = $1")
            .bind(group.as_uuid())
            .fetch_optional(&mut **tx)
            .await?;
    let (name, lookup_key) = names.ok_or(StoreError::NotFound)?;
    Ok(json!({
        "group": group, "group_name": name, "lookup_key": lookup_key,
        "partner_name": request.partner_name, "return_url": request.return_url,
    }))
}

fn settings_json(settings: &InstallationSettings) -> serde_json::Value {
    let (mode, phases) = settings_columns(settings);
    json!({
        "max_current": settings.max_current.get(),
        "available_current_mode": mode,
        "available_current": phases,
        "authentication_required": settings.authentication_required,
        "phases": settings.phases.count(),
    })
}

impl EngineStore {
    /// Gives every group that has none its name's skeleton (groups made before skeletons were kept).
    /// A group whose name looks like an older group's keeps none, and is logged.
    pub(crate) async fn fill_name_skeletons(&self) -> Result<()> {
        let unfilled: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT id, name FROM user_groups WHERE name_skeleton IS NULL ORDER BY created_at",
        )
        .fetch_all(&self.pool)
        .await?;
        for (id, name) in unfilled {
            let filled = sqlx::query("UPDATE user_groups SET name_skeleton = $2 WHERE id = $1")
                .bind(id)
                .bind(name_skeleton(&name))
                .execute(&self.pool)
                .await;
            match filled {
                Ok(_) => {}
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                    tracing::warn!(group = %id, "a group's name looks like another group's; check it");
                }
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }

    /// The facts about `principal` and one installation, from its direct role.
    async fn access_of(
        &self,
        principal: &Principal,
        id: InstallationId,
        role: Option<String>,
    ) -> Result<InstallationAccess> {
        let via_groups = match principal {
            Principal::User(user) | Principal::Api(user) => self
                .granting_groups(*user)
                .await?
                .remove(&id.as_uuid())
                .unwrap_or_default(),
            Principal::Service { group, .. } => self.group_grant_on(*group, id).await?,
            Principal::Operator => Vec::new(),
        };
        Ok(InstallationAccess {
            principal: *principal,
            installation: id,
            role: parse_role(role)?,
            via_groups,
        })
    }

    /// The group's grant on the installation with its rights, if it holds one that has not ended.
    async fn group_grant_on(&self, group: GroupId, id: InstallationId) -> Result<Vec<ViaGroup>> {
        Ok(self
            .grants_where("g.group_id = $1", group.as_uuid(), Some(id))
            .await?
            .remove(&id.as_uuid())
            .unwrap_or_default())
    }

    /// For each installation, the groups `user` belongs to that hold a grant on it that has not ended,
    /// with the grant's rights.
    async fn granting_groups(&self, user: UserId) -> Result<HashMap<Uuid, Vec<ViaGroup>>> {
        let member = "g.group_id IN (SELECT m.group_id FROM group_members m WHERE m.user_id = $1)";
        self.grants_where(member, user.as_uuid(), None).await
    }

    /// For each installation (or only `installation`), the grants in force that meet `condition` (on
    /// `$1`, bound to `subject`), with their rights.
    async fn grants_where(
        &self,
        condition: &str,
        subject: Uuid,
        installation: Option<InstallationId>,
    ) -> Result<HashMap<Uuid, Vec<ViaGroup>>> {
        let rows: Vec<(Uuid, Uuid, i64)> = sqlx::query_as(&format!(
            "SELECT g.installation_id, g.group_id, CAST(g.rights AS BIGINT) FROM installation_grants g \
             WHERE {condition} AND ($3 IS NULL OR g.installation_id = $3) AND {} ORDER BY g.group_id",
            grant_in_force("$2")
        ))
        .bind(subject)
        .bind(Utc::now().timestamp_millis())
        .bind(installation.map(|id| id.as_uuid()))
        .fetch_all(&self.pool)
        .await?;
        let mut granting: HashMap<Uuid, Vec<ViaGroup>> = HashMap::new();
        for (installation, group, rights) in rows {
            granting.entry(installation).or_default().push(ViaGroup {
                group: GroupId::from_uuid(group),
                rights: grant_rights(rights)?,
            });
        }
        Ok(granting)
    }

    async fn return_urls(&self, group: Uuid) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT url FROM group_return_urls WHERE group_id = $1 ORDER BY position",
        )
        .bind(group)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn group_from_row(&self, row: GroupRow) -> Result<Group> {
        let urls = self.return_urls(row.id()).await?;
        row.into_group(urls)
    }

    async fn insert_return_urls(
        tx: &mut Tx<'_>,
        group: GroupId,
        urls: &[RegisteredReturnUrl],
    ) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for (position, url) in urls
            .iter()
            .filter(|u| seen.insert(u.as_str().to_owned()))
            .enumerate()
        {
            sqlx::query(
                "INSERT INTO group_return_urls (group_id, position, url) VALUES ($1, $2, $3)",
            )
            .bind(group.as_uuid())
            .bind(position as i64)
            .bind(url.as_str())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Removes `user` from a group (audited); keeps an owner.
    async fn remove_from_group(&self, id: GroupId, user: UserId, actor: &Principal) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, id).await?;
        let (current, owners) =
            role_and_owners(&mut tx, "group_members", "group_id", id.as_uuid(), user).await?;
        let current = parse_group_role(&current.ok_or(StoreError::NotFound)?)?;
        keeps_an_owner(owners, current == GroupRole::Owner, false)?;
        sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(id.as_uuid())
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?;
        let detail =
            json!({ "user": user, "email": email_of(&mut tx, user).await?, "previous": current });
        audit(
            &mut tx,
            actor,
            Subject {
                installation: None,
                group: Some(id),
            },
            "group_member_removed",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn members(&self, sql: &str, id: Uuid) -> Result<Vec<MemberRow>> {
        Ok(sqlx::query_as::<_, MemberRow>(sql)
            .bind(id)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn audit_of(
        &self,
        column: &str,
        id: Uuid,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>> {
        self.audit_where(column, id, &AuditFilter::default(), limit, offset)
            .await
    }

    /// An audit log's events that pass `filter`. `column` is a constant of this file; the filter's kinds
    /// are the domain's constants, checked to be plain words before they are written into the statement.
    async fn audit_where(
        &self,
        column: &str,
        id: Uuid,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>> {
        let sql = format!(
            "SELECT a.id, a.at, a.actor_id, u.email AS actor_email, a.installation_id, a.group_id, a.kind, \
             a.detail FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id \
             WHERE a.{column} = $1 {} ORDER BY a.id DESC LIMIT $4 OFFSET $5",
            audit_conditions(filter)
        );
        let rows = sqlx::query_as::<_, AuditRow>(&sql)
            .bind(id)
            .bind(filter.actor.map(|u| u.as_uuid()))
            .bind(filter.group.map(|g| g.as_uuid()))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(AuditEvent::from).collect())
    }
}

#[async_trait]
impl Store for EngineStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn shared_secret(&self, name: &str, candidate: &str) -> Result<String> {
        sqlx::query("INSERT INTO server_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(candidate)
            .execute(&self.pool)
            .await?;
        Ok(
            sqlx::query_scalar("SELECT secret FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn browser_sessions(&self) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {SESSIONS_TABLE}");
        Ok(sqlx::query_scalar(&sql).fetch_one(&self.pool).await?)
    }
}

#[async_trait]
impl AccountStore for EngineStore {
    async fn create_user(&self, user: &NewUser) -> Result<User> {
        let row = sqlx::query_as::<_, UserRow>(
            "INSERT INTO users (id, email, email_norm, full_name, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, email, full_name, language, created_at",
        )
        .bind(Uuid::new_v4())
        .bind(user.email.as_str())
        .bind(user.email.normalized())
        .bind(user.full_name.as_str())
        .bind(&user.password_hash)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::on_unique("email"))?;
        Ok(row.into())
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        let row = sqlx::query_as::<_, UserRow>(&sql)
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(User::from))
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>> {
        Ok(self.credentials(email).await?.map(|(user, _, _)| user))
    }

    async fn credentials(&self, email: &Email) -> Result<Option<(User, String, i64)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash, u.session_epoch FROM users u WHERE u.email_norm = $1"
        );
        let row = sqlx::query_as::<_, CredentialsRow>(&sql)
            .bind(email.normalized())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.user.into(), r.password_hash, r.session_epoch)))
    }

    async fn user_in_epoch(&self, id: UserId, epoch: i64) -> Result<Option<User>> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 AND u.session_epoch = $2");
        let row = sqlx::query_as::<_, UserRow>(&sql)
            .bind(id.as_uuid())
            .bind(epoch)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(User::from))
    }

    async fn session_epoch(&self, user: UserId) -> Result<i64> {
        let epoch: Option<i64> =
            sqlx::query_scalar("SELECT session_epoch FROM users WHERE id = $1")
                .bind(user.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
        epoch.ok_or(StoreError::NotFound)
    }

    async fn end_sessions(&self, user: UserId, now: DateTime<Utc>) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let epoch = end_sessions_in(&mut tx, user, now).await?;
        tx.commit().await?;
        Ok(epoch)
    }

    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user.as_uuid())
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let epoch = end_sessions_in(&mut tx, user, now).await?;
        tx.commit().await?;
        Ok(epoch)
    }

    async fn set_language(&self, user: UserId, language: &str) -> Result<()> {
        sqlx::query("UPDATE users SET language = $2 WHERE id = $1")
            .bind(user.as_uuid())
            .bind(language)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn count_attempt(
        &self,
        key: &str,
        policy: &ThrottlePolicy,
        now: DateTime<Utc>,
    ) -> Result<Count> {
        let (attempts, window_start): (i64, i64) = sqlx::query_as(
            "INSERT INTO throttle_counts (throttle_key, attempts, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (throttle_key) DO UPDATE SET \
             attempts = CASE WHEN throttle_counts.window_start <= $3 THEN 1 ELSE throttle_counts.attempts + 1 END, \
             window_start = CASE WHEN throttle_counts.window_start <= $3 THEN $2 ELSE throttle_counts.window_start END \
             RETURNING attempts, window_start",
        )
        .bind(key)
        .bind(now.timestamp_millis())
        .bind(policy.expired_before(now).timestamp_millis())
        .fetch_one(&self.pool)
        .await?;
        Ok(Count {
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            window_start: DateTime::from_timestamp_millis(window_start).unwrap_or(now),
        })
    }

    async fn uncount_attempt(&self, key: &str) -> Result<()> {
        sqlx::query("UPDATE throttle_counts SET attempts = attempts - 1 WHERE throttle_key = $1 AND attempts > 0")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn clear_attempts(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM throttle_counts WHERE throttle_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl InstallationStore for EngineStore {
    async fn create_installation(
        &self,
        owner: UserId,
        new: &NewInstallation,
        actor: &Principal,
    ) -> Result<Installation> {
        let id = InstallationId::random();
        let now = Utc::now();
        let settings = InstallationSettings::default();
        let (mode, [p1, p2, p3]) = settings_columns(&settings);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO installations (id, name, address, installation_type, max_current, \
             available_current_mode, available_current_phase1, available_current_phase2, \
             available_current_phase3, authentication_required, phases, created_at, updated_at, time_zone) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)",
        )
        .bind(id.as_uuid())
        .bind(new.name.as_str())
        .bind(new.address.as_str())
        .bind(new.installation_type.as_str())
        .bind(settings.max_current.get())
        .bind(mode)
        .bind(p1)
        .bind(p2)
        .bind(p3)
        .bind(settings.authentication_required)
        .bind(settings.phases.count())
        .bind(now)
        .bind(new.time_zone.name())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO installation_roles (installation_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
        )
        .bind(id.as_uuid())
        .bind(owner.as_uuid())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let subject = Subject {
            installation: Some(id),
            group: None,
        };
        audit(
            &mut tx,
            actor,
            subject,
            "installation_created",
            json!({ "name": new.name.as_str() }),
        )
        .await?;
        tx.commit().await?;
        self.installation(id).await?.ok_or(StoreError::NotFound)
    }

    async fn installation(&self, id: InstallationId) -> Result<Option<Installation>> {
        let sql = format!("SELECT {INSTALLATION_COLUMNS} FROM installations i WHERE i.id = $1");
        let row = sqlx::query_as::<_, InstallationRow>(&sql)
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await?;
        row.map(Installation::try_from).transpose()
    }

    async fn installation_for(
        &self,
        principal: &Principal,
        id: InstallationId,
    ) -> Result<Option<(Installation, InstallationAccess)>> {
        let sql = format!(
            "SELECT {INSTALLATION_COLUMNS}, r.role FROM installations i \
             LEFT JOIN installation_roles r ON r.installation_id = i.id AND r.user_id = $2 WHERE i.id = $1"
        );
        let row = sqlx::query_as::<_, InstallationWithRoleRow>(&sql)
            .bind(id.as_uuid())
            .bind(principal.user().map(|u| u.as_uuid()))
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let access = self.access_of(principal, id, row.role).await?;
        Ok(Some((Installation::try_from(row.installation)?, access)))
    }

    async fn installations_for(
        &self,
        principal: &Principal,
    ) -> Result<Vec<(Installation, InstallationAccess)>> {
        let user = principal.user();
        let sql = format!(
            "SELECT {INSTALLATION_COLUMNS}, r.role FROM installations i \
             LEFT JOIN installation_roles r ON r.installation_id = i.id AND r.user_id = $1 \
             WHERE $2 OR r.user_id IS NOT NULL OR i.id IN (SELECT g.installation_id FROM installation_grants g \
             JOIN group_members m ON m.group_id = g.group_id WHERE m.user_id = $1 AND {in_force}) \
             OR i.id IN (SELECT g.installation_id FROM installation_grants g WHERE g.group_id = $3 AND {in_force}) \
             ORDER BY i.name, i.id",
            in_force = grant_in_force("$4")
        );
        let service_group = principal.service_group();
        let rows = sqlx::query_as::<_, InstallationWithRoleRow>(&sql)
            .bind(user.map(|u| u.as_uuid()))
            .bind(*principal == Principal::Operator)
            .bind(service_group.map(|g| g.as_uuid()))
            .bind(Utc::now().timestamp_millis())
            .fetch_all(&self.pool)
            .await?;
        let mut granting = match (user, service_group) {
            (Some(user), _) => self.granting_groups(user).await?,
            (None, Some(group)) => {
                self.grants_where("g.group_id = $1", group.as_uuid(), None)
                    .await?
            }
            (None, None) => HashMap::new(),
        };
        rows.into_iter()
            .map(|row| {
                let installation = Installation::try_from(row.installation)?;
                let via_groups = granting
                    .remove(&installation.id.as_uuid())
                    .unwrap_or_default();
                let role = parse_role(row.role)?;
                let access = InstallationAccess {
                    principal: *principal,
                    installation: installation.id,
                    role,
                    via_groups,
                };
                Ok((installation, access))
            })
            .collect()
    }

    async fn update_settings(
        &self,
        on: &Authorized<ChangeSettings>,
        settings: &InstallationSettings,
    ) -> Result<()> {
        let (id, actor) = (on.id(), on.principal());
        let (mode, [p1, p2, p3]) = settings_columns(settings);
        let mut tx = self.pool.begin().await?;
        lock_installation(&mut tx, id).await?;
        let before_sql =
            format!("SELECT {INSTALLATION_COLUMNS} FROM installations i WHERE i.id = $1");
        let before: Installation = sqlx::query_as::<_, InstallationRow>(&before_sql)
            .bind(id.as_uuid())
            .fetch_one(&mut *tx)
            .await?
            .try_into()?;
        sqlx::query(
            "UPDATE installations SET max_current = $2, available_current_mode = $3, \
             available_current_phase1 = $4, available_current_phase2 = $5, available_current_phase3 = $6, \
             authentication_required = $7, phases = $8, updated_at = $9 WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(settings.max_current.get())
        .bind(mode)
        .bind(p1)
        .bind(p2)
        .bind(p3)
        .bind(settings.authentication_required)
        .bind(settings.phases.count())
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        let detail =
            json!({ "before": settings_json(&before.settings), "after": settings_json(settings) });
        audit(
            &mut tx,
            actor,
            Subject::acting_on(on),
            "settings_changed",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_time_zone(&self, on: &Authorized<ChangeSettings>, zone: Zone) -> Result<()> {
        let (id, actor) = (on.id(), on.principal());
        let mut tx = self.pool.begin().await?;
        // Write first: a read-then-write deferred transaction fails on SQLite under a concurrent writer.
        lock_installation(&mut tx, id).await?;
        let before: Option<String> =
            sqlx::query_scalar("SELECT time_zone FROM installations WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
        let before = before.ok_or(StoreError::NotFound)?;
        if before == zone.name() {
            return Ok(());
        }
        sqlx::query("UPDATE installations SET time_zone = $2, updated_at = $3 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(zone.name())
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
        let detail = json!({ "before": before, "after": zone.name() });
        audit(
            &mut tx,
            actor,
            Subject::acting_on(on),
            "time_zone_changed",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn installation_members(
        &self,
        on: &Authorized<ViewPeople>,
    ) -> Result<Vec<InstallationMember>> {
        let id = on.id();
        let sql = format!(
            "SELECT {USER_COLUMNS}, r.role, r.created_at AS since FROM installation_roles r \
             JOIN users u ON u.id = r.user_id WHERE r.installation_id = $1 \
             ORDER BY CASE r.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, u.email_norm"
        );
        self.members(&sql, id.as_uuid())
            .await?
            .into_iter()
            .map(InstallationMember::try_from)
            .collect()
    }

    async fn set_installation_role(
        &self,
        on: &Authorized<ManageUsers>,
        user: UserId,
        role: Role,
    ) -> Result<()> {
        let (id, actor) = (on.id(), on.principal());
        let mut tx = self.pool.begin().await?;
        let current = checked_role_change(&mut tx, on, user, Some(role)).await?;
        sqlx::query(
            "INSERT INTO installation_roles (installation_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (installation_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(id.as_uuid())
        .bind(user.as_uuid())
        .bind(role.as_str())
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        let detail = json!({
            "user": user, "email": email_of(&mut tx, user).await?,
            "role": role, "previous": current,
        });
        audit(
            &mut tx,
            actor,
            Subject {
                installation: Some(id),
                group: None,
            },
            "role_set",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_installation_role(
        &self,
        on: &Authorized<ManageUsers>,
        user: UserId,
    ) -> Result<()> {
        let (id, actor) = (on.id(), on.principal());
        let mut tx = self.pool.begin().await?;
        let current = checked_role_change(&mut tx, on, user, None)
            .await?
            .ok_or(StoreError::NotFound)?;
        sqlx::query("DELETE FROM installation_roles WHERE installation_id = $1 AND user_id = $2")
            .bind(id.as_uuid())
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?;
        let detail =
            json!({ "user": user, "email": email_of(&mut tx, user).await?, "previous": current });
        audit(
            &mut tx,
            actor,
            Subject {
                installation: Some(id),
                group: None,
            },
            "role_removed",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl GroupStore for EngineStore {
    async fn create_group(
        &self,
        owner: UserId,
        new: &NewGroup,
        key: &LookupKey,
        actor: &Principal,
    ) -> Result<Group> {
        let id = GroupId::random();
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO user_groups (id, name, description, support_email, support_url, lookup_key, created_at, \
             name_skeleton) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.as_uuid())
        .bind(new.name.as_str())
        .bind(new.description.as_str())
        .bind(new.support_email.as_ref().map(Email::as_str))
        .bind(new.support_url.as_ref().map(|u| u.as_str()))
        .bind(key.as_str())
        .bind(now)
        .bind(name_skeleton(new.name.as_str()))
        .execute(&mut *tx)
        .await
        .map_err(|error| match name_taken(&error) {
            true => StoreError::Conflict("name"),
            false => StoreError::on_unique("lookup_key")(error),
        })?;
        sqlx::query("INSERT INTO group_members (group_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)")
            .bind(id.as_uuid())
            .bind(owner.as_uuid())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Self::insert_return_urls(&mut tx, id, &new.return_urls).await?;
        let detail = json!({ "name": new.name.as_str(), "lookup_key": key.as_str() });
        audit(
            &mut tx,
            actor,
            Subject {
                installation: None,
                group: Some(id),
            },
            "group_created",
            detail,
        )
        .await?;
        tx.commit().await?;
        let (group, _) = self
            .group_for(&Principal::User(owner), id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(group)
    }

    async fn set_group_details(
        &self,
        on: &Authorized<ManageGroup>,
        details: &GroupDetails,
    ) -> Result<()> {
        let (id, actor) = (on.id(), on.principal());
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, id).await?;
        let before: (String, String, Option<String>, Option<String>) = sqlx::query_as(
            "SELECT name, description, support_email, support_url FROM user_groups WHERE id = $1",
        )
        .bind(id.as_uuid())
        .fetch_one(&mut *tx)
        .await?;
        let after = (
            details.name.as_str(),
            details.description.as_str(),
            details.support_email.as_ref().map(Email::as_str),
            details.support_url.as_ref().map(|u| u.as_str()),
        );
        sqlx::query(
            "UPDATE user_groups SET name = $2, description = $3, support_email = $4, support_url = $5, \
             name_skeleton = $6 WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(after.0)
        .bind(after.1)
        .bind(after.2)
        .bind(after.3)
        .bind(name_skeleton(after.0))
        .execute(&mut *tx)
        .await
        .map_err(|error| match name_taken(&error) {
            true => StoreError::Conflict("name"),
            false => error.into(),
        })?;
        let detail = json!({
            "before": { "name": before.0, "description": before.1, "support_email": before.2, "support_url": before.3 },
            "after": { "name": after.0, "description": after.1, "support_email": after.2, "support_url": after.3 },
            "group_name": after.0,
        });
        audit(
            &mut tx,
            actor,
            Subject {
                installation: None,
                group: Some(id),
            },
            "group_details_changed",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn group_for(
        &self,
        principal: &Principal,
        id: GroupId,
    ) -> Result<Option<(Group, GroupAccess)>> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS}, m.role FROM user_groups g \
             LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = $2 WHERE g.id = $1"
        );
        let Some(row) = sqlx::query_as::<_, GroupWithRoleRow>(&sql)
            .bind(id.as_uuid())
            .bind(principal.user().map(|u| u.as_uuid()))
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let role = row.role.as_deref().map(parse_group_role).transpose()?;
        Ok(Some((
            self.group_from_row(row.group).await?,
            GroupAccess {
                principal: *principal,
                group: id,
                role,
            },
        )))
    }

    async fn group_by_lookup_key(&self, key: &LookupKey) -> Result<Option<Group>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM user_groups g WHERE g.lookup_key = $1");
        match sqlx::query_as::<_, GroupRow>(&sql)
            .bind(key.as_str())
            .fetch_optional(&self.pool)
            .await?
        {
            Some(row) => Ok(Some(self.group_from_row(row).await?)),
            None => Ok(None),
        }
    }

    async fn groups_for(&self, user: UserId) -> Result<Vec<(Group, GroupRole)>> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS}, m.role FROM user_groups g JOIN group_members m ON m.group_id = g.id \
             WHERE m.user_id = $1 ORDER BY g.name, g.id"
        );
        let rows = sqlx::query_as::<_, GroupWithRoleRow>(&sql)
            .bind(user.as_uuid())
            .fetch_all(&self.pool)
            .await?;
        let mut groups = Vec::with_capacity(rows.len());
        for row in rows {
            let role = parse_group_role(row.role.as_deref().unwrap_or_default())?;
            groups.push((self.group_from_row(row.group).await?, role));
        }
        Ok(groups)
    }

    async fn owns_a_group(&self, user: UserId) -> Result<bool> {
        let owned: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM group_members WHERE user_id = $1 AND role = 'owner'",
        )
        .bind(user.as_uuid())
        .fetch_one(&self.pool)
        .await?;
        Ok(owned > 0)
    }

    async fn group_members(&self, on: &Authorized<ViewGroup>) -> Result<Vec<GroupMember>> {
        let id = on.id();
        let sql = format!(
            "SELECT {USER_COLUMNS}, m.role, m.created_at AS since FROM group_members m \
             JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 \
             ORDER BY CASE m.role WHEN 'owner' THEN 0 ELSE 1 END, u.email_norm"
        );
        self.members(&sql, id.as_uuid())
            .await?
            .into_iter()
            .map(GroupMember::try_from)
            .collect()
    }

    async fn set_group_role(
        &self,
        on: &Authorized<ManageGroup>,
        user: UserId,
        role: GroupRole,
    ) -> Result<()> {
        let (id, actor) = (on.id(), on.principal());
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, id).await?;
        let (current, owners) =
            role_and_owners(&mut tx, "group_members", "group_id", id.as_uuid(), user).await?;
        let current = current.as_deref().map(parse_group_role).transpose()?;
        keeps_an_owner(
            owners,
            current == Some(GroupRole::Owner),
            role == GroupRole::Owner,
        )?;
        sqlx::query(
            "INSERT INTO group_members (group_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (group_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(id.as_uuid())
        .bind(user.as_uuid())
        .bind(role.as_str())
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        let detail = json!({ "user": user, "email": email_of(&mut tx, user).await?, "role": role, "previous": current });
        audit(
            &mut tx,
            actor,
            Subject {
                installation: None,
                group: Some(id),
            },
            "group_member_set",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_group_member(&self, on: &Authorized<ManageGroup>, user: UserId) -> Result<()> {
        self.remove_from_group(on.id(), user, on.principal()).await
    }

    async fn leave_group(&self, on: &Authorized<LeaveGroup>) -> Result<()> {
        let user = on.principal().user().ok_or(StoreError::NotFound)?;
        self.remove_from_group(on.id(), user, on.principal()).await
    }

    async fn rotate_lookup_key(&self, on: &Authorized<ManageGroup>, key: &LookupKey) -> Result<()> {
        let (id, actor) = (on.id(), on.principal());
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, id).await?;
        let old: String = sqlx::query_scalar("SELECT lookup_key FROM user_groups WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("UPDATE user_groups SET lookup_key = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(key.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::on_unique("lookup_key"))?;
        let detail = json!({ "old": old, "new": key.as_str() });
        audit(
            &mut tx,
            actor,
            Subject {
                installation: None,
                group: Some(id),
            },
            "lookup_key_rotated",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_group_verified(&self, on: &Authorized<VerifyGroup>, verified: bool) -> Result<()> {
        let (id, actor) = (on.id(), on.principal());
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, id).await?;
        sqlx::query("UPDATE user_groups SET verified_at = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(verified.then(Utc::now))
            .execute(&mut *tx)
            .await?;
        let kind = if verified {
            "group_verified"
        } else {
            "group_unverified"
        };
        audit(
            &mut tx,
            actor,
            Subject {
                installation: None,
                group: Some(id),
            },
            kind,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_return_urls(
        &self,
        on: &Authorized<ManageGroup>,
        urls: &[RegisteredReturnUrl],
    ) -> Result<()> {
        let (id, actor) = (on.id(), on.principal());
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, id).await?;
        sqlx::query("DELETE FROM group_return_urls WHERE group_id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?;
        Self::insert_return_urls(&mut tx, id, urls).await?;
        let detail = json!({ "return_urls": urls.iter().map(|u| u.as_str()).collect::<Vec<_>>() });
        audit(
            &mut tx,
            actor,
            Subject {
                installation: None,
                group: Some(id),
            },
            "return_urls_set",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
    async fn grant_access(
        &self,
        on: &Authorized<ManagePermissions>,
        group: GroupId,
        terms: &GrantTerms,
        request: &RequestContext,
    ) -> Result<Approval> {
        let mut tx = self.pool.begin().await?;
        let approval = grant_in(&mut tx, on, group, terms, request).await?;
        tx.commit().await?;
        Ok(approval)
    }

    async fn change_grant(
        &self,
        on: &Authorized<ManagePermissions>,
        group: GroupId,
        terms: &GrantTerms,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        lock_installation(&mut tx, on.id()).await?;
        let before = grant_terms_in(&mut tx, on.id(), group).await?;
        change_in(
            &mut tx,
            on,
            group,
            &before,
            terms,
            &RequestContext::default(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_denial(
        &self,
        actor: &Principal,
        about: Option<&Authorized<ManagePermissions>>,
        group: GroupId,
        request: &RequestContext,
    ) -> Result<()> {
        let installation = about.map(|on| on.id());
        let mut tx = self.pool.begin().await?;
        let detail = decision_detail(&mut tx, group, request).await?;
        audit(
            &mut tx,
            actor,
            Subject {
                installation,
                group: Some(group),
            },
            "access_denied",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_access(&self, grant: &Authorized<RevokeGrant>) -> Result<()> {
        let ((installation, group), actor) = (grant.id(), grant.principal());
        let mut tx = self.pool.begin().await?;
        lock_installation(&mut tx, installation).await?;
        let deleted = sqlx::query(
            "DELETE FROM installation_grants WHERE installation_id = $1 AND group_id = $2",
        )
        .bind(installation.as_uuid())
        .bind(group.as_uuid())
        .execute(&mut *tx)
        .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let detail = decision_detail(&mut tx, group, &RequestContext::default()).await?;
        let subject = Subject {
            installation: Some(installation),
            group: Some(group),
        };
        audit(&mut tx, actor, subject, "access_revoked", detail).await?;
        let notice = WebhookNotice::new(
            WebhookEvent::AccessRevoked,
            installation,
            json!({ "groupId": group }),
        );
        super::webhooks_sql::enqueue(&mut tx, &notice.for_group(group)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn installation_grants(&self, installation: InstallationId) -> Result<Vec<GroupGrant>> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS}, gr.granted_by, gr.granted_at, CAST(gr.rights AS BIGINT) AS rights, \
             gr.expires_at FROM installation_grants gr \
             JOIN user_groups g ON g.id = gr.group_id WHERE gr.installation_id = $1 ORDER BY g.name, g.id"
        );
        let rows = sqlx::query_as::<_, GrantRow>(&sql)
            .bind(installation.as_uuid())
            .fetch_all(&self.pool)
            .await?;
        let mut grants = Vec::with_capacity(rows.len());
        for row in rows {
            let granted_by = match row.granted_by {
                Some(id) => self.user(UserId::from_uuid(id)).await?,
                None => None,
            };
            grants.push(GroupGrant {
                group: self.group_from_row(row.group).await?,
                granted_by,
                granted_at: row.granted_at,
                terms: GrantTerms {
                    rights: grant_rights(row.rights)?,
                    ends: grant_end(row.expires_at)?,
                },
            });
        }
        Ok(grants)
    }

    async fn group_grants(&self, group: GroupId) -> Result<Vec<InstallationId>> {
        let ids: Vec<Uuid> = sqlx::query_scalar(&format!(
            "SELECT installation_id FROM installation_grants g WHERE group_id = $1 AND {}",
            grant_in_force("$2")
        ))
        .bind(group.as_uuid())
        .bind(Utc::now().timestamp_millis())
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(InstallationId::from_uuid).collect())
    }

    async fn tell_ended_grants(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<EndedGrant>> {
        let due = "expiry_told_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1";
        // Most sweeps find nothing: a read first, so they take no write lock.
        let any: Option<i32> = sqlx::query_scalar(&format!(
            "SELECT 1 FROM installation_grants WHERE {due} LIMIT 1"
        ))
        .bind(now.timestamp_millis())
        .fetch_optional(&self.pool)
        .await?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        // The claim is the transaction's first statement (SQLite: its write lock from the start). On
        // PostgreSQL, grants another process is claiming are skipped, and the outer condition is
        // checked again on rows that were locked, so a grant is marked by one process only.
        let claim = format!(
            "UPDATE installation_grants SET expiry_told_at = $1 WHERE {due} \
             AND (installation_id, group_id) IN (SELECT installation_id, group_id \
             FROM installation_grants WHERE {due} ORDER BY expires_at LIMIT $2 {}) \
             RETURNING installation_id, group_id, expires_at, CAST(rights AS BIGINT)",
            super::dialect::SKIP_LOCKED
        );
        let claimed: Vec<(Uuid, Uuid, i64, i64)> = sqlx::query_as(&claim)
            .bind(now.timestamp_millis())
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        let mut told = Vec::with_capacity(claimed.len());
        for (installation, group, ended, rights) in claimed {
            let (installation, group) = (
                InstallationId::from_uuid(installation),
                GroupId::from_uuid(group),
            );
            let ended = grant_end(Some(ended))?.ok_or(StoreError::NotFound)?;
            let rights = grant_rights(rights)?;
            let name: Option<String> =
                sqlx::query_scalar("SELECT name FROM installations WHERE id = $1")
                    .bind(installation.as_uuid())
                    .fetch_optional(&mut *tx)
                    .await?;
            let mut detail = decision_detail(&mut tx, group, &RequestContext::default()).await?;
            detail["installation_name"] = json!(name);
            detail["rights"] = json!(rights.to_string());
            detail["until"] = json!(ended);
            let subject = Subject {
                installation: Some(installation),
                group: Some(group),
            };
            audit_by_service(&mut tx, subject, "access_expired", detail).await?;
            let data = json!({ "groupId": group, "rights": rights.api_words(), "until": ended });
            let notice = WebhookNotice::new(WebhookEvent::AccessExpired, installation, data);
            super::webhooks_sql::enqueue(&mut tx, &notice.for_group(group)).await?;
            told.push(EndedGrant {
                installation,
                group,
                ended,
            });
        }
        tx.commit().await?;
        Ok(told)
    }
}

#[async_trait]
impl AuditStore for EngineStore {
    async fn installation_audit(
        &self,
        on: &Authorized<ManagePermissions>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>> {
        self.audit_of("installation_id", on.id().as_uuid(), limit, offset)
            .await
    }

    async fn installation_audit_count(&self, on: &Authorized<ManagePermissions>) -> Result<i64> {
        let id = on.id();
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE installation_id = $1")
                .bind(id.as_uuid())
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn installation_audit_filtered(
        &self,
        on: &Authorized<ManagePermissions>,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>> {
        self.audit_where("installation_id", on.id().as_uuid(), filter, limit, offset)
            .await
    }

    async fn installation_audit_filtered_count(
        &self,
        on: &Authorized<ManagePermissions>,
        filter: &AuditFilter,
    ) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM audit_events a WHERE a.installation_id = $1 {}",
            audit_conditions(filter)
        );
        Ok(sqlx::query_scalar(&sql)
            .bind(on.id().as_uuid())
            .bind(filter.actor.map(|u| u.as_uuid()))
            .bind(filter.group.map(|g| g.as_uuid()))
            .fetch_one(&self.pool)
            .await?)
    }

    async fn installation_audit_names(
        &self,
        on: &Authorized<ManagePermissions>,
    ) -> Result<AuditNames> {
        let id = on.id().as_uuid();
        let people: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT DISTINCT u.id, u.email FROM audit_events a JOIN users u ON u.id = a.actor_id \
             WHERE a.installation_id = $1 ORDER BY u.email",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let groups: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT DISTINCT g.id, g.name FROM audit_events a JOIN user_groups g ON g.id = a.group_id \
             WHERE a.installation_id = $1 ORDER BY g.name",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(AuditNames {
            people: people
                .into_iter()
                .map(|(id, email)| (UserId::from_uuid(id), email))
                .collect(),
            groups: groups
                .into_iter()
                .map(|(id, name)| (GroupId::from_uuid(id), name))
                .collect(),
        })
    }

    async fn group_audit(
        &self,
        on: &Authorized<ManageGroup>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>> {
        self.audit_of("group_id", on.id().as_uuid(), limit, offset)
            .await
    }

    async fn group_audit_count(&self, on: &Authorized<ManageGroup>) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE group_id = $1")
                .bind(on.id().as_uuid())
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
