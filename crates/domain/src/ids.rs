//! Identifiers of the things voltgate stores: random UUIDs wrapped so they cannot be mixed up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random identifier.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            /// Wraps a UUID read back from storage.
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// Identifies a user account.
    UserId
);
id_type!(
    /// Identifies an installation (a site with chargers).
    InstallationId
);
id_type!(
    /// Identifies a user group (a partner organisation).
    GroupId
);
id_type!(
    /// Identifies a charger.
    ChargerId
);
id_type!(
    /// Identifies a group's service account (its OAuth client id).
    ServiceAccountId
);
id_type!(
    /// Identifies a pushed access request.
    AccessRequestId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = InstallationId::random();
        assert_eq!(id.to_string().parse::<InstallationId>().unwrap(), id);
    }

    #[test]
    fn non_uuid_text_is_refused() {
        assert!("not-a-uuid".parse::<UserId>().is_err());
        assert!("".parse::<GroupId>().is_err());
    }
}
