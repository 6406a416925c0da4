//! Application state shared by every handler: the store, the settings, the clock, and the
//! small in-process caches that keep rejections off the database.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use loket_domain::Office;
use loket_domain::calendar::WorkingCalendar;
use loket_domain::catalogue::FeeSchedule;
use loket_domain::quota::QuotaPlan;
use loket_store::{DynStore, Principal, SlotKey};

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

/// A map whose entries are forgotten `ttl` after they were put, bounded in size. Zero TTL
/// turns it off. Every cache below is one of these.
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

/// Values built at most once per `ttl` per key, for answers that many requests share (the
/// availability of one office over one range). Concurrent misses of a key wait for the one
/// build in flight instead of each asking the store, so a rush of calendar reloads costs
/// the store about one read per key and TTL. A value is served for at most `ttl` after its
/// build began: that is how stale it can be, and nothing else invalidates it. A failed
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

    /// Forgets every value: a change made through this instance is seen by the next
    /// request at once (other instances see it within `ttl`).
    pub fn clear(&self) {
        if let Ok(mut map) = self.inner.lock() {
            map.clear();
        }
    }
}

/// Remembers slots the database just reported full, for a short while, so a rush of
/// attempts on a full session is answered without a write transaction each. It only ever
/// causes a "full" answer a few hundred milliseconds late; it never grants a place.
pub struct FullSlots(TtlMap<SlotKey, ()>);

impl FullSlots {
    /// Whether the slot was reported full within the TTL.
    pub fn is_full(&self, key: &SlotKey) -> bool {
        self.0.get(key).is_some()
    }

    /// Records that the database reported the slot full.
    pub fn mark_full(&self, key: &SlotKey) {
        self.0.put(key.clone(), ());
    }

    /// Forgets a slot (a place was freed here).
    pub fn forget(&self, key: &SlotKey) {
        self.0.remove(key);
    }
}

/// Remembers which principal a token hash belongs to (and when the token expires) for a few
/// seconds, so that a rush does not read the token table on every request. Logout forgets
/// the token at once on this instance; other instances may accept it until the entry ages
/// out.
pub struct PrincipalCache(TtlMap<String, (Principal, DateTime<Utc>)>);

impl PrincipalCache {
    /// The cached principal of a token hash, if the token is still valid at `now`.
    pub fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Principal> {
        self.0
            .get(token_hash)
            .filter(|(_, expires_at)| now < *expires_at)
            .map(|(p, _)| p)
    }

    /// Remembers a principal until its token expires (or the TTL passes).
    pub fn put(&self, token_hash: &str, p: &Principal, expires_at: DateTime<Utc>) {
        self.0.put(token_hash.to_owned(), (p.clone(), expires_at));
    }

    /// Forgets a token (logout).
    pub fn forget(&self, token_hash: &str) {
        self.0.remove(token_hash);
    }

    /// Forgets every token (an account's sessions all ended; which tokens were its is
    /// known only to the store).
    pub fn forget_all(&self) {
        self.0.clear();
    }
}

/// Short-lived copies of reference data (offices, fee tables, one day's calendar and quota
/// inputs) so that a booking does not re-read them. Changes made through this instance
/// clear it at once; changes made elsewhere are seen within the TTL. Places are never
/// decided from it: the store counts them inside its transaction.
pub struct RefCache {
    /// Offices by code.
    pub offices: TtlMap<String, Office>,
    /// The fee schedule (one entry).
    pub fees: TtlMap<(), Arc<FeeSchedule>>,
    /// One office's inputs for one date.
    pub days: TtlMap<(String, NaiveDate), Arc<DayInputs>>,
}

/// The working calendar and quota plan of one office over some dates; a single day's is
/// cached, built once and shared by the requests that book that day.
pub struct DayInputs {
    /// The calendar (weekdays, holidays and the office's exceptions).
    pub calendar: Arc<WorkingCalendar>,
    /// Quota defaults and overrides.
    pub quotas: Arc<QuotaPlan>,
}

impl RefCache {
    /// Forgets everything (after a change to offices, quotas, holidays or closures).
    pub fn clear(&self) {
        self.offices.clear();
        self.fees.clear();
        self.days.clear();
    }
}

/// Failed logins per identity ("account:EMAIL" or "staff:USERNAME"), so that a password
/// cannot be guessed by trying: after `max` failures within `window` of the first, that
/// identity's logins are refused until the window ends, without checking the password (which
/// also spares the argon2 work). A success clears the count. Kept in memory per instance:
/// with N instances behind a balancer an attacker gets at most N times `max` tries per
/// window. Times are the service clock's, so the dev clock moves them too.
pub struct LoginGuard {
    max: u32,
    window: chrono::Duration,
    failures: std::sync::Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
}

/// Entries kept before expired ones are dropped.
const LOGIN_GUARD_ENTRIES: usize = 100_000;

impl LoginGuard {
    /// A guard allowing `max` failures per `window`.
    pub fn new(max: u32, window: chrono::Duration) -> Self {
        Self {
            max,
            window,
            failures: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// When `who` may try again, if its logins are refused at `now`.
    pub fn locked_until(&self, who: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let map = self.failures.lock().ok()?;
        let (first, count) = map.get(who)?;
        let until = *first + self.window;
        (*count >= self.max && now < until).then_some(until)
    }

    /// Records a failed login of `who` at `now`.
    pub fn failed(&self, who: &str, now: DateTime<Utc>) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        let window = self.window;
        if map.len() >= LOGIN_GUARD_ENTRIES {
            map.retain(|_, (first, _)| now < *first + window);
        }
        let entry = map.entry(who.to_owned()).or_insert((now, 0));
        if now >= entry.0 + window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    /// Clears `who`'s failures after a successful login.
    pub fn succeeded(&self, who: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(who);
        }
    }
}

/// What every handler gets: one pointer to the shared parts, so that the clones axum makes
/// for every request (the route, each `State` extractor, the middleware) cost one atomic
/// increment each rather than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
pub struct Shared {
    /// Storage.
    pub store: DynStore,
    /// Settings.
    pub settings: Settings,
    /// Clock.
    pub clock: Clock,
    /// Recently full slots.
    pub full_slots: FullSlots,
    /// Recently seen tokens.
    pub principals: PrincipalCache,
    /// Reference data.
    pub refs: RefCache,
    /// Failed logins.
    pub logins: LoginGuard,
    /// Rendered availability (JSON) per (office, first date, last date).
    pub availability: Coalesced<(String, NaiveDate, NaiveDate), axum::body::Bytes>,
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
        let full = ms(settings.full_slot_cache_ms);
        let auth = ms(settings.auth_cache_ms);
        let refs = ms(settings.reference_cache_ms);
        let availability = ms(settings.availability_cache_ms);
        let logins = LoginGuard::new(
            settings.login_max_failures,
            chrono::Duration::minutes(settings.login_lockout_minutes),
        );
        Self(Arc::new(Shared {
            store,
            settings,
            clock: Clock::default(),
            full_slots: FullSlots(TtlMap::new(full, 10_000)),
            principals: PrincipalCache(TtlMap::new(auth, 100_000)),
            refs: RefCache {
                offices: TtlMap::new(refs, 1_000),
                fees: TtlMap::new(refs, 1),
                days: TtlMap::new(refs, 10_000),
            },
            logins,
            availability: Coalesced::new(availability, 10_000),
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

    #[test]
    fn a_cached_token_stops_working_at_its_expiry() {
        let c = PrincipalCache(TtlMap::new(Duration::from_secs(60), 10));
        let now = Utc::now();
        let p = Principal::Account {
            id: uuid::Uuid::nil(),
            verified: true,
        };
        c.put("h", &p, now + chrono::Duration::seconds(1));
        assert!(c.get("h", now).is_some());
        assert!(c.get("h", now + chrono::Duration::seconds(1)).is_none());
    }
}
