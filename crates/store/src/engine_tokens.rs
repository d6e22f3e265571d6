// The API tokens' SQL, written once; included by `sqlite.rs` and `postgres.rs` inside a module that
// sees their `EngineStore`. Times are Unix milliseconds.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use voltgate_domain::UserId;

use super::USER_COLUMNS;
use crate::error::Result;
use crate::model::User;
use crate::rows::UserRow;
use crate::tokens::*;

/// A token's use is written down at most this often (milliseconds), so reads stay reads.
const NOTE_USE_EVERY_MS: i64 = 60_000;

fn at(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

#[derive(sqlx::FromRow)]
struct HolderRow {
    #[sqlx(flatten)]
    user: UserRow,
    token_id: Uuid,
    family_id: Uuid,
    last_used_at: Option<i64>,
    client_address: Option<String>,
}

impl EngineStore {
    async fn insert_pair(
        tx: &mut sqlx::Transaction<'_, super::Db>,
        user: Uuid,
        family: Uuid,
        pair: &NewTokenPair,
    ) -> Result<()> {
        let tokens = [
            (TokenKind::Access, &pair.access_hash, pair.access_expires),
            (TokenKind::Refresh, &pair.refresh_hash, pair.refresh_expires),
        ];
        for (kind, hash, expires) in tokens {
            sqlx::query(
                "INSERT INTO api_tokens (id, token_hash, user_id, family_id, kind, created_at, client_address, \
                 expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::new_v4())
            .bind(hash)
            .bind(user)
            .bind(family)
            .bind(kind.as_str())
            .bind(pair.at.timestamp_millis())
            .bind(&pair.client_address)
            .bind(expires.timestamp_millis())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl TokenStore for EngineStore {
    async fn create_tokens(&self, pair: &NewTokenPair) -> Result<Uuid> {
        let family = Uuid::new_v4();
        let mut tx = self.pool.begin().await?;
        Self::insert_pair(&mut tx, pair.user.as_uuid(), family, pair).await?;
        tx.commit().await?;
        Ok(family)
    }

    async fn access_token(&self, hash: &str, client_address: &str, now: DateTime<Utc>) -> Result<Option<TokenHolder>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.id AS token_id, t.family_id, t.last_used_at, t.client_address \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > $2"
        );
        let now_ms = now.timestamp_millis();
        let Some(row) =
            sqlx::query_as::<_, HolderRow>(&sql).bind(hash).bind(now_ms).fetch_optional(&self.pool).await?
        else {
            return Ok(None);
        };
        let stale = row.last_used_at.is_none_or(|last| now_ms - last >= NOTE_USE_EVERY_MS);
        if stale || row.client_address.as_deref() != Some(client_address) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2, client_address = $3 WHERE id = $1")
                .bind(row.token_id)
                .bind(now_ms)
                .bind(client_address)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(TokenHolder { user: User::from(row.user), family: row.family_id }))
    }

    async fn refresh_tokens(&self, old_hash: &str, pair: &NewTokenPair) -> Result<Refreshed> {
        let now = pair.at.timestamp_millis();
        let mut tx = self.pool.begin().await?;
        // Using the token up is one statement, so of two refreshes at once only one wins.
        let used: Option<(Uuid, Uuid, i64)> = sqlx::query_as(
            "UPDATE api_tokens SET revoked_at = $2, last_used_at = $2 \
             WHERE token_hash = $1 AND kind = 'refresh' AND revoked_at IS NULL \
             RETURNING user_id, family_id, expires_at",
        )
        .bind(old_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        match used {
            Some((user, family, expires)) if expires > now => {
                Self::insert_pair(&mut tx, user, family, pair).await?;
                tx.commit().await?;
                Ok(Refreshed::Rotated(UserId::from_uuid(user)))
            }
            Some(_) => {
                tx.commit().await?;
                Ok(Refreshed::Invalid)
            }
            None => {
                let family: Option<Uuid> =
                    sqlx::query_scalar("SELECT family_id FROM api_tokens WHERE token_hash = $1 AND kind = 'refresh'")
                        .bind(old_hash)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some(family) = family else {
                    return Ok(Refreshed::Invalid);
                };
                sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL")
                    .bind(family)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Refreshed::Reused)
            }
        }
    }

    async fn revoke_token(&self, hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let family: Option<Uuid> = sqlx::query_scalar("SELECT family_id FROM api_tokens WHERE token_hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(family) = family else {
            return Ok(false);
        };
        sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL")
            .bind(family)
            .bind(now.timestamp_millis())
            .execute(&self.pool)
            .await?;
        Ok(true)
    }

    async fn revoke_token_family(&self, user: UserId, family: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 WHERE user_id = $1 AND family_id = $2 AND revoked_at IS NULL",
        )
        .bind(user.as_uuid())
        .bind(family)
        .bind(now.timestamp_millis())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn revoke_user_tokens(&self, user: UserId, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user.as_uuid())
            .bind(now.timestamp_millis())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn token_families(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<TokenFamily>> {
        let rows: Vec<(Uuid, i64, Option<i64>, Option<String>, i64)> = sqlx::query_as(
            "SELECT family_id, created_at, last_used_at, client_address, expires_at FROM api_tokens \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at",
        )
        .bind(user.as_uuid())
        .bind(now.timestamp_millis())
        .fetch_all(&self.pool)
        .await?;
        let mut families: HashMap<Uuid, TokenFamily> = HashMap::new();
        for (family, created, last_used, address, expires) in rows {
            let entry = families.entry(family).or_insert_with(|| TokenFamily {
                id: family,
                created_at: at(created),
                last_used_at: None,
                client_address: None,
                expires_at: at(expires),
            });
            entry.created_at = entry.created_at.min(at(created));
            entry.expires_at = entry.expires_at.max(at(expires));
            if let Some(used) = last_used.map(at) {
                if entry.last_used_at.is_none_or(|last| used >= last) {
                    entry.last_used_at = Some(used);
                    entry.client_address = address.clone();
                }
            }
            if entry.client_address.is_none() {
                entry.client_address = address;
            }
        }
        let mut families: Vec<TokenFamily> = families.into_values().collect();
        families.sort_by_key(|family| std::cmp::Reverse(family.created_at));
        Ok(families)
    }
}
