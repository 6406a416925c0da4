//! The booking journey, one question per page: who it is for, the service, the office, the
//! date and session, then "check your answers" with the fee and the documents, and the
//! hold. Every step is a GET form (the draft travels in the query string); only the hold
//! is a POST, with the form token and an idempotency key so a double tap holds one place.
//! It works without JavaScript.

mod check;
mod draft;
mod steps;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono_tz::Tz;
use loket_domain::availability::{DayStatus, Unbookable};
use loket_domain::catalogue::check_validity;
use loket_store::{Applicant, StoreError};
use sha2::{Digest, Sha256};

use check::{CheckView, answers_view, check_view};
pub use check::{document_words, service_words};
pub use draft::{Draft, Step};
use steps::step_page;
pub use steps::{DateTarget, date_step, service_questions};

use super::forms::{CheckedForm, Tokened};
use super::session::{NotSignedIn, SignedIn};
use super::{Chrome, PageCtx, PageError, PageResult, render, render_with};
use crate::format::date_time;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::usecases::Refusal;
use crate::usecases::availability::{self, DayKind, next_free_dates};
use crate::usecases::bookings::{self, NewBooking};

/// A message beside a field: (the field's id, the text).
pub type FieldErrors = Vec<(&'static str, String)>;

/// `GET /book`: the first step that still needs an answer, or the check page.
pub async fn book(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: SignedIn,
    Query(draft): Query<Draft>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let applicants = crate::usecases::applicants::list(&state, who.account_id).await?;
    let change = draft.change.as_deref().and_then(Step::parse);
    let submitted = draft.step.as_deref().and_then(Step::parse);
    for step in [Step::Applicant, Step::Service, Step::Office, Step::Date] {
        let errors = check_step(&state, t, step, &draft, &applicants).await?;
        let missing = step.fields().iter().any(|f| draft.get(f).is_empty());
        if change == Some(step) {
            return step_page(&state, &ctx, step, &draft, &applicants, FieldErrors::new()).await;
        }
        if missing && submitted != Some(step) {
            return step_page(&state, &ctx, step, &draft, &applicants, FieldErrors::new()).await;
        }
        if !errors.is_empty() {
            return step_page(&state, &ctx, step, &draft, &applicants, errors).await;
        }
    }
    let view = check_view(&state, t, &draft, &applicants).await?;
    Ok(render(&CheckPage::new(&ctx, t, view, None)))
}

/// What is wrong with the answers of `step` (empty: nothing, or not answered yet).
async fn check_step(
    state: &AppState,
    t: Tr,
    step: Step,
    d: &Draft,
    applicants: &[Applicant],
) -> Result<FieldErrors, PageError> {
    let mut errors = FieldErrors::new();
    match step {
        Step::Applicant => {
            if !applicants.iter().any(|a| Some(a.id) == d.applicant_id()) {
                errors.push(("applicant", t.s("book.error.applicant").to_owned()));
            }
        }
        Step::Service => {
            for f in step.fields() {
                if d.service().is_none() && !valid_choice(f, d.get(f)) {
                    errors.push((f, t.s(&format!("book.error.{f}")).to_owned()));
                }
            }
            let applicant = applicants.iter().find(|a| Some(a.id) == d.applicant_id());
            if let (Some(s), Some(a)) = (d.service(), applicant) {
                // The hold checks again on the office's date; this catches the common case early.
                let on = d.date().unwrap_or_else(|| state.now().date_naive());
                if check_validity(s.request.validity, a.birth_date, a.married, on).is_err() {
                    errors.push(("validity", t.s("book.error.ten_years").to_owned()));
                }
            }
        }
        Step::Office => {
            let offices = next_free_dates(state).await?;
            if !offices.iter().any(|o| o.office.code == d.get("office")) {
                errors.push(("office", t.s("book.error.office").to_owned()));
            }
        }
        Step::Date => {
            if let Some(msg) = slot_problem(state, t, d).await? {
                errors.push(("date", msg));
            }
        }
        Step::Check => {}
    }
    Ok(errors)
}

/// Whether `value` is one of the choices of service field `field`.
fn valid_choice(field: &str, value: &str) -> bool {
    use loket_domain::catalogue::{
        ApplicationKind, PassportType, Processing, TravelPurpose, Validity,
    };
    match field {
        "kind" => ApplicationKind::parse(value).is_some(),
        "passport_type" => PassportType::parse(value).is_some(),
        "validity" => Validity::parse(value).is_some(),
        "processing" => Processing::parse(value).is_some(),
        "purpose" => TravelPurpose::parse(value).is_some(),
        _ => false,
    }
}

/// Why the draft's date and session cannot be booked now, in words (none: they can).
async fn slot_problem(state: &AppState, t: Tr, d: &Draft) -> Result<Option<String>, PageError> {
    let (Some(date), Some(service)) = (d.date(), d.service()) else {
        return Ok(Some(t.s("book.error.date").to_owned()));
    };
    let a = availability::read(state, d.get("office"), date, date).await?;
    let Some(day) = a.days.first() else {
        return Ok(Some(t.s("book.error.date").to_owned()));
    };
    let class = loket_domain::quota::ServiceClass::for_processing(service.request.processing);
    let left = day
        .sessions
        .iter()
        .find(|s| s.session.code == d.get("session"))
        .and_then(|s| s.classes.iter().find(|c| c.class == class))
        .map(|c| c.remaining);
    Ok(match (&day.kind, left) {
        (DayKind::Open, Some(n)) if n > 0 => None,
        (DayKind::Open | DayKind::Full, Some(_)) => Some(t.s("book.error.session_full").to_owned()),
        (DayKind::Open | DayKind::Full, None) => Some(t.s("book.error.session").to_owned()),
        (DayKind::NotReleased(at), _) => Some(not_released(t, *at, a.office.time_zone)),
        _ => Some(t.s("book.error.date_closed").to_owned()),
    })
}

/// A date step's message for a date whose places open at `at`: when, in the office's zone.
pub fn not_released(t: Tr, at: chrono::DateTime<chrono::Utc>, zone: Tz) -> String {
    t.f(
        "book.refused.not_released.step",
        &[("at", &date_time(t, at, zone))],
    )
}

/// The check page, or the same page with a refusal from the hold.
#[derive(Template)]
#[template(path = "pages/book/check.html")]
pub struct CheckPage {
    c: Chrome,
    v: CheckView,
    refusal: Option<RefusalPanel>,
    key: String,
}

/// A refusal of the hold, said in words, with the next step.
pub struct RefusalPanel {
    /// What happened.
    pub title: String,
    /// What to do now.
    pub body: String,
    /// Where to go.
    pub href: String,
    /// The link's text.
    pub link: String,
    /// Whether it says the session is full.
    pub full: bool,
}

impl CheckPage {
    /// The session filled up: the answers and the way to another date only, no fee,
    /// documents or hold button (the session cannot be held again). It is the page most
    /// people get at the moment a quota opens, so it is kept small.
    fn light(&self) -> bool {
        self.refusal.as_ref().is_some_and(|r| r.full)
    }

    fn new(ctx: &PageCtx, t: Tr, v: CheckView, refusal: Option<RefusalPanel>) -> Self {
        let mut c = Chrome::new(ctx, t.s("book.check.title").to_owned());
        c.has_errors = refusal.is_some();
        Self {
            c,
            v,
            refusal,
            key: hex::encode(rand::random::<[u8; 16]>()),
        }
    }
}

/// The hold form: the draft, the token and the idempotency key.
#[derive(serde::Deserialize)]
pub struct HoldForm {
    #[serde(flatten)]
    draft: Draft,
    csrf: Option<String>,
    key: Option<String>,
}

impl Tokened for HoldForm {
    fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }
}

/// `POST /book`: holds the place, then shows the billing page; a refusal is the check
/// page again with its message, answered 409. A session that ended while
/// the applicant was checking the answers sends them to log in and back to this check
/// page, every answer kept.
pub async fn hold(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Result<SignedIn, NotSignedIn>,
    CheckedForm(f): CheckedForm<HoldForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let d = f.draft;
    let who = match who {
        Ok(who) => who,
        Err(not) => {
            return Ok(not
                .returning_to(format!("/book?{}", d.query(&[])))
                .into_response());
        }
    };
    let (Some(applicant_id), Some(service), Some(date)) = (d.applicant_id(), d.service(), d.date())
    else {
        return Ok(Redirect::to(&format!("/book?{}", d.query(&[]))).into_response());
    };
    let query = d.query(&[]);
    let request = NewBooking {
        account_id: who.account_id,
        applicant_id,
        office: d.get("office").to_owned(),
        date,
        session: d.get("session").to_owned(),
        service: service.request,
        travel_purpose: service.purpose,
        idempotency_key: f.key.filter(|k| k.len() <= 64).map(|k| format!("page-{k}")),
        fingerprint: hex::encode(Sha256::digest(query.as_bytes())),
    };
    match bookings::hold(&state, request).await {
        Ok(held) => {
            let b = match held {
                bookings::Held::New(b) | bookings::Held::Replayed(b) => b,
            };
            Ok(Redirect::to(&format!("/bookings/{}", b.id)).into_response())
        }
        Err(refusal) => {
            let zone = crate::planning::office(&state, d.get("office"))
                .await?
                .time_zone;
            let panel = refusal_panel(t, &d, zone, refusal)?;
            let applicant =
                crate::usecases::applicants::own(&state, who.account_id, applicant_id).await?;
            let view = if panel.full {
                answers_view(&state, t, &d, applicant.as_slice()).await?
            } else {
                check_view(&state, t, &d, applicant.as_slice()).await?
            };
            // 409, as the API answers: the page is the answer, and a tool sees the refusal.
            Ok(render_with(
                StatusCode::CONFLICT,
                &CheckPage::new(&ctx, t, view, Some(panel)),
            ))
        }
    }
}

/// The words and the way on for a refusal of the hold (times in the office's `zone`);
/// faults stay faults.
fn refusal_panel(t: Tr, d: &Draft, zone: Tz, r: Refusal) -> Result<RefusalPanel, PageError> {
    let change = |step: Step| format!("/book?{}", d.query(&[("change", step.as_str())]));
    let panel = |key: &str, href: String, link: &str| RefusalPanel {
        title: t.s(&format!("book.refused.{key}.title")).to_owned(),
        body: t.s(&format!("book.refused.{key}.body")).to_owned(),
        href,
        link: t.s(link).to_owned(),
        full: false,
    };
    Ok(match r {
        Refusal::Store(StoreError::QuotaFull) => RefusalPanel {
            full: true,
            ..panel("full", change(Step::Date), "book.refused.other_date")
        },
        Refusal::Store(StoreError::NikHasActiveBooking) => {
            panel("nik", "/bookings".to_owned(), "book.refused.see_bookings")
        }
        Refusal::Unbookable {
            why: Unbookable::Day(DayStatus::NotReleased(at)),
            ..
        } => RefusalPanel {
            body: t.f(
                "book.refused.not_released.body",
                &[("at", &date_time(t, at, zone))],
            ),
            ..panel(
                "not_released",
                change(Step::Date),
                "book.refused.not_released.link",
            )
        },
        Refusal::Unbookable { .. } => {
            panel("closed", change(Step::Date), "book.refused.other_date")
        }
        Refusal::Field {
            field: "validity", ..
        } => panel(
            "validity",
            change(Step::Service),
            "book.refused.other_service",
        ),
        Refusal::Field { .. } => panel(
            "applicant",
            change(Step::Applicant),
            "book.refused.other_applicant",
        ),
        other => return Err(PageError::from(other)),
    })
}

/// The locale keys the refusal panels use (built from parts above), for the key test.
pub const REFUSAL_KEYS: [&str; 6] = [
    "full",
    "nik",
    "not_released",
    "closed",
    "validity",
    "applicant",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, catalogue};

    #[test]
    fn every_refusal_and_field_message_has_its_texts() {
        for lang in Lang::ALL {
            let c = catalogue(lang);
            for k in REFUSAL_KEYS {
                for part in ["title", "body"] {
                    let key = format!("book.refused.{k}.{part}");
                    assert!(c.contains_key(&key), "{lang:?} {key}");
                }
            }
            for f in Step::Service.fields() {
                let key = format!("book.error.{f}");
                assert!(c.contains_key(&key), "{lang:?} {key}");
            }
        }
    }
}
