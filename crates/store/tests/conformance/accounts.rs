//! Accounts and who may act: registration, email verification with a bounded number of
//! tries, bearer tokens for applicants and staff, and the applicants an account books for.

use chrono::Duration;
use loket_domain::Sex;
use loket_store::prelude::*;
use loket_store::{Principal, Staff, StaffRole, StoreError};
use uuid::Uuid;

use crate::assert_err;
use crate::helpers::{
    Ctx, OFFICE, account, account_with_email, applicant, fresh_nik, fresh_nik_of, ms, new_account,
    new_applicant, seed, t0,
};

conformance!(
    an_account_is_registered_once_per_email,
    a_correct_code_verifies_the_email_and_wrong_ones_are_counted,
    five_wrong_codes_use_up_the_code,
    an_expired_code_never_verifies,
    a_reset_code_sets_the_password_once_and_ends_every_session,
    a_reset_code_takes_five_tries_and_expires,
    a_token_resolves_to_its_account_until_it_expires_or_is_deleted,
    a_staff_token_resolves_to_the_staff_member_and_their_scope,
    an_account_has_at_most_five_applicants_each_nik_once,
    an_account_sees_only_its_own_applicants,
);

const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

async fn an_account_is_registered_once_per_email(db: Ctx) {
    let id = account_with_email(&db.store, "siti@example.test").await;
    let auth = db
        .store
        .account_auth("siti@example.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(auth.id, id);
    assert_eq!(auth.password_hash, new_account("x").password_hash);
    assert!(!auth.verified);
    let profile = db.store.get_account(id).await.unwrap().unwrap();
    assert_eq!(
        (
            profile.email.as_str(),
            profile.full_name.as_str(),
            profile.locale.as_str()
        ),
        ("siti@example.test", "Siti Rahmawati", "id")
    );
    assert_err!(
        db.store
            .create_account(&new_account("siti@example.test"), t0())
            .await,
        StoreError::EmailTaken
    );
    assert!(
        db.store
            .account_auth("budi@example.test")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.store
            .get_account(Uuid::now_v7())
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_correct_code_verifies_the_email_and_wrong_ones_are_counted(db: Ctx) {
    let id = account(&db.store).await;
    db.store
        .put_verification(id, "hash-right", t0() + Duration::minutes(15))
        .await
        .unwrap();
    for i in 0..4 {
        assert_err!(
            db.store.verify_email(id, "hash-wrong", t0() + ms(i)).await,
            StoreError::VerificationFailed
        );
    }
    // Four wrong tries leave one.
    db.store
        .verify_email(id, "hash-right", t0() + ms(10))
        .await
        .unwrap();
    assert!(db.store.get_account(id).await.unwrap().unwrap().verified);
    // The code is used up once it worked.
    assert_err!(
        db.store.verify_email(id, "hash-right", t0() + ms(11)).await,
        StoreError::VerificationFailed
    );
}

async fn five_wrong_codes_use_up_the_code(db: Ctx) {
    let id = account(&db.store).await;
    db.store
        .put_verification(id, "hash-right", t0() + Duration::minutes(15))
        .await
        .unwrap();
    for i in 0..5 {
        assert_err!(
            db.store.verify_email(id, "hash-wrong", t0() + ms(i)).await,
            StoreError::VerificationFailed
        );
    }
    assert_err!(
        db.store.verify_email(id, "hash-right", t0() + ms(10)).await,
        StoreError::VerificationFailed
    );
    assert!(!db.store.get_account(id).await.unwrap().unwrap().verified);
    // A new code starts a fresh count.
    db.store
        .put_verification(id, "hash-new", t0() + Duration::minutes(30))
        .await
        .unwrap();
    db.store
        .verify_email(id, "hash-new", t0() + ms(20))
        .await
        .unwrap();
    assert!(
        db.store
            .account_auth(&db.store.get_account(id).await.unwrap().unwrap().email)
            .await
            .unwrap()
            .unwrap()
            .verified
    );
}

async fn an_expired_code_never_verifies(db: Ctx) {
    let id = account(&db.store).await;
    let expires = t0() + Duration::minutes(15);
    db.store
        .put_verification(id, "hash-right", expires)
        .await
        .unwrap();
    assert_err!(
        db.store.verify_email(id, "hash-right", expires).await,
        StoreError::VerificationFailed
    );
    assert_err!(
        db.store
            .verify_email(id, "hash-right", expires + Duration::hours(1))
            .await,
        StoreError::VerificationFailed
    );
    assert!(!db.store.get_account(id).await.unwrap().unwrap().verified);
    // Without any code there is nothing to verify.
    let other = account(&db.store).await;
    assert_err!(
        db.store.verify_email(other, "hash-right", t0()).await,
        StoreError::VerificationFailed
    );
}

async fn a_reset_code_sets_the_password_once_and_ends_every_session(db: Ctx) {
    let id = account(&db.store).await;
    let other = account(&db.store).await;
    let email = db.store.get_account(id).await.unwrap().unwrap().email;
    let me = Principal::Account {
        id,
        verified: false,
    };
    let later = t0() + Duration::hours(12);
    for token in ["tok-1", "tok-2"] {
        db.store
            .create_token(token, &me, t0(), later)
            .await
            .unwrap();
    }
    let theirs = Principal::Account {
        id: other,
        verified: false,
    };
    db.store
        .create_token("tok-other", &theirs, t0(), later)
        .await
        .unwrap();
    db.store
        .put_password_reset(id, "reset-right", t0() + Duration::minutes(30))
        .await
        .unwrap();
    assert_err!(
        db.store
            .reset_password(id, "reset-wrong", PHC, t0() + ms(1))
            .await,
        StoreError::VerificationFailed
    );
    // A verification code is not a reset code, nor the other way round.
    db.store
        .put_verification(id, "verify-code", t0() + Duration::minutes(30))
        .await
        .unwrap();
    assert_err!(
        db.store
            .reset_password(id, "verify-code", PHC, t0() + ms(2))
            .await,
        StoreError::VerificationFailed
    );
    db.store
        .reset_password(id, "reset-right", PHC, t0() + ms(3))
        .await
        .unwrap();
    let auth = db.store.account_auth(&email).await.unwrap().unwrap();
    assert_eq!(auth.password_hash, PHC);
    assert!(auth.verified, "the mailed code proves the address");
    for token in ["tok-1", "tok-2"] {
        assert!(
            db.store
                .principal(token, t0() + ms(4))
                .await
                .unwrap()
                .is_none()
        );
    }
    assert!(
        db.store
            .principal("tok-other", t0() + ms(4))
            .await
            .unwrap()
            .is_some(),
        "another account's session stays"
    );
    assert_err!(
        db.store
            .reset_password(id, "reset-right", PHC, t0() + ms(5))
            .await,
        StoreError::VerificationFailed
    );
}

async fn a_reset_code_takes_five_tries_and_expires(db: Ctx) {
    let id = account(&db.store).await;
    let email = db.store.get_account(id).await.unwrap().unwrap().email;
    let before = db.store.account_auth(&email).await.unwrap().unwrap();
    let expires = t0() + Duration::minutes(30);
    db.store
        .put_password_reset(id, "reset-right", expires)
        .await
        .unwrap();
    for i in 0..5 {
        assert_err!(
            db.store
                .reset_password(id, "reset-wrong", PHC, t0() + ms(i))
                .await,
            StoreError::VerificationFailed
        );
    }
    assert_err!(
        db.store
            .reset_password(id, "reset-right", PHC, t0() + ms(10))
            .await,
        StoreError::VerificationFailed
    );
    // A new code starts a fresh count, and is refused from its expiry on.
    db.store
        .put_password_reset(id, "reset-new", expires)
        .await
        .unwrap();
    assert_err!(
        db.store.reset_password(id, "reset-new", PHC, expires).await,
        StoreError::VerificationFailed
    );
    let after = db.store.account_auth(&email).await.unwrap().unwrap();
    assert_eq!(after.password_hash, before.password_hash);
    assert!(!after.verified);
    // Without any code there is nothing to reset.
    let other = account(&db.store).await;
    assert_err!(
        db.store
            .reset_password(other, "reset-right", PHC, t0())
            .await,
        StoreError::VerificationFailed
    );
}

async fn a_token_resolves_to_its_account_until_it_expires_or_is_deleted(db: Ctx) {
    let id = account(&db.store).await;
    let expires = t0() + Duration::hours(12);
    let me = Principal::Account {
        id,
        verified: false,
    };
    db.store
        .create_token("tok-a", &me, t0(), expires)
        .await
        .unwrap();
    db.store
        .create_token("tok-b", &me, t0(), expires)
        .await
        .unwrap();

    match db
        .store
        .principal("tok-a", expires - ms(1))
        .await
        .unwrap()
        .map(|(p, _)| p)
    {
        Some(Principal::Account { id: got, verified }) => assert_eq!((got, verified), (id, false)),
        other => panic!("expected the account, got {other:?}"),
    }
    assert!(
        db.store
            .principal("tok-a", expires)
            .await
            .unwrap()
            .map(|(p, _)| p)
            .is_none(),
        "expired at its instant"
    );
    assert!(
        db.store
            .principal("tok-unknown", t0())
            .await
            .unwrap()
            .map(|(p, _)| p)
            .is_none()
    );

    // Verification shows through the token.
    db.store
        .put_verification(id, "h", t0() + Duration::hours(1))
        .await
        .unwrap();
    db.store.verify_email(id, "h", t0() + ms(1)).await.unwrap();
    assert!(matches!(
        db.store
            .principal("tok-b", t0() + ms(2))
            .await
            .unwrap()
            .map(|(p, _)| p),
        Some(Principal::Account { verified: true, .. })
    ));

    db.store.delete_token("tok-a").await.unwrap();
    assert!(
        db.store
            .principal("tok-a", t0())
            .await
            .unwrap()
            .map(|(p, _)| p)
            .is_none()
    );
    assert!(
        db.store
            .principal("tok-b", t0())
            .await
            .unwrap()
            .map(|(p, _)| p)
            .is_some(),
        "only that token"
    );
    db.store.delete_token("tok-a").await.unwrap();
}

async fn a_staff_token_resolves_to_the_staff_member_and_their_scope(db: Ctx) {
    seed(&db.store).await;
    let staff = Staff {
        id: Uuid::now_v7(),
        username: "rina.loket".into(),
        full_name: "Rina Wulandari".into(),
        role: StaffRole::CounterOfficer,
        office_code: Some(OFFICE.into()),
        region_code: None,
    };
    db.store.create_staff(&staff, PHC, t0()).await.unwrap();
    let mut twin = staff.clone();
    twin.id = Uuid::now_v7();
    assert_err!(
        db.store.create_staff(&twin, PHC, t0()).await,
        StoreError::UsernameTaken
    );
    let auth = db.store.staff_auth("rina.loket").await.unwrap().unwrap();
    assert_eq!(auth.password_hash, PHC);
    assert_eq!(auth.staff.id, staff.id);
    assert!(db.store.staff_auth("nobody").await.unwrap().is_none());

    let expires = t0() + Duration::hours(8);
    db.store
        .create_token("tok-staff", &Principal::Staff(staff.clone()), t0(), expires)
        .await
        .unwrap();
    match db
        .store
        .principal("tok-staff", t0() + Duration::hours(1))
        .await
        .unwrap()
        .map(|(p, _)| p)
    {
        Some(Principal::Staff(s)) => {
            assert_eq!(
                (s.id, s.username.as_str(), s.full_name.as_str()),
                (staff.id, "rina.loket", "Rina Wulandari")
            );
            assert_eq!(s.role, StaffRole::CounterOfficer);
            assert_eq!(
                (s.office_code.as_deref(), s.region_code.as_deref()),
                (Some(OFFICE), None)
            );
        }
        other => panic!("expected the staff member, got {other:?}"),
    }
    assert!(
        db.store
            .principal("tok-staff", expires + ms(1))
            .await
            .unwrap()
            .map(|(p, _)| p)
            .is_none()
    );
    db.store.delete_token("tok-staff").await.unwrap();
    assert!(
        db.store
            .principal("tok-staff", t0())
            .await
            .unwrap()
            .map(|(p, _)| p)
            .is_none()
    );
}

async fn an_account_has_at_most_five_applicants_each_nik_once(db: Ctx) {
    let acc = account(&db.store).await;
    let mut added = Vec::new();
    for i in 0..5 {
        added.push(applicant(&db.store, acc).await);
        if i == 1 {
            let dup = loket_store::Applicant {
                id: Uuid::now_v7(),
                ..added[0].clone()
            };
            assert_err!(
                db.store.add_applicant(&dup, t0()).await,
                StoreError::ApplicantExists
            );
        }
    }
    assert_err!(
        db.store.add_applicant(&new_applicant(acc), t0()).await,
        StoreError::ApplicantLimitReached
    );
    let listed = db.store.list_applicants(acc).await.unwrap();
    let ids: Vec<Uuid> = listed.iter().map(|a| a.id).collect();
    assert_eq!(ids, added.iter().map(|a| a.id).collect::<Vec<_>>());
    let first = &listed[0];
    assert_eq!(first.nik, added[0].nik);
    assert_eq!(
        (first.birth_date, first.sex, first.married),
        (added[0].birth_date, added[0].sex, false)
    );
    assert_eq!(first.full_name, added[0].full_name);
    // A woman's NIK (birth day + 40) and sex come back as stored.
    let (nik, birth_date, sex) = fresh_nik_of(Sex::Female);
    let other = account(&db.store).await;
    let woman = loket_store::Applicant {
        id: Uuid::now_v7(),
        account_id: other,
        nik: nik.clone(),
        full_name: "Siti Aminah".into(),
        birth_date,
        sex,
        married: true,
    };
    db.store.add_applicant(&woman, t0()).await.unwrap();
    let back = db
        .store
        .get_applicant(other, woman.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((back.nik, back.sex, back.married), (nik, Sex::Female, true));
    // Applicants need an existing account.
    let (nik, birth_date, sex) = fresh_nik();
    let orphan = loket_store::Applicant {
        id: Uuid::now_v7(),
        account_id: Uuid::now_v7(),
        nik,
        full_name: "Tanpa Akun".into(),
        birth_date,
        sex,
        married: true,
    };
    assert_err!(
        db.store.add_applicant(&orphan, t0()).await,
        StoreError::NotFound
    );
}

async fn an_account_sees_only_its_own_applicants(db: Ctx) {
    let mine = account(&db.store).await;
    let theirs = account(&db.store).await;
    let a = applicant(&db.store, mine).await;
    let b = applicant(&db.store, theirs).await;
    assert_eq!(
        db.store
            .get_applicant(mine, a.id)
            .await
            .unwrap()
            .unwrap()
            .id,
        a.id
    );
    assert!(db.store.get_applicant(mine, b.id).await.unwrap().is_none());
    assert!(
        db.store
            .get_applicant(theirs, a.id)
            .await
            .unwrap()
            .is_none()
    );
    let listed = db.store.list_applicants(theirs).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, b.id);
}
