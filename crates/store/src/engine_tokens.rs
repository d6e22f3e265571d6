//! The API tokens' SQL, written once: a module of `sqlite.rs` and of `postgres.rs` (`#[path]`),
//! compiled against each engine's `EngineStore`. Times are Unix milliseconds.

use super::EngineStore;
use std::collections::HashMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, Row};
use uuid::Uuid;
use voltgate_domain::{
    ChargerId, GroupId, InstallationAccess, InstallationId, Principal, ServiceAccountId, UserId,
    ViaGroup,
};

use super::{chargers_sql, INSTALLATION_COLUMNS, USER_COLUMNS};
use crate::access_cache::{Checked, CheckedHolder};
use crate::batch::Flush;
use crate::chargers::ChargerSummary;
use crate::error::Result;
use crate::model::{Installation, User};
use crate::rows::{grant_in_force, grant_rights, parse_role, InstallationRow, UserRow};
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

/// A person's access token as [`holder_on_sql`] reads it. User columns are prefixed, as
/// installations have the same names.
#[derive(sqlx::FromRow)]
struct PersonOnRow {
    user_id: Uuid,
    user_email: String,
    user_full_name: String,
    user_language: Option<String>,
    user_created_at: DateTime<Utc>,
    token_id: Uuid,
    family_id: Uuid,
    last_used_at: Option<i64>,
    client_address: Option<String>,
}

/// A service account's token as [`holder_on_sql`] reads it.
#[derive(sqlx::FromRow)]
struct ServiceOnRow {
    account_id: Uuid,
    account_group: Uuid,
    account_last_used_at: Option<i64>,
}

/// An installation and a token holder's relation to it: one row per group granting them access (or
/// one row without a group).
#[derive(sqlx::FromRow)]
struct OnRow {
    #[sqlx(flatten)]
    installation: InstallationRow,
    role: Option<String>,
    via_group: Option<Uuid>,
    /// The access generation the row was read at (see [`crate::access_cache`]).
    generation: i64,
    token_expires_at: i64,
    /// With a page of chargers: how many the installation has (NULL without a relation to it).
    #[sqlx(default)]
    total: Option<i64>,
    /// With a page of chargers on SQLite: the page as JSON.
    #[sqlx(default)]
    summaries: Option<String>,
}

/// A charger of [`chargers_sql::summary_page`]'s rows; every column is absent without a page.
#[derive(sqlx::FromRow, Default)]
#[sqlx(default)]
struct SummaryRow {
    charger_id: Option<Uuid>,
    charger_identity: Option<String>,
    charger_name: Option<String>,
    charger_created_at: Option<DateTime<Utc>>,
    charger_connector: Option<i32>,
    charger_online: Option<bool>,
    connector_status: Option<String>,
    connector_paused: Option<bool>,
}

impl SummaryRow {
    /// The charger of this row, if the row has one.
    fn summary(self) -> Option<ChargerSummary> {
        Some(ChargerSummary {
            id: ChargerId::from_uuid(self.charger_id?),
            identity: self.charger_identity?,
            name: self.charger_name?,
            created_at: self.charger_created_at?,
            connector: self
                .charger_connector
                .map_or(1, |c| c.max(1).unsigned_abs()),
            status: self.connector_status,
            paused: self.connector_paused.unwrap_or(false),
            online: self.charger_online,
        })
    }
}

/// The charger list's answer from a holder's relation to an installation and its page of chargers.
fn chargers_on((installation, access, page): HolderOn) -> ChargersOn {
    let (chargers, total) = page.unwrap_or_default();
    ChargersOn {
        installation,
        access,
        chargers,
        total,
    }
}

/// The installation, the holder's relation to it and, when asked for, a page of its chargers with how
/// many it has.
type HolderOn = (
    Installation,
    InstallationAccess,
    Option<(Vec<ChargerSummary>, i64)>,
);

/// Whose bearer token a statement checks: what differs between a person's access token and a group's
/// service account's in [`holder_on_sql`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bearer {
    /// A person's access token (`api_tokens`): their role and their groups' grants count.
    Person,
    /// A service account's token: only its group's grant counts.
    Service,
}

impl Bearer {
    /// The holder's columns.
    fn columns(self) -> &'static str {
        match self {
            Bearer::Person => {
                "u.id AS user_id, u.email AS user_email, u.full_name AS user_full_name, \
                 u.language AS user_language, u.created_at AS user_created_at, \
                 t.id AS token_id, t.family_id, t.last_used_at, t.client_address"
            }
            Bearer::Service => {
                "s.id AS account_id, s.group_id AS account_group, s.last_used_at AS account_last_used_at"
            }
        }
    }

    /// The token with its holder, and the installation `$3`.
    fn from(self) -> &'static str {
        match self {
            Bearer::Person => {
                "api_tokens t JOIN users u ON u.id = t.user_id JOIN installations i ON i.id = $3 \
                 LEFT JOIN installation_roles r ON r.installation_id = i.id AND r.user_id = t.user_id"
            }
            Bearer::Service => {
                "service_account_tokens t JOIN service_accounts s ON s.id = t.account_id \
                 JOIN installations i ON i.id = $3"
            }
        }
    }

    /// The holder's role on the installation (a service account has none).
    fn role(self) -> &'static str {
        match self {
            Bearer::Person => "r.role",
            Bearer::Service => "CAST(NULL AS TEXT) AS role",
        }
    }

    /// Which groups' grants count for the holder.
    fn groups(self) -> &'static str {
        match self {
            Bearer::Person => {
                "g.group_id IN (SELECT gm.group_id FROM group_members gm WHERE gm.user_id = t.user_id)"
            }
            Bearer::Service => "g.group_id = s.group_id",
        }
    }

    /// The token is valid at `$2`: unexpired, and neither it nor (for a service account) its
    /// credentials revoked.
    fn valid(self) -> &'static str {
        match self {
            Bearer::Person => {
                "t.token_hash = $1 AND t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > $2"
            }
            Bearer::Service => "t.token_hash = $1 AND t.expires_at > $2 AND s.revoked_at IS NULL",
        }
    }

    /// Whether the holder has a relation to the installation (a role or a group's grant): only then
    /// is a page of its chargers read.
    fn related(self) -> &'static str {
        match self {
            Bearer::Person => "(r.role IS NOT NULL OR g.group_id IS NOT NULL)",
            Bearer::Service => "(g.group_id IS NOT NULL)",
        }
    }
}

/// The statement that loads a token's holder with their relation to installation `$3` (`$1` the
/// token's hash, `$2` now), with a page of chargers when `page` (`total` and a page of chargers as
/// rows, one per charger and granting group; `$4` the limit, `$5` the offset). The installation is
/// joined, not left-joined: no row means a bad token or no installation, and only then a second
/// query tells which.
fn holder_on_sql(bearer: Bearer, page: bool) -> String {
    let related = bearer.related();
    let (extra, join, order) = if page {
        let total = format!(
            "CASE WHEN {related} THEN (SELECT COUNT(*) FROM chargers WHERE installation_id = $3) END AS total"
        );
        let (columns, join, order) = chargers_sql::summary_columns(("$3", "$4", "$5"), related);
        (format!(", {total}, {columns}"), join, order)
    } else {
        (String::new(), String::new(), "")
    };
    format!(
        "SELECT {holder}, {INSTALLATION_COLUMNS}, {role}, g.group_id AS via_group, \
         CAST(g.rights AS BIGINT) AS via_rights, g.expires_at AS via_expires_at, \
         t.expires_at AS token_expires_at, {GENERATION} AS generation{extra} \
         FROM {from} \
         LEFT JOIN installation_grants g ON g.installation_id = i.id AND {in_force} AND {groups}{join} \
         WHERE {valid} ORDER BY g.group_id{order}",
        holder = bearer.columns(),
        role = bearer.role(),
        from = bearer.from(),
        groups = bearer.groups(),
        valid = bearer.valid(),
        in_force = grant_in_force("$2")
    )
}

/// The access generation as a scalar subquery (see [`crate::access_cache`]).
const GENERATION: &str = "(SELECT a.n FROM access_generation a WHERE a.id = 1)";

/// The statement that reads the access generation and, with `page`, a page of installation `$1`'s
/// chargers (`$2` the limit, `$3` the offset) with how many it has, for a kept check.
fn recheck_sql(page: bool) -> String {
    if !page {
        return format!("SELECT {GENERATION} AS generation");
    }
    let (columns, join, order) = chargers_sql::summary_columns(("$1", "$2", "$3"), "1 = 1");
    format!(
        "SELECT a.n AS generation, (SELECT COUNT(*) FROM chargers WHERE installation_id = $1) AS total, \
         {columns} FROM access_generation a{join} WHERE a.id = 1 ORDER BY a.id{order}"
    )
}

/// The statement of [`recheck_sql`], with or without a page: each is written once.
fn recheck_statement(page: bool) -> &'static str {
    static PLAIN: LazyLock<String> = LazyLock::new(|| recheck_sql(false));
    static PAGE: LazyLock<String> = LazyLock::new(|| recheck_sql(true));
    if page {
        &PAGE
    } else {
        &PLAIN
    }
}

/// The statement of [`holder_on_sql`] for `bearer`, with or without a page: each is written once.
fn holder_on_statement(bearer: Bearer, page: bool) -> &'static str {
    static PERSON: LazyLock<String> = LazyLock::new(|| holder_on_sql(Bearer::Person, false));
    static PERSON_PAGE: LazyLock<String> = LazyLock::new(|| holder_on_sql(Bearer::Person, true));
    static SERVICE: LazyLock<String> = LazyLock::new(|| holder_on_sql(Bearer::Service, false));
    static SERVICE_PAGE: LazyLock<String> = LazyLock::new(|| holder_on_sql(Bearer::Service, true));
    match (bearer, page) {
        (Bearer::Person, false) => &PERSON,
        (Bearer::Person, true) => &PERSON_PAGE,
        (Bearer::Service, false) => &SERVICE,
        (Bearer::Service, true) => &SERVICE_PAGE,
    }
}

/// What [`read_on`] reads besides the holder: their relation and page, the generation it was read at and
/// when it runs out without a write (the token's or a counted grant's end, Unix ms).
struct ReadOn {
    on: HolderOn,
    generation: i64,
    valid_until_ms: i64,
}

impl ReadOn {
    /// Whether the holder has a relation to the installation: only such checks are kept.
    fn related(&self) -> bool {
        self.on.1.role.is_some() || !self.on.1.via_groups.is_empty()
    }

    /// The check to keep for `holder`, last used as `last_use`.
    fn checked(&self, holder: CheckedHolder, last_use: (Option<i64>, Option<String>)) -> Checked {
        Checked::new(
            self.generation,
            self.valid_until_ms,
            holder,
            (self.on.0.clone(), self.on.1.clone()),
            last_use,
        )
    }
}

/// The installation, the holder's relation to it (as `principal`) and, when a page was read, the page
/// with how many chargers the installation has, from [`holder_on_sql`]'s rows (at least one).
fn read_on(
    rows: &[<super::Db as sqlx::Database>::Row],
    principal: Principal,
    installation: InstallationId,
) -> Result<ReadOn> {
    let first = &rows[0];
    let row = OnRow::from_row(first)?;
    let mut valid_until_ms = row.token_expires_at;
    // The installation comes once; one row per granting group (and, on PostgreSQL, per charger of
    // the page: every group's rows list the same page).
    let mut via_groups = Vec::new();
    let mut page_rows = Vec::new();
    for other in rows {
        let group: Option<Uuid> = other.try_get("via_group")?;
        if group == row.via_group {
            page_rows.push(other);
        }
        let rights: Option<i64> = other.try_get("via_rights")?;
        if let (Some(group), Some(rights)) = (group, rights) {
            via_groups.push(ViaGroup {
                group: GroupId::from_uuid(group),
                rights: grant_rights(rights)?,
            });
            let end: Option<i64> = other.try_get("via_expires_at")?;
            valid_until_ms = valid_until_ms.min(end.unwrap_or(i64::MAX));
        }
    }
    via_groups.dedup_by_key(|via| via.group);
    let access = InstallationAccess {
        principal,
        installation,
        role: parse_role(row.role)?,
        via_groups,
    };
    let chargers = read_page(&page_rows, row.total, row.summaries)?;
    Ok(ReadOn {
        on: (Installation::try_from(row.installation)?, access, chargers),
        generation: row.generation,
        valid_until_ms,
    })
}

/// A page of chargers with how many the installation has, from rows read with
/// [`chargers_sql::summary_columns`] (`total` and `summaries` from the first); none without a total.
fn read_page(
    rows: &[&<super::Db as sqlx::Database>::Row],
    total: Option<i64>,
    summaries: Option<String>,
) -> Result<Option<(Vec<ChargerSummary>, i64)>> {
    Ok(match total {
        Some(total) if super::dialect::SUMMARY_AS_ROWS => {
            let mut page = Vec::with_capacity(rows.len());
            for row in rows {
                page.extend(SummaryRow::from_row(*row)?.summary());
            }
            Some((page, total))
        }
        Some(total) => Some((chargers_sql::decode_summaries(summaries)?, total)),
        None => None,
    })
}

impl EngineStore {
    /// Notes a token's use when the last note is a minute old or came from another address; says
    /// whether it did.
    async fn note_use(
        &self,
        token: Uuid,
        (last_used_at, last_address): (Option<i64>, Option<&str>),
        client_address: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let stale = last_used_at.is_none_or(|last| now_ms - last >= NOTE_USE_EVERY_MS);
        if stale || last_address != Some(client_address) {
            sqlx::query(
                "UPDATE api_tokens SET last_used_at = $2, client_address = $3 WHERE id = $1",
            )
            .bind(token)
            .bind(now_ms)
            .bind(client_address)
            .execute(&self.pool)
            .await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Notes a service account's use when the last note is a minute old; says whether it did.
    pub(super) async fn note_service_use(
        &self,
        account: Uuid,
        last_used_at: Option<i64>,
        now_ms: i64,
    ) -> Result<bool> {
        if last_used_at.is_none_or(|last| now_ms - last >= NOTE_USE_EVERY_MS) {
            sqlx::query("UPDATE service_accounts SET last_used_at = $2 WHERE id = $1")
                .bind(account)
                .bind(now_ms)
                .execute(&self.pool)
                .await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The kept check of `bearer`'s token on the installation if the access generation is still the
    /// one it was read at, with `page` of the installation's chargers read in the same statement as
    /// the generation; a check the generation has left behind is forgotten.
    async fn kept_on(
        &self,
        bearer: Bearer,
        hash: &str,
        now_ms: i64,
        installation: InstallationId,
        page: Option<(Option<i64>, i64)>,
    ) -> Result<Option<(Checked, Option<(Vec<ChargerSummary>, i64)>)>> {
        let service = bearer == Bearer::Service;
        let Some(checked) = self.access.get(service, hash, installation, now_ms) else {
            return Ok(None);
        };
        let mut query = sqlx::query(recheck_statement(page.is_some()));
        if let Some((limit, offset)) = page {
            query = query
                .bind(installation.as_uuid())
                .bind(limit.unwrap_or(i64::MAX))
                .bind(offset);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let Some(first) = rows.first() else {
            return Err(crate::StoreError::Corrupt("no access generation".into()));
        };
        let generation: i64 = first.try_get("generation")?;
        if generation != checked.generation {
            self.access.forget(service, hash, installation);
            return Ok(None);
        }
        let chargers = match page {
            Some(_) => {
                let rows: Vec<_> = rows.iter().collect();
                let summaries = match super::dialect::SUMMARY_AS_ROWS {
                    true => None,
                    false => first.try_get("summaries")?,
                };
                read_page(&rows, first.try_get("total")?, summaries)?
            }
            None => None,
        };
        Ok(Some((checked, chargers)))
    }

    /// The rows of [`holder_on_sql`] for `bearer`'s token with this hash on the installation, with
    /// `page` of its chargers when asked for.
    async fn on_rows(
        &self,
        bearer: Bearer,
        hash: &str,
        now_ms: i64,
        installation: InstallationId,
        page: Option<(Option<i64>, i64)>,
    ) -> Result<Vec<<super::Db as sqlx::Database>::Row>> {
        let mut query = sqlx::query(holder_on_statement(bearer, page.is_some()))
            .bind(hash)
            .bind(now_ms)
            .bind(installation.as_uuid());
        if let Some((limit, offset)) = page {
            query = query.bind(limit.unwrap_or(i64::MAX)).bind(offset);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// The token's holder and their relation to the installation in one query (see
    /// [`TokenStore::access_token_on`]), or from the check kept since the last call while nothing that
    /// grants access has changed; with `page`, also that page of the installation's chargers, read
    /// only where the holder has a relation to the installation.
    async fn holder_on(
        &self,
        hash: &str,
        client_address: &str,
        now: DateTime<Utc>,
        installation: InstallationId,
        page: Option<(Option<i64>, i64)>,
    ) -> Result<Option<(TokenHolder, Option<HolderOn>)>> {
        let now_ms = now.timestamp_millis();
        let kept = self
            .kept_on(Bearer::Person, hash, now_ms, installation, page)
            .await?;
        if let Some((checked, chargers)) = kept {
            if let CheckedHolder::Person { holder, token } = checked.holder {
                let (last, address) = checked.last_use;
                if self
                    .note_use(token, (last, address.as_deref()), client_address, now_ms)
                    .await?
                {
                    let noted = (Some(now_ms), Some(client_address.to_owned()));
                    self.access.noted(false, hash, installation, noted);
                }
                let on = (checked.installation, checked.access, chargers);
                return Ok(Some((holder, Some(on))));
            }
        }
        let rows = self
            .on_rows(Bearer::Person, hash, now_ms, installation, page)
            .await?;
        let Some(first) = rows.first() else {
            return Ok(self
                .access_token(hash, client_address, now)
                .await?
                .map(|holder| (holder, None)));
        };
        let row = PersonOnRow::from_row(first)?;
        let mut last_use = (row.last_used_at, row.client_address);
        if self
            .note_use(
                row.token_id,
                (last_use.0, last_use.1.as_deref()),
                client_address,
                now_ms,
            )
            .await?
        {
            last_use = (Some(now_ms), Some(client_address.to_owned()));
        }
        let user = User {
            id: UserId::from_uuid(row.user_id),
            email: row.user_email,
            full_name: row.user_full_name,
            language: row.user_language,
            created_at: row.user_created_at,
        };
        let read = read_on(&rows, Principal::Api(user.id), installation)?;
        let holder = TokenHolder {
            user,
            family: row.family_id,
        };
        if read.related() {
            let person = CheckedHolder::Person {
                holder: holder.clone(),
                token: row.token_id,
            };
            self.access.put(hash, read.checked(person, last_use));
        }
        Ok(Some((holder, Some(read.on))))
    }

    /// As [`Self::holder_on`] for a service account's token: the account, its group and the group's
    /// relation to the installation in one query, or from the check kept since the last call.
    async fn service_on(
        &self,
        hash: &str,
        now: DateTime<Utc>,
        installation: InstallationId,
        page: Option<(Option<i64>, i64)>,
    ) -> Result<Option<(ServiceHolder, Option<HolderOn>)>> {
        let now_ms = now.timestamp_millis();
        let kept = self
            .kept_on(Bearer::Service, hash, now_ms, installation, page)
            .await?;
        if let Some((checked, chargers)) = kept {
            if let CheckedHolder::Service(holder) = checked.holder {
                if self
                    .note_service_use(holder.account.as_uuid(), checked.last_use.0, now_ms)
                    .await?
                {
                    self.access
                        .noted(true, hash, installation, (Some(now_ms), None));
                }
                let on = (checked.installation, checked.access, chargers);
                return Ok(Some((holder, Some(on))));
            }
        }
        let rows = self
            .on_rows(Bearer::Service, hash, now_ms, installation, page)
            .await?;
        let Some(first) = rows.first() else {
            return Ok(
                crate::partners::PartnerStore::service_token(self, hash, now)
                    .await?
                    .map(|(account, group)| (ServiceHolder { account, group }, None)),
            );
        };
        let row = ServiceOnRow::from_row(first)?;
        let holder = ServiceHolder {
            account: ServiceAccountId::from_uuid(row.account_id),
            group: GroupId::from_uuid(row.account_group),
        };
        let mut last_used_at = row.account_last_used_at;
        if self
            .note_service_use(row.account_id, last_used_at, now_ms)
            .await?
        {
            last_used_at = Some(now_ms);
        }
        let read = read_on(&rows, holder.principal(), installation)?;
        if read.related() {
            let checked = read.checked(CheckedHolder::Service(holder), (last_used_at, None));
            self.access.put(hash, checked);
        }
        Ok(Some((holder, Some(read.on))))
    }

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
        if let Some(epoch) = pair.epoch {
            // A write that takes the user's row first, as a password change does: on PostgreSQL it waits
            // for a change holding the row and then sees its new epoch (and a change waits for these
            // tokens, then revokes them); on SQLite writes are serial anyway.
            let current: Option<Uuid> = sqlx::query_scalar(
                "UPDATE users SET session_epoch = session_epoch WHERE id = $1 AND session_epoch = $2 RETURNING id",
            )
            .bind(pair.user.as_uuid())
            .bind(epoch)
            .fetch_optional(&mut *tx)
            .await?;
            if current.is_none() {
                return Err(crate::StoreError::Conflict("session_epoch"));
            }
        }
        Self::insert_pair(&mut tx, pair.user.as_uuid(), family, pair).await?;
        tx.commit().await?;
        Ok(family)
    }

    async fn access_token(
        &self,
        hash: &str,
        client_address: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenHolder>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.id AS token_id, t.family_id, t.last_used_at, t.client_address \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > $2"
        );
        let now_ms = now.timestamp_millis();
        let Some(row) = sqlx::query_as::<_, HolderRow>(&sql)
            .bind(hash)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        self.note_use(
            row.token_id,
            (row.last_used_at, row.client_address.as_deref()),
            client_address,
            now_ms,
        )
        .await?;
        Ok(Some(TokenHolder {
            user: User::from(row.user),
            family: row.family_id,
        }))
    }

    async fn access_token_on(
        &self,
        hash: &str,
        client_address: &str,
        now: DateTime<Utc>,
        installation: InstallationId,
    ) -> Result<Option<(TokenHolder, Option<(Installation, InstallationAccess)>)>> {
        let found = self
            .holder_on(hash, client_address, now, installation, None)
            .await?;
        Ok(found.map(|(holder, on)| {
            (
                holder,
                on.map(|(installation, access, _)| (installation, access)),
            )
        }))
    }

    async fn chargers_by_token(
        &self,
        hash: &str,
        client_address: &str,
        now: DateTime<Utc>,
        installation: InstallationId,
        (limit, offset): (Option<i64>, i64),
    ) -> Result<Option<(TokenHolder, Option<ChargersOn>)>> {
        self.flush_pending().await?;
        let found = self
            .holder_on(
                hash,
                client_address,
                now,
                installation,
                Some((limit, offset)),
            )
            .await?;
        Ok(found.map(|(holder, on)| (holder, on.map(chargers_on))))
    }

    async fn service_token_on(
        &self,
        hash: &str,
        now: DateTime<Utc>,
        installation: InstallationId,
    ) -> Result<Option<(ServiceHolder, Option<(Installation, InstallationAccess)>)>> {
        let found = self.service_on(hash, now, installation, None).await?;
        Ok(found.map(|(holder, on)| {
            (
                holder,
                on.map(|(installation, access, _)| (installation, access)),
            )
        }))
    }

    async fn service_chargers_by_token(
        &self,
        hash: &str,
        now: DateTime<Utc>,
        installation: InstallationId,
        (limit, offset): (Option<i64>, i64),
    ) -> Result<Option<(ServiceHolder, Option<ChargersOn>)>> {
        self.flush_pending().await?;
        let found = self
            .service_on(hash, now, installation, Some((limit, offset)))
            .await?;
        Ok(found.map(|(holder, on)| (holder, on.map(chargers_on))))
    }

    async fn refresh_tokens(&self, old_hash: &str, pair: &NewTokenPair) -> Result<Refreshed> {
        let now = pair.at.timestamp_millis();
        let mut tx = self.pool.begin().await?;
        // The holder's row first, as a password change takes it: a refresh racing a change waits for
        // it and then finds its token revoked, or the change waits and then revokes the new pair.
        sqlx::query(
            "UPDATE users SET session_epoch = session_epoch \
             WHERE id = (SELECT user_id FROM api_tokens WHERE token_hash = $1 AND kind = 'refresh')",
        )
        .bind(old_hash)
        .execute(&mut *tx)
        .await?;
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
                let family: Option<Uuid> = sqlx::query_scalar(
                    "SELECT family_id FROM api_tokens WHERE token_hash = $1 AND kind = 'refresh'",
                )
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
        let family: Option<Uuid> =
            sqlx::query_scalar("SELECT family_id FROM api_tokens WHERE token_hash = $1")
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?;
        let Some(family) = family else {
            return Ok(false);
        };
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        )
        .bind(family)
        .bind(now.timestamp_millis())
        .execute(&self.pool)
        .await?;
        Ok(true)
    }

    async fn revoke_token_family(
        &self,
        user: UserId,
        family: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool> {
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
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
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
