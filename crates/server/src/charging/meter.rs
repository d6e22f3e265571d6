//! Reading MeterValues: the energy register for the charge history, power and currents for the live view.

use chrono::{DateTime, Utc};
use rust_ocpp::v1_6::types::{MeterValue, SampledValue};
use serde::Serialize;
use voltgate_store::MeterReading;

/// The name an OCPP enumeration value has on the wire (`"Charging"`, `"Energy.Active.Import.Register"`).
pub fn wire_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn measurand(sample: &SampledValue) -> String {
    sample
        .measurand
        .as_ref()
        .map_or_else(|| "Energy.Active.Import.Register".to_owned(), wire_name)
}

/// The value in base units (Wh, W, A): kWh and kW are scaled; signed or unreadable values are skipped.
fn base_value(sample: &SampledValue) -> Option<f64> {
    if sample
        .format
        .as_ref()
        .is_some_and(|f| wire_name(f) == "SignedData")
    {
        return None;
    }
    let value: f64 = sample
        .value
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())?;
    let unit = sample.unit.as_ref().map(wire_name).unwrap_or_default();
    Some(if unit == "kWh" || unit == "kW" {
        value * 1000.0
    } else {
        value
    })
}

/// The energy register over time, in Wh.
pub fn samples(values: &[MeterValue]) -> Vec<(DateTime<Utc>, f64)> {
    values
        .iter()
        .filter_map(|value| {
            let energy = value
                .sampled_value
                .iter()
                .filter(|s| measurand(s) == "Energy.Active.Import.Register")
                .find_map(base_value)?;
            Some((value.timestamp, energy))
        })
        .collect()
}

/// The latest power, per-phase currents and energy, if the values carry any.
pub fn readings(values: &[MeterValue]) -> Option<MeterReading> {
    let latest = values.iter().max_by_key(|v| v.timestamp)?;
    let mut reading = MeterReading::default();
    for sample in &latest.sampled_value {
        let Some(value) = base_value(sample) else {
            continue;
        };
        match measurand(sample).as_str() {
            "Energy.Active.Import.Register" => reading.energy_wh = Some(value),
            "Power.Active.Import" => reading.power_w = Some(value),
            "Current.Import" => {
                let phase = sample.phase.as_ref().map(wire_name).unwrap_or_default();
                let index = match phase.get(..2) {
                    Some("L2") => 1,
                    Some("L3") => 2,
                    _ => 0,
                };
                reading.current[index] = Some(value);
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

    fn values(raw: serde_json::Value) -> Vec<MeterValue> {
        serde_json::from_value(raw).unwrap()
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
            ]
        }]));
        let reading = readings(&meter).unwrap();
        assert_eq!(reading.energy_wh, Some(12500.0));
        assert_eq!(reading.power_w, Some(7200.0));
        assert_eq!(reading.current, [Some(10.0), Some(11.0), None]);
        assert_eq!(samples(&meter), vec![(meter[0].timestamp, 12500.0)]);
    }

    #[test]
    fn the_register_is_the_default_measurand() {
        let meter = values(
            json!([{"timestamp": "2026-11-25T12:00:00Z", "sampledValue": [{"value": "4000"}]}]),
        );
        assert_eq!(samples(&meter)[0].1, 4000.0);
        let empty = values(json!([{"timestamp": "2026-11-25T12:00:00Z", "sampledValue": []}]));
        assert!(readings(&empty).is_none() && samples(&empty).is_empty());
    }
}
