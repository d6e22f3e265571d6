//! Installation load balancing: sharing the available current among the connectors that charge.
//!
//! Equal shares, never below [`MIN_CURRENT`] for a connector that charges: when there is not enough for
//! everyone, the sessions that started last are paused (0 A) and resume, in arrival order, as soon as
//! the current allows.

use chrono::{DateTime, Utc};

use crate::settings::Amperes;

/// The least current a charging connector is given (IEC 61851: 6 A).
pub const MIN_CURRENT: f64 = 6.0;

/// A connector that is charging, and when its session started.
#[derive(Clone, Debug, PartialEq)]
pub struct Demand<K> {
    pub key: K,
    pub started_at: DateTime<Utc>,
}

/// Each charging connector's limit, in arrival order; the sum never exceeds `available`.
pub fn allocate<K: Clone>(available: Amperes, demands: &[Demand<K>]) -> Vec<(K, Amperes)> {
    let mut ordered: Vec<&Demand<K>> = demands.iter().collect();
    ordered.sort_by_key(|d| d.started_at);
    let fit = ((available.get() / MIN_CURRENT).floor() as usize).min(ordered.len());
    let share = if fit == 0 {
        0.0
    } else {
        (available.get() / fit as f64 * 10.0).floor() / 10.0
    };
    let amps = |value: f64| {
        Amperes::new(value).unwrap_or_else(|_| Amperes::new(0.0).expect("zero is a current"))
    };
    ordered
        .into_iter()
        .enumerate()
        .map(|(position, demand)| {
            (
                demand.key.clone(),
                amps(if position < fit { share } else { 0.0 }),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn demands(n: usize) -> Vec<Demand<usize>> {
        let start = Utc::now();
        (0..n)
            .map(|key| Demand {
                key,
                started_at: start + Duration::seconds(key as i64),
            })
            .collect()
    }

    fn limits(available: f64, n: usize) -> Vec<f64> {
        allocate(Amperes::new(available).unwrap(), &demands(n))
            .into_iter()
            .map(|(_, a)| a.get())
            .collect()
    }

    #[test]
    fn equal_shares_when_there_is_enough() {
        assert_eq!(limits(32.0, 1), vec![32.0]);
        assert_eq!(limits(32.0, 2), vec![16.0, 16.0]);
        assert_eq!(limits(20.0, 3), vec![6.6, 6.6, 6.6]);
    }

    #[test]
    fn the_latest_sessions_wait_when_shares_would_fall_below_six_amperes() {
        assert_eq!(limits(16.0, 3), vec![8.0, 8.0, 0.0]);
        assert_eq!(limits(5.0, 2), vec![0.0, 0.0]);
        assert!(limits(16.0, 0).is_empty());
    }

    #[test]
    fn arrival_order_decides_not_input_order() {
        let start = Utc::now();
        let late = Demand {
            key: "late",
            started_at: start + Duration::minutes(5),
        };
        let early = Demand {
            key: "early",
            started_at: start,
        };
        let shares = allocate(Amperes::new(10.0).unwrap(), &[late, early]);
        assert_eq!(
            shares
                .iter()
                .map(|(k, a)| (*k, a.get()))
                .collect::<Vec<_>>(),
            vec![("early", 10.0), ("late", 0.0)]
        );
    }

    proptest! {
        #[test]
        fn never_more_than_available_never_a_trickle(raw in 0.0f64..200.0, n in 0usize..40) {
            let available = Amperes::new(raw).unwrap().get();
            let shares = limits(available, n);
            prop_assert_eq!(shares.len(), n);
            prop_assert!(shares.iter().sum::<f64>() <= available + 1e-9);
            prop_assert!(shares.iter().all(|a| *a == 0.0 || *a >= MIN_CURRENT));
            let active: Vec<&f64> = shares.iter().filter(|a| **a > 0.0).collect();
            prop_assert!(active.windows(2).all(|w| w[0] == w[1]), "equal shares");
            prop_assert!(shares.windows(2).all(|w| !(w[0] == 0.0 && w[1] > 0.0)), "only the latest wait");
            let could_fit = ((available / MIN_CURRENT).floor() as usize).min(n);
            prop_assert_eq!(active.len(), could_fit, "nobody waits who could charge");
        }
    }
}
