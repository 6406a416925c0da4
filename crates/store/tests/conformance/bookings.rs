//! Bookings: taking a place, the quota and one-active-booking-per-NIK rules, the payment
//! deadline measured to the millisecond, idempotent retries, cancelling and rescheduling.

use chrono::{DateTime, Duration, Utc};
use loket_domain::BookingState;
use loket_domain::booking::TransitionError;
use loket_store::StoreError;
use loket_store::prelude::*;

use crate::assert_err;
use crate::helpers::{
    Ctx, OFFICE, account, applicant, book, day, head, monday, ms, person, reload, request, seed,
    set_capacity, slot, t0, taken, two_hours, usage,
};

conformance!(
    a_booking_starts_as_a_hold_awaiting_payment_for_two_hours,
    a_new_slot_takes_its_capacity_from_the_quota_in_force,
    a_slot_takes_exactly_its_capacity_and_then_reports_quota_full,
    a_nik_with_an_active_booking_cannot_book_another_slot,
    a_lapsed_hold_frees_both_the_nik_and_the_place,
    a_hold_counts_until_the_millisecond_before_its_deadline_and_not_at_it,
    a_retry_with_the_same_idempotency_key_returns_the_same_booking,
    reusing_an_idempotency_key_for_another_request_is_a_mismatch,
    an_account_lists_only_its_own_bookings_newest_first,
    cancelling_a_booking_frees_its_place,
    a_booking_may_be_rescheduled_once,
    rescheduling_into_a_full_slot_fails_and_leaves_the_booking_where_it_was,
    the_store_itself_refuses_to_cancel_or_move_a_booking_on_its_day,
    a_billing_code_already_in_use_is_reported_as_such_and_takes_no_place,
);

/// A new booking whose random billing code another booking holds is refused with
/// `BillingCodeTaken` (which the booking use case answers by drawing another), on every
/// allocation path, and takes no place.
async fn a_billing_code_already_in_use_is_reported_as_such_and_takes_no_place(db: Ctx) {
    seed(&db.store).await;
    let holder = person(&db.store).await;
    let theirs = book(&db.store, &holder, &slot(day(2), "s2"), t0()).await;
    let key = slot(day(1), "s1");
    let a = person(&db.store).await;
    let mut clash = request(&a, &key, t0());
    clash.billing_code = theirs.billing_code.clone();
    assert_err!(db.store.allocate(clash).await, StoreError::BillingCodeTaken);
    assert_eq!(taken(&db.store, &key, t0()).await, 0);
    // With a code of its own the same person books at once.
    book(&db.store, &a, &key, t0()).await;
    assert_eq!(taken(&db.store, &key, t0()).await, 1);
}

/// The domain's day-before rule, applied by the store under its lock with the office-local
/// date: whatever a handler checked before, a booking is not cancelled or moved on its day.
async fn the_store_itself_refuses_to_cancel_or_move_a_booking_on_its_day(db: Ctx) {
    seed(&db.store).await;
    let a = person(&db.store).await;
    let key = slot(day(0), "s1");
    let b = book(&db.store, &a, &key, t0()).await;
    let paid_at = t0() + Duration::minutes(3);
    db.store
        .record_payment(&crate::helpers::notice(&b, "paid", paid_at), paid_at)
        .await
        .unwrap();
    // 07:30 WIB on the service day itself (00:30 UTC); in UTC it is still the day before.
    let on_the_day = day(0).and_hms_opt(0, 30, 0).unwrap().and_utc();
    assert_err!(
        db.store.cancel_booking(b.id, on_the_day).await,
        StoreError::Transition(TransitionError::CancelNotAllowed)
    );
    assert_err!(
        db.store
            .reschedule_booking(b.id, slot(day(1), "s1"), true, on_the_day)
            .await,
        StoreError::Transition(TransitionError::RescheduleNotAllowed)
    );
    // A paid booking is not a refund rebook, whatever the caller says.
    assert_err!(
        db.store
            .reschedule_booking(b.id, slot(day(1), "s1"), false, t0() + Duration::hours(1))
            .await,
        StoreError::Transition(TransitionError::RescheduleNotAllowed)
    );
    assert_eq!(reload(&db.store, &b).await.state, BookingState::Paid);
    // The evening before, local time, both are still allowed.
    let evening_before = day(0).and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::hours(8);
    db.store
        .reschedule_booking(b.id, slot(day(1), "s1"), true, evening_before)
        .await
        .unwrap();
}

async fn a_booking_starts_as_a_hold_awaiting_payment_for_two_hours(db: Ctx) {
    seed(&db.store).await;
    let a = person(&db.store).await;
    let key = slot(day(0), "s1");
    let req = request(&a, &key, t0());
    let b = db.store.allocate(req.clone()).await.unwrap();
    assert_eq!(b.id, req.booking_id);
    assert_eq!(b.state, BookingState::AwaitingPayment);
    assert_eq!(b.payment_deadline, t0() + two_hours());
    assert_eq!(b.slot, key);

    let stored = reload(&db.store, &b).await;
    assert_eq!(stored.account_id, a.account_id);
    assert_eq!(stored.applicant_id, a.id);
    assert_eq!(stored.nik, a.nik);
    assert_eq!(stored.slot, key);
    assert_eq!(stored.slot_id, b.slot_id);
    assert_eq!(stored.state, BookingState::AwaitingPayment);
    assert_eq!(stored.billing_code, req.billing_code);
    assert_eq!(stored.payment_deadline, req.payment_deadline);
    assert_eq!(stored.service, req.service);
    assert_eq!(stored.travel_purpose, req.travel_purpose);
    assert_eq!(stored.fee_table_code, req.fee_table_code);
    assert_eq!(stored.fee_lines, req.fee_lines);
    assert_eq!(stored.fee_total, req.fee_total);
    assert_eq!(stored.reschedules_used, 0);
    assert_eq!((stored.created_at, stored.updated_at), (t0(), t0()));
    assert_eq!(stored.paid_at, None);

    let by_code = db
        .store
        .booking_by_billing_code(req.billing_code.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_code.id, b.id);
    assert!(
        db.store
            .booking_by_billing_code("999999999999999")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.store
            .get_booking(uuid::Uuid::now_v7())
            .await
            .unwrap()
            .is_none()
    );

    let u = usage(&db.store, &key, t0()).await.unwrap();
    assert_eq!((u.capacity, u.taken), (10, 1));
}

async fn a_new_slot_takes_its_capacity_from_the_quota_in_force(db: Ctx) {
    seed(&db.store).await;
    // Saturday has no default: nothing to book, and no slot row is left behind.
    let saturday = slot(day(5), "s1");
    let a = person(&db.store).await;
    assert_err!(
        db.store.allocate(request(&a, &saturday, t0())).await,
        StoreError::QuotaFull
    );
    assert!(usage(&db.store, &saturday, t0()).await.is_none());
    // A date override set before the first booking is the slot's capacity...
    let overridden = slot(day(0), "s2");
    set_capacity(&db.store, &overridden, 4).await;
    book(&db.store, &a, &overridden, t0()).await;
    assert_eq!(
        usage(&db.store, &overridden, t0()).await.unwrap().capacity,
        4
    );
    // ...else the weekday default in force when the slot is first booked.
    db.store
        .set_quota_default(
            OFFICE,
            chrono::Weekday::Thu,
            "s1",
            loket_domain::ServiceClass::Online,
            7,
            monday(),
            &head(),
            t0(),
        )
        .await
        .unwrap();
    let thursday = slot(day(3), "s1");
    let b = person(&db.store).await;
    book(&db.store, &b, &thursday, t0()).await;
    assert_eq!(usage(&db.store, &thursday, t0()).await.unwrap().capacity, 7);
    // An office that does not exist has nothing to book.
    let mut elsewhere = slot(day(0), "s1");
    elsewhere.office_code = "atlantis".into();
    let c = person(&db.store).await;
    assert_err!(
        db.store.allocate(request(&c, &elsewhere, t0())).await,
        StoreError::NotFound
    );
}

async fn a_slot_takes_exactly_its_capacity_and_then_reports_quota_full(db: Ctx) {
    seed(&db.store).await;
    let key = slot(day(2), "s2");
    set_capacity(&db.store, &key, 3).await;
    for _ in 0..3 {
        let a = person(&db.store).await;
        db.store.allocate(request(&a, &key, t0())).await.unwrap();
    }
    let fourth = person(&db.store).await;
    assert_err!(
        db.store.allocate(request(&fourth, &key, t0())).await,
        StoreError::QuotaFull
    );
    let u = usage(&db.store, &key, t0()).await.unwrap();
    assert_eq!((u.capacity, u.taken), (3, 3));
    // The refused applicant holds nothing and may book elsewhere.
    book(&db.store, &fourth, &slot(day(2), "s1"), t0()).await;
}

async fn a_nik_with_an_active_booking_cannot_book_another_slot(db: Ctx) {
    seed(&db.store).await;
    let a = person(&db.store).await;
    book(&db.store, &a, &slot(day(0), "s1"), t0()).await;
    let other = slot(day(3), "s2");
    assert_err!(
        db.store.allocate(request(&a, &other, t0() + ms(1))).await,
        StoreError::NikHasActiveBooking
    );
    assert_eq!(taken(&db.store, &other, t0()).await, 0);
    // The same person listed under another account is still the same NIK.
    let acc = account(&db.store).await;
    let twin = loket_store::Applicant {
        id: uuid::Uuid::now_v7(),
        account_id: acc,
        ..a.clone()
    };
    db.store.add_applicant(&twin, t0()).await.unwrap();
    assert_err!(
        db.store
            .allocate(request(&twin, &other, t0() + ms(2)))
            .await,
        StoreError::NikHasActiveBooking
    );
}

async fn a_lapsed_hold_frees_both_the_nik_and_the_place(db: Ctx) {
    seed(&db.store).await;
    let key = slot(day(0), "s1");
    set_capacity(&db.store, &key, 1).await;
    let a = person(&db.store).await;
    let first = db.store.allocate(request(&a, &key, t0())).await.unwrap();

    let later = t0() + two_hours() + Duration::seconds(1);
    // The NIK may book again, here in another slot...
    let again = book(&db.store, &a, &slot(day(1), "s1"), later).await;
    assert_eq!(again.state, BookingState::AwaitingPayment);
    // ...and the lapsed place goes to someone else.
    let b = person(&db.store).await;
    db.store.allocate(request(&b, &key, later)).await.unwrap();
    assert_eq!(taken(&db.store, &key, later).await, 1);

    let lapsed = reload(&db.store, &first).await;
    assert_eq!(lapsed.effective_state(later), BookingState::Expired);
    assert_ne!(
        lapsed.state,
        BookingState::AwaitingPayment,
        "swept when the NIK booked again"
    );
}

async fn a_hold_counts_until_the_millisecond_before_its_deadline_and_not_at_it(db: Ctx) {
    seed(&db.store).await;
    // One deadline on a whole second, one with a fraction: on SQLite instants are text, and
    // "10:00:00" against "09:59:59.999" is where a careless encoding would compare wrongly.
    for (n, start) in [t0(), t0() + ms(250)].into_iter().enumerate() {
        let key = slot(day(n as u64), "s1");
        set_capacity(&db.store, &key, 1).await;
        let a = person(&db.store).await;
        let b = db.store.allocate(request(&a, &key, start)).await.unwrap();
        let deadline = b.payment_deadline;
        let just_before = deadline - ms(1);

        assert_eq!(taken(&db.store, &key, just_before).await, 1, "{deadline}");
        assert_eq!(taken(&db.store, &key, deadline).await, 0, "{deadline}");
        assert_eq!(
            taken(&db.store, &key, deadline + ms(1)).await,
            0,
            "{deadline}"
        );
        assert_eq!(
            reload(&db.store, &b).await.effective_state(just_before),
            BookingState::AwaitingPayment
        );

        let rival = person(&db.store).await;
        assert_err!(
            db.store.allocate(request(&rival, &key, just_before)).await,
            StoreError::QuotaFull
        );
        db.store
            .allocate(request(&rival, &key, deadline))
            .await
            .unwrap();
        // A payment a millisecond late finds the place gone.
        let late: DateTime<Utc> = deadline + ms(1);
        assert_eq!(
            db.store
                .record_payment(&crate::helpers::notice(&b, "paid", late), late)
                .await
                .unwrap(),
            loket_store::PaymentOutcome::RefundDue
        );
    }
}

async fn a_retry_with_the_same_idempotency_key_returns_the_same_booking(db: Ctx) {
    seed(&db.store).await;
    let a = person(&db.store).await;
    let key = slot(day(0), "s1");
    let mut req = request(&a, &key, t0());
    req.idempotency_key = Some("idem-1".into());
    req.request_fingerprint = Some("sha256:aaaa".into());
    let first = db.store.allocate(req.clone()).await.unwrap();

    // The retry carries a new booking id and billing code, as a fresh handler call would.
    let mut retry = request(&a, &key, t0() + Duration::seconds(30));
    retry.idempotency_key = req.idempotency_key.clone();
    retry.request_fingerprint = req.request_fingerprint.clone();
    let second = db.store.allocate(retry).await.unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(second.billing_code, first.billing_code);
    assert_eq!(db.store.list_bookings(a.account_id).await.unwrap().len(), 1);
    assert_eq!(taken(&db.store, &key, t0()).await, 1);
    let found = db
        .store
        .booking_by_idempotency_key(a.account_id, "idem-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, first.id);
    assert!(
        db.store
            .booking_by_idempotency_key(a.account_id, "idem-2")
            .await
            .unwrap()
            .is_none()
    );
}

async fn reusing_an_idempotency_key_for_another_request_is_a_mismatch(db: Ctx) {
    seed(&db.store).await;
    let acc = account(&db.store).await;
    let a = applicant(&db.store, acc).await;
    let b = applicant(&db.store, acc).await;
    let mut req = request(&a, &slot(day(0), "s1"), t0());
    req.idempotency_key = Some("idem-1".into());
    req.request_fingerprint = Some("sha256:aaaa".into());
    db.store.allocate(req).await.unwrap();

    let mut other = request(&b, &slot(day(1), "s2"), t0());
    other.idempotency_key = Some("idem-1".into());
    other.request_fingerprint = Some("sha256:bbbb".into());
    assert_err!(
        db.store.allocate(other).await,
        StoreError::IdempotencyMismatch
    );
    assert_eq!(db.store.list_bookings(acc).await.unwrap().len(), 1);
    assert_eq!(taken(&db.store, &slot(day(1), "s2"), t0()).await, 0);

    // Keys belong to an account: another account may use the same one.
    let c = person(&db.store).await;
    let mut theirs = request(&c, &slot(day(1), "s2"), t0());
    theirs.idempotency_key = Some("idem-1".into());
    theirs.request_fingerprint = Some("sha256:cccc".into());
    db.store.allocate(theirs).await.unwrap();
}

async fn an_account_lists_only_its_own_bookings_newest_first(db: Ctx) {
    seed(&db.store).await;
    let acc = account(&db.store).await;
    let mine1 = applicant(&db.store, acc).await;
    let mine2 = applicant(&db.store, acc).await;
    let stranger = person(&db.store).await;
    let b1 = book(&db.store, &mine1, &slot(day(0), "s1"), t0()).await;
    book(&db.store, &stranger, &slot(day(0), "s1"), t0() + ms(1)).await;
    let b2 = book(&db.store, &mine2, &slot(day(1), "s1"), t0() + ms(2)).await;

    let ids: Vec<_> = db
        .store
        .list_bookings(acc)
        .await
        .unwrap()
        .iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(ids, vec![b2.id, b1.id]);
    let theirs = db.store.list_bookings(stranger.account_id).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].account_id, stranger.account_id);
    assert!(
        db.store
            .list_bookings(uuid::Uuid::now_v7())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn cancelling_a_booking_frees_its_place(db: Ctx) {
    seed(&db.store).await;
    let key = slot(day(0), "s1");
    set_capacity(&db.store, &key, 1).await;
    let a = person(&db.store).await;
    let b = db.store.allocate(request(&a, &key, t0())).await.unwrap();
    let now = t0() + Duration::minutes(5);
    let cancelled = db.store.cancel_booking(b.id, now).await.unwrap();
    assert_eq!(cancelled.state, BookingState::Cancelled);
    let stored = reload(&db.store, &b).await;
    assert_eq!(
        (stored.state, stored.updated_at),
        (BookingState::Cancelled, now)
    );
    assert_eq!(taken(&db.store, &key, now).await, 0);

    let other = person(&db.store).await;
    db.store.allocate(request(&other, &key, now)).await.unwrap();
    // The NIK is free again too.
    book(&db.store, &a, &slot(day(1), "s1"), now).await;

    assert_err!(
        db.store.cancel_booking(b.id, now).await,
        StoreError::Transition(TransitionError::CancelNotAllowed)
    );
    assert_err!(
        db.store.cancel_booking(uuid::Uuid::now_v7(), now).await,
        StoreError::NotFound
    );
    // A hold whose deadline passed has nothing left to cancel.
    let late = person(&db.store).await;
    let lapsing = book(&db.store, &late, &slot(day(2), "s1"), t0()).await;
    assert_err!(
        db.store
            .cancel_booking(lapsing.id, t0() + two_hours())
            .await,
        StoreError::Transition(TransitionError::DeadlinePassed)
    );
}

async fn a_booking_may_be_rescheduled_once(db: Ctx) {
    seed(&db.store).await;
    let a = person(&db.store).await;
    let from = slot(day(0), "s1");
    let to = slot(day(1), "s2");
    let b = book(&db.store, &a, &from, t0()).await;
    let paid_at = t0() + Duration::minutes(3);
    db.store
        .record_payment(&crate::helpers::notice(&b, "paid", paid_at), paid_at)
        .await
        .unwrap();

    let now = t0() + Duration::hours(5);
    let moved = db
        .store
        .reschedule_booking(b.id, to.clone(), true, now)
        .await
        .unwrap();
    assert_eq!(moved.slot, to);
    assert_eq!(moved.state, BookingState::Paid);
    assert_eq!(moved.reschedules_used, 1);
    let stored = reload(&db.store, &b).await;
    assert_eq!(stored.slot, to);
    assert_eq!(stored.slot_id, moved.slot_id);
    assert_eq!(
        (stored.state, stored.reschedules_used),
        (BookingState::Paid, 1)
    );
    assert_eq!(taken(&db.store, &from, now).await, 0);
    assert_eq!(taken(&db.store, &to, now).await, 1);
    // Its history, oldest first: paid, then moved (paid stays paid).
    let history: Vec<_> = db
        .store
        .booking_events(b.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.from, e.to, e.at))
        .collect();
    assert_eq!(
        history,
        [
            (
                Some(BookingState::AwaitingPayment),
                BookingState::Paid,
                paid_at
            ),
            (Some(BookingState::Paid), BookingState::Paid, now),
        ]
    );
    assert!(
        db.store
            .booking_events(uuid::Uuid::nil())
            .await
            .unwrap()
            .is_empty()
    );

    assert_err!(
        db.store
            .reschedule_booking(b.id, slot(day(2), "s1"), true, now)
            .await,
        StoreError::Transition(TransitionError::RescheduleNotAllowed)
    );
    assert_eq!(reload(&db.store, &b).await.slot, to);
    assert_eq!(taken(&db.store, &slot(day(2), "s1"), now).await, 0);
}

async fn rescheduling_into_a_full_slot_fails_and_leaves_the_booking_where_it_was(db: Ctx) {
    seed(&db.store).await;
    let full = slot(day(1), "s1");
    set_capacity(&db.store, &full, 1).await;
    let x = person(&db.store).await;
    db.store.allocate(request(&x, &full, t0())).await.unwrap();

    let a = person(&db.store).await;
    let from = slot(day(0), "s1");
    let b = book(&db.store, &a, &from, t0()).await;
    let now = t0() + Duration::minutes(1);
    assert_err!(
        db.store
            .reschedule_booking(b.id, full.clone(), true, now)
            .await,
        StoreError::QuotaFull
    );
    let stored = reload(&db.store, &b).await;
    assert_eq!(stored.slot, from);
    assert_eq!(stored.slot_id, b.slot_id);
    assert_eq!(stored.reschedules_used, 0);
    assert_eq!(taken(&db.store, &from, now).await, 1);
    assert_eq!(taken(&db.store, &full, now).await, 1);
    // Moving to its own slot is no move at all.
    assert_err!(
        db.store
            .reschedule_booking(b.id, from.clone(), true, now)
            .await,
        StoreError::Transition(TransitionError::RescheduleNotAllowed)
    );
    // The failed attempts used up nothing: the one reschedule is still there.
    db.store
        .reschedule_booking(b.id, slot(day(2), "s1"), true, now)
        .await
        .unwrap();
}
