//! Signed webhooks of user groups: the event types a group can subscribe to, the URLs it may register,
//! when a failed delivery is tried again, and which network addresses are never called (SSRF).

use std::fmt;
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

#[cfg(test)]
mod tests {
    use super::*;

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
