//! voltgate's domain: the product's words as types, and the rules that decide what may happen.
//!
//! Everything here is pure: no I/O, no async, no clock reads (callers pass `now`), so every rule can be
//! reached from a unit or property test without a database.

pub mod access_request;
pub mod audit;
pub mod authz;
pub mod balancing;
pub mod charger;
pub mod charger_config;
pub mod chart;
pub mod clock;
pub mod email;
pub mod grant;
pub mod group;
pub mod id_tag;
pub mod ids;
pub mod installation;
pub mod local_path;
pub mod lookup_key;
pub mod message;
pub mod password;
pub mod pushed_request;
pub mod return_url;
pub mod settings;
pub mod text;
pub mod throttle;
pub mod time_zone;
pub mod validation;
pub mod webhook;
pub mod zaptec;

pub use authz::{
    authorize, check, Action, Authorized, ChargerRight, Denial, GrantAccess, GroupAccess,
    InstallationAccess, Principal, ViaGroup,
};
pub use charger::ChargePointIdentity;
pub use email::Email;
pub use grant::{GrantRight, GrantRights, GrantTerms};
pub use group::GroupRole;
pub use id_tag::IdTag;
pub use ids::{AccessRequestId, ChargerId, GroupId, InstallationId, ServiceAccountId, UserId};
pub use installation::{InstallationType, Role};
pub use local_path::LocalPath;
pub use lookup_key::LookupKey;
pub use message::{Coded, Message};
pub use password::Password;
pub use return_url::{RegisteredReturnUrl, ReturnTarget};
pub use settings::{Amperes, AvailableCurrent, InstallationSettings, Phases};
pub use text::{Description, Name};
pub use time_zone::Zone;
pub use validation::ValidationErrors;
