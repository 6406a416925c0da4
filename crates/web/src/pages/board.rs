//! The display board (a TV page, no login, one per office) and the applicant's ticket page
//! on a phone, both kept up to date by one server-sent event stream per office
//! (`/board/{code}/events`): the board shows who is called to which counter, the last
//! calls and how many wait, chimes and speaks each call; the phone shows the ticket's place
//! and estimated wait and says clearly when it is called. A stream that drops reconnects by
//! itself and catches up from the number it saw last (`Last-Event-ID`).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use loket_domain::Office;
use loket_domain::floor::TicketState;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{Chrome, PageCtx, PageError, PageResult, render};
use crate::format::{clock, long_date};
use crate::i18n::Tr;
use crate::live::LiveEvent;
use crate::planning;
use crate::state::AppState;
use crate::usecases::board::{self, Snapshot};
use crate::usecases::floor;
use loket_domain::release::local_date;

/// `?after=`: the number of the last event the page has (it renders the board as of it).
#[derive(Deserialize, Default)]
pub struct AfterQuery {
    after: Option<i64>,
}

async fn office_of(state: &AppState, code: &str) -> Result<Office, PageError> {
    planning::office(state, code)
        .await
        .map_err(|_| PageError::NotFound)
}

/// What a stream is at.
struct Cursor {
    state: AppState,
    office: String,
    /// The number of the last event sent.
    seq: i64,
    rx: tokio::sync::broadcast::Receiver<Arc<LiveEvent>>,
    pending: VecDeque<Event>,
    catch_up: bool,
}

fn sse(e: &LiveEvent) -> Event {
    Event::default()
        .id(e.seq.to_string())
        .event(e.kind)
        .data(e.json.clone())
}

impl Cursor {
    /// Reads what came after `seq` from the store; false when the store failed (the
    /// stream then ends, and the browser reconnects).
    async fn catch_up(&mut self) -> bool {
        let events = match board::new_events(&self.state, &self.office, Some(self.seq)).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = ?e, "a board stream could not catch up");
                return false;
            }
        };
        self.catch_up = events.len() == board::BATCH;
        if let Some(last) = events.last() {
            self.seq = last.seq;
        }
        self.pending.extend(events.iter().map(sse));
        true
    }

    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(e);
            }
            if self.catch_up {
                if !self.catch_up().await {
                    return None;
                }
                continue;
            }
            match self.rx.recv().await {
                Ok(e) if e.office != self.office || e.seq <= self.seq => {}
                // A number skipped: read it from the store.
                Ok(e) if e.seq > self.seq + 1 => self.catch_up = true,
                Ok(e) => {
                    self.seq = e.seq;
                    return Some(sse(&e));
                }
                Err(RecvError::Lagged(_)) => self.catch_up = true,
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// `GET /board/{code}/events`: the office's floor events from the one after
/// `Last-Event-ID` (a reconnect) or `?after=` (the page's own), else from now.
pub async fn events(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Query(q): Query<AfterQuery>,
) -> Result<impl IntoResponse, PageError> {
    let office = office_of(&state, &code).await?;
    let rx = state.floor_hub.subscribe();
    let last_event = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let seq = match last_event.or(q.after) {
        Some(s) => s.max(0),
        None => state
            .store
            .last_floor_seq(&office.code)
            .await
            .map_err(|_| PageError::Unavailable)?,
    };
    let cursor = Cursor {
        state: state.clone(),
        office: office.code,
        seq,
        rx,
        pending: VecDeque::new(),
        catch_up: true,
    };
    let stream = futures_util::stream::unfold(cursor, |mut c| async move {
        let e = c.next().await?;
        Some((Ok::<_, Infallible>(e), c))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// A counter's call, as the board shows it.
pub struct CallRow {
    /// The counter.
    pub counter: u32,
    /// The ticket.
    pub number: String,
}

#[derive(Template)]
#[template(path = "pages/board.html")]
struct BoardPage {
    c: Chrome,
    office_code: String,
    office: String,
    seq: i64,
    serving: Vec<CallRow>,
    recent: Vec<CallRow>,
    waiting: usize,
    date: String,
    time: String,
    now: String,
    zone: &'static str,
    zone_label: &'static str,
    script: &'static str,
}

fn rows(v: &[board::Serving]) -> Vec<CallRow> {
    v.iter()
        .map(|s| CallRow {
            counter: s.counter,
            number: s.number.clone(),
        })
        .collect()
}

fn waiting_of(s: &Snapshot) -> usize {
    s.waiting.iter().map(|(_, n)| n).sum()
}

/// An office's floor as a page renders it: the office, the number of its latest event and
/// the board. The number is read first: the board is then at least as new as it, and the
/// page's stream sends what came after.
async fn as_now(state: &AppState, code: &str) -> Result<(Office, i64, Snapshot), PageError> {
    let office = office_of(state, code).await?;
    let seq = state
        .store
        .last_floor_seq(&office.code)
        .await
        .map_err(|_| PageError::Unavailable)?;
    let snapshot = board::snapshot_of(state, &office.code).await?;
    Ok((office, seq, snapshot))
}

/// `GET /board/{code}`: the office's display board.
pub async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(code): Path<String>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let (office, seq, snapshot) = as_now(&state, &code).await?;
    let now = state.now();
    Ok(render(&BoardPage {
        c: Chrome::new(&ctx, t.f("board.title", &[("office", &office.name)])),
        office_code: office.code.clone(),
        office: office.name.clone(),
        seq,
        serving: rows(&snapshot.serving),
        recent: rows(&snapshot.recent),
        waiting: waiting_of(&snapshot),
        date: long_date(t, local_date(now, office.time_zone)),
        time: clock(
            t,
            now.with_timezone(&office.time_zone).time(),
            office.time_zone,
        ),
        now: now.to_rfc3339(),
        zone: office.time_zone.name(),
        zone_label: office.zone_label(),
        script: super::assets::board_js_href(),
    }))
}

#[derive(Template)]
#[template(path = "pages/queue.html")]
struct QueuePage {
    c: Chrome,
    office_code: String,
    office: String,
    seq: i64,
    number: String,
    stage: &'static str,
    /// "Silakan ke loket 3", once called.
    called: Option<String>,
    /// Its place, in words.
    place: String,
    /// The estimated wait, in words.
    wait: Option<String>,
    script: &'static str,
}

/// `GET /q/{ticket}`: a ticket followed on a phone (the printed ticket's QR code, or the
/// booking page). The ticket's id is the key: the page shows its number and place only.
pub async fn ticket(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    let k = floor::ticket_by_id(&state, id).await?;
    let (office, seq, snapshot) = as_now(&state, &k.office_code).await?;
    let number = k.number.to_string();
    let ahead = snapshot
        .queue
        .iter()
        .find(|(s, _)| *s == k.stage.as_str())
        .and_then(|(_, q)| q.iter().position(|n| *n == number));
    let wait = ahead.and_then(|p| {
        loket_domain::floor::estimated_wait_minutes(
            p,
            snapshot.mean_service_seconds.map(chrono::Duration::seconds),
            snapshot.counters_open,
        )
    });
    let called = (k.state == TicketState::Called)
        .then_some(k.counter)
        .flatten()
        .map(|c| t.f("queue.called", &[("counter", &c.to_string())]));
    let place = match ahead {
        Some(0) => t.s("queue.next").to_owned(),
        Some(n) => t.f("queue.ahead", &[("n", &n.to_string())]),
        None => t.f(
            "queue.state",
            &[(
                "state",
                &t.s(&format!("ticket_state.{}", k.state.as_str()))
                    .to_lowercase(),
            )],
        ),
    };
    Ok(render(&QueuePage {
        c: Chrome::new(&ctx, t.f("queue.title", &[("number", &number)])),
        office_code: office.code.clone(),
        office: office.name.clone(),
        seq,
        stage: k.stage.as_str(),
        called,
        place,
        wait: wait.map(|w| t.f("queue.wait", &[("minutes", &w.to_string())])),
        number,
        script: super::assets::board_js_href(),
    }))
}
