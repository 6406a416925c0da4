//! Assisted booking at the front desk, for a person without a phone: one form with the
//! person as on the ID card, the service, and a session among the office's free ones; the
//! same rules as an online hold. What was typed is kept on every error, each message beside
//! its field. The booking made opens as a slip to print and hand over: the booking code and
//! its QR code for the day, the billing code, the amount and the deadline to pay it by.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use loket_domain::Office;
use loket_domain::staff::FRONT_DESK;
use loket_store::{Actor, StoreError};
use serde::Deserialize;
use uuid::Uuid;

use super::{StaffChrome, StaffIn};
use crate::auth::new_token;
use crate::format::{appointment, date_time};
use crate::i18n::Tr;
use crate::pages::accounts::sex_radios;
use crate::pages::book::service_questions;
use crate::pages::forms::{CheckedForm, Field, Radio, Tokened, message, put_beside};
use crate::pages::receipt::{ReceiptView, booking_qr};
use crate::pages::{PageCtx, PageError, PageResult, render, render_with};
use crate::state::AppState;
use crate::usecases::applicants::NewApplicant;
use crate::usecases::availability::{self, DayKind, search_range};
use crate::usecases::bookings::Held;
use crate::usecases::fields::ServiceInput;
use crate::usecases::floor::{self, AssistedInput};
use crate::usecases::{FieldProblem, Refusal};

/// The form, as posted.
#[derive(Deserialize, Default)]
pub struct AssistForm {
    csrf: Option<String>,
    key: Option<String>,
    nik: Option<String>,
    full_name: Option<String>,
    birth_date: Option<String>,
    sex: Option<String>,
    married: Option<String>,
    kind: Option<String>,
    passport_type: Option<String>,
    validity: Option<String>,
    processing: Option<String>,
    force_majeure: Option<String>,
    travel_purpose: Option<String>,
    slot: Option<String>,
}

impl Tokened for AssistForm {
    fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }
}

impl AssistForm {
    fn get(v: &Option<String>) -> String {
        v.as_deref().unwrap_or("").to_owned()
    }

    /// The date and session of the chosen slot (`2026-12-07|s1`).
    fn slot(&self) -> (String, String) {
        let slot = Self::get(&self.slot);
        match slot.split_once('|') {
            Some((d, s)) => (d.to_owned(), s.to_owned()),
            None => (String::new(), String::new()),
        }
    }

    fn input(&self) -> AssistedInput {
        let g = Self::get;
        let (date, session) = self.slot();
        AssistedInput {
            person: NewApplicant {
                nik: g(&self.nik).split_whitespace().collect(),
                full_name: g(&self.full_name),
                birth_date: g(&self.birth_date),
                sex: g(&self.sex),
                married: self.married.as_deref() == Some("yes"),
            },
            service: ServiceInput {
                kind: g(&self.kind),
                passport_type: g(&self.passport_type),
                validity: g(&self.validity),
                processing: g(&self.processing),
                force_majeure: self.force_majeure.as_deref() == Some("yes"),
                travel_purpose: g(&self.travel_purpose),
            },
            date,
            session,
            idempotency_key: self.key.clone().filter(|k| !k.is_empty()),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/staff/assist.html")]
struct AssistPage {
    s: StaffChrome,
    office: String,
    /// The person, the service, the session: each a group of fields.
    groups: Vec<(String, Vec<Field>)>,
    form_error: Option<String>,
    /// This form's idempotency key, so that a second tap books once.
    key: String,
}

impl AssistPage {
    fn fields_mut(&mut self) -> impl Iterator<Item = &mut Field> {
        self.groups.iter_mut().flat_map(|(_, f)| f.iter_mut())
    }

    fn field_error(&mut self, name: &str, msg: String) {
        put_beside(self.fields_mut(), name, &msg);
        self.refresh();
    }

    fn problems(&mut self, t: Tr, problems: &[FieldProblem]) {
        for p in problems {
            // The date and session are one choice on this form.
            let field = match p.field.as_str() {
                "date" | "session" => "slot",
                f => f,
            };
            self.field_error(field, message(t, field, &p.code));
        }
    }

    fn error(&mut self, msg: String) {
        self.form_error = Some(msg);
        self.refresh();
    }

    fn refresh(&mut self) {
        self.s.c.has_errors =
            self.form_error.is_some() || self.fields_mut().any(|f| f.error.is_some());
    }
}

/// The service questions as radio fields, worded as on the applicant's journey, with the
/// form's answers; the force majeure box follows the kind of application.
fn service_fields(t: Tr, f: &AssistForm) -> Vec<Field> {
    let mut fields = Vec::new();
    for (key, choices) in service_questions(t) {
        // The journey's `purpose` is the field `travel_purpose`, as the rules name it.
        let (name, value) = match key {
            "kind" => ("kind", &f.kind),
            "passport_type" => ("passport_type", &f.passport_type),
            "validity" => ("validity", &f.validity),
            "processing" => ("processing", &f.processing),
            _ => ("travel_purpose", &f.travel_purpose),
        };
        let mut field = Field::new(t, name, "radio", "")
            .value(&AssistForm::get(value))
            .radios(
                choices
                    .into_iter()
                    .map(|(code, label)| Radio {
                        value: code.to_owned(),
                        label,
                    })
                    .collect(),
            );
        field.label = t.s(&format!("book.service.{key}")).to_owned();
        fields.push(field);
        if name == "kind" {
            fields
                .push(Field::new(t, "force_majeure", "checkbox", "").value(yes(&f.force_majeure)));
        }
    }
    fields
}

/// A checkbox's value as the form shows it.
fn yes(v: &Option<String>) -> &'static str {
    if v.as_deref() == Some("yes") {
        "yes"
    } else {
        ""
    }
}

/// The sessions of the office with places left, from tomorrow as far as bookings go.
async fn free_sessions(state: &AppState, t: Tr, office: &Office) -> Result<Vec<Radio>, PageError> {
    let (from, to) = search_range(state, office);
    let a = availability::read(state, &office.code, from, to).await?;
    let mut out = vec![Radio {
        value: String::new(),
        label: t.s("assist.choose_slot").to_owned(),
    }];
    for d in a.days.iter().filter(|d| d.kind == DayKind::Open) {
        for s in d.sessions.iter().filter(|s| s.online_left() > 0) {
            out.push(Radio {
                value: format!("{}|{}", d.date, s.session.code),
                label: t.f(
                    "assist.slot",
                    &[
                        (
                            "when",
                            &appointment(t, d.date, Some(&s.session), office.time_zone),
                        ),
                        ("left", &s.online_left().to_string()),
                    ],
                ),
            });
        }
    }
    Ok(out)
}

async fn form_page(
    state: &AppState,
    ctx: &PageCtx,
    who: &StaffIn,
    office: &Office,
    f: &AssistForm,
) -> Result<AssistPage, PageError> {
    let t = Tr(ctx.lang);
    let g = AssistForm::get;
    let yes = |v: &Option<String>| {
        if v.as_deref() == Some("yes") {
            "yes"
        } else {
            ""
        }
    };
    let person = vec![
        Field::new(t, "nik", "text", "off")
            .value(&g(&f.nik))
            .inputmode("numeric"),
        Field::new(t, "full_name", "text", "off").value(&g(&f.full_name)),
        Field::new(t, "birth_date", "date", "off").value(&g(&f.birth_date)),
        Field::new(t, "sex", "radio", "")
            .value(&g(&f.sex))
            .radios(sex_radios(t)),
        Field::new(t, "married", "checkbox", "").value(yes(&f.married)),
    ];
    let service = service_fields(t, f);
    let when = vec![
        Field::new(t, "slot", "select", "")
            .value(&g(&f.slot))
            .radios(free_sessions(state, t, office).await?),
    ];
    Ok(AssistPage {
        s: StaffChrome::new(ctx, &who.staff, t.s("assist.title").to_owned()),
        office: office.name.clone(),
        groups: vec![
            (t.s("assist.person").to_owned(), person),
            (t.s("assist.service").to_owned(), service),
            (t.s("assist.when").to_owned(), when),
        ],
        form_error: None,
        key: f
            .key
            .clone()
            .filter(|k| !k.is_empty())
            .unwrap_or_else(new_token),
    })
}

/// `GET /staff/desk/assist`: the empty form.
pub async fn page(State(state): State<AppState>, ctx: PageCtx, who: StaffIn) -> PageResult {
    let office = who.own_office(&state, &FRONT_DESK).await?;
    let p = form_page(&state, &ctx, &who, &office, &AssistForm::default()).await?;
    Ok(render(&p))
}

/// `POST /staff/desk/assist`: books, and opens the slip; or the form again with what was
/// typed and why it was refused.
pub async fn book(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: StaffIn,
    CheckedForm(f): CheckedForm<AssistForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let office = who.own_office(&state, &FRONT_DESK).await?;
    let actor = Actor::staff(&who.staff);
    let refusal = match floor::book_assisted(&state, &actor, &office, f.input()).await {
        Ok(Held::New(b) | Held::Replayed(b)) => {
            return Ok(Redirect::to(&format!("/staff/assisted/{}", b.id)).into_response());
        }
        Err(r) => r,
    };
    let mut p = form_page(&state, &ctx, &who, &office, &f).await?;
    let mut status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    match refusal {
        Refusal::Invalid(problems) => p.problems(t, &problems),
        Refusal::InvalidNik(e) => p.field_error("nik", message(t, "nik", e.code())),
        Refusal::Field { field, code, .. } => p.field_error(field, message(t, field, code)),
        Refusal::Unbookable { .. } => {
            p.field_error("slot", t.s("book.error.date_closed").to_owned())
        }
        Refusal::Store(StoreError::QuotaFull) => {
            status = axum::http::StatusCode::CONFLICT;
            p.field_error("slot", t.s("book.error.session_full").to_owned());
        }
        Refusal::Store(StoreError::NikHasActiveBooking) => {
            status = axum::http::StatusCode::CONFLICT;
            p.field_error("nik", message(t, "nik", "active"));
        }
        Refusal::Store(StoreError::IdempotencyMismatch) => {
            status = axum::http::StatusCode::CONFLICT;
            p.key = new_token();
            p.error(t.s("assist.resent").to_owned());
        }
        other => return Err(other.into()),
    }
    Ok(render_with(status, &p))
}

#[derive(Template)]
#[template(path = "pages/staff/assisted.html")]
struct SlipPage {
    s: StaffChrome,
    r: ReceiptView,
    qr: String,
    deadline: String,
    state: String,
    unpaid: bool,
}

/// `GET /staff/assisted/{id}`: the slip of a booking the desk made, to print.
pub async fn slip(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: StaffIn,
    Path(id): Path<String>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let office = who.own_office(&state, &FRONT_DESK).await?;
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    let (b, person) = floor::assisted(&state, &office, id).await?;
    let r = ReceiptView::of(
        t,
        &b,
        &office,
        person.as_ref(),
        crate::pages::assets::staff_js_href(),
    );
    let st = b.effective_state(state.now());
    Ok(render(&SlipPage {
        s: StaffChrome::new(
            &ctx,
            &who.staff,
            t.f("assist.slip_title", &[("code", &r.code)]),
        ),
        qr: booking_qr(t, b.id, &r.code)?,
        deadline: date_time(t, b.payment_deadline, office.time_zone),
        state: t.s(crate::pages::bookings::state_key(st)).to_owned(),
        unpaid: st == loket_domain::BookingState::AwaitingPayment,
        r,
    }))
}
