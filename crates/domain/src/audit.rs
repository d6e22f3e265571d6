//! The audit log's filters: which stored event kinds make up each kind people choose from.

use crate::Message;

/// A kind of event people filter the audit log by; each covers one or more stored kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditKind {
    /// The installation's settings (and its creation).
    Settings,
    /// Who holds which role.
    People,
    /// Partner groups' access: approved, denied, revoked, changed, expired.
    Access,
    /// Chargers added or given a new password.
    Chargers,
    /// Commands sent to chargers.
    Commands,
}

impl AuditKind {
    /// Every kind, in the order the filter offers them.
    pub const ALL: [AuditKind; 5] = [
        AuditKind::Settings,
        AuditKind::People,
        AuditKind::Access,
        AuditKind::Chargers,
        AuditKind::Commands,
    ];

    /// The kind's name in URLs (`?kind=commands`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Settings => "settings",
            Self::People => "people",
            Self::Access => "access",
            Self::Chargers => "chargers",
            Self::Commands => "commands",
        }
    }

    /// The kinds the store writes that this kind covers.
    pub fn stored(self) -> &'static [&'static str] {
        match self {
            Self::Settings => &["installation_created", "settings_changed"],
            Self::People => &["role_set", "role_removed"],
            Self::Access => &[
                "access_approved",
                "access_denied",
                "access_revoked",
                "access_changed",
                "access_expired",
            ],
            Self::Chargers => &["charger_added", "charger_password_changed"],
            Self::Commands => &["charger_command"],
        }
    }

    /// The kind named in a URL; an empty value means every kind.
    pub fn parse(raw: &str) -> Result<Option<Self>, Message> {
        if raw.is_empty() {
            return Ok(None);
        }
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .map(Some)
            .ok_or_else(|| Message::new("err-audit-kind"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_nothing_else_parses() {
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Ok(Some(kind)));
        }
        assert_eq!(AuditKind::parse(""), Ok(None));
        for bad in ["Settings", "command", "settings ", "all", "\0"] {
            assert!(AuditKind::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn no_stored_kind_belongs_to_two_filters() {
        let mut seen = std::collections::HashSet::new();
        for kind in AuditKind::ALL {
            for stored in kind.stored() {
                assert!(seen.insert(*stored), "{stored} twice");
            }
        }
    }
}
