//! Background workers: the sweep that marks lapsed holds expired (safe on many instances:
//! each row moves once, by a conditional update) and the mail outbox.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// Starts the workers; they stop when `stop` turns true.
pub fn spawn(state: AppState, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    vec![tokio::spawn(expiry(state, stop))]
}

/// Marks lapsed holds expired in batches. The places were already free at the deadline
/// (availability counts only unexpired holds); this keeps the stored state honest.
async fn expiry(state: AppState, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_secs(state.settings.expiry_interval_seconds.max(1));
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(every) => {}
        }
        loop {
            match state.store.expire_overdue(state.now(), 500).await {
                Ok(0) => break,
                Ok(n) => {
                    metrics::counter!("loket_bookings_expired_total").increment(n);
                    tracing::info!(bookings.expired = n, "expired lapsed holds");
                    if n < 500 {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "expiry sweep failed; will retry");
                    break;
                }
            }
        }
    }
}
