//! The day's close-out and the return visit with missing documents: tickets still on the
//! floor after their day are closed, a checked-in booking never served becomes unserved
//! (its NIK free, its place back, a new day possible by special reschedule), and missing
//! documents are brought back on a later day up to their deadline, or lapse after it.

use chrono::{DateTime, Duration, Utc};
use loket_domain::BookingState;
use loket_domain::floor::{CheckInRefusal, CounterAction, Outcome, PriorityBasis, TicketState};
use loket_store::prelude::*;
use loket_store::{Booking, NewCall, NewCheckIn, SqlStore, StoreError, Ticket, VisitKind};

use crate::floor::{act, call, check_in_of, on, paid, special, walk_in};
use crate::helpers::{Ctx, OFFICE, day, reload, request, seed, slot, taken};

conformance!(
    the_days_close_out_closes_open_tickets_and_frees_the_unserved,
    missing_documents_come_back_before_their_deadline_or_the_application_lapses,
);

/// The events recorded for `b`, as (from, to, detail).
async fn events(s: &SqlStore, b: &Booking) -> Vec<(Option<BookingState>, BookingState, String)> {
    s.unnoticed_events(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.booking_id == b.id)
        .map(|e| (e.from, e.to, e.detail))
        .collect()
}

/// Calls the next ticket at counter 1 on day `n` at `now` and finishes it with `outcome`.
async fn serve(s: &SqlStore, n: u64, now: DateTime<Utc>, outcome: Outcome) -> Ticket {
    let c = NewCall {
        service_date: day(n),
        ..call(1, now)
    };
    let t = s.call_next(&c).await.unwrap().expect("someone waits");
    s.act_on_ticket(&act(&t, 1, CounterAction::Finish(outcome), now))
        .await
        .unwrap()
}

/// A return visit of `b` on day `n` at `now`.
fn return_of(b: &Booking, n: u64, now: DateTime<Utc>) -> NewCheckIn {
    NewCheckIn {
        service_date: day(n),
        visit: VisitKind::Return {
            due_from: loket_domain::booking::documents_due_from(day(n)),
        },
        ..check_in_of(b, now)
    }
}

async fn the_days_close_out_closes_open_tickets_and_frees_the_unserved(db: Ctx) {
    seed(&db.store).await;
    let s = &db.store;
    let key = slot(day(2), "s1");
    let served = paid(s).await;
    let waiting = paid(s).await;
    let left = paid(s).await;
    let on_the_day = on(2);
    for b in [&served, &waiting, &left] {
        s.check_in(&check_in_of(b, on_the_day)).await.unwrap();
    }
    let walk_in = s
        .issue_walk_in(&walk_in(OFFICE, 2, 5, PriorityBasis::Elderly))
        .await
        .unwrap();
    // The walk-in is called first (priority) and finished; then `served`.
    serve(s, 2, on_the_day, Outcome::Accepted).await;
    serve(s, 2, on_the_day, Outcome::Accepted).await;
    assert_eq!(reload(s, &served).await.state, BookingState::Accepted);
    // `left` is called three times and missed; `waiting` is never called.
    let t = s
        .call_next(&call(1, on_the_day))
        .await
        .unwrap()
        .expect("waiting");
    let t = if t.booking_id == Some(left.id) {
        t
    } else {
        // Called in session order: put it back and go on to `left`.
        s.act_on_ticket(&act(
            &t,
            1,
            CounterAction::Transfer(loket_domain::floor::Stage::Pickup),
            on_the_day,
        ))
        .await
        .unwrap();
        let t = s
            .call_next(&call(1, on_the_day))
            .await
            .unwrap()
            .expect("left");
        assert_eq!(t.booking_id, Some(left.id));
        t
    };
    for _ in 0..2 {
        s.act_on_ticket(&act(&t, 1, CounterAction::Recall, on_the_day))
            .await
            .unwrap();
    }
    let missed = s
        .act_on_ticket(&act(&t, 1, CounterAction::Absent, on_the_day))
        .await
        .unwrap();
    assert_eq!(missed.state, TicketState::Missed);

    // Late the same day nothing is closed.
    let taken_on_the_day = taken(s, &key, on_the_day).await;
    assert_eq!(taken_on_the_day, 3);
    s.expire_overdue(on_the_day + Duration::hours(12), 100)
        .await
        .unwrap();
    assert_eq!(reload(s, &waiting).await.state, BookingState::CheckedIn);

    // The next day: the two unfinished tickets are closed and their bookings unserved; the
    // finished ones stay as they are. Their places go back, their NIKs are free.
    let next_day = on(3);
    let closed = s.expire_overdue(next_day, 100).await.unwrap();
    assert_eq!(closed, 4, "two tickets closed, two bookings unserved");
    for b in [&waiting, &left] {
        assert_eq!(reload(s, b).await.state, BookingState::Unserved, "{b:?}");
        let t = s.ticket_of_booking(b.id).await.unwrap().unwrap();
        assert_eq!(t.state, TicketState::Closed);
        assert_eq!(t.finished_at, Some(next_day));
        let e = events(s, b).await;
        let last = e.last().unwrap();
        assert_eq!(
            (last.0, last.1),
            (Some(BookingState::CheckedIn), BookingState::Unserved)
        );
        assert!(last.2.contains("/A-00"), "{last:?}");
    }
    assert_eq!(reload(s, &served).await.state, BookingState::Accepted);
    let w = s.get_ticket(walk_in.id).await.unwrap().unwrap();
    assert_eq!(
        w.state,
        TicketState::Done,
        "a finished ticket is not closed"
    );
    assert_eq!(taken(s, &key, next_day).await, 1, "only the accepted one");
    assert_eq!(
        s.expire_overdue(next_day, 100).await.unwrap(),
        0,
        "each once"
    );

    // The desk gives `waiting` a new day; on it, a new ticket.
    let moved = s
        .special_reschedule(&special(&waiting, slot(day(10), "s1"), next_day))
        .await
        .unwrap();
    assert_eq!(
        (moved.state, moved.slot.service_date),
        (BookingState::Paid, day(10))
    );
    let again = s.check_in(&check_in_of(&moved, on(10))).await.unwrap();
    assert_eq!(
        (again.number.to_string(), again.state),
        ("A-001".to_owned(), TicketState::Waiting)
    );
    // `left`'s NIK books again.
    let a = s
        .get_applicant(left.account_id, left.applicant_id)
        .await
        .unwrap()
        .unwrap();
    let rebooked = s
        .allocate(request(&a, &slot(day(11), "s1"), next_day))
        .await
        .unwrap();
    assert_eq!(rebooked.state, BookingState::AwaitingPayment);
}

async fn missing_documents_come_back_before_their_deadline_or_the_application_lapses(db: Ctx) {
    seed(&db.store).await;
    let s = &db.store;
    let key = slot(day(2), "s1");
    let back = paid(s).await;
    let never = paid(s).await;
    let twice = paid(s).await;
    let lazy = paid(s).await;
    let on_the_day = on(2);
    for b in [&back, &never, &twice, &lazy] {
        s.check_in(&check_in_of(b, on_the_day)).await.unwrap();
        serve(s, 2, on_the_day, Outcome::DocumentsMissing).await;
    }
    for b in [&back, &never, &twice, &lazy] {
        assert_eq!(reload(s, b).await.state, BookingState::DocumentsMissing);
    }
    let e = events(s, &back).await;
    assert!(
        e.last()
            .unwrap()
            .2
            .ends_with(&format!("documents due {}", day(9))),
        "{e:?}"
    );

    // Back on day 4 with the documents: a ticket of that day, the booking unchanged until
    // the counter's outcome; a second desk finds it on the floor already.
    let day4 = on(4);
    let t = s.check_in(&return_of(&back, 4, day4)).await.unwrap();
    assert_eq!(
        (t.number.to_string(), t.service_date, t.session_start),
        ("A-001".to_owned(), day(4), None)
    );
    assert_eq!(reload(s, &back).await.state, BookingState::DocumentsMissing);
    assert_eq!(s.ticket_of_booking(back.id).await.unwrap(), Some(t.clone()));
    let second = s.check_in(&return_of(&back, 4, day4)).await;
    assert!(
        matches!(
            second,
            Err(StoreError::CheckIn(CheckInRefusal::AlreadyCheckedIn))
        ),
        "{second:?}"
    );
    serve(s, 4, day4, Outcome::Accepted).await;
    assert_eq!(reload(s, &back).await.state, BookingState::Accepted);
    let last = events(s, &back).await.pop().unwrap();
    assert_eq!(
        (last.0, last.1),
        (Some(BookingState::DocumentsMissing), BookingState::Accepted)
    );

    // `twice` comes back on day 3 and is not served before closing: its ticket closes, the
    // booking keeps waiting for its documents, and it comes back again on day 5.
    s.check_in(&return_of(&twice, 3, on(3))).await.unwrap();
    s.expire_overdue(on(4), 100).await.unwrap();
    assert_eq!(
        reload(s, &twice).await.state,
        BookingState::DocumentsMissing
    );
    let t5 = s.check_in(&return_of(&twice, 5, on(5))).await.unwrap();
    assert_eq!(t5.service_date, day(5));
    serve(s, 5, on(5), Outcome::DocumentsMissing).await;
    let last = events(s, &twice).await.pop().unwrap();
    assert_eq!(
        (last.0, last.1),
        (
            Some(BookingState::DocumentsMissing),
            BookingState::DocumentsMissing
        ),
        "still missing: the deadline stays"
    );
    assert!(last.2.ends_with(&format!("documents due {}", day(9))));

    // `never` does not come back: on its last day it still holds; the day after it lapses
    // and a return is refused.
    s.expire_overdue(on(9), 100).await.unwrap();
    assert_eq!(
        reload(s, &never).await.state,
        BookingState::DocumentsMissing
    );
    let late = s.check_in(&return_of(&never, 10, on(10))).await;
    assert!(
        matches!(
            late,
            Err(StoreError::CheckIn(CheckInRefusal::Ended {
                state: BookingState::DocumentsLapsed
            }))
        ),
        "{late:?}"
    );
    // Before any sweep, the NIK of `lazy` books again: its lapse is made on the way.
    let a = s
        .get_applicant(lazy.account_id, lazy.applicant_id)
        .await
        .unwrap()
        .unwrap();
    s.allocate(request(&a, &slot(day(11), "s1"), on(10)))
        .await
        .unwrap();
    assert_eq!(reload(s, &lazy).await.state, BookingState::DocumentsLapsed);
    let taken_before = taken(s, &key, on(10)).await;
    s.expire_overdue(on(10), 100).await.unwrap();
    for b in [&never, &twice] {
        assert_eq!(reload(s, b).await.state, BookingState::DocumentsLapsed);
    }
    assert_eq!(taken(s, &key, on(10)).await, taken_before - 2);
    let a = s
        .get_applicant(never.account_id, never.applicant_id)
        .await
        .unwrap()
        .unwrap();
    s.allocate(request(&a, &slot(day(10), "s1"), on(10)))
        .await
        .unwrap();
}
