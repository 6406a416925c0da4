//! The applicant's bookings: the list, and one booking's page, which is the billing page
//! while it waits for payment (code, amount, deadline in the office's zone) and its status
//! timeline after; cancelling asks once more before it is done.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, Utc};
use loket_domain::BookingState;
use loket_domain::availability::{DayStatus, Unbookable};
use loket_domain::booking::{check_cancel, check_reschedule};
use loket_store::{Booking, BookingEvent, Ticket};
use uuid::Uuid;

use super::forms::{CheckedForm, Tokened};
use super::session::SignedIn;
use super::{Chrome, PageCtx, PageError, PageResult, render};
use crate::format::{appointment, clock, date_time, grouped_code, long_date, rupiah};
use crate::i18n::Tr;
use crate::planning;
use crate::state::AppState;
use crate::usecases::{Refusal, applicants, bookings, floor};

/// A booking as the list shows it.
pub struct Row {
    /// Link.
    pub href: String,
    /// "Senin, 7 Desember 2026, 08.00 WIB".
    pub when: String,
    /// Office name.
    pub office: String,
    /// Status in words.
    pub status: String,
}

#[derive(Template)]
#[template(path = "pages/bookings/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
}

/// `GET /bookings`.
pub async fn list(State(state): State<AppState>, ctx: PageCtx, who: SignedIn) -> PageResult {
    let t = Tr(ctx.lang);
    let now = state.now();
    let mut rows = Vec::new();
    for b in bookings::list(&state, who.account_id).await? {
        let office = planning::office(&state, &b.slot.office_code).await?;
        let start = office
            .session(&b.slot.session_code)
            .map(|s| format!(", {}", clock(t, s.start, office.time_zone)))
            .unwrap_or_default();
        rows.push(Row {
            href: format!("/bookings/{}", b.id),
            when: format!("{}{start}", long_date(t, b.slot.service_date)),
            office: office.name.clone(),
            status: t.s(state_key(b.effective_state(now))).to_owned(),
        });
    }
    Ok(render(&ListPage {
        c: Chrome::new(&ctx, t.s("bookings.title").to_owned()),
        rows,
    }))
}

/// The locale key of a state's name.
pub fn state_key(s: BookingState) -> &'static str {
    match s {
        BookingState::AwaitingPayment => "status.awaiting_payment",
        BookingState::PaymentPending => "status.payment_pending",
        BookingState::Paid => "status.paid",
        BookingState::Expired => "status.expired",
        BookingState::Cancelled => "status.cancelled",
        BookingState::RefundDue => "status.refund_due",
        BookingState::NoShow => "status.no_show",
        BookingState::CheckedIn => "status.checked_in",
        BookingState::Accepted => "status.accepted",
        BookingState::DocumentsMissing => "status.documents_missing",
        BookingState::Rejected => "status.rejected",
        BookingState::Unserved => "status.unserved",
        BookingState::DocumentsLapsed => "status.documents_lapsed",
    }
}

/// A step of the status timeline.
pub struct TimelineStep {
    /// What it is.
    pub label: String,
    /// When it happened, if it did.
    pub when: Option<String>,
    /// "done", "current" or "todo".
    pub class: &'static str,
}

#[derive(Template)]
#[template(path = "pages/bookings/show.html")]
struct ShowPage {
    c: Chrome,
    b: View,
}

/// What a booking's page shows.
pub struct View {
    /// Id, for the forms.
    pub id: Uuid,
    /// The state's name.
    pub status: String,
    /// The state's code (CSS, tests).
    pub state: &'static str,
    /// Whether it waits for payment.
    pub awaiting: bool,
    /// The billing code in groups of five.
    pub billing_code: String,
    /// The booking code, e.g. `7K3M-Q9XD`.
    pub booking_code: String,
    /// Whether the booking has a receipt now (it is paid).
    pub has_receipt: bool,
    /// The billing code's digits.
    pub code: String,
    /// The amount.
    pub amount: String,
    /// The deadline, local, with the zone.
    pub deadline: String,
    /// The deadline, RFC 3339, for the countdown script.
    pub deadline_iso: String,
    /// The billing page's script.
    pub script: &'static str,
    /// Minutes left to pay.
    pub minutes_left: i64,
    /// The words around the minutes left ("Sisa ", " menit").
    pub minutes_words: (String, String),
    /// What the applicant must do now.
    pub todo: String,
    /// Applicant name and masked NIK.
    pub applicant: String,
    /// Office name.
    pub office: String,
    /// Its address or city.
    pub address: String,
    /// Date and session, local, with the zone.
    pub when: String,
    /// The timeline.
    pub timeline: Vec<TimelineStep>,
    /// Whether it can be cancelled now.
    pub can_cancel: bool,
    /// Whether it can be moved now.
    pub can_reschedule: bool,
    /// Whether the simulated bank is on (dev and demo).
    pub demo_bank: bool,
    /// What happens to a payment that comes after the deadline (shown once it lapsed).
    pub late_payment: Option<String>,
    /// A new booking with the same applicant, service and office, once this one ended.
    pub rebook: Option<String>,
    /// That the simulated bank just paid this booking late and its place was kept.
    pub paid_late: Option<String>,
    /// The page that follows its queue ticket, while it waits or is served.
    pub follow: Option<String>,
}

async fn view(state: &AppState, t: Tr, b: &Booking) -> Result<View, PageError> {
    let office = planning::office(state, &b.slot.office_code).await?;
    let zone = office.time_zone;
    let now = state.now();
    let today = loket_domain::release::local_date(now, zone);
    let effective = b.effective_state(now);
    let applicant = applicants::own(state, b.account_id, b.applicant_id).await?;
    let session = office.session(&b.slot.session_code);
    let when = appointment(t, b.slot.service_date, session, zone);
    let code = b.billing_code.as_str();
    let ticket = if effective.checked_in() {
        floor::ticket_of(state, b.id).await?
    } else {
        None
    };
    let events = state
        .store
        .booking_events(b.id)
        .await
        .map_err(crate::usecases::Refusal::from)?;
    let visits = Visits::of(&events, ticket.as_ref());
    let follow = ticket
        .as_ref()
        .filter(|k| loket_domain::floor::TicketState::OPEN.contains(&k.state))
        .map(|k| format!("/q/{}", k.id));
    // The number to wait for, once checked in (or back with the documents).
    let waiting_for = || {
        let number = ticket.as_ref().map(|k| k.number.to_string());
        t.f(
            "booking.todo.checked_in",
            &[("ticket", &number.unwrap_or_default())],
        )
    };
    let todo = match effective {
        BookingState::AwaitingPayment | BookingState::PaymentPending => t.f(
            "booking.todo.pay",
            &[("deadline", &date_time(t, b.payment_deadline, zone))],
        ),
        BookingState::Paid => t.f("booking.todo.come", &[("when", &when)]),
        BookingState::RefundDue => t.s("booking.todo.refund").to_owned(),
        BookingState::Expired => t.f(
            "booking.lapsed.body",
            &[("deadline", &date_time(t, b.payment_deadline, zone))],
        ),
        BookingState::Cancelled => t.s("booking.todo.cancelled").to_owned(),
        BookingState::NoShow => t.s("booking.todo.no_show").to_owned(),
        BookingState::CheckedIn => waiting_for(),
        BookingState::Accepted => t.s("booking.todo.accepted").to_owned(),
        // Back with the documents, and waiting for the counter again.
        BookingState::DocumentsMissing if follow.is_some() => waiting_for(),
        BookingState::DocumentsMissing => t.f(
            "booking.todo.documents_missing",
            &[(
                "date",
                &crate::format::long_date(
                    t,
                    loket_domain::booking::documents_due(b.slot.service_date),
                ),
            )],
        ),
        BookingState::Unserved => t.s("booking.todo.unserved").to_owned(),
        BookingState::DocumentsLapsed => t.s("booking.todo.documents_lapsed").to_owned(),
        BookingState::Rejected => {
            let reason = ticket
                .as_ref()
                .and_then(|k| k.outcome_reason)
                .map(|r| crate::format::reject_reason(t, r))
                .unwrap_or_default();
            t.f("booking.todo.rejected", &[("reason", &reason)])
        }
    };
    Ok(View {
        id: b.id,
        status: t.s(state_key(effective)).to_owned(),
        state: effective.as_str(),
        awaiting: effective == BookingState::AwaitingPayment,
        billing_code: grouped_code(code),
        booking_code: loket_domain::BookingCode::of(b.id).to_string(),
        has_receipt: effective.has_receipt(),
        code: code.to_owned(),
        amount: rupiah(b.fee_total),
        deadline: date_time(t, b.payment_deadline, zone),
        deadline_iso: b.payment_deadline.to_rfc3339(),
        script: super::assets::booking_js_href(),
        minutes_left: (b.payment_deadline - now).num_minutes().max(0),
        minutes_words: {
            let w = t.s("booking.minutes_left");
            let (before, after) = w.split_once("{minutes}").unwrap_or((w, ""));
            (before.to_owned(), after.to_owned())
        },
        todo,
        applicant: applicant
            .map(|a| format!("{} ({})", a.full_name, a.nik.masked()))
            .unwrap_or_else(|| b.nik.masked()),
        office: office.name.clone(),
        address: office.address_or_city().to_owned(),
        when,
        timeline: timeline(t, b, effective, &visits, zone),
        can_cancel: check_cancel(b.state, b.payment_deadline, b.slot.service_date, today, now)
            .is_ok(),
        can_reschedule: check_reschedule(
            b.state,
            b.payment_deadline,
            u32::try_from(b.reschedules_used).unwrap_or(u32::MAX),
            b.slot.service_date,
            today,
            now,
        )
        .is_ok(),
        demo_bank: state.settings.mode.dev_tools(),
        late_payment: (effective == BookingState::Expired)
            .then(|| t.s("booking.lapsed.late").to_owned()),
        rebook: matches!(
            effective,
            BookingState::Expired
                | BookingState::Cancelled
                | BookingState::NoShow
                | BookingState::Rejected
                | BookingState::Unserved
                | BookingState::DocumentsLapsed
        )
        .then(|| format!("/book?{}", draft_of(b, None, None, None).query(&[]))),
        paid_late: None,
        follow,
    })
}

/// The page's title for a booking in state `s`.
fn title_key(s: BookingState) -> &'static str {
    match s {
        BookingState::AwaitingPayment => "booking.title_billing",
        BookingState::Expired => "booking.lapsed.title",
        BookingState::RefundDue => "booking.refund.title",
        s if s.has_receipt() => "receipt.title_paid",
        _ => "booking.title",
    }
}

/// What the booking's history says happened to it, for its timeline.
struct Visits {
    /// Each move to another date or session.
    moves: Vec<DateTime<Utc>>,
    /// The first check-in.
    checked_in: Option<DateTime<Utc>>,
    /// Each interview that found documents missing.
    documents_missing: Vec<DateTime<Utc>>,
    /// The latest return with the documents: a ticket issued after the last of those.
    returned: Option<DateTime<Utc>>,
}

impl Visits {
    /// From the recorded changes (`events`, oldest first) and the booking's latest ticket.
    fn of(events: &[BookingEvent], ticket: Option<&Ticket>) -> Self {
        let documents_missing: Vec<DateTime<Utc>> = events
            .iter()
            .filter(|e| e.to == BookingState::DocumentsMissing)
            .map(|e| e.at)
            .collect();
        let returned = ticket
            .map(|k| k.issued_at)
            .filter(|at| documents_missing.last().is_some_and(|d| at > d));
        Self {
            moves: events
                .iter()
                .filter(|e| loket_domain::booking::is_move(e.from, e.to))
                .map(|e| e.at)
                .collect(),
            checked_in: events
                .iter()
                .find(|e| e.to == BookingState::CheckedIn)
                .map(|e| e.at)
                .or_else(|| ticket.filter(|_| returned.is_none()).map(|k| k.issued_at)),
            documents_missing,
            returned,
        }
    }
}

/// The steps from the hold to collection, with each move to another date or session, each
/// interview that found documents missing and the return with them, where each happened;
/// an ending other than collection (expired, cancelled, refund due, no-show, unserved,
/// documents lapsed) takes the place of the steps it cut short.
fn timeline(
    t: Tr,
    b: &Booking,
    s: BookingState,
    v: &Visits,
    zone: chrono_tz::Tz,
) -> Vec<TimelineStep> {
    let at = |d: DateTime<Utc>| Some(date_time(t, d, zone));
    let step = |key: &str, when: Option<String>, class| TimelineStep {
        label: t.s(key).to_owned(),
        when,
        class,
    };
    // What has happened, in the order it happened (a check-in of unknown time before the
    // interview that followed it).
    let mut done: Vec<(DateTime<Utc>, &str, bool)> = vec![(b.created_at, "timeline.held", true)];
    if let Some(p) = b.paid_at {
        done.push((p, "timeline.paid", true));
    }
    if s.checked_in() {
        let untimed = v.documents_missing.first().copied();
        match v.checked_in.or(untimed) {
            Some(c) => done.push((c, "timeline.checked_in", v.checked_in.is_some())),
            None => done.push((DateTime::<Utc>::MAX_UTC, "timeline.checked_in", false)),
        }
    }
    done.extend(v.moves.iter().map(|m| (*m, "timeline.moved", true)));
    done.extend(
        v.documents_missing
            .iter()
            .map(|d| (*d, "timeline.documents_missing", true)),
    );
    done.extend(v.returned.map(|r| (r, "timeline.returned", true)));
    done.sort_by_key(|(when, _, _)| *when);
    let mut out: Vec<TimelineStep> = done
        .into_iter()
        .map(|(when, key, timed)| step(key, timed.then(|| at(when)).flatten(), "done"))
        .collect();
    match s {
        BookingState::AwaitingPayment | BookingState::PaymentPending => {
            out.push(step("timeline.paid", None, "current"));
        }
        BookingState::Paid | BookingState::CheckedIn => {}
        BookingState::Accepted => {
            out.push(step("timeline.interviewed", at(b.updated_at), "done"));
        }
        // Told to bring the documents: coming back with them is the step now.
        BookingState::DocumentsMissing if v.returned.is_none() => {
            out.push(step("timeline.returned", None, "current"));
        }
        // Back with them: the interview again.
        BookingState::DocumentsMissing => {}
        other => {
            // A hold lapses at its deadline, whenever the sweep gets to record it.
            let when = if other == BookingState::Expired {
                b.payment_deadline
            } else {
                b.updated_at
            };
            out.push(step(state_key(other), at(when), "current"));
            return out;
        }
    }
    let later = [
        "timeline.checked_in",
        "timeline.interviewed",
        "timeline.in_process",
        "timeline.ready",
        "timeline.collected",
    ];
    // The first step not yet taken is the current one (none while the payment or the
    // documents are awaited: that step was added above).
    let (taken, current) = match s {
        BookingState::AwaitingPayment | BookingState::PaymentPending => (0, None),
        BookingState::CheckedIn => (1, Some(1)),
        BookingState::DocumentsMissing if v.returned.is_none() => (1, None),
        BookingState::DocumentsMissing => (1, Some(1)),
        BookingState::Accepted => (2, Some(2)),
        _ => (0, Some(0)),
    };
    for (i, key) in later.into_iter().enumerate().skip(taken) {
        let class = if Some(i) == current {
            "current"
        } else {
            "todo"
        };
        out.push(step(key, None, class));
    }
    out
}

/// `?paid=…`: what the simulated bank just did (`PaymentOutcome::as_str`).
#[derive(serde::Deserialize)]
pub struct ShowQuery {
    paid: Option<String>,
}

/// `GET /bookings/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: SignedIn,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    let b = bookings::own(&state, who.account_id, id).await?;
    let mut v = view(&state, t, &b).await?;
    let effective = b.effective_state(state.now());
    // A late payment that kept its place looks like any paid booking, so the page says
    // what happened; only when the booking shows it (a made-up `paid=` says nothing). A
    // refund due says so in its title and its next step already.
    v.paid_late = (q.paid.as_deref() == Some("restored")
        && matches!(effective, BookingState::Paid | BookingState::PaymentPending))
    .then(|| t.s("booking.paid_late.restored").to_owned());
    Ok(render(&ShowPage {
        c: Chrome::new(&ctx, t.s(title_key(effective)).to_owned()),
        b: v,
    }))
}

#[derive(Template)]
#[template(path = "pages/bookings/cancel.html")]
struct CancelPage {
    c: Chrome,
    b: View,
}

/// `GET /bookings/{id}/cancel`: are you sure?
pub async fn confirm_cancel(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    let b = bookings::own(&state, who.account_id, id).await?;
    let v = view(&state, t, &b).await?;
    if !v.can_cancel {
        return Ok(Redirect::to(&format!("/bookings/{id}")).into_response());
    }
    Ok(render(&CancelPage {
        c: Chrome::new(&ctx, t.s("booking.cancel.title").to_owned()),
        b: v,
    }))
}

/// The cancel form.
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

impl Tokened for CsrfForm {
    fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }
}

/// `POST /bookings/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    _form: CheckedForm<CsrfForm>,
) -> PageResult {
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    match bookings::cancel(&state, who.account_id, id).await {
        // Cancelled, or no longer cancellable (the page then says what it is now).
        Ok(_) | Err(crate::usecases::Refusal::Transition(_)) => {
            Ok(Redirect::to(&format!("/bookings/{id}")).into_response())
        }
        Err(r) => Err(r.into()),
    }
}

fn reschedule_target(id: Uuid) -> super::book::DateTarget {
    super::book::DateTarget {
        path: format!("/bookings/{id}/reschedule"),
        post: true,
        title: "reschedule.title",
        back: Some(format!("/bookings/{id}")),
    }
}

/// The booking as a journey draft (its office and service), at `date` and `session`.
fn draft_of(
    b: &Booking,
    date: Option<String>,
    session: Option<String>,
    month: Option<String>,
) -> super::book::Draft {
    let r = b.service;
    super::book::Draft {
        applicant: Some(b.applicant_id.to_string()),
        kind: Some(r.kind.as_str().to_owned()),
        passport_type: Some(r.passport_type.as_str().to_owned()),
        validity: Some(r.validity.as_str().to_owned()),
        processing: Some(r.processing.as_str().to_owned()),
        purpose: Some(b.travel_purpose.as_str().to_owned()),
        office: Some(b.slot.office_code.clone()),
        date,
        session,
        month,
        ..super::book::Draft::default()
    }
}

/// `?date=…&month=…` of the reschedule page, and its form.
#[derive(serde::Deserialize, Default)]
pub struct MoveForm {
    date: Option<String>,
    session: Option<String>,
    month: Option<String>,
    csrf: Option<String>,
}

impl Tokened for MoveForm {
    fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }
}

/// `GET /bookings/{id}/reschedule`: the office's calendar, to pick the new date and session.
pub async fn reschedule_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: SignedIn,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<MoveForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    let b = bookings::own(&state, who.account_id, id).await?;
    if !view(&state, t, &b).await?.can_reschedule {
        return Ok(Redirect::to(&format!("/bookings/{id}")).into_response());
    }
    let d = draft_of(&b, q.date, q.session, q.month);
    super::book::date_step(&state, &ctx, t, &d, Vec::new(), &reschedule_target(id)).await
}

/// `POST /bookings/{id}/reschedule`: moves the booking (once, up to the day before).
pub async fn reschedule(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: SignedIn,
    Path(id): Path<String>,
    CheckedForm(f): CheckedForm<MoveForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    let b = bookings::own(&state, who.account_id, id).await?;
    let date = f.date.as_deref().and_then(planning::iso_date);
    let session = f.session.clone().unwrap_or_default();
    let refused = match date {
        None => t.s("book.error.date").to_owned(),
        Some(_) if session.is_empty() => t.s("book.error.session").to_owned(),
        Some(date) => {
            match bookings::reschedule(&state, who.account_id, id, date, &session).await {
                Ok(_) => return Ok(Redirect::to(&format!("/bookings/{id}")).into_response()),
                Err(Refusal::Store(loket_store::StoreError::QuotaFull)) => {
                    t.s("book.error.session_full").to_owned()
                }
                Err(Refusal::SameSlot) => t.s("reschedule.same").to_owned(),
                Err(Refusal::Transition(_)) => t.s("reschedule.not_now").to_owned(),
                Err(Refusal::Unbookable {
                    why: Unbookable::Day(DayStatus::NotReleased(at)),
                    ..
                }) => {
                    let zone = planning::office(&state, &b.slot.office_code)
                        .await?
                        .time_zone;
                    super::book::not_released(t, at, zone)
                }
                Err(Refusal::Unbookable { .. }) => t.s("book.error.date_closed").to_owned(),
                Err(r) => return Err(r.into()),
            }
        }
    };
    let d = draft_of(&b, f.date, f.session, f.month);
    let errors = vec![("date", refused)];
    super::book::date_step(&state, &ctx, t, &d, errors, &reschedule_target(id)).await
}
