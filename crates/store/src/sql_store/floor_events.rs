//! The office floor's event stream (see migration 0011): written in the transaction of
//! each floor change, read by number to catch up, and on PostgreSQL announced to every
//! instance with NOTIFY at commit.

use chrono::{DateTime, Utc};
use loket_domain::floor::FloorEventKind;
use sqlx::postgres::PgListener;

use super::SqlStore;
use crate::args;
use crate::db::{Backend, Pool, Tx};
use crate::error::{StoreError, StoreResult};
use crate::sql::*;
use crate::types::Ticket;

/// The PostgreSQL channel floor changes are announced on, with the office's code.
pub const FLOOR_CHANNEL: &str = "loket_floor";

/// Takes the office's next event number. The office's floor row stays locked until the
/// transaction ends, so the office's floor changes take turns from here on: the counters
/// take it first, which keeps two calls from choosing the same ticket at all (the call's
/// condition still guards it).
pub(crate) async fn take_floor_seq(tx: &mut Tx, office: &str) -> StoreResult<i64> {
    Ok(tx
        .fetch_optional(NEXT_FLOOR_SEQ, args![office.to_owned()])
        .await?
        .ok_or_else(|| crate::error::corrupt("floor sequence"))?
        .i64("last_seq")?)
}

/// Records that `kind` happened to ticket `t` at `now`, as event number `seq`.
pub(crate) async fn write_floor_event(
    tx: &mut Tx,
    seq: i64,
    now: DateTime<Utc>,
    kind: FloorEventKind,
    t: &Ticket,
) -> StoreResult<()> {
    let counter = if kind.is_call() {
        t.counter.map(i64::from)
    } else {
        None
    };
    tx.execute(
        INSERT_FLOOR_EVENT,
        args![
            t.office_code.clone(),
            seq,
            now,
            kind.as_str(),
            t.id,
            t.number.to_string(),
            counter,
            t.stage.as_str()
        ],
    )
    .await?;
    if tx.backend() == Backend::Postgres {
        tx.fetch_optional(NOTIFY_FLOOR, args![t.office_code.clone()])
            .await?;
    }
    Ok(())
}

/// Records that `kind` happened to ticket `t` at `now`, as the office's next event.
pub(crate) async fn record_floor_event(
    tx: &mut Tx,
    now: DateTime<Utc>,
    kind: FloorEventKind,
    t: &Ticket,
) -> StoreResult<()> {
    let seq = take_floor_seq(tx, &t.office_code).await?;
    write_floor_event(tx, seq, now, kind, t).await
}

/// Floor changes of any instance, as they commit (PostgreSQL): each `recv` is the code of
/// an office whose floor changed.
pub struct FloorListener(PgListener);

impl FloorListener {
    /// The next office whose floor changed. After a lost connection the listener connects
    /// again by itself; what was announced meanwhile is caught up by number.
    pub async fn recv(&mut self) -> StoreResult<String> {
        let n = self
            .0
            .recv()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(n.payload().to_owned())
    }
}

impl SqlStore {
    /// A listener for the floor changes of every instance; None on SQLite, where this
    /// instance is the only writer and tells its boards itself.
    pub async fn floor_listener(&self) -> StoreResult<Option<FloorListener>> {
        match &self.pool {
            Pool::Postgres(p) => {
                let mut l = PgListener::connect_with(p)
                    .await
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                l.listen(FLOOR_CHANNEL)
                    .await
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                Ok(Some(FloorListener(l)))
            }
            _ => Ok(None),
        }
    }
}
