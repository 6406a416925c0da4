//! The office floor's tickets: numbers per office, day and series, each issued once, and
//! the day's priority quota never passed, on one instance or two at once.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use loket_domain::BookingState;
use loket_domain::floor::{
    CallPolicy, CheckInRefusal, CounterAction, Outcome, PriorityBasis, RejectReason, Series, Stage,
    TicketRefusal, TicketState,
};
use loket_store::prelude::*;
use loket_store::{
    Booking, NewCall, NewCheckIn, NewWalkIn, SqlStore, StoreError, Ticket, TicketAction, VisitKind,
};

use crate::helpers::{
    Ctx, OFFICE, book, close, day, head, notice, office, people, person, reload, request, seed,
    set_capacity, slot, stampede, t0,
};

conformance!(
    priority_walk_ins_are_numbered_from_one_per_day_and_stop_at_the_quota,
    two_instances_registering_walk_ins_at_once_issue_each_number_once_and_stop_at_the_quota,
    a_paid_booking_checks_in_once_with_the_next_a_number_and_keeps_its_place_and_nik,
    a_booking_that_is_not_paid_or_not_this_offices_days_is_not_checked_in,
    desks_on_two_instances_checking_in_at_once_give_each_booking_one_ticket_and_each_number_once,
    counters_call_priority_first_within_the_streak_and_booked_in_session_order,
    a_counter_serves_one_ticket_at_a_time_and_its_actions_follow_the_rules,
    ten_counters_on_two_instances_calling_at_once_never_share_a_ticket,
    the_desk_moves_a_paid_or_missed_booking_with_a_special_reschedule,
    outage_walk_ins_get_b_numbers_only_while_outage_mode_is_on,
);

/// 08:00 WIB on `day(n)`.
pub(crate) fn on(n: u64) -> DateTime<Utc> {
    t0() + Duration::days(5 + i64::try_from(n).unwrap_or(0))
}

/// A check-in of `b` at the office on its day, at `now`.
pub(crate) fn check_in_of(b: &Booking, now: DateTime<Utc>) -> NewCheckIn {
    NewCheckIn {
        booking_id: b.id,
        office_code: b.slot.office_code.clone(),
        service_date: b.slot.service_date,
        visit: VisitKind::Booked { session_start: now },
        actor: head(),
        now,
    }
}

/// A paid booking of a fresh applicant on day 2, session s1.
pub(crate) async fn paid(store: &SqlStore) -> Booking {
    let a = person(store).await;
    let b = book(store, &a, &slot(day(2), "s1"), t0()).await;
    store
        .record_payment(&notice(&b, "paid", t0()), t0())
        .await
        .unwrap();
    reload(store, &b).await
}

async fn a_paid_booking_checks_in_once_with_the_next_a_number_and_keeps_its_place_and_nik(db: Ctx) {
    seed(&db.store).await;
    let s = &db.store;
    let key = slot(day(2), "s1");
    let first = paid(s).await;
    let second = paid(s).await;
    let on_the_day = on(2);
    let taken_before = crate::helpers::taken(s, &key, on_the_day).await;
    let t1 = s.check_in(&check_in_of(&first, on_the_day)).await.unwrap();
    let t2 = s.check_in(&check_in_of(&second, on_the_day)).await.unwrap();
    assert_eq!(
        (t1.number.to_string(), t2.number.to_string()),
        ("A-001".into(), "A-002".into())
    );
    assert_eq!(t1.booking_id, Some(first.id));
    assert_eq!(t1.session_start, Some(on_the_day));
    assert_eq!(t1.state, TicketState::Waiting);
    assert_eq!(
        s.ticket_of_booking(first.id).await.unwrap(),
        Some(t1.clone())
    );
    assert_eq!(s.ticket_of_booking(b_without_ticket()).await.unwrap(), None);
    // A walk-in's P numbers count on their own.
    let w = s
        .issue_walk_in(&walk_in(OFFICE, 2, 5, PriorityBasis::Elderly))
        .await
        .unwrap();
    assert_eq!(w.number.to_string(), "P-001");

    // Checked in: its place stays taken, its event and audit are written.
    let b = reload(s, &first).await;
    assert_eq!(b.state, BookingState::CheckedIn);
    assert_eq!(
        crate::helpers::taken(s, &key, on_the_day).await,
        taken_before
    );
    let again = s.check_in(&check_in_of(&first, on_the_day)).await;
    assert!(
        matches!(
            again,
            Err(StoreError::CheckIn(CheckInRefusal::AlreadyCheckedIn))
        ),
        "{again:?}"
    );
    let audit = s.audit_log(Some(OFFICE), 50).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "floor.check_in"
        && a.subject == format!("{}/A-001", day(2))
        && a.before.as_deref() == Some("paid")));

    // Late on the day the sweep leaves them checked in (the day's close-out is tomorrow,
    // see close_out.rs), and they keep their NIK from a second booking.
    let next_day = on_the_day + Duration::hours(10);
    s.expire_overdue(next_day, 100).await.unwrap();
    assert_eq!(reload(s, &first).await.state, BookingState::CheckedIn);
    let a = s
        .get_applicant(first.account_id, first.applicant_id)
        .await
        .unwrap()
        .unwrap();
    let rebook = s.allocate(request(&a, &slot(day(9), "s1"), next_day)).await;
    assert!(
        matches!(rebook, Err(StoreError::NikHasActiveBooking)),
        "{rebook:?}"
    );
    let tickets = s.tickets_of_day(OFFICE, day(2)).await.unwrap();
    assert_eq!(tickets.len(), 3);
}

/// An id no booking has.
fn b_without_ticket() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

async fn a_booking_that_is_not_paid_or_not_this_offices_days_is_not_checked_in(db: Ctx) {
    seed(&db.store).await;
    let s = &db.store;
    let on_the_day = on(2);
    let a = person(s).await;
    let unpaid = book(s, &a, &slot(day(2), "s1"), t0()).await;
    let refused = s.check_in(&check_in_of(&unpaid, t0())).await;
    assert!(
        matches!(refused, Err(StoreError::CheckIn(CheckInRefusal::NotPaid))),
        "{refused:?}"
    );
    // Its hold lapsed: it has ended, swept or not.
    let lapsed = s.check_in(&check_in_of(&unpaid, on_the_day)).await;
    assert!(
        matches!(
            lapsed,
            Err(StoreError::CheckIn(CheckInRefusal::Ended {
                state: BookingState::Expired
            }))
        ),
        "{lapsed:?}"
    );
    let b = paid(s).await;
    let elsewhere = NewCheckIn {
        office_code: "batam".into(),
        ..check_in_of(&b, on_the_day)
    };
    let refused = s.check_in(&elsewhere).await;
    assert!(
        matches!(
            refused,
            Err(StoreError::CheckIn(CheckInRefusal::OtherOffice))
        ),
        "{refused:?}"
    );
    let other_day = NewCheckIn {
        service_date: day(3),
        ..check_in_of(&b, on_the_day)
    };
    let refused = s.check_in(&other_day).await;
    assert!(
        matches!(
            refused,
            Err(StoreError::CheckIn(CheckInRefusal::OtherDay { date })) if date == day(2)
        ),
        "{refused:?}"
    );
    let nobody = NewCheckIn {
        booking_id: uuid::Uuid::now_v7(),
        ..check_in_of(&b, on_the_day)
    };
    assert!(matches!(
        s.check_in(&nobody).await,
        Err(StoreError::NotFound)
    ));
    // Nothing was changed or numbered.
    assert_eq!(reload(s, &b).await.state, BookingState::Paid);
    assert!(s.tickets_of_day(OFFICE, day(2)).await.unwrap().is_empty());
    let ids = s.booking_ids_of_days(OFFICE, day(2), day(2)).await.unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&b.id) && ids.contains(&unpaid.id));
}

/// 20 paid bookings, each checked in twice at once, half the attempts on each of two
/// instances: 20 tickets numbered 1 to 20 with none twice, one per booking, and 20
/// refusals saying it is checked in already.
async fn desks_on_two_instances_checking_in_at_once_give_each_booking_one_ticket_and_each_number_once(
    db: Ctx,
) {
    seed(&db.store).await;
    set_capacity(&db.store, &slot(day(2), "s1"), 20).await;
    let applicants = people(&db.store, 20).await;
    let mut bookings = Vec::new();
    for a in &applicants {
        let b = book(&db.store, a, &slot(day(2), "s1"), t0()).await;
        db.store
            .record_payment(&notice(&b, "paid", t0()), t0())
            .await
            .unwrap();
        bookings.push(b);
    }
    let second = db.another_instance().await;
    let stores = [db.store.clone(), second.clone()];
    let on_the_day = on(2);
    let results = stampede(40, |i| {
        let store = stores[i % 2].clone();
        let c = check_in_of(&bookings[i / 2], on_the_day);
        async move { store.check_in(&c).await }
    })
    .await;
    close(&second).await;
    let tickets: Vec<&Ticket> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let again = results
        .iter()
        .filter(|r| {
            matches!(
                r,
                Err(StoreError::CheckIn(CheckInRefusal::AlreadyCheckedIn))
            )
        })
        .count();
    let others: Vec<_> = results
        .iter()
        .filter(|r| {
            matches!(r, Err(e) if !matches!(e, StoreError::CheckIn(CheckInRefusal::AlreadyCheckedIn)))
        })
        .collect();
    assert!(others.is_empty(), "{others:?}");
    assert_eq!((tickets.len(), again), (20, 20));
    let numbers: BTreeSet<u32> = tickets.iter().map(|t| t.number.number).collect();
    assert_eq!(numbers, (1..=20).collect::<BTreeSet<u32>>());
    let booked: BTreeSet<uuid::Uuid> = tickets.iter().filter_map(|t| t.booking_id).collect();
    assert_eq!(booked.len(), 20);
    assert_eq!(
        db.store.tickets_of_day(OFFICE, day(2)).await.unwrap().len(),
        20
    );
}

pub(crate) fn walk_in(
    office: &str,
    date_offset: u64,
    quota: i64,
    basis: PriorityBasis,
) -> NewWalkIn {
    NewWalkIn {
        office_code: office.to_owned(),
        service_date: day(date_offset),
        basis,
        quota,
        actor: head(),
        now: t0(),
    }
}

async fn issue(store: &SqlStore, w: &NewWalkIn) -> Result<String, StoreError> {
    store.issue_walk_in(w).await.map(|t| t.number.to_string())
}

async fn priority_walk_ins_are_numbered_from_one_per_day_and_stop_at_the_quota(db: Ctx) {
    seed(&db.store).await;
    let s = &db.store;
    let elderly = walk_in(OFFICE, 2, 3, PriorityBasis::Elderly);
    for want in ["P-001", "P-002", "P-003"] {
        assert_eq!(issue(s, &elderly).await.unwrap(), want);
    }
    assert!(matches!(
        issue(s, &elderly).await,
        Err(StoreError::PriorityQuotaFull)
    ));
    // The head of office raised the quota: the next number follows on.
    let raised = NewWalkIn {
        quota: 4,
        basis: PriorityBasis::Pregnant,
        ..elderly.clone()
    };
    assert_eq!(issue(s, &raised).await.unwrap(), "P-004");
    // Another day counts from one; a quota of nothing issues nothing.
    assert_eq!(
        issue(s, &walk_in(OFFICE, 3, 3, PriorityBasis::SmallChild))
            .await
            .unwrap(),
        "P-001"
    );
    assert!(matches!(
        issue(s, &walk_in(OFFICE, 4, 0, PriorityBasis::Sick)).await,
        Err(StoreError::PriorityQuotaFull)
    ));
    // Another office counts on its own.
    let mut other = office();
    other.code = "batam".into();
    s.upsert_office(&other).await.unwrap();
    assert_eq!(
        issue(s, &walk_in("batam", 2, 3, PriorityBasis::Disability))
            .await
            .unwrap(),
        "P-001"
    );

    let tickets: Vec<Ticket> = s.tickets_of_day(OFFICE, day(2)).await.unwrap();
    let listed: Vec<(String, Option<PriorityBasis>)> = tickets
        .iter()
        .map(|t| (t.number.to_string(), t.priority_basis))
        .collect();
    assert_eq!(
        listed,
        [
            ("P-001".to_owned(), Some(PriorityBasis::Elderly)),
            ("P-002".to_owned(), Some(PriorityBasis::Elderly)),
            ("P-003".to_owned(), Some(PriorityBasis::Elderly)),
            ("P-004".to_owned(), Some(PriorityBasis::Pregnant)),
        ]
    );
    assert!(tickets.iter().all(|t| t.state == TicketState::Waiting
        && t.booking_id.is_none()
        && t.number.series == Series::Priority
        && t.issued_by == "kepala.palembang"
        && t.service_date == day(2)));
    // Every registration is in the office's audit log, with its basis.
    let audit = s.audit_log(Some(OFFICE), 50).await.unwrap();
    let walk_ins: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "floor.walk_in")
        .collect();
    assert_eq!(walk_ins.len(), 5, "{audit:?}");
    assert!(walk_ins.iter().any(
        |a| a.subject == format!("{}/P-004", day(2)) && a.after.as_deref() == Some("pregnant")
    ));
}

/// 40 registrations released at once, half on each of two instances, at a quota of 25:
/// exactly 25 tickets, numbered 1 to 25 with none twice, and 15 refusals. Without the
/// counter's condition there would be 40; with a MAX() + 1 numbering, repeated numbers.
async fn two_instances_registering_walk_ins_at_once_issue_each_number_once_and_stop_at_the_quota(
    db: Ctx,
) {
    seed(&db.store).await;
    let second = db.another_instance().await;
    let stores = [db.store.clone(), second.clone()];
    let results = stampede(40, |i| {
        let store = stores[i % 2].clone();
        async move {
            store
                .issue_walk_in(&walk_in(OFFICE, 2, 25, PriorityBasis::Elderly))
                .await
        }
    })
    .await;
    close(&second).await;
    let numbers: Vec<u32> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|t| t.number.number))
        .collect();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::PriorityQuotaFull)))
        .count();
    let others: Vec<_> = results
        .iter()
        .filter(|r| matches!(r, Err(e) if !matches!(e, StoreError::PriorityQuotaFull)))
        .collect();
    assert!(others.is_empty(), "{others:?}");
    assert_eq!((numbers.len(), refused), (25, 15));
    let distinct: BTreeSet<u32> = numbers.iter().copied().collect();
    assert_eq!(distinct, (1..=25).collect::<BTreeSet<u32>>());
    let stored = db.store.tickets_of_day(OFFICE, day(2)).await.unwrap();
    assert_eq!(stored.len(), 25);
}

// ---------- counters ----------

pub(crate) fn call(counter: u32, now: DateTime<Utc>) -> NewCall {
    NewCall {
        office_code: OFFICE.to_owned(),
        service_date: day(2),
        counter,
        stage: Stage::Documents,
        policy: CallPolicy::default(),
        actor: head(),
        now,
    }
}

pub(crate) fn act(
    t: &Ticket,
    counter: u32,
    action: CounterAction,
    now: DateTime<Utc>,
) -> TicketAction {
    TicketAction {
        ticket_id: t.id,
        office_code: OFFICE.to_owned(),
        counter,
        action,
        reason: None,
        missed_after_calls: 3,
        actor: head(),
        now,
    }
}

/// Calls at counter 1 a minute apart and finishes each ticket, until nobody waits; the
/// numbers in the order called.
async fn call_all(s: &SqlStore, from: DateTime<Utc>) -> Vec<String> {
    let mut order = Vec::new();
    let mut now = from;
    while let Some(t) = s.call_next(&call(1, now)).await.unwrap() {
        order.push(t.number.to_string());
        s.act_on_ticket(&act(&t, 1, CounterAction::Finish(Outcome::Accepted), now))
            .await
            .unwrap();
        now += Duration::minutes(1);
    }
    order
}

async fn counters_call_priority_first_within_the_streak_and_booked_in_session_order(db: Ctx) {
    seed(&db.store).await;
    set_capacity(&db.store, &slot(day(2), "s2"), 10).await;
    let s = &db.store;
    let on_the_day = on(2);
    // Two bookings: the later session's applicant checks in first.
    let early = paid(s).await;
    let a = person(s).await;
    let late = book(s, &a, &slot(day(2), "s2"), t0()).await;
    s.record_payment(&notice(&late, "paid", t0()), t0())
        .await
        .unwrap();
    let mut late_in = check_in_of(&late, on_the_day);
    late_in.visit = VisitKind::Booked {
        session_start: on_the_day + Duration::hours(2),
    };
    s.check_in(&late_in).await.unwrap();
    s.check_in(&check_in_of(&early, on_the_day + Duration::minutes(1)))
        .await
        .unwrap();
    for _ in 0..4 {
        s.issue_walk_in(&walk_in(OFFICE, 2, 10, PriorityBasis::Elderly))
            .await
            .unwrap();
    }
    // Priority first, three in a row at most while a regular ticket waits; regular
    // tickets in the order of their sessions (A-002's session is earlier than A-001's).
    let order = call_all(s, on_the_day + Duration::minutes(5)).await;
    assert_eq!(
        order,
        ["P-001", "P-002", "P-003", "A-002", "P-004", "A-001"]
    );
    // Both bookings moved on with their outcome, which keeps their NIK.
    assert_eq!(reload(s, &early).await.state, BookingState::Accepted);
    let again = s
        .allocate(request(&a, &slot(day(9), "s1"), on_the_day))
        .await;
    assert!(
        matches!(again, Err(StoreError::NikHasActiveBooking)),
        "{again:?}"
    );
    let audit = s.audit_log(Some(OFFICE), 100).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "floor.call").count(), 6);
    assert_eq!(
        audit.iter().filter(|e| e.action == "floor.finish").count(),
        6
    );
}

async fn a_counter_serves_one_ticket_at_a_time_and_its_actions_follow_the_rules(db: Ctx) {
    seed(&db.store).await;
    let s = &db.store;
    let now = on(2);
    let b = paid(s).await;
    s.check_in(&check_in_of(&b, now)).await.unwrap();
    let t = s.call_next(&call(1, now)).await.unwrap().expect("a ticket");
    assert_eq!(
        (t.number.to_string(), t.calls, t.counter),
        ("A-001".into(), 1, Some(1))
    );
    // The counter is busy until it lets the ticket go; another counter finds nobody.
    assert!(matches!(
        s.call_next(&call(1, now)).await,
        Err(StoreError::CounterBusy { number }) if number == "A-001"
    ));
    assert_eq!(s.call_next(&call(2, now)).await.unwrap(), None);
    // Only its counter acts on it; absent only after three calls.
    let other = s
        .act_on_ticket(&act(&t, 2, CounterAction::Recall, now))
        .await;
    assert!(
        matches!(other, Err(StoreError::Ticket(TicketRefusal::OtherCounter))),
        "{other:?}"
    );
    let soon = s
        .act_on_ticket(&act(&t, 1, CounterAction::Absent, now))
        .await;
    assert!(
        matches!(
            soon,
            Err(StoreError::Ticket(TicketRefusal::RecallFirst {
                calls: 1,
                needed: 3
            }))
        ),
        "{soon:?}"
    );
    for calls in [2, 3] {
        let r = s
            .act_on_ticket(&act(&t, 1, CounterAction::Recall, now))
            .await
            .unwrap();
        assert_eq!(r.calls, calls);
    }
    let missed = s
        .act_on_ticket(&act(&t, 1, CounterAction::Absent, now))
        .await
        .unwrap();
    assert_eq!(
        (missed.state, missed.counter),
        (TicketState::Missed, Some(1))
    );
    // Put back by any counter: it waits again and is called again.
    let back = s
        .act_on_ticket(&act(&t, 2, CounterAction::PutBack, now))
        .await
        .unwrap();
    assert_eq!(back.state, TicketState::Waiting);
    let t = s
        .call_next(&call(2, now))
        .await
        .unwrap()
        .expect("called again");
    assert_eq!(t.number.to_string(), "A-001");
    // Sent to pickup, where a pickup counter calls it.
    let moved = s
        .act_on_ticket(&act(&t, 2, CounterAction::Transfer(Stage::Pickup), now))
        .await
        .unwrap();
    assert_eq!(
        (moved.state, moved.stage),
        (TicketState::Waiting, Stage::Pickup)
    );
    assert_eq!(s.call_next(&call(1, now)).await.unwrap(), None);
    let pickup = NewCall {
        stage: Stage::Pickup,
        ..call(3, now)
    };
    let t = s.call_next(&pickup).await.unwrap().expect("at pickup");
    let wrong = s
        .act_on_ticket(&act(&t, 3, CounterAction::Finish(Outcome::Accepted), now))
        .await;
    assert!(
        matches!(wrong, Err(StoreError::Ticket(TicketRefusal::WrongStage))),
        "{wrong:?}"
    );
    let done = s
        .act_on_ticket(&act(&t, 3, CounterAction::Finish(Outcome::Collected), now))
        .await
        .unwrap();
    assert_eq!(
        (done.state, done.outcome),
        (TicketState::Done, Some(Outcome::Collected))
    );
    // A pickup leaves the booking to the back office.
    assert_eq!(reload(s, &b).await.state, BookingState::CheckedIn);

    // A rejection frees the NIK, with its reason in the booking's history.
    let r = paid(s).await;
    s.check_in(&check_in_of(&r, now)).await.unwrap();
    let t = s.call_next(&call(1, now)).await.unwrap().expect("a ticket");
    let rejected = s
        .act_on_ticket(&TicketAction {
            reason: Some(RejectReason::IdentityMismatch),
            ..act(&t, 1, CounterAction::Finish(Outcome::Rejected), now)
        })
        .await
        .unwrap();
    assert_eq!(
        rejected.outcome_reason,
        Some(RejectReason::IdentityMismatch)
    );
    assert_eq!(reload(s, &r).await.state, BookingState::Rejected);
    let a = s
        .get_applicant(r.account_id, r.applicant_id)
        .await
        .unwrap()
        .unwrap();
    s.allocate(request(&a, &slot(day(9), "s1"), now))
        .await
        .unwrap();
    let audit = s.audit_log(Some(OFFICE), 100).await.unwrap();
    assert!(audit.iter().any(|e| {
        e.action == "floor.finish"
            && e.after
                .as_deref()
                .is_some_and(|x| x.contains("rejected identity_mismatch"))
    }));
}

/// 30 waiting tickets; 10 counters, half on each of two instances, call at once, finish
/// what they got, three rounds: every ticket called exactly once, none by two counters,
/// and nobody left. Without the call's condition (`state = 'waiting'`), two counters that
/// chose the same ticket would both get it.
async fn ten_counters_on_two_instances_calling_at_once_never_share_a_ticket(db: Ctx) {
    seed(&db.store).await;
    let now = on(2);
    for _ in 0..30 {
        db.store
            .issue_walk_in(&walk_in(OFFICE, 2, 30, PriorityBasis::Elderly))
            .await
            .unwrap();
    }
    let second = db.another_instance().await;
    let stores = [db.store.clone(), second.clone()];
    let mut called = Vec::new();
    for _ in 0..3 {
        let results = stampede(10, |i| {
            let store = stores[i % 2].clone();
            let counter = u32::try_from(i + 1).unwrap();
            async move {
                let t = store.call_next(&call(counter, now)).await?;
                if let Some(t) = &t {
                    store
                        .act_on_ticket(&act(
                            t,
                            counter,
                            CounterAction::Finish(Outcome::Accepted),
                            now,
                        ))
                        .await?;
                }
                Ok::<_, StoreError>(t)
            }
        })
        .await;
        for r in results {
            called.push(r.unwrap().expect("a ticket for every counter").id);
        }
    }
    close(&second).await;
    let distinct: BTreeSet<uuid::Uuid> = called.iter().copied().collect();
    assert_eq!((called.len(), distinct.len()), (30, 30));
    assert_eq!(db.store.call_next(&call(1, now)).await.unwrap(), None);
}

pub(crate) fn special(
    b: &Booking,
    to: loket_store::SlotKey,
    now: DateTime<Utc>,
) -> loket_store::SpecialMove {
    loket_store::SpecialMove {
        booking_id: b.id,
        office_code: OFFICE.to_owned(),
        to,
        reason: loket_domain::booking::SpecialReason::Illness,
        actor: head(),
        now,
    }
}

async fn the_desk_moves_a_paid_or_missed_booking_with_a_special_reschedule(db: Ctx) {
    seed(&db.store).await;
    let s = &db.store;
    // On the day itself (too late for the applicant's own move): moved, still paid, the
    // applicant's one reschedule left.
    let on_the_day = on(2);
    let b = paid(s).await;
    let moved = s
        .special_reschedule(&special(&b, slot(day(9), "s1"), on_the_day))
        .await
        .unwrap();
    assert_eq!(
        (moved.state, moved.slot.service_date),
        (BookingState::Paid, day(9))
    );
    assert_eq!(moved.reschedules_used, 0);
    let audit = s.audit_log(Some(OFFICE), 20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "booking.special_reschedule"
                && a.after.as_deref().is_some_and(|x| x.ends_with("illness")))
    );
    // A no-show, the day after: back to paid on a new date.
    let missed = paid(s).await;
    let next_day = on(3);
    s.expire_overdue(next_day, 100).await.unwrap();
    assert_eq!(reload(s, &missed).await.state, BookingState::NoShow);
    let back = s
        .special_reschedule(&special(&missed, slot(day(10), "s1"), next_day))
        .await
        .unwrap();
    assert_eq!(back.state, BookingState::Paid);
    // A no-show whose NIK booked again meanwhile stays as it is.
    let again = paid(s).await;
    s.expire_overdue(next_day, 100).await.unwrap();
    let a = s
        .get_applicant(again.account_id, again.applicant_id)
        .await
        .unwrap()
        .unwrap();
    s.allocate(request(&a, &slot(day(11), "s1"), next_day))
        .await
        .unwrap();
    let busy = s
        .special_reschedule(&special(&again, slot(day(10), "s1"), next_day))
        .await;
    assert!(
        matches!(busy, Err(StoreError::NikHasActiveBooking)),
        "{busy:?}"
    );
    // Another office's booking is not found; a full session refused; a hold not paid.
    let other = loket_store::SpecialMove {
        office_code: "batam".into(),
        ..special(&moved, slot(day(10), "s2"), next_day)
    };
    assert!(matches!(
        s.special_reschedule(&other).await,
        Err(StoreError::NotFound)
    ));
    set_capacity(s, &slot(day(12), "s1"), 0).await;
    let full = s
        .special_reschedule(&special(&moved, slot(day(12), "s1"), next_day))
        .await;
    assert!(matches!(full, Err(StoreError::QuotaFull)), "{full:?}");
    let p = person(s).await;
    let hold = book(s, &p, &slot(day(9), "s2"), next_day).await;
    let unpaid = s
        .special_reschedule(&special(&hold, slot(day(10), "s2"), next_day))
        .await;
    assert!(
        matches!(unpaid, Err(StoreError::Transition(_))),
        "{unpaid:?}"
    );
}

async fn outage_walk_ins_get_b_numbers_only_while_outage_mode_is_on(db: Ctx) {
    seed(&db.store).await;
    let s = &db.store;
    let now = on(2);
    let off = s.issue_outage_walk_in(OFFICE, day(2), &head(), now).await;
    assert!(matches!(off, Err(StoreError::OutageModeOff)), "{off:?}");
    assert!(!s.outage_on(OFFICE, day(2)).await.unwrap());
    s.set_outage(OFFICE, day(2), true, &head(), now)
        .await
        .unwrap();
    assert!(s.outage_on(OFFICE, day(2)).await.unwrap());
    assert!(!s.outage_on(OFFICE, day(3)).await.unwrap(), "another day");
    for want in ["B-001", "B-002"] {
        let t = s
            .issue_outage_walk_in(OFFICE, day(2), &head(), now)
            .await
            .unwrap();
        assert_eq!(t.number.to_string(), want);
        assert_eq!((t.booking_id, t.priority_basis), (None, None));
    }
    s.set_outage(OFFICE, day(2), false, &head(), now)
        .await
        .unwrap();
    assert!(matches!(
        s.issue_outage_walk_in(OFFICE, day(2), &head(), now).await,
        Err(StoreError::OutageModeOff)
    ));
    let audit = s.audit_log(Some(OFFICE), 20).await.unwrap();
    let switched: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "floor.outage")
        .map(|a| (a.before.clone(), a.after.clone()))
        .collect();
    assert_eq!(
        switched,
        [
            (Some("on".to_owned()), Some("off".to_owned())),
            (Some("off".to_owned()), Some("on".to_owned()))
        ]
    );
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "floor.outage_walk_in")
            .count(),
        2
    );
}
