//! A map whose entries are forgotten a fixed time after they were put: the building block
//! of the caches in front of the store (`cached.rs`).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// A map whose entries are forgotten `ttl` after they were put, bounded in size. Zero TTL
/// turns it off.
pub struct TtlMap<K, V> {
    ttl: Duration,
    max: usize,
    inner: std::sync::Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    /// An empty map whose entries live `ttl`, holding at most about `max` of them.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            inner: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The value put under `key` less than `ttl` ago.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let map = self.inner.lock().ok()?;
        map.get(key)
            .filter(|(t, _)| t.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    /// Puts a value; when full, entries past their TTL are dropped first.
    pub fn put(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.inner.lock() {
            if map.len() >= self.max {
                let ttl = self.ttl;
                map.retain(|_, (t, _)| t.elapsed() < ttl);
            }
            map.insert(key, (Instant::now(), value));
        }
    }

    /// Forgets one key.
    pub fn remove<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(key);
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        if let Ok(mut map) = self.inner.lock() {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_age_out_after_their_ttl() {
        let m = TtlMap::new(Duration::from_millis(30), 10);
        m.put("a".to_owned(), 1);
        assert_eq!(m.get("a"), Some(1));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(m.get("a"), None);
    }

    #[test]
    fn a_zero_ttl_turns_the_cache_off_and_remove_forgets() {
        let off = TtlMap::new(Duration::ZERO, 10);
        off.put(1, 1);
        assert_eq!(off.get(&1), None);
        let on = TtlMap::new(Duration::from_secs(60), 10);
        on.put(1, 1);
        on.remove(&1);
        assert_eq!(on.get(&1), None);
    }
}
