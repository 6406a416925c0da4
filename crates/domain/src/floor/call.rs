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

/// The order in which `waiting` would be called from `now` if nobody else came: the
/// policy applied again and again, counting the priority streak as it goes. A board shows
/// what is next with it, and a phone its place in the queue.
pub fn predicted_order(
    waiting: &[Waiting],
    policy: CallPolicy,
    priority_in_a_row: u32,
    now: DateTime<Utc>,
) -> Vec<usize> {
    let mut left: Vec<usize> = (0..waiting.len()).collect();
    let mut in_a_row = priority_in_a_row;
    let mut order = Vec::with_capacity(waiting.len());
    while !left.is_empty() {
        let view: Vec<Waiting> = left.iter().map(|&i| waiting[i]).collect();
        let Some(k) = next_to_call(&view, policy, in_a_row, now) else {
            break;
        };
        let i = left.remove(k);
        in_a_row = if waiting[i].series.is_priority() {
            in_a_row + 1
        } else {
            0
        };
        order.push(i);
    }
    order
}

/// The wait, in whole minutes, of the ticket at `position` (0: called next), given the mean
/// service time measured today and the counters open; None before any was measured.
pub fn estimated_wait_minutes(
    position: usize,
    mean_service: Option<Duration>,
    counters_open: usize,
) -> Option<i64> {
    let mean = mean_service?;
    let counters = i64::try_from(counters_open.max(1)).ok()?;
    let rounds = i64::try_from(position).ok()? / counters;
    Some((mean * i32::try_from(rounds).ok()?).num_minutes())
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

    #[test]
    fn the_predicted_order_is_the_policy_applied_again_and_again() {
        let q = [
            booked(0, 0),
            walk(Series::Priority, 1),
            walk(Series::Priority, 2),
            walk(Series::Priority, 3),
            walk(Series::Priority, 4),
            booked(5, 0),
        ];
        assert_eq!(predicted_order(&q, POLICY, 0, at(6)), [1, 2, 3, 0, 4, 5]);
        assert_eq!(predicted_order(&q, POLICY, 3, at(6)), [0, 1, 2, 3, 5, 4]);
        assert!(predicted_order(&[], POLICY, 0, at(6)).is_empty());
    }

    #[test]
    fn the_wait_is_the_rounds_ahead_times_the_mean_service() {
        let mean = Some(Duration::minutes(6));
        assert_eq!(estimated_wait_minutes(0, mean, 2), Some(0));
        assert_eq!(estimated_wait_minutes(5, mean, 2), Some(12));
        assert_eq!(estimated_wait_minutes(5, mean, 0), Some(30));
        assert_eq!(estimated_wait_minutes(5, None, 2), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// A floor: tickets of any series, arriving within two hours, booked ones for
        /// sessions within that span; calls at one-minute steps.
        fn floor() -> impl Strategy<Value = Vec<Waiting>> {
            proptest::collection::vec((0..3u8, 0..120i64, 0..120i64), 0..40).prop_map(|v| {
                v.into_iter()
                    .map(|(kind, arrived, session)| match kind {
                        0 => booked(arrived, session),
                        1 => walk(Series::Priority, arrived),
                        _ => walk(Series::Outage, arrived),
                    })
                    .collect()
            })
        }

        fn policy() -> impl Strategy<Value = CallPolicy> {
            (1..6u32, 5..90u32).prop_map(|(priority_streak, regular_max_wait_minutes)| CallPolicy {
                priority_streak,
                regular_max_wait_minutes,
            })
        }

        proptest! {
            /// Calling until nobody waits calls every ticket exactly once.
            #[test]
            fn every_ticket_is_called_exactly_once(q in floor(), p in policy(), start in 0..5u32) {
                let order = predicted_order(&q, p, start, at(130));
                let mut seen = order.clone();
                seen.sort_unstable();
                seen.dedup();
                prop_assert_eq!(seen.len(), order.len());
                prop_assert_eq!(order.len(), q.len());
            }

            /// While a regular ticket waits, at most `priority_streak` priority tickets are
            /// called in a row.
            #[test]
            fn no_regular_ticket_is_passed_over_beyond_the_streak(q in floor(), p in policy()) {
                let order = predicted_order(&q, p, 0, at(130));
                let mut in_a_row = 0;
                for (k, &i) in order.iter().enumerate() {
                    let regular_left = order[k..].iter().any(|&j| !q[j].series.is_priority());
                    if q[i].series.is_priority() {
                        in_a_row += 1;
                        if regular_left {
                            prop_assert!(in_a_row <= p.priority_streak);
                        }
                    } else {
                        in_a_row = 0;
                    }
                }
            }

            /// A regular ticket is called ahead of a waiting priority one only when the
            /// streak is reached or it has waited the longest allowed; each call among
            /// priority tickets takes the earliest arrival.
            #[test]
            fn priority_goes_first_otherwise(q in floor(), p in policy(), in_a_row in 0..6u32, now in 120..300i64) {
                let Some(i) = next_to_call(&q, p, in_a_row, at(now)) else {
                    prop_assert!(q.is_empty());
                    return Ok(());
                };
                let priority: Vec<&Waiting> = q.iter().filter(|w| w.series.is_priority()).collect();
                if q[i].series.is_priority() {
                    let first = priority.iter().map(|w| w.arrived_at).min();
                    prop_assert_eq!(Some(q[i].arrived_at), first);
                } else if !priority.is_empty() {
                    let waited = at(now) - q[i].waiting_since();
                    prop_assert!(
                        in_a_row >= p.priority_streak
                            || waited >= Duration::minutes(i64::from(p.regular_max_wait_minutes))
                    );
                }
            }
        }
    }
}
