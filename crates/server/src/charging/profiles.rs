//! The charging profiles voltgate sends, built in one place: the limits load balancing gives each
//! connector, shaped by what the charger says it supports.

use rust_decimal::Decimal;
use std::time::Duration;

use rust_ocpp::v1_6::messages::get_configuration::{
    GetConfigurationRequest, GetConfigurationResponse,
};
use rust_ocpp::v1_6::messages::set_charging_profile::SetChargingProfileRequest;
use rust_ocpp::v1_6::types::{
    ChargingProfile, ChargingProfileKindType, ChargingProfilePurposeType, ChargingRateUnitType,
    ChargingSchedule, ChargingSchedulePeriod,
};
use voltgate_domain::balancing::Purpose;
use voltgate_domain::settings::{Amperes, Phases};
use voltgate_ocpp::{Answer, Command, CommandError, Registry};
use voltgate_store::cluster::Capabilities;

/// The configuration keys that say what a charger supports of smart charging.
pub const CAPABILITY_KEYS: [&str; 2] = [
    "ChargeProfileMaxStackLevel",
    "ChargingScheduleAllowedChargingRateUnit",
];

/// The stack level voltgate's own profiles use when the charger allows it.
const STACK_LEVEL: u32 = 1;

/// Volts per phase, for chargers that take limits in watts only.
const VOLTS: f64 = 230.0;

/// What a charger supports of smart charging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProfileCaps {
    /// `ChargeProfileMaxStackLevel`.
    pub max_stack_level: u32,
    /// Whether `ChargingScheduleAllowedChargingRateUnit` includes `Current` (else watts).
    pub amperes: bool,
}

impl Default for ProfileCaps {
    /// What a charger that does not say supports: any stack level, amperes.
    fn default() -> Self {
        Self {
            max_stack_level: u32::MAX,
            amperes: true,
        }
    }
}

impl ProfileCaps {
    /// Reads the capabilities from a GetConfiguration answer; keys it lacks keep their defaults.
    pub fn from_configuration(answer: &GetConfigurationResponse) -> Self {
        let mut caps = Self::default();
        for entry in answer.configuration_key.iter().flatten() {
            let value = entry.value.as_deref().unwrap_or_default();
            match entry.key.as_str() {
                "ChargeProfileMaxStackLevel" => {
                    if let Ok(level) = value.trim().parse() {
                        caps.max_stack_level = level;
                    }
                }
                "ChargingScheduleAllowedChargingRateUnit" => {
                    let units: Vec<String> = value
                        .split(',')
                        .map(|unit| unit.trim().to_ascii_lowercase())
                        .collect();
                    caps.amperes = units
                        .iter()
                        .any(|unit| unit == "current" || unit == "a" || unit.is_empty());
                }
                _ => {}
            }
        }
        caps
    }
}

impl From<ProfileCaps> for Capabilities {
    fn from(caps: ProfileCaps) -> Self {
        Self {
            max_stack_level: i64::from(caps.max_stack_level),
            amperes: caps.amperes,
        }
    }
}

impl From<Capabilities> for ProfileCaps {
    /// A stored stack level outside `u32` (none is written) reads as "any".
    fn from(stored: Capabilities) -> Self {
        Self {
            max_stack_level: u32::try_from(stored.max_stack_level).unwrap_or(u32::MAX),
            amperes: stored.amperes,
        }
    }
}

/// Asks a charger connected to this process what it supports of smart charging. A charger that
/// refuses the question or answers it badly supports what one that does not say supports; `None`
/// when its connection ended first.
pub async fn ask(registry: &Registry, identity: &str, timeout: Duration) -> Option<ProfileCaps> {
    let question = Command::GetConfiguration(GetConfigurationRequest {
        key: Some(CAPABILITY_KEYS.iter().map(|k| k.to_string()).collect()),
    });
    match registry.call(identity, question, timeout).await {
        Ok(Answer::GetConfiguration(answer)) => Some(ProfileCaps::from_configuration(&answer)),
        Err(
            CommandError::Offline
            | CommandError::Disconnected
            | CommandError::Replaced
            | CommandError::Dropped,
        ) => None,
        // Refused, a bad answer, or none in time: limits go in the unit every charger takes.
        Ok(_) | Err(_) => Some(ProfileCaps::default()),
    }
}

/// The profile id of a connector's limit: one per connector and purpose, so a new limit replaces the
/// old one.
pub fn profile_id(purpose: Purpose, connector: u32) -> i32 {
    let base = match purpose {
        Purpose::Default => 1000,
        Purpose::Tx => 2000,
    };
    base + connector.min(999) as i32
}

fn decimal(value: f64) -> Decimal {
    Decimal::from_f64_retain((value * 10.0).round() / 10.0).unwrap_or_default()
}

/// The SetChargingProfile that gives `connector` the limit `limit` (for the session `transaction`
/// when `purpose` is Tx), in the unit and at the stack level the charger supports.
pub fn limit(
    purpose: Purpose,
    connector: u32,
    transaction: Option<i32>,
    limit: Amperes,
    caps: ProfileCaps,
    phases: Phases,
) -> SetChargingProfileRequest {
    let (unit, value) = if caps.amperes {
        (ChargingRateUnitType::A, limit.get())
    } else {
        (
            ChargingRateUnitType::W,
            (limit.get() * VOLTS * f64::from(phases.count())).round(),
        )
    };
    let (purpose_type, transaction_id) = match purpose {
        Purpose::Default => (ChargingProfilePurposeType::TxDefaultProfile, None),
        Purpose::Tx => (ChargingProfilePurposeType::TxProfile, transaction),
    };
    SetChargingProfileRequest {
        connector_id: connector as i32,
        cs_charging_profiles: ChargingProfile {
            charging_profile_id: profile_id(purpose, connector),
            transaction_id,
            stack_level: STACK_LEVEL.min(caps.max_stack_level),
            charging_profile_purpose: purpose_type,
            charging_profile_kind: ChargingProfileKindType::Relative,
            recurrency_kind: None,
            valid_from: None,
            valid_to: None,
            charging_schedule: ChargingSchedule {
                duration: None,
                start_schedule: None,
                charging_rate_unit: unit,
                charging_schedule_period: vec![ChargingSchedulePeriod {
                    start_period: 0,
                    limit: decimal(value),
                    number_phases: None,
                }],
                min_charging_rate: None,
            },
        },
    }
}

/// The profile id of the charger-wide limit set through the API.
pub const CHARGE_POINT_MAX_ID: i32 = 900;

/// The ChargePointMaxProfile (connector 0, stack level 0, amperes) that caps the whole charger at
/// `max` per phase, on `phases` phases when given, never charging below `min` when given: how
/// Zaptec's `maxChargeCurrent`, `maxChargePhases` and `minChargeCurrent` reach an OCPP 1.6 charger.
/// Load balancing's own limits stay below it.
pub fn charge_point_max(
    max: Amperes,
    min: Option<Amperes>,
    phases: Option<Phases>,
) -> SetChargingProfileRequest {
    SetChargingProfileRequest {
        connector_id: 0,
        cs_charging_profiles: ChargingProfile {
            charging_profile_id: CHARGE_POINT_MAX_ID,
            transaction_id: None,
            stack_level: 0,
            charging_profile_purpose: ChargingProfilePurposeType::ChargePointMaxProfile,
            charging_profile_kind: ChargingProfileKindType::Relative,
            recurrency_kind: None,
            valid_from: None,
            valid_to: None,
            charging_schedule: ChargingSchedule {
                duration: None,
                start_schedule: None,
                charging_rate_unit: ChargingRateUnitType::A,
                charging_schedule_period: vec![ChargingSchedulePeriod {
                    start_period: 0,
                    limit: decimal(max.get()),
                    number_phases: phases.map(Phases::count),
                }],
                min_charging_rate: min.map(|min| decimal(min.get())),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_ocpp::v1_6::types::KeyValue;
    use serde_json::json;

    fn caps(stack: &str, units: &str) -> ProfileCaps {
        let key = |key: &str, value: &str| KeyValue {
            key: key.into(),
            readonly: true,
            value: Some(value.into()),
        };
        ProfileCaps::from_configuration(&GetConfigurationResponse {
            configuration_key: Some(vec![
                key("ChargeProfileMaxStackLevel", stack),
                key("ChargingScheduleAllowedChargingRateUnit", units),
            ]),
            unknown_key: None,
        })
    }

    #[test]
    fn limits_follow_what_the_charger_supports() {
        let amps = Amperes::new(16.0).unwrap();
        let sent = limit(
            Purpose::Tx,
            2,
            Some(7),
            amps,
            caps("10", "Current"),
            Phases::Three,
        );
        assert_eq!(
            serde_json::to_value(&sent).unwrap(),
            json!({"connectorId": 2, "csChargingProfiles": {"chargingProfileId": 2002, "transactionId": 7,
                "stackLevel": 1, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
                "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}})
        );
        let watts = limit(
            Purpose::Default,
            1,
            None,
            amps,
            caps("0", "Power"),
            Phases::Three,
        );
        let profile = &watts.cs_charging_profiles;
        assert_eq!(profile.stack_level, 0, "clamped to the charger's maximum");
        assert_eq!(
            profile.charging_schedule.charging_rate_unit,
            ChargingRateUnitType::W
        );
        assert_eq!(
            profile.charging_schedule.charging_schedule_period[0].limit,
            decimal(11040.0)
        );
        assert_eq!(profile.transaction_id, None);
        assert!(caps("x", "A,W").amperes && caps("3", "Current,Power").max_stack_level == 3);
    }

    #[test]
    fn the_charger_wide_limit_is_a_charge_point_max_profile() {
        let sent = charge_point_max(
            Amperes::new(16.0).unwrap(),
            Some(Amperes::new(8.0).unwrap()),
            Some(Phases::One),
        );
        assert_eq!(
            serde_json::to_value(&sent).unwrap(),
            json!({"connectorId": 0, "csChargingProfiles": {"chargingProfileId": 900, "stackLevel": 0,
                "chargingProfilePurpose": "ChargePointMaxProfile", "chargingProfileKind": "Relative",
                "chargingSchedule": {"chargingRateUnit": "A", "minChargingRate": 8,
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16, "numberPhases": 1}]}}})
        );
    }
}
