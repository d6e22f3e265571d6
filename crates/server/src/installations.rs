//! Creating installations: the rules the portal and the command line share.

use serde::Deserialize;
use voltgate_domain::text::Address;
use voltgate_domain::{InstallationType, Name, ValidationErrors, Zone};
use voltgate_store::NewInstallation;

/// A new installation as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct InstallationInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    /// `go` or `pro`.
    #[serde(default)]
    pub installation_type: String,
    /// An IANA time zone; the portal's create form has the browser fill it in. Missing or unknown
    /// gives the default zone (it is a guess, not something a person typed).
    #[serde(default)]
    pub time_zone: String,
    /// Where to go once it exists: an access request the person came from (see
    /// [`InstallationInput::back_to_request`]); anything else is ignored.
    #[serde(default)]
    pub next: String,
}

impl InstallationInput {
    /// The access request to return to after creating the installation: a local
    /// `/access/request…` path, never another site or page.
    pub fn back_to_request(&self) -> Option<voltgate_domain::LocalPath> {
        voltgate_domain::LocalPath::parse(&self.next)
            .filter(|path| path.as_str().starts_with("/access/request"))
    }

    /// Checks every field.
    pub fn parse(&self) -> Result<NewInstallation, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = errors.check("name", Name::parse(&self.name));
        let address = errors.check("address", Address::parse(&self.address));
        let installation_type = errors.check(
            "installation_type",
            self.installation_type.parse::<InstallationType>(),
        );
        match (name, address, installation_type) {
            (Some(name), Some(address), Some(installation_type)) => Ok(NewInstallation {
                name,
                address,
                installation_type,
                time_zone: Zone::parse_or_default(&self.time_zone),
            }),
            _ => Err(errors),
        }
    }
}
