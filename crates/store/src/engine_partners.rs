//! The partners' SQL, written once: a module of `sqlite.rs` and of `postgres.rs` (`#[path]`), compiled
//! against each engine's `EngineStore`. Times of service accounts, tokens and pushed requests are Unix
//! milliseconds.

use super::EngineStore;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;
use voltgate_domain::authz::{ManageGroup, ManagePermissions, RequestAccess, ViewGroupGrants};
use voltgate_domain::{
    AccessRequestId, Authorized, GrantTerms, GroupId, InstallationId, RegisteredReturnUrl,
    ServiceAccountId,
};

use super::engine::{audit, grant_in, lock_group, Subject, Tx};
use crate::error::{Result, StoreError};
use crate::model::{Approval, RequestContext};
use crate::partners::*;

fn at(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

fn about_group(group: GroupId) -> Subject {
    Subject {
        installation: None,
        group: Some(group),
    }
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: Uuid,
    group_id: Uuid,
    name: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<AccountRow> for ServiceAccount {
    fn from(row: AccountRow) -> Self {
        Self {
            id: ServiceAccountId::from_uuid(row.id),
            group: GroupId::from_uuid(row.group_id),
            name: row.name,
            created_at: at(row.created_at),
            last_used_at: row.last_used_at.map(at),
            revoked_at: row.revoked_at.map(at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct PushedRow {
    id: Uuid,
    group_id: Uuid,
    installation_id: Option<Uuid>,
    return_url: Option<String>,
    state: Option<String>,
    lang: Option<String>,
    partner_name: Option<String>,
    requested_rights: String,
    grant_until: Option<String>,
    created_at: i64,
    expires_at: i64,
    decision: Option<String>,
    decided_installation_id: Option<Uuid>,
}

impl From<PushedRow> for PushedRequest {
    fn from(row: PushedRow) -> Self {
        Self {
            id: AccessRequestId::from_uuid(row.id),
            group: GroupId::from_uuid(row.group_id),
            request: NewPushedRequest {
                installation: row.installation_id.map(InstallationId::from_uuid),
                return_url: row.return_url,
                state: row.state,
                lang: row.lang,
                partner_name: row.partner_name,
                requested_rights: row.requested_rights,
                grant_until: row.grant_until,
                created_at: at(row.created_at),
                expires_at: at(row.expires_at),
            },
            decision: row.decision.map(|decision| {
                (
                    decision == "approved",
                    row.decided_installation_id.map(InstallationId::from_uuid),
                )
            }),
        }
    }
}

/// Marks an undecided, unexpired request decided, in `tx`; `false` when it was not.
async fn claim(
    tx: &mut Tx<'_>,
    id: AccessRequestId,
    approved: Option<InstallationId>,
    at: DateTime<Utc>,
) -> Result<bool> {
    let decision = if approved.is_some() {
        "approved"
    } else {
        "denied"
    };
    let done = sqlx::query(
        "UPDATE pushed_access_requests SET decision = $2, decided_installation_id = $3, decided_at = $4 \
         WHERE id = $1 AND decision IS NULL AND expires_at > $4",
    )
    .bind(id.as_uuid())
    .bind(decision)
    .bind(approved.map(|i| i.as_uuid()))
    .bind(at.timestamp_millis())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[async_trait]
impl PartnerStore for EngineStore {
    async fn create_service_account(
        &self,
        on: &Authorized<ManageGroup>,
        name: &str,
        secret_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<ServiceAccount> {
        let (group, actor) = (on.id(), on.principal());
        let id = ServiceAccountId::random();
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, group).await?;
        sqlx::query(
            "INSERT INTO service_accounts (id, group_id, name, secret_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.as_uuid())
        .bind(group.as_uuid())
        .bind(name)
        .bind(secret_hash)
        .bind(actor.user().map(|u| u.as_uuid()))
        .bind(now.timestamp_millis())
        .execute(&mut *tx)
        .await?;
        let detail = json!({ "service_account": id, "name": name });
        audit(
            &mut tx,
            actor,
            about_group(group),
            "service_account_created",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(ServiceAccount {
            id,
            group,
            name: name.to_owned(),
            created_at: at(now.timestamp_millis()),
            last_used_at: None,
            revoked_at: None,
        })
    }

    async fn service_accounts(&self, on: &Authorized<ManageGroup>) -> Result<Vec<ServiceAccount>> {
        let rows: Vec<AccountRow> = sqlx::query_as(
            "SELECT id, group_id, name, created_at, last_used_at, revoked_at FROM service_accounts \
             WHERE group_id = $1 ORDER BY revoked_at IS NOT NULL, created_at DESC, id",
        )
        .bind(on.id().as_uuid())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(ServiceAccount::from).collect())
    }

    async fn revoke_service_account(
        &self,
        on: &Authorized<ManageGroup>,
        account: ServiceAccountId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (group, actor) = (on.id(), on.principal());
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, group).await?;
        let name: Option<String> = sqlx::query_scalar(
            "UPDATE service_accounts SET revoked_at = $3 \
             WHERE id = $1 AND group_id = $2 AND revoked_at IS NULL RETURNING name",
        )
        .bind(account.as_uuid())
        .bind(group.as_uuid())
        .bind(now.timestamp_millis())
        .fetch_optional(&mut *tx)
        .await?;
        let name = name.ok_or(StoreError::NotFound)?;
        sqlx::query("DELETE FROM service_account_tokens WHERE account_id = $1")
            .bind(account.as_uuid())
            .execute(&mut *tx)
            .await?;
        let detail = json!({ "service_account": account, "name": name });
        audit(
            &mut tx,
            actor,
            about_group(group),
            "service_account_revoked",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn service_credentials(
        &self,
        account: ServiceAccountId,
    ) -> Result<Option<ServiceCredentials>> {
        let row: Option<(Uuid, String)> = sqlx::query_as(
            "SELECT group_id, secret_hash FROM service_accounts WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(account.as_uuid())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(group, secret_hash)| ServiceCredentials {
            id: account,
            group: GroupId::from_uuid(group),
            secret_hash,
        }))
    }

    async fn create_service_token(
        &self,
        account: ServiceAccountId,
        hash: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Only a live account gets a token: revoking it meanwhile leaves none behind.
        let live = sqlx::query(
            "UPDATE service_accounts SET last_used_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(account.as_uuid())
        .bind(now.timestamp_millis())
        .execute(&mut *tx)
        .await?;
        if live.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO service_account_tokens (id, token_hash, account_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::new_v4())
        .bind(hash)
        .bind(account.as_uuid())
        .bind(now.timestamp_millis())
        .bind(expires.timestamp_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn service_token(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(ServiceAccountId, GroupId)>> {
        let now_ms = now.timestamp_millis();
        let row: Option<(Uuid, Uuid, Option<i64>)> = sqlx::query_as(
            "SELECT s.id, s.group_id, s.last_used_at FROM service_account_tokens t \
             JOIN service_accounts s ON s.id = t.account_id \
             WHERE t.token_hash = $1 AND t.expires_at > $2 AND s.revoked_at IS NULL",
        )
        .bind(hash)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        let Some((account, group, last_used)) = row else {
            return Ok(None);
        };
        self.note_service_use(account, last_used, now_ms).await?;
        Ok(Some((
            ServiceAccountId::from_uuid(account),
            GroupId::from_uuid(group),
        )))
    }

    async fn revoke_service_token(&self, hash: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM service_account_tokens WHERE token_hash = $1")
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn shared_installations(
        &self,
        on: &Authorized<ViewGroupGrants>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<SharedInstallation>, i64)> {
        let group = on.id().as_uuid();
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM installation_grants WHERE group_id = $1")
                .bind(group)
                .fetch_one(&self.pool)
                .await?;
        let rows: Vec<(
            Uuid,
            String,
            DateTime<Utc>,
            Option<String>,
            i64,
            Option<i64>,
        )> = sqlx::query_as(
            "SELECT i.id, i.name, g.granted_at, u.email, CAST(g.rights AS BIGINT), g.expires_at \
                 FROM installation_grants g JOIN installations i ON i.id = g.installation_id \
                 LEFT JOIN users u ON u.id = g.granted_by \
                 WHERE g.group_id = $1 ORDER BY i.name, i.id LIMIT $2 OFFSET $3",
        )
        .bind(group)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let shared = rows
            .into_iter()
            .map(|(id, name, granted_at, granted_by, rights, ends)| {
                Ok(SharedInstallation {
                    installation: InstallationId::from_uuid(id),
                    name,
                    granted_at,
                    granted_by,
                    terms: GrantTerms {
                        rights: crate::rows::grant_rights(rights)?,
                        ends: crate::rows::grant_end(ends)?,
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((shared, total))
    }

    async fn add_return_url(
        &self,
        on: &Authorized<ManageGroup>,
        url: &RegisteredReturnUrl,
    ) -> Result<()> {
        let (group, actor) = (on.id(), on.principal());
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, group).await?;
        let inserted = sqlx::query(
            "INSERT INTO group_return_urls (group_id, position, url) \
             SELECT $1, COALESCE(MAX(position) + 1, 0), $2 FROM group_return_urls WHERE group_id = $1 \
             ON CONFLICT (group_id, url) DO NOTHING",
        )
        .bind(group.as_uuid())
        .bind(url.as_str())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            let detail = json!({ "return_url": url.as_str() });
            audit(
                &mut tx,
                actor,
                about_group(group),
                "return_url_added",
                detail,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn remove_return_url(&self, on: &Authorized<ManageGroup>, url: &str) -> Result<()> {
        let (group, actor) = (on.id(), on.principal());
        let mut tx = self.pool.begin().await?;
        lock_group(&mut tx, group).await?;
        let removed = sqlx::query("DELETE FROM group_return_urls WHERE group_id = $1 AND url = $2")
            .bind(group.as_uuid())
            .bind(url)
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let detail = json!({ "return_url": url });
        audit(
            &mut tx,
            actor,
            about_group(group),
            "return_url_removed",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_pushed_request(
        &self,
        on: &Authorized<RequestAccess>,
        request: &NewPushedRequest,
    ) -> Result<AccessRequestId> {
        let id = AccessRequestId::random();
        sqlx::query(
            "INSERT INTO pushed_access_requests (id, group_id, installation_id, return_url, state, lang, \
             partner_name, requested_rights, grant_until, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id.as_uuid())
        .bind(on.id().as_uuid())
        .bind(request.installation.map(|i| i.as_uuid()))
        .bind(&request.return_url)
        .bind(&request.state)
        .bind(&request.lang)
        .bind(&request.partner_name)
        .bind(&request.requested_rights)
        .bind(&request.grant_until)
        .bind(request.created_at.timestamp_millis())
        .bind(request.expires_at.timestamp_millis())
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    async fn pushed_request(&self, id: AccessRequestId) -> Result<Option<PushedRequest>> {
        let row: Option<PushedRow> = sqlx::query_as(
            "SELECT id, group_id, installation_id, return_url, state, lang, partner_name, \
             requested_rights, grant_until, created_at, expires_at, decision, decided_installation_id \
             FROM pushed_access_requests WHERE id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(PushedRequest::from))
    }

    async fn approve_pushed_request(
        &self,
        id: AccessRequestId,
        on: &Authorized<ManagePermissions>,
        terms: &GrantTerms,
        context: &RequestContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Approval>> {
        let group: Option<Uuid> =
            sqlx::query_scalar("SELECT group_id FROM pushed_access_requests WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
        let group = GroupId::from_uuid(group.ok_or(StoreError::NotFound)?);
        let mut tx = self.pool.begin().await?;
        if !claim(&mut tx, id, Some(on.id()), now).await? {
            return Ok(None);
        }
        let approval = grant_in(&mut tx, on, group, terms, context).await?;
        tx.commit().await?;
        Ok(Some(approval))
    }

    async fn deny_pushed_request(&self, id: AccessRequestId, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let claimed = claim(&mut tx, id, None, now).await?;
        tx.commit().await?;
        Ok(claimed)
    }
}
