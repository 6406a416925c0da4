//! Booking mail (notices): the applicant hears, in their account's language, that a place
//! is held, the payment arrived, the day is tomorrow, the booking moved, was cancelled, is
//! owed a refund or expired; and after the interview, which documents day is the last,
//! that the application was rejected (with the reason) or lapsed, or that the day ended
//! before they were served. Nothing here runs inside a booking's own transaction (least of
//! all the hold, the rush's hot path): a worker derives the mail afterwards from the
//! recorded state changes (`booking_events`) and from two sweeps, over the running holds
//! (a hold writes no event) and over tomorrow's paid bookings. The store claims each notice
//! by its key in the transaction that queues its mail, so a crash neither loses nor doubles
//! one and two instances never both send it.
//!
//! What is not mailed: a change that calls for no message (a payment being confirmed, a
//! no-show), a change overtaken by a later one before it was sent (an expiry undone by a
//! late payment), and a change older than `notice_max_age_hours` when the worker reaches it
//! (after an outage). The changes recorded before this existed were marked noticed by the
//! migration that added it, so a first start sends no mail about the past.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use loket_domain::booking::documents_due;
use loket_domain::floor::RejectReason;
use loket_domain::notice::NoticeKind;
use loket_domain::{BookingState, Office};
use loket_store::{Booking, BookingEvent, Notice, NoticeKey, OutgoingMail, StoreError};
use uuid::Uuid;

use crate::format::{appointment, date_time, grouped_code, long_date, rupiah};
use crate::i18n::{Lang, Tr};
use crate::mail::{self, Template};
use crate::state::AppState;

/// Notices read and recorded per store call.
pub const BATCH: i64 = 100;

/// How far behind the newest deadline seen the next sweep of holds starts again. A hold
/// commits within seconds of the instant its deadline was counted from (the request
/// timeout bounds it), so one committed late still falls inside the range swept next.
const HELD_OVERLAP: Duration = Duration::minutes(2);

/// How often the sweep of holds starts from now again, over every running hold: the net
/// under `HELD_OVERLAP` (a hold that took longer than that to commit is mailed then).
const HELD_FULL_SWEEP: Duration = Duration::minutes(10);

/// How often tomorrow's paid bookings are looked at for reminders.
const REMINDER_SWEEP: Duration = Duration::minutes(1);

/// What a pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Notices looked at (each is now claimed, by this pass or another instance).
    pub seen: u64,
    /// Mails queued in the outbox.
    pub mailed: u64,
    /// Whether a batch came back full: there may be more waiting.
    pub more: bool,
}

impl Pass {
    fn add(&mut self, other: Pass) {
        self.seen += other.seen;
        self.mailed += other.mailed;
        self.more |= other.more;
    }
}

/// One worker's place in the sweeps: where the sweep of holds goes on from, the holds it
/// has noticed, and when the full sweep and the reminders last ran. Kept in memory only: a
/// fresh worker starts with a full sweep, so a restart loses nothing (it composes the mail
/// of the running holds once more, and the store queues none twice).
#[derive(Clone, Debug, Default)]
pub struct Sweeper {
    holds_from: Option<DateTime<Utc>>,
    /// The last hold of the previous batch (deadline, id) when it came back full: the next
    /// batch goes on after it rather than reading the same holds again.
    holds_next: Option<(DateTime<Utc>, Uuid)>,
    /// The running holds this worker has noticed (or found noticed), with their deadlines:
    /// the sweep reads some of them again (`HELD_OVERLAP`, the full sweep) and skips them
    /// here. A hold leaves once its deadline has passed, when no sweep can return it.
    noticed_holds: HashMap<Uuid, DateTime<Utc>>,
    full_sweep_at: Option<DateTime<Utc>>,
    reminders_at: Option<DateTime<Utc>>,
    reminders_more: bool,
}

impl Sweeper {
    /// One pass: the recorded changes, the holds, and (once a minute) the reminders.
    #[tracing::instrument(name = "usecase.notices.pass", skip_all)]
    pub async fn pass(&mut self, state: &AppState) -> Result<Pass, StoreError> {
        let now = state.now();
        let mut pass = notice_events(state, BATCH).await?;

        let full = self
            .full_sweep_at
            .is_none_or(|t| now - t >= HELD_FULL_SWEEP);
        let from = match (self.holds_from, self.holds_next.take()) {
            (_, Some((deadline, id))) if !full && deadline > now => (deadline, Some(id)),
            (Some(f), _) if !full => (f.max(now), None),
            _ => {
                self.full_sweep_at = Some(now);
                (now, None)
            }
        };
        let (held, last) = self.notice_holds(state, from, BATCH).await?;
        if let Some((latest, id)) = last {
            let next = latest - HELD_OVERLAP;
            self.holds_from = Some(self.holds_from.map_or(next, |f| f.max(next)));
            if held.more {
                self.holds_next = Some((latest, id));
            }
        }
        pass.add(held);

        if self.reminders_more || self.reminders_at.is_none_or(|t| now - t >= REMINDER_SWEEP) {
            self.reminders_at = Some(now);
            let reminded = remind(state, BATCH).await?;
            self.reminders_more = reminded.more;
            pass.add(reminded);
        }
        metrics::counter!("loket_notice_mails_total").increment(pass.mailed);
        Ok(pass)
    }

    /// Notices the holds after `from` (a deadline, and with an id where a full batch left
    /// off; never a deadline before now) that it has not noticed yet, soonest deadline
    /// first, reading at most `limit`; also returns the last hold read (the latest
    /// deadline, and its id). `more` says the read was full.
    async fn notice_holds(
        &mut self,
        state: &AppState,
        from: (DateTime<Utc>, Option<Uuid>),
        limit: i64,
    ) -> Result<(Pass, Option<(DateTime<Utc>, Uuid)>), StoreError> {
        let now = state.now();
        self.noticed_holds.retain(|_, deadline| *deadline > now);
        let (after, after_id) = if from.0 > now { from } else { (now, None) };
        let holds = state.store.running_holds(after, after_id, limit).await?;
        let last = holds.last().map(|b| (b.payment_deadline, b.id));
        let fresh = holds
            .iter()
            .filter(|b| !self.noticed_holds.contains_key(&b.id));
        let notices =
            compose_all(state, NoticeKind::Held, fresh, |b| NoticeKey::Held(b.id)).await?;
        let mut pass = record(state, notices, limit, now).await?;
        pass.more = holds.len() as i64 >= limit.max(1);
        self.noticed_holds
            .extend(holds.iter().map(|b| (b.id, b.payment_deadline)));
        Ok((pass, last))
    }
}

/// Notices the recorded state changes not yet noticed, oldest first, at most `limit`.
pub async fn notice_events(state: &AppState, limit: i64) -> Result<Pass, StoreError> {
    let now = state.now();
    let too_old = now - Duration::hours(state.settings.notice_max_age_hours);
    let events = state.store.unnoticed_events(limit).await?;
    let mut notices = Vec::with_capacity(events.len());
    for e in &events {
        let kind = NoticeKind::for_change(e.from, e.to).filter(|_| e.at >= too_old);
        let mail = match (kind, state.store.get_booking(e.booking_id).await?) {
            (Some(kind), Some(b)) if kind.still_current(b.effective_state(now)) => {
                compose(state, kind, &b, Some(e)).await?
            }
            _ => None,
        };
        notices.push(Notice {
            key: NoticeKey::Event(e.id),
            mail,
        });
    }
    record(state, notices, limit, now).await
}

/// Reminds the paid bookings whose day is tomorrow in their office's zone, once per
/// booking and date (a booking moved to another day is reminded of that day too).
pub async fn remind(state: &AppState, limit: i64) -> Result<Pass, StoreError> {
    let now = state.now();
    let due = state.store.reminders_due(now, limit).await?;
    let notices = compose_all(state, NoticeKind::Reminder, &due, |b| {
        NoticeKey::Reminder(b.id, b.slot.service_date)
    })
    .await?;
    record(state, notices, limit, now).await
}

/// The notices of `kind` about `bookings`, each keyed by `key`, their mails composed at
/// once: PostgreSQL answers their accounts' and applicants' reads together, a query for
/// the batch rather than one for each.
async fn compose_all<'b>(
    state: &AppState,
    kind: NoticeKind,
    bookings: impl IntoIterator<Item = &'b Booking>,
    key: impl Fn(&Booking) -> NoticeKey,
) -> Result<Vec<Notice>, StoreError> {
    futures_util::future::try_join_all(bookings.into_iter().map(|b| {
        let key = key(b);
        async move {
            Ok(Notice {
                key,
                mail: compose(state, kind, b, None).await?,
            })
        }
    }))
    .await
}

async fn record(
    state: &AppState,
    notices: Vec<Notice>,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Pass, StoreError> {
    let seen = notices.len() as u64;
    let mailed = state.store.record_notices(&notices, now).await?;
    Ok(Pass {
        seen,
        mailed,
        more: seen >= limit.max(1) as u64,
    })
}

/// The mail of one notice about `b`, in its account's language; none when the account or
/// the office is gone, or the account is an office's (an assisted booking: the person has
/// no mailbox, and holds the printed slip instead).
async fn compose(
    state: &AppState,
    kind: NoticeKind,
    b: &Booking,
    event: Option<&BookingEvent>,
) -> Result<Option<OutgoingMail>, StoreError> {
    let Some(account) = state
        .store
        .get_account(b.account_id)
        .await?
        .filter(|a| a.office_code.is_none())
    else {
        return Ok(None);
    };
    let Some(office) = state.store.get_office(&b.slot.office_code).await? else {
        return Ok(None);
    };
    let applicant = state
        .store
        .get_applicant(b.account_id, b.applicant_id)
        .await?
        .map(|a| a.full_name)
        .unwrap_or_else(|| b.nik.masked());
    let t = Tr(Lang::parse(&account.locale).unwrap_or_default());
    let reject_reason = match kind {
        NoticeKind::Rejected => state
            .store
            .ticket_of_booking(b.id)
            .await?
            .and_then(|k| k.outcome_reason),
        _ => None,
    };
    let (subject, body) = render(
        t,
        kind,
        &Facts {
            booking: b,
            office: &office,
            applicant: &applicant,
            base: state.settings.public_base(),
            from: event.and_then(|e| e.from),
            reject_reason,
            now: state.now(),
        },
    );
    Ok(Some(OutgoingMail {
        to: account.email,
        subject,
        body,
    }))
}

/// What a booking mail says, gathered.
struct Facts<'a> {
    booking: &'a Booking,
    office: &'a Office,
    applicant: &'a str,
    /// Where links point (no trailing slash).
    base: &'a str,
    /// The state the change came from, for a recorded change.
    from: Option<BookingState>,
    /// Why the counter rejected the application, for a rejection.
    reject_reason: Option<RejectReason>,
    now: DateTime<Utc>,
}

fn template(kind: NoticeKind) -> Template {
    match kind {
        NoticeKind::Held => Template::BookingHeld,
        NoticeKind::PaymentReceived => Template::BookingPaid,
        NoticeKind::Reminder => Template::BookingReminder,
        NoticeKind::Rescheduled => Template::BookingRescheduled,
        NoticeKind::Cancelled => Template::BookingCancelled,
        NoticeKind::RefundDue => Template::BookingRefundDue,
        NoticeKind::Expired => Template::BookingExpired,
        NoticeKind::DocumentsMissing => Template::BookingDocumentsMissing,
        NoticeKind::DocumentsLapsed => Template::BookingDocumentsLapsed,
        NoticeKind::Rejected => Template::BookingRejected,
        NoticeKind::Unserved => Template::BookingUnserved,
    }
}

/// The subject and body of a booking mail.
fn render(t: Tr, kind: NoticeKind, f: &Facts<'_>) -> (String, String) {
    let b = f.booking;
    let zone = f.office.time_zone;
    let when = appointment(
        t,
        b.slot.service_date,
        f.office.session(&b.slot.session_code),
        zone,
    );
    let code = grouped_code(b.billing_code.as_str());
    let amount = rupiah(b.fee_total);
    let deadline = date_time(t, b.payment_deadline, zone);
    let next = match (f.from, b.effective_state(f.now)) {
        (Some(BookingState::RefundDue), _) => t.s("mail.booking.next_refund_applied").to_owned(),
        (_, BookingState::Paid) => t.s("mail.booking.next_come").to_owned(),
        _ => t.f(
            "mail.booking.next_pay",
            &[
                ("code", &code),
                ("amount", &amount),
                ("deadline", &deadline),
            ],
        ),
    };
    let money = match b.paid_at {
        Some(_) => t.f("mail.booking.paid_refund", &[("amount", &amount)]),
        None => t.f("mail.booking.unpaid_no_fee", &[("code", &code)]),
    };
    let reason = match f.from {
        Some(BookingState::Cancelled) => t.s("mail.booking.refund_reason_cancelled").to_owned(),
        _ => t.f("mail.booking.refund_reason_late", &[("when", &when)]),
    };
    // Where to come: the office and its street address, when it has one.
    let place = match &f.office.address {
        Some(a) => format!("{}, {a}", f.office.name),
        None => f.office.name.clone(),
    };
    let due = long_date(t, documents_due(b.slot.service_date));
    let reject_reason =
        crate::format::reject_reason(t, f.reject_reason.unwrap_or(RejectReason::Other));
    let link = format!("{}/bookings/{}", f.base, b.id);
    let book_link = format!("{}/offices/{}", f.base, f.office.code);
    mail::render(
        template(kind),
        t.lang().code(),
        &[
            ("applicant", f.applicant),
            ("office", &f.office.name),
            ("place", &place),
            ("when", &when),
            ("code", &code),
            ("amount", &amount),
            ("deadline", &deadline),
            ("next", &next),
            ("money", &money),
            ("reason", &reason),
            ("link", &link),
            ("book_link", &book_link),
            ("due", &due),
            ("reject_reason", &reject_reason),
        ],
    )
}

#[cfg(test)]
#[path = "notices_tests.rs"]
mod tests;
