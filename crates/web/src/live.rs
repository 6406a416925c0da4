//! Live floor updates for the display boards and the phones that follow a ticket. Every
//! floor change is an event in the store, numbered per office (`FloorStore`). One task per
//! instance reads the new events of an office when told that office changed, by the use
//! case that made the change here or, on PostgreSQL, by a NOTIFY from any instance, and
//! hands each, with the board as it now stands, to every stream of this instance
//! (`broadcast`). A stream that fell behind, or a board that reconnects with the number it
//! saw last, catches up from the store by number, so nothing is missed and nothing polls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use loket_store::FloorEvent;
use tokio::sync::{broadcast, mpsc};

use crate::state::AppState;
use crate::usecases::board;

/// How many events a slow stream may lag before it catches up from the store instead.
const BUFFER: usize = 1024;

/// How many events before the latest the hub hands out when it first hears of an office.
const FIRST_LOOK_BACK: i64 = 50;

/// An event as the streams send it: its number, kind and office, and its JSON.
#[derive(Debug)]
pub struct LiveEvent {
    /// The office.
    pub office: String,
    /// The event's number.
    pub seq: i64,
    /// Its SSE event name (the kind).
    pub kind: &'static str,
    /// The JSON the streams send.
    pub json: String,
}

/// The instance's hub.
pub struct FloorHub {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    changed: mpsc::UnboundedSender<String>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
}

impl Default for FloorHub {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        let (changed, receiver) = mpsc::unbounded_channel();
        Self {
            sender,
            changed,
            receiver: Mutex::new(Some(receiver)),
        }
    }
}

impl FloorHub {
    /// Says that `office`'s floor changed (after the change committed).
    pub fn changed(&self, office: &str) {
        // Nobody reads before `start`: the change is then read at the start.
        let _ = self.changed.send(office.to_owned());
    }

    /// A new stream's receiver.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.sender.subscribe()
    }

    /// Starts the task that reads and hands out the events (once; later calls do nothing).
    pub fn start(state: &AppState) {
        let receiver = state
            .floor_hub
            .receiver
            .lock()
            .ok()
            .and_then(|mut r| r.take());
        let Some(mut receiver) = receiver else {
            return;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let mut seen: HashMap<String, i64> = HashMap::new();
            while let Some(office) = receiver.recv().await {
                // Changes told while reading are read together.
                let mut offices = vec![office];
                while let Ok(more) = receiver.try_recv() {
                    if !offices.contains(&more) {
                        offices.push(more);
                    }
                }
                for office in offices {
                    if let Err(e) = hand_out(&state, &mut seen, &office).await {
                        tracing::warn!(error = ?e, "floor events not handed out; the next change retries");
                    }
                }
            }
        });
    }
}

/// Reads `office`'s events after those already handed out and hands them out, the last
/// one with the board as it now stands.
async fn hand_out(
    state: &AppState,
    seen: &mut HashMap<String, i64>,
    office: &str,
) -> Result<(), crate::usecases::Refusal> {
    let after = match seen.get(office) {
        Some(s) => *s,
        // The first change heard of since the start: a few before it too. Streams skip
        // what they already sent, and caught up on what came before by themselves.
        None => state
            .store
            .last_floor_seq(office)
            .await?
            .saturating_sub(FIRST_LOOK_BACK),
    };
    let events = state.store.floor_events_since(office, after, 500).await?;
    let Some(last) = events.last().map(|e| e.seq) else {
        return Ok(());
    };
    let snapshot = board::snapshot_of(state, office).await?;
    for e in &events {
        let live = render(e, (e.seq == last).then_some(&snapshot));
        // No stream listening is no error.
        let _ = state.floor_hub.sender.send(Arc::new(live));
    }
    seen.insert(office.to_owned(), last);
    Ok(())
}

/// An event as a stream sends it, with the board when given.
pub fn render(e: &FloorEvent, board: Option<&board::Snapshot>) -> LiveEvent {
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
