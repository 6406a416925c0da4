//! The office floor's tickets: numbers per office, day and series, each issued once, and
//! the day's priority quota never passed, on one instance or two at once.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use loket_domain::BookingState;
use loket_domain::floor::{CheckInRefusal, PriorityBasis, Series, TicketState};
use loket_store::prelude::*;
use loket_store::{Booking, NewCheckIn, NewWalkIn, SqlStore, StoreError, Ticket};

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
);

/// A check-in of `b` at the office on its day, at `now`.
fn check_in_of(b: &Booking, now: DateTime<Utc>) -> NewCheckIn {
    NewCheckIn {
        booking_id: b.id,
        office_code: b.slot.office_code.clone(),
        service_date: b.slot.service_date,
        session_start: now,
        actor: head(),
        now,
    }
}

/// A paid booking of a fresh applicant on day 2, session s1.
async fn paid(store: &SqlStore) -> Booking {
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
    let on_the_day = t0() + Duration::days(2);
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

    // The next day the sweep moves the booking nobody checked in... nothing here: both
    // were checked in; they stay so, and keep their NIK from a second booking.
    let next_day = t0() + Duration::days(3);
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
    let on_the_day = t0() + Duration::days(2);
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
    let ids = s.booking_ids_of_day(OFFICE, day(2)).await.unwrap();
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
    let on_the_day = t0() + Duration::days(2);
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

fn walk_in(office: &str, date_offset: u64, quota: i64, basis: PriorityBasis) -> NewWalkIn {
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
