//! Bookings: the life of a held place, from hold to payment, expiry, cancellation and
//! reschedule, as a state machine with the rules of M-Paspor (2-hour billing deadline,
//! one reschedule up to D-1, late payments reconciled and never lost).

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One account may apply for at most this many people (a family).
pub const MAX_APPLICANTS_PER_ACCOUNT: usize = 5;

/// How many times an applicant may move a booking themselves.
pub const MAX_RESCHEDULES: u32 = 1;

/// Where a booking stands. Stored as its `as_str` code; the office floor adds later states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingState {
    /// Holds a place until the billing deadline.
    AwaitingPayment,
    /// The bank has taken the money and is confirming it: holds the place past the deadline.
    PaymentPending,
    /// Paid: the place is the applicant's.
    Paid,
    /// The deadline passed unpaid; the place went back to the quota.
    Expired,
    /// Cancelled by the applicant; the place went back to the quota.
    Cancelled,
    /// Paid too late, after the place was taken again: the fee is owed back, or the
    /// applicant may move the booking to another free slot.
    RefundDue,
    /// Paid, but the service day ended without a check-in: the fee is forfeited and the
    /// NIK may book again.
    NoShow,
    /// Paid and checked in at the office on its day: the applicant holds a queue ticket.
    /// It keeps its place and stays the NIK's one active booking, on past its day, until
    /// the counter's outcome moves it on.
    CheckedIn,
    /// Interviewed, documents complete: the application goes on to processing and stays
    /// the NIK's one active application (the back office carries it on to pickup).
    Accepted,
    /// Interviewed, documents missing: the applicant brings them within the deadline;
    /// the application stays the NIK's active one meanwhile.
    DocumentsMissing,
    /// Rejected at the interview, with a reason: the NIK may book again.
    Rejected,
    /// Checked in, but the day of the visit ended before a counter finished its ticket (the
    /// applicant left, or the office closed first): the NIK may book again, and the front
    /// desk may move it to another day with a special reschedule.
    Unserved,
    /// The documents missing at the interview were not brought by their deadline
    /// (`documents_due`): the application ended, and the NIK may book again.
    DocumentsLapsed,
}

impl BookingState {
    /// Every state.
    pub const ALL: [BookingState; 13] = [
        Self::AwaitingPayment,
        Self::PaymentPending,
        Self::Paid,
        Self::Expired,
        Self::Cancelled,
        Self::RefundDue,
        Self::NoShow,
        Self::CheckedIn,
        Self::Accepted,
        Self::DocumentsMissing,
        Self::Rejected,
        Self::Unserved,
        Self::DocumentsLapsed,
    ];

    /// The states kept in the store's one-active-booking-per-NIK index and counted in a
    /// slot's places taken (an unpaid hold among them only until its deadline): every
    /// state for which `holds_place` can be true.
    pub const ACTIVE: [BookingState; 6] = [
        Self::AwaitingPayment,
        Self::PaymentPending,
        Self::Paid,
        Self::CheckedIn,
        Self::Accepted,
        Self::DocumentsMissing,
    ];

    /// Stable code, as stored and sent over the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::AwaitingPayment => "awaiting_payment",
            Self::PaymentPending => "payment_pending",
            Self::Paid => "paid",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::RefundDue => "refund_due",
            Self::NoShow => "no_show",
            Self::CheckedIn => "checked_in",
            Self::Accepted => "accepted",
            Self::DocumentsMissing => "documents_missing",
            Self::Rejected => "rejected",
            Self::Unserved => "unserved",
            Self::DocumentsLapsed => "documents_lapsed",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether a booking in this state occupies a place, given its deadline and the time.
    /// An unpaid hold stops counting the instant its deadline passes, swept or not.
    pub fn holds_place(&self, deadline: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        match self {
            Self::AwaitingPayment => now < deadline,
            Self::PaymentPending
            | Self::Paid
            | Self::CheckedIn
            | Self::Accepted
            | Self::DocumentsMissing => true,
            Self::Expired
            | Self::Cancelled
            | Self::RefundDue
            | Self::NoShow
            | Self::Rejected
            | Self::Unserved
            | Self::DocumentsLapsed => false,
        }
    }

    /// Whether a booking in this state was checked in at the office (it has a queue
    /// ticket): checked in, given its interview outcome, or its visit ended unfinished.
    pub fn checked_in(&self) -> bool {
        matches!(
            self,
            Self::CheckedIn
                | Self::Accepted
                | Self::DocumentsMissing
                | Self::Rejected
                | Self::Unserved
                | Self::DocumentsLapsed
        )
    }

    /// Whether a booking in this state takes the counter's interview outcome: checked in,
    /// or back with the documents missing at an earlier interview.
    pub fn awaits_outcome(&self) -> bool {
        matches!(self, Self::CheckedIn | Self::DocumentsMissing)
    }

    /// Whether a booking in this (effective) state has a receipt to show at the office:
    /// it is paid and its visit has not ended.
    pub fn has_receipt(&self) -> bool {
        *self == Self::Paid
    }

    /// The state as seen at `now`: an unpaid hold past its deadline reads as expired even
    /// before the worker has swept it.
    pub fn effective(&self, deadline: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        match self {
            Self::AwaitingPayment if now >= deadline => Self::Expired,
            s => *s,
        }
    }

    /// Whether this booking blocks its NIK from holding another one: it holds a place and
    /// is not out of date (`overdue`). A paid booking whose day is over without a check-in
    /// is a no-show and frees the NIK; a payment still being confirmed keeps blocking it,
    /// since the money may yet arrive; a checked-in booking blocks it until its outcome (or
    /// until the day's close-out finds its ticket unfinished); missing documents block it
    /// until their deadline.
    pub fn blocks_nik(
        &self,
        deadline: DateTime<Utc>,
        service_date: NaiveDate,
        today_local: NaiveDate,
        now: DateTime<Utc>,
    ) -> bool {
        self.holds_place(deadline, now)
            && self
                .overdue(deadline, service_date, today_local, now)
                .is_none()
    }

    /// Whether a stored active state is out of date at `now` and is to be moved on before
    /// the NIK is checked: a lapsed hold becomes expired, a paid booking whose day ended a
    /// no-show, missing documents past their deadline lapsed. None when the state stands.
    /// (A checked-in booking's visit may be a later day than its service date, a return
    /// with the missing documents: the day's close-out judges it by its ticket.)
    pub fn overdue(
        &self,
        deadline: DateTime<Utc>,
        service_date: NaiveDate,
        today_local: NaiveDate,
        now: DateTime<Utc>,
    ) -> Option<BookingState> {
        match self {
            Self::AwaitingPayment if now >= deadline => Some(Self::Expired),
            _ => self.overdue_by_day(service_date, today_local),
        }
    }

    /// The part of `overdue` that depends on the date alone (the batch allocators know
    /// whether a hold lapsed from the database).
    pub fn overdue_by_day(
        &self,
        service_date: NaiveDate,
        today_local: NaiveDate,
    ) -> Option<BookingState> {
        match self {
            Self::Paid if day_over(service_date, today_local) => Some(Self::NoShow),
            Self::DocumentsMissing if today_local > documents_due(service_date) => {
                Some(Self::DocumentsLapsed)
            }
            _ => None,
        }
    }
}

/// Days an applicant has, after the interview day, to bring missing documents.
pub const DOCUMENTS_DAYS: u32 = 7;

/// The last day (office-local) on which documents missing at an interview on
/// `service_date` may be brought: a return visit is checked in up to and including it.
pub fn documents_due(service_date: NaiveDate) -> NaiveDate {
    service_date + Days::new(u64::from(DOCUMENTS_DAYS))
}

/// The earliest interview day whose missing documents may still be brought on `today`
/// (office-local): the inverse of `documents_due`.
pub fn documents_due_from(today: NaiveDate) -> NaiveDate {
    today - Days::new(u64::from(DOCUMENTS_DAYS))
}

/// Whether a recorded change from `from` to `to` is a move to another date or session. A
/// move keeps the booking's state (held stays held, paid stays paid), except a refund's
/// move and a special reschedule of a missed or unserved day, which pay it; every other
/// change changes the state, but for missing documents found missing again on the return
/// visit, which is no move.
pub fn is_move(from: Option<BookingState>, to: BookingState) -> bool {
    match (from, to) {
        (
            Some(BookingState::RefundDue | BookingState::NoShow | BookingState::Unserved),
            BookingState::Paid,
        ) => true,
        (_, BookingState::DocumentsMissing) => false,
        (Some(f), t) => f == t,
        (None, _) => false,
    }
}

/// Whether a service day is over, given today's date in the office's zone.
pub fn day_over(service_date: NaiveDate, today_local: NaiveDate) -> bool {
    service_date < today_local
}

/// Where a booking's payment stands, as its owner is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// No money has arrived.
    Unpaid,
    /// The bank has taken the money and is confirming it.
    Confirming,
    /// The money arrived (see `paid_at`), whatever became of the booking since.
    Received,
}

impl PaymentStatus {
    /// The payment status of a booking in `state`, `paid` when the money arrived.
    pub fn of(state: BookingState, paid: bool) -> Self {
        match (state, paid) {
            (_, true) => Self::Received,
            (BookingState::PaymentPending, false) => Self::Confirming,
            _ => Self::Unpaid,
        }
    }

    /// Stable code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Unpaid => "unpaid",
            Self::Confirming => "confirming",
            Self::Received => "received",
        }
    }
}

/// Whether money is owed back on a booking: it was paid (`paid_at` is set) and then
/// cancelled by the applicant, or paid too late for its place. A no-show's fee is forfeited.
pub fn refund_owed(state: BookingState, paid: bool) -> bool {
    paid && matches!(state, BookingState::Cancelled | BookingState::RefundDue)
}

/// What to do with a payment notification for a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentDecision {
    /// Mark paid: the place is already held.
    MarkPaid,
    /// Already paid: acknowledge, change nothing (notifications repeat).
    AlreadyPaid,
    /// The hold lapsed: take a place again if one is free, else owe a refund.
    Reconcile,
    /// The applicant cancelled before paying: the money is owed back.
    Refund,
    /// Already recorded as owed back: acknowledge, change nothing.
    AlreadyRefundDue,
}

/// Decides how a confirmed payment at `now` changes a booking in `state`.
pub fn decide_payment(
    state: BookingState,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> PaymentDecision {
    match state.effective(deadline, now) {
        BookingState::AwaitingPayment | BookingState::PaymentPending => PaymentDecision::MarkPaid,
        BookingState::Paid
        | BookingState::NoShow
        | BookingState::CheckedIn
        | BookingState::Accepted
        | BookingState::DocumentsMissing
        | BookingState::Rejected
        | BookingState::Unserved
        | BookingState::DocumentsLapsed => PaymentDecision::AlreadyPaid,
        BookingState::Expired => PaymentDecision::Reconcile,
        BookingState::Cancelled => PaymentDecision::Refund,
        BookingState::RefundDue => PaymentDecision::AlreadyRefundDue,
    }
}

/// Why a booking cannot be changed as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Only held or paid bookings can be cancelled, and not once the day has come.
    #[error("this booking can no longer be cancelled")]
    CancelNotAllowed,
    /// The one reschedule was used, the booking is not in a movable state, or it is too late.
    #[error("this booking can no longer be rescheduled")]
    RescheduleNotAllowed,
    /// The payment deadline has passed.
    #[error("the payment deadline has passed")]
    DeadlinePassed,
}

/// Checks that an applicant may cancel: held or paid, and before the service day.
pub fn check_cancel(
    state: BookingState,
    deadline: DateTime<Utc>,
    service_date: NaiveDate,
    today_local: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), TransitionError> {
    match state.effective(deadline, now) {
        BookingState::AwaitingPayment | BookingState::Paid if today_local < service_date => Ok(()),
        BookingState::Expired => Err(TransitionError::DeadlinePassed),
        _ => Err(TransitionError::CancelNotAllowed),
    }
}

/// Checks that an applicant may move a booking themselves: once, up to the day before
/// (D-1, in the office's zone). A booking owed a refund may always be moved to a free slot,
/// which is how a late payer is offered another slot; that move does not use the one reschedule.
pub fn check_reschedule(
    state: BookingState,
    deadline: DateTime<Utc>,
    reschedules_used: u32,
    service_date: NaiveDate,
    today_local: NaiveDate,
    now: DateTime<Utc>,
) -> Result<RescheduleKind, TransitionError> {
    match state.effective(deadline, now) {
        BookingState::RefundDue => Ok(RescheduleKind::RefundRebook),
        BookingState::AwaitingPayment | BookingState::Paid
            if reschedules_used < MAX_RESCHEDULES && today_local < service_date =>
        {
            Ok(RescheduleKind::Applicant)
        }
        BookingState::Expired => Err(TransitionError::DeadlinePassed),
        _ => Err(TransitionError::RescheduleNotAllowed),
    }
}

/// Why the front desk moves a booking after the applicant's own reschedule is closed
/// (from the day before on, or after a missed day): a special reschedule, recorded with
/// its reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecialReason {
    /// Loket, the payment system or the office failed the applicant (a day that ended
    /// before a checked-in applicant was served, too).
    SystemFault,
    /// The applicant was ill (a doctor's letter).
    Illness,
    /// A disaster, a closure, anything beyond the applicant's control.
    ForceMajeure,
}

impl SpecialReason {
    /// Every reason.
    pub const ALL: [SpecialReason; 3] = [Self::SystemFault, Self::Illness, Self::ForceMajeure];

    /// Stable code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::SystemFault => "system_fault",
            Self::Illness => "illness",
            Self::ForceMajeure => "force_majeure",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Checks that the front desk may move a booking with a special reschedule: it is paid
/// (any day, the day itself and after included), a no-show (the fee was paid; the
/// applicant missed the day for one of the reasons) or unserved (checked in, and the day
/// ended before a counter finished it). It does not use the applicant's one reschedule. A
/// no-show or unserved booking moved back must find its NIK free (the store checks).
pub fn check_special_reschedule(
    state: BookingState,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), TransitionError> {
    match state.effective(deadline, now) {
        BookingState::Paid | BookingState::NoShow | BookingState::Unserved => Ok(()),
        BookingState::Expired => Err(TransitionError::DeadlinePassed),
        _ => Err(TransitionError::RescheduleNotAllowed),
    }
}

/// Which kind of move a reschedule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RescheduleKind {
    /// The applicant's one move.
    Applicant,
    /// A late payer taking a free slot instead of a refund.
    RefundRebook,
}

/// The policy that hands out places. Handlers ask the store to allocate and never see which
/// policy ran, so a fair draw or a waiting list can be added here without touching them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationPolicy {
    /// First come, first served: a request takes a place at once if one is free.
    #[default]
    FirstComeFirstServed,
}

impl AllocationPolicy {
    /// Every policy.
    pub const ALL: [AllocationPolicy; 1] = [Self::FirstComeFirstServed];

    /// Stable code, as stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::FirstComeFirstServed => "first_come_first_served",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A 15-digit billing code (kode billing SIMPONI) that pays one booking.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BillingCode(String);

impl BillingCode {
    /// Number of digits in a billing code.
    pub const LEN: usize = 15;

    /// Builds a code from a random number; the first digit is never zero so codes keep
    /// their 15 digits when a spreadsheet reads them as numbers.
    pub fn from_random(r: u64) -> Self {
        const LOW: u64 = 100_000_000_000_000;
        const SPAN: u64 = 900_000_000_000_000;
        Self((LOW + r % SPAN).to_string())
    }

    /// Parses a code typed or sent by a bank; spaces and dashes between groups are allowed.
    pub fn parse(s: &str) -> Result<Self, BillingCodeError> {
        let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() != Self::LEN || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BillingCodeError);
        }
        Ok(Self(digits))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BillingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BillingCode({})", self.0)
    }
}

impl std::fmt::Display for BillingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for BillingCode {
    type Error = BillingCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<BillingCode> for String {
    fn from(c: BillingCode) -> Self {
        c.0
    }
}

/// A billing code that is not 15 digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a billing code has exactly 15 digits")]
pub struct BillingCodeError;

/// The payment deadline of a hold made at `now` with the configured window (default 2 h).
pub fn payment_deadline(now: DateTime<Utc>, window: Duration) -> DateTime<Utc> {
    now + window
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_paid_booking_has_a_receipt() {
        let with: Vec<_> = BookingState::ALL
            .into_iter()
            .filter(|s| s.has_receipt())
            .collect();
        assert_eq!(with, [BookingState::Paid]);
    }

    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0).unwrap()
    }

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    #[test]
    fn an_unpaid_hold_stops_counting_the_instant_its_deadline_passes() {
        let deadline = payment_deadline(at(8, 0), Duration::hours(2));
        assert_eq!(deadline, at(10, 0));
        let s = BookingState::AwaitingPayment;
        assert!(s.holds_place(deadline, at(9, 59)));
        assert!(!s.holds_place(deadline, at(10, 0)));
        assert_eq!(s.effective(deadline, at(10, 0)), BookingState::Expired);
        assert_eq!(
            s.effective(deadline, at(9, 0)),
            BookingState::AwaitingPayment
        );
    }

    #[test]
    fn a_payment_being_confirmed_never_expires() {
        let s = BookingState::PaymentPending;
        assert!(s.holds_place(at(10, 0), at(23, 0)));
        assert_eq!(
            s.effective(at(10, 0), at(23, 0)),
            BookingState::PaymentPending
        );
        assert_eq!(
            decide_payment(s, at(10, 0), at(23, 0)),
            PaymentDecision::MarkPaid
        );
    }

    #[test]
    fn payments_are_decided_by_state_and_time() {
        let dl = at(10, 0);
        let a = BookingState::AwaitingPayment;
        assert_eq!(decide_payment(a, dl, at(9, 0)), PaymentDecision::MarkPaid);
        assert_eq!(decide_payment(a, dl, at(11, 0)), PaymentDecision::Reconcile);
        assert_eq!(
            decide_payment(BookingState::Expired, dl, at(11, 0)),
            PaymentDecision::Reconcile
        );
        assert_eq!(
            decide_payment(BookingState::Paid, dl, at(11, 0)),
            PaymentDecision::AlreadyPaid
        );
        assert_eq!(
            decide_payment(BookingState::Cancelled, dl, at(9, 0)),
            PaymentDecision::Refund
        );
        assert_eq!(
            decide_payment(BookingState::RefundDue, dl, at(9, 0)),
            PaymentDecision::AlreadyRefundDue
        );
    }

    #[test]
    fn reschedule_is_allowed_once_and_only_up_to_the_day_before() {
        let dl = at(10, 0);
        let now = at(9, 0);
        let paid = BookingState::Paid;
        assert_eq!(
            check_reschedule(paid, dl, 0, d(30), d(29), now),
            Ok(RescheduleKind::Applicant)
        );
        assert_eq!(
            check_reschedule(paid, dl, 0, d(30), d(30), now),
            Err(TransitionError::RescheduleNotAllowed)
        );
        assert_eq!(
            check_reschedule(paid, dl, 1, d(30), d(24), now),
            Err(TransitionError::RescheduleNotAllowed)
        );
        assert_eq!(
            check_reschedule(
                BookingState::AwaitingPayment,
                dl,
                0,
                d(30),
                d(24),
                at(11, 0)
            ),
            Err(TransitionError::DeadlinePassed)
        );
        assert_eq!(
            check_reschedule(BookingState::RefundDue, dl, 1, d(30), d(30), now),
            Ok(RescheduleKind::RefundRebook)
        );
        assert_eq!(
            check_reschedule(BookingState::Cancelled, dl, 0, d(30), d(24), now),
            Err(TransitionError::RescheduleNotAllowed)
        );
    }

    #[test]
    fn cancel_is_allowed_for_holds_and_paid_bookings_before_the_day() {
        let dl = at(10, 0);
        let now = at(9, 0);
        assert!(check_cancel(BookingState::Paid, dl, d(30), d(29), now).is_ok());
        assert!(check_cancel(BookingState::AwaitingPayment, dl, d(30), d(24), now).is_ok());
        assert_eq!(
            check_cancel(BookingState::Paid, dl, d(30), d(30), now),
            Err(TransitionError::CancelNotAllowed)
        );
        assert_eq!(
            check_cancel(BookingState::PaymentPending, dl, d(30), d(24), now),
            Err(TransitionError::CancelNotAllowed)
        );
        assert_eq!(
            check_cancel(BookingState::AwaitingPayment, dl, d(30), d(24), at(12, 0)),
            Err(TransitionError::DeadlinePassed)
        );
    }

    #[test]
    fn billing_codes_have_fifteen_digits_and_parse_with_separators() {
        for r in [0, 1, u64::MAX, 899_999_999_999_999, 900_000_000_000_000] {
            let c = BillingCode::from_random(r);
            assert_eq!(c.as_str().len(), 15, "{c}");
            assert!(!c.as_str().starts_with('0'));
        }
        let c = BillingCode::parse("8201 2345 6789 012").unwrap();
        assert_eq!(c.as_str(), "820123456789012");
        assert!(BillingCode::parse("82012345678901").is_err());
        assert!(BillingCode::parse("82012345678901x").is_err());
        assert!(BillingCode::parse("").is_err());
    }

    #[test]
    fn a_paid_booking_stops_blocking_its_nik_once_its_day_is_over() {
        let deadline = at(12, 0);
        let now = at(13, 0);
        let paid = BookingState::Paid;
        assert!(
            paid.blocks_nik(deadline, d(10), d(10), now),
            "on the day itself"
        );
        assert!(
            paid.blocks_nik(deadline, d(10), d(9), now),
            "before the day"
        );
        assert!(
            !paid.blocks_nik(deadline, d(10), d(11), now),
            "the day after"
        );
        assert_eq!(
            paid.overdue(deadline, d(10), d(11), now),
            Some(BookingState::NoShow)
        );
        assert_eq!(paid.overdue(deadline, d(10), d(10), now), None);
        // A payment being confirmed may still arrive: it keeps the NIK.
        assert!(BookingState::PaymentPending.blocks_nik(deadline, d(10), d(20), now));
        assert_eq!(
            BookingState::PaymentPending.overdue(deadline, d(10), d(20), now),
            None
        );
        // A lapsed hold does not block, and is due to expire.
        let hold = BookingState::AwaitingPayment;
        assert!(!hold.blocks_nik(deadline, d(10), d(9), now));
        assert_eq!(
            hold.overdue(deadline, d(10), d(9), now),
            Some(BookingState::Expired)
        );
        assert!(hold.blocks_nik(at(14, 0), d(10), d(9), now));
        assert!(!BookingState::NoShow.blocks_nik(deadline, d(10), d(9), now));
        assert!(!BookingState::NoShow.holds_place(deadline, now));
    }

    #[test]
    fn a_checked_in_booking_keeps_its_place_and_its_nik_past_its_day() {
        let s = BookingState::CheckedIn;
        let (deadline, now) = (at(10, 0), at(23, 0));
        assert!(s.holds_place(deadline, now));
        assert!(s.blocks_nik(deadline, d(10), d(20), now));
        assert_eq!(s.overdue(deadline, d(10), d(20), now), None);
        assert_eq!(s.effective(deadline, now), s);
        assert_eq!(
            decide_payment(s, deadline, now),
            PaymentDecision::AlreadyPaid
        );
        assert_eq!(
            check_cancel(s, deadline, d(30), d(24), now),
            Err(TransitionError::CancelNotAllowed)
        );
        assert_eq!(
            check_reschedule(s, deadline, 0, d(30), d(24), now),
            Err(TransitionError::RescheduleNotAllowed)
        );
        assert!(!refund_owed(s, true));
        let floor: Vec<_> = BookingState::ALL
            .into_iter()
            .filter(BookingState::checked_in)
            .collect();
        assert_eq!(
            floor,
            [
                BookingState::CheckedIn,
                BookingState::Accepted,
                BookingState::DocumentsMissing,
                BookingState::Rejected,
                BookingState::Unserved,
                BookingState::DocumentsLapsed,
            ]
        );
    }

    #[test]
    fn an_interview_outcome_keeps_the_nik_unless_it_rejects() {
        let (deadline, now) = (at(10, 0), at(23, 0));
        let accepted = BookingState::Accepted;
        assert!(accepted.blocks_nik(deadline, d(10), d(30), now));
        assert_eq!(accepted.overdue(deadline, d(10), d(30), now), None);
        assert!(!BookingState::Rejected.blocks_nik(deadline, d(10), d(20), now));
        assert!(check_cancel(accepted, deadline, d(30), d(24), now).is_err());
    }

    #[test]
    fn missing_documents_keep_the_nik_until_their_deadline_then_lapse() {
        let (deadline, now) = (at(10, 0), at(23, 0));
        let missing = BookingState::DocumentsMissing;
        assert_eq!(
            documents_due(d(10)),
            d(17),
            "seven days after the interview"
        );
        for today in [d(10), d(11), d(17)] {
            assert!(missing.blocks_nik(deadline, d(10), today, now), "{today}");
            assert_eq!(missing.overdue(deadline, d(10), today, now), None);
        }
        assert!(!missing.blocks_nik(deadline, d(10), d(18), now));
        let awaiting: Vec<_> = BookingState::ALL
            .into_iter()
            .filter(BookingState::awaits_outcome)
            .collect();
        assert_eq!(
            awaiting,
            [BookingState::CheckedIn, missing],
            "the interview's states"
        );
        assert_eq!(
            missing.overdue(deadline, d(10), d(18), now),
            Some(BookingState::DocumentsLapsed)
        );
        for ended in [BookingState::DocumentsLapsed, BookingState::Unserved] {
            assert!(!ended.holds_place(deadline, now), "{ended:?}");
            assert!(!ended.blocks_nik(deadline, d(10), d(10), now), "{ended:?}");
            assert_eq!(
                decide_payment(ended, deadline, now),
                PaymentDecision::AlreadyPaid,
                "{ended:?}: the fee was paid"
            );
            assert!(!refund_owed(ended, true), "{ended:?}");
        }
    }

    #[test]
    fn the_desk_moves_a_paid_or_missed_booking_after_the_applicants_own_move_closed() {
        let (dl, now) = (at(10, 0), at(12, 0));
        assert_eq!(
            check_special_reschedule(BookingState::Paid, dl, now),
            Ok(())
        );
        for missed in [BookingState::NoShow, BookingState::Unserved] {
            assert_eq!(
                check_special_reschedule(missed, dl, now),
                Ok(()),
                "{missed:?}"
            );
        }
        assert_eq!(
            check_special_reschedule(BookingState::AwaitingPayment, dl, now),
            Err(TransitionError::DeadlinePassed)
        );
        for s in [
            BookingState::CheckedIn,
            BookingState::Cancelled,
            BookingState::RefundDue,
            BookingState::Accepted,
            BookingState::DocumentsLapsed,
        ] {
            assert_eq!(
                check_special_reschedule(s, dl, now),
                Err(TransitionError::RescheduleNotAllowed),
                "{s:?}"
            );
        }
        for r in SpecialReason::ALL {
            assert_eq!(SpecialReason::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn a_move_keeps_the_state_or_pays_a_refund_or_a_missed_day() {
        use BookingState as S;
        for s in [S::AwaitingPayment, S::PaymentPending, S::Paid] {
            assert!(is_move(Some(s), s), "{s:?}");
        }
        for from in [S::RefundDue, S::NoShow, S::Unserved] {
            assert!(is_move(Some(from), S::Paid), "{from:?}");
        }
        assert!(!is_move(Some(S::AwaitingPayment), S::Paid), "a payment");
        assert!(!is_move(Some(S::Expired), S::Paid), "a late payment");
        assert!(!is_move(Some(S::DocumentsMissing), S::DocumentsMissing));
        assert!(!is_move(None, S::AwaitingPayment));
    }

    #[test]
    fn the_active_states_are_those_that_can_hold_a_place() {
        let far = at(23, 0);
        let can_hold: Vec<_> = BookingState::ALL
            .into_iter()
            .filter(|s| s.holds_place(far, at(9, 0)))
            .collect();
        assert_eq!(can_hold, BookingState::ACTIVE);
    }

    #[test]
    fn the_payment_status_says_whether_money_arrived() {
        assert_eq!(
            PaymentStatus::of(BookingState::RefundDue, true),
            PaymentStatus::Received
        );
        assert_eq!(
            PaymentStatus::of(BookingState::PaymentPending, false),
            PaymentStatus::Confirming
        );
        assert_eq!(
            PaymentStatus::of(BookingState::AwaitingPayment, false),
            PaymentStatus::Unpaid
        );
    }

    #[test]
    fn money_is_owed_back_on_a_paid_booking_cancelled_or_paid_too_late() {
        assert!(refund_owed(BookingState::Cancelled, true));
        assert!(refund_owed(BookingState::RefundDue, true));
        assert!(!refund_owed(BookingState::Cancelled, false));
        assert!(!refund_owed(BookingState::NoShow, true));
        assert!(!refund_owed(BookingState::Paid, true));
    }

    #[test]
    fn allocation_policies_round_trip_through_their_codes() {
        for p in AllocationPolicy::ALL {
            assert_eq!(AllocationPolicy::parse(p.as_str()), Some(p));
        }
        assert_eq!(AllocationPolicy::parse("lottery"), None);
    }

    #[test]
    fn states_round_trip_through_their_codes() {
        for s in BookingState::ALL {
            assert_eq!(BookingState::parse(s.as_str()), Some(s));
        }
        assert_eq!(BookingState::parse("bogus"), None);
    }
}
