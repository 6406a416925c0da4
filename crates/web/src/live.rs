//! Live floor updates for the display boards and the phones that follow a ticket. Every
//! floor change is an event in the store, numbered per office (`FloorStore`). One task per
//! instance reads the new events of an office when told that office changed, by the use
//! case that made the change here or, on PostgreSQL, by a NOTIFY from any instance, and
//! hands each to every stream of this instance (`broadcast`). What it reads, and how an
//! event is written for the streams, is the use cases' (`usecases::board::new_events`);
//! this is only the hub. A stream that fell behind, or a board that reconnects with the
//! number it saw last, catches up from the store by number, so nothing is missed and
//! nothing polls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc};

/// How many events a slow stream may lag before it catches up from the store instead.
const BUFFER: usize = 1024;

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

    /// Starts the task that hands out the events (once; later calls do nothing): told
    /// that an office changed, it asks `read` for the office's events after the last one
    /// it handed out (None the first time) and sends each to every stream.
    pub fn start(&self, read: Reader) {
        let receiver = self.receiver.lock().ok().and_then(|mut r| r.take());
        let Some(mut receiver) = receiver else {
            return;
        };
        let sender = self.sender.clone();
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
                    match read(office.clone(), seen.get(&office).copied()).await {
                        Ok(events) => {
                            if let Some(last) = events.last().map(|e| e.seq) {
                                seen.insert(office, last);
                            }
                            for e in events {
                                // No stream listening is no error.
                                let _ = sender.send(Arc::new(e));
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "floor events not handed out; the next change retries");
                        }
                    }
                }
            }
        });
    }
}

/// What the hub asks for an office's new events: the office, and the number of the last
/// event it handed out (None the first time); the events in order, ready to send.
pub type Reader = Arc<
    dyn Fn(
            String,
            Option<i64>,
        ) -> futures_util::future::BoxFuture<'static, Result<Vec<LiveEvent>, String>>
        + Send
        + Sync,
>;
