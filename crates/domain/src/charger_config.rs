//! OCPP 1.6 configuration keys people commonly change, with the type their value must have, so a
//! wrong value is refused before it is sent (`HeartbeatInterval = "abc"` never reaches the charger).

use crate::message::Message;

/// What a key's value must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// A whole number from `min` to `max`, in `unit` (a catalogue id) when it has one.
    Integer {
        min: i64,
        max: i64,
        unit: Option<&'static str>,
    },
    /// `true` or `false`.
    Boolean,
    /// A comma-separated list of words (measurands and the like).
    List,
}

/// A key this service knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownKey {
    pub name: &'static str,
    pub kind: KeyKind,
}

const SECONDS: Option<&str> = Some("unit-seconds");
const DAY: i64 = 86_400;

/// The keys explained on the configuration page (OCPP 1.6 section 9.1).
pub const KNOWN_KEYS: &[KnownKey] = &[
    KnownKey {
        name: "HeartbeatInterval",
        kind: KeyKind::Integer {
            min: 0,
            max: DAY,
            unit: SECONDS,
        },
    },
    KnownKey {
        name: "ConnectionTimeOut",
        kind: KeyKind::Integer {
            min: 0,
            max: 3_600,
            unit: SECONDS,
        },
    },
    KnownKey {
        name: "MeterValueSampleInterval",
        kind: KeyKind::Integer {
            min: 0,
            max: DAY,
            unit: SECONDS,
        },
    },
    KnownKey {
        name: "ClockAlignedDataInterval",
        kind: KeyKind::Integer {
            min: 0,
            max: DAY,
            unit: SECONDS,
        },
    },
    KnownKey {
        name: "WebSocketPingInterval",
        kind: KeyKind::Integer {
            min: 0,
            max: DAY,
            unit: SECONDS,
        },
    },
    KnownKey {
        name: "MinimumStatusDuration",
        kind: KeyKind::Integer {
            min: 0,
            max: 3_600,
            unit: SECONDS,
        },
    },
    KnownKey {
        name: "TransactionMessageAttempts",
        kind: KeyKind::Integer {
            min: 0,
            max: 100,
            unit: None,
        },
    },
    KnownKey {
        name: "TransactionMessageRetryInterval",
        kind: KeyKind::Integer {
            min: 0,
            max: DAY,
            unit: SECONDS,
        },
    },
    KnownKey {
        name: "ResetRetries",
        kind: KeyKind::Integer {
            min: 0,
            max: 100,
            unit: None,
        },
    },
    KnownKey {
        name: "MeterValuesSampledData",
        kind: KeyKind::List,
    },
    KnownKey {
        name: "MeterValuesAlignedData",
        kind: KeyKind::List,
    },
    KnownKey {
        name: "AuthorizeRemoteTxRequests",
        kind: KeyKind::Boolean,
    },
    KnownKey {
        name: "LocalAuthorizeOffline",
        kind: KeyKind::Boolean,
    },
    KnownKey {
        name: "LocalPreAuthorize",
        kind: KeyKind::Boolean,
    },
    KnownKey {
        name: "AllowOfflineTxForUnknownId",
        kind: KeyKind::Boolean,
    },
    KnownKey {
        name: "StopTransactionOnEVSideDisconnect",
        kind: KeyKind::Boolean,
    },
    KnownKey {
        name: "StopTransactionOnInvalidId",
        kind: KeyKind::Boolean,
    },
    KnownKey {
        name: "UnlockConnectorOnEVSideDisconnect",
        kind: KeyKind::Boolean,
    },
];

/// The known key named `name` (OCPP key names match exactly, but we forgive the case).
pub fn known_key(name: &str) -> Option<&'static KnownKey> {
    KNOWN_KEYS
        .iter()
        .find(|k| k.name.eq_ignore_ascii_case(name))
}

/// Checks `value` against the key's type; unknown keys take any text (the charger decides).
pub fn check_value(name: &str, value: &str) -> Result<(), Message> {
    let Some(key) = known_key(name) else {
        return Ok(());
    };
    let value = value.trim();
    match key.kind {
        KeyKind::Integer { min, max, .. } => match value.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(()),
            _ => Err(Message::new("err-config-integer")
                .arg("min", min)
                .arg("max", max)),
        },
        KeyKind::Boolean => match value {
            "true" | "false" => Ok(()),
            _ => Err(Message::new("err-config-boolean")),
        },
        KeyKind::List => {
            let fine = !value.is_empty()
                && value.split(',').all(|item| {
                    let item = item.trim();
                    !item.is_empty()
                        && item
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                });
            if fine {
                Ok(())
            } else {
                Err(Message::new("err-config-list"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_values_that_do_not_fit_the_key() {
        assert!(check_value("HeartbeatInterval", "abc").is_err());
        assert!(check_value("HeartbeatInterval", "-5").is_err());
        assert!(check_value("HeartbeatInterval", "100000").is_err());
        assert!(check_value("HeartbeatInterval", "300").is_ok());
        assert!(check_value("heartbeatinterval", " 60 ").is_ok());
        assert!(check_value("LocalPreAuthorize", "yes").is_err());
        assert!(check_value("LocalPreAuthorize", "true").is_ok());
        assert!(check_value(
            "MeterValuesSampledData",
            "Energy.Active.Import.Register,Power.Active.Import"
        )
        .is_ok());
        assert!(check_value("MeterValuesSampledData", "Energy;DROP").is_err());
        assert!(check_value("VendorSpecificThing", "anything at all").is_ok());
    }
}
