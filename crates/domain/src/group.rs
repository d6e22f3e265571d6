//! User groups: a partner organisation whose members act together.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::installation::UnknownChoice;
use crate::text::is_invisible;

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

/// What a group's name looks like, for telling look-alikes apart: the Unicode TR39 skeleton of the
/// name, lower-cased and skeletoned again, with invisible characters dropped and runs of spaces made
/// one. Letters outside ASCII are skeletoned before lower-casing as well as after, because some
/// capitals look like a Latin letter while their small forms do not (Cyrillic "В" looks like "B", "в"
/// like nothing); ASCII letters are not, so "I" stays "i" rather than becoming "l". Two
/// names with the same skeleton can pass for each other ("Acme", "ACME", "Αcme" with a Greek Alpha,
/// "Ac\u{200B}me"), so a new group may not take a name whose skeleton another group has.
pub fn name_skeleton(name: &str) -> String {
    let words: Vec<String> = name
        .split(char::is_whitespace)
        .map(|word| {
            word.chars()
                .filter(|c| !is_invisible(*c))
                .collect::<String>()
        })
        .filter(|word| !word.is_empty())
        .collect();
    let joined = words.join(" ");
    let folded = joined
        .chars()
        .flat_map(|c| match c.is_ascii() {
            true => vec![c],
            false => unicode_security::skeleton(&c.to_string()).collect(),
        })
        .collect::<String>()
        .to_lowercase();
    unicode_security::skeleton(&folded)
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alike_names_share_a_skeleton() {
        let real = name_skeleton("Acme Charging");
        for fake in [
            "Acme Charging",
            "ACME CHARGING",
            "  Acme   Charging ",
            "\u{0391}cme Charging",
            "Acme Charg\u{0456}ng",
            "Ac\u{200B}me Charging",
            "Acrne Charging",
            "\u{0410}\u{0441}m\u{0435} Charging",
            "\u{0410}CME CHARGING",
            "\u{FF21}cme Charging",
        ] {
            assert_eq!(name_skeleton(fake), real, "{fake:?}");
        }
        assert_ne!(name_skeleton("Acme Energy"), real);
        assert_ne!(name_skeleton("Acme Chargers"), real);
    }

    #[test]
    fn capitals_that_look_latin_are_look_alikes() {
        let real = name_skeleton("Bob Partners");
        for fake in [
            "\u{0412}\u{043E}b Partners",
            "\u{0412}OB PARTNERS",
            "B\u{043E}b Partners",
        ] {
            assert_eq!(name_skeleton(fake), real, "{fake:?}");
        }
    }
}
