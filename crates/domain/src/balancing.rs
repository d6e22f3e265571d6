//! Installation load balancing: sharing the available current among the connectors that charge, and
//! planning how to get there without ever being over the limit on the way.
//!
//! Equal shares, never below [`MIN_CURRENT`] for a connector that charges: when there is not enough for
//! everyone, the sessions that arrived last wait (0 A) and resume, in arrival order, as soon as the
//! current allows. What is left over is shared among the idle connectors as the limit a new session
//! starts with (its TxDefaultProfile), so no session ever starts unlimited.
//!
//! Each connector has two limits: the default (TxDefaultProfile, what a session starts with and falls
//! back to) and the running session's own (TxProfile). A connector may draw up to the larger of the two
//! at any moment (a session can start or stop at any time), and a limit the charger has not accepted
//! counts at what it may be applying: its last accepted one, the charger's maximum when none is known,
//! and any limit sent without a clear answer.

use std::collections::HashMap;
use std::hash::Hash;

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
pub fn allocate<K: Clone + PartialEq>(
    available: Amperes,
    demands: &[Demand<K>],
) -> Vec<(K, Amperes)> {
    allocate_within(available, demands, &Ceilings::none())
}

/// Ceilings on what groups of connectors may draw together: a charger's own maximum (its
/// ChargePointMaxProfile, set with `maxChargeCurrent`) holds for all its connectors at once.
#[derive(Clone, Debug, PartialEq)]
pub struct Ceilings<K> {
    groups: Vec<(Vec<K>, Amperes)>,
}

impl<K: PartialEq> Ceilings<K> {
    /// No caps: only the installation's available current limits.
    pub fn none() -> Self {
        Self { groups: Vec::new() }
    }

    /// These caps and one more: `keys` together may be given at most `limit`. A key in two groups
    /// counts in the first.
    pub fn with(mut self, keys: Vec<K>, limit: Amperes) -> Self {
        self.groups.push((keys, limit));
        self
    }

    fn group_of(&self, key: &K) -> Option<usize> {
        self.groups.iter().position(|(keys, _)| keys.contains(key))
    }

    fn limit(&self, group: usize) -> f64 {
        self.groups
            .get(group)
            .map_or(f64::INFINITY, |(_, limit)| limit.get())
    }
}

/// Tenths of an ampere, rounded down.
fn tenths(value: f64) -> f64 {
    (value * 10.0).floor() / 10.0
}

/// Like [`allocate`], with charger caps: no group gets more than its cap, and what a cap leaves goes
/// to the others. Sessions still get [`MIN_CURRENT`] or nothing: one whose charger's cap has no room
/// for another [`MIN_CURRENT`] waits, and a later session on another charger may charge instead.
/// Shares are as equal as the caps allow (water-filling), in tenths of an ampere.
pub fn allocate_within<K: Clone + PartialEq>(
    available: Amperes,
    demands: &[Demand<K>],
    caps: &Ceilings<K>,
) -> Vec<(K, Amperes)> {
    let mut ordered: Vec<&Demand<K>> = demands.iter().collect();
    ordered.sort_by_key(|d| d.started_at);
    let room = |limit: f64| (limit / MIN_CURRENT).floor().max(0.0);
    let fit = room(available.get());
    let groups: Vec<Option<usize>> = ordered.iter().map(|d| caps.group_of(&d.key)).collect();
    // Who charges: in arrival order, while the installation and the session's charger have room.
    let mut in_group = vec![0usize; caps.groups.len()];
    let mut admitted = vec![false; ordered.len()];
    let mut count = 0usize;
    for (i, group) in groups.iter().enumerate() {
        let charger_room = group.is_none_or(|g| (in_group[g] as f64) < room(caps.limit(g)));
        if (count as f64) < fit && charger_room {
            admitted[i] = true;
            count += 1;
            if let Some(g) = group {
                in_group[*g] += 1;
            }
        }
    }
    // How much: equal shares, except that a capped charger's sessions share its cap; those under the
    // level get their ceiling and the rest is shared again among the others.
    let ceiling =
        |i: usize| groups[i].map_or(f64::INFINITY, |g| caps.limit(g) / in_group[g].max(1) as f64);
    let mut by_ceiling: Vec<usize> = (0..ordered.len()).filter(|i| admitted[*i]).collect();
    by_ceiling.sort_by(|a, b| ceiling(*a).total_cmp(&ceiling(*b)));
    let mut given = vec![0.0; ordered.len()];
    let (mut remaining, mut left) = (available.get(), count);
    let mut rest = by_ceiling.as_slice();
    while let Some((&i, tail)) = rest.split_first() {
        if ceiling(i) >= remaining / left as f64 {
            break;
        }
        given[i] = tenths(ceiling(i));
        remaining -= ceiling(i);
        left -= 1;
        rest = tail;
    }
    if left > 0 {
        let share = tenths(remaining / left as f64);
        for &i in rest {
            given[i] = share;
        }
    }
    let amps = |value: f64| {
        Amperes::new(value).unwrap_or_else(|_| Amperes::new(0.0).expect("zero is a current"))
    };
    ordered
        .into_iter()
        .zip(given)
        .map(|(demand, value)| (demand.key.clone(), amps(value)))
        .collect()
}

/// What is known of one of a connector's limits.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Slot {
    /// The limit the charger last accepted.
    pub accepted: Option<Amperes>,
    /// A limit sent without a clear answer: the charger may be applying it.
    pub uncertain: Option<Amperes>,
}

impl Slot {
    /// The most the charger may be applying; `unknown` stands in when nothing was ever accepted.
    pub fn effective(&self, unknown: Amperes) -> Amperes {
        let accepted = self.accepted.unwrap_or(unknown);
        match self.uncertain {
            Some(uncertain) if uncertain > accepted => uncertain,
            _ => accepted,
        }
    }
}

/// A running session on a connector.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Running {
    /// When the server heard of it: the queue order.
    pub arrival: DateTime<Utc>,
    /// Paused by a person: 0 A, its share goes to others.
    pub paused: bool,
}

/// A connector as the balancer sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Connector<K> {
    pub key: K,
    pub session: Option<Running>,
    /// The TxDefaultProfile.
    pub default: Slot,
    /// The running session's TxProfile (empty when there is none for it).
    pub tx: Slot,
    /// The charger refuses TxProfiles: its session is limited through the default instead.
    pub tx_refused: bool,
}

/// Which of a connector's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// TxDefaultProfile.
    Default,
    /// TxProfile of the running session.
    Tx,
}

impl<K> Connector<K> {
    /// The most this connector may draw at any moment, `max` standing in for an unknown default.
    pub fn effective(&self, max: Amperes) -> Amperes {
        let default = self.default.effective(max);
        match self.session {
            Some(_) => {
                let tx = self.tx.effective(Amperes::ZERO);
                if tx > default {
                    tx
                } else {
                    default
                }
            }
            None => default,
        }
    }

    fn slot_mut(&mut self, purpose: Purpose) -> &mut Slot {
        match purpose {
            Purpose::Default => &mut self.default,
            Purpose::Tx => &mut self.tx,
        }
    }

    fn slot(&self, purpose: Purpose) -> &Slot {
        match purpose {
            Purpose::Default => &self.default,
            Purpose::Tx => &self.tx,
        }
    }
}

/// The limits each connector should have.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Target {
    pub default: Amperes,
    /// Only for a running session on a charger that takes TxProfiles.
    pub tx: Option<Amperes>,
}

fn least(a: Amperes, b: Amperes) -> Amperes {
    if a < b {
        a
    } else {
        b
    }
}

/// The limits to aim for: running sessions share `available` in arrival order (paused ones get
/// nothing); the rest is shared among idle connectors as their default. A running session's default
/// only ever comes down to its share (it falls back to it when the session ends).
pub fn targets<K: Clone + Eq + Hash>(
    available: Amperes,
    max: Amperes,
    connectors: &[Connector<K>],
) -> HashMap<K, Target> {
    targets_within(available, max, &Ceilings::none(), connectors)
}

/// [`targets`] under charger caps: no charger's connectors are aimed at more than its cap together
/// (running sessions first, idle connectors share what the cap leaves), and what a cap leaves of
/// `available` goes to the other chargers.
pub fn targets_within<K: Clone + Eq + Hash>(
    available: Amperes,
    max: Amperes,
    caps: &Ceilings<K>,
    connectors: &[Connector<K>],
) -> HashMap<K, Target> {
    let demands: Vec<Demand<K>> = connectors
        .iter()
        .filter_map(|c| match c.session {
            Some(Running {
                arrival,
                paused: false,
            }) => Some(Demand {
                key: c.key.clone(),
                started_at: arrival,
            }),
            _ => None,
        })
        .collect();
    let shares: HashMap<K, Amperes> = allocate_within(available, &demands, caps)
        .into_iter()
        .collect();
    let used: f64 = shares.values().map(|a| a.get()).sum();
    let rest = Amperes::new((available.get() - used).max(0.0)).unwrap_or(Amperes::ZERO);
    // What each cap leaves once the running sessions on its charger have their shares.
    let idle_caps = Ceilings {
        groups: caps
            .groups
            .iter()
            .map(|(keys, limit)| {
                let taken: f64 = keys
                    .iter()
                    .filter_map(|k| shares.get(k))
                    .map(|a| a.get())
                    .sum();
                let left = Amperes::new((limit.get() - taken).max(0.0)).unwrap_or(Amperes::ZERO);
                (keys.clone(), left)
            })
            .collect(),
    };
    let idle: Vec<Demand<K>> = connectors
        .iter()
        .filter(|c| c.session.is_none())
        .map(|c| Demand {
            key: c.key.clone(),
            started_at: DateTime::<Utc>::UNIX_EPOCH,
        })
        .collect();
    let idle_shares: HashMap<K, Amperes> = allocate_within(rest, &idle, &idle_caps)
        .into_iter()
        .collect();
    connectors
        .iter()
        .map(|c| {
            let target = match c.session {
                None => Target {
                    default: idle_shares.get(&c.key).copied().unwrap_or(Amperes::ZERO),
                    tx: None,
                },
                Some(_) => {
                    let share = shares.get(&c.key).copied().unwrap_or(Amperes::ZERO);
                    if c.tx_refused {
                        Target {
                            default: share,
                            tx: None,
                        }
                    } else {
                        Target {
                            default: least(c.default.effective(max), share),
                            tx: Some(share),
                        }
                    }
                }
            };
            (c.key.clone(), target)
        })
        .collect()
}

/// A limit to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Send<K> {
    pub key: K,
    pub purpose: Purpose,
    pub limit: Amperes,
}

/// The limits that differ from what the chargers hold (or that must be sent again: `resend` names
/// connectors whose charger reconnected), split into those that never raise what a connector may draw
/// — safe to send at once — and raises, to send only once the room for them is certain.
pub fn changes<K: Clone + Eq + Hash>(
    max: Amperes,
    connectors: &[Connector<K>],
    targets: &HashMap<K, Target>,
    resend: &dyn Fn(&K) -> bool,
) -> (Vec<Send<K>>, Vec<Send<K>>) {
    let mut lowering = Vec::new();
    let mut raising = Vec::new();
    for c in connectors {
        let Some(target) = targets.get(&c.key) else {
            continue;
        };
        let wanted = [
            (Purpose::Default, Some(target.default), max),
            (Purpose::Tx, target.tx, Amperes::ZERO),
        ];
        for (purpose, limit, unknown) in wanted {
            let Some(limit) = limit else { continue };
            let slot = c.slot(purpose);
            let settled = slot.accepted == Some(limit) && slot.uncertain.is_none();
            if settled && !(purpose == Purpose::Default && resend(&c.key)) {
                continue;
            }
            let send = Send {
                key: c.key.clone(),
                purpose,
                limit,
            };
            if limit <= slot.effective(unknown) {
                lowering.push(send);
            } else {
                raising.push(send);
            }
        }
    }
    (lowering, raising)
}

/// What became of a limit sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The charger applies it.
    Accepted,
    /// The charger refused it; it keeps what it had.
    Rejected,
    /// It never reached the charger (offline, busy).
    NotSent,
    /// Sent, but no clear answer came: the charger may be applying it.
    Unknown,
}

/// Records what became of a limit sent to a connector.
pub fn record<K>(connector: &mut Connector<K>, send: &Send<K>, delivery: &Delivery) {
    let slot = connector.slot_mut(send.purpose);
    match delivery {
        Delivery::Accepted => {
            slot.accepted = Some(send.limit);
            slot.uncertain = None;
        }
        Delivery::Unknown => {
            let before = slot.uncertain.unwrap_or(Amperes::ZERO);
            slot.uncertain = Some(if send.limit > before {
                send.limit
            } else {
                before
            });
        }
        Delivery::Rejected => {
            if send.purpose == Purpose::Tx {
                connector.tx_refused = true;
            }
        }
        Delivery::NotSent => {}
    }
}

/// Of the raises, those that fit under `available` right now, in the connectors' order (running
/// sessions by arrival first); a raise that only partly fits is cut to what fits (when that is still
/// at least [`MIN_CURRENT`]). Each counts at its new limit as soon as it is granted, since the charger
/// may apply it before answering.
pub fn grant<K: Clone + Eq + Hash>(
    available: Amperes,
    max: Amperes,
    connectors: &[Connector<K>],
    raising: Vec<Send<K>>,
) -> Vec<Send<K>> {
    let mut planned: Vec<Connector<K>> = connectors.to_vec();
    let mut total: f64 = planned.iter().map(|c| c.effective(max).get()).sum();
    let mut order: Vec<(usize, Send<K>)> = raising
        .into_iter()
        .filter_map(|send| {
            let index = planned.iter().position(|c| c.key == send.key)?;
            Some((index, send))
        })
        .collect();
    order.sort_by_key(|(index, send)| {
        let arrival = planned[*index].session.map(|s| s.arrival);
        (
            arrival.is_none(),
            arrival,
            *index,
            send.purpose == Purpose::Default,
        )
    });
    let mut granted = Vec::new();
    for (index, mut send) in order {
        let connector = &mut planned[index];
        let before = connector.effective(max).get();
        let room = available.get() - (total - before);
        if room < send.limit.get() {
            // Only part of the raise fits: send that much, if it still is a raise worth having.
            let part = Amperes::new((room * 10.0).floor() / 10.0).unwrap_or(Amperes::ZERO);
            let current = connector.slot(send.purpose).effective(match send.purpose {
                Purpose::Default => max,
                Purpose::Tx => Amperes::ZERO,
            });
            if part <= current || part.get() < MIN_CURRENT {
                continue;
            }
            send.limit = part;
        }
        let mut after = connector.clone();
        record(&mut after, &send, &Delivery::Unknown);
        let raised = after.effective(max).get();
        if total - before + raised <= available.get() + 1e-9 {
            total += raised - before;
            *connector = after;
            granted.push(send);
        }
    }
    granted
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

    fn amps(value: f64) -> Amperes {
        Amperes::new(value).unwrap()
    }

    fn connector(
        key: &'static str,
        session: Option<i64>,
        default: Option<f64>,
    ) -> Connector<&'static str> {
        Connector {
            key,
            session: session.map(|minute| Running {
                arrival: DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(minute),
                paused: false,
            }),
            default: Slot {
                accepted: default.map(amps),
                uncertain: None,
            },
            tx: Slot::default(),
            tx_refused: false,
        }
    }

    #[test]
    fn idle_connectors_share_what_running_sessions_leave() {
        let connectors = [
            connector("a", Some(0), Some(6.6)),
            connector("b", None, Some(6.6)),
            connector("c", None, None),
        ];
        let plan = targets(amps(20.0), amps(32.0), &connectors);
        assert_eq!(plan["a"].tx, Some(amps(20.0)));
        assert_eq!(
            plan["a"].default,
            amps(6.6),
            "a running default only comes down"
        );
        assert_eq!(
            (plan["b"].default, plan["c"].default),
            (amps(0.0), amps(0.0))
        );
        let nobody = [connector("b", None, None), connector("c", None, None)];
        let plan = targets(amps(20.0), amps(32.0), &nobody);
        assert_eq!(
            (plan["b"].default, plan["c"].default),
            (amps(10.0), amps(10.0))
        );
    }

    #[test]
    fn raises_wait_for_room_and_lowering_goes_first() {
        let mut connectors = vec![
            connector("a", Some(0), Some(20.0)),
            connector("b", Some(1), Some(0.0)),
        ];
        connectors[0].tx = Slot {
            accepted: Some(amps(20.0)),
            uncertain: None,
        };
        let plan = targets(amps(20.0), amps(32.0), &connectors);
        let (lowering, raising) = changes(amps(32.0), &connectors, &plan, &|_| false);
        assert_eq!(
            lowering
                .iter()
                .map(|s| (s.key, s.purpose, s.limit.get()))
                .collect::<Vec<_>>(),
            vec![("a", Purpose::Default, 10.0), ("a", Purpose::Tx, 10.0)]
        );
        assert!(
            grant(amps(20.0), amps(32.0), &connectors, raising.clone()).is_empty(),
            "no room for b before a has come down"
        );
        for send in &lowering {
            record(&mut connectors[0], send, &Delivery::Accepted);
        }
        let granted = grant(amps(20.0), amps(32.0), &connectors, raising);
        assert_eq!(granted.len(), 1, "b's TxProfile of 10 A fits now");
        assert_eq!((granted[0].key, granted[0].purpose), ("b", Purpose::Tx));
    }

    #[test]
    fn a_silent_limit_counts_at_the_higher_value() {
        let mut c = connector("a", None, Some(6.0));
        let send = Send {
            key: "a",
            purpose: Purpose::Default,
            limit: amps(16.0),
        };
        record(&mut c, &send, &Delivery::Unknown);
        assert_eq!(c.effective(amps(32.0)), amps(16.0));
        record(&mut c, &send, &Delivery::Rejected);
        assert_eq!(c.effective(amps(32.0)), amps(16.0), "still unsure");
        let lower = Send {
            limit: amps(4.0),
            ..send
        };
        record(&mut c, &lower, &Delivery::Accepted);
        assert_eq!(c.effective(amps(32.0)), amps(4.0));
        assert_eq!(connector("x", None, None).effective(amps(32.0)), amps(32.0));
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

    /// Demands 0..n, one per connector, on the chargers `charger_of[i]`; caps by charger.
    fn capped(available: f64, charger_of: &[usize], caps: &[(usize, f64)]) -> Vec<f64> {
        let mut limits = Ceilings::none();
        for (charger, cap) in caps {
            let keys = (0..charger_of.len())
                .filter(|i| charger_of[*i] == *charger)
                .collect();
            limits = limits.with(keys, amps(*cap));
        }
        let mut shares = allocate_within(amps(available), &demands(charger_of.len()), &limits);
        shares.sort_by_key(|(key, _)| *key);
        shares.into_iter().map(|(_, a)| a.get()).collect()
    }

    #[test]
    fn a_capped_charger_gets_its_cap_and_the_others_what_it_leaves() {
        // 32 A for two chargers, one capped at 10 A: 10 and 22, not 16 and 16.
        assert_eq!(capped(32.0, &[0, 1], &[(0, 10.0)]), vec![10.0, 22.0]);
        assert_eq!(capped(32.0, &[0, 1], &[(1, 10.0)]), vec![22.0, 10.0]);
        // A cap above the equal share changes nothing.
        assert_eq!(capped(32.0, &[0, 1], &[(0, 20.0)]), vec![16.0, 16.0]);
        // Two connectors of one charger share its cap; a third session elsewhere takes the rest.
        assert_eq!(capped(40.0, &[0, 0, 1], &[(0, 16.0)]), vec![8.0, 8.0, 24.0]);
    }

    #[test]
    fn a_cap_below_six_amperes_means_no_charging_there_and_a_later_session_charges_instead() {
        // 12 A: two sessions fit. The first is on a charger capped at 0 A (maxChargeCurrent 0), so
        // the second and third charge.
        assert_eq!(capped(12.0, &[0, 1, 2], &[(0, 0.0)]), vec![0.0, 6.0, 6.0]);
        assert_eq!(capped(12.0, &[0, 1, 2], &[(0, 5.9)]), vec![0.0, 6.0, 6.0]);
        // A 10 A cap has room for one 6 A session of its two connectors.
        assert_eq!(
            capped(32.0, &[0, 0, 1], &[(0, 10.0)]),
            vec![10.0, 0.0, 22.0]
        );
    }

    #[test]
    fn idle_connectors_of_a_capped_charger_share_what_its_sessions_leave() {
        let key = |charger: &'static str, n: u32| (charger, n);
        let connectors: Vec<Connector<(&str, u32)>> = [
            (key("a", 1), true),
            (key("a", 2), false),
            (key("b", 1), false),
        ]
        .into_iter()
        .map(|(key, charging)| Connector {
            key,
            session: charging.then(|| Running {
                arrival: Utc::now(),
                paused: false,
            }),
            default: Slot::default(),
            tx: Slot::default(),
            tx_refused: false,
        })
        .collect();
        let caps = Ceilings::none().with(vec![key("a", 1), key("a", 2)], amps(16.0));
        let plan = targets_within(amps(32.0), amps(32.0), &caps, &connectors);
        assert_eq!(plan[&key("a", 1)].tx, Some(amps(16.0)));
        assert_eq!(plan[&key("a", 2)].default, amps(0.0), "the cap is used up");
        assert_eq!(plan[&key("b", 1)].default, amps(16.0));
        let without = targets(amps(32.0), amps(32.0), &connectors);
        assert_eq!(without[&key("a", 1)].tx, Some(amps(32.0)));
    }

    fn setup() -> impl Strategy<Value = (f64, Vec<usize>, Vec<(usize, f64)>)> {
        (
            0.0f64..200.0,
            proptest::collection::vec(0usize..5, 0..30),
            proptest::collection::vec((0usize..5, 0.0f64..40.0), 0..5),
        )
    }

    proptest! {
        #[test]
        fn caps_hold_nothing_is_over_and_what_caps_free_goes_to_others((raw, charger_of, caps) in setup()) {
            let available = Amperes::new(raw).unwrap().get();
            // One cap per charger (the first given).
            let mut caps_by_charger: Vec<(usize, f64)> = Vec::new();
            for (charger, cap) in caps {
                if !caps_by_charger.iter().any(|(c, _)| *c == charger) {
                    caps_by_charger.push((charger, Amperes::new(cap).unwrap().get()));
                }
            }
            let shares = capped(available, &charger_of, &caps_by_charger);
            let free = limits(available, charger_of.len());
            prop_assert!(shares.iter().sum::<f64>() <= available + 1e-9, "never over the available current");
            prop_assert!(shares.iter().all(|a| *a == 0.0 || *a >= MIN_CURRENT), "never a trickle");
            for (charger, cap) in &caps_by_charger {
                let on: f64 = (0..charger_of.len()).filter(|i| charger_of[*i] == *charger).map(|i| shares[i]).sum();
                prop_assert!(on <= cap + 1e-9, "charger {} gets {} over its cap {}", charger, on, cap);
            }
            let is_capped = |i: usize| caps_by_charger.iter().any(|(c, _)| *c == charger_of[i]);
            for i in 0..charger_of.len() {
                if !is_capped(i) {
                    prop_assert!(shares[i] + 1e-9 >= free[i], "an uncapped session never gets less: {} < {}", shares[i], free[i]);
                }
            }
            // Nothing is left over while an uncapped session charges (but for rounding to tenths).
            let charging_uncapped = (0..charger_of.len()).filter(|i| !is_capped(*i) && shares[*i] > 0.0).count();
            if charging_uncapped > 0 {
                prop_assert!(shares.iter().sum::<f64>() >= available - 0.1 * charger_of.len() as f64 - 1e-9);
            }
            if caps_by_charger.is_empty() {
                prop_assert_eq!(&shares, &free, "without caps, as before");
            }
        }
    }
}
