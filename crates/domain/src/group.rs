//! User groups: a partner organisation whose members act together.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::installation::UnknownChoice;

/// A person's role in a user group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupRole {
    /// Acts with the group's access.
    Member,
    /// Also manages members, return URLs and the lookup key.
    Owner,
}

impl GroupRole {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Owner => "owner",
        }
    }
}

impl FromStr for GroupRole {
    type Err = UnknownChoice;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "member" => Ok(Self::Member),
            "owner" => Ok(Self::Owner),
            _ => Err(UnknownChoice("member, owner")),
        }
    }
}

impl fmt::Display for GroupRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
