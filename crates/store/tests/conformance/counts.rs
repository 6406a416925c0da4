//! Places taken per slot: the counter the store keeps (`slots.taken`, corrected for holds
//! that lapse by the clock) against a full recount. `helpers::run` makes that check after
//! every story of this suite; these stories show that it holds through a mixed day of
//! every kind of change, and that it catches a wrong count, and that every writer syncs
//! its commits by default.

use loket_store::PaymentOutcome;
use loket_store::db::Pool;
use loket_store::prelude::*;

use crate::helpers::{
    Ctx, Engine, book, counts_agree, day, ms, notice, people, seed, set_capacity, slot, t0,
    two_hours,
};

conformance!(
    the_recount_check_catches_a_counter_that_is_off_by_one,
    the_counters_follow_holds_payments_lapses_cancellations_moves_and_expiry,
    sqlite_writers_sync_every_commit_by_default,
);

async fn the_recount_check_catches_a_counter_that_is_off_by_one(db: Ctx) {
    seed(&db.store).await;
    let people = people(&db.store, 2).await;
    let key = slot(day(1), "s1");
    book(&db.store, &people[0], &key, t0()).await;
    counts_agree(&db.store).await.unwrap();

    db.store
        .pool()
        .execute("UPDATE slots SET taken = taken + 1", vec![])
        .await
        .unwrap();
    let e = counts_agree(&db.store).await.unwrap_err();
    assert!(e.contains("counter 2, active bookings 1"), "{e}");
    assert!(e.contains("shown Some(2), recount 1"), "{e}");

    db.store
        .pool()
        .execute("UPDATE slots SET taken = taken - 1", vec![])
        .await
        .unwrap();
}

async fn the_counters_follow_holds_payments_lapses_cancellations_moves_and_expiry(db: Ctx) {
    let s = &db.store;
    seed(s).await;
    let p = people(s, 6).await;
    let (a, b) = (slot(day(1), "s1"), slot(day(2), "s2"));
    set_capacity(s, &a, 3).await;
    let paid = book(s, &p[0], &a, t0()).await;
    let lapses = book(s, &p[1], &a, t0()).await;
    let cancelled = book(s, &p[2], &a, t0() + ms(5)).await;
    let moved = book(s, &p[3], &b, t0()).await;
    assert_eq!(
        s.record_payment(&notice(&paid, "paid", t0()), t0())
            .await
            .unwrap(),
        PaymentOutcome::Paid
    );
    assert_eq!(
        s.record_payment(&notice(&moved, "paid", t0()), t0())
            .await
            .unwrap(),
        PaymentOutcome::Paid
    );
    s.cancel_booking(cancelled.id, t0() + ms(10)).await.unwrap();
    s.reschedule_booking(moved.id, a.clone(), true, t0() + ms(20))
        .await
        .unwrap();
    counts_agree(s).await.unwrap();
    // The hold lapses by the clock; its place is free before the sweep records it.
    let late = t0() + two_hours() + ms(1);
    let newcomer = book(s, &p[4], &a, late).await;
    counts_agree(s).await.unwrap();
    assert_eq!(s.expire_overdue(late, 100).await.unwrap(), 1);
    // A late payment for the swept hold: its place went to the newcomer, so it is owed back.
    assert_eq!(
        s.record_payment(&notice(&lapses, "paid", late), late)
            .await
            .unwrap(),
        PaymentOutcome::RefundDue
    );
    // Lowering the quota to what is taken, then a cancellation frees one place again.
    set_capacity(s, &a, 3).await;
    s.cancel_booking(newcomer.id, late + ms(1)).await.unwrap();
    book(s, &p[5], &a, late + ms(2)).await;
    counts_agree(s).await.unwrap();
}

async fn sqlite_writers_sync_every_commit_by_default(db: Ctx) {
    let Pool::Sqlite(_) = db.store.pool() else {
        assert_eq!(db.engine, Engine::Postgres);
        return;
    };
    let row = db
        .store
        .pool()
        .fetch_optional("PRAGMA synchronous", vec![])
        .await
        .unwrap()
        .unwrap();
    // 2 is FULL: the WAL is synced at every commit.
    assert_eq!(row.i64("synchronous").unwrap(), 2);
}
