//! Limits on what can be tried or asked for again and again: failed logins per identity,
//! wrong one-time codes per email address, codes mailed to one address, and registrations
//! and code requests per client address. One [`Limiter`] type, one instance per purpose,
//! each with its settings (config/). The counts live in this process's memory: with N
//! instances behind a balancer a client gets at most N times each limit, which still keeps
//! a 6-digit code out of reach of guessing and a mailbox out of reach of floods. Times are
//! the service clock's, so the dev clock moves them too.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};

use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};

use crate::config::Settings;

/// Keys one limiter keeps before it drops old ones, so memory stays bounded (about 40 bytes
/// a key) whatever a flood of new keys does.
const MAX_KEYS: usize = 100_000;

/// Counts acts per key in fixed windows: the first act of a key opens a window of `window`;
/// once `max` acts are counted in it, the key is refused until the window ends. Keys are
/// kept as keyed hashes, so the limiter holds no email or IP address.
pub struct Limiter {
    max: u32,
    window: Duration,
    capacity: usize,
    hasher: std::hash::RandomState,
    counts: Mutex<HashMap<u64, Count>>,
}

/// A key's window and the acts counted in it.
#[derive(Clone, Copy, Debug)]
struct Count {
    since: DateTime<Utc>,
    acts: u32,
}

impl Limiter {
    /// A limiter allowing `max` acts per key per `window`.
    pub fn new(max: u32, window: Duration) -> Self {
        Self::with_capacity(max, window, MAX_KEYS)
    }

    /// The same, keeping about `capacity` keys at most.
    fn with_capacity(max: u32, window: Duration, capacity: usize) -> Self {
        Self {
            max,
            window,
            capacity: capacity.max(2),
            hasher: std::hash::RandomState::new(),
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// How many acts a window allows.
    pub fn max(&self) -> u32 {
        self.max
    }

    fn key(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Count>> {
        // A panic elsewhere while holding the lock leaves counts that are still counts.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When `key` may act again, if its acts are used up at `now`.
    pub fn blocked_until(&self, key: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let c = *self.counts().get(&self.key(key))?;
        let until = c.since + self.window;
        (c.acts >= self.max && now < until).then_some(until)
    }

    /// Counts one act of `key` at `now`.
    pub fn count(&self, key: &str, now: DateTime<Utc>) {
        let k = self.key(key);
        self.bump(&mut self.counts(), k, now);
    }

    /// Counts one act of `key` at `now`, unless its acts are used up: then it is not
    /// counted, and the answer is when it may act again.
    pub fn take(&self, key: &str, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let k = self.key(key);
        let mut map = self.counts();
        if let Some(c) = map.get(&k) {
            let until = c.since + self.window;
            if c.acts >= self.max && now < until {
                return Err(until);
            }
        }
        self.bump(&mut map, k, now);
        Ok(())
    }

    /// One more act of `k`, in a new window if its last one ended.
    fn bump(&self, map: &mut HashMap<u64, Count>, k: u64, now: DateTime<Utc>) {
        self.make_room(map, k, now);
        let c = map.entry(k).or_insert(Count {
            since: now,
            acts: 0,
        });
        if now >= c.since + self.window {
            *c = Count {
                since: now,
                acts: 0,
            };
        }
        c.acts = c.acts.saturating_add(1);
    }

    /// Forgets `key`'s acts (a success after failures).
    pub fn clear(&self, key: &str) {
        let k = self.key(key);
        self.counts().remove(&k);
    }

    /// Before a new key goes in at capacity: drop the windows that ended; if that is not
    /// enough, the keys that are not refused (a refused key is what the limiter is for, so
    /// it goes last); then the older half.
    fn make_room(&self, map: &mut HashMap<u64, Count>, new: u64, now: DateTime<Utc>) {
        if map.len() < self.capacity || map.contains_key(&new) {
            return;
        }
        let window = self.window;
        map.retain(|_, c| now < c.since + window);
        if map.len() >= self.capacity {
            let max = self.max;
            map.retain(|_, c| c.acts >= max);
        }
        if map.len() >= self.capacity {
            let mut since: Vec<DateTime<Utc>> = map.values().map(|c| c.since).collect();
            let half = since.len() / 2;
            since.select_nth_unstable(half);
            let cut = since[half];
            map.retain(|_, c| c.since > cut);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.counts().len()
    }
}

/// Every limiter of the service.
pub struct Limits {
    /// Failed logins per identity ("account:EMAIL" or "staff:USERNAME"): after the last
    /// allowed failure even the right password is refused, without checking it (which also
    /// spares the argon2 work).
    pub logins: Limiter,
    /// Wrong one-time codes (email verification and password reset together) per email
    /// address: a 6-digit code cannot be guessed by trying, even across new codes.
    pub codes: Limiter,
    /// Codes mailed to one email address (registration, a new code, a password reset), so
    /// nobody can use Loket to flood someone's mailbox.
    pub mails: Limiter,
    /// Registrations and code requests from one client address (see [`client_key`]).
    pub requests: Limiter,
}

impl Limits {
    /// The limiters, as the settings size them.
    pub fn new(s: &Settings) -> Self {
        let minutes = Duration::minutes;
        Self {
            logins: Limiter::new(s.login_max_failures, minutes(s.login_lockout_minutes)),
            codes: Limiter::new(s.code_max_failures, minutes(s.code_lockout_minutes)),
            mails: Limiter::new(s.address_max_mails, minutes(s.address_mail_window_minutes)),
            requests: Limiter::new(
                s.client_max_requests,
                minutes(s.client_request_window_minutes),
            ),
        }
    }
}

/// The key of a client address: an IPv4 address as it is, an IPv6 address by its /64
/// network (one subscriber usually holds a whole /64), an IPv4 address written as IPv6 as
/// the IPv4 address.
pub fn client_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0).to_string() + "/64"
        }
    }
}

/// The client's address: the connection's peer, or, behind `hops` trusted reverse proxies
/// that each append the address they saw to `X-Forwarded-For`, the entry the outermost of
/// them appended (the `hops`-th from the right; entries further left are the client's own
/// words). A request without enough entries did not come through the proxies: its peer.
pub fn client_address(headers: &HeaderMap, peer: Option<IpAddr>, hops: u8) -> Option<IpAddr> {
    if hops == 0 {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    entries
        .len()
        .checked_sub(usize::from(hops))
        .and_then(|i| entries.get(i))
        .and_then(|e| {
            e.parse::<IpAddr>()
                .ok()
                .or_else(|| e.parse::<SocketAddr>().ok().map(|s| s.ip()))
        })
        .or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn t0() -> DateTime<Utc> {
        "2026-12-01T01:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_key_is_refused_after_max_acts_until_its_window_ends() {
        let l = Limiter::new(3, Duration::minutes(15));
        for i in 0..3 {
            assert_eq!(l.take("a", t0() + Duration::minutes(i)), Ok(()));
        }
        let until = t0() + Duration::minutes(15);
        assert_eq!(l.take("a", t0() + Duration::minutes(5)), Err(until));
        assert_eq!(
            l.blocked_until("a", t0() + Duration::minutes(5)),
            Some(until)
        );
        assert_eq!(l.take("b", t0()), Ok(()), "another key has its own count");
        assert_eq!(l.blocked_until("a", until), None);
        assert_eq!(l.take("a", until), Ok(()), "a new window");
        assert_eq!(l.blocked_until("a", until), None);
    }

    #[test]
    fn counted_failures_block_and_a_clear_forgets_them() {
        let l = Limiter::new(2, Duration::minutes(10));
        l.count("x", t0());
        assert_eq!(l.blocked_until("x", t0()), None);
        l.count("x", t0());
        assert_eq!(
            l.blocked_until("x", t0()),
            Some(t0() + Duration::minutes(10))
        );
        l.clear("x");
        assert_eq!(l.blocked_until("x", t0()), None);
        // A failure after the window starts a new one.
        l.count("y", t0());
        l.count("y", t0() + Duration::minutes(11));
        assert_eq!(l.blocked_until("y", t0() + Duration::minutes(11)), None);
    }

    #[test]
    fn memory_stays_bounded_and_refused_keys_are_dropped_last() {
        let l = Limiter::with_capacity(2, Duration::minutes(15), 100);
        l.count("victim", t0());
        l.count("victim", t0());
        for i in 0..500 {
            l.count(&format!("flood-{i}"), t0() + Duration::seconds(i));
            assert!(l.len() <= 100, "{} keys", l.len());
        }
        assert!(
            l.blocked_until("victim", t0() + Duration::minutes(1))
                .is_some()
        );
        // Ended windows go first.
        let later = t0() + Duration::hours(1);
        for i in 0..100 {
            l.count(&format!("late-{i}"), later);
        }
        assert!(l.len() <= 100);
        assert_eq!(l.blocked_until("late-0", later), None);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        assert_eq!(client_key("203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(
            client_key("::ffff:203.0.113.7".parse().unwrap()),
            "203.0.113.7"
        );
    }

    #[test]
    fn the_forwarded_address_counts_only_behind_the_configured_proxies() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 203.0.113.7"),
        );
        h.append("x-forwarded-for", HeaderValue::from_static("198.51.100.9"));
        // Not trusted: the header is whatever the client wrote.
        assert_eq!(client_address(&h, Some(peer), 0), Some(peer));
        assert_eq!(
            client_address(&h, Some(peer), 1),
            Some("198.51.100.9".parse().unwrap())
        );
        assert_eq!(
            client_address(&h, Some(peer), 2),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(client_address(&h, Some(peer), 4), Some(peer), "too few");
        let mut port = HeaderMap::new();
        port.insert(
            "x-forwarded-for",
            HeaderValue::from_static("[2001:db8::1]:4711"),
        );
        assert_eq!(
            client_address(&port, None, 1),
            Some("2001:db8::1".parse().unwrap())
        );
        let mut junk = HeaderMap::new();
        junk.insert("x-forwarded-for", HeaderValue::from_static("unknown"));
        assert_eq!(client_address(&junk, Some(peer), 1), Some(peer));
    }
}
