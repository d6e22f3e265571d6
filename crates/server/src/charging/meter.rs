//! Reading MeterValues: the energy register for the charge history, power and currents for the live view.
//! Samples that cannot be read, or whose measurand or unit voltgate does not use, are skipped.

use chrono::{DateTime, Utc};
use rust_ocpp::v1_6::types::{Measurand, Phase, UnitOfMeasure, ValueFormat};
use voltgate_domain::clock::charger_time;
use voltgate_ocpp::request::{readable, MeterValue, Reported, SampledValue};
use voltgate_store::MeterReading;

/// A sample's measurand; the register is the default.
fn measurand(sample: &SampledValue) -> Option<&Measurand> {
    match &sample.measurand {
        None => Some(&Measurand::EnergyActiveImportRegister),
        Some(reported) => reported.known(),
    }
}

/// The value in base units (Wh, W, A): kWh and kW are scaled; signed or unreadable values are skipped.
fn base_value(sample: &SampledValue) -> Option<f64> {
    if matches!(
        sample.format,
        Some(Reported::Known(ValueFormat::SignedData))
    ) {
        return None;
    }
    let value: f64 = sample
        .value
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())?;
    Some(match sample.unit {
        Some(Reported::Known(UnitOfMeasure::KWh | UnitOfMeasure::Kw)) => value * 1000.0,
        _ => value,
    })
}

/// Which of the three phases a sample is about (`L1`, `L1-N`, `L1-L2` all count as phase 1).
fn phase_index(sample: &SampledValue) -> Option<usize> {
    match sample.phase.as_ref()?.known()? {
        Phase::L1 | Phase::L1N | Phase::L1L2 => Some(0),
        Phase::L2 | Phase::L2N | Phase::L2L3 => Some(1),
        Phase::L3 | Phase::L3N | Phase::L3L1 => Some(2),
        Phase::N => None,
    }
}

/// The energy register of one meter value, in Wh: the total when the charger reports one, else the sum
/// of its per-phase registers.
fn energy(value: &MeterValue) -> Option<f64> {
    let registers = readable(&value.sampled_value)
        .filter(|s| measurand(s) == Some(&Measurand::EnergyActiveImportRegister));
    let mut per_phase: [Option<f64>; 3] = [None; 3];
    for sample in registers {
        let Some(wh) = base_value(sample) else {
            continue;
        };
        match &sample.phase {
            None => return Some(wh),
            Some(_) => {
                if let Some(index) = phase_index(sample) {
                    per_phase[index].get_or_insert(wh);
                }
            }
        }
    }
    let phases: Vec<f64> = per_phase.into_iter().flatten().collect();
    (!phases.is_empty()).then(|| phases.iter().sum())
}

/// The energy register over time, in Wh, each at the time the charger gave it unless its clock is not
/// believable (see [`charger_time`]), then at `received`.
pub fn samples<'a>(
    values: impl IntoIterator<Item = &'a MeterValue>,
    received: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, f64)> {
    values
        .into_iter()
        .filter_map(|value| Some((charger_time(value.timestamp.0, received), energy(value)?)))
        .collect()
}

/// The latest power, per-phase currents and energy, if the values carry any.
pub fn readings<'a>(values: impl IntoIterator<Item = &'a MeterValue>) -> Option<MeterReading> {
    let latest = values.into_iter().max_by_key(|v| v.timestamp)?;
    let mut reading = MeterReading {
        energy_wh: energy(latest),
        ..MeterReading::default()
    };
    for sample in readable(&latest.sampled_value) {
        let Some(value) = base_value(sample) else {
            continue;
        };
        match measurand(sample) {
            Some(Measurand::PowerActiveImport) if sample.phase.is_none() => {
                reading.power_w = Some(value)
            }
            Some(Measurand::CurrentImport) => {
                reading.current[phase_index(sample).unwrap_or(0)] = Some(value);
            }
            _ => {}
        }
    }
    (reading != MeterReading::default()).then_some(reading)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voltgate_ocpp::request::Item;

    fn values(raw: serde_json::Value) -> Vec<MeterValue> {
        let items: Vec<Item<MeterValue>> = voltgate_ocpp::payload::read(raw).unwrap();
        readable(&items).cloned().collect()
    }

    #[test]
    fn reads_energy_power_and_currents() {
        let meter = values(json!([{
            "timestamp": "2026-11-25T12:00:00Z",
            "sampledValue": [
                {"value": "12.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                {"value": "10", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                {"value": "11", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
                {"value": "not a number", "measurand": "Current.Import", "phase": "L3"},
                {"value": "50", "measurand": "Frequency", "unit": "Hertz"},
            ]
        }]));
        let reading = readings(&meter).unwrap();
        assert_eq!(reading.energy_wh, Some(12500.0));
        assert_eq!(reading.power_w, Some(7200.0));
        assert_eq!(reading.current, [Some(10.0), Some(11.0), None]);
        assert_eq!(
            samples(&meter, Utc::now()),
            vec![(meter[0].timestamp.0, 12500.0)]
        );
    }

    #[test]
    fn the_register_is_the_default_measurand() {
        let meter = values(
            json!([{"timestamp": "2026-11-25T12:00:00Z", "sampledValue": [{"value": "4000"}]}]),
        );
        assert_eq!(samples(&meter, Utc::now())[0].1, 4000.0);
        let empty = values(json!([{"timestamp": "2026-11-25T12:00:00Z", "sampledValue": []}]));
        assert!(readings(&empty).is_none() && samples(&empty, Utc::now()).is_empty());
    }

    #[test]
    fn energy_reported_per_phase_only_is_summed() {
        let meter = values(
            json!([{"timestamp": "2026-11-25T12:00:00Z", "sampledValue": [
                {"value": "1000", "measurand": "Energy.Active.Import.Register", "phase": "L1", "unit": "Wh"},
                {"value": "1.5", "measurand": "Energy.Active.Import.Register", "phase": "L2-N", "unit": "kWh"},
                {"value": "2000", "measurand": "Energy.Active.Import.Register", "phase": "L3", "unit": "Wh"},
            ]}]),
        );
        assert_eq!(samples(&meter, Utc::now())[0].1, 4500.0);
        let both = values(
            json!([{"timestamp": "2026-11-25T12:00:00Z", "sampledValue": [
                {"value": "1000", "measurand": "Energy.Active.Import.Register", "phase": "L1"},
                {"value": "9000", "measurand": "Energy.Active.Import.Register"},
            ]}]),
        );
        assert_eq!(
            samples(&both, Utc::now())[0].1,
            9000.0,
            "a total wins over phases"
        );
    }
}
