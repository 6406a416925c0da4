//! One active booking per NIK is kept by two layers: the check the store makes before it
//! books, pays late or moves a refund (`NIK_HOLD` in the batches, `nik_is_busy` on the
//! one-transaction path), and the partial unique index `bookings_one_active_per_nik`.
//! Either layer alone keeps the rule in a sequence of requests, so each story here takes one
//! layer away and shows that the other holds by itself: a story fails when its layer goes.
//!
//! Under concurrency the check alone does not hold on PostgreSQL: two transactions of two
//! different slots lock different rows, and at READ COMMITTED neither sees the other's
//! uncommitted booking of the NIK. Only the index stops the second; the last two stories
//! stage exactly that race, with the other transaction held open by the test.

use chrono::Duration;
use loket_domain::BookingState;
use loket_store::db::Arg;
use loket_store::prelude::*;
use loket_store::{AllocationRequest, PaymentOutcome, SlotKey, StoreError};

use crate::assert_err;
use crate::helpers::{
    Ctx, Engine, account, book, day, ms, notice, person, reload, request, run, seed, slot, t0,
};
use crate::holding::{Held, POISON, poison_bookings, queue};

conformance!(
    without_the_unique_index_the_check_alone_refuses_a_second_booking_of_a_nik_on_every_path,
    without_the_check_the_unique_index_alone_refuses_a_second_active_booking_of_a_nik,
);

const DROP_NIK_INDEX: &str = "DROP INDEX bookings_one_active_per_nik";

/// The bookings of a NIK that the index and the check call active.
const ACTIVE_OF_NIK: &str = "SELECT COUNT(*) AS n FROM bookings WHERE nik = $1 \
    AND state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', \
    'documents_missing')";

/// A booking row written directly, past every check of the store: $10 is its state.
const RAW_BOOKING: &str = "INSERT INTO bookings (id, account_id, applicant_id, nik, slot_id, \
    office_code, service_date, session_code, class, state, billing_code, payment_deadline, \
    service, travel_purpose, fee_table_code, fee_total, fee_lines, reschedules_used, \
    created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
    $14, $15, $16, $17, 0, $18, $18)";

/// What the store does with the row it inserts: count it into its slot (`slots.taken`).
const RAW_COUNT: &str = "UPDATE slots SET taken = taken + 1 WHERE id = $1";

fn raw_booking_args(r: &AllocationRequest, slot_id: i64, state: &str) -> Vec<Arg> {
    loket_store::args![
        r.booking_id,
        r.account_id,
        r.applicant_id,
        r.nik.as_str(),
        slot_id,
        r.slot.office_code.clone(),
        r.slot.service_date,
        r.slot.session_code.clone(),
        r.slot.class.as_str(),
        state,
        r.billing_code.as_str(),
        r.payment_deadline,
        serde_json::to_string(&r.service).unwrap(),
        r.travel_purpose.as_str(),
        r.fee_table_code.clone(),
        r.fee_total,
        serde_json::to_string(&r.fee_lines).unwrap(),
        r.now
    ]
}

async fn active_of(db: &Ctx, nik: &loket_domain::Nik) -> i64 {
    db.store
        .pool()
        .fetch_optional(ACTIVE_OF_NIK, loket_store::args![nik.as_str()])
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

/// The slot id of `key`, made by booking someone else into it.
async fn slot_with_a_row(db: &Ctx, key: &SlotKey) -> i64 {
    let someone = person(&db.store).await;
    book(&db.store, &someone, key, t0()).await.slot_id
}

async fn without_the_unique_index_the_check_alone_refuses_a_second_booking_of_a_nik_on_every_path(
    db: Ctx,
) {
    seed(&db.store).await;
    db.store
        .pool()
        .execute(DROP_NIK_INDEX, vec![])
        .await
        .unwrap();
    let a = person(&db.store).await;
    let home = slot(day(0), "s1");
    let first = book(&db.store, &a, &home, t0()).await;
    let elsewhere = slot(day(1), "s1");
    slot_with_a_row(&db, &elsewhere).await;

    // The batch path, into a slot that has its row...
    assert_err!(
        db.store
            .allocate(request(&a, &elsewhere, t0() + ms(1)))
            .await,
        StoreError::NikHasActiveBooking
    );
    // ...into one that has none yet (the batch makes it, or the slot lock does)...
    assert_err!(
        db.store
            .allocate(request(&a, &slot(day(2), "s1"), t0() + ms(2)))
            .await,
        StoreError::NikHasActiveBooking
    );
    // ...and into the slot of the active booking itself.
    assert_err!(
        db.store.allocate(request(&a, &home, t0() + ms(3))).await,
        StoreError::NikHasActiveBooking
    );
    // The one-transaction path: both batches hand a keyed request whose NIK is busy on to
    // it (it may be a replay, which only the key lookup there can tell).
    let mut keyed = request(&a, &elsewhere, t0() + ms(4));
    keyed.idempotency_key = Some("second".into());
    keyed.request_fingerprint = Some("sha256:second".into());
    assert_err!(
        db.store.allocate(keyed).await,
        StoreError::NikHasActiveBooking
    );
    // The same person listed on another account.
    let twin = loket_store::Applicant {
        id: uuid::Uuid::now_v7(),
        account_id: account(&db.store).await,
        ..a.clone()
    };
    db.store.add_applicant(&twin, t0()).await.unwrap();
    assert_err!(
        db.store
            .allocate(request(&twin, &elsewhere, t0() + ms(5)))
            .await,
        StoreError::NikHasActiveBooking
    );
    assert_eq!(active_of(&db, &a.nik).await, 1);

    // The first hold lapses and the NIK books again (the one-transaction path expires the
    // lapsed hold first)...
    let later = first.payment_deadline + Duration::minutes(1);
    let second = book(&db.store, &a, &elsewhere, later).await;
    // ...so a late payment of the first must not restore it, although its place is free...
    assert_eq!(
        db.store
            .record_payment(&notice(&first, "paid", later), later)
            .await
            .unwrap(),
        PaymentOutcome::RefundDue
    );
    // ...and moving the refund to a free slot, which would pay it, is refused.
    assert_err!(
        db.store
            .reschedule_booking(first.id, slot(day(3), "s1"), false, later + ms(1))
            .await,
        StoreError::NikHasActiveBooking
    );
    assert_eq!(
        reload(&db.store, &first).await.state,
        BookingState::RefundDue
    );
    assert_eq!(
        reload(&db.store, &second).await.state,
        BookingState::AwaitingPayment
    );
    assert_eq!(active_of(&db, &a.nik).await, 1);
}

async fn without_the_check_the_unique_index_alone_refuses_a_second_active_booking_of_a_nik(
    db: Ctx,
) {
    seed(&db.store).await;
    let a = person(&db.store).await;
    book(&db.store, &a, &slot(day(0), "s1"), t0()).await;
    let other = slot(day(1), "s1");
    let slot_id = slot_with_a_row(&db, &other).await;
    let pool = db.store.pool();

    for state in ["awaiting_payment", "payment_pending", "paid"] {
        let r = pool
            .execute(
                RAW_BOOKING,
                raw_booking_args(&request(&a, &other, t0() + ms(1)), slot_id, state),
            )
            .await;
        assert!(
            matches!(&r, Err(sqlx::Error::Database(e)) if e.is_unique_violation()),
            "a second {state} booking of the NIK was not refused by the index: {r:?}"
        );
    }
    // The index covers active bookings only: past ones of the NIK may be any number.
    for state in ["cancelled", "expired", "refund_due", "expired"] {
        pool.execute(
            RAW_BOOKING,
            raw_booking_args(&request(&a, &other, t0() + ms(2)), slot_id, state),
        )
        .await
        .unwrap();
    }
    assert_eq!(active_of(&db, &a.nik).await, 1);
}

/// Polls until a backend of this database waits for a lock (the allocation blocked on the
/// index entry of the uncommitted booking) or `attempt` has finished.
async fn until_waiting_for_a_lock(db: &Ctx, attempt: &tokio::task::JoinHandle<impl Send>) {
    const WAITING: &str = "SELECT COUNT(*) AS n FROM pg_stat_activity \
        WHERE datname = current_database() AND wait_event_type = 'Lock'";
    for _ in 0..500 {
        let n = db
            .store
            .pool()
            .fetch_optional(WAITING, vec![])
            .await
            .unwrap()
            .unwrap()
            .i64("n")
            .unwrap();
        if n > 0 || attempt.is_finished() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the allocation neither waited for a lock nor finished within 10 s");
}

/// The batch path: its insert checks the NIK in the same statement (`NOT EXISTS`), which
/// cannot see a booking another transaction has not committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_the_index_refuses_a_batch_booking_of_a_nik_another_slot_has_not_committed() {
    run(Engine::Postgres, |db| async move {
        seed(&db.store).await;
        let a = person(&db.store).await;
        let (s1, s2) = (slot(day(0), "s1"), slot(day(1), "s1"));
        let s1_id = slot_with_a_row(&db, &s1).await;
        slot_with_a_row(&db, &s2).await;

        // Another instance's transaction books the NIK into s1 and has not committed yet.
        let mut other = db.store.pool().begin_write().await.unwrap();
        other
            .execute(
                RAW_BOOKING,
                raw_booking_args(&request(&a, &s1, t0()), s1_id, "awaiting_payment"),
            )
            .await
            .unwrap();
        other
            .execute(RAW_COUNT, loket_store::args![s1_id])
            .await
            .unwrap();
        let store = db.store.clone();
        let req = request(&a, &s2, t0() + ms(1));
        let attempt = tokio::spawn(async move { store.allocate(req).await });
        until_waiting_for_a_lock(&db, &attempt).await;
        other.commit().await.unwrap();

        let r = attempt.await.unwrap();
        assert!(
            matches!(r, Err(StoreError::NikHasActiveBooking)),
            "the second booking of the NIK got {r:?}"
        );
        assert_eq!(active_of(&db, &a.nik).await, 1);
        let mine = db.store.list_bookings(a.account_id).await.unwrap();
        assert_eq!(mine.len(), 1, "only the other transaction's booking");
        assert_eq!(mine[0].slot, s1);
    })
    .await;
}

/// The one-transaction path (here the retry of a batch that failed): its NIK check and
/// its insert are two statements, and the check cannot see the uncommitted booking either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_the_index_refuses_a_retried_booking_of_a_nik_another_slot_has_not_committed() {
    run(Engine::Postgres, |db| async move {
        seed(&db.store).await;
        let a = person(&db.store).await;
        let (s1, s2) = (slot(day(0), "s1"), slot(day(1), "s1"));
        let s1_id = slot_with_a_row(&db, &s1).await;
        slot_with_a_row(&db, &s2).await;
        poison_bookings(&db).await;

        let mut other = db.store.pool().begin_write().await.unwrap();
        other
            .execute(
                RAW_BOOKING,
                raw_booking_args(&request(&a, &s1, t0()), s1_id, "awaiting_payment"),
            )
            .await
            .unwrap();
        other
            .execute(RAW_COUNT, loket_store::args![s1_id])
            .await
            .unwrap();
        // A batch of s2 with a poisoned booking first and the NIK's after it: the batch
        // fails, and each is retried on its own.
        let held = Held::hold(&db, &s2).await;
        let blocker = queue(&db.store, request(&person(&db.store).await, &s2, t0())).await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let mut poisoned = request(&person(&db.store).await, &s2, t0() + ms(1));
        poisoned.fee_table_code = POISON.into();
        let poisoned = queue(&db.store, poisoned).await;
        let attempt = queue(&db.store, request(&a, &s2, t0() + ms(2))).await;
        let attempt = tokio::spawn(attempt.answer());
        held.release().await;
        blocker.answer().await.unwrap();
        assert!(matches!(
            poisoned.answer().await,
            Err(StoreError::Database(_))
        ));
        until_waiting_for_a_lock(&db, &attempt).await;
        other.commit().await.unwrap();

        let r = attempt.await.unwrap();
        assert!(
            matches!(r, Err(StoreError::NikHasActiveBooking)),
            "the second booking of the NIK got {r:?}"
        );
        assert_eq!(active_of(&db, &a.nik).await, 1);
        let mine = db.store.list_bookings(a.account_id).await.unwrap();
        assert_eq!(mine.len(), 1, "only the other transaction's booking");
        assert_eq!(mine[0].slot, s1);
    })
    .await;
}
