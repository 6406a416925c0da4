//! Loket's storage: the `Store` trait (one method per use case) and its implementation on
//! SQLite (embedded, default) and PostgreSQL (many instances). Whatever must be atomic, such
//! as taking a place or recording a payment, is one method here. `CachedStore` wraps a
//! store with the service's in-process caches, each forgotten by the write that makes it
//! stale.

mod allocation;
mod cached;
pub mod db;
mod error;
mod history;
mod lite;
mod options;
mod reference_data;
mod rows;
mod sql;
mod sql_store;
mod ttl;
pub mod types;
mod values;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc, Weekday};
use loket_domain::Office;
use loket_domain::calendar::{Holiday, OfficeException};
use loket_domain::catalogue::FeeTable;
use loket_domain::quota::{QuotaAdjustment, QuotaPlan, ServiceClass};
use uuid::Uuid;

pub use cached::{CacheOptions, CachedStore, DayInputs};
pub use error::{StoreError, StoreResult};
pub use options::{SqliteDurability, StoreOptions};
pub use reference_data::seed_reference_data;
pub use sql_store::SqlStore;
pub use ttl::Coalesced;
pub use types::*;

/// The shared handle the service holds.
pub type DynStore = Arc<dyn Store>;

/// Every read and write Loket makes, one method per use case, grouped by concept in the
/// traits below; a `dyn Store` calls them all without importing them.
#[async_trait]
pub trait Store:
    ReferenceStore
    + QuotaStore
    + BookingStore
    + AccountStore
    + OutboxStore
    + NoticeStore
    + FloorStore
    + Send
    + Sync
    + 'static
{
    /// Which engine backs this store ("sqlite" or "postgres").
    fn backend_name(&self) -> &'static str;
    /// Cheap round trip, for /readyz.
    async fn ping(&self) -> StoreResult<()>;
}

/// Reference data: regions, offices, the national calendar, office exceptions, fee tables.
#[async_trait]
pub trait ReferenceStore: Send + Sync {
    /// Creates or updates a region.
    async fn upsert_region(&self, code: &str, name: &str) -> StoreResult<()>;
    /// Creates or replaces an office and its sessions.
    async fn upsert_office(&self, office: &Office) -> StoreResult<()>;
    /// All offices, by code.
    async fn list_offices(&self) -> StoreResult<Vec<Office>>;
    /// One office.
    async fn get_office(&self, code: &str) -> StoreResult<Option<Office>>;
    /// Region name by code.
    async fn region_name(&self, code: &str) -> StoreResult<Option<String>>;
    /// Adds or replaces national holidays.
    async fn upsert_holidays(&self, holidays: &[Holiday], actor: &Actor) -> StoreResult<()>;
    /// Removes a national holiday; false if there was none.
    async fn delete_holiday(&self, date: NaiveDate, actor: &Actor) -> StoreResult<bool>;
    /// National holidays in a period.
    async fn list_holidays(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<Holiday>>;
    /// Sets an office's closure or opening for a date.
    async fn set_office_exception(
        &self,
        office: &str,
        exception: &OfficeException,
        actor: &Actor,
    ) -> StoreResult<()>;
    /// Removes an office's exception; false if there was none.
    async fn delete_office_exception(
        &self,
        office: &str,
        date: NaiveDate,
        actor: &Actor,
    ) -> StoreResult<bool>;
    /// Holidays and the office's exceptions in a period, to build its working calendar.
    async fn calendar_inputs(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<CalendarInputs>;
    /// Replaces the fee tables.
    async fn put_fee_tables(&self, tables: &[FeeTable]) -> StoreResult<()>;
    /// All fee tables.
    async fn fee_tables(&self) -> StoreResult<Vec<FeeTable>>;
}

/// Quotas: weekday defaults, per-date overrides, bulk changes, and their audit trail.
#[async_trait]
pub trait QuotaStore: Send + Sync {
    /// The quota plan (weekday defaults, overrides in the period) of an office.
    async fn quota_plan(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<QuotaPlan>;
    /// The weekday defaults of an office.
    async fn quota_defaults(&self, office: &str) -> StoreResult<Vec<QuotaDefaultRow>>;
    /// The per-date overrides of an office in a period.
    async fn quota_overrides(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<QuotaOverrideRow>>;
    /// Sets a weekday default. Existing slots from `from_date` on that follow the default
    /// change too, never below their taken places (those get an override at the taken count).
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
    ) -> StoreResult<Vec<CapacityChange>>;
    /// Sets one date's capacity; fails with `CapacityBelowTaken` below the taken places.
    async fn set_quota_override(
        &self,
        office: &str,
        date: NaiveDate,
        session: &str,
        class: ServiceClass,
        capacity: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<CapacityChange>;
    /// Applies one adjustment to every listed (date, session, class), as overrides, clamped
    /// at the places taken. The capacity in force (the slot's, else the date's override,
    /// else the weekday default) is read inside the same transaction as the change.
    async fn bulk_adjust_quota(
        &self,
        office: &str,
        targets: &[(NaiveDate, String, ServiceClass)],
        adjustment: QuotaAdjustment,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CapacityChange>>;
    /// Audit entries of an office, newest first.
    async fn audit_log(&self, office: Option<&str>, limit: i64) -> StoreResult<Vec<AuditEntry>>;
}

/// Places and bookings: availability counts, allocation, payment, cancel, reschedule, expiry.
#[async_trait]
pub trait BookingStore: Send + Sync {
    /// Capacity and places taken for the slots that exist in a period.
    async fn slot_usage(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SlotUsage>>;
    /// Takes a place and records the booking, atomically: never more held + paid bookings
    /// than the slot's capacity, one active booking per NIK. The allocation seam.
    async fn allocate(&self, req: AllocationRequest) -> StoreResult<Booking>;
    /// The booking an account made with an idempotency key, if any.
    async fn booking_by_idempotency_key(
        &self,
        account: Uuid,
        key: &str,
    ) -> StoreResult<Option<Booking>>;
    /// The (account, idempotency key) of each booking made in a slot with a key, whatever
    /// its state now.
    async fn idempotency_keys_in_slot(&self, slot: &SlotKey) -> StoreResult<Vec<(Uuid, String)>>;
    /// A booking by id.
    async fn get_booking(&self, id: Uuid) -> StoreResult<Option<Booking>>;
    /// A booking's recorded changes, oldest first: its history.
    async fn booking_events(&self, id: Uuid) -> StoreResult<Vec<BookingEvent>>;
    /// A booking by billing code.
    async fn booking_by_billing_code(&self, code: &str) -> StoreResult<Option<Booking>>;
    /// An account's bookings, newest first.
    async fn list_bookings(&self, account: Uuid) -> StoreResult<Vec<Booking>>;
    /// Cancels a booking (rules already checked by the caller, re-checked on the row).
    async fn cancel_booking(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<Booking>;
    /// Moves a booking to another slot atomically (the new place is taken under the same
    /// guard as `allocate`). `counts_as_reschedule` is false for a refund rebook.
    async fn reschedule_booking(
        &self,
        id: Uuid,
        to: SlotKey,
        counts_as_reschedule: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<Booking>;
    /// A special reschedule by the front desk: a paid or no-show booking of the office moves
    /// to `to` (which must have a place) and is paid there, without using the applicant's
    /// one reschedule; a no-show's NIK must be free. With its event and an audit entry
    /// (the reason), in one transaction.
    async fn special_reschedule(&self, m: &SpecialMove) -> StoreResult<Booking>;
    /// Books for a person without a phone at the front desk (see `AssistedBooking`): the
    /// person put on the office's account and the place taken, as `allocate` takes it,
    /// with the audit entry, in one transaction.
    async fn book_assisted(&self, a: AssistedBooking) -> StoreResult<Booking>;
    /// Records a payment notification, idempotently by notification id, and settles the
    /// booking: paid, pending, restored after lapse, or owed back.
    async fn record_payment(
        &self,
        notice: &PaymentNotice,
        now: DateTime<Utc>,
    ) -> StoreResult<PaymentOutcome>;
    /// Marks unpaid holds past their deadline as expired; returns how many. Safe to run on
    /// several instances at once.
    async fn expire_overdue(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<u64>;
}

/// Applicant accounts, staff, login tokens, and the people an account applies for.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Registers an applicant account.
    async fn create_account(&self, account: &NewAccount, now: DateTime<Utc>) -> StoreResult<Uuid>;
    /// Login data by email.
    async fn account_auth(&self, email: &str) -> StoreResult<Option<AccountAuth>>;
    /// Profile.
    async fn get_account(&self, id: Uuid) -> StoreResult<Option<Account>>;
    /// Stores (replacing) the email verification code hash of an account.
    async fn put_verification(
        &self,
        account: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Checks a verification code and marks the email verified. At most 5 tries per code.
    async fn verify_email(
        &self,
        account: Uuid,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Stores (replacing) the password reset code hash of an account.
    async fn put_password_reset(
        &self,
        account: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Checks a password reset code and, in one transaction, sets the new password hash,
    /// marks the email verified (the code came by mail), ends every session of the account
    /// and uses the code up. At most 5 tries per code.
    async fn reset_password(
        &self,
        account: Uuid,
        code_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Creates a staff member.
    async fn create_staff(
        &self,
        staff: &Staff,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Login data by username.
    async fn staff_auth(&self, username: &str) -> StoreResult<Option<StaffAuth>>;
    /// Stores a token hash for a principal.
    async fn create_token(
        &self,
        token_hash: &str,
        principal: &Principal,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Resolves a token hash to its principal and the token's expiry, if unexpired.
    async fn principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Principal, DateTime<Utc>)>>;
    /// Deletes a token (logout).
    async fn delete_token(&self, token_hash: &str) -> StoreResult<()>;

    // --- applicants ---
    /// Adds an applicant to an account (at most five).
    async fn add_applicant(&self, applicant: &Applicant, now: DateTime<Utc>) -> StoreResult<()>;
    /// An account's applicants.
    async fn list_applicants(&self, account: Uuid) -> StoreResult<Vec<Applicant>>;
    /// One applicant of an account.
    async fn get_applicant(&self, account: Uuid, id: Uuid) -> StoreResult<Option<Applicant>>;
}

/// The mail outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Queues an email.
    async fn enqueue_mail(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Unsent mail, oldest first.
    async fn unsent_mail(&self, limit: i64) -> StoreResult<Vec<Mail>>;
    /// Claims up to `limit` unsent mails until `lease_until`, for one worker to deliver.
    async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Mail>>;
    /// Marks a mail sent, or records a failed attempt.
    async fn mark_mail(&self, id: Uuid, result: Result<DateTime<Utc>, String>) -> StoreResult<()>;
    /// Recent mail, newest first, optionally to one address (dev and demo only).
    async fn recent_mail(&self, to: Option<&str>, limit: i64) -> StoreResult<Vec<Mail>>;
}

/// Mail about bookings, derived after the fact from the recorded changes and from sweeps
/// over bookings. Each notice is claimed once by its key, in the transaction that queues its
/// mail, so that none is lost or sent twice, whichever instance records it.
#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// Recorded state changes not yet noticed, oldest first.
    async fn unnoticed_events(&self, limit: i64) -> StoreResult<Vec<BookingEvent>>;
    /// Holds whose deadline is after `after` (and so still running if `after` is not
    /// before now), soonest deadline first, then by id; with `after_id`, also those whose
    /// deadline is `after` and whose id is greater (where the last hold of a full batch
    /// left off). Noticed or not: the sweep that mails them knows which it has noticed,
    /// and claiming a notice twice queues no second mail.
    async fn running_holds(
        &self,
        after: DateTime<Utc>,
        after_id: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<Booking>>;
    /// Paid bookings whose service date is tomorrow in their office's zone, as of `now`,
    /// not yet reminded of that date.
    async fn reminders_due(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Booking>>;
    /// Claims each notice by its key and queues the mail of those it claimed, all in one
    /// transaction; a notice already claimed (by an earlier call or another instance) is
    /// left alone. Returns how many mails were queued.
    async fn record_notices(&self, notices: &[Notice], now: DateTime<Utc>) -> StoreResult<u64>;
}

/// The office floor's queue: tickets numbered per office, day and series, never twice,
/// whichever counter or instance asks.
#[async_trait]
pub trait FloorStore: Send + Sync {
    /// Registers a priority walk-in: takes the next P number of the office's day and
    /// issues its ticket, with an audit entry, in one transaction. The number is taken only
    /// while fewer than `w.quota` priority tickets were issued that day, in the same
    /// statement; otherwise `PriorityQuotaFull`.
    async fn issue_walk_in(&self, w: &NewWalkIn) -> StoreResult<Ticket>;
    /// Checks a booking in: if it is still paid and for this office and day, it becomes
    /// checked in and gets the next A number of the day, with its event and an audit
    /// entry, in one transaction (`VisitKind::Booked`); a return visit with missing
    /// documents (`VisitKind::Return`) gets its number if the documents are still due and
    /// no other ticket of the booking is on the floor, and keeps its state. Otherwise
    /// nothing changes and the refusal says why (`CheckIn`, or `NotFound`). A booking is
    /// checked in once per visit, however many desks try.
    async fn check_in(&self, c: &NewCheckIn) -> StoreResult<Ticket>;
    /// The ids of the office's bookings of the days `from` to `to` (whatever their state),
    /// for finding one by its typed booking code.
    async fn booking_ids_of_days(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<Uuid>>;
    /// The latest ticket a booking was checked in with (a return visit's, after the first
    /// visit's).
    async fn ticket_of_booking(&self, booking: Uuid) -> StoreResult<Option<Ticket>>;
    /// A ticket by its id.
    async fn get_ticket(&self, id: Uuid) -> StoreResult<Option<Ticket>>;
    /// Switches the office's outage mode of `date` on or off, with an audit entry (before
    /// and after).
    async fn set_outage(
        &self,
        office: &str,
        date: NaiveDate,
        on: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Whether the office runs in outage mode on `date`.
    async fn outage_on(&self, office: &str, date: NaiveDate) -> StoreResult<bool>;
    /// Registers a walk-in in outage mode: the next B number of the day, recorded as such
    /// (its event and an audit entry); refused (`OutageModeOff`) unless the office runs in
    /// outage mode that day, checked in the same transaction.
    async fn issue_outage_walk_in(
        &self,
        office: &str,
        date: NaiveDate,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Ticket>;
    /// Calls the next ticket at a counter, chosen by the call policy among those waiting at
    /// its stage; None when nobody waits. One transaction with its audit entry; two
    /// counters calling at once never get the same ticket (the call is a conditional
    /// update, made again on what is left when another counter got there first), and a
    /// counter that has a ticket called is refused (`CounterBusy`).
    async fn call_next(&self, c: &NewCall) -> StoreResult<Option<Ticket>>;
    /// A counter's action on a ticket (recall, absent, put back, transfer, finish), as the
    /// domain's rule allows it (`Ticket` refusals otherwise); finishing a booked ticket with
    /// an interview outcome moves its booking on, with its event. One transaction with its
    /// audit entry (before and after).
    async fn act_on_ticket(&self, a: &TicketAction) -> StoreResult<Ticket>;
    /// The office's floor events after number `after`, in order, at most `limit`: what a
    /// board that saw event `after` missed.
    async fn floor_events_since(
        &self,
        office: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<FloorEvent>>;
    /// The number of the office's latest floor event (0 before the first).
    async fn last_floor_seq(&self, office: &str) -> StoreResult<i64>;
    /// The office's tickets of `date`, in the order they were issued.
    async fn tickets_of_day(&self, office: &str, date: NaiveDate) -> StoreResult<Vec<Ticket>>;
}

/// Everything a caller holding a concrete `SqlStore` imports to call store methods.
pub mod prelude {
    pub use crate::{
        AccountStore, BookingStore, FloorStore, NoticeStore, OutboxStore, QuotaStore,
        ReferenceStore, Store,
    };
}
