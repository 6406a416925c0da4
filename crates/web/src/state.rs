//! Application state shared by every handler: the store, the settings, the clock, and the
//! small in-process caches that keep rejections off the database.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use loket_store::{DynStore, SlotKey};

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
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
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
}

impl AppState {
    /// Builds the state.
    pub fn new(store: DynStore, settings: Settings) -> Self {
        let ttl = Duration::from_millis(settings.full_slot_cache_ms);
        Self {
            store,
            settings: Arc::new(settings),
            clock: Arc::new(Clock::default()),
            full_slots: Arc::new(FullSlots::new(ttl)),
        }
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
