//! A counter: the officer picks the counter's number and stage once (kept in the page's
//! address), then calls the next ticket with one key (N), and acts on the ticket called:
//! call again (R), absent (A), send on to pickup, finish with an outcome. Every action says
//! what it did; a missed ticket can be put back. Works without JavaScript; the script adds
//! the keys.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use loket_domain::floor::{Outcome, RejectReason, Stage, TicketRefusal};
use loket_domain::staff::COUNTERS;
use loket_store::{Actor, StoreError};
use serde::Deserialize;
use uuid::Uuid;

use super::ticket::kind_words;
use super::{StaffChrome, StaffIn};
use crate::i18n::Tr;
use crate::pages::forms::{CheckedForm, Tokened};
use crate::pages::session::encode;
use crate::pages::{PageCtx, PageError, PageResult, render};
use crate::state::AppState;
use crate::usecases::Refusal;
use crate::usecases::floor::{self, Act, Counter, MAX_COUNTER};

/// `?counter=&stage=` (the counter chosen), `?did=&ticket=` (what was just done) and
/// `?refused=` (why the last action was refused).
#[derive(Deserialize, Default)]
pub struct CounterQuery {
    counter: Option<String>,
    stage: Option<String>,
    did: Option<String>,
    ticket: Option<String>,
    refused: Option<String>,
}

/// The counter's forms.
#[derive(Deserialize, Default)]
pub struct CounterForm {
    csrf: Option<String>,
    counter: Option<String>,
    stage: Option<String>,
    ticket: Option<String>,
    action: Option<String>,
    to_stage: Option<String>,
    outcome: Option<String>,
    reason: Option<String>,
}

impl Tokened for CounterForm {
    fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }
}

/// A choice in a list.
pub struct Choice {
    /// Code.
    pub value: &'static str,
    /// Words.
    pub label: String,
}

/// The ticket a counter has called, as shown.
pub struct Serving {
    /// Its id.
    pub id: Uuid,
    /// "A-017".
    pub number: String,
    /// Booked, or the priority basis.
    pub kind: String,
    /// The applicant's name, for a booked ticket.
    pub name: Option<String>,
    /// The masked NIK, for a booked ticket.
    pub nik: Option<String>,
    /// "Called 2 times".
    pub calls: String,
}

#[derive(Template)]
#[template(path = "pages/staff/counter.html")]
struct CounterPage {
    s: StaffChrome,
    office: String,
    /// The counter chosen, if any.
    counter: Option<(u32, &'static str)>,
    stages: Vec<Choice>,
    max_counter: u32,
    notice: Option<String>,
    refused: Option<String>,
    serving: Option<Serving>,
    waiting: String,
    missed: Vec<(Uuid, String)>,
    outcomes: Vec<Choice>,
    reasons: Vec<Choice>,
    pickup: bool,
    script: &'static str,
}

/// The counter page's address for `counter`, with what was just done.
fn back(counter: Counter, extra: &str) -> String {
    format!(
        "/staff/counter?counter={}&stage={}{extra}",
        counter.number,
        counter.stage.as_str()
    )
}

fn stage_words(t: Tr, s: Stage) -> String {
    t.s(&format!("counter.stage.{}", s.as_str())).to_owned()
}

/// `GET /staff/counter`.
pub async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: StaffIn,
    Query(q): Query<CounterQuery>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let office = who.own_office(&state, &COUNTERS).await?;
    let stages = Stage::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str(),
            label: stage_words(t, *s),
        })
        .collect();
    let chosen = match (&q.counter, &q.stage) {
        (Some(c), Some(s)) => Counter::read(c, s).ok(),
        _ => None,
    };
    let title = match chosen {
        Some(c) => t.f(
            "counter.title_at",
            &[
                ("counter", &c.number.to_string()),
                ("stage", &stage_words(t, c.stage)),
            ],
        ),
        None => t.s("counter.title").to_owned(),
    };
    let mut page = CounterPage {
        s: StaffChrome::new(&ctx, &who.staff, title),
        office: office.name.clone(),
        counter: chosen.map(|c| (c.number, c.stage.as_str())),
        stages,
        max_counter: MAX_COUNTER,
        notice: None,
        refused: q
            .refused
            .as_deref()
            .map(|r| t.s(&format!("counter.refused.{r}")).to_owned())
            .filter(|m| !m.starts_with("counter.refused.")),
        serving: None,
        waiting: String::new(),
        missed: Vec::new(),
        outcomes: Vec::new(),
        reasons: RejectReason::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str(),
                label: crate::format::reject_reason(t, *r),
            })
            .collect(),
        pickup: false,
        script: crate::pages::assets::staff_js_href(),
    };
    let Some(counter) = chosen else {
        return Ok(render(&page));
    };
    let day = floor::counter_day(&state, &office, counter).await?;
    if let (Some(did), Some(id)) = (
        q.did.as_deref(),
        q.ticket.as_deref().and_then(|i| Uuid::parse_str(i).ok()),
    ) && let Ok(k) = floor::ticket(&state, &office, id).await
    {
        let key = format!("counter.did.{did}");
        let text = t.f(
            &key,
            &[
                ("number", &k.number.to_string()),
                ("counter", &counter.number.to_string()),
            ],
        );
        page.notice = (text != key).then_some(text);
    }
    page.waiting = t.f("counter.waiting", &[("n", &day.waiting.to_string())]);
    page.missed = day
        .missed
        .iter()
        .map(|k| (k.id, k.number.to_string()))
        .collect();
    page.pickup = counter.stage == Stage::Pickup;
    page.outcomes = Outcome::ALL
        .iter()
        .filter(|o| o.stage() == counter.stage && **o != Outcome::Rejected)
        .map(|o| Choice {
            value: o.as_str(),
            label: t.s(&format!("counter.outcome.{}", o.as_str())).to_owned(),
        })
        .collect();
    page.serving = day.current.map(|k| Serving {
        id: k.id,
        number: k.number.to_string(),
        kind: kind_words(t, &k),
        name: day.applicant.as_ref().map(|a| a.full_name.clone()),
        nik: day.booking.as_ref().map(|b| b.nik.masked()),
        calls: t.f("counter.calls", &[("n", &k.calls.to_string())]),
    });
    Ok(render(&page))
}

/// The code of a refusal the counter page explains, or the page's error.
fn refusal_code(r: Refusal) -> Result<&'static str, PageError> {
    match r {
        Refusal::Store(StoreError::CounterBusy { .. }) => Ok("busy"),
        Refusal::Store(StoreError::Ticket(TicketRefusal::RecallFirst { .. })) => Ok("recall_first"),
        Refusal::Store(StoreError::Ticket(_)) => Ok("changed"),
        Refusal::NotFound(_) => Ok("changed"),
        Refusal::Invalid(_) => Ok("choose"),
        other => Err(other.into()),
    }
}

fn chosen_counter(f: &CounterForm) -> Result<Counter, PageError> {
    Counter::read(
        f.counter.as_deref().unwrap_or(""),
        f.stage.as_deref().unwrap_or(""),
    )
    .map_err(|_| PageError::NotFound)
}

/// `POST /staff/counter/call`: calls the next ticket to this counter.
pub async fn call(
    State(state): State<AppState>,
    who: StaffIn,
    CheckedForm(f): CheckedForm<CounterForm>,
) -> Result<Response, PageError> {
    let office = who.own_office(&state, &COUNTERS).await?;
    let counter = chosen_counter(&f)?;
    let actor = Actor::staff(&who.staff);
    let to = match floor::call_next(&state, &actor, &office, counter).await {
        Ok(Some(k)) => back(counter, &format!("&did=called&ticket={}", k.id)),
        Ok(None) => back(counter, "&refused=nobody"),
        Err(r) => back(counter, &format!("&refused={}", refusal_code(r)?)),
    };
    Ok(Redirect::to(&to).into_response())
}

/// `POST /staff/counter/act`: an action on the ticket this counter has called (or a
/// missed one put back).
pub async fn act(
    State(state): State<AppState>,
    who: StaffIn,
    CheckedForm(f): CheckedForm<CounterForm>,
) -> Result<Response, PageError> {
    let office = who.own_office(&state, &COUNTERS).await?;
    let counter = chosen_counter(&f)?;
    let ticket = f
        .ticket
        .as_deref()
        .and_then(|i| Uuid::parse_str(i).ok())
        .ok_or(PageError::NotFound)?;
    let action = f.action.clone().unwrap_or_default();
    let act = Act {
        action: action.clone(),
        stage: f.to_stage.clone(),
        outcome: f.outcome.clone(),
        reason: f.reason.clone(),
    };
    let actor = Actor::staff(&who.staff);
    let to = match floor::act(&state, &actor, &office, counter.number, ticket, &act).await {
        Ok(k) => {
            let did = match (action.as_str(), k.outcome) {
                ("finish", Some(o)) => o.as_str(),
                (a, _) => a,
            };
            back(counter, &format!("&did={}&ticket={}", encode(did), k.id))
        }
        Err(r) => back(counter, &format!("&refused={}", refusal_code(r)?)),
    };
    Ok(Redirect::to(&to).into_response())
}
