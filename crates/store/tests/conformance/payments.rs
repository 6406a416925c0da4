//! Payments: bank notices settle a booking once, whatever order and however often they come;
//! a payment being confirmed keeps its place; a late payment is restored if its place is
//! still free and owed back if not; the expiry sweep touches only lapsed holds, once.

use chrono::Duration;
use loket_domain::BookingState;
use loket_domain::booking::TransitionError;
use loket_store::prelude::*;
use loket_store::{PaymentOutcome, StoreError};

use crate::assert_err;
use crate::helpers::{
    Ctx, book, day, ms, notice, person, reload, request, seed, set_capacity, slot, t0, taken,
    two_hours,
};

conformance!(
    a_payment_before_the_deadline_marks_the_booking_paid_and_a_repeat_changes_nothing,
    a_payment_of_the_wrong_amount_changes_nothing,
    a_payment_for_an_unknown_billing_code_is_reported_as_such,
    a_pending_payment_keeps_the_place_past_the_deadline_until_it_is_confirmed,
    a_late_payment_is_restored_when_its_place_is_still_free,
    a_late_payment_whose_place_was_taken_is_owed_back_and_may_be_rebooked,
    a_payment_for_a_cancelled_booking_is_owed_back,
    the_expiry_sweep_expires_each_lapsed_hold_once_and_spares_paid_and_pending_ones,
);

async fn a_payment_before_the_deadline_marks_the_booking_paid_and_a_repeat_changes_nothing(
    db: Ctx,
) {
    seed(&db.store).await;
    let a = person(&db.store).await;
    let b = book(&db.store, &a, &slot(day(0), "s1"), t0()).await;
    let paid_at = t0() + Duration::minutes(20);
    let received = paid_at + ms(1_500);
    let n = notice(&b, "paid", paid_at);
    assert_eq!(
        db.store.record_payment(&n, received).await.unwrap(),
        PaymentOutcome::Paid
    );
    let paid = reload(&db.store, &b).await;
    assert_eq!(paid.state, BookingState::Paid);
    assert_eq!(paid.paid_at, Some(paid_at));
    assert_eq!(paid.updated_at, received);

    // The bank retries the same notice, even long after the deadline.
    let retry_at = t0() + Duration::hours(6);
    assert_eq!(
        db.store.record_payment(&n, retry_at).await.unwrap(),
        PaymentOutcome::Duplicate
    );
    let after = reload(&db.store, &b).await;
    assert_eq!(
        (after.state, after.paid_at, after.updated_at),
        (BookingState::Paid, Some(paid_at), received)
    );
    // A second, different notice for a paid booking changes nothing either.
    let other = notice(&b, "paid", retry_at);
    assert_eq!(
        db.store.record_payment(&other, retry_at).await.unwrap(),
        PaymentOutcome::Duplicate
    );
    assert_eq!(reload(&db.store, &b).await.paid_at, Some(paid_at));
    // Paid places count for good.
    assert_eq!(taken(&db.store, &b.slot, t0() + Duration::days(3)).await, 1);
}

async fn a_payment_of_the_wrong_amount_changes_nothing(db: Ctx) {
    seed(&db.store).await;
    let a = person(&db.store).await;
    let b = book(&db.store, &a, &slot(day(0), "s1"), t0()).await;
    let mut n = notice(&b, "paid", t0() + ms(10));
    n.amount -= 1;
    assert_eq!(
        db.store.record_payment(&n, t0() + ms(20)).await.unwrap(),
        PaymentOutcome::AmountMismatch
    );
    let stored = reload(&db.store, &b).await;
    assert_eq!(
        (stored.state, stored.paid_at),
        (BookingState::AwaitingPayment, None)
    );
    // The right amount still pays.
    let right = notice(&b, "paid", t0() + ms(30));
    assert_eq!(
        db.store
            .record_payment(&right, t0() + ms(40))
            .await
            .unwrap(),
        PaymentOutcome::Paid
    );
}

async fn a_payment_for_an_unknown_billing_code_is_reported_as_such(db: Ctx) {
    seed(&db.store).await;
    let a = person(&db.store).await;
    let b = book(&db.store, &a, &slot(day(0), "s1"), t0()).await;
    let mut n = notice(&b, "paid", t0());
    n.billing_code = "100000000000001".into();
    assert_eq!(
        db.store.record_payment(&n, t0()).await.unwrap(),
        PaymentOutcome::UnknownBillingCode
    );
    assert_eq!(
        db.store.record_payment(&n, t0()).await.unwrap(),
        PaymentOutcome::Duplicate
    );
    assert_eq!(
        reload(&db.store, &b).await.state,
        BookingState::AwaitingPayment
    );
}

async fn a_pending_payment_keeps_the_place_past_the_deadline_until_it_is_confirmed(db: Ctx) {
    seed(&db.store).await;
    let key = slot(day(0), "s1");
    set_capacity(&db.store, &key, 1).await;
    let a = person(&db.store).await;
    let req = request(&a, &key, t0());
    let b = db.store.allocate(req).await.unwrap();
    let pending_at = t0() + Duration::hours(1);
    assert_eq!(
        db.store
            .record_payment(&notice(&b, "pending", pending_at), pending_at)
            .await
            .unwrap(),
        PaymentOutcome::Pending
    );
    assert_eq!(
        reload(&db.store, &b).await.state,
        BookingState::PaymentPending
    );

    let past_deadline = t0() + Duration::hours(3);
    assert_eq!(taken(&db.store, &key, past_deadline).await, 1);
    assert_eq!(
        db.store.expire_overdue(past_deadline, 100).await.unwrap(),
        0
    );
    assert_eq!(
        reload(&db.store, &b).await.state,
        BookingState::PaymentPending
    );
    let rival = person(&db.store).await;
    let rival_req = request(&rival, &key, past_deadline);
    assert_err!(db.store.allocate(rival_req).await, StoreError::QuotaFull);
    // The NIK stays busy too.
    assert_err!(
        db.store
            .allocate(request(&a, &slot(day(1), "s1"), past_deadline))
            .await,
        StoreError::NikHasActiveBooking
    );
    // A second "pending" changes nothing.
    assert_eq!(
        db.store
            .record_payment(&notice(&b, "pending", past_deadline), past_deadline)
            .await
            .unwrap(),
        PaymentOutcome::Duplicate
    );

    let confirmed_at = t0() + Duration::hours(4);
    assert_eq!(
        db.store
            .record_payment(&notice(&b, "paid", pending_at), confirmed_at)
            .await
            .unwrap(),
        PaymentOutcome::Paid
    );
    let paid = reload(&db.store, &b).await;
    assert_eq!(
        (paid.state, paid.paid_at),
        (BookingState::Paid, Some(pending_at))
    );
    assert_eq!(taken(&db.store, &key, confirmed_at).await, 1);
}

async fn a_late_payment_is_restored_when_its_place_is_still_free(db: Ctx) {
    seed(&db.store).await;
    let key = slot(day(0), "s1");
    let a = person(&db.store).await;
    let b = book(&db.store, &a, &key, t0()).await;
    let late = t0() + two_hours() + Duration::minutes(7);
    assert_eq!(taken(&db.store, &key, late).await, 0);
    assert_eq!(
        db.store
            .record_payment(&notice(&b, "paid", late), late)
            .await
            .unwrap(),
        PaymentOutcome::Restored
    );
    let restored = reload(&db.store, &b).await;
    assert_eq!(
        (restored.state, restored.paid_at),
        (BookingState::Paid, Some(late))
    );
    assert_eq!(restored.slot, key);
    assert_eq!(taken(&db.store, &key, late).await, 1);
    // Also after the sweep has marked it expired.
    let c = person(&db.store).await;
    let swept = book(&db.store, &c, &key, t0()).await;
    assert_eq!(db.store.expire_overdue(late, 100).await.unwrap(), 1);
    assert_eq!(reload(&db.store, &swept).await.state, BookingState::Expired);
    assert_eq!(
        db.store
            .record_payment(&notice(&swept, "paid", late), late + ms(1))
            .await
            .unwrap(),
        PaymentOutcome::Restored
    );
    assert_eq!(reload(&db.store, &swept).await.state, BookingState::Paid);
    assert_eq!(taken(&db.store, &key, late).await, 2);
}

async fn a_late_payment_whose_place_was_taken_is_owed_back_and_may_be_rebooked(db: Ctx) {
    seed(&db.store).await;
    let key = slot(day(0), "s1");
    set_capacity(&db.store, &key, 1).await;
    let a = person(&db.store).await;
    let req = request(&a, &key, t0());
    let held = db.store.allocate(req).await.unwrap();

    // A's hold lapses and B takes the only place.
    let b_at = t0() + two_hours() + Duration::seconds(1);
    let b = person(&db.store).await;
    let b_req = request(&b, &key, b_at);
    let b_booking = db.store.allocate(b_req).await.unwrap();

    // A's money arrives late.
    let late = b_at + Duration::seconds(1);
    assert_eq!(
        db.store
            .record_payment(&notice(&held, "paid", late), late)
            .await
            .unwrap(),
        PaymentOutcome::RefundDue
    );
    assert_eq!(
        reload(&db.store, &held).await.state,
        BookingState::RefundDue
    );
    let kept = reload(&db.store, &b_booking).await;
    assert_eq!(
        (kept.state, kept.slot.clone()),
        (BookingState::AwaitingPayment, key.clone())
    );
    assert_eq!(taken(&db.store, &key, late).await, 1);

    // A refund rebook is not an applicant reschedule, and only a refund rebook may move it.
    let free = slot(day(1), "s2");
    assert_err!(
        db.store
            .reschedule_booking(held.id, free.clone(), true, late)
            .await,
        StoreError::Transition(TransitionError::RescheduleNotAllowed)
    );
    let rebooked = db
        .store
        .reschedule_booking(held.id, free.clone(), false, late + ms(1))
        .await
        .unwrap();
    assert_eq!(rebooked.state, BookingState::Paid);
    let stored = reload(&db.store, &held).await;
    assert_eq!(
        (stored.state, stored.slot.clone(), stored.reschedules_used),
        (BookingState::Paid, free.clone(), 0)
    );
    assert_eq!(taken(&db.store, &free, late).await, 1);
    assert_eq!(taken(&db.store, &key, late).await, 1);
}

async fn a_payment_for_a_cancelled_booking_is_owed_back(db: Ctx) {
    seed(&db.store).await;
    let a = person(&db.store).await;
    let b = book(&db.store, &a, &slot(day(0), "s1"), t0()).await;
    db.store.cancel_booking(b.id, t0() + ms(5)).await.unwrap();
    let at = t0() + ms(10);
    assert_eq!(
        db.store
            .record_payment(&notice(&b, "paid", at), at)
            .await
            .unwrap(),
        PaymentOutcome::RefundDue
    );
    assert_eq!(reload(&db.store, &b).await.state, BookingState::RefundDue);
    assert_eq!(taken(&db.store, &b.slot, at).await, 0);
}

async fn the_expiry_sweep_expires_each_lapsed_hold_once_and_spares_paid_and_pending_ones(db: Ctx) {
    seed(&db.store).await;
    let key = slot(day(0), "s1");
    let mut lapsed = Vec::new();
    for i in 0..3 {
        let p = person(&db.store).await;
        lapsed.push(book(&db.store, &p, &key, t0() + ms(i)).await);
    }
    let p = person(&db.store).await;
    let paid = book(&db.store, &p, &key, t0()).await;
    db.store
        .record_payment(&notice(&paid, "paid", t0()), t0())
        .await
        .unwrap();
    let p = person(&db.store).await;
    let pending = book(&db.store, &p, &key, t0()).await;
    db.store
        .record_payment(&notice(&pending, "pending", t0()), t0())
        .await
        .unwrap();
    let p = person(&db.store).await;
    let live = book(&db.store, &p, &key, t0() + Duration::hours(1)).await;

    // Exactly at the last lapsed deadline: all three have lapsed, the live one has not.
    let now = lapsed[2].payment_deadline;
    assert_eq!(
        db.store.expire_overdue(now, 2).await.unwrap(),
        2,
        "the limit bounds a batch"
    );
    assert_eq!(db.store.expire_overdue(now, 100).await.unwrap(), 1);
    assert_eq!(db.store.expire_overdue(now, 100).await.unwrap(), 0);
    for b in &lapsed {
        let s = reload(&db.store, b).await;
        assert_eq!((s.state, s.updated_at), (BookingState::Expired, now));
    }
    assert_eq!(reload(&db.store, &paid).await.state, BookingState::Paid);
    assert_eq!(
        reload(&db.store, &pending).await.state,
        BookingState::PaymentPending
    );
    assert_eq!(
        reload(&db.store, &live).await.state,
        BookingState::AwaitingPayment
    );
    assert_eq!(taken(&db.store, &key, now).await, 3);
    // A millisecond before its deadline, the live hold is still spared.
    assert_eq!(
        db.store
            .expire_overdue(live.payment_deadline - ms(1), 100)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        db.store
            .expire_overdue(live.payment_deadline, 100)
            .await
            .unwrap(),
        1
    );
}
