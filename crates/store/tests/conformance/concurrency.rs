//! Races, the heart of the suite: however many requests arrive at once, on one instance or
//! two, a slot never holds more bookings than its capacity, a NIK never holds two, an account
//! never lists six applicants, a payment settles once and a lapsed hold expires once.
//!
//! Every race is started by `stampede`, which releases all attempts from one barrier. The
//! CONTROL at the end runs a deliberately naive allocation through the same harness to show
//! that the harness does catch overbooking when the guard is missing.

use std::fmt::Debug;

use chrono::{DateTime, Duration, Utc};
use loket_store::db::Pool;
use loket_store::prelude::*;
use loket_store::{AllocationRequest, PaymentOutcome, SqlStore, StoreError, StoreResult};

use crate::helpers::{
    Ctx, Engine, OFFICE, TestDb, account, book, close, day, new_applicant, notice, people, person,
    reload, request, seed, set_capacity, slot, stampede, t0, taken, usage,
};

conformance!(
    three_hundred_simultaneous_bookings_for_seventy_five_places_take_exactly_seventy_five,
    two_app_instances_booking_at_once_never_overbook,
    one_nik_booking_ten_slots_at_once_ends_with_one_active_booking,
    one_nik_booking_one_slot_ten_times_at_once_ends_with_one_active_booking,
    a_quota_change_racing_the_first_bookings_never_leaves_more_taken_than_capacity,
    ten_simultaneous_applicant_additions_stop_at_five,
    simultaneous_retries_with_one_idempotency_key_all_get_the_same_booking,
    many_simultaneous_key_lookups_each_find_their_own_booking_or_none,
    many_simultaneous_token_and_applicant_lookups_each_find_their_own_or_none,
    simultaneous_deliveries_of_one_payment_settle_it_once,
    two_instances_sweeping_at_once_expire_each_hold_once,
    two_instances_claiming_mail_at_once_never_claim_the_same_mail,
    control_a_naive_read_then_write_allocation_is_caught_overbooking,
    a_count_kept_between_batches_gives_a_place_back_when_a_hold_lapses,
    a_count_kept_between_batches_sees_a_cancellation_made_elsewhere,
);

const ATTEMPTS: usize = 300;
const CAPACITY: i64 = 75;

/// (successes, results matching `expected`, anything else described).
fn tally<T: Debug>(
    results: &[StoreResult<T>],
    expected: impl Fn(&StoreError) -> bool,
) -> (usize, usize, Vec<String>) {
    let mut ok = 0;
    let mut refused = 0;
    let mut other = Vec::new();
    for r in results {
        match r {
            Ok(_) => ok += 1,
            Err(e) if expected(e) => refused += 1,
            Err(e) => other.push(format!("{e:?}")),
        }
    }
    (ok, refused, other)
}

async fn count(pool: &Pool, sql: &'static str, args: Vec<loket_store::db::Arg>) -> i64 {
    pool.fetch_optional(sql, args)
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

/// 300 requests for distinct applicants, released at once, spread over `stores` round-robin
/// in halves (the first half on the first store, and so on).
async fn rush(stores: &[SqlStore], requests: Vec<AllocationRequest>) -> Vec<StoreResult<()>> {
    let per_store = requests.len().div_ceil(stores.len());
    stampede(requests.len(), |i| {
        let store = stores[i / per_store].clone();
        let req = requests[i].clone();
        async move { store.allocate(req).await.map(|_| ()) }
    })
    .await
}

async fn rush_requests(db: &Ctx) -> Vec<AllocationRequest> {
    let applicants = people(&db.store, ATTEMPTS).await;
    let key = slot(day(0), "s1");
    set_capacity(&db.store, &key, CAPACITY).await;
    applicants.iter().map(|a| request(a, &key, t0())).collect()
}

async fn assert_exactly_full(db: &Ctx, results: &[StoreResult<()>]) {
    let (ok, full, other) = tally(results, |e| matches!(e, StoreError::QuotaFull));
    assert!(other.is_empty(), "unexpected errors: {other:?}");
    assert_eq!(
        (ok, full),
        (CAPACITY as usize, ATTEMPTS - CAPACITY as usize)
    );
    let u = usage(&db.store, &slot(day(0), "s1"), t0()).await.unwrap();
    assert_eq!((u.capacity, u.taken), (CAPACITY, CAPACITY));
    let rows = count(
        db.store.pool(),
        "SELECT COUNT(*) AS n FROM bookings",
        vec![],
    )
    .await;
    assert_eq!(rows, CAPACITY);
}

async fn three_hundred_simultaneous_bookings_for_seventy_five_places_take_exactly_seventy_five(
    db: Ctx,
) {
    seed(&db.store).await;
    // The slot has no row yet: creating it is part of the race.
    let requests = rush_requests(&db).await;
    let results = rush(std::slice::from_ref(&db.store), requests).await;
    assert_exactly_full(&db, &results).await;
}

/// Two pools on one database, as two app instances behind a load balancer. On SQLite this
/// is not a supported deployment, but the file lock must still hold.
async fn two_app_instances_booking_at_once_never_overbook(db: Ctx) {
    seed(&db.store).await;
    let requests = rush_requests(&db).await;
    let second = db.another_instance().await;
    let results = rush(&[db.store.clone(), second.clone()], requests).await;
    close(&second).await;
    assert_exactly_full(&db, &results).await;
}

async fn one_nik_booking_ten_slots_at_once_ends_with_one_active_booking(db: Ctx) {
    seed(&db.store).await;
    let keys: Vec<_> = (0..5)
        .flat_map(|d| ["s1", "s2"].map(|s| slot(day(d), s)))
        .collect();
    one_nik_at_once(&db, keys).await;
}

/// The same NIK ten times in one slot: the attempts share a batch (on PostgreSQL one
/// multi-row insert), and the first one in wins.
async fn one_nik_booking_one_slot_ten_times_at_once_ends_with_one_active_booking(db: Ctx) {
    seed(&db.store).await;
    let key = slot(day(1), "s1");
    // Someone else's booking first, so that the slot's row exists and the batch path runs.
    let other = person(&db.store).await;
    book(&db.store, &other, &key, t0()).await;
    one_nik_at_once(&db, vec![key; 10]).await;
}

/// One new person tries every slot of `keys` at once; exactly one attempt books.
async fn one_nik_at_once(db: &Ctx, keys: Vec<loket_store::SlotKey>) {
    let a = person(&db.store).await;
    let store = db.store.clone();
    let results = stampede(keys.len(), |i| {
        let store = store.clone();
        let req = request(&a, &keys[i], t0());
        async move { store.allocate(req).await.map(|_| ()) }
    })
    .await;
    let (ok, busy, other) = tally(&results, |e| matches!(e, StoreError::NikHasActiveBooking));
    assert!(other.is_empty(), "unexpected errors: {other:?}");
    assert_eq!((ok, busy), (1, keys.len() - 1));
    let active = count(
        db.store.pool(),
        "SELECT COUNT(*) AS n FROM bookings WHERE nik = $1",
        loket_store::args![a.nik.as_str()],
    )
    .await;
    assert_eq!(active, 1);
}

/// The first booking of a date creates its slot row from the quota tables while a head of
/// office may be changing them. Whichever wins, the slot never holds more than its capacity,
/// and a change that succeeded is the capacity in force.
async fn a_quota_change_racing_the_first_bookings_never_leaves_more_taken_than_capacity(db: Ctx) {
    seed(&db.store).await;
    const PER_ROUND: usize = 20;
    let applicants = people(&db.store, 5 * PER_ROUND).await;
    for round in 0..5 {
        let key = slot(day(round as u64), "s2");
        let requests: Vec<_> = applicants[round * PER_ROUND..(round + 1) * PER_ROUND]
            .iter()
            .map(|a| request(a, &key, t0()))
            .collect();
        let store = db.store.clone();
        // Attempt `round` (a different position each round) is the quota change to 3.
        let results = stampede(PER_ROUND + 1, |i| {
            let store = store.clone();
            let key = key.clone();
            let booking = match i.cmp(&round) {
                std::cmp::Ordering::Less => Some(requests[i].clone()),
                std::cmp::Ordering::Equal => None,
                std::cmp::Ordering::Greater => Some(requests[i - 1].clone()),
            };
            async move {
                match booking {
                    Some(r) => (false, store.allocate(r).await.map(|_| ())),
                    None => {
                        let changed = store
                            .set_quota_override(
                                OFFICE,
                                key.service_date,
                                &key.session_code,
                                key.class,
                                3,
                                &crate::helpers::head(),
                                t0(),
                            )
                            .await;
                        (true, changed.map(|_| ()))
                    }
                }
            }
        })
        .await;
        let (quota, bookings): (Vec<_>, Vec<_>) = results.into_iter().partition(|(q, _)| *q);
        let bookings: Vec<StoreResult<()>> = bookings.into_iter().map(|(_, r)| r).collect();
        let (ok, full, other) = tally(&bookings, |e| matches!(e, StoreError::QuotaFull));
        assert!(
            other.is_empty(),
            "round {round}: unexpected errors {other:?}"
        );
        let u = usage(&db.store, &key, t0()).await.unwrap();
        assert_eq!(u.taken as usize, ok, "round {round}");
        assert!(u.taken <= u.capacity, "round {round}: {u:?}");
        match &quota[0].1 {
            Ok(()) => assert_eq!(
                (u.capacity, ok, full),
                (3, 3, PER_ROUND - 3),
                "round {round}"
            ),
            Err(StoreError::CapacityBelowTaken { taken }) => {
                assert!(*taken > 3, "round {round}");
                assert_eq!(u.capacity, 10, "round {round}");
            }
            Err(e) => panic!("round {round}: the quota change failed: {e:?}"),
        }
    }
}

async fn ten_simultaneous_applicant_additions_stop_at_five(db: Ctx) {
    let acc = account(&db.store).await;
    let store = db.store.clone();
    let results = stampede(10, |_| {
        let store = store.clone();
        let a = new_applicant(acc);
        async move { store.add_applicant(&a, t0()).await }
    })
    .await;
    let (ok, refused, other) = tally(&results, |e| matches!(e, StoreError::ApplicantLimitReached));
    assert!(other.is_empty(), "unexpected errors: {other:?}");
    assert_eq!((ok, refused), (5, 5));
    assert_eq!(db.store.list_applicants(acc).await.unwrap().len(), 5);
}

/// A client that times out and retries sends the same key while the first request may still
/// be in flight; every copy must get the one booking.
async fn simultaneous_retries_with_one_idempotency_key_all_get_the_same_booking(db: Ctx) {
    seed(&db.store).await;
    let mut problems = Vec::new();
    for round in 0..3 {
        let a = person(&db.store).await;
        let key = slot(day(round), "s1");
        let idem = format!("retry-{round}");
        let store = db.store.clone();
        let results = stampede(8, |_| {
            let store = store.clone();
            let mut req = request(&a, &key, t0());
            req.idempotency_key = Some(idem.clone());
            req.request_fingerprint = Some("sha256:same-body".into());
            async move { store.allocate(req).await.map(|b| b.id) }
        })
        .await;
        let bookings = db.store.list_bookings(a.account_id).await.unwrap();
        assert_eq!(bookings.len(), 1, "round {round}: one booking made");
        let failed: Vec<String> = results
            .iter()
            .filter(|r| !matches!(r, Ok(id) if *id == bookings[0].id))
            .map(|r| format!("{r:?}"))
            .collect();
        if !failed.is_empty() {
            problems.push(format!(
                "round {round}: {} of 8 retries got {failed:?}",
                failed.len()
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// 120 lookups at once (on PostgreSQL answered together, a query for many): each finds
/// the booking its account made with its key, and none where there is none (another
/// account's key, an unused key). A key the database refuses (a NUL character on
/// PostgreSQL) fails alone, not the lookups answered with it.
async fn many_simultaneous_key_lookups_each_find_their_own_booking_or_none(db: Ctx) {
    seed(&db.store).await;
    let mut made = Vec::new();
    for i in 0..4u64 {
        let a = person(&db.store).await;
        let mut req = request(&a, &slot(day(i), "s1"), t0());
        req.idempotency_key = Some(format!("key-{i}"));
        let b = db.store.allocate(req).await.unwrap();
        made.push((a.account_id, b.id));
    }
    let store = db.store.clone();
    let made2 = made.clone();
    let results = stampede(120, |i| {
        let store = store.clone();
        let (account, _) = made2[i % 4];
        let key = match i % 5 {
            0..=2 => format!("key-{}", i % 4),
            3 => "never-used".to_owned(),
            _ => "bad\0key".to_owned(),
        };
        async move { (i, store.booking_by_idempotency_key(account, &key).await) }
    })
    .await;
    let mut wrong = Vec::new();
    for (i, r) in results {
        let expected = match i % 5 {
            0..=2 => Some(made[i % 4].1),
            _ => None,
        };
        match (i % 5, r) {
            (4, Err(_)) if db.engine == Engine::Postgres => {}
            (_, Ok(found)) if found.as_ref().map(|b| b.id) == expected => {}
            (_, other) => wrong.push(format!("{i}: {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// 200 lookups at once of tokens and applicants (on PostgreSQL answered together, a
/// query for many of each kind): each token finds its own account until it expires, an
/// unknown or expired one nothing; each account finds its own applicants and never another
/// account's. A token the database refuses (a NUL character on PostgreSQL) fails alone.
async fn many_simultaneous_token_and_applicant_lookups_each_find_their_own_or_none(db: Ctx) {
    use loket_store::Principal;
    let expires = t0() + Duration::hours(1);
    let mut mine = Vec::new();
    for i in 0..4 {
        let a = person(&db.store).await;
        let p = Principal::Account {
            id: a.account_id,
            verified: false,
        };
        let until = if i == 3 {
            t0() + Duration::seconds(1)
        } else {
            expires
        };
        db.store
            .create_token(&format!("tok-{i}"), &p, t0(), until)
            .await
            .unwrap();
        mine.push(a);
    }
    let before = SqlStore::reads_answered_together();
    let store = db.store.clone();
    let people = mine.clone();
    let now = t0() + Duration::minutes(1);
    let results = stampede(200, |i| {
        let store = store.clone();
        let (me, other) = (people[i % 4].clone(), people[(i + 1) % 4].clone());
        async move {
            let found = match i % 5 {
                // Tokens: one of mine (tok-3 has expired by now), an unknown one, a bad one.
                0 => store
                    .principal(&format!("tok-{}", i % 4), now)
                    .await
                    .map(|p| {
                        p.map(|(p, _)| match p {
                            Principal::Account { id, .. } => Some(id),
                            Principal::Staff(_) => None,
                        })
                    }),
                1 => store
                    .principal("tok-unknown", now)
                    .await
                    .map(|p| p.map(|_| None)),
                2 => store
                    .principal("bad\0tok", now)
                    .await
                    .map(|p| p.map(|_| None)),
                // Applicants: my own, another account's.
                3 => store
                    .get_applicant(me.account_id, me.id)
                    .await
                    .map(|a| a.map(|a| Some(a.id))),
                _ => store
                    .get_applicant(me.account_id, other.id)
                    .await
                    .map(|a| a.map(|a| Some(a.id))),
            };
            (i, found)
        }
    })
    .await;
    let mut wrong = Vec::new();
    for (i, r) in results {
        let expected = match i % 5 {
            0 if i % 4 == 3 => None,
            0 => Some(Some(mine[i % 4].account_id)),
            3 => Some(Some(mine[i % 4].id)),
            _ => None,
        };
        match (i % 5, r) {
            (2, Err(_)) if db.engine == Engine::Postgres => {}
            (_, Ok(found)) if found == expected => {}
            (_, other) => wrong.push(format!("{i}: {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    if db.engine == Engine::Postgres {
        let together = SqlStore::reads_answered_together() - before;
        println!("{together} of 200 lookups answered in a query shared with others");
        assert!(together > 0, "every lookup took a query of its own");
    }
}

async fn simultaneous_deliveries_of_one_payment_settle_it_once(db: Ctx) {
    seed(&db.store).await;
    let paid_at: DateTime<Utc> = t0() + Duration::minutes(30);
    // The same notice delivered ten times at once...
    let a = person(&db.store).await;
    let b = crate::helpers::book(&db.store, &a, &slot(day(0), "s1"), t0()).await;
    let n = notice(&b, "paid", paid_at);
    let store = db.store.clone();
    let results = stampede(10, |_| {
        let (store, n) = (store.clone(), n.clone());
        async move { store.record_payment(&n, paid_at).await }
    })
    .await;
    let outcomes: Vec<PaymentOutcome> = results.into_iter().map(Result::unwrap).collect();
    let paid = outcomes
        .iter()
        .filter(|o| **o == PaymentOutcome::Paid)
        .count();
    let dup = outcomes
        .iter()
        .filter(|o| **o == PaymentOutcome::Duplicate)
        .count();
    assert_eq!((paid, dup), (1, 9), "{outcomes:?}");

    // ...and ten different notices for one booking at once (two banks, a clerk's retry).
    let c = person(&db.store).await;
    let b2 = crate::helpers::book(&db.store, &c, &slot(day(0), "s1"), t0()).await;
    let results = stampede(10, |_| {
        let store = store.clone();
        let n = notice(&b2, "paid", paid_at);
        async move { store.record_payment(&n, paid_at).await }
    })
    .await;
    let outcomes: Vec<PaymentOutcome> = results.into_iter().map(Result::unwrap).collect();
    let paid = outcomes
        .iter()
        .filter(|o| **o == PaymentOutcome::Paid)
        .count();
    let dup = outcomes
        .iter()
        .filter(|o| **o == PaymentOutcome::Duplicate)
        .count();
    assert_eq!((paid, dup), (1, 9), "{outcomes:?}");
    let settled = count(
        db.store.pool(),
        "SELECT COUNT(*) AS n FROM booking_events WHERE to_state = 'paid'",
        vec![],
    )
    .await;
    assert_eq!(settled, 2, "one 'paid' event per booking");
}

async fn two_instances_sweeping_at_once_expire_each_hold_once(db: Ctx) {
    seed(&db.store).await;
    let applicants = people(&db.store, 40).await;
    set_capacity(&db.store, &slot(day(0), "s1"), 50).await;
    for (i, a) in applicants.iter().enumerate() {
        let r = request(
            a,
            &slot(day(0), "s1"),
            t0() + Duration::milliseconds(i as i64),
        );
        db.store.allocate(r).await.unwrap();
    }
    let now = t0() + Duration::hours(3);
    let second = db.another_instance().await;
    let stores = [db.store.clone(), second.clone()];
    let results = stampede(4, |i| {
        let store = stores[i % 2].clone();
        async move { store.expire_overdue(now, 1000).await }
    })
    .await;
    close(&second).await;
    let total: u64 = results.into_iter().map(Result::unwrap).sum();
    assert_eq!(total, 40);
    let events = count(
        db.store.pool(),
        "SELECT COUNT(*) AS n FROM booking_events WHERE to_state = 'expired'",
        vec![],
    )
    .await;
    assert_eq!(events, 40, "each hold expired exactly once");
}

async fn two_instances_claiming_mail_at_once_never_claim_the_same_mail(db: Ctx) {
    for i in 0..30 {
        let at = t0() + Duration::milliseconds(i);
        db.store
            .enqueue_mail(&format!("{i}@example.test"), "Kode", "123456", at)
            .await
            .unwrap();
    }
    let now = t0() + Duration::minutes(1);
    let second = db.another_instance().await;
    let stores = [db.store.clone(), second.clone()];
    let results = stampede(8, |i| {
        let store = stores[i % 2].clone();
        async move { store.claim_mail(now, now + Duration::minutes(5), 5).await }
    })
    .await;
    close(&second).await;
    let mut claimed: Vec<_> = results
        .into_iter()
        .flat_map(|r| r.unwrap())
        .map(|m| m.id)
        .collect();
    let total = claimed.len();
    claimed.sort();
    claimed.dedup();
    assert_eq!(claimed.len(), total, "a mail was claimed twice");
    assert!(total <= 30);
}

// ---------- CONTROL ----------
//
// CONTROL, not a feature test. This is the allocation the store must NOT be: read the places
// taken in one autocommit statement, then insert in another, with no lock and no
// transaction between them. It runs through the same `stampede` harness as the guarded test
// above. If it did not overbook, the harness would not be racing hard enough for the guarded
// tests' "exactly 75" to mean anything.

const NAIVE_SLOT: &str = "INSERT INTO slots (office_code, service_date, session_code, class, capacity) \
    VALUES ($1, $2, $3, $4, $5)";
const NAIVE_SLOT_ID: &str = "SELECT id AS n FROM slots WHERE office_code = $1 AND service_date = $2 \
    AND session_code = $3 AND class = $4";
const NAIVE_COUNT: &str = "SELECT COUNT(*) AS n FROM bookings WHERE slot_id = $1 \
    AND (state IN ('paid', 'payment_pending') OR (state = 'awaiting_payment' AND payment_deadline > $2))";
const NAIVE_INSERT: &str = "INSERT INTO bookings (id, account_id, applicant_id, nik, slot_id, office_code, \
    service_date, session_code, class, state, billing_code, payment_deadline, service, travel_purpose, \
    fee_table_code, fee_total, fee_lines, reschedules_used, idempotency_key, request_fingerprint, \
    created_at, updated_at, paid_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'awaiting_payment', \
    $10, $11, $12, $13, $14, $15, $16, 0, NULL, NULL, $17, $17, NULL)";
/// Every path that inserts a booking counts it into its slot (`ADD_TAKEN` in the store).
const NAIVE_COUNTED: &str = "UPDATE slots SET taken = taken + 1 WHERE id = $1";
const NAIVE_RELEASE: &str = "UPDATE bookings SET state = 'cancelled' WHERE slot_id = $1";

enum Naive {
    Booked,
    Full,
    Failed(String),
}

/// The naive allocation (see CONTROL above).
async fn naive_allocate(pool: Pool, slot_id: i64, capacity: i64, r: AllocationRequest) -> Naive {
    let taken = match pool
        .fetch_optional(NAIVE_COUNT, loket_store::args![slot_id, r.now])
        .await
    {
        Ok(row) => row.unwrap().i64("n").unwrap(),
        Err(e) => return Naive::Failed(e.to_string()),
    };
    if taken >= capacity {
        return Naive::Full;
    }
    let args = loket_store::args![
        r.booking_id,
        r.account_id,
        r.applicant_id,
        r.nik.as_str(),
        slot_id,
        r.slot.office_code.clone(),
        r.slot.service_date,
        r.slot.session_code.clone(),
        r.slot.class.as_str(),
        r.billing_code.as_str(),
        r.payment_deadline,
        serde_json::to_string(&r.service).unwrap(),
        r.travel_purpose.as_str(),
        r.fee_table_code.clone(),
        r.fee_total,
        serde_json::to_string(&r.fee_lines).unwrap(),
        r.now
    ];
    match pool.execute(NAIVE_INSERT, args).await {
        Ok(_) => match pool
            .execute(NAIVE_COUNTED, loket_store::args![slot_id])
            .await
        {
            Ok(_) => Naive::Booked,
            Err(e) => Naive::Failed(e.to_string()),
        },
        Err(e) => Naive::Failed(e.to_string()),
    }
}

/// Creates a slot row the naive way; returns its id.
async fn naive_slot(pool: &Pool, key: &loket_store::SlotKey, capacity: i64) -> i64 {
    let key_args = || {
        loket_store::args![
            OFFICE,
            key.service_date,
            key.session_code.clone(),
            key.class.as_str()
        ]
    };
    let mut args = key_args();
    args.push(capacity.into());
    pool.execute(NAIVE_SLOT, args).await.unwrap();
    count(pool, NAIVE_SLOT_ID, key_args()).await
}

async fn control_a_naive_read_then_write_allocation_is_caught_overbooking(db: Ctx) {
    seed(&db.store).await;
    let applicants = people(&db.store, ATTEMPTS).await;
    let pool = db.store.pool().clone();

    // Unraced, the naive version is right: one after another it stops at the capacity. So
    // whatever it does under the stampede is the race's doing, not a bug in the control.
    let calm = slot(day(6), "s1");
    let calm_id = naive_slot(&pool, &calm, 3).await;
    let mut calm_booked = 0;
    for a in &applicants[..5] {
        match naive_allocate(pool.clone(), calm_id, 3, request(a, &calm, t0())).await {
            Naive::Booked => calm_booked += 1,
            Naive::Full => {}
            Naive::Failed(e) => panic!("naive allocation failed unraced: {e}"),
        }
    }
    assert_eq!(calm_booked, 3);
    assert_eq!(usage(&db.store, &calm, t0()).await.unwrap().taken, 3);
    pool.execute(NAIVE_RELEASE, loket_store::args![calm_id])
        .await
        .unwrap();

    let mut rounds = Vec::new();
    // A race is a matter of chance: give the naive version up to five rounds to show it.
    for round in 0..5u64 {
        let key = slot(day(round), "s1");
        let slot_id = naive_slot(&pool, &key, CAPACITY).await;
        let requests: Vec<_> = applicants.iter().map(|a| request(a, &key, t0())).collect();
        let results = stampede(ATTEMPTS, |i| {
            naive_allocate(pool.clone(), slot_id, CAPACITY, requests[i].clone())
        })
        .await;
        let booked = results
            .iter()
            .filter(|r| matches!(r, Naive::Booked))
            .count();
        let full = results.iter().filter(|r| matches!(r, Naive::Full)).count();
        let failed: Vec<&String> = results
            .iter()
            .filter_map(|r| match r {
                Naive::Failed(e) => Some(e),
                _ => None,
            })
            .collect();
        let taken = usage(&db.store, &key, t0()).await.unwrap().taken;
        eprintln!(
            "CONTROL {:?} round {round}: capacity {CAPACITY}, booked {booked}, full {full}, \
             failed {} {:?}, taken {taken}",
            db.engine,
            failed.len(),
            failed.first()
        );
        let overbooked = taken > CAPACITY;
        rounds.push((overbooked, failed.len()));
        // Free the NIKs for the next round.
        pool.execute(NAIVE_RELEASE, loket_store::args![slot_id])
            .await
            .unwrap();
        if overbooked {
            break;
        }
    }
    match db.engine {
        // READ COMMITTED lets every reader see the same count: the naive version overbooks.
        Engine::Postgres => assert!(
            rounds.iter().any(|(over, _)| *over),
            "the naive allocation never overbooked on PostgreSQL: the harness is not racing ({rounds:?})"
        ),
        // On SQLite autocommit readers do not block the writer either, so it overbooks; a
        // build where it instead failed with "database is locked" would also show the race.
        Engine::Sqlite => assert!(
            rounds.iter().any(|(over, failed)| *over || *failed > 0),
            "the naive allocation neither overbooked nor failed on SQLite ({rounds:?})"
        ),
    }
}

/// The batch allocators (SQLite's thread, PostgreSQL's per-slot transactions) must settle
/// concurrent allocations of an existing slot in batches (the fast path), and what they
/// write must read back exactly as the one-transaction path writes it. Guards against the
/// batch silently deferring everything to the slow path, or binding a parameter to the
/// wrong column.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlites_allocator_books_in_its_batch_and_writes_what_the_request_said() {
    allocator_books_in_its_batch(Engine::Sqlite, 20).await;
}

/// On PostgreSQL the first allocation's transaction runs alone; those arriving meanwhile
/// share the next ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_slot_batches_book_together_and_write_what_the_request_said() {
    allocator_books_in_its_batch(Engine::Postgres, 10).await;
}

/// A slot's first bookings arriving together: the allocator makes the slot's row in its
/// batch instead of handing the whole first batch to the one-at-a-time path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlites_allocator_makes_a_slots_row_in_its_batch() {
    let db = TestDb::create(Engine::Sqlite).await;
    let store = db.ctx().store.clone();
    seed(&store).await;
    let key = slot(day(1), "s1");
    set_capacity(&store, &key, 3).await;
    let ppl = people(&store, 8).await;
    let before = SqlStore::batch_settled_allocations();
    let results = stampede(8, |i| {
        let s = store.clone();
        let req = request(&ppl[i], &key, t0());
        async move { s.allocate(req).await.map(|_| ()) }
    })
    .await;
    let (ok, full, other) = tally(&results, |e| matches!(e, StoreError::QuotaFull));
    assert_eq!((ok, full, other.len()), (3, 5, 0), "{other:?}");
    assert_eq!(SqlStore::batch_settled_allocations() - before, 8);
    assert_eq!(taken(&store, &key, t0()).await, 3);
    db.destroy().await;
}

async fn allocator_books_in_its_batch(engine: Engine, at_least: u64) {
    let db = TestDb::create(engine).await;
    let store = db.ctx().store.clone();
    seed(&store).await;
    let key = slot(day(1), "s1");
    set_capacity(&store, &key, 10).await;
    let ppl = people(&store, 21).await;
    // The slot's first booking creates its row (the transactional path).
    book(&store, &ppl[20], &key, t0()).await;
    let before = SqlStore::batch_settled_allocations();
    let results = stampede(20, |i| {
        let s = store.clone();
        let req = request(&ppl[i], &key, t0());
        async move { (req.clone(), s.allocate(req).await) }
    })
    .await;
    let booked: Vec<_> = results.iter().filter(|(_, r)| r.is_ok()).collect();
    let full = results
        .iter()
        .filter(|(_, r)| matches!(r, Err(StoreError::QuotaFull)))
        .count();
    assert_eq!((booked.len(), full), (9, 11));
    assert!(
        SqlStore::batch_settled_allocations() - before >= at_least,
        "the allocator deferred allocations it should have settled (or never batched)"
    );
    for (req, r) in booked {
        let made = r.as_ref().unwrap();
        let stored = reload(&store, made).await;
        assert_eq!(stored.nik, req.nik);
        assert_eq!(stored.applicant_id, req.applicant_id);
        assert_eq!(stored.account_id, req.account_id);
        assert_eq!(stored.slot, req.slot);
        assert_eq!(stored.billing_code, req.billing_code);
        assert_eq!(stored.payment_deadline, req.payment_deadline);
        assert_eq!(stored.service, req.service);
        assert_eq!(stored.travel_purpose, req.travel_purpose);
        assert_eq!(
            (stored.fee_total, &stored.fee_lines),
            (req.fee_total, &req.fee_lines)
        );
        assert_eq!(stored.created_at, req.now);
        assert_eq!(stored.state, loket_domain::BookingState::AwaitingPayment);
    }
    assert_eq!(taken(&store, &key, t0()).await, 10);
    db.destroy().await;
}

// ---------- counts kept between batches ----------
//
// SQLite's allocator counts a slot once and keeps the count across batches. These two
// stories would fail if it kept a count past the lapse of a hold, or past a commit made by
// another connection. On SQLite each allocation here is settled inside a batch, which the
// counter checks, so the kept count is what decides. (PostgreSQL counts in every
// transaction and runs a lone allocation on its own; the stories hold there too.)

/// A two-place slot whose first place was booked at t0 (which created its row; the hold
/// lapses at t0 + 2 h), with four people, the first of whom holds that place.
async fn two_place_slot(
    store: &SqlStore,
) -> (
    loket_store::SlotKey,
    Vec<loket_store::Applicant>,
    loket_store::Booking,
) {
    seed(store).await;
    let key = slot(day(1), "s1");
    set_capacity(store, &key, 2).await;
    let ppl = people(store, 4).await;
    let first = book(store, &ppl[0], &key, t0()).await;
    (key, ppl, first)
}

async fn a_count_kept_between_batches_gives_a_place_back_when_a_hold_lapses(db: Ctx) {
    let store = &db.store;
    let (key, ppl, first) = two_place_slot(store).await;
    book(store, &ppl[1], &key, t0() + Duration::minutes(1)).await;
    let before = SqlStore::batch_settled_allocations();
    let full = store
        .allocate(request(&ppl[2], &key, t0() + Duration::minutes(2)))
        .await;
    assert!(matches!(full, Err(StoreError::QuotaFull)), "{full:?}");
    let after_lapse = first.payment_deadline + Duration::seconds(1);
    let r = store.allocate(request(&ppl[3], &key, after_lapse)).await;
    assert!(
        r.is_ok(),
        "the lapsed hold's place was not given back: {r:?}"
    );
    if db.engine == Engine::Sqlite {
        assert_eq!(SqlStore::batch_settled_allocations() - before, 2);
    }
    assert_eq!(taken(store, &key, after_lapse).await, 2);
}

async fn a_count_kept_between_batches_sees_a_cancellation_made_elsewhere(db: Ctx) {
    let store = &db.store;
    let (key, ppl, first) = two_place_slot(store).await;
    book(store, &ppl[1], &key, t0()).await;
    let before = SqlStore::batch_settled_allocations();
    let full = store.allocate(request(&ppl[2], &key, t0())).await;
    assert!(matches!(full, Err(StoreError::QuotaFull)), "{full:?}");
    // On SQLite the cancellation commits on another connection than the allocator's.
    store.cancel_booking(first.id, t0()).await.unwrap();
    let r = store.allocate(request(&ppl[3], &key, t0())).await;
    assert!(
        r.is_ok(),
        "the cancelled booking's place was not given back: {r:?}"
    );
    if db.engine == Engine::Sqlite {
        assert_eq!(SqlStore::batch_settled_allocations() - before, 2);
    }
    assert_eq!(taken(store, &key, t0()).await, 2);
}
