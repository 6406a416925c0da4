//! Application state shared by every handler: the store, the settings, the clock, and the
//! small in-process caches that keep rejections off the database.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use loket_domain::Office;
use loket_domain::catalogue::FeeSchedule;
use loket_domain::quota::QuotaPlan;
use loket_store::{CalendarInputs, DynStore, Principal, SlotKey};

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

/// Remembers slots the database just reported full, for a short while, so a rush of
/// attempts on a full session is answered without a write transaction each. It only ever
/// causes a "full" answer a few hundred milliseconds late; it never grants a place.
#[derive(Debug)]
pub struct FullSlots {
    ttl: Duration,
    inner: std::sync::Mutex<HashMap<SlotKey, Instant>>,
}

impl FullSlots {
    /// A cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Whether the slot was reported full within the TTL.
    pub fn is_full(&self, key: &SlotKey) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let Ok(map) = self.inner.lock() else {
            return false;
        };
        map.get(key).is_some_and(|t| t.elapsed() < self.ttl)
    }

    /// Records that the database reported the slot full.
    pub fn mark_full(&self, key: &SlotKey) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.inner.lock() {
            if map.len() > 10_000 {
                let ttl = self.ttl;
                map.retain(|_, t| t.elapsed() < ttl);
            }
            map.insert(key.clone(), Instant::now());
        }
    }

    /// Forgets a slot (a place was freed here).
    pub fn forget(&self, key: &SlotKey) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(key);
        }
    }
}

/// When it was cached, who, and when the token expires.
type CachedPrincipal = (Instant, Principal, DateTime<Utc>);

/// Remembers which principal a token hash belongs to for a few seconds, so that a rush does
/// not read the token table on every request. Logout forgets the token at once on this
/// instance; other instances may accept it until the entry ages out.
#[derive(Debug)]
pub struct PrincipalCache {
    ttl: Duration,
    inner: std::sync::Mutex<HashMap<String, CachedPrincipal>>,
}

impl PrincipalCache {
    /// A cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The cached principal of a token hash, if the token is still valid at `now`.
    pub fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Principal> {
        let map = self.inner.lock().ok()?;
        map.get(token_hash)
            .filter(|(t, _, expires_at)| t.elapsed() < self.ttl && now < *expires_at)
            .map(|(_, p, _)| p.clone())
    }

    /// Remembers a principal until its token expires (or the TTL passes).
    pub fn put(&self, token_hash: &str, p: &Principal, expires_at: DateTime<Utc>) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.inner.lock() {
            if map.len() > 100_000 {
                let ttl = self.ttl;
                map.retain(|_, (t, _, _)| t.elapsed() < ttl);
            }
            map.insert(
                token_hash.to_owned(),
                (Instant::now(), p.clone(), expires_at),
            );
        }
    }

    /// Forgets a token (logout).
    pub fn forget(&self, token_hash: &str) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(token_hash);
        }
    }
}

/// Short-lived copies of reference data (offices, fee tables, one day's calendar and quota
/// inputs) so that a booking does not re-read them. Changes made through this instance
/// clear it at once; changes made elsewhere are seen within the TTL. Places are never
/// decided from it: the store counts them inside its transaction.
pub struct RefCache {
    ttl: Duration,
    offices: std::sync::Mutex<HashMap<String, (Instant, Office)>>,
    fees: std::sync::Mutex<Option<(Instant, Arc<FeeSchedule>)>>,
    days: std::sync::Mutex<HashMap<DayKey, (Instant, Arc<DayInputs>)>>,
}

type DayKey = (String, NaiveDate);

/// The calendar and quota inputs of one office and date.
pub struct DayInputs {
    /// Holidays and the office's exceptions.
    pub calendar: CalendarInputs,
    /// Quota defaults and overrides.
    pub quotas: QuotaPlan,
}

fn fresh<V: Clone>(entry: Option<&(Instant, V)>, ttl: Duration) -> Option<V> {
    entry
        .filter(|(t, _)| t.elapsed() < ttl)
        .map(|(_, v)| v.clone())
}

impl RefCache {
    /// A cache whose entries live `ttl` (zero turns it off).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            offices: std::sync::Mutex::new(HashMap::new()),
            fees: std::sync::Mutex::new(None),
            days: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// A cached office.
    pub fn office(&self, code: &str) -> Option<Office> {
        fresh(self.offices.lock().ok()?.get(code), self.ttl)
    }

    /// Caches an office.
    pub fn put_office(&self, o: &Office) {
        if let Ok(mut m) = self.offices.lock() {
            m.insert(o.code.clone(), (Instant::now(), o.clone()));
        }
    }

    /// The cached fee schedule.
    pub fn fees(&self) -> Option<Arc<FeeSchedule>> {
        fresh(self.fees.lock().ok()?.as_ref(), self.ttl)
    }

    /// Caches the fee schedule.
    pub fn put_fees(&self, f: Arc<FeeSchedule>) {
        if let Ok(mut m) = self.fees.lock() {
            *m = Some((Instant::now(), f));
        }
    }

    /// Cached inputs of one office and date.
    pub fn day(&self, office: &str, date: NaiveDate) -> Option<Arc<DayInputs>> {
        fresh(
            self.days.lock().ok()?.get(&(office.to_owned(), date)),
            self.ttl,
        )
    }

    /// Caches the inputs of one office and date.
    pub fn put_day(&self, office: &str, date: NaiveDate, d: Arc<DayInputs>) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut m) = self.days.lock() {
            if m.len() > 10_000 {
                let ttl = self.ttl;
                m.retain(|_, (t, _)| t.elapsed() < ttl);
            }
            m.insert((office.to_owned(), date), (Instant::now(), d));
        }
    }

    /// Forgets everything (after a change to offices, quotas, holidays or closures).
    pub fn clear(&self) {
        if let Ok(mut m) = self.offices.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.fees.lock() {
            *m = None;
        }
        if let Ok(mut m) = self.days.lock() {
            m.clear();
        }
    }
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: DynStore,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Clock.
    pub clock: Arc<Clock>,
    /// Recently full slots.
    pub full_slots: Arc<FullSlots>,
    /// Recently seen tokens.
    pub principals: Arc<PrincipalCache>,
    /// Reference data.
    pub refs: Arc<RefCache>,
}

impl AppState {
    /// Builds the state.
    pub fn new(store: DynStore, settings: Settings) -> Self {
        let ttl = Duration::from_millis(settings.full_slot_cache_ms);
        let settings_auth_ms = settings.auth_cache_ms;
        let settings_ref_ms = settings.reference_cache_ms;
        Self {
            store,
            settings: Arc::new(settings),
            clock: Arc::new(Clock::default()),
            full_slots: Arc::new(FullSlots::new(ttl)),
            principals: Arc::new(PrincipalCache::new(Duration::from_millis(settings_auth_ms))),
            refs: Arc::new(RefCache::new(Duration::from_millis(settings_ref_ms))),
        }
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
