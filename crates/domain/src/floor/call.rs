//! The order counters call tickets in.
//!
//! - Priority tickets come before regular ones, in order of arrival.
//! - A regular ticket is never passed over without bound: once `priority_streak`
//!   priority tickets were called in a row while regular tickets waited, or once the
//!   first regular ticket has waited `regular_max_wait_minutes`, the next call goes to it.
//! - Regular tickets: booked ones in the order of their sessions (an applicant who came
//!   early for a later session does not go before those of an earlier one), walk-ins
//!   registered in outage mode merged in by arrival. A booked ticket waits, for the bound
//!   above, from its arrival or its session's start, whichever is later.
//! - Ties go to the earlier arrival, then to the order given.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::Series;

/// The call policy's settings (configurable per deployment).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPolicy {
    /// At most this many priority calls in a row while a regular ticket waits.
    pub priority_streak: u32,
    /// A regular ticket that has waited this long is called next.
    pub regular_max_wait_minutes: u32,
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self {
            priority_streak: 3,
            regular_max_wait_minutes: 45,
        }
    }
}

/// A waiting ticket, as the policy sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// Its series.
    pub series: Series,
    /// When it was issued (checked in or registered).
    pub arrived_at: DateTime<Utc>,
    /// For a booked ticket, when its session starts.
    pub session_start: Option<DateTime<Utc>>,
}

impl Waiting {
    /// Where it stands among regular tickets: its session's start, or its arrival.
    fn turn(&self) -> DateTime<Utc> {
        self.session_start.unwrap_or(self.arrived_at)
    }

    /// Since when it counts as waiting: arrival or session start, whichever is later.
    fn waiting_since(&self) -> DateTime<Utc> {
        self.session_start
            .map_or(self.arrived_at, |s| s.max(self.arrived_at))
    }
}

/// Which of `waiting` a counter calls next (its index), given how many priority tickets
/// were called in a row just before (`priority_in_a_row`, across the office's counters).
pub fn next_to_call(
    waiting: &[Waiting],
    policy: CallPolicy,
    priority_in_a_row: u32,
    now: DateTime<Utc>,
) -> Option<usize> {
    let first = |priority: bool| {
        waiting
            .iter()
            .enumerate()
            .filter(|(_, w)| w.series.is_priority() == priority)
            .min_by_key(|(i, w)| {
                let turn = if priority { w.arrived_at } else { w.turn() };
                (turn, w.arrived_at, *i)
            })
            .map(|(i, w)| (i, *w))
    };
    match (first(true), first(false)) {
        (Some((p, _)), Some((r, regular))) => {
            let waited = now - regular.waiting_since();
            let too_long = waited >= Duration::minutes(i64::from(policy.regular_max_wait_minutes));
            if priority_in_a_row >= policy.priority_streak || too_long {
                Some(r)
            } else {
                Some(p)
            }
        }
        (Some((p, _)), None) => Some(p),
        (None, Some((r, _))) => Some(r),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000, 0).unwrap() + Duration::minutes(min)
    }

    fn walk(series: Series, arrived: i64) -> Waiting {
        Waiting {
            series,
            arrived_at: at(arrived),
            session_start: None,
        }
    }

    fn booked(arrived: i64, session: i64) -> Waiting {
        Waiting {
            series: Series::Booked,
            arrived_at: at(arrived),
            session_start: Some(at(session)),
        }
    }

    const POLICY: CallPolicy = CallPolicy {
        priority_streak: 3,
        regular_max_wait_minutes: 45,
    };

    #[test]
    fn priority_tickets_go_first_in_order_of_arrival() {
        let q = [
            booked(0, 0),
            walk(Series::Priority, 5),
            walk(Series::Priority, 2),
        ];
        assert_eq!(next_to_call(&q, POLICY, 0, at(6)), Some(2));
        assert_eq!(next_to_call(&[], POLICY, 0, at(6)), None);
    }

    #[test]
    fn a_regular_ticket_is_called_after_a_streak_of_priority_calls() {
        let q = [booked(0, 0), walk(Series::Priority, 1)];
        assert_eq!(next_to_call(&q, POLICY, 2, at(2)), Some(1));
        assert_eq!(next_to_call(&q, POLICY, 3, at(2)), Some(0));
    }

    #[test]
    fn a_regular_ticket_that_waited_too_long_is_called_next() {
        let q = [booked(0, 0), walk(Series::Priority, 40)];
        assert_eq!(next_to_call(&q, POLICY, 0, at(44)), Some(1));
        assert_eq!(next_to_call(&q, POLICY, 0, at(45)), Some(0));
        // Early for a session: the wait counts from the session's start.
        let early = [booked(0, 30), walk(Series::Priority, 40)];
        assert_eq!(next_to_call(&early, POLICY, 0, at(74)), Some(1));
        assert_eq!(next_to_call(&early, POLICY, 0, at(75)), Some(0));
    }

    #[test]
    fn booked_tickets_go_in_session_order_and_outage_walk_ins_by_arrival() {
        // Came early for the 10:00 session; came late for the 08:00 one.
        let q = [booked(0, 120), booked(30, 0), walk(Series::Outage, 10)];
        assert_eq!(next_to_call(&q, POLICY, 0, at(31)), Some(1));
        let q = [booked(0, 120), walk(Series::Outage, 10)];
        assert_eq!(next_to_call(&q, POLICY, 0, at(31)), Some(1));
        let q = [booked(0, 120), walk(Series::Outage, 130)];
        assert_eq!(next_to_call(&q, POLICY, 0, at(131)), Some(0));
    }

    /// A floor where a priority walk-in arrives before every call: each regular ticket is
    /// still called, and while one waits, never after more than `priority_streak` priority
    /// calls in a row.
    #[test]
    fn under_a_stream_of_priority_walk_ins_regular_tickets_are_still_called() {
        let mut q: Vec<Waiting> = (0..10).map(|i| booked(i, 0)).collect();
        let (mut in_a_row, mut longest, mut regular_called) = (0, 0, 0);
        for call in 0..60 {
            q.push(walk(Series::Priority, 10 + call));
            let i = next_to_call(&q, POLICY, in_a_row, at(10 + call)).unwrap();
            let regular_waits = q.iter().any(|w| !w.series.is_priority());
            if q.remove(i).series.is_priority() {
                in_a_row += 1;
                if regular_waits {
                    longest = longest.max(in_a_row);
                }
            } else {
                in_a_row = 0;
                regular_called += 1;
            }
        }
        assert_eq!(regular_called, 10);
        assert_eq!(longest, 3, "the streak is the bound, and it is reached");
    }
}
