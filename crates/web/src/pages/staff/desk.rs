//! The front desk: the scanner's field has focus on load (a USB scanner types the QR code
//! into it and presses Enter; a person types the booking code), the booking found is
//! shown with the name and masked NIK to compare with the ID card, and one button checks
//! it in and issues its A ticket. Beside it, the priority walk-in form (P tickets within
//! today's priority quota), and today's tickets. Every action says what it did. Works
//! without JavaScript; a small script adds the camera where the browser can read QR codes,
//! and the print button.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use loket_domain::BookingState;
use loket_domain::Office;
use loket_domain::floor::{CheckInRefusal, PriorityBasis};
use loket_domain::staff::FRONT_DESK;
use loket_store::Actor;
use serde::Deserialize;
use uuid::Uuid;

use super::ticket::kind_words;
use super::{StaffChrome, StaffIn};
use crate::format::{appointment, clock, date_time, long_date};
use crate::i18n::Tr;
use crate::pages::bookings::state_key;
use crate::pages::forms::{CheckedForm, Tokened, message};
use crate::pages::{PageCtx, PageError, PageResult, render, render_with};
use crate::state::AppState;
use crate::usecases::floor::{self, Arrival, WalkIn};
use crate::usecases::{FieldProblem, Refusal};

/// `?code=` (what was scanned or typed) and `?done=` (the ticket just issued).
#[derive(Deserialize, Default)]
pub struct DeskQuery {
    code: Option<String>,
    done: Option<String>,
    outage: Option<String>,
}

/// The desk's forms: check-in (`code`) and walk-in (`basis`, `birth_date`).
#[derive(Deserialize, Default)]
pub struct DeskForm {
    csrf: Option<String>,
    code: Option<String>,
    basis: Option<String>,
    birth_date: Option<String>,
    pub(super) date: Option<String>,
    pub(super) session: Option<String>,
    pub(super) reason: Option<String>,
    on: Option<String>,
}

impl DeskForm {
    /// The booking code or scan as typed, without the spaces around it.
    pub(super) fn code(&self) -> String {
        self.code.as_deref().unwrap_or("").trim().to_owned()
    }
}

impl Tokened for DeskForm {
    fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }
}

/// The booking found, as the desk shows it.
pub struct ArrivalCard {
    /// The applicant's name.
    pub name: String,
    /// The NIK, masked.
    pub nik: String,
    /// Date and session, local, with the zone.
    pub when: String,
    /// The booking code.
    pub booking_code: String,
    /// The booking's state, in words.
    pub status: String,
    /// What the desk typed or scanned, posted back by the check-in button.
    pub code: String,
    /// Whether it can be checked in now.
    pub can_check_in: bool,
    /// For a return with the documents missing at the interview: what the desk is to
    /// know (a new queue number, the last day the documents may be brought).
    pub return_visit: Option<String>,
    /// If not, why, in words.
    pub refusal: Option<String>,
    /// Its ticket, once checked in.
    pub ticket: Option<(Uuid, String)>,
    /// Whether the desk may move it with a special reschedule (paid or missed, and too
    /// late, too early or on another day for a check-in now).
    pub can_move: bool,
}

/// One of today's tickets, as listed.
pub struct TicketRow {
    /// Id, for its print page.
    pub id: Uuid,
    /// "A-001".
    pub number: String,
    /// Booked, or the priority basis.
    pub kind: String,
    /// When it was issued, local.
    pub issued: String,
    /// Its state, in words.
    pub state: String,
}

/// A choice of the walk-in form.
pub struct Basis {
    /// Code.
    pub value: String,
    /// Words.
    pub label: String,
}

#[derive(Template)]
#[template(path = "pages/staff/desk.html")]
pub(super) struct DeskPage {
    s: StaffChrome,
    office: String,
    notice: Option<String>,
    done: Option<(Uuid, String)>,
    error: Option<String>,
    code: String,
    code_error: Option<String>,
    arrival: Option<ArrivalCard>,
    bases: Vec<Basis>,
    basis: String,
    basis_error: Option<String>,
    birth_date: String,
    birth_date_error: Option<String>,
    priority_left: Option<String>,
    tickets: Vec<TicketRow>,
    sessions: Vec<Basis>,
    reasons: Vec<Basis>,
    outage: bool,
    /// The office is closed today: outage mode cannot be switched on.
    closed: bool,
    script: &'static str,
}

/// The words for a check-in refusal.
fn refusal_words(t: Tr, office: &Office, r: CheckInRefusal) -> String {
    let at = |d: chrono::NaiveDateTime| {
        format!(
            "{}, {}",
            long_date(t, d.date()),
            clock(t, d.time(), office.time_zone)
        )
    };
    match r {
        CheckInRefusal::OtherDay { date } => {
            t.f("desk.refusal.other_day", &[("date", &long_date(t, date))])
        }
        CheckInRefusal::TooEarly { from } => t.f("desk.refusal.too_early", &[("at", &at(from))]),
        CheckInRefusal::TooLate { until } => t.f("desk.refusal.too_late", &[("at", &at(until))]),
        CheckInRefusal::Ended {
            state: BookingState::Unserved,
        } => t.s("desk.refusal.unserved").to_owned(),
        CheckInRefusal::Ended { state } => t.f(
            "desk.refusal.ended",
            &[("state", &t.s(state_key(state)).to_lowercase())],
        ),
        other => t.s(&format!("desk.refusal.{}", other.code())).to_owned(),
    }
}

pub(super) fn card(t: Tr, office: &Office, code: &str, a: Arrival) -> ArrivalCard {
    let b = &a.booking;
    ArrivalCard {
        name: a
            .applicant
            .as_ref()
            .map(|p| p.full_name.clone())
            .unwrap_or_default(),
        nik: b.nik.masked(),
        when: appointment(t, b.slot.service_date, a.session.as_ref(), office.time_zone),
        booking_code: loket_domain::BookingCode::of(b.id).to_string(),
        status: t.s(state_key(b.state)).to_owned(),
        code: code.to_owned(),
        can_check_in: a.can_check_in(),
        // Back with the documents: how to go on, or (when refused) until when they may come.
        return_visit: (b.state == BookingState::DocumentsMissing
            && a.admit != Err(CheckInRefusal::AlreadyCheckedIn))
        .then(|| {
            t.f(
                if a.can_check_in() {
                    "desk.return_visit"
                } else {
                    "desk.return_due"
                },
                &[(
                    "date",
                    &long_date(t, loket_domain::booking::documents_due(b.slot.service_date)),
                )],
            )
        }),
        can_move: a.admit.err().is_some_and(|r| r.offers_special_reschedule()),
        refusal: match a.admit {
            Err(r) => Some(refusal_words(t, office, r)),
            Ok(()) => a
                .closed
                .is_some()
                .then(|| t.s("desk.closed_today").to_owned()),
        },
        ticket: a.ticket.map(|k| (k.id, k.number.to_string())),
    }
}

/// The desk page with what it found and what the forms hold.
pub(super) async fn desk(
    state: &AppState,
    ctx: &PageCtx,
    who: &StaffIn,
    office: &Office,
    form: DeskPageInput,
) -> Result<DeskPage, PageError> {
    let t = Tr(ctx.lang);
    let day = floor::desk_day(state, office).await?;
    let tickets = day
        .tickets
        .iter()
        .rev()
        .map(|k| TicketRow {
            id: k.id,
            number: k.number.to_string(),
            kind: kind_words(t, k),
            issued: date_time(t, k.issued_at, office.time_zone)
                .rsplit(", ")
                .next()
                .unwrap_or_default()
                .to_owned(),
            state: t
                .s(&format!("ticket_state.{}", k.state.as_str()))
                .to_owned(),
        })
        .collect();
    let priority_left = match day.priority_quota {
        Some(q) => Some(t.f(
            "desk.priority_left",
            &[
                ("left", &(q - day.priority_issued).max(0).to_string()),
                ("quota", &q.to_string()),
            ],
        )),
        None => Some(t.s("desk.closed_today").to_owned()),
    };
    let bases = PriorityBasis::ALL
        .iter()
        .map(|b| Basis {
            value: b.as_str().to_owned(),
            label: t.s(&format!("priority.{}", b.as_str())).to_owned(),
        })
        .collect();
    let mut s = StaffChrome::new(ctx, &who.staff, t.s("desk.title").to_owned());
    s.c.has_errors = form.error.is_some()
        || form.code_error.is_some()
        || form.basis_error.is_some()
        || form.birth_date_error.is_some();
    Ok(DeskPage {
        s,
        office: office.name.clone(),
        notice: form.notice,
        done: form.done,
        error: form.error,
        code: form.code,
        code_error: form.code_error,
        arrival: form.arrival,
        bases,
        basis: form.basis,
        basis_error: form.basis_error,
        birth_date: form.birth_date,
        birth_date_error: form.birth_date_error,
        priority_left,
        tickets,
        outage: day.outage,
        closed: day.priority_quota.is_none(),
        sessions: office
            .sessions
            .iter()
            .map(|x| Basis {
                value: x.code.clone(),
                label: format!(
                    "{} ({})",
                    x.name,
                    crate::format::hours(t, x.start, x.end, office.time_zone)
                ),
            })
            .collect(),
        reasons: loket_domain::booking::SpecialReason::ALL
            .iter()
            .map(|r| Basis {
                value: r.as_str().to_owned(),
                label: t.s(&format!("desk.special.{}", r.as_str())).to_owned(),
            })
            .collect(),
        script: crate::pages::assets::staff_js_href(),
    })
}

/// What a desk page shows beyond the day: the forms' values and messages.
#[derive(Default)]
pub(super) struct DeskPageInput {
    pub(super) notice: Option<String>,
    pub(super) done: Option<(Uuid, String)>,
    pub(super) error: Option<String>,
    pub(super) code: String,
    pub(super) code_error: Option<String>,
    pub(super) arrival: Option<ArrivalCard>,
    pub(super) basis: String,
    pub(super) basis_error: Option<String>,
    pub(super) birth_date: String,
    pub(super) birth_date_error: Option<String>,
}

impl DeskPageInput {
    /// The status of a form that came back refused: 409 when the booking or the day says
    /// no (above the page), 422 when a field was wrong.
    fn refused_status(&self) -> axum::http::StatusCode {
        if self.error.is_some() {
            axum::http::StatusCode::CONFLICT
        } else {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// The desk page again after a refused form, with what it holds.
async fn refused(
    state: &AppState,
    ctx: &PageCtx,
    who: &StaffIn,
    office: &Office,
    input: DeskPageInput,
) -> PageResult {
    let status = input.refused_status();
    let p = desk(state, ctx, who, office, input).await?;
    Ok(render_with(status, &p))
}

/// Puts a refusal of a desk form beside its field, or above the page.
fn place_refusal(
    t: Tr,
    office: &Office,
    input: &mut DeskPageInput,
    r: Refusal,
) -> Result<(), PageError> {
    let field_msg = |p: &FieldProblem| message(t, &p.field, &p.code);
    match r {
        Refusal::Invalid(problems) => {
            for p in &problems {
                let msg = Some(field_msg(p));
                match p.field.as_str() {
                    "basis" => input.basis_error = msg,
                    "birth_date" => input.birth_date_error = msg,
                    _ => input.code_error = msg,
                }
            }
        }
        Refusal::Field { field, code, .. } => {
            let msg = Some(message(t, field, code));
            match field {
                "birth_date" => input.birth_date_error = msg,
                "basis" => input.basis_error = msg,
                _ => input.code_error = msg,
            }
        }
        Refusal::NotFound(_) => input.code_error = Some(t.s("desk.not_found").to_owned()),
        Refusal::CheckIn(c) => input.error = Some(refusal_words(t, office, c)),
        Refusal::Store(loket_store::StoreError::PriorityQuotaFull) => {
            input.error = Some(t.s("desk.priority_full").to_owned());
        }
        Refusal::Unbookable { .. } => input.error = Some(t.s("desk.closed_today").to_owned()),
        other => return Err(other.into()),
    }
    Ok(())
}

/// `GET /staff/desk`: the desk, with the booking of `?code=` if one was scanned.
pub async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: StaffIn,
    Query(q): Query<DeskQuery>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let office = who.own_office(&state, &FRONT_DESK).await?;
    let mut input = DeskPageInput::default();
    if let Some(done) = q.done.as_deref().and_then(|d| Uuid::parse_str(d).ok())
        && let Ok(k) = floor::ticket(&state, &office, done).await
    {
        input.notice = Some(t.f(
            "desk.issued",
            &[
                ("number", &k.number.to_string()),
                ("kind", &kind_words(t, &k)),
            ],
        ));
        input.done = Some((k.id, k.number.to_string()));
    }
    match q.outage.as_deref() {
        Some("on") => input.notice = Some(t.s("desk.outage.now_on").to_owned()),
        Some("off") => input.notice = Some(t.s("desk.outage.now_off").to_owned()),
        _ => {}
    }
    if let Some(code) = q.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        input.code = code.to_owned();
        match floor::find_arrival(&state, &office, code).await {
            Ok(a) => input.arrival = Some(card(t, &office, code, a)),
            Err(r) => place_refusal(t, &office, &mut input, r)?,
        }
    }
    let p = desk(&state, &ctx, &who, &office, input).await?;
    Ok(render(&p))
}

/// `POST /staff/desk/check-in`: checks the booking in and shows its ticket.
pub async fn check_in(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: StaffIn,
    CheckedForm(f): CheckedForm<DeskForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let office = who.own_office(&state, &FRONT_DESK).await?;
    let code = f.code();
    let actor = Actor::staff(&who.staff);
    match floor::check_in(&state, &actor, &office, &code).await {
        Ok(a) => {
            let id = a.ticket.map(|k| k.id).unwrap_or_default();
            Ok(Redirect::to(&format!("/staff/desk?done={id}")).into_response())
        }
        Err(r) => {
            let mut input = DeskPageInput {
                code: code.clone(),
                ..DeskPageInput::default()
            };
            place_refusal(t, &office, &mut input, r)?;
            // Show the booking as it stands now, so the officer sees why.
            if let Ok(a) = floor::find_arrival(&state, &office, &code).await {
                input.arrival = Some(card(t, &office, &code, a));
            }
            refused(&state, &ctx, &who, &office, input).await
        }
    }
}

/// `POST /staff/desk/walk-in`: registers a priority walk-in and shows its ticket.
pub async fn walk_in(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: StaffIn,
    CheckedForm(f): CheckedForm<DeskForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let office = who.own_office(&state, &FRONT_DESK).await?;
    let basis = f.basis.as_deref().unwrap_or("").to_owned();
    let birth_date = f.birth_date.as_deref().unwrap_or("").trim().to_owned();
    let today = loket_domain::release::local_date(state.now(), office.time_zone);
    let actor = Actor::staff(&who.staff);
    let result = async {
        let w = WalkIn::read(&basis, &birth_date, today)?;
        floor::register_walk_in(&state, &actor, office.clone(), w).await
    };
    match result.await {
        Ok(k) => Ok(Redirect::to(&format!("/staff/desk?done={}", k.id)).into_response()),
        Err(r) => {
            let mut input = DeskPageInput {
                basis,
                birth_date,
                ..DeskPageInput::default()
            };
            place_refusal(t, &office, &mut input, r)?;
            refused(&state, &ctx, &who, &office, input).await
        }
    }
}

/// `POST /staff/desk/outage`: switches today's outage mode on (`on=1`) or off.
pub async fn outage(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: StaffIn,
    CheckedForm(f): CheckedForm<DeskForm>,
) -> PageResult {
    let office = who.own_office(&state, &FRONT_DESK).await?;
    let on = f.on.as_deref() == Some("1");
    match floor::set_outage(&state, &Actor::staff(&who.staff), &office, on).await {
        Ok(()) => {
            let to = if on { "on" } else { "off" };
            Ok(Redirect::to(&format!("/staff/desk?outage={to}")).into_response())
        }
        Err(r @ Refusal::Unbookable { .. }) => {
            let mut input = DeskPageInput::default();
            place_refusal(Tr(ctx.lang), &office, &mut input, r)?;
            refused(&state, &ctx, &who, &office, input).await
        }
        Err(r) => Err(r.into()),
    }
}

/// `POST /staff/desk/outage-walk-in`: a B ticket for a person without a booking, while the
/// office runs in outage mode.
pub async fn outage_walk_in(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: StaffIn,
    CheckedForm(_f): CheckedForm<DeskForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let office = who.own_office(&state, &FRONT_DESK).await?;
    match floor::register_outage_walk_in(&state, &Actor::staff(&who.staff), &office).await {
        Ok(k) => Ok(Redirect::to(&format!("/staff/desk?done={}", k.id)).into_response()),
        Err(Refusal::Store(loket_store::StoreError::OutageModeOff)) => {
            let input = DeskPageInput {
                error: Some(t.s("desk.outage.off_refused").to_owned()),
                ..DeskPageInput::default()
            };
            refused(&state, &ctx, &who, &office, input).await
        }
        Err(r @ Refusal::Unbookable { .. }) => {
            let mut input = DeskPageInput::default();
            place_refusal(t, &office, &mut input, r)?;
            refused(&state, &ctx, &who, &office, input).await
        }
        Err(r) => Err(r.into()),
    }
}
