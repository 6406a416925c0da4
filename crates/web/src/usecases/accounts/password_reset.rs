//! Password resets: a one-time code mailed to a registered address, and a new password set
//! with it, which ends every session of the account.

use std::net::IpAddr;

use super::sessions::account_login;
use super::{
    CodeMail, check_code, check_password, count_mail_request, locale_of, normalize_email,
    password_hash, send_code,
};
use crate::auth::hash_token;
use crate::state::AppState;
use crate::usecases::UseCaseResult;
use crate::usecases::fields::Fields;

/// A new password asked for with the code the reset mail carried, as typed.
#[derive(Clone, Debug, Default)]
pub struct PasswordReset {
    /// The account's email address.
    pub email: String,
    /// The 6-digit code from the mail.
    pub code: String,
    /// The new password, 8-128 characters.
    pub password: String,
}

/// Mails a password reset code to a registered address. Succeeds (and counts against
/// `client` and the address) the same whether or not the address is known, so nobody
/// learns who has an account.
#[tracing::instrument(name = "usecase.accounts.request_password_reset", skip_all)]
pub async fn request_password_reset(
    state: &AppState,
    client: Option<IpAddr>,
    email: &str,
) -> UseCaseResult<()> {
    let email = normalize_email(email);
    count_mail_request(state, client, &email, state.now())?;
    if let Some(a) = state.store.account_auth(&email).await? {
        let locale = locale_of(state, a.id).await?;
        send_code(state, CodeMail::PasswordReset, a.id, &email, &locale).await?;
    }
    Ok(())
}

/// Sets a new password with the code the reset mail carried (at most 5 tries per code,
/// and the address's wrong codes limited as for verification, see `check_code`). Every
/// session of the account ends, the address counts as verified (the code came by mail),
/// and failed logins are forgotten so the new password works at once.
#[tracing::instrument(name = "usecase.accounts.reset_password", skip_all)]
pub async fn reset_password(state: &AppState, r: PasswordReset) -> UseCaseResult<()> {
    let mut f = Fields::default();
    let email = normalize_email(&f.text("email", &r.email, 254));
    let code = f.text("code", &r.code, 6);
    check_password(&mut f, "password", &r.password);
    f.finish()?;
    check_code(state, &email, |account| async move {
        let password_hash = password_hash(r.password).await?;
        Ok(state
            .store
            .reset_password(account, &hash_token(&code), &password_hash, state.now())
            .await?)
    })
    .await?;
    state.limits.logins.clear(&account_login(&email));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{EMAIL, verified_account};
    use super::super::{login, principal};
    use super::*;
    use crate::usecases::{Attempts, Login, Refusal, testing};
    use loket_store::StoreError;

    fn reset(code: &str, password: &str) -> PasswordReset {
        PasswordReset {
            email: "Rina@Example.org ".into(),
            code: code.into(),
            password: password.into(),
        }
    }

    #[tokio::test]
    async fn a_mailed_reset_code_sets_a_new_password_and_ends_the_old_sessions() {
        let t = testing::state().await;
        let state = &t.state;
        let id = verified_account(state).await;
        let old = login(state, EMAIL, "rahasia-lama").await.unwrap();
        assert_eq!(old.account_id, id);
        assert!(principal(state, &old.token).await.unwrap().is_some());
        request_password_reset(state, None, EMAIL).await.unwrap();
        let mail = state.store.recent_mail(Some(EMAIL), 1).await.unwrap();
        assert_eq!(mail[0].subject, "Reset your Loket password");
        let code = testing::mailed_code(state, EMAIL).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert!(matches!(
            reset_password(state, reset(wrong, "rahasia-baru")).await,
            Err(Refusal::Store(StoreError::VerificationFailed))
        ));
        reset_password(state, reset(&code, "rahasia-baru"))
            .await
            .unwrap();
        assert!(
            principal(state, &old.token).await.unwrap().is_none(),
            "the old session ended, cached or not"
        );
        assert!(matches!(
            login(state, EMAIL, "rahasia-lama").await,
            Err(Refusal::InvalidCredentials(Login::Email))
        ));
        assert_eq!(
            login(state, EMAIL, "rahasia-baru")
                .await
                .unwrap()
                .account_id,
            id
        );
        // The code is used up.
        assert!(matches!(
            reset_password(state, reset(&code, "rahasia-lagi")).await,
            Err(Refusal::Store(StoreError::VerificationFailed))
        ));
    }

    #[tokio::test]
    async fn a_reset_is_refused_field_by_field_and_unknown_addresses_learn_nothing() {
        let t = testing::state().await;
        let state = &t.state;
        request_password_reset(state, None, "nobody@example.org")
            .await
            .unwrap();
        assert!(state.store.recent_mail(None, 10).await.unwrap().is_empty());
        let Err(Refusal::Invalid(fields)) = reset_password(
            state,
            PasswordReset {
                email: String::new(),
                code: String::new(),
                password: "short".into(),
            },
        )
        .await
        else {
            panic!("expected field refusals");
        };
        let got: Vec<_> = fields
            .iter()
            .map(|p| (p.field.as_str(), p.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("email", "required"),
                ("code", "required"),
                ("password", "too_short")
            ]
        );
        assert!(matches!(
            reset_password(state, reset("123456", "rahasia-baru")).await,
            Err(Refusal::Store(StoreError::VerificationFailed))
        ));
    }

    #[tokio::test]
    async fn a_reset_lets_a_locked_out_applicant_log_in_at_once() {
        let t = testing::state().await;
        let state = &t.state;
        verified_account(state).await;
        for _ in 0..state.settings.login_max_failures {
            let _ = login(state, EMAIL, "salah-terus").await;
        }
        assert!(matches!(
            login(state, EMAIL, "rahasia-lama").await,
            Err(Refusal::TooManyAttempts {
                what: Attempts::Logins,
                ..
            })
        ));
        request_password_reset(state, None, EMAIL).await.unwrap();
        let code = testing::mailed_code(state, EMAIL).await;
        reset_password(state, reset(&code, "rahasia-baru"))
            .await
            .unwrap();
        login(state, EMAIL, "rahasia-baru").await.unwrap();
    }
}
