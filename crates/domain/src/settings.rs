//! Installation settings and their rules: currents within bounds, available current never above the
//! installation's maximum.

use std::fmt;

use serde::Deserialize;

use crate::message::Message;
use crate::validation::ValidationErrors;

/// Why a current was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CurrentError {
    #[error("Enter a number of amperes, such as 16 or 16.5.")]
    NotANumber,
    #[error("Must be between 0 and {} A.", Amperes::MAX)]
    OutOfRange,
    #[error("Must not exceed the maximum current ({0} A).")]
    AboveMax(Amperes),
}

/// An electric current in amperes, 0–1000 A, at most one decimal kept.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Amperes(f64);

impl Amperes {
    /// No current at all.
    pub const ZERO: Amperes = Amperes(0.0);

    /// The largest current an installation may have.
    pub const MAX: f64 = 1000.0;

    /// Checks a value: finite, within 0–1000; rounded to 0.1 A.
    pub fn new(value: f64) -> Result<Self, CurrentError> {
        if !value.is_finite() {
            return Err(CurrentError::NotANumber);
        }
        if !(0.0..=Self::MAX).contains(&value) {
            return Err(CurrentError::OutOfRange);
        }
        Ok(Self((value * 10.0).round() / 10.0))
    }

    /// Parses what a person typed (`16`, `16.5`, `16,5`).
    pub fn parse(raw: &str) -> Result<Self, CurrentError> {
        let value: f64 = raw
            .trim()
            .replace(',', ".")
            .parse()
            .map_err(|_| CurrentError::NotANumber)?;
        Self::new(value)
    }

    /// The value in amperes.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Amperes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.fract() == 0.0 {
            write!(f, "{:.0}", self.0)
        } else {
            write!(f, "{:.1}", self.0)
        }
    }
}

/// How many phases the installation's supply network has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phases {
    /// Single-phase supply.
    One,
    /// Three-phase supply.
    Three,
}

impl Phases {
    /// 1 or 3.
    pub fn count(self) -> i32 {
        match self {
            Self::One => 1,
            Self::Three => 3,
        }
    }

    /// From a stored or typed count.
    pub fn from_count(count: i64) -> Option<Self> {
        match count {
            1 => Some(Self::One),
            3 => Some(Self::Three),
            _ => None,
        }
    }
}

/// The current the installation may draw, for all phases alike or per phase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AvailableCurrent {
    /// The same limit on every phase.
    AllPhases(Amperes),
    /// A limit for phase 1, 2 and 3.
    PerPhase([Amperes; 3]),
}

impl AvailableCurrent {
    /// The limit of each phase.
    pub fn phases(&self) -> [Amperes; 3] {
        match *self {
            Self::AllPhases(a) => [a; 3],
            Self::PerPhase(p) => p,
        }
    }
}

/// An installation's settings, all rules satisfied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstallationSettings {
    /// The most the installation's fuse allows.
    pub max_current: Amperes,
    /// What the chargers may share now.
    pub available_current: AvailableCurrent,
    /// Whether charging needs an authorised RFID token or user.
    pub authentication_required: bool,
    /// The supply network's phases.
    pub phases: Phases,
}

impl Default for InstallationSettings {
    /// A new installation: 32 A on three phases, all of it available, no authentication.
    fn default() -> Self {
        let max = Amperes(32.0);
        Self {
            max_current: max,
            available_current: AvailableCurrent::AllPhases(max),
            authentication_required: false,
            phases: Phases::Three,
        }
    }
}

/// The settings form as submitted: every field a string, checked by [`InstallationSettings::from_input`].
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SettingsInput {
    #[serde(default)]
    pub max_current: String,
    /// `all` or `per_phase`.
    #[serde(default)]
    pub available_mode: String,
    #[serde(default)]
    pub available_current: String,
    #[serde(default)]
    pub available_current_phase1: String,
    #[serde(default)]
    pub available_current_phase2: String,
    #[serde(default)]
    pub available_current_phase3: String,
    /// A checkbox: absent means no.
    #[serde(default)]
    pub authentication_required: Option<String>,
    /// `1` or `3`.
    #[serde(default)]
    pub phases: String,
}

fn parse_flag(raw: Option<&str>) -> Result<bool, Message> {
    match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("false") | Some("no") | Some("off") | Some("0") => Ok(false),
        Some("true") | Some("yes") | Some("on") | Some("1") => Ok(true),
        Some(_) => Err(Message::new("err-yes-no")),
    }
}

fn at_most(max: Option<Amperes>, value: Amperes) -> Result<Amperes, CurrentError> {
    match max {
        Some(max) if value > max => Err(CurrentError::AboveMax(max)),
        _ => Ok(value),
    }
}

impl InstallationSettings {
    /// Checks a submitted form; every problem is reported against its field.
    pub fn from_input(input: &SettingsInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let max = errors.check("max_current", Amperes::parse(&input.max_current));
        let limit = |raw: &str| Amperes::parse(raw).and_then(|a| at_most(max, a));
        let available = match input.available_mode.as_str() {
            "" | "all" => errors
                .check("available_current", limit(&input.available_current))
                .map(AvailableCurrent::AllPhases),
            "per_phase" => {
                let p1 = errors.check(
                    "available_current_phase1",
                    limit(&input.available_current_phase1),
                );
                let p2 = errors.check(
                    "available_current_phase2",
                    limit(&input.available_current_phase2),
                );
                let p3 = errors.check(
                    "available_current_phase3",
                    limit(&input.available_current_phase3),
                );
                match (p1, p2, p3) {
                    (Some(p1), Some(p2), Some(p3)) => {
                        Some(AvailableCurrent::PerPhase([p1, p2, p3]))
                    }
                    _ => None,
                }
            }
            _ => {
                errors.add("available_mode", Message::new("err-available-mode"));
                None
            }
        };
        let authentication_required = errors.check(
            "authentication_required",
            parse_flag(input.authentication_required.as_deref()),
        );
        let phases = errors.check(
            "phases",
            input
                .phases
                .trim()
                .parse()
                .ok()
                .and_then(Phases::from_count)
                .ok_or(Message::new("err-phases")),
        );
        match (max, available, authentication_required, phases) {
            (
                Some(max_current),
                Some(available_current),
                Some(authentication_required),
                Some(phases),
            ) if errors.is_empty() => Ok(Self {
                max_current,
                available_current,
                authentication_required,
                phases,
            }),
            _ => Err(errors),
        }
    }
}

impl InstallationSettings {
    /// Checks a change from `current` to these settings by someone who may (`may_change_max`) or may
    /// not change the maximum current: that is the circuit's rating, decided by the installation's
    /// owners and admins only (the REST API's `MaxCurrent` rule); partners change what is available.
    pub fn change_allowed(
        &self,
        current: &Self,
        may_change_max: bool,
    ) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.max_current != current.max_current && !may_change_max {
            errors.add("max_current", Message::new("err-max-current-owners"));
        }
        errors.into_result(|| ())
    }
}

/// The least current a car needs to charge (IEC 61851).
pub const MIN_CHARGING_CURRENT: f64 = 6.0;

/// The lowest phase's available current when it cannot give each of `charging` connectors the 6 A a
/// car needs, so some will pause; `None` when it can.
pub fn too_little_for(available: &AvailableCurrent, charging: usize) -> Option<Amperes> {
    let lowest = available
        .phases()
        .into_iter()
        .min_by(|a, b| a.get().total_cmp(&b.get()))?;
    (charging > 0 && lowest.get() < MIN_CHARGING_CURRENT * charging as f64).then_some(lowest)
}

impl crate::message::Coded for CurrentError {
    fn message(&self) -> crate::message::Message {
        use crate::message::Message;
        match self {
            Self::NotANumber => Message::new("err-amperes"),
            Self::OutOfRange => Message::new("err-amperes-range").arg("max", Amperes::MAX),
            Self::AboveMax(max) => Message::new("err-amperes-above").arg("max", max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input(max: &str, available: &str) -> SettingsInput {
        SettingsInput {
            max_current: max.into(),
            available_mode: "all".into(),
            available_current: available.into(),
            phases: "3".into(),
            ..SettingsInput::default()
        }
    }

    #[test]
    fn accepts_valid_settings() {
        let settings = InstallationSettings::from_input(&input("40", "25,5")).unwrap();
        assert_eq!(settings.max_current.get(), 40.0);
        assert_eq!(settings.available_current.phases()[2].get(), 25.5);
        assert!(!settings.authentication_required);
    }

    #[test]
    fn refuses_out_of_range_currents() {
        let errors = InstallationSettings::from_input(&input("1001", "10")).unwrap_err();
        assert_eq!(
            errors.get("max_current"),
            Some(&Message::new("err-amperes-range").arg("max", 1000))
        );
        let errors = InstallationSettings::from_input(&input("-1", "10")).unwrap_err();
        assert!(errors.get("max_current").is_some());
        let errors = InstallationSettings::from_input(&input("NaN", "10")).unwrap_err();
        assert!(errors.get("max_current").is_some());
        let errors = InstallationSettings::from_input(&input("inf", "10")).unwrap_err();
        assert!(errors.get("max_current").is_some());
    }

    #[test]
    fn available_current_cannot_exceed_max() {
        let errors = InstallationSettings::from_input(&input("16", "20")).unwrap_err();
        assert_eq!(
            errors.get("available_current"),
            Some(&Message::new("err-amperes-above").arg("max", 16))
        );
    }

    #[test]
    fn per_phase_limits_are_checked_each() {
        let mut form = input("32", "");
        form.available_mode = "per_phase".into();
        form.available_current_phase1 = "10".into();
        form.available_current_phase2 = "40".into();
        form.available_current_phase3 = "x".into();
        let errors = InstallationSettings::from_input(&form).unwrap_err();
        assert!(errors.get("available_current_phase1").is_none());
        assert!(errors.get("available_current_phase2").is_some());
        assert!(errors.get("available_current_phase3").is_some());
        form.available_current_phase2 = "20".into();
        form.available_current_phase3 = "0".into();
        let settings = InstallationSettings::from_input(&form).unwrap();
        assert_eq!(
            settings.available_current.phases().map(Amperes::get),
            [10.0, 20.0, 0.0]
        );
    }

    #[test]
    fn phases_and_flag_words() {
        let mut form = input("32", "16");
        form.phases = "2".into();
        form.authentication_required = Some("maybe".into());
        let errors = InstallationSettings::from_input(&form).unwrap_err();
        assert!(errors.get("phases").is_some());
        assert!(errors.get("authentication_required").is_some());
        form.phases = "1".into();
        form.authentication_required = Some("on".into());
        let settings = InstallationSettings::from_input(&form).unwrap();
        assert_eq!(settings.phases, Phases::One);
        assert!(settings.authentication_required);
    }

    proptest! {
        #[test]
        fn accepted_settings_respect_every_bound(max in -10.0f64..1100.0, avail in -10.0f64..1100.0) {
            if let Ok(s) = InstallationSettings::from_input(&input(&max.to_string(), &avail.to_string())) {
                prop_assert!((0.0..=1000.0).contains(&s.max_current.get()));
                for phase in s.available_current.phases() {
                    prop_assert!(phase.get() >= 0.0 && phase <= s.max_current);
                }
            }
        }
    }
}

#[cfg(test)]
mod starving {
    use super::*;

    #[test]
    fn only_those_who_may_change_the_maximum_change_it() {
        let settings = |max: &str, available: &str| {
            InstallationSettings::from_input(&SettingsInput {
                max_current: max.into(),
                available_current: available.into(),
                phases: "3".into(),
                authentication_required: Some("true".into()),
                ..SettingsInput::default()
            })
            .unwrap()
        };
        let current = settings("32", "20");
        assert!(settings("32", "16").change_allowed(&current, false).is_ok());
        let raised = settings("1000", "20").change_allowed(&current, false);
        assert_eq!(
            raised.unwrap_err().get("max_current").map(|m| m.id),
            Some("err-max-current-owners")
        );
        assert!(settings("40", "20").change_allowed(&current, true).is_ok());
    }

    #[test]
    fn warns_when_six_amps_each_do_not_fit() {
        let all = |a: f64| AvailableCurrent::AllPhases(Amperes::new(a).unwrap());
        assert_eq!(too_little_for(&all(16.0), 0), None);
        assert_eq!(too_little_for(&all(16.0), 2), None);
        assert_eq!(too_little_for(&all(16.0), 3).map(Amperes::get), Some(16.0));
        let uneven = AvailableCurrent::PerPhase([
            Amperes::new(20.0).unwrap(),
            Amperes::new(10.0).unwrap(),
            Amperes::new(20.0).unwrap(),
        ]);
        assert_eq!(too_little_for(&uneven, 2).map(Amperes::get), Some(10.0));
    }
}
