//! The rules of the Zaptec-compatible REST API: installation updates (available current, capped at
//! the maximum, a negative value clears the override), the charger operation mode a connector's OCPP
//! status stands for, and which command a charger's state allows (Zaptec's "command validation").

use crate::settings::{Amperes, AvailableCurrent, InstallationSettings, Phases};

/// `POST /api/installation/{id}/update` as sent (keys already matched case-insensitively).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct InstallationUpdate {
    pub available_current: Option<f64>,
    pub phases: [Option<f64>; 3],
    pub max_current: Option<f64>,
}

/// Why an update was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpdateRefused {
    /// The values do not make sense (400, code 529).
    #[error("{0}")]
    Invalid(String),
    /// Only the installation's owners and admins change `MaxCurrent` (403).
    #[error("Only the installation's owners and administrators may change MaxCurrent.")]
    MaxCurrentForbidden,
}

fn amperes(value: f64, max: Amperes) -> Result<Amperes, UpdateRefused> {
    let capped = if value.is_finite() {
        value.min(max.get())
    } else {
        value
    };
    Amperes::new(capped).map_err(|e| UpdateRefused::Invalid(format!("{e} (got {value})")))
}

impl InstallationUpdate {
    /// The settings after the update: `MaxCurrent` first (owners and admins only), then the available
    /// current, all phases alike or all three phases, each capped at the maximum; a negative value
    /// clears the override (the whole maximum is available again). Sending both forms is refused.
    pub fn apply(
        &self,
        current: &InstallationSettings,
        may_change_max: bool,
    ) -> Result<InstallationSettings, UpdateRefused> {
        let mut next = *current;
        if let Some(max) = self.max_current {
            if !may_change_max {
                return Err(UpdateRefused::MaxCurrentForbidden);
            }
            next.max_current = Amperes::new(max)
                .map_err(|e| UpdateRefused::Invalid(format!("MaxCurrent: {e}")))?;
        }
        let max = next.max_current;
        let any_phase = self.phases.iter().any(Option::is_some);
        next.available_current = match (self.available_current, self.phases) {
            (Some(_), _) if any_phase => {
                return Err(UpdateRefused::Invalid(
                    "Send AvailableCurrent or AvailableCurrentPhase1..3, not both.".into(),
                ))
            }
            (Some(all), _) if all < 0.0 => AvailableCurrent::AllPhases(max),
            (Some(all), _) => AvailableCurrent::AllPhases(amperes(all, max)?),
            (None, [Some(p1), Some(p2), Some(p3)]) => {
                if p1 < 0.0 || p2 < 0.0 || p3 < 0.0 {
                    AvailableCurrent::AllPhases(max)
                } else {
                    AvailableCurrent::PerPhase([
                        amperes(p1, max)?,
                        amperes(p2, max)?,
                        amperes(p3, max)?,
                    ])
                }
            }
            (None, _) if any_phase => {
                return Err(UpdateRefused::Invalid(
                    "Send all three of AvailableCurrentPhase1, 2 and 3.".into(),
                ))
            }
            // Only the maximum changed: what was available stays, within the new maximum.
            (None, _) => match current.available_current {
                AvailableCurrent::AllPhases(a) => AvailableCurrent::AllPhases(min(a, max)),
                AvailableCurrent::PerPhase(p) => {
                    AvailableCurrent::PerPhase([min(p[0], max), min(p[1], max), min(p[2], max)])
                }
            },
        };
        Ok(next)
    }
}

fn min(a: Amperes, b: Amperes) -> Amperes {
    if a.get() <= b.get() {
        a
    } else {
        b
    }
}

/// Zaptec's `ChargerOperationMode` (observation 710).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationMode {
    Unknown = 0,
    Disconnected = 1,
    ConnectedRequesting = 2,
    ConnectedCharging = 3,
    ConnectedFinished = 5,
}

impl OperationMode {
    /// The mode an OCPP connector status stands for; a session paused from the cloud is
    /// "finished" with its final stop active (observation 718).
    pub fn of(status: Option<&str>, paused: bool) -> Self {
        match status {
            _ if paused => Self::ConnectedFinished,
            Some("Available") | Some("Reserved") => Self::Disconnected,
            Some("Preparing") => Self::ConnectedRequesting,
            Some("Charging") | Some("SuspendedEV") | Some("SuspendedEVSE") => {
                Self::ConnectedCharging
            }
            Some("Finishing") => Self::ConnectedFinished,
            _ => Self::Unknown,
        }
    }
}

/// The commands of `sendCommand` voltgate carries out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZaptecCommand {
    RestartCharger = 102,
    StartCharging = 501,
    StopCharging = 502,
    StopChargingFinal = 506,
    ResumeCharging = 507,
    UnlockConnector = 708,
    DeauthorizeAndStop = 10001,
}

impl ZaptecCommand {
    /// Every command with its name as `/api/constants` lists it.
    pub const ALL: [(&'static str, ZaptecCommand); 7] = [
        ("RestartCharger", Self::RestartCharger),
        ("StartCharging", Self::StartCharging),
        ("StopCharging", Self::StopCharging),
        ("StopChargingFinal", Self::StopChargingFinal),
        ("ResumeCharging", Self::ResumeCharging),
        ("UnlockConnector", Self::UnlockConnector),
        ("DeauthorizeAndStop", Self::DeauthorizeAndStop),
    ];

    /// The command with this id, if voltgate knows it.
    pub fn from_id(id: i64) -> Option<Self> {
        Self::ALL
            .iter()
            .map(|(_, command)| *command)
            .find(|command| *command as i64 == id)
    }

    /// Whether the charger's state allows the command, as Zaptec validates it; the refusal says why.
    /// `running` is whether a charging session is open on the connector.
    pub fn allowed(self, mode: OperationMode, running: bool) -> Result<(), &'static str> {
        use OperationMode::*;
        match self {
            Self::RestartCharger | Self::DeauthorizeAndStop => Ok(()),
            Self::StopChargingFinal if mode == ConnectedFinished => {
                Err("Charging is already paused; StopChargingFinal cannot be sent")
            }
            Self::StopChargingFinal if mode != ConnectedCharging || !running => {
                Err("Charging is not in progress; StopChargingFinal cannot be sent")
            }
            Self::ResumeCharging if mode != ConnectedFinished || !running => {
                Err("Charging is not Paused nor Scheduled; Resume command cannot be sent")
            }
            Self::StartCharging if running => {
                Err("A session is already running; StartCharging cannot be sent")
            }
            Self::StartCharging if mode != ConnectedRequesting => {
                Err("No car is waiting to charge; StartCharging cannot be sent")
            }
            Self::StopCharging if !running => {
                Err("Nothing is charging; StopCharging cannot be sent")
            }
            Self::UnlockConnector if mode == ConnectedCharging => {
                Err("The charger is charging; stop charging before unlocking")
            }
            _ => Ok(()),
        }
    }
}

/// The most a charger takes per phase (A), as Zaptec's chargers do.
pub const CHARGER_MAX_AMPERES: f64 = 32.0;

/// `POST /api/chargers/{id}/update` as sent (keys already matched case-insensitively).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChargerUpdate {
    pub max_charge_current: Option<f64>,
    pub min_charge_current: Option<f64>,
    pub max_charge_phases: Option<i64>,
    pub offline_charge_current: Option<f64>,
    pub offline_charge_phase: Option<i64>,
    pub meter_value_interval: Option<i64>,
}

/// A charger's own limits, checked: what the update asks for, each `None` when not sent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChargerLimits {
    /// The most the charger may draw per phase; 0 stops charging.
    pub max_current: Option<Amperes>,
    /// The least it charges with when it charges at all; 0 for no minimum.
    pub min_current: Option<Amperes>,
    /// 1 or 3.
    pub max_phases: Option<Phases>,
    /// What it may draw while it cannot reach the service; `None` inside means automatic (Zaptec's −1).
    pub offline_current: Option<Option<Amperes>>,
    /// The phases it charges on offline; `None` inside means automatic (Zaptec's 0).
    pub offline_phases: Option<Option<Phases>>,
    /// Seconds between meter values; 0 turns them off.
    pub meter_value_interval: Option<u32>,
}

impl ChargerLimits {
    /// Whether a current limit (one that goes to the charger as a charging profile) was asked for.
    pub fn changes_profile(&self) -> bool {
        self.max_current.is_some() || self.min_current.is_some() || self.max_phases.is_some()
    }
}

/// A charger current: 0 (none) or 6–32 A.
fn charger_amperes(field: &str, value: f64) -> Result<Amperes, UpdateRefused> {
    let valid =
        value == 0.0 || (crate::balancing::MIN_CURRENT..=CHARGER_MAX_AMPERES).contains(&value);
    if !valid {
        return Err(UpdateRefused::Invalid(format!(
            "{field} must be 0 or 6 to 32 A (got {value})."
        )));
    }
    Amperes::new(value).map_err(|e| UpdateRefused::Invalid(format!("{field}: {e}")))
}

fn phases(field: &str, value: i64) -> Result<Phases, UpdateRefused> {
    Phases::from_count(value)
        .ok_or_else(|| UpdateRefused::Invalid(format!("{field} must be 1 or 3 (got {value}).")))
}

impl ChargerUpdate {
    /// Checks every value: currents 0 or 6–32 A (offline −1 for automatic), phases 1 or 3 (offline 0
    /// for automatic), a minimum not above the maximum, a meter value interval of 0 to 86400 s.
    pub fn check(&self) -> Result<ChargerLimits, UpdateRefused> {
        let max_current = self
            .max_charge_current
            .map(|v| charger_amperes("maxChargeCurrent", v))
            .transpose()?;
        let min_current = self
            .min_charge_current
            .map(|v| charger_amperes("minChargeCurrent", v))
            .transpose()?;
        if let (Some(min), Some(max)) = (min_current, max_current) {
            if max.get() > 0.0 && min > max {
                return Err(UpdateRefused::Invalid(
                    "minChargeCurrent must not exceed maxChargeCurrent.".into(),
                ));
            }
        }
        let max_phases = self
            .max_charge_phases
            .map(|v| phases("maxChargePhases", v))
            .transpose()?;
        let offline_current = match self.offline_charge_current {
            None => None,
            Some(-1.0) => Some(None),
            Some(v) => Some(Some(charger_amperes("offlineChargeCurrent", v)?)),
        };
        let offline_phases = match self.offline_charge_phase {
            None => None,
            Some(0) => Some(None),
            Some(v) => Some(Some(phases("offlineChargePhase", v)?)),
        };
        let meter_value_interval =
            match self.meter_value_interval {
                None => None,
                Some(v) => Some(u32::try_from(v).ok().filter(|v| *v <= 86_400).ok_or_else(
                    || {
                        UpdateRefused::Invalid(
                            "meterValueInterval must be 0 to 86400 seconds.".into(),
                        )
                    },
                )?),
            };
        Ok(ChargerLimits {
            max_current,
            min_current,
            max_phases,
            offline_current,
            offline_phases,
            meter_value_interval,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Phases;

    fn settings(max: f64) -> InstallationSettings {
        let max = Amperes::new(max).unwrap();
        InstallationSettings {
            max_current: max,
            available_current: AvailableCurrent::AllPhases(max),
            authentication_required: false,
            phases: Phases::Three,
        }
    }

    fn a(value: f64) -> Amperes {
        Amperes::new(value).unwrap()
    }

    #[test]
    fn available_current_is_capped_and_a_negative_value_clears_it() {
        let current = settings(32.0);
        let set = |available| InstallationUpdate {
            available_current: Some(available),
            ..Default::default()
        };
        let low = set(10.0).apply(&current, false).unwrap();
        assert_eq!(low.available_current, AvailableCurrent::AllPhases(a(10.0)));
        let capped = set(80.0).apply(&current, false).unwrap();
        assert_eq!(
            capped.available_current,
            AvailableCurrent::AllPhases(a(32.0))
        );
        let cleared = set(-1.0).apply(&low, false).unwrap();
        assert_eq!(
            cleared.available_current,
            AvailableCurrent::AllPhases(a(32.0))
        );
        assert!(set(f64::NAN).apply(&current, false).is_err());
    }

    #[test]
    fn phases_come_all_three_and_never_with_the_total() {
        let current = settings(32.0);
        let phases = InstallationUpdate {
            phases: [Some(10.0), Some(0.0), Some(40.0)],
            ..Default::default()
        };
        let next = phases.apply(&current, false).unwrap();
        assert_eq!(
            next.available_current,
            AvailableCurrent::PerPhase([a(10.0), a(0.0), a(32.0)])
        );
        let partial = InstallationUpdate {
            phases: [Some(10.0), None, None],
            ..Default::default()
        };
        assert!(matches!(
            partial.apply(&current, false),
            Err(UpdateRefused::Invalid(_))
        ));
        let both = InstallationUpdate {
            available_current: Some(10.0),
            ..phases
        };
        assert!(matches!(
            both.apply(&current, false),
            Err(UpdateRefused::Invalid(_))
        ));
    }

    #[test]
    fn max_current_is_for_owners_and_admins_and_shrinks_what_is_available() {
        let current = settings(32.0);
        let max = InstallationUpdate {
            max_current: Some(20.0),
            ..Default::default()
        };
        assert_eq!(
            max.apply(&current, false),
            Err(UpdateRefused::MaxCurrentForbidden)
        );
        let next = max.apply(&current, true).unwrap();
        assert_eq!(next.max_current, a(20.0));
        assert_eq!(next.available_current, AvailableCurrent::AllPhases(a(20.0)));
    }

    #[test]
    fn commands_are_validated_against_the_state() {
        use OperationMode::*;
        use ZaptecCommand::*;
        assert!(StopChargingFinal.allowed(ConnectedCharging, true).is_ok());
        assert!(StopChargingFinal.allowed(ConnectedFinished, true).is_err());
        assert!(StopChargingFinal.allowed(Disconnected, false).is_err());
        assert!(ResumeCharging.allowed(ConnectedFinished, true).is_ok());
        assert!(ResumeCharging.allowed(ConnectedCharging, true).is_err());
        assert!(StartCharging.allowed(ConnectedRequesting, false).is_ok());
        assert!(StartCharging.allowed(Disconnected, false).is_err());
        assert!(StopCharging.allowed(Disconnected, false).is_err());
        assert!(RestartCharger.allowed(Unknown, false).is_ok());
        assert!(DeauthorizeAndStop.allowed(Disconnected, false).is_ok());
        assert!(UnlockConnector.allowed(ConnectedCharging, true).is_err());
        assert_eq!(ZaptecCommand::from_id(506), Some(StopChargingFinal));
        assert_eq!(ZaptecCommand::from_id(200), None);
    }

    #[test]
    fn connector_statuses_map_to_operation_modes() {
        assert_eq!(
            OperationMode::of(Some("Charging"), false),
            OperationMode::ConnectedCharging
        );
        assert_eq!(
            OperationMode::of(Some("Charging"), true),
            OperationMode::ConnectedFinished
        );
        assert_eq!(
            OperationMode::of(Some("Available"), false),
            OperationMode::Disconnected
        );
        assert_eq!(OperationMode::of(None, false), OperationMode::Unknown);
    }

    fn charger(update: ChargerUpdate) -> Result<ChargerLimits, UpdateRefused> {
        update.check()
    }

    #[test]
    fn charger_currents_are_0_or_6_to_32_amperes() {
        for ok in [0.0, 6.0, 16.5, 32.0] {
            let update = ChargerUpdate {
                max_charge_current: Some(ok),
                ..Default::default()
            };
            assert_eq!(charger(update).unwrap().max_current.unwrap().get(), ok);
        }
        for bad in [-1.0, 3.0, 5.9, 32.1, 100.0, f64::NAN, f64::INFINITY] {
            let update = ChargerUpdate {
                max_charge_current: Some(bad),
                ..Default::default()
            };
            assert!(
                matches!(charger(update), Err(UpdateRefused::Invalid(_))),
                "{bad}"
            );
            let update = ChargerUpdate {
                min_charge_current: Some(bad),
                ..Default::default()
            };
            assert!(charger(update).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_minimum_does_not_exceed_the_maximum() {
        let update = ChargerUpdate {
            max_charge_current: Some(10.0),
            min_charge_current: Some(16.0),
            ..Default::default()
        };
        assert!(charger(update).is_err());
        let update = ChargerUpdate {
            max_charge_current: Some(16.0),
            min_charge_current: Some(10.0),
            ..Default::default()
        };
        let limits = charger(update).unwrap();
        assert!(limits.changes_profile());
        assert_eq!(limits.min_current.unwrap().get(), 10.0);
    }

    #[test]
    fn phases_are_1_or_3_and_offline_values_may_be_automatic() {
        for (value, expected) in [(1, Phases::One), (3, Phases::Three)] {
            let update = ChargerUpdate {
                max_charge_phases: Some(value),
                ..Default::default()
            };
            assert_eq!(charger(update).unwrap().max_phases, Some(expected));
        }
        for bad in [0, 2, 4, -1] {
            let update = ChargerUpdate {
                max_charge_phases: Some(bad),
                ..Default::default()
            };
            assert!(charger(update).is_err(), "{bad}");
        }
        let automatic = ChargerUpdate {
            offline_charge_current: Some(-1.0),
            offline_charge_phase: Some(0),
            ..Default::default()
        };
        let limits = charger(automatic).unwrap();
        assert_eq!(
            (limits.offline_current, limits.offline_phases),
            (Some(None), Some(None))
        );
        assert!(!limits.changes_profile());
        let set = ChargerUpdate {
            offline_charge_current: Some(10.0),
            offline_charge_phase: Some(1),
            ..Default::default()
        };
        let limits = charger(set).unwrap();
        assert_eq!(limits.offline_phases, Some(Some(Phases::One)));
        assert_eq!(limits.offline_current.unwrap().unwrap().get(), 10.0);
        for bad in [
            ChargerUpdate {
                offline_charge_current: Some(-2.0),
                ..Default::default()
            },
            ChargerUpdate {
                offline_charge_current: Some(40.0),
                ..Default::default()
            },
            ChargerUpdate {
                offline_charge_phase: Some(2),
                ..Default::default()
            },
            ChargerUpdate {
                meter_value_interval: Some(-1),
                ..Default::default()
            },
            ChargerUpdate {
                meter_value_interval: Some(86_401),
                ..Default::default()
            },
        ] {
            assert!(charger(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            charger(ChargerUpdate::default()).unwrap(),
            ChargerLimits::default()
        );
    }
}
