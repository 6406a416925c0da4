//! The check page's content: every answer in words with the way to change it, the fee
//! and the documents; or, for a session that has just filled up, the answers alone.

use chrono::NaiveDate;
use chrono_tz::Tz;
use loket_domain::catalogue::{ApplicationKind, ServiceRequest, is_child, required_documents};
use loket_store::Applicant;

use super::draft::Service;
use super::{Draft, Step};
use crate::format::{appointment, rupiah};
use crate::i18n::Tr;
use crate::pages::PageError;
use crate::planning;
use crate::state::AppState;
use crate::usecases::Refusal;

/// One answer on the check page, with its "change" link.
pub struct Answer {
    /// The question.
    pub label: String,
    /// The answer.
    pub value: String,
    /// The link back to its step.
    pub href: String,
}

/// What the check page shows.
pub struct CheckView {
    /// Each answer.
    pub answers: Vec<Answer>,
    /// Fee lines: (label, amount).
    pub fee_lines: Vec<(String, String)>,
    /// The total in Rupiah.
    pub total: String,
    /// The documents to bring.
    pub documents: Vec<String>,
    /// The draft as hidden fields of the hold form.
    pub hidden: Vec<(&'static str, String)>,
    /// The payment window in minutes, for the "what happens next" text.
    pub window_minutes: i64,
}

/// A service in words: "Paspor baru, Paspor elektronik, 10 tahun, Reguler".
pub fn service_words(t: Tr, r: &ServiceRequest) -> String {
    let choice = |name: &str, code: &str| t.s(&format!("choice.{name}.{code}")).to_owned();
    [
        choice("kind", r.kind.as_str()),
        choice("passport_type", r.passport_type.as_str()),
        choice("validity", r.validity.as_str()),
        choice("processing", r.processing.as_str()),
    ]
    .join(", ")
}

/// The documents to bring for a service, in words.
pub fn document_words(t: Tr, kind: ApplicationKind, is_child: bool) -> Vec<String> {
    required_documents(kind, is_child)
        .into_iter()
        .map(|k| t.s(&format!("doc.{k}")).to_owned())
        .collect()
}

/// The check page's content for a complete draft.
pub async fn check_view(
    state: &AppState,
    t: Tr,
    d: &Draft,
    applicants: &[Applicant],
) -> Result<CheckView, PageError> {
    let base = d.query(&[]);
    let change = |s: Step| change_href(&base, s);
    let Answers {
        list: answers,
        applicant: a,
        service,
        date,
        zone,
    } = answers(state, t, d, applicants, change).await?;
    let r = service.request;
    let today = loket_domain::release::local_date(state.now(), zone);
    let quote = planning::fees(state)
        .await?
        .quote(&r, today)
        .map_err(|_| PageError::from(Refusal::NotFound("fee")))?;
    let child = is_child(a.birth_date, date);
    Ok(CheckView {
        answers,
        fee_lines: quote
            .lines
            .iter()
            .map(|l| (t.s(&format!("fee.{}", l.item)).to_owned(), rupiah(l.amount)))
            .collect(),
        total: rupiah(quote.total),
        documents: document_words(t, r.kind, child),
        hidden: d.carried(Step::Check),
        window_minutes: state.settings.payment_window_minutes,
    })
}

/// The light check page's content (the session has just filled up): the answers only,
/// with no change links, fee, documents or hold form, for the page most people get at
/// the moment a quota opens.
pub async fn answers_view(
    state: &AppState,
    t: Tr,
    d: &Draft,
    applicants: &[Applicant],
) -> Result<CheckView, PageError> {
    let answers = answers(state, t, d, applicants, |_| String::new())
        .await?
        .list;
    Ok(CheckView {
        answers,
        fee_lines: Vec::new(),
        total: String::new(),
        documents: Vec::new(),
        hidden: Vec::new(),
        window_minutes: state.settings.payment_window_minutes,
    })
}

/// `/book?` with the draft `base` (a query string) and the step to change.
fn change_href(base: &str, step: Step) -> String {
    let sep = if base.is_empty() { "" } else { "&" };
    format!("/book?{base}{sep}change={}", step.as_str())
}

/// A complete draft's answers in words, and what they were read from.
struct Answers<'a> {
    list: Vec<Answer>,
    applicant: &'a Applicant,
    service: Service,
    date: NaiveDate,
    /// The office's zone.
    zone: Tz,
}

/// The answers of a complete draft in words, each with the link `href` gives its step.
async fn answers<'a>(
    state: &AppState,
    t: Tr,
    d: &Draft,
    applicants: &'a [Applicant],
    href: impl Fn(Step) -> String,
) -> Result<Answers<'a>, PageError> {
    let (Some(service), Some(date), Some(a)) = (
        d.service(),
        d.date(),
        applicants.iter().find(|a| Some(a.id) == d.applicant_id()),
    ) else {
        return Err(PageError::NotFound);
    };
    let office = planning::office(state, d.get("office")).await?;
    let session = office
        .session(d.get("session"))
        .ok_or(PageError::NotFound)?;
    let zone = office.time_zone;
    let r = service.request;
    let choice = |name: &str, code: &str| t.s(&format!("choice.{name}.{code}")).to_owned();
    let answers = vec![
        Answer {
            label: t.s("book.check.applicant").to_owned(),
            value: format!("{} ({})", a.full_name, a.nik.masked()),
            href: href(Step::Applicant),
        },
        Answer {
            label: t.s("book.check.service").to_owned(),
            value: service_words(t, &r),
            href: href(Step::Service),
        },
        Answer {
            label: t.s("book.check.purpose").to_owned(),
            value: choice("purpose", service.purpose.as_str()),
            href: href(Step::Service),
        },
        Answer {
            label: t.s("book.check.office").to_owned(),
            value: office.name.clone(),
            href: href(Step::Office),
        },
        Answer {
            label: t.s("book.check.date").to_owned(),
            value: appointment(t, date, Some(session), zone),
            href: href(Step::Date),
        },
    ];
    Ok(Answers {
        list: answers,
        applicant: a,
        service,
        date,
        zone,
    })
}
