//! What an office's display board shows, and what a phone following a ticket is told:
//! who is called to which counter, the last calls, how many wait at each stage, the order
//! the waiting would be called in, and the service time measured today.

use chrono::{DateTime, Duration, Utc};
use loket_domain::floor::{Stage, TicketState, predicted_order};
use loket_domain::release::local_date;
use loket_store::Ticket;
use serde::Serialize;

use super::{Refusal, UseCaseResult};
use crate::live::LiveEvent;
use crate::planning;
use crate::state::AppState;
use loket_store::FloorEvent;

/// How many events before the latest the hub hands out when it first hears of an office.
const FIRST_LOOK_BACK: i64 = 50;

/// How many events are read at a time (a batch this long may have more after it).
pub const BATCH: usize = 500;

/// `office_code`'s events after `after` (None: the hub's first look, a few before the
/// latest; streams skip what they already sent and caught up on the rest themselves),
/// written for the streams, the last one with the board as it now stands.
pub async fn new_events(
    state: &AppState,
    office_code: &str,
    after: Option<i64>,
) -> UseCaseResult<Vec<LiveEvent>> {
    let after = match after {
        Some(a) => a,
        None => state
            .store
            .last_floor_seq(office_code)
            .await?
            .saturating_sub(FIRST_LOOK_BACK),
    };
    let events = state
        .store
        .floor_events_since(office_code, after, BATCH as i64)
        .await?;
    let Some(last) = events.last().map(|e| e.seq) else {
        return Ok(Vec::new());
    };
    let board = snapshot_of(state, office_code).await?;
    Ok(events
        .iter()
        .map(|e| render(e, (e.seq == last).then_some(&board)))
        .collect())
}

/// An event as a stream sends it, with the board when given.
pub fn render(e: &FloorEvent, board: Option<&Snapshot>) -> LiveEvent {
    let spoken = e
        .kind
        .is_call()
        .then(|| {
            loket_domain::floor::TicketNumber::parse(&e.number)
                .zip(e.counter)
                .map(|(n, c)| n.spoken_call(c))
        })
        .flatten();
    let json = serde_json::json!({
        "seq": e.seq,
        "kind": e.kind.as_str(),
        "number": e.number,
        "counter": e.counter,
        "stage": e.stage.as_str(),
        "at": e.at,
        "spoken": spoken,
        "board": board,
    });
    LiveEvent {
        office: e.office_code.clone(),
        seq: e.seq,
        kind: e.kind.as_str(),
        json: json.to_string(),
    }
}

/// How many past calls the board lists.
const RECENT_CALLS: usize = 6;

/// A counter serving a ticket.
#[derive(Clone, Debug, Serialize)]
pub struct Serving {
    /// The counter.
    pub counter: u32,
    /// The ticket, e.g. "A-017".
    pub number: String,
    /// Its stage.
    pub stage: &'static str,
    /// When it was called (last).
    pub called_at: Option<DateTime<Utc>>,
}

/// The board as it stands.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    /// The counters serving now, by counter.
    pub serving: Vec<Serving>,
    /// The last calls, newest first.
    pub recent: Vec<Serving>,
    /// Tickets waiting, per stage.
    pub waiting: Vec<(&'static str, usize)>,
    /// Per stage, the waiting tickets' numbers in the order they would be called.
    pub queue: Vec<(&'static str, Vec<String>)>,
    /// The mean time a counter took per ticket today, in seconds (none measured yet: null).
    pub mean_service_seconds: Option<i64>,
    /// Counters that called in the last hour.
    pub counters_open: usize,
}

/// The board of `office_code` now.
pub async fn snapshot_of(state: &AppState, office_code: &str) -> UseCaseResult<Snapshot> {
    let office = planning::office(state, office_code)
        .await
        .map_err(|_| Refusal::NotFound("office"))?;
    let now = state.now();
    let tickets = state
        .store
        .tickets_of_day(&office.code, local_date(now, office.time_zone))
        .await?;
    Ok(snapshot(&tickets, state.settings.call_policy(), now))
}

fn serving_of(t: &Ticket) -> Option<Serving> {
    Some(Serving {
        counter: t.counter?,
        number: t.number.to_string(),
        stage: t.stage.as_str(),
        called_at: t.called_at,
    })
}

/// The board of a day's `tickets` at `now`.
pub fn snapshot(
    tickets: &[Ticket],
    policy: loket_domain::floor::CallPolicy,
    now: DateTime<Utc>,
) -> Snapshot {
    let mut serving: Vec<Serving> = tickets
        .iter()
        .filter(|t| t.state == TicketState::Called)
        .filter_map(serving_of)
        .collect();
    serving.sort_by_key(|s| s.counter);
    let mut called: Vec<&Ticket> = tickets.iter().filter(|t| t.called_at.is_some()).collect();
    called.sort_by_key(|t| std::cmp::Reverse(t.called_at));
    let recent = called
        .iter()
        .filter(|t| t.counter.is_some() || t.state != TicketState::Waiting)
        .take(RECENT_CALLS)
        .map(|t| Serving {
            counter: t.counter.unwrap_or_default(),
            number: t.number.to_string(),
            stage: t.stage.as_str(),
            called_at: t.called_at,
        })
        .collect();
    let mut waiting = Vec::new();
    let mut queue = Vec::new();
    for stage in Stage::ALL {
        let at_stage: Vec<&Ticket> = tickets
            .iter()
            .filter(|t| t.state == TicketState::Waiting && t.stage == stage)
            .collect();
        let views: Vec<_> = at_stage.iter().map(|t| t.waiting()).collect();
        let order = predicted_order(&views, policy, 0, now);
        waiting.push((stage.as_str(), at_stage.len()));
        queue.push((
            stage.as_str(),
            order
                .into_iter()
                .map(|i| at_stage[i].number.to_string())
                .collect(),
        ));
    }
    let served: Vec<Duration> = tickets
        .iter()
        .filter_map(|t| Some(t.finished_at? - t.called_at?))
        .filter(|d| *d > Duration::zero())
        .collect();
    let mean_service_seconds = (!served.is_empty()).then(|| {
        let total: i64 = served.iter().map(Duration::num_seconds).sum();
        total / i64::try_from(served.len()).unwrap_or(1)
    });
    let mut open: Vec<u32> = tickets
        .iter()
        .filter(|t| t.called_at.is_some_and(|c| now - c < Duration::hours(1)))
        .filter_map(|t| t.counter)
        .collect();
    open.sort_unstable();
    open.dedup();
    Snapshot {
        serving,
        recent,
        waiting,
        queue,
        mean_service_seconds,
        counters_open: open.len(),
    }
}
