//! What a group's grant on an installation gives, as its owner shapes it: the rights (seeing the
//! installation and its charging history always; changing settings, controlling chargers and configuring
//! chargers each by choice) and an optional end.
//!
//! A link or form names the rights as a comma-separated list (`rights=settings,control,configure`);
//! the store keeps them as a small bit set.

use std::fmt;

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::authz::Action;
use crate::message::{Coded, Message};
use crate::time_zone::Zone;

/// One right a grant may give beyond seeing the installation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrantRight {
    /// Change the installation's settings.
    Settings,
    /// Start, stop, restart, pause, resume and unlock the installation's chargers.
    Control,
    /// Change the chargers' own settings, their OCPP configuration and their charging limits.
    Configure,
}

impl GrantRight {
    /// Every right that can be chosen, in the order pages show them.
    pub const ALL: [GrantRight; 3] = [Self::Settings, Self::Control, Self::Configure];

    /// The right's name in links, forms and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Settings => "settings",
            Self::Control => "control",
            Self::Configure => "configure",
        }
    }

    /// The right's word in the partner API (`changeSettings`, `controlChargers`, `configureChargers`).
    pub fn api_word(self) -> &'static str {
        match self {
            Self::Settings => "changeSettings",
            Self::Control => "controlChargers",
            Self::Configure => "configureChargers",
        }
    }

    /// The right a name or API word stands for, in any case.
    pub fn named(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|right| {
            right.name().eq_ignore_ascii_case(word) || right.api_word().eq_ignore_ascii_case(word)
        })
    }

    fn bit(self) -> u8 {
        match self {
            Self::Settings => 1,
            Self::Control => 2,
            Self::Configure => 4,
        }
    }

    /// The action this right allows.
    pub fn action(self) -> Action {
        match self {
            Self::Settings => Action::ChangeSettings,
            Self::Control => Action::ControlChargers,
            Self::Configure => Action::ConfigureChargers,
        }
    }
}

/// The rights a grant gives. Seeing the installation and its charging history is always part of it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GrantRights(u8);

/// Why a list of rights was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Unknown right: choose from view, settings, control and configure.")]
pub struct UnknownRight;

impl Coded for UnknownRight {
    fn message(&self) -> Message {
        Message::new("err-grant-rights")
    }
}

impl GrantRights {
    /// Everything a grant can give: what a grant gave before rights could be chosen, and the default.
    pub const ALL: GrantRights = GrantRights(7);
    /// Seeing the installation and its charging history, nothing more.
    pub const VIEW: GrantRights = GrantRights(0);

    /// Rights from the names in a comma-separated list (`settings,control,configure`, or the partner
    /// API's words); blanks around
    /// names and empty entries are ignored, `view` names the right every grant has, case does not
    /// matter. An empty list gives view only.
    pub fn parse(raw: &str) -> Result<Self, UnknownRight> {
        raw.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .try_fold(Self::VIEW, |rights, name| {
                if name.eq_ignore_ascii_case("view") {
                    return Ok(rights);
                }
                GrantRight::named(name)
                    .map(|right| rights.with(right))
                    .ok_or(UnknownRight)
            })
    }

    /// These rights and `right`.
    pub fn with(self, right: GrantRight) -> Self {
        Self(self.0 | right.bit())
    }

    /// Whether the rights include `right`.
    pub fn has(self, right: GrantRight) -> bool {
        self.0 & right.bit() != 0
    }

    /// The chosen rights, in [`GrantRight::ALL`]'s order.
    pub fn rights(self) -> impl Iterator<Item = GrantRight> {
        GrantRight::ALL
            .into_iter()
            .filter(move |right| self.has(*right))
    }

    /// Whether a grant with these rights allows `action`: seeing always, the rest as chosen, and
    /// never managing who has access or deleting the installation.
    pub fn allows(self, action: Action) -> bool {
        match action {
            Action::ViewInstallation | Action::ViewChargeHistory => true,
            other => self.rights().any(|right| right.action() == other),
        }
    }

    /// The rights as the store keeps them.
    pub fn bits(self) -> i32 {
        i32::from(self.0)
    }

    /// The rights in the partner API's words: `view`, then `changeSettings`, `controlChargers`,
    /// `configureChargers` as given.
    pub fn api_words(self) -> Vec<&'static str> {
        std::iter::once("view")
            .chain(self.rights().map(GrantRight::api_word))
            .collect()
    }

    /// Rights as the store keeps them; `None` for bits no right stands for.
    pub fn from_bits(bits: i64) -> Option<Self> {
        u8::try_from(bits)
            .ok()
            .filter(|bits| bits & !Self::ALL.0 == 0)
            .map(Self)
    }
}

impl Default for GrantRights {
    fn default() -> Self {
        Self::ALL
    }
}

impl fmt::Display for GrantRights {
    /// `view` followed by the chosen rights: `view,settings,control`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("view")?;
        for right in self.rights() {
            write!(f, ",{}", right.name())?;
        }
        Ok(())
    }
}

impl fmt::Debug for GrantRights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantRights({self})")
    }
}

/// Why an end date was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndDateError {
    /// Not a date in the form 2026-12-31.
    #[error("Give the end date as a date, such as 2026-12-31.")]
    NotADate,
    /// The date is over.
    #[error("The end date must be today or later.")]
    Past,
}

impl Coded for EndDateError {
    fn message(&self) -> Message {
        match self {
            Self::NotADate => Message::new("err-grant-until"),
            Self::Past => Message::new("err-grant-until-past"),
        }
    }
}

/// When a grant ends, from the date a form gives ("until 2026-12-31": the grant works through that day
/// in `zone`, and ends at the start of the next). Blank means no end. The end must be after `now`.
pub fn grant_end(
    raw: &str,
    zone: Zone,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, EndDateError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| EndDateError::NotADate)?;
    let next = date
        .checked_add_days(Days::new(1))
        .ok_or(EndDateError::NotADate)?;
    let end = zone.start_of_day(next);
    if end <= now {
        return Err(EndDateError::Past);
    }
    Ok(Some(end))
}

/// The last day a grant ending at `end` works, in `zone` (what a form shows as "until").
pub fn last_day(end: DateTime<Utc>, zone: Zone) -> NaiveDate {
    let day = zone.date_of(end);
    if zone.start_of_day(day) == end {
        day.pred_opt().unwrap_or(day)
    } else {
        day
    }
}

/// What a grant gives and until when.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GrantTerms {
    /// The rights.
    pub rights: GrantRights,
    /// When the grant ends; `None`: until revoked.
    pub ends: Option<DateTime<Utc>>,
}

impl GrantTerms {
    /// Whether a grant on these terms has ended at `now`.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.ends.is_some_and(|end| end <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn lists_of_rights_parse() {
        assert_eq!(
            GrantRights::parse("settings,control,configure"),
            Ok(GrantRights::ALL)
        );
        assert_eq!(GrantRights::parse(""), Ok(GrantRights::VIEW));
        assert_eq!(GrantRights::parse("view"), Ok(GrantRights::VIEW));
        assert_eq!(
            GrantRights::parse(" Control , ,view"),
            Ok(GrantRights::VIEW.with(GrantRight::Control))
        );
        assert_eq!(GrantRights::parse("settings,admin"), Err(UnknownRight));
        assert_eq!(GrantRights::parse("settings\0"), Err(UnknownRight));
        assert_eq!(
            GrantRights::VIEW.with(GrantRight::Configure).to_string(),
            "view,configure"
        );
    }

    #[test]
    fn rights_decide_actions() {
        let control = GrantRights::VIEW.with(GrantRight::Control);
        assert!(control.allows(Action::ViewInstallation));
        assert!(control.allows(Action::ViewChargeHistory));
        assert!(control.allows(Action::ControlChargers));
        assert!(!control.allows(Action::ConfigureChargers));
        assert!(!control.allows(Action::ChangeSettings));
        for action in [
            Action::ManagePermissions,
            Action::ManageUsers,
            Action::ViewPeople,
            Action::DeleteInstallation,
        ] {
            assert!(!GrantRights::ALL.allows(action), "{action:?}");
        }
    }

    #[test]
    fn bits_outside_the_rights_are_refused() {
        assert_eq!(GrantRights::from_bits(7), Some(GrantRights::ALL));
        assert_eq!(GrantRights::from_bits(8), None);
        assert_eq!(GrantRights::from_bits(-1), None);
    }

    #[test]
    fn an_end_date_is_the_start_of_the_next_day() {
        let zone = Zone::parse("Europe/Oslo").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let end = grant_end("2026-12-31", zone, now).unwrap().unwrap();
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap());
        assert_eq!(last_day(end, zone).to_string(), "2026-12-31");
        assert_eq!(grant_end(" ", zone, now), Ok(None));
        assert!(
            grant_end("2026-11-26", zone, now).unwrap().is_some(),
            "today"
        );
        assert_eq!(grant_end("2026-11-25", zone, now), Err(EndDateError::Past));
        for garbage in [
            "tomorrow",
            "2026-13-01",
            "31.12.2026",
            "2026-12-31\0",
            "+262143-12-31",
        ] {
            assert_eq!(
                grant_end(garbage, zone, now),
                Err(EndDateError::NotADate),
                "{garbage}"
            );
        }
    }

    #[test]
    fn terms_expire_at_their_end() {
        let now = Utc::now();
        let terms = GrantTerms {
            rights: GrantRights::ALL,
            ends: Some(now),
        };
        assert!(terms.expired(now));
        assert!(!GrantTerms::default().expired(now));
    }

    fn any_rights() -> impl Strategy<Value = GrantRights> {
        (0u8..8).prop_map(GrantRights)
    }

    proptest! {
        /// Printing and parsing give the same rights back, and so do the store's bits.
        #[test]
        fn rights_round_trip(rights in any_rights()) {
            prop_assert_eq!(GrantRights::parse(&rights.to_string()), Ok(rights));
            prop_assert_eq!(GrantRights::from_bits(rights.bits().into()), Some(rights));
        }

        /// Parsing never panics, and whatever it accepts prints as names it accepts again.
        #[test]
        fn parsing_any_text_is_safe(raw in ".{0,40}") {
            if let Ok(rights) = GrantRights::parse(&raw) {
                prop_assert_eq!(GrantRights::parse(&rights.to_string()), Ok(rights));
            }
        }

        /// A grant allows an action only if all rights do, and seeing always.
        #[test]
        fn fewer_rights_never_allow_more(a in any_rights(), b in any_rights()) {
            let both = GrantRights(a.0 & b.0);
            for right in GrantRight::ALL {
                let action = right.action();
                prop_assert!(!both.allows(action) || (a.allows(action) && b.allows(action)));
            }
            prop_assert!(both.allows(Action::ViewInstallation));
        }
    }
}
