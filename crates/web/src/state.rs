//! Application state shared by every handler: the store (behind its caches), the settings,
//! the clock, the limits on repeated attempts and the rendered availability.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use loket_store::{CacheOptions, CachedStore, DynStore};

use crate::config::Settings;

/// The service's clock. Dev and demo mode can move it forward to show what happens after a
/// deadline; production never does.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Now, as the service sees it.
    pub fn now(&self) -> DateTime<Utc> {
        let t = Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed));
        // PostgreSQL keeps microseconds; so do we, so a value read back equals the one written.
        t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
            .unwrap_or(t)
    }

    /// Moves the clock forward (dev and demo only).
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

/// Values built at most once per `ttl` per key, for answers that many requests share (the
/// availability of one office over one range). Concurrent misses of a key wait for the one
/// build in flight instead of each asking the store, so a rush of calendar reloads costs
/// the store about one read per key and TTL. A value is served for at most `ttl` after its
/// build began: that is how stale it can be. A key that names the version of what the
/// value is built from (`CachedStore::reference_version`) is never served after a change
/// made here. A failed build is not kept; the next request of that key builds again. Zero
/// TTL turns it off.
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
}

/// The reference data's version, an office, and the first and last date of a range.
pub type AvailabilityKey = (u64, String, NaiveDate, NaiveDate);

/// What every handler gets: one pointer to the shared parts, so that the clones axum makes
/// for every request (the route, each `State` extractor, the middleware) cost one atomic
/// increment each rather than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
pub struct Shared {
    /// Storage, with the caches that spare it repeated reads.
    pub store: CachedStore,
    /// Settings.
    pub settings: Settings,
    /// Clock.
    pub clock: Clock,
    /// Failed logins, wrong codes, mails per address, requests per client.
    pub limits: crate::limits::Limits,
    /// Rendered availability (JSON) per (reference version, office, first date, last date).
    pub availability: Coalesced<AvailabilityKey, axum::body::Bytes>,
    /// Every office with its next free date, for the start page, per reference version.
    pub office_summaries: Coalesced<u64, Arc<Vec<crate::usecases::availability::view::OfficeNext>>>,
    /// The calendar page's month (availability and today's outage mode), keyed as
    /// `availability`.
    pub calendars:
        Coalesced<AvailabilityKey, Arc<crate::usecases::availability::view::CalendarMonth>>,
    /// Live floor events for the boards and phones of this instance.
    pub floor_hub: crate::live::FloorHub,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Builds the state.
    pub fn new(store: DynStore, settings: Settings) -> Self {
        let ms = Duration::from_millis;
        let caches = CacheOptions {
            full_slots: ms(settings.full_slot_cache_ms),
            principals: ms(settings.auth_cache_ms),
            reference: ms(settings.reference_cache_ms),
        };
        let availability = ms(settings.availability_cache_ms);
        let limits = crate::limits::Limits::new(&settings);
        Self(Arc::new(Shared {
            store: CachedStore::new(store, caches),
            settings,
            clock: Clock::default(),
            limits,
            availability: Coalesced::new(availability, 10_000),
            office_summaries: Coalesced::new(availability, 1),
            calendars: Coalesced::new(availability, 10_000),
            floor_hub: crate::live::FloorHub::default(),
        }))
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
