//! The one-transaction allocation path behind both batch allocators. Each batch hands some
//! allocations on to it after its commit (SQLite: a keyed request for a full session, a
//! keyed request whose NIK holds a booking, a lapsed hold of the NIK still in the unique
//! index, a row a unique index refused, a session without places, an unknown office, a
//! batch that failed; PostgreSQL: a row its insert skipped, a batch that failed), and that
//! path counts the places again. Each story below reaches it one of those ways with the
//! session full by then, and checks that it is refused as full and that exactly the
//! capacity is booked. (A session without places: `bookings.rs`, the Saturday of
//! `a_new_slot_takes_its_capacity_from_the_quota_in_force`; a busy NIK:
//! `one_booking_per_nik.rs`.) The batches are formed with `holding::in_one_batch`, so that
//! an allocation handed on meets a session that a later allocation of its own batch filled.

use chrono::{DateTime, Duration, Utc};
use loket_store::prelude::*;
use loket_store::{AllocationRequest, Booking, SlotKey, StoreError, StoreResult};

use crate::assert_err;
use crate::helpers::{
    Ctx, book, day, ms, people, person, request, seed, set_capacity, slot, t0, taken, two_hours,
};
use crate::holding::{POISON, in_one_batch, poison_bookings};

conformance!(
    a_keyed_booking_into_a_full_session_is_refused_as_full,
    a_replayed_key_on_a_full_session_returns_its_booking_and_takes_no_place,
    a_lapsed_hold_handed_on_finds_the_session_its_batch_filled_full,
    an_insert_conflict_handed_on_finds_the_session_its_batch_filled_full,
    the_allocations_of_a_failed_batch_retried_one_by_one_take_exactly_the_places_left,
    a_batch_that_fails_after_booking_answers_each_booking_it_made,
);

/// Every booking ever made in a slot, whatever its state.
const ROWS_IN_SLOT: &str = "SELECT COUNT(*) AS n FROM bookings WHERE office_code = $1 \
    AND service_date = $2 AND session_code = $3 AND class = $4";

async fn rows_in(db: &Ctx, key: &SlotKey) -> i64 {
    db.store
        .pool()
        .fetch_optional(
            ROWS_IN_SLOT,
            loket_store::args![
                key.office_code.clone(),
                key.service_date,
                key.session_code.clone(),
                key.class.as_str()
            ],
        )
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

/// A request carrying an Idempotency-Key, as the API sends it.
fn keyed(mut req: AllocationRequest, key: &str, body: &str) -> AllocationRequest {
    req.idempotency_key = Some(key.into());
    req.request_fingerprint = Some(format!("sha256:{body}"));
    req
}

/// A session of `capacity` places filled by as many bookings made at `now` (the first
/// makes the slot's row).
async fn full_session(db: &Ctx, key: &SlotKey, capacity: i64, now: DateTime<Utc>) {
    set_capacity(&db.store, key, capacity).await;
    for a in people(&db.store, capacity as usize).await {
        book(&db.store, &a, key, now).await;
    }
    assert_eq!(taken(&db.store, key, now).await, capacity);
}

/// SQLite's allocator hands a keyed request for a full session on (a replay must find its
/// booking even there); PostgreSQL's batch looks the key up and refuses it itself.
async fn a_keyed_booking_into_a_full_session_is_refused_as_full(db: Ctx) {
    seed(&db.store).await;
    let key = slot(day(0), "s1");
    full_session(&db, &key, 2, t0()).await;

    let c = person(&db.store).await;
    let req = keyed(request(&c, &key, t0() + ms(1)), "key-full", "c");
    assert_err!(db.store.allocate(req.clone()).await, StoreError::QuotaFull);
    // The client's retry (a new booking id and billing code, the same key and body) is
    // not a replay: nothing was booked under the key.
    let retry = keyed(request(&c, &key, t0() + ms(2)), "key-full", "c");
    assert_err!(db.store.allocate(retry).await, StoreError::QuotaFull);
    assert!(
        db.store
            .booking_by_idempotency_key(c.account_id, "key-full")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(taken(&db.store, &key, t0() + ms(2)).await, 2);
    assert_eq!(rows_in(&db, &key).await, 2);
    assert!(
        db.store
            .list_bookings(c.account_id)
            .await
            .unwrap()
            .is_empty()
    );
    // The refused applicant is free to book elsewhere.
    book(&db.store, &c, &slot(day(0), "s2"), t0() + ms(3)).await;
}

async fn a_replayed_key_on_a_full_session_returns_its_booking_and_takes_no_place(db: Ctx) {
    seed(&db.store).await;
    let key = slot(day(0), "s1");
    set_capacity(&db.store, &key, 1).await;
    let a = person(&db.store).await;
    let first = db
        .store
        .allocate(keyed(request(&a, &key, t0()), "key-a", "a"))
        .await
        .unwrap();

    // The session is full with the booking itself: its retry replays it.
    let retry = keyed(request(&a, &key, t0() + ms(30)), "key-a", "a");
    assert_eq!(db.store.allocate(retry).await.unwrap().id, first.id);
    // The same key with another body is refused as a mismatch, full or not.
    let other = keyed(request(&a, &key, t0() + ms(31)), "key-a", "changed");
    assert_err!(
        db.store.allocate(other).await,
        StoreError::IdempotencyMismatch
    );
    assert_eq!(taken(&db.store, &key, t0() + ms(31)).await, 1);
    assert_eq!(rows_in(&db, &key).await, 1);

    // The hold lapses and someone else takes the place; a late retry still replays the
    // first booking instead of taking a place.
    let later = t0() + two_hours() + Duration::seconds(1);
    let b = person(&db.store).await;
    book(&db.store, &b, &key, later).await;
    let late = keyed(request(&a, &key, later + ms(1)), "key-a", "a");
    let replayed: Booking = db.store.allocate(late).await.unwrap();
    assert_eq!(replayed.id, first.id);
    assert_eq!(taken(&db.store, &key, later + ms(1)).await, 1);
    assert_eq!(rows_in(&db, &key).await, 2);
    assert_eq!(db.store.list_bookings(a.account_id).await.unwrap().len(), 1);
}

/// A three-place session with one place taken at `now`, and the blocker that takes the
/// second one (see `holding::in_one_batch`).
async fn one_place_left_after_the_blocker(
    db: &Ctx,
    key: &SlotKey,
    now: DateTime<Utc>,
) -> AllocationRequest {
    set_capacity(&db.store, key, 3).await;
    let first = person(&db.store).await;
    book(&db.store, &first, key, now).await;
    let blocker = person(&db.store).await;
    request(&blocker, key, now)
}

/// Checks the end of a story: the blocker and `filler` booked, `handed_on` refused as full,
/// and exactly three bookings in the three-place session.
async fn assert_full_with_three(
    db: &Ctx,
    key: &SlotKey,
    now: DateTime<Utc>,
    blocker: StoreResult<Booking>,
    handed_on: StoreResult<Booking>,
    filler: StoreResult<Booking>,
) {
    blocker.expect("the blocker books");
    filler.expect("the last of the batch takes the last place");
    assert!(
        matches!(handed_on, Err(StoreError::QuotaFull)),
        "the allocation handed on must find the session full: {handed_on:?}"
    );
    assert_eq!(taken(&db.store, key, now).await, 3);
    assert_eq!(rows_in(db, key).await, 3);
}

/// A NIK whose hold lapsed but is still `awaiting_payment` (no sweep yet) holds its entry
/// in the unique index: both batches hand it on, for the one-transaction path to expire
/// the hold first. A later allocation of the same batch takes the last place meanwhile.
async fn a_lapsed_hold_handed_on_finds_the_session_its_batch_filled_full(db: Ctx) {
    seed(&db.store).await;
    let a = person(&db.store).await;
    let lapsing = book(&db.store, &a, &slot(day(0), "s2"), t0()).await;
    let now = lapsing.payment_deadline + Duration::hours(1);

    let key = slot(day(1), "s1");
    let blocker = one_place_left_after_the_blocker(&db, &key, now).await;
    let b = person(&db.store).await;
    let (blocker, answers) = in_one_batch(
        &db,
        &key,
        blocker,
        vec![
            request(&a, &key, now + ms(1)),
            request(&b, &key, now + ms(2)),
        ],
    )
    .await;
    let [handed_on, filler]: [StoreResult<Booking>; 2] = answers.try_into().unwrap();
    assert_full_with_three(&db, &key, now + ms(2), blocker, handed_on, filler).await;
    // The refusal changed nothing: the NIK's only booking is the lapsed hold.
    let mine = db.store.list_bookings(a.account_id).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, lapsing.id);
}

/// A row that a unique index refuses although its NIK is free (here its billing code is
/// already in use): SQLite's insert fails on the constraint, PostgreSQL's skips it, and both
/// hand it on. A later allocation of the same batch takes the last place meanwhile.
async fn an_insert_conflict_handed_on_finds_the_session_its_batch_filled_full(db: Ctx) {
    seed(&db.store).await;
    let now = t0();
    let key = slot(day(1), "s1");
    let blocker = one_place_left_after_the_blocker(&db, &key, now).await;
    let holder = person(&db.store).await;
    let theirs = book(&db.store, &holder, &slot(day(2), "s2"), now).await;
    let a = person(&db.store).await;
    let mut clash = request(&a, &key, now + ms(1));
    clash.billing_code = theirs.billing_code.clone();
    let b = person(&db.store).await;
    let (blocker, answers) = in_one_batch(
        &db,
        &key,
        blocker,
        vec![clash, request(&b, &key, now + ms(2))],
    )
    .await;
    let [handed_on, filler]: [StoreResult<Booking>; 2] = answers.try_into().unwrap();
    assert_full_with_three(&db, &key, now + ms(2), blocker, handed_on, filler).await;
    assert!(
        db.store
            .list_bookings(a.account_id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A batch that fails as a whole (here a poisoned booking's insert errors) is retried one
/// allocation at a time on the one-transaction path, which must count the places again.
async fn the_allocations_of_a_failed_batch_retried_one_by_one_take_exactly_the_places_left(
    db: Ctx,
) {
    seed(&db.store).await;
    let now = t0();
    let key = slot(day(1), "s1");
    let blocker = one_place_left_after_the_blocker(&db, &key, now).await;
    poison_bookings(&db).await;
    let p = person(&db.store).await;
    let mut poisoned = request(&p, &key, now + ms(1));
    poisoned.fee_table_code = POISON.into();
    let rest = people(&db.store, 3).await;
    let mut reqs = vec![poisoned];
    reqs.extend(rest.iter().map(|a| request(a, &key, now + ms(2))));
    let (blocker, answers) = in_one_batch(&db, &key, blocker, reqs).await;

    let mut answers = answers.into_iter();
    let poisoned = answers.next().unwrap();
    // The poisoned booking fails wherever it runs, unless the session is full by then.
    assert!(
        matches!(
            poisoned,
            Err(StoreError::Database(_)) | Err(StoreError::QuotaFull)
        ),
        "{poisoned:?}"
    );
    // On SQLite the retries run side by side, so which one gets the last place is open;
    // exactly one of them (or the blocker) does.
    let mut all = vec![blocker];
    all.extend(answers);
    let outcomes: Vec<String> = all
        .iter()
        .map(|r| match r {
            Ok(_) => "booked".to_owned(),
            Err(e) => format!("{e:?}"),
        })
        .collect();
    let booked = all.iter().filter(|r| r.is_ok()).count();
    let full = all
        .iter()
        .filter(|r| matches!(r, Err(StoreError::QuotaFull)))
        .count();
    assert_eq!(
        (booked, full),
        (2, 2),
        "two places were left for four: {outcomes:?}"
    );
    assert_eq!(taken(&db.store, &key, now + ms(2)).await, 3);
    assert_eq!(rows_in(&db, &key).await, 3);
}

/// A batch that fails after some of it was booked and kept (PostgreSQL: a first statement
/// books, the statement for the places a skipped row left over fails; SQLite: the whole
/// transaction fails and is retried one by one) answers each booking made with that
/// booking, never with "this NIK already has a booking" because of its own booking.
async fn a_batch_that_fails_after_booking_answers_each_booking_it_made(db: Ctx) {
    seed(&db.store).await;
    let now = t0();
    let key = slot(day(1), "s1");
    set_capacity(&db.store, &key, 4).await;
    let first = person(&db.store).await;
    book(&db.store, &first, &key, now).await;
    let blocker = request(&person(&db.store).await, &key, now);
    let holder = person(&db.store).await;
    let theirs = book(&db.store, &holder, &slot(day(2), "s2"), now).await;
    let mut clash = request(&person(&db.store).await, &key, now + ms(1));
    clash.billing_code = theirs.billing_code.clone();
    let b = request(&person(&db.store).await, &key, now + ms(2));
    let b_id = b.booking_id;
    poison_bookings(&db).await;
    let mut poisoned = request(&person(&db.store).await, &key, now + ms(3));
    poisoned.fee_table_code = POISON.into();
    let (blocker, answers) = in_one_batch(&db, &key, blocker, vec![clash, b, poisoned]).await;
    let [clash, b, poisoned]: [StoreResult<Booking>; 3] = answers.try_into().unwrap();
    blocker.expect("the blocker books");
    assert_err!(clash, StoreError::BillingCodeTaken);
    assert_eq!(b.expect("the booking made is answered").id, b_id);
    assert!(
        matches!(poisoned, Err(StoreError::Database(_))),
        "{poisoned:?}"
    );
    assert_eq!(taken(&db.store, &key, now + ms(3)).await, 3);
    assert_eq!(rows_in(&db, &key).await, 3);
}
