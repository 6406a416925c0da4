//! Assisted booking: the front desk books people without a phone onto the account its
//! office holds, under exactly the rules of an online hold (the slot's quota, one active
//! booking per NIK, the idempotency key), with each booking audited once.

use loket_domain::BookingState;
use loket_store::prelude::*;
use loket_store::{Applicant, AssistedBooking, SlotKey, StoreError};
use uuid::Uuid;

use crate::assert_err;
use crate::helpers::{
    Ctx, OFFICE, counts_agree, day, head, new_applicant, request, seed, set_capacity, slot, t0,
    taken,
};

conformance!(
    the_desk_books_people_onto_its_offices_account_within_the_quota_and_one_booking_per_nik,
    a_person_booked_again_keeps_their_place_on_the_account_with_the_details_typed_now,
);

/// An assisted booking of `person` into `key`, as the head of office.
fn assisted(person: &Applicant, key: &SlotKey) -> AssistedBooking {
    AssistedBooking {
        office_code: OFFICE.into(),
        person: person.clone(),
        req: request(person, key, t0()),
        actor: head(),
    }
}

async fn assisted_audits(store: &loket_store::SqlStore) -> Vec<String> {
    store
        .audit_log(Some(OFFICE), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "booking.assisted")
        .map(|e| e.subject)
        .collect()
}

async fn the_desk_books_people_onto_its_offices_account_within_the_quota_and_one_booking_per_nik(
    ctx: Ctx,
) {
    let store = &ctx.store;
    seed(store).await;
    let key = slot(day(2), "s1");
    set_capacity(store, &key, 2).await;
    // The desk's people come with no account of their own.
    let first = new_applicant(Uuid::nil());
    let b1 = store.book_assisted(assisted(&first, &key)).await.unwrap();
    assert_eq!(b1.state, BookingState::AwaitingPayment);
    assert_eq!(b1.applicant_id, first.id);
    let account = store.get_account(b1.account_id).await.unwrap().unwrap();
    assert_eq!(account.office_code.as_deref(), Some(OFFICE));
    assert!(
        store.account_auth(&account.email).await.unwrap().is_none(),
        "nobody logs into an office's account"
    );
    let kept = store
        .get_applicant(b1.account_id, first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (kept.nik, kept.full_name),
        (first.nik.clone(), first.full_name.clone())
    );

    // The same NIK cannot hold a second active booking, in another session either.
    let mut again = first.clone();
    again.id = Uuid::now_v7();
    assert_err!(
        store
            .book_assisted(assisted(&again, &slot(day(3), "s1")))
            .await,
        StoreError::NikHasActiveBooking
    );

    // A second person goes onto the same account; then the session is full.
    let second = new_applicant(Uuid::nil());
    let mut a2 = assisted(&second, &key);
    a2.req.idempotency_key = Some("desk-form-2".into());
    a2.req.request_fingerprint = Some("answers-2".into());
    let b2 = store.book_assisted(a2.clone()).await.unwrap();
    assert_eq!(b2.account_id, b1.account_id);
    assert_err!(
        store
            .book_assisted(assisted(&new_applicant(Uuid::nil()), &key))
            .await,
        StoreError::QuotaFull
    );
    assert_eq!(taken(store, &key, t0()).await, 2);

    // The same form sent twice books once; sent again with other answers it is refused.
    let mut replay = a2.clone();
    replay.req.booking_id = Uuid::now_v7();
    let replayed = store.book_assisted(replay.clone()).await.unwrap();
    assert_eq!(replayed.id, b2.id);
    replay.req.request_fingerprint = Some("other answers".into());
    assert_err!(
        store.book_assisted(replay).await,
        StoreError::IdempotencyMismatch
    );

    // Each booking is audited once, as the officer's.
    let mut audited = assisted_audits(store).await;
    audited.sort();
    let mut made = vec![b1.id.to_string(), b2.id.to_string()];
    made.sort();
    assert_eq!(audited, made);
    assert_eq!(taken(store, &key, t0()).await, 2);
    counts_agree(store).await.unwrap();
}

async fn a_person_booked_again_keeps_their_place_on_the_account_with_the_details_typed_now(
    ctx: Ctx,
) {
    let store = &ctx.store;
    seed(store).await;
    let person = new_applicant(Uuid::nil());
    let b1 = store
        .book_assisted(assisted(&person, &slot(day(2), "s1")))
        .await
        .unwrap();
    store.cancel_booking(b1.id, t0()).await.unwrap();
    // Typed in again from the ID card, with the name written in full this time.
    let mut typed = person.clone();
    typed.id = Uuid::now_v7();
    typed.full_name = "Budi Santoso bin Ahmad".into();
    typed.married = true;
    let b2 = store
        .book_assisted(assisted(&typed, &slot(day(3), "s1")))
        .await
        .unwrap();
    assert_eq!(b2.account_id, b1.account_id);
    assert_eq!(
        b2.applicant_id, person.id,
        "one person per NIK on the account"
    );
    let kept = store
        .get_applicant(b2.account_id, person.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.full_name, "Budi Santoso bin Ahmad");
    assert!(kept.married);
    assert!(
        store
            .get_applicant(b2.account_id, typed.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.list_applicants(b2.account_id).await.unwrap().len(), 1);
}
