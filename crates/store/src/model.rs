//! What the store hands out and takes in.

use chrono::{DateTime, Utc};
use voltgate_domain::return_url::SupportUrl;
use voltgate_domain::text::Address;
use voltgate_domain::{
    Description, Email, GrantTerms, GroupId, GroupRole, InstallationId, InstallationSettings,
    InstallationType, LookupKey, Name, RegisteredReturnUrl, Role, UserId, Zone,
};

/// A user account (without its password hash).
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: UserId,
    /// As the user typed it.
    pub email: String,
    pub full_name: String,
    /// Saved portal language (`en`, `de`, `nb`), if chosen.
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A new account.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: Email,
    pub full_name: Name,
    /// An argon2id PHC string; never the password.
    pub password_hash: String,
}

/// An installation with its settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Installation {
    pub id: InstallationId,
    pub name: String,
    pub address: String,
    pub installation_type: InstallationType,
    pub settings: InstallationSettings,
    /// Where its clocks are: every time the portal shows for it is in this zone.
    pub time_zone: Zone,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new installation; it starts with default settings.
#[derive(Clone, Debug)]
pub struct NewInstallation {
    pub name: Name,
    pub address: Address,
    pub installation_type: InstallationType,
    /// Where its clocks are (the browser's zone when created in the portal).
    pub time_zone: Zone,
}

/// A person's direct role on an installation.
#[derive(Clone, Debug, PartialEq)]
pub struct InstallationMember {
    pub user: User,
    pub role: Role,
    pub since: DateTime<Utc>,
}

/// A user group (partner organisation).
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub support_email: Option<String>,
    pub support_url: Option<String>,
    pub lookup_key: LookupKey,
    /// Where the access flow may send a browser back to, in the order registered.
    pub return_urls: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// When the service's operator checked who the group is, if they did.
    pub verified_at: Option<DateTime<Utc>>,
}

/// A new user group.
#[derive(Clone, Debug)]
pub struct NewGroup {
    pub name: Name,
    pub description: Description,
    pub support_email: Option<Email>,
    pub support_url: Option<SupportUrl>,
    pub return_urls: Vec<RegisteredReturnUrl>,
}

/// What a group's owners may change about how the group presents itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDetails {
    pub name: Name,
    pub description: Description,
    pub support_email: Option<Email>,
    pub support_url: Option<SupportUrl>,
}

/// A member of a user group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupMember {
    pub user: User,
    pub role: GroupRole,
    pub since: DateTime<Utc>,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    /// The actor's e-mail, when the account still exists.
    pub actor_email: Option<String>,
    pub installation: Option<InstallationId>,
    pub group: Option<GroupId>,
    /// What happened, e.g. `settings_changed`, `role_set`.
    pub kind: String,
    /// The particulars, as JSON.
    pub detail: serde_json::Value,
}

/// Which events of an audit log to show; `None`/empty means no restriction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only what this person did.
    pub actor: Option<UserId>,
    /// Only what concerns this group (or was done through it).
    pub group: Option<GroupId>,
    /// Only events of these stored kinds (constants from `voltgate_domain::audit`).
    pub kinds: &'static [&'static str],
}

/// The people and groups an audit log names, for its filters: (id, e-mail or name), sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditNames {
    pub people: Vec<(UserId, String)>,
    pub groups: Vec<(GroupId, String)>,
}

/// Where an access decision came from, for the audit log: the link's own words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The link's `partnerName`, as given.
    pub partner_name: Option<String>,
    /// The link's `returnUrl`, as given.
    pub return_url: Option<String>,
}

/// What approving a group's access did to its grant on the installation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// A new grant (or one that had ended, renewed): audited as `access_approved`.
    Granted,
    /// The grant in force took the newly chosen rights and end: audited as `access_changed`.
    Changed,
    /// The grant in force already had these rights and end: nothing changed.
    Unchanged,
}

impl Approval {
    /// Whether the group had no access before.
    pub fn is_new(self) -> bool {
        self == Self::Granted
    }
}

/// A user group's access to an installation.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupGrant {
    pub group: Group,
    /// Who approved it, while that account exists.
    pub granted_by: Option<User>,
    pub granted_at: DateTime<Utc>,
    /// What the grant gives and until when.
    pub terms: GrantTerms,
}

/// A grant whose end passed, as the expiry sweep told it: its audit entry and `access.expired`
/// deliveries were written when it was claimed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EndedGrant {
    pub installation: InstallationId,
    pub group: GroupId,
    /// The end that passed.
    pub ended: DateTime<Utc>,
}
