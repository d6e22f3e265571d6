//! Signed webhooks of user groups: the event types a group can subscribe to, the URLs it may register,
//! when a failed delivery is tried again, and which network addresses are never called (SSRF).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use url::Url;

use crate::text::check_line;

/// How many webhook endpoints a group may have: each one's deliveries take the worker's time.
pub const MAX_ENDPOINTS_PER_GROUP: u32 = 10;

/// What a webhook tells a group about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WebhookEvent {
    AccessGranted,
    AccessChanged,
    AccessRevoked,
    AccessExpired,
    SessionStarted,
    SessionEnded,
    ChargerOnline,
    ChargerOffline,
}

impl WebhookEvent {
    /// Every event type, in the order the group page lists them.
    pub const ALL: [WebhookEvent; 8] = [
        Self::AccessGranted,
        Self::AccessChanged,
        Self::AccessRevoked,
        Self::AccessExpired,
        Self::SessionStarted,
        Self::SessionEnded,
        Self::ChargerOnline,
        Self::ChargerOffline,
    ];

    /// The name in payloads and subscriptions (`access.granted`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessGranted => "access.granted",
            Self::AccessChanged => "access.changed",
            Self::AccessRevoked => "access.revoked",
            Self::AccessExpired => "access.expired",
            Self::SessionStarted => "session.started",
            Self::SessionEnded => "session.ended",
            Self::ChargerOnline => "charger.online",
            Self::ChargerOffline => "charger.offline",
        }
    }

    /// The event type a name means.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == name)
    }

    /// Its bit in a [`WebhookEvents`] set (as stored).
    pub fn bit(self) -> i64 {
        1 << (self as u32)
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The event types an endpoint subscribed to; never empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookEvents(i64);

/// Why a set of event types is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookEventsError {
    #[error("Unknown event type {0:?}.")]
    Unknown(String),
    #[error("Choose at least one event.")]
    Empty,
}

impl WebhookEvents {
    /// The set of these names; every name must be a known event type.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, WebhookEventsError> {
        let mut bits = 0;
        for name in names {
            let event = WebhookEvent::parse(name.trim())
                .ok_or_else(|| WebhookEventsError::Unknown(name.chars().take(64).collect()))?;
            bits |= event.bit();
        }
        Self::from_bits(bits).ok_or(WebhookEventsError::Empty)
    }

    /// The set stored as these bits; `None` when it holds no known type.
    pub fn from_bits(bits: i64) -> Option<Self> {
        let known = WebhookEvent::ALL.iter().fold(0, |all, e| all | e.bit());
        let bits = bits & known;
        (bits != 0).then_some(Self(bits))
    }

    /// The bits as stored.
    pub fn bits(self) -> i64 {
        self.0
    }

    /// Whether the set holds `event`.
    pub fn contains(self, event: WebhookEvent) -> bool {
        self.0 & event.bit() != 0
    }

    /// The event types in the set, in [`WebhookEvent::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = WebhookEvent> {
        WebhookEvent::ALL
            .into_iter()
            .filter(move |e| self.contains(*e))
    }
}

/// Why a webhook URL cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    #[error("At most {} characters.", WebhookUrl::MAX_LEN)]
    TooLong,
    #[error("Enter an absolute URL such as https://partner.example/webhooks.")]
    Malformed,
    #[error("Use https:// (http:// is allowed only for localhost and 127.0.0.1).")]
    Scheme,
    #[error("A webhook URL must not contain a user name or password.")]
    UserInfo,
    #[error("A webhook URL must not contain a #fragment.")]
    Fragment,
}

/// An absolute `https://` URL, or an `http://` one on the local machine for development. Where it
/// resolves to is checked again at every delivery ([`forbidden_target`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    /// The longest URL accepted.
    pub const MAX_LEN: usize = 2048;

    /// Checks and normalises a URL a group owner wants deliveries sent to.
    pub fn parse(raw: &str) -> Result<Self, WebhookUrlError> {
        let raw = raw.trim();
        if raw.len() > Self::MAX_LEN {
            return Err(WebhookUrlError::TooLong);
        }
        if raw.contains('\\') || check_line(raw).is_err() {
            return Err(WebhookUrlError::Malformed);
        }
        let url = Url::parse(raw).map_err(|_| WebhookUrlError::Malformed)?;
        let host = url.host_str().ok_or(WebhookUrlError::Malformed)?;
        let allowed = match url.scheme() {
            "https" => true,
            "http" => matches!(host, "localhost" | "127.0.0.1"),
            _ => false,
        };
        if !allowed {
            return Err(WebhookUrlError::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WebhookUrlError::UserInfo);
        }
        if url.fragment().is_some() {
            return Err(WebhookUrlError::Fragment);
        }
        Ok(Self(url))
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.0
    }
}

/// How failed deliveries are tried again: after `base`, then twice as long each time (at most
/// `max_delay`), until `window` has passed since the event; then the endpoint is disabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max_delay: Duration,
    pub window: Duration,
}

impl Default for RetryPolicy {
    /// 30 s, doubling up to an hour, for 24 h.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(30),
            max_delay: Duration::from_secs(3600),
            window: Duration::from_secs(24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// How long to wait after the `attempts`-th failed attempt (1 for the first).
    pub fn delay_after(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        self.base
            .checked_mul(1 << doublings)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// Whether a delivery of an event `age` old that just failed is given up.
    pub fn gives_up(&self, age: Duration) -> bool {
        age >= self.window
    }
}

/// Whether a delivery must never connect to `ip`: private, loopback, link-local, unspecified,
/// multicast, broadcast, shared (CGNAT), documentation and reserved addresses, and the IPv6 forms that
/// carry such an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, NAT64).
pub fn forbidden_target(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let embedded = |high: u16, low: u16| Ipv4Addr::from(((high as u32) << 16) | low as u32);
    // IPv4-compatible ::a.b.c.d (deprecated, but some stacks still route it).
    if segments[..6].iter().all(|s| *s == 0) {
        return true;
    }
    // 6to4 2002:AABB:CCDD::/16 and NAT64 64:ff9b::/96 carry an IPv4 address.
    if segments[0] == 0x2002 && forbidden_v4(embedded(segments[1], segments[2])) {
        return true;
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
        && forbidden_v4(embedded(segments[6], segments[7]))
    {
        return true;
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
}

impl crate::message::Coded for WebhookUrlError {
    fn message(&self) -> crate::message::Message {
        use crate::message::Message;
        match self {
            Self::TooLong => Message::new("err-too-long").arg("max", WebhookUrl::MAX_LEN),
            Self::Malformed => Message::new("err-url-malformed"),
            Self::Scheme => Message::new("err-url-scheme"),
            Self::UserInfo => Message::new("err-url-userinfo"),
            Self::Fragment => Message::new("err-url-fragment"),
        }
    }
}

impl crate::message::Coded for WebhookEventsError {
    fn message(&self) -> crate::message::Message {
        use crate::message::Message;
        match self {
            Self::Unknown(name) => Message::new("err-webhook-event-unknown").arg("name", name),
            Self::Empty => Message::new("err-webhook-events-empty"),
        }
    }
}

/// How many deliveries one endpoint, and all the endpoints of one group, may have in flight at once
/// (counted in the database, across processes): a group whose receivers hang holds at most its share of
/// the workers, and every other group's deliveries go out beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryShares {
    pub per_endpoint: usize,
    pub per_group: usize,
}

impl Default for DeliveryShares {
    fn default() -> Self {
        Self {
            per_endpoint: 4,
            per_group: 8,
        }
    }
}

/// Which due deliveries a worker claims now, as positions in `due` (oldest first, each naming its
/// endpoint and group), at most `room` of them. Taken in rounds: each round gives every group at most
/// one, in the order of their oldest delivery, while its endpoint and the group are below their share
/// (`in_flight` counts what is being sent already). So one group's backlog never fills the room
/// while another group has something due.
pub fn fair_share<E, G>(
    due: &[(E, G)],
    in_flight: &[(E, G, usize)],
    shares: DeliveryShares,
    room: usize,
) -> Vec<usize>
where
    E: Eq + Hash + Copy,
    G: Eq + Hash + Copy,
{
    let mut by_endpoint: HashMap<E, usize> = HashMap::new();
    let mut by_group: HashMap<G, usize> = HashMap::new();
    for (endpoint, group, count) in in_flight {
        *by_endpoint.entry(*endpoint).or_default() += count;
        *by_group.entry(*group).or_default() += count;
    }
    let mut taken = vec![false; due.len()];
    let mut picked = Vec::new();
    loop {
        let before = picked.len();
        let mut served = HashSet::new();
        for (position, (endpoint, group)) in due.iter().enumerate() {
            if picked.len() >= room {
                return picked;
            }
            let endpoint_busy = by_endpoint.get(endpoint).copied().unwrap_or(0);
            let group_busy = by_group.get(group).copied().unwrap_or(0);
            if taken[position]
                || served.contains(group)
                || endpoint_busy >= shares.per_endpoint
                || group_busy >= shares.per_group
            {
                continue;
            }
            taken[position] = true;
            picked.push(position);
            served.insert(*group);
            *by_endpoint.entry(*endpoint).or_default() += 1;
            *by_group.entry(*group).or_default() += 1;
        }
        if picked.len() == before {
            return picked;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SHARES: DeliveryShares = DeliveryShares {
        per_endpoint: 4,
        per_group: 8,
    };

    #[test]
    fn a_group_with_a_backlog_leaves_room_for_the_others() {
        // Group 1: 30 deliveries on three endpoints, all older than group 2's one delivery.
        let mut due: Vec<(u32, u32)> = (0..30).map(|n| (n % 3, 1)).collect();
        due.push((9, 2));
        let picked = fair_share(&due, &[], SHARES, 32);
        assert_eq!(picked[..2], [0, 30], "one each, oldest group first");
        let of_group = |g| picked.iter().filter(|p| due[**p].1 == g).count();
        assert_eq!(of_group(1), 8, "group 1 gets its share, no more");
        assert_eq!(of_group(2), 1);
        for endpoint in 0..3 {
            let of_endpoint = picked.iter().filter(|p| due[**p].0 == endpoint).count();
            assert!(of_endpoint <= 4, "endpoint {endpoint}: {of_endpoint}");
        }
    }

    #[test]
    fn what_is_in_flight_counts_against_the_share_and_room_is_kept() {
        let due = [(1u32, 1u32), (1, 1), (2, 1), (3, 2)];
        // Endpoint 1 has its four in flight: only endpoint 2 of group 1 may send.
        let picked = fair_share(&due, &[(1, 1, 4)], SHARES, 10);
        assert_eq!(picked, [2, 3]);
        // Group 1 is at its share: only group 2.
        let picked = fair_share(&due, &[(7, 1, 8)], SHARES, 10);
        assert_eq!(picked, [3]);
        assert_eq!(fair_share(&due, &[], SHARES, 1), [0]);
        assert!(fair_share(&due, &[], SHARES, 0).is_empty());
    }

    proptest! {
        #[test]
        fn shares_and_room_always_hold(
            due in proptest::collection::vec(0u8..6, 0..60),
            busy in proptest::collection::vec((0u8..6, 0usize..5), 0..4),
            room in 0usize..40,
        ) {
            // Endpoint e belongs to group e % 3.
            let due: Vec<(u8, u8)> = due.into_iter().map(|e| (e, e % 3)).collect();
            let busy: Vec<(u8, u8, usize)> = busy.into_iter().map(|(e, n)| (e, e % 3, n)).collect();
            let picked = fair_share(&due, &busy, SHARES, room);
            prop_assert!(picked.len() <= room);
            let unique: HashSet<_> = picked.iter().collect();
            prop_assert_eq!(unique.len(), picked.len());
            for endpoint in 0..6u8 {
                let already: usize = busy.iter().filter(|b| b.0 == endpoint).map(|b| b.2).sum();
                let taken = picked.iter().filter(|p| due[**p].0 == endpoint).count();
                prop_assert!(taken == 0 || already + taken <= SHARES.per_endpoint);
            }
            let mut groups: HashMap<u8, usize> = HashMap::new();
            for (_, group, count) in &busy {
                *groups.entry(*group).or_default() += count;
            }
            for group in 0..3u8 {
                let already = groups.get(&group).copied().unwrap_or(0);
                let taken = picked.iter().filter(|p| due[**p].1 == group).count();
                prop_assert!(taken == 0 || already + taken <= SHARES.per_group);
                // A group with something due and room in its share gets at least one, when the
                // room holds one for every group.
                let has_due = due.iter().any(|(_, g)| *g == group);
                if has_due && already < SHARES.per_group && room >= 3 && taken == 0 {
                    let blocked = due.iter().filter(|(_, g)| *g == group).all(|(e, _)| {
                        busy.iter().filter(|(be, _, _)| be == e).map(|b| b.2).sum::<usize>()
                            >= SHARES.per_endpoint
                    });
                    prop_assert!(blocked, "group {} starved: {:?}", group, picked);
                }
            }
        }
    }

    #[test]
    fn event_names_round_trip_and_sets_keep_only_known_types() {
        for event in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::parse(event.as_str()), Some(event));
        }
        let set = WebhookEvents::parse(["access.granted", "charger.offline"]).unwrap();
        assert!(set.contains(WebhookEvent::AccessGranted));
        assert!(!set.contains(WebhookEvent::AccessRevoked));
        assert_eq!(set.iter().count(), 2);
        assert_eq!(WebhookEvents::from_bits(set.bits()), Some(set));
        assert_eq!(
            WebhookEvents::parse(["access.nope"]),
            Err(WebhookEventsError::Unknown("access.nope".into()))
        );
        assert_eq!(WebhookEvents::parse([]), Err(WebhookEventsError::Empty));
        assert_eq!(WebhookEvents::from_bits(1 << 40), None);
    }

    #[test]
    fn urls_must_be_https_except_on_the_local_machine() {
        assert!(WebhookUrl::parse("https://partner.example/hooks").is_ok());
        assert!(WebhookUrl::parse("http://localhost:8080/hooks").is_ok());
        assert!(WebhookUrl::parse("http://127.0.0.1:9/x").is_ok());
        assert_eq!(
            WebhookUrl::parse("http://partner.example/hooks"),
            Err(WebhookUrlError::Scheme)
        );
        assert_eq!(
            WebhookUrl::parse("ftp://partner.example"),
            Err(WebhookUrlError::Scheme)
        );
        assert_eq!(
            WebhookUrl::parse("not a url"),
            Err(WebhookUrlError::Malformed)
        );
        assert_eq!(
            WebhookUrl::parse("https://u:p@partner.example/"),
            Err(WebhookUrlError::UserInfo)
        );
        assert_eq!(
            WebhookUrl::parse("https://partner.example/#x"),
            Err(WebhookUrlError::Fragment)
        );
        let long = format!("https://partner.example/{}", "a".repeat(3000));
        assert_eq!(WebhookUrl::parse(&long), Err(WebhookUrlError::TooLong));
    }

    #[test]
    fn back_off_doubles_up_to_its_cap_and_gives_up_after_the_window() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_after(1), Duration::from_secs(30));
        assert_eq!(policy.delay_after(2), Duration::from_secs(60));
        assert_eq!(policy.delay_after(5), Duration::from_secs(480));
        assert_eq!(policy.delay_after(20), Duration::from_secs(3600));
        assert_eq!(policy.delay_after(u32::MAX), Duration::from_secs(3600));
        assert!(!policy.gives_up(Duration::from_secs(23 * 3600)));
        assert!(policy.gives_up(Duration::from_secs(24 * 3600)));
    }

    #[test]
    fn private_and_special_addresses_are_refused_in_every_form() {
        for refused in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "64:ff9b::a00:1",
        ] {
            assert!(forbidden_target(refused.parse().unwrap()), "{refused}");
        }
        for allowed in ["93.184.216.34", "2606:2800:220:1::1", "2002:5db8:d822::1"] {
            assert!(!forbidden_target(allowed.parse().unwrap()), "{allowed}");
        }
    }
}
