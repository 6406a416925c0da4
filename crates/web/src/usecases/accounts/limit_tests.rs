//! The limits on one-time codes and on the mails that carry them, counted exactly, through
//! the use cases (the API's and the pages' one path), with the dev clock moving the
//! windows on.

use std::net::IpAddr;

use chrono::Duration;
use loket_store::StoreError;

use super::fixtures::{EMAIL, verified_account};
use super::*;
use crate::usecases::testing;

fn registration(email: &str) -> Registration {
    Registration {
        email: email.into(),
        password: "rahasia-lama".into(),
        full_name: "Rina Wulandari".into(),
        birth_date: "1990-03-05".into(),
        sex: "female".into(),
        phone: "081234567890".into(),
        locale: "id".into(),
    }
}

/// A code that is not `code`.
fn other_than(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

/// The refusal's kind and seconds, if it is one of too many attempts.
fn too_many(r: &UseCaseResult<()>) -> Option<(Attempts, i64)> {
    match r {
        Err(Refusal::TooManyAttempts {
            what,
            retry_after_seconds,
        }) => Some((*what, *retry_after_seconds)),
        _ => None,
    }
}

fn wrong_code(r: &UseCaseResult<()>) -> bool {
    matches!(r, Err(Refusal::Store(StoreError::VerificationFailed)))
}

#[tokio::test]
async fn the_fifth_wrong_code_locks_the_address_even_for_the_right_code_until_the_window_ends() {
    let t = testing::state().await;
    let state = &t.state;
    assert_eq!(state.settings.code_max_failures, 5);
    assert_eq!(state.settings.code_lockout_minutes, 15);
    register(state, None, registration(EMAIL)).await.unwrap();
    let code = testing::mailed_code(state, EMAIL).await;
    let wrong = other_than(&code);
    for i in 1..=4 {
        let r = verify_email(state, EMAIL, wrong).await;
        assert!(wrong_code(&r), "wrong code {i}: {r:?}");
    }
    // The fifth wrong code uses the address's tries up, and says so at once.
    let fifth = verify_email(state, EMAIL, wrong).await;
    let (what, secs) = too_many(&fifth).expect("the fifth wrong code is too many");
    assert_eq!(what, Attempts::Codes);
    assert!((890..=900).contains(&secs), "{secs}");
    // The right code is refused too, without being tried.
    let right = verify_email(state, EMAIL, &code).await;
    assert_eq!(too_many(&right).map(|(w, _)| w), Some(Attempts::Codes));
    // The capitals of the address make no other address.
    let shouted = verify_email(state, "RINA@example.ORG", &code).await;
    assert!(too_many(&shouted).is_some());
    // Another address is not affected.
    register(state, None, registration("budi@example.org"))
        .await
        .unwrap();
    let budi = testing::mailed_code(state, "budi@example.org").await;
    verify_email(state, "budi@example.org", &budi)
        .await
        .unwrap();
    // After the window codes are taken again. The old code was tried 5 times and is
    // used up, so a new one is asked for.
    state.clock.advance(Duration::minutes(15));
    let used_up = verify_email(state, EMAIL, &code).await;
    assert!(wrong_code(&used_up), "{used_up:?}");
    resend_code(state, None, EMAIL).await.unwrap();
    let fresh = testing::mailed_code(state, EMAIL).await;
    verify_email(state, EMAIL, &fresh).await.unwrap();
}

#[tokio::test]
async fn wrong_reset_codes_and_wrong_verification_codes_count_together() {
    let t = testing::state().await;
    let state = &t.state;
    verified_account(state).await;
    request_password_reset(state, None, EMAIL).await.unwrap();
    let code = testing::mailed_code(state, EMAIL).await;
    let wrong = other_than(&code);
    let reset = |code: &str| PasswordReset {
        email: EMAIL.into(),
        code: code.into(),
        password: "rahasia-baru".into(),
    };
    for _ in 0..2 {
        assert!(wrong_code(&verify_email(state, EMAIL, wrong).await));
    }
    for _ in 0..2 {
        assert!(wrong_code(&reset_password(state, reset(wrong)).await));
    }
    let fifth = reset_password(state, reset(wrong)).await;
    assert_eq!(too_many(&fifth).map(|(w, _)| w), Some(Attempts::Codes));
    let right = reset_password(state, reset(&code)).await;
    assert_eq!(too_many(&right).map(|(w, _)| w), Some(Attempts::Codes));
    assert!(
        login(state, EMAIL, "rahasia-baru").await.is_err(),
        "the password did not change"
    );
    // A field mistake is said first, and costs no try.
    let short = reset_password(
        state,
        PasswordReset {
            password: "short".into(),
            ..reset(&code)
        },
    )
    .await;
    assert!(matches!(short, Err(Refusal::Invalid(_))), "{short:?}");
    // After the window, with a new code: the right one works, and clears the count.
    state.clock.advance(Duration::minutes(15));
    request_password_reset(state, None, EMAIL).await.unwrap();
    let fresh = testing::mailed_code(state, EMAIL).await;
    for _ in 0..4 {
        assert!(wrong_code(
            &verify_email(state, EMAIL, other_than(&fresh)).await
        ));
    }
    reset_password(state, reset(&fresh)).await.unwrap();
    login(state, EMAIL, "rahasia-baru").await.unwrap();
    assert!(wrong_code(&verify_email(state, EMAIL, wrong).await));
}

#[tokio::test]
async fn an_address_gets_at_most_five_codes_an_hour_whoever_asks_and_whether_or_not_it_is_known() {
    let t = testing::state().await;
    let state = &t.state;
    assert_eq!(state.settings.address_max_mails, 5);
    assert_eq!(state.settings.address_mail_window_minutes, 60);
    // The registration's mail is the first of five.
    register(state, None, registration(EMAIL)).await.unwrap();
    for _ in 0..4 {
        resend_code(state, None, EMAIL).await.unwrap();
    }
    let sixth = resend_code(state, None, EMAIL).await;
    let (what, secs) = too_many(&sixth).expect("the sixth is too many");
    assert_eq!(what, Attempts::Mails);
    assert!((3590..=3600).contains(&secs), "{secs}");
    let reset = request_password_reset(state, None, " Rina@Example.org").await;
    assert_eq!(too_many(&reset).map(|(w, _)| w), Some(Attempts::Mails));
    let mails = state.store.recent_mail(Some(EMAIL), 20).await.unwrap();
    assert_eq!(mails.len(), 5, "five mails reached the address");
    // An unknown address is answered the same: five requests, then none.
    for _ in 0..5 {
        request_password_reset(state, None, "nobody@example.org")
            .await
            .unwrap();
    }
    let unknown = resend_code(state, None, "nobody@example.org").await;
    assert_eq!(too_many(&unknown).map(|(w, _)| w), Some(Attempts::Mails));
    // An hour later the address may get a code again.
    state.clock.advance(Duration::minutes(60));
    resend_code(state, None, EMAIL).await.unwrap();
    let mails = state.store.recent_mail(Some(EMAIL), 20).await.unwrap();
    assert_eq!(mails.len(), 6);
}

#[tokio::test]
async fn one_client_address_may_register_or_ask_for_codes_30_times_an_hour() {
    let t = testing::state().await;
    let state = &t.state;
    assert_eq!(state.settings.client_max_requests, 30);
    assert_eq!(state.settings.client_request_window_minutes, 60);
    let phone: IpAddr = "2001:db8:7:7::1".parse().unwrap();
    let same_network: IpAddr = "2001:db8:7:7:abcd::99".parse().unwrap();
    for i in 0..15 {
        resend_code(state, Some(phone), &format!("a{i}@example.org"))
            .await
            .unwrap();
        request_password_reset(state, Some(same_network), &format!("b{i}@example.org"))
            .await
            .unwrap();
    }
    let next = resend_code(state, Some(phone), "c@example.org").await;
    let (what, secs) = too_many(&next).expect("the 31st is too many");
    assert_eq!(what, Attempts::Requests);
    assert!((3590..=3600).contains(&secs), "{secs}");
    // A registration from there is refused before any work, but a mistake in its fields
    // is said first.
    let refused = register(state, Some(phone), registration(EMAIL)).await;
    assert!(matches!(
        refused,
        Err(Refusal::TooManyAttempts {
            what: Attempts::Requests,
            ..
        })
    ));
    assert!(state.store.account_auth(EMAIL).await.unwrap().is_none());
    let typo = register(
        state,
        Some(phone),
        Registration {
            phone: "08x".into(),
            ..registration(EMAIL)
        },
    )
    .await;
    assert!(matches!(typo, Err(Refusal::Invalid(_))), "{typo:?}");
    // Another client is not affected; an hour later this one may ask again.
    let other: IpAddr = "203.0.113.7".parse().unwrap();
    register(state, Some(other), registration(EMAIL))
        .await
        .unwrap();
    state.clock.advance(Duration::minutes(60));
    resend_code(state, Some(phone), EMAIL).await.unwrap();
}
