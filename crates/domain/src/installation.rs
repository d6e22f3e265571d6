//! Installations: their kinds, the roles people hold on them, and the rule that an installation
//! always keeps an owner.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An unknown word for an enumerated value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Choose one of: {0}.")]
pub struct UnknownChoice(pub &'static str);

/// The kind of installation, as Zaptec distinguishes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstallationType {
    /// Go/Home ("Smart") installations.
    Go,
    /// Pro installations.
    Pro,
}

impl InstallationType {
    /// The stored and typed word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Go => "go",
            Self::Pro => "pro",
        }
    }

    /// The number the Zaptec API uses (`InstallationType`: 0 Pro, 1 Smart).
    pub fn zaptec_id(self) -> i32 {
        match self {
            Self::Go => 1,
            Self::Pro => 0,
        }
    }
}

impl FromStr for InstallationType {
    type Err = UnknownChoice;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "go" => Ok(Self::Go),
            "pro" => Ok(Self::Pro),
            _ => Err(UnknownChoice("go, pro")),
        }
    }
}

impl fmt::Display for InstallationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person's direct role on an installation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees the installation; changes nothing.
    User,
    /// Manages settings and people, like an owner, but cannot delete the installation.
    Admin,
    /// Holds the installation.
    Owner,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 3] = [Role::User, Role::Admin, Role::Owner];

    /// The stored and typed word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::User => "user",
        }
    }
}

impl FromStr for Role {
    type Err = UnknownChoice;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Self::Owner),
            "admin" => Ok(Self::Admin),
            "user" => Ok(Self::User),
            _ => Err(UnknownChoice("owner, admin, user")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change that would leave something without an owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("The last owner cannot be removed or demoted; make someone else an owner first.")]
pub struct LastOwner;

/// Whether changing one holder from `current` to `next` (`None` = removed) keeps at least one owner,
/// given how many owners there are now. Used for installations and for user groups alike.
pub fn keeps_an_owner(
    owners_now: usize,
    current_is_owner: bool,
    next_is_owner: bool,
) -> Result<(), LastOwner> {
    if current_is_owner && !next_is_owner && owners_now <= 1 {
        Err(LastOwner)
    } else {
        Ok(())
    }
}

impl crate::message::Coded for UnknownChoice {
    fn message(&self) -> crate::message::Message {
        crate::message::Message::new("err-choose-one").arg("choices", self.0)
    }
}

impl crate::message::Coded for LastOwner {
    fn message(&self) -> crate::message::Message {
        crate::message::Message::new("err-last-owner")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert_eq!(
            "PRO".parse::<InstallationType>().unwrap(),
            InstallationType::Pro
        );
        assert!("superuser".parse::<Role>().is_err());
        assert!("home".parse::<InstallationType>().is_err());
    }

    #[test]
    fn the_last_owner_stays() {
        assert_eq!(keeps_an_owner(1, true, false), Err(LastOwner));
        assert!(keeps_an_owner(2, true, false).is_ok());
        assert!(keeps_an_owner(1, true, true).is_ok());
        assert!(keeps_an_owner(1, false, false).is_ok());
    }
}
