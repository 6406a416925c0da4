//! The office floor's tickets: numbers per office, day and series, each issued once, and
//! the day's priority quota never passed, on one instance or two at once.

use std::collections::BTreeSet;

use loket_domain::floor::{PriorityBasis, Series, TicketState};
use loket_store::prelude::*;
use loket_store::{NewWalkIn, SqlStore, StoreError, Ticket};

use crate::helpers::{Ctx, OFFICE, close, day, head, office, seed, stampede, t0};

conformance!(
    priority_walk_ins_are_numbered_from_one_per_day_and_stop_at_the_quota,
    two_instances_registering_walk_ins_at_once_issue_each_number_once_and_stop_at_the_quota,
);

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
