//! Row types that cross the Store boundary. They carry domain types where a rule depends on
//! them and plain values where the store only moves data.

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use loket_domain::booking::AllocationPolicy;
use loket_domain::booking::BookingState;
use loket_domain::calendar::{Holiday, OfficeException};
use loket_domain::catalogue::{FeeLine, ServiceRequest, TravelPurpose};
use loket_domain::floor::counter::Standing;
use loket_domain::floor::{
    CallPolicy, CounterAction, FloorEventKind, Outcome, PriorityBasis, RejectReason, Stage,
    TicketNumber, TicketState, Waiting,
};
use loket_domain::quota::ServiceClass;
use loket_domain::{BillingCode, Nik, Sex};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The key of one bookable pool of places.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlotKey {
    /// Office code.
    pub office_code: String,
    /// Local service date.
    pub service_date: NaiveDate,
    /// Session code.
    pub session_code: String,
    /// Service class.
    pub class: ServiceClass,
}

/// Places held or paid in a slot that already has a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotUsage {
    /// Which slot.
    pub key: SlotKey,
    /// Capacity in force.
    pub capacity: i64,
    /// Places held (unexpired) or paid.
    pub taken: i64,
}

/// A new applicant account.
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// Lower-cased email.
    pub email: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Name as on the ID card.
    pub full_name: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Sex.
    pub sex: Sex,
    /// Phone number.
    pub phone: String,
    /// Preferred language ("id" or "en").
    pub locale: String,
}

/// An account as needed to log in.
#[derive(Clone, Debug)]
pub struct AccountAuth {
    /// Account id.
    pub id: Uuid,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Whether the email was verified.
    pub verified: bool,
}

/// An account's own profile.
#[derive(Clone, Debug, Serialize)]
pub struct Account {
    /// Account id.
    pub id: Uuid,
    /// Email.
    pub email: String,
    /// Name.
    pub full_name: String,
    /// Preferred language.
    pub locale: String,
    /// Whether the email was verified.
    pub verified: bool,
    /// The office holding it, for the people its front desk books for (assisted
    /// booking); such an account has no mailbox and nobody logs into it.
    pub office_code: Option<String>,
}

pub use loket_domain::staff::StaffRole;

/// A staff member and the scope they act in.
#[derive(Clone, Debug, Serialize)]
pub struct Staff {
    /// Staff id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Display name.
    pub full_name: String,
    /// Role.
    pub role: StaffRole,
    /// Office, for office-bound roles.
    pub office_code: Option<String>,
    /// Region, for regional admins.
    pub region_code: Option<String>,
}

/// A staff member with the password hash, for login.
#[derive(Clone, Debug)]
pub struct StaffAuth {
    /// The staff member.
    pub staff: Staff,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// Who a token belongs to.
#[derive(Clone, Debug)]
pub enum Principal {
    /// An applicant account (verified or not).
    Account {
        /// Account id.
        id: Uuid,
        /// Whether the email was verified.
        verified: bool,
    },
    /// A staff member.
    Staff(Staff),
}

/// A person an account applies for.
#[derive(Clone, Debug, Serialize)]
pub struct Applicant {
    /// Applicant id.
    pub id: Uuid,
    /// Owning account.
    pub account_id: Uuid,
    /// NIK (serialized in full only to the owner).
    pub nik: Nik,
    /// Name as on the ID card.
    pub full_name: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Sex.
    pub sex: Sex,
    /// Married (matters for the 10-year passport).
    pub married: bool,
}

/// What `allocate` needs: everything decided by the rules, ready to be made atomic.
#[derive(Clone, Debug)]
pub struct AllocationRequest {
    /// New booking id.
    pub booking_id: Uuid,
    /// Account making it.
    pub account_id: Uuid,
    /// Applicant it is for.
    pub applicant_id: Uuid,
    /// The applicant's NIK (one active booking each).
    pub nik: Nik,
    /// The slot wanted.
    pub slot: SlotKey,
    /// Fresh billing code.
    pub billing_code: BillingCode,
    /// The office's allocation policy: which way the store hands out the place.
    pub policy: AllocationPolicy,
    /// Payment deadline.
    pub payment_deadline: DateTime<Utc>,
    /// Service asked for.
    pub service: ServiceRequest,
    /// Travel purpose.
    pub travel_purpose: TravelPurpose,
    /// Fee table used.
    pub fee_table_code: String,
    /// Fee lines.
    pub fee_lines: Vec<FeeLine>,
    /// Fee total in rupiah.
    pub fee_total: i64,
    /// Idempotency key, if the client sent one.
    pub idempotency_key: Option<String>,
    /// Fingerprint of the request body, to detect key reuse.
    pub request_fingerprint: Option<String>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// A booking as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Booking {
    /// Booking id.
    pub id: Uuid,
    /// Owning account.
    pub account_id: Uuid,
    /// Applicant.
    pub applicant_id: Uuid,
    /// The applicant's NIK.
    pub nik: Nik,
    /// Slot row id.
    #[serde(skip)]
    pub slot_id: i64,
    /// Slot.
    pub slot: SlotKey,
    /// State as stored (see `effective_state`).
    pub state: BookingState,
    /// Billing code.
    pub billing_code: BillingCode,
    /// Payment deadline.
    pub payment_deadline: DateTime<Utc>,
    /// Service.
    pub service: ServiceRequest,
    /// Travel purpose.
    pub travel_purpose: TravelPurpose,
    /// Fee table.
    pub fee_table_code: String,
    /// Fee lines.
    pub fee_lines: Vec<FeeLine>,
    /// Fee total.
    pub fee_total: i64,
    /// Reschedules used by the applicant.
    pub reschedules_used: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When payment was confirmed.
    pub paid_at: Option<DateTime<Utc>>,
    /// Fingerprint of the creating request.
    #[serde(skip)]
    pub request_fingerprint: Option<String>,
}

impl Booking {
    /// The state as seen now (an unpaid hold past its deadline reads as expired).
    pub fn effective_state(&self, now: DateTime<Utc>) -> BookingState {
        self.state.effective(self.payment_deadline, now)
    }
}

/// A payment notification from the bank (or the simulated bank).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PaymentNotice {
    /// The bank's id for this notification; repeats carry the same id.
    pub notification_id: String,
    /// Billing code paid.
    pub billing_code: String,
    /// Amount paid.
    pub amount: i64,
    /// "paid" (confirmed) or "pending" (accepted, being confirmed).
    pub status: String,
    /// When the bank took the money.
    pub paid_at: DateTime<Utc>,
}

/// What a payment notification did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentOutcome {
    /// The booking is now paid.
    Paid,
    /// The booking is held while the bank confirms.
    Pending,
    /// The hold had lapsed, its place was still free: restored and paid.
    Restored,
    /// The hold had lapsed and the place was taken: the fee is owed back.
    RefundDue,
    /// Nothing changed: a repeat, or already settled.
    Duplicate,
    /// No booking has this billing code.
    UnknownBillingCode,
    /// The amount does not match the fee.
    AmountMismatch,
}

impl PaymentOutcome {
    /// Stable code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Paid => "paid",
            Self::Pending => "pending",
            Self::Restored => "restored",
            Self::RefundDue => "refund_due",
            Self::Duplicate => "duplicate",
            Self::UnknownBillingCode => "unknown_billing_code",
            Self::AmountMismatch => "amount_mismatch",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Paid,
            Self::Pending,
            Self::Restored,
            Self::RefundDue,
            Self::Duplicate,
            Self::UnknownBillingCode,
            Self::AmountMismatch,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// Who made a change, for the audit log.
#[derive(Clone, Debug)]
pub struct Actor {
    /// Staff id (None for the system).
    pub id: Option<Uuid>,
    /// Username, or "system".
    pub name: String,
}

impl Actor {
    /// A staff member, by id and username.
    pub fn staff(s: &Staff) -> Self {
        Self {
            id: Some(s.id),
            name: s.username.clone(),
        }
    }

    /// Loket itself (seeded data, for instance).
    pub fn system() -> Self {
        Self {
            id: None,
            name: "system".into(),
        }
    }
}

/// One audited change.
#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (username).
    pub actor: String,
    /// Office concerned.
    pub office_code: Option<String>,
    /// What kind of change, e.g. "quota.default".
    pub action: String,
    /// What was changed, e.g. "2026-12-01/s1/online".
    pub subject: String,
    /// Value before (JSON).
    pub before: Option<String>,
    /// Value after (JSON).
    pub after: Option<String>,
}

/// One capacity change made by a quota operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CapacityChange {
    /// Date (None for a weekday default).
    pub service_date: Option<NaiveDate>,
    /// Weekday, for a default.
    pub weekday: Option<String>,
    /// Session.
    pub session_code: String,
    /// Class.
    pub class: ServiceClass,
    /// Before.
    pub before: i64,
    /// After.
    pub after: i64,
    /// Raised to the places already taken.
    pub clamped: bool,
}

/// A weekday default row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuotaDefaultRow {
    /// Weekday.
    #[serde(with = "loket_domain::weekday::as_code")]
    pub weekday: Weekday,
    /// Session.
    pub session_code: String,
    /// Class.
    pub class: ServiceClass,
    /// Capacity.
    pub capacity: i64,
}

/// A per-date override row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuotaOverrideRow {
    /// Date.
    pub service_date: NaiveDate,
    /// Session.
    pub session_code: String,
    /// Class.
    pub class: ServiceClass,
    /// Capacity.
    pub capacity: i64,
}

pub use loket_domain::weekday::code as weekday_code;

/// A calendar's inputs for one office over a period.
#[derive(Clone, Debug, Default)]
pub struct CalendarInputs {
    /// National holidays and collective leave.
    pub holidays: Vec<Holiday>,
    /// The office's own closures and openings.
    pub exceptions: Vec<OfficeException>,
}

/// A queued email.
#[derive(Clone, Debug, Serialize)]
pub struct Mail {
    /// Id.
    pub id: Uuid,
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Queued at.
    pub created_at: DateTime<Utc>,
    /// Sent at.
    pub sent_at: Option<DateTime<Utc>>,
}

/// One recorded state change of a booking (`booking_events`), as the notices read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookingEvent {
    /// Sequence number.
    pub id: i64,
    /// The booking.
    pub booking_id: Uuid,
    /// When the change was made.
    pub at: DateTime<Utc>,
    /// State before (none for a booking's first state).
    pub from: Option<BookingState>,
    /// State after.
    pub to: BookingState,
    /// Who made it: "applicant", "bank" or "system".
    pub actor: String,
    /// What happened, in words for the history.
    pub detail: String,
}

/// What one notice is about, and so what makes it happen once.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NoticeKey {
    /// A recorded state change (its `booking_events` id): noticed once.
    Event(i64),
    /// A hold: noticed once per booking.
    Held(Uuid),
    /// The day-before reminder: once per booking and service date.
    Reminder(Uuid, NaiveDate),
}

/// A mail to queue in the outbox.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

impl std::fmt::Debug for OutgoingMail {
    // The address and the body are personal data: never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingMail").finish_non_exhaustive()
    }
}

/// A notice to record: claimed once by its key, with its mail, or with none when nothing
/// needs saying (the claim then only marks it done).
#[derive(Clone, Debug)]
pub struct Notice {
    /// What it is about.
    pub key: NoticeKey,
    /// The mail, if one is to be sent.
    pub mail: Option<OutgoingMail>,
}

/// A queue ticket on an office's floor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    /// Id.
    pub id: Uuid,
    /// The office.
    pub office_code: String,
    /// The day it was issued for, in the office's zone.
    pub service_date: NaiveDate,
    /// Series and number, e.g. P-003.
    pub number: TicketNumber,
    /// The booking checked in with it (none for a walk-in).
    pub booking_id: Option<Uuid>,
    /// For a priority walk-in, why.
    pub priority_basis: Option<PriorityBasis>,
    /// Where it stands.
    pub state: TicketState,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Who issued it (staff username).
    pub issued_by: String,
    /// For a booked ticket, when its session starts (booked tickets are called in session
    /// order).
    pub session_start: Option<DateTime<Utc>>,
    /// The stage it waits at or is served at.
    pub stage: Stage,
    /// How many times it was called at this stage.
    pub calls: u32,
    /// The counter that called it last.
    pub counter: Option<u32>,
    /// When it was last called.
    pub called_at: Option<DateTime<Utc>>,
    /// Since when it waits: its issue, or its transfer to this stage.
    pub waiting_since: DateTime<Utc>,
    /// When it was finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// How it was finished.
    pub outcome: Option<Outcome>,
    /// Why it was rejected.
    pub outcome_reason: Option<RejectReason>,
}

impl Ticket {
    /// The fields of a ticket just issued at `now`, waiting at the documents stage (the
    /// caller sets its id, office, day, number, origin and issuer).
    pub fn fresh(now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::nil(),
            office_code: String::new(),
            service_date: NaiveDate::MIN,
            number: TicketNumber {
                series: loket_domain::floor::Series::Booked,
                number: 0,
            },
            booking_id: None,
            priority_basis: None,
            state: TicketState::Waiting,
            issued_at: now,
            issued_by: String::new(),
            session_start: None,
            stage: Stage::Documents,
            calls: 0,
            counter: None,
            called_at: None,
            waiting_since: now,
            finished_at: None,
            outcome: None,
            outcome_reason: None,
        }
    }

    /// The ticket as the call policy sees it while it waits.
    pub fn waiting(&self) -> Waiting {
        Waiting {
            series: self.number.series,
            arrived_at: self.waiting_since,
            session_start: self.session_start,
        }
    }

    /// The ticket as a counter's action finds it.
    pub fn standing(&self) -> Standing {
        Standing {
            state: self.state,
            stage: self.stage,
            calls: self.calls,
            counter: self.counter,
        }
    }
}

/// A special reschedule by the front desk (see `check_special_reschedule`).
#[derive(Clone, Debug)]
pub struct SpecialMove {
    /// The booking.
    pub booking_id: Uuid,
    /// The office moving it (a booking of another office is not found).
    pub office_code: String,
    /// Where to.
    pub to: SlotKey,
    /// Why.
    pub reason: loket_domain::booking::SpecialReason,
    /// The officer.
    pub actor: Actor,
    /// Now.
    pub now: DateTime<Utc>,
}

/// A booking the front desk makes for a person without a phone (assisted booking): the
/// same allocation as an online hold, for a person the desk typed in from the ID card, on
/// the account the office holds. The store puts the person on that account (or updates
/// the one with their NIK), so `req`'s account and applicant are its to fill in.
#[derive(Clone, Debug)]
pub struct AssistedBooking {
    /// The office booking (and holding the account).
    pub office_code: String,
    /// The person as on the ID card (its id is used when the NIK is new to the office).
    pub person: Applicant,
    /// The allocation, as an online hold asks for it.
    pub req: AllocationRequest,
    /// The officer.
    pub actor: Actor,
}

/// Something that happened on an office's floor, numbered in order per office.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloorEvent {
    /// The office.
    pub office_code: String,
    /// Its number, from 1 per office, in the order the changes committed.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: FloorEventKind,
    /// To which ticket.
    pub ticket_id: Uuid,
    /// Its number, e.g. "A-017".
    pub number: String,
    /// The counter, for a call.
    pub counter: Option<u32>,
    /// The ticket's stage after the change.
    pub stage: Stage,
}

/// A counter asking for its next ticket.
#[derive(Clone, Debug)]
pub struct NewCall {
    /// The office.
    pub office_code: String,
    /// Today, in the office's zone.
    pub service_date: NaiveDate,
    /// The counter's number.
    pub counter: u32,
    /// The stage it serves.
    pub stage: Stage,
    /// The order to call in.
    pub policy: CallPolicy,
    /// The officer at the counter.
    pub actor: Actor,
    /// Now.
    pub now: DateTime<Utc>,
}

/// A counter's action on a ticket.
#[derive(Clone, Debug)]
pub struct TicketAction {
    /// The ticket.
    pub ticket_id: Uuid,
    /// The office acting (a ticket of another office is not found).
    pub office_code: String,
    /// The counter acting.
    pub counter: u32,
    /// What it does.
    pub action: CounterAction,
    /// For a rejection, why.
    pub reason: Option<RejectReason>,
    /// Calls after which an absent ticket is missed.
    pub missed_after_calls: u32,
    /// The officer.
    pub actor: Actor,
    /// Now.
    pub now: DateTime<Utc>,
}

/// A booking to check in at the front desk, already admitted by the domain's rule
/// (`CheckInWindow::admit`); the store checks again, in its transaction, that the booking
/// is still paid and for this office and day.
#[derive(Clone, Debug)]
pub struct NewCheckIn {
    /// The booking.
    pub booking_id: Uuid,
    /// The office checking it in.
    pub office_code: String,
    /// Today, in the office's zone.
    pub service_date: NaiveDate,
    /// Which visit it is.
    pub visit: VisitKind,
    /// The officer at the desk.
    pub actor: Actor,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Which visit a check-in is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VisitKind {
    /// A paid booking on its day, queued by its session's start.
    Booked {
        /// When the booking's session starts.
        session_start: DateTime<Utc>,
    },
    /// Back with the documents missing at an earlier interview, up to their deadline
    /// (`documents_due`); queued by arrival, as it has no session of its own. The booking
    /// keeps its state until the counter's outcome.
    Return {
        /// The earliest interview day whose documents are still due today.
        due_from: NaiveDate,
    },
}

/// A priority walk-in to register: the ticket is issued only while the day's priority
/// quota (`quota`, from the office's quota plan for that day) has room.
#[derive(Clone, Debug)]
pub struct NewWalkIn {
    /// The office.
    pub office_code: String,
    /// Today, in the office's zone.
    pub service_date: NaiveDate,
    /// Why the person is served as a priority (already checked against the birth date).
    pub basis: PriorityBasis,
    /// The day's priority quota.
    pub quota: i64,
    /// The officer registering it.
    pub actor: Actor,
    /// Now.
    pub now: DateTime<Utc>,
}
