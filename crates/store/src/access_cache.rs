//! Bearer tokens' checked relations to installations, kept in this process and trusted only while the
//! database's access generation is what it was when they were read (migration 0021: triggers count
//! every committed change to tokens, accounts, users, installations, roles, memberships and grants).
//! A call still reads the generation, in the same statement as its data where it can, so a revocation
//! made by any process counts on the very next call; what a cached check saves is the joins.

use std::collections::HashMap;
use std::sync::Mutex;

use voltgate_domain::{InstallationAccess, InstallationId};

use crate::model::Installation;
use crate::tokens::{ServiceHolder, TokenHolder};

/// At most this many checks are kept; when full, the oldest half goes.
const CAPACITY: usize = 4096;

/// Whose token a check is for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum CheckedHolder {
    /// A person's access token (its row's id, for noting its use).
    Person {
        holder: TokenHolder,
        token: uuid::Uuid,
    },
    /// A group's service account.
    Service(ServiceHolder),
}

impl CheckedHolder {
    /// Whether the token is a service account's (the two kinds' tokens are kept apart).
    fn is_service(&self) -> bool {
        matches!(self, CheckedHolder::Service(_))
    }
}

/// A token holder's relation to an installation as read at one generation.
#[derive(Clone, Debug)]
pub(crate) struct Checked {
    pub generation: i64,
    /// When the check stops holding without any write: the token's or a counted grant's end (Unix ms).
    pub valid_until_ms: i64,
    pub holder: CheckedHolder,
    pub installation: Installation,
    pub access: InstallationAccess,
    /// When the use was last noted and from where, as last known here.
    pub last_use: (Option<i64>, Option<String>),
    /// Order of insertion, for dropping the oldest half when full.
    stamp: u64,
}

impl Checked {
    /// A check read at `generation`, good until `valid_until_ms` unless the generation moves.
    pub(crate) fn new(
        generation: i64,
        valid_until_ms: i64,
        holder: CheckedHolder,
        (installation, access): (Installation, InstallationAccess),
        last_use: (Option<i64>, Option<String>),
    ) -> Self {
        Checked {
            generation,
            valid_until_ms,
            holder,
            installation,
            access,
            last_use,
            stamp: 0,
        }
    }
}

/// What a check is kept under: the token's hash (never the token), whose kind it is, and the installation.
type Key = (bool, String, InstallationId);

/// The checks this process holds.
#[derive(Default)]
pub(crate) struct AccessCache {
    entries: Mutex<(HashMap<Key, Checked>, u64)>,
}

impl AccessCache {
    /// The check of this token on this installation, if one is kept and has not run out at `now_ms`.
    pub(crate) fn get(
        &self,
        service: bool,
        hash: &str,
        installation: InstallationId,
        now_ms: i64,
    ) -> Option<Checked> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .0
            .get(&(service, hash.to_owned(), installation))
            .filter(|checked| now_ms < checked.valid_until_ms)
            .cloned()
    }

    /// Keeps a check, replacing any older one of the same token on the same installation.
    pub(crate) fn put(&self, hash: &str, mut checked: Checked) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (map, counter) = &mut *entries;
        if map.len() >= CAPACITY {
            let mut stamps: Vec<u64> = map.values().map(|c| c.stamp).collect();
            stamps.sort_unstable();
            let median = stamps[stamps.len() / 2];
            map.retain(|_, c| c.stamp >= median);
        }
        *counter += 1;
        checked.stamp = *counter;
        let key = (
            checked.holder.is_service(),
            hash.to_owned(),
            checked.access.installation,
        );
        map.insert(key, checked);
    }

    /// Forgets a check that no longer holds.
    pub(crate) fn forget(&self, service: bool, hash: &str, installation: InstallationId) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.0.remove(&(service, hash.to_owned(), installation));
    }

    /// Notes that a check's use was written down.
    pub(crate) fn noted(
        &self,
        service: bool,
        hash: &str,
        installation: InstallationId,
        last_use: (Option<i64>, Option<String>),
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(checked) = entries.0.get_mut(&(service, hash.to_owned(), installation)) {
            checked.last_use = last_use;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use voltgate_domain::{GroupId, InstallationType, Principal, ServiceAccountId, Zone};

    use super::*;

    fn checked(installation: InstallationId, valid_until_ms: i64) -> Checked {
        let holder = ServiceHolder {
            account: ServiceAccountId::from_uuid(uuid::Uuid::new_v4()),
            group: GroupId::from_uuid(uuid::Uuid::new_v4()),
        };
        let site = Installation {
            id: installation,
            name: "Garage".into(),
            address: String::new(),
            installation_type: InstallationType::Go,
            settings: Default::default(),
            time_zone: Zone::default(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let access = InstallationAccess {
            principal: Principal::Operator,
            installation,
            role: None,
            via_groups: vec![],
        };
        let holder = CheckedHolder::Service(holder);
        Checked::new(7, valid_until_ms, holder, (site, access), (None, None))
    }

    fn site() -> InstallationId {
        InstallationId::from_uuid(uuid::Uuid::new_v4())
    }

    #[test]
    fn a_check_is_kept_per_token_kind_and_installation_until_it_runs_out() {
        let cache = AccessCache::default();
        let (here, there) = (site(), site());
        cache.put("hash", checked(here, 1_000));
        assert_eq!(
            cache.get(true, "hash", here, 999).map(|c| c.generation),
            Some(7)
        );
        assert!(cache.get(true, "hash", here, 1_000).is_none(), "ran out");
        assert!(
            cache.get(false, "hash", here, 0).is_none(),
            "a person's token"
        );
        assert!(cache.get(true, "other", here, 0).is_none(), "another token");
        assert!(
            cache.get(true, "hash", there, 0).is_none(),
            "another installation"
        );
        cache.noted(true, "hash", here, (Some(5), None));
        assert_eq!(
            cache.get(true, "hash", here, 0).unwrap().last_use.0,
            Some(5)
        );
        cache.forget(true, "hash", here);
        assert!(cache.get(true, "hash", here, 0).is_none(), "forgotten");
    }

    #[test]
    fn a_full_cache_drops_its_older_half() {
        let cache = AccessCache::default();
        let sites: Vec<_> = (0..=CAPACITY).map(|_| site()).collect();
        for (n, at) in sites.iter().enumerate() {
            cache.put(&format!("token {n}"), checked(*at, i64::MAX));
        }
        let kept = |n: usize| {
            cache
                .get(true, &format!("token {n}"), sites[n], 0)
                .is_some()
        };
        assert!(!kept(0) && !kept(CAPACITY / 2 - 1), "the oldest went");
        assert!(kept(CAPACITY / 2) && kept(CAPACITY), "the newest stayed");
        let entries = cache.entries.lock().unwrap().0.len();
        assert!(entries <= CAPACITY / 2 + 1, "{entries} kept");
    }
}
