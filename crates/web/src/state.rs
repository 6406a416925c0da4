//! Application state shared by every handler: the store (behind its caches), the settings,
//! the clock, the limits on repeated attempts and the rendered availability.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use loket_store::{CacheOptions, CachedStore, Coalesced, DynStore};

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
