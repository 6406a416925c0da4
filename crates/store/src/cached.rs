//! The store as the service holds it: a wrapper that keeps short-lived copies of what a
//! rush reads again and again (offices, fee tables, one day's calendar and quota inputs,
//! the principal of a token, the slots the database just called full), and forgets them in
//! the write that makes them stale, right beside it, so no caller can forget to. Other
//! instances see a change within their caches' lifetime. Places are never decided from a
//! copy: the store counts them inside its transaction.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc, Weekday};
use loket_domain::Office;
use loket_domain::calendar::{Holiday, OfficeException, WorkingCalendar};
use loket_domain::catalogue::{FeeSchedule, FeeTable};
use loket_domain::quota::{QuotaAdjustment, QuotaPlan, ServiceClass};
use uuid::Uuid;

use crate::ttl::{Coalesced, TtlMap};
use crate::types::*;
use crate::{
    AccountStore, BookingStore, DynStore, FloorStore, NoticeStore, OutboxStore, QuotaStore,
    ReferenceStore, Store, StoreError, StoreResult,
};

/// How long each cache keeps a copy; zero turns that cache off.
#[derive(Clone, Copy, Debug, Default)]
pub struct CacheOptions {
    /// A slot the database called full (a "full" answer is at most this late).
    pub full_slots: Duration,
    /// A token's principal (another instance's logout is seen this late).
    pub principals: Duration,
    /// Offices, fee tables and one day's calendar and quotas.
    pub reference: Duration,
}

/// The working calendar and quota plan of one office for one date, built once and shared
/// by the requests that book that day.
pub struct DayInputs {
    /// The calendar (weekdays, holidays and the office's exceptions).
    pub calendar: Arc<WorkingCalendar>,
    /// Quota defaults and overrides.
    pub quotas: Arc<QuotaPlan>,
}

/// The store with its caches; see the module's note.
pub struct CachedStore {
    inner: DynStore,
    full_slots: TtlMap<SlotKey, ()>,
    /// The (account, Idempotency-Key) pairs of the bookings in a slot called full, read once
    /// while it is: only these can be replays of a booking there.
    full_slot_keys: Coalesced<SlotKey, Arc<HashSet<(Uuid, String)>>>,
    /// A token's principal and when the token expires. An account's attempts often come
    /// together (a page and its form, an app's parallel calls): their misses share one read.
    principals: Coalesced<String, Option<(Principal, DateTime<Utc>)>>,
    /// Applicants by (account, id). An applicant is never removed, and changed only on an
    /// office's account by an assisted booking, which forgets the copy; only people found
    /// are kept.
    applicants: TtlMap<(Uuid, Uuid), Applicant>,
    offices: TtlMap<String, Office>,
    fees: TtlMap<(), Arc<FeeSchedule>>,
    days: TtlMap<(String, NaiveDate), Arc<DayInputs>>,
    reference_version: AtomicU64,
}

impl CachedStore {
    /// Wraps a store.
    pub fn new(inner: DynStore, options: CacheOptions) -> Self {
        Self {
            inner,
            full_slots: TtlMap::new(options.full_slots, 10_000),
            full_slot_keys: Coalesced::new(options.full_slots, 10_000),
            principals: Coalesced::new(options.principals, 100_000),
            applicants: TtlMap::new(options.principals, 100_000),
            offices: TtlMap::new(options.reference, 1_000),
            fees: TtlMap::new(options.reference, 1),
            days: TtlMap::new(options.reference, 10_000),
            reference_version: AtomicU64::new(0),
        }
    }

    /// Whether the database called the slot full within the TTL: a rush of attempts on a
    /// full session is answered without a write transaction each. It only ever makes a
    /// "full" answer a little late; it never grants a place.
    pub fn recently_full(&self, slot: &SlotKey) -> bool {
        self.full_slots.get(slot).is_some()
    }

    /// Whether an attempt with `key` of `account` at a slot [`recently_full`] may be a
    /// replay: whether that key made a booking in the slot. The slot's keys are read once
    /// while it is called full (with no cache, every time), so the rush of new attempts at
    /// a full session, each with a key of its own, is answered without a lookup each; a
    /// double tap still finds the booking its first tap made.
    ///
    /// [`recently_full`]: CachedStore::recently_full
    pub async fn booked_in_slot_with_key(
        &self,
        slot: &SlotKey,
        account: Uuid,
        key: &str,
    ) -> StoreResult<bool> {
        let keys = self
            .full_slot_keys
            .get_or_build(slot.clone(), || async {
                let pairs = self.inner.idempotency_keys_in_slot(slot).await?;
                Ok::<_, StoreError>(Arc::new(pairs.into_iter().collect::<HashSet<_>>()))
            })
            .await?;
        Ok(keys.contains(&(account, key.to_owned())))
    }

    /// A slot may have room again: its copies are stale.
    fn slot_changed(&self, slot: &SlotKey) {
        self.full_slots.remove(slot);
        self.full_slot_keys.remove(slot);
    }

    /// Every slot called full may have room again.
    fn slots_changed(&self) {
        self.full_slots.clear();
        self.full_slot_keys.clear();
    }

    /// A number that changes with every change of offices, calendars, fees, quotas or an
    /// office's outage mode made through this instance: a value built from them (such as
    /// rendered availability) and kept under this number is stale once it has moved on.
    pub fn reference_version(&self) -> u64 {
        self.reference_version.load(Ordering::Acquire)
    }

    /// The fee tables, as a schedule (shared, not copied).
    pub async fn fee_schedule(&self) -> StoreResult<Arc<FeeSchedule>> {
        if let Some(f) = self.fees.get(&()) {
            return Ok(f);
        }
        let f = Arc::new(FeeSchedule::new(self.inner.fee_tables().await?));
        self.fees.put((), f.clone());
        Ok(f)
    }

    /// The working calendar and quota plan of `office` for `from..=to`; a single day's
    /// (a booking's) is kept and shared.
    pub async fn day_inputs(
        &self,
        office: &Office,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Arc<DayInputs>> {
        if from != to {
            return Ok(Arc::new(self.read_inputs(office, from, to).await?));
        }
        let key = (office.code.clone(), from);
        if let Some(d) = self.days.get(&key) {
            return Ok(d);
        }
        let d = Arc::new(self.read_inputs(office, from, to).await?);
        self.days.put(key, d.clone());
        Ok(d)
    }

    async fn read_inputs(
        &self,
        office: &Office,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<DayInputs> {
        let inputs = self.inner.calendar_inputs(&office.code, from, to).await?;
        Ok(DayInputs {
            calendar: Arc::new(WorkingCalendar::new(
                office.open_weekdays,
                inputs.holidays,
                inputs.exceptions,
            )),
            quotas: Arc::new(self.inner.quota_plan(&office.code, from, to).await?),
        })
    }

    /// After a successful change of reference data: every copy of it is stale, and so are
    /// the values built from it.
    fn reference_changed<T>(&self, result: StoreResult<T>) -> StoreResult<T> {
        let value = result?;
        self.offices.clear();
        self.fees.clear();
        self.days.clear();
        self.reference_version.fetch_add(1, Ordering::AcqRel);
        Ok(value)
    }

    /// After a successful quota change: also, a session called full may have room now.
    fn quotas_changed<T>(&self, result: StoreResult<T>) -> StoreResult<T> {
        let value = self.reference_changed(result)?;
        self.slots_changed();
        Ok(value)
    }
}

/// Implements one of the store's traits for [`CachedStore`]: the methods listed pass
/// straight to the inner store; the ones written out after the list use the caches. A
/// method added to the trait must be placed in one or the other, or this does not compile.
macro_rules! wrap {
    ($trait:ident {
        $(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*
    } $($own:tt)*) => {
        #[async_trait]
        impl $trait for CachedStore {
            $(async fn $name(&self $(, $arg: $ty)*) -> $ret {
                self.inner.$name($($arg),*).await
            })*
            $($own)*
        }
    };
}

#[async_trait]
impl Store for CachedStore {
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }
}

wrap!(ReferenceStore {
    fn upsert_region(&self, code: &str, name: &str) -> StoreResult<()>;
    fn list_offices(&self) -> StoreResult<Vec<Office>>;
    fn region_name(&self, code: &str) -> StoreResult<Option<String>>;
    fn list_holidays(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<Holiday>>;
    fn calendar_inputs(&self, office: &str, from: NaiveDate, to: NaiveDate) -> StoreResult<CalendarInputs>;
    fn fee_tables(&self) -> StoreResult<Vec<FeeTable>>;
}
    async fn get_office(&self, code: &str) -> StoreResult<Option<Office>> {
        if let Some(o) = self.offices.get(code) {
            return Ok(Some(o));
        }
        let o = self.inner.get_office(code).await?;
        if let Some(o) = &o {
            self.offices.put(o.code.clone(), o.clone());
        }
        Ok(o)
    }

    async fn upsert_office(&self, office: &Office) -> StoreResult<()> {
        self.reference_changed(self.inner.upsert_office(office).await)
    }

    async fn upsert_holidays(&self, holidays: &[Holiday], actor: &Actor) -> StoreResult<()> {
        self.reference_changed(self.inner.upsert_holidays(holidays, actor).await)
    }

    async fn delete_holiday(&self, date: NaiveDate, actor: &Actor) -> StoreResult<bool> {
        self.reference_changed(self.inner.delete_holiday(date, actor).await)
    }

    async fn set_office_exception(
        &self,
        office: &str,
        exception: &OfficeException,
        actor: &Actor,
    ) -> StoreResult<()> {
        let r = self.inner.set_office_exception(office, exception, actor).await;
        self.reference_changed(r)
    }

    async fn delete_office_exception(
        &self,
        office: &str,
        date: NaiveDate,
        actor: &Actor,
    ) -> StoreResult<bool> {
        let r = self.inner.delete_office_exception(office, date, actor).await;
        self.reference_changed(r)
    }

    async fn put_fee_tables(&self, tables: &[FeeTable]) -> StoreResult<()> {
        self.reference_changed(self.inner.put_fee_tables(tables).await)
    }
);

wrap!(QuotaStore {
    fn quota_plan(&self, office: &str, from: NaiveDate, to: NaiveDate) -> StoreResult<QuotaPlan>;
    fn quota_defaults(&self, office: &str) -> StoreResult<Vec<QuotaDefaultRow>>;
    fn quota_overrides(&self, office: &str, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<QuotaOverrideRow>>;
    fn audit_log(&self, office: Option<&str>, limit: i64) -> StoreResult<Vec<AuditEntry>>;
}
    async fn set_quota_default(
        &self,
        office: &str,
        weekday: Weekday,
        session: &str,
        class: ServiceClass,
        capacity: i64,
        from_date: NaiveDate,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CapacityChange>> {
        let r = self
            .inner
            .set_quota_default(office, weekday, session, class, capacity, from_date, actor, now)
            .await;
        self.quotas_changed(r)
    }

    async fn set_quota_override(
        &self,
        office: &str,
        date: NaiveDate,
        session: &str,
        class: ServiceClass,
        capacity: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<CapacityChange> {
        let r = self
            .inner
            .set_quota_override(office, date, session, class, capacity, actor, now)
            .await;
        self.quotas_changed(r)
    }

    async fn bulk_adjust_quota(
        &self,
        office: &str,
        targets: &[(NaiveDate, String, ServiceClass)],
        adjustment: QuotaAdjustment,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CapacityChange>> {
        let r = self
            .inner
            .bulk_adjust_quota(office, targets, adjustment, actor, now)
            .await;
        self.quotas_changed(r)
    }
);

wrap!(BookingStore {
    fn slot_usage(&self, office: &str, from: NaiveDate, to: NaiveDate, now: DateTime<Utc>) -> StoreResult<Vec<SlotUsage>>;
    fn booking_by_idempotency_key(&self, account: Uuid, key: &str) -> StoreResult<Option<Booking>>;
    fn idempotency_keys_in_slot(&self, slot: &SlotKey) -> StoreResult<Vec<(Uuid, String)>>;
    fn get_booking(&self, id: Uuid) -> StoreResult<Option<Booking>>;
    fn booking_events(&self, id: Uuid) -> StoreResult<Vec<BookingEvent>>;
    fn booking_by_billing_code(&self, code: &str) -> StoreResult<Option<Booking>>;
    fn list_bookings(&self, account: Uuid) -> StoreResult<Vec<Booking>>;
    fn record_payment(&self, notice: &PaymentNotice, now: DateTime<Utc>) -> StoreResult<PaymentOutcome>;
    fn expire_overdue(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<u64>;
}
    async fn allocate(&self, req: AllocationRequest) -> StoreResult<Booking> {
        let slot = req.slot.clone();
        let r = self.inner.allocate(req).await;
        match &r {
            Err(StoreError::QuotaFull) => self.full_slots.put(slot, ()),
            // A key that has a booking in the slot now.
            Ok(_) => self.full_slot_keys.remove(&slot),
            Err(_) => {}
        }
        r
    }

    async fn cancel_booking(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<Booking> {
        let b = self.inner.cancel_booking(id, now).await?;
        self.slot_changed(&b.slot);
        Ok(b)
    }

    async fn reschedule_booking(
        &self,
        id: Uuid,
        to: SlotKey,
        counts_as_reschedule: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<Booking> {
        let b = self
            .inner
            .reschedule_booking(id, to, counts_as_reschedule, now)
            .await?;
        // The slot it left is not in the answer; a move is rare, so every slot called full
        // is asked again rather than read the booking first.
        self.slots_changed();
        Ok(b)
    }

    async fn book_assisted(&self, a: AssistedBooking) -> StoreResult<Booking> {
        let slot = a.req.slot.clone();
        let r = self.inner.book_assisted(a).await;
        match &r {
            Err(StoreError::QuotaFull) => self.full_slots.put(slot, ()),
            // The desk may have brought the person's details up to date.
            Ok(b) => {
                self.applicants.remove(&(b.account_id, b.applicant_id));
                self.full_slot_keys.remove(&slot);
            }
            Err(_) => {}
        }
        r
    }

    async fn special_reschedule(&self, m: &SpecialMove) -> StoreResult<Booking> {
        let b = self.inner.special_reschedule(m).await?;
        // As a reschedule: the slot it left may have a place again.
        self.slots_changed();
        Ok(b)
    }
);

wrap!(AccountStore {
    fn create_account(&self, account: &NewAccount, now: DateTime<Utc>) -> StoreResult<Uuid>;
    fn account_auth(&self, email: &str) -> StoreResult<Option<AccountAuth>>;
    fn get_account(&self, id: Uuid) -> StoreResult<Option<Account>>;
    fn put_verification(&self, account: Uuid, code_hash: &str, expires_at: DateTime<Utc>) -> StoreResult<()>;
    fn verify_email(&self, account: Uuid, code_hash: &str, now: DateTime<Utc>) -> StoreResult<()>;
    fn put_password_reset(&self, account: Uuid, code_hash: &str, expires_at: DateTime<Utc>) -> StoreResult<()>;
    fn create_staff(&self, staff: &Staff, password_hash: &str, now: DateTime<Utc>) -> StoreResult<()>;
    fn staff_auth(&self, username: &str) -> StoreResult<Option<StaffAuth>>;
    fn create_token(&self, token_hash: &str, principal: &Principal, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> StoreResult<()>;
    fn add_applicant(&self, applicant: &Applicant, now: DateTime<Utc>) -> StoreResult<()>;
    fn list_applicants(&self, account: Uuid) -> StoreResult<Vec<Applicant>>;
}
    async fn get_applicant(&self, account: Uuid, id: Uuid) -> StoreResult<Option<Applicant>> {
        if let Some(a) = self.applicants.get(&(account, id)) {
            return Ok(Some(a));
        }
        let found = self.inner.get_applicant(account, id).await?;
        if let Some(a) = &found {
            self.applicants.put((account, id), a.clone());
        }
        Ok(found)
    }

    async fn principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Principal, DateTime<Utc>)>> {
        let found = self
            .principals
            .get_or_build(token_hash.to_owned(), || {
                self.inner.principal(token_hash, now)
            })
            .await?;
        match found {
            Some((_, expires_at)) if now < expires_at => Ok(found),
            // Expired since it was read (a token's expiry never moves), or unknown: only
            // live tokens found are kept.
            _ => {
                self.principals.remove(token_hash);
                Ok(None)
            }
        }
    }

    async fn delete_token(&self, token_hash: &str) -> StoreResult<()> {
        self.inner.delete_token(token_hash).await?;
        self.principals.remove(token_hash);
        Ok(())
    }

    async fn reset_password(
        &self,
        account: Uuid,
        code_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.inner
            .reset_password(account, code_hash, password_hash, now)
            .await?;
        // Which cached tokens were the account's only the store knows; a reset is rare.
        self.principals.clear();
        Ok(())
    }
);

wrap!(OutboxStore {
    fn enqueue_mail(&self, to: &str, subject: &str, body: &str, now: DateTime<Utc>) -> StoreResult<()>;
    fn unsent_mail(&self, limit: i64) -> StoreResult<Vec<Mail>>;
    fn claim_mail(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Mail>>;
    fn mark_mail(&self, id: Uuid, result: Result<DateTime<Utc>, String>) -> StoreResult<()>;
    fn recent_mail(&self, to: Option<&str>, limit: i64) -> StoreResult<Vec<Mail>>;
});

// Notices change no copy kept here (an event's mark and a notice row are read by nobody else).
wrap!(NoticeStore {
    fn unnoticed_events(&self, limit: i64) -> StoreResult<Vec<BookingEvent>>;
    fn running_holds(&self, after: DateTime<Utc>, after_id: Option<Uuid>, limit: i64) -> StoreResult<Vec<Booking>>;
    fn reminders_due(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Booking>>;
    fn record_notices(&self, notices: &[Notice], now: DateTime<Utc>) -> StoreResult<u64>;
});

/// The wrapper is used wherever a store is: `state.store.get_booking(..)` reads through it
/// without naming the traits.
impl std::ops::Deref for CachedStore {
    type Target = dyn Store;

    fn deref(&self) -> &Self::Target {
        self
    }
}

wrap!(FloorStore {
    fn issue_walk_in(&self, w: &NewWalkIn) -> StoreResult<Ticket>;
    fn check_in(&self, c: &NewCheckIn) -> StoreResult<Ticket>;
    fn booking_ids_of_days(&self, office: &str, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<Uuid>>;
    fn ticket_of_booking(&self, booking: Uuid) -> StoreResult<Option<Ticket>>;
    fn get_ticket(&self, id: Uuid) -> StoreResult<Option<Ticket>>;
    fn outage_on(&self, office: &str, date: NaiveDate) -> StoreResult<bool>;
    fn issue_outage_walk_in(&self, office: &str, date: NaiveDate, actor: &Actor, now: DateTime<Utc>) -> StoreResult<Ticket>;
    fn call_next(&self, c: &NewCall) -> StoreResult<Option<Ticket>>;
    fn act_on_ticket(&self, a: &TicketAction) -> StoreResult<Ticket>;
    fn floor_events_since(&self, office: &str, after: i64, limit: i64) -> StoreResult<Vec<FloorEvent>>;
    fn last_floor_seq(&self, office: &str) -> StoreResult<i64>;
    fn tickets_of_day(&self, office: &str, date: NaiveDate) -> StoreResult<Vec<Ticket>>;
}
    /// Outage mode is shown on the office's calendar page: the values built under the
    /// reference version are stale once it changes.
    async fn set_outage(
        &self,
        office: &str,
        date: NaiveDate,
        on: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.inner.set_outage(office, date, on, actor, now).await?;
        self.reference_version.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
);
