//! The caches in front of the store (`CachedStore`): a change made through them is seen at
//! once, because the write forgets the copies it makes stale; a change made by another
//! instance is seen once the copy ages out. A "full" answer from memory never outlives a
//! place freed here.

use std::sync::Arc;
use std::time::Duration as Ttl;

use chrono::Duration;
use loket_domain::Office;
use loket_store::prelude::*;
use loket_store::{CacheOptions, CachedStore, Principal, SlotKey, StoreError};

use crate::assert_err;
use crate::helpers::{
    Ctx, OFFICE, account, day, head, person, request, seed, set_capacity, slot, t0,
};

conformance!(
    a_change_made_here_is_seen_at_once_one_made_elsewhere_only_when_the_copy_ages_out,
    a_logout_here_ends_the_session_at_once_and_a_cached_token_still_expires,
    a_full_session_is_answered_from_memory_until_a_place_is_freed_here,
);

const LONG: Ttl = Ttl::from_secs(3600);

/// This instance's store behind caches that keep their copies for an hour, so that only
/// the writes can make them go.
async fn cached(db: &Ctx) -> CachedStore {
    CachedStore::new(
        Arc::new(db.another_instance().await),
        CacheOptions {
            full_slots: LONG,
            principals: LONG,
            reference: LONG,
        },
    )
}

async fn a_change_made_here_is_seen_at_once_one_made_elsewhere_only_when_the_copy_ages_out(
    db: Ctx,
) {
    let mut office = seed(&db.store).await;
    let here = cached(&db).await;
    assert_eq!(
        here.get_office(OFFICE).await.unwrap().unwrap().name,
        office.name
    );
    let key = slot(day(3), "s1");
    let before = capacity(&here, &office, &key).await;

    // Another instance's changes: this one keeps its copies.
    office.name = "Kantor Imigrasi Elsewhere".into();
    db.store.upsert_office(&office).await.unwrap();
    set_capacity(&db.store, &key, 3).await;
    assert_ne!(
        here.get_office(OFFICE).await.unwrap().unwrap().name,
        office.name
    );
    assert_eq!(capacity(&here, &office, &key).await, before);

    // A change made here forgets every copy and moves the version.
    let version = here.reference_version();
    here.set_quota_override(
        OFFICE,
        key.service_date,
        &key.session_code,
        key.class,
        2,
        &head(),
        t0(),
    )
    .await
    .unwrap();
    assert!(here.reference_version() > version);
    assert_eq!(capacity(&here, &office, &key).await, 2);
    assert_eq!(
        here.get_office(OFFICE).await.unwrap().unwrap().name,
        office.name
    );
}

/// The capacity this instance's copy of the day's quota plan gives a slot.
async fn capacity(store: &CachedStore, office: &Office, key: &SlotKey) -> u32 {
    let d = store
        .day_inputs(office, key.service_date, key.service_date)
        .await
        .unwrap();
    d.quotas
        .capacity(key.service_date, &key.session_code, key.class)
}

async fn a_logout_here_ends_the_session_at_once_and_a_cached_token_still_expires(db: Ctx) {
    let id = account(&db.store).await;
    let here = cached(&db).await;
    let me = Principal::Account {
        id,
        verified: false,
    };
    let expires = t0() + Duration::hours(1);
    for token in ["tok-a", "tok-b"] {
        here.create_token(token, &me, t0(), expires).await.unwrap();
        assert!(here.principal(token, t0()).await.unwrap().is_some());
    }
    // Lookups that arrive together (an account's five attempts) share one read, and each
    // finds the principal.
    here.create_token("tok-c", &me, t0(), expires)
        .await
        .unwrap();
    let look = || here.principal("tok-c", t0());
    let together = tokio::join!(look(), look(), look(), look(), look());
    for p in [together.0, together.1, together.2, together.3, together.4] {
        let found = p.unwrap();
        assert!(
            matches!(found, Some((Principal::Account { id: a, .. }, e)) if a == id && e == expires),
            "{found:?}"
        );
    }
    // Deleted by another instance: this one still knows the token until its copy ages out,
    // but never past the token's expiry.
    db.store.delete_token("tok-a").await.unwrap();
    assert!(here.principal("tok-a", t0()).await.unwrap().is_some());
    assert!(here.principal("tok-a", expires).await.unwrap().is_none());
    // Deleted here: gone at once.
    here.delete_token("tok-b").await.unwrap();
    assert!(here.principal("tok-b", t0()).await.unwrap().is_none());
}

async fn a_full_session_is_answered_from_memory_until_a_place_is_freed_here(db: Ctx) {
    seed(&db.store).await;
    let here = cached(&db).await;
    let key = slot(day(3), "s1");
    set_capacity(&db.store, &key, 1).await;
    let (first, second) = (person(&db.store).await, person(&db.store).await);
    let held = here.allocate(request(&first, &key, t0())).await.unwrap();
    assert!(!here.recently_full(&key));
    assert_err!(
        here.allocate(request(&second, &key, t0())).await,
        StoreError::QuotaFull
    );
    assert!(here.recently_full(&key));
    here.cancel_booking(held.id, t0()).await.unwrap();
    assert!(!here.recently_full(&key));
    here.allocate(request(&second, &key, t0())).await.unwrap();
}
