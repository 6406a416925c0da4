//! The building blocks of the caches in front of the store (`cached.rs`) and of the
//! service's shared answers: a map whose entries are forgotten a fixed time after they were
//! put, and one whose concurrent misses of a key share one build.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
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

/// Values built at most once per `ttl` per key, for what many requests ask at once (the
/// availability of one office over one range, the principal of a token whose account fires
/// five attempts together). Concurrent misses of a key wait for the one build in flight
/// instead of each asking the store, so a rush costs the store about one read per key and
/// TTL. A value is served for at most `ttl` after its build began: that is how stale it can
/// be. A key that names the version of what the value is built from
/// (`CachedStore::reference_version`) is never served after a change made here. A failed
/// build is not kept; the next request of that key builds again. Zero TTL turns it off.
pub struct Coalesced<K, V> {
    ttl: Duration,
    max: usize,
    inner: std::sync::Mutex<HashMap<K, Built<V>>>,
}

/// When a value's build began, and the value once built.
type Built<V> = (Instant, Arc<tokio::sync::OnceCell<V>>);

impl<K: Eq + Hash, V: Clone> Coalesced<K, V> {
    /// An empty cache whose values live `ttl`, holding at most about `max` keys.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            inner: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The value of `key` built less than `ttl` ago, else the one `build` makes now (or
    /// that another request's build in flight makes).
    pub async fn get_or_build<E, F, Fut>(&self, key: K, build: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        let cell = match self.inner.lock() {
            Ok(_) if self.ttl.is_zero() => None,
            Ok(mut map) => Some(match map.get(&key) {
                Some((t, cell)) if t.elapsed() < self.ttl => cell.clone(),
                _ => {
                    if map.len() >= self.max {
                        let ttl = self.ttl;
                        map.retain(|_, (t, _)| t.elapsed() < ttl);
                    }
                    let cell = Arc::new(tokio::sync::OnceCell::new());
                    map.insert(key, (Instant::now(), cell.clone()));
                    cell
                }
            }),
            Err(_) => None,
        };
        match cell {
            Some(cell) => cell.get_or_try_init(build).await.cloned(),
            None => build().await,
        }
    }

    /// Forgets one key: the next request builds it again. A build in flight still answers
    /// the requests already waiting for it (they asked before the change), but is not kept.
    pub fn remove<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(key);
        }
    }

    /// Forgets everything, as [`Coalesced::remove`] does one key.
    pub fn clear(&self) {
        if let Ok(mut map) = self.inner.lock() {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

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

    #[tokio::test]
    async fn concurrent_misses_share_one_build_and_a_value_lives_its_ttl() {
        let cache = Arc::new(Coalesced::new(Duration::from_millis(200), 10));
        let builds = Arc::new(AtomicI64::new(0));
        let build = |builds: Arc<AtomicI64>| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<_, ()>(builds.fetch_add(1, Ordering::SeqCst) + 1)
        };
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, builds) = (cache.clone(), builds.clone());
            tasks.push(tokio::spawn(async move {
                cache.get_or_build("k", || build(builds)).await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(1));
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(
            cache.get_or_build("k", || build(builds.clone())).await,
            Ok(2)
        );
    }

    #[tokio::test]
    async fn a_failed_build_is_not_kept_and_zero_ttl_builds_every_time() {
        let cache = Coalesced::new(Duration::from_secs(60), 10);
        assert_eq!(
            cache
                .get_or_build(1, || async { Err::<i32, _>("down") })
                .await,
            Err("down")
        );
        assert_eq!(
            cache.get_or_build(1, || async { Ok::<_, &str>(7) }).await,
            Ok(7)
        );
        let off = Coalesced::new(Duration::ZERO, 10);
        assert_eq!(
            off.get_or_build(1, || async { Ok::<_, ()>(1) }).await,
            Ok(1)
        );
        assert_eq!(
            off.get_or_build(1, || async { Ok::<_, ()>(2) }).await,
            Ok(2)
        );
    }
}
