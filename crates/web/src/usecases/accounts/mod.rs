//! Applicant accounts: registering, verifying the email address with a one-time code (and
//! sending a new one), the profile, and, in files of their own, sessions (logging in and
//! out, the staff login) and password resets. Tokens and codes are stored only as hashes.
//! Every request that mails a code counts against its client and its address, and every
//! wrong code against its address (`crate::limits`).

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use loket_store::{Account, NewAccount, StoreError};
use uuid::Uuid;

use super::fields::{Fields, checked, clean};
use super::{Attempts, Refusal, UseCaseResult};
use crate::auth::{hash_password, hash_token, new_code};
use crate::limits::client_key;
use crate::mail::{self, Template};
use crate::state::AppState;

#[cfg(test)]
mod limit_tests;
mod password_reset;
mod sessions;

pub use password_reset::{PasswordReset, request_password_reset, reset_password};
pub use sessions::{LoggedIn, StaffLoggedIn, login, logout, principal, staff_login};

/// How long an emailed code is valid.
const CODE_MINUTES: i64 = 30;

/// A registration as typed: every field is checked here, and all mistakes are refused at
/// once.
#[derive(Clone, Debug, Default)]
pub struct Registration {
    /// Email address.
    pub email: String,
    /// Password, 8-128 characters.
    pub password: String,
    /// Name as on the ID card.
    pub full_name: String,
    /// Birth date, YYYY-MM-DD.
    pub birth_date: String,
    /// "male" or "female".
    pub sex: String,
    /// Phone number: 8-15 digits, optionally after a +.
    pub phone: String,
    /// Language of the mails: "id" (also when empty) or "en".
    pub locale: String,
}

/// A registered account, waiting for its email address to be verified.
#[derive(Clone, Debug)]
pub struct Registered {
    /// The new account.
    pub account_id: Uuid,
}

/// Lower-cased, trimmed email; an address with control characters becomes empty (unknown).
pub fn normalize_email(s: &str) -> String {
    let e = s.trim().to_lowercase();
    if clean(&e) { e } else { String::new() }
}

fn email_ok(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(char::is_whitespace)
        && e.len() <= 254
}

fn phone_ok(p: &str) -> bool {
    let digits: String = p.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let rest = digits.strip_prefix('+').unwrap_or(&digits);
    (8..=15).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a new password's length (8-128 characters).
fn check_password(f: &mut Fields, field: &str, password: &str) {
    let n = password.chars().count();
    if n < 8 {
        f.push(field, "too_short", "use at least 8 characters");
    } else if n > 128 {
        f.push(field, "too_long", "at most 128 characters");
    }
}

/// A password's Argon2id hash; a failure of the hashing thread is ours.
async fn password_hash(password: String) -> UseCaseResult<String> {
    hash_password(password)
        .await
        .map_err(|e| Refusal::Internal(e.to_string()))
}

/// Registers an applicant account and emails it a verification code. A registration whose
/// fields are right counts as a request of `client` and a mail to its address, whether or
/// not the address is taken.
#[tracing::instrument(name = "usecase.accounts.register", skip_all)]
pub async fn register(
    state: &AppState,
    client: Option<IpAddr>,
    r: Registration,
) -> UseCaseResult<Registered> {
    let today = state.now().date_naive();
    let mut f = Fields::default();
    let email = normalize_email(&f.text("email", &r.email, 254));
    if !email.is_empty() && !email_ok(&email) {
        f.push("email", "invalid", "this is not an email address");
    }
    check_password(&mut f, "password", &r.password);
    let full_name = f.text("full_name", &r.full_name, 100);
    let birth_date = f.birth_date("birth_date", &r.birth_date, today);
    let sex = f.sex("sex", &r.sex);
    let phone = f.text("phone", &r.phone, 20);
    if !phone.is_empty() && !phone_ok(&phone) {
        f.push("phone", "invalid", "use digits, e.g. 081234567890");
    }
    let locale = match r.locale.trim() {
        "" | "id" => "id",
        "en" => "en",
        _ => {
            f.push("locale", "invalid", "use id or en");
            "id"
        }
    };
    f.finish()?;
    let (birth_date, sex) = (checked(birth_date)?, checked(sex)?);
    count_mail_request(state, client, &email, state.now())?;
    let password_hash = password_hash(r.password).await?;
    let account_id = state
        .store
        .create_account(
            &NewAccount {
                email: email.clone(),
                password_hash,
                full_name,
                birth_date,
                sex,
                phone,
                locale: locale.to_owned(),
            },
            state.now(),
        )
        .await?;
    send_code(state, CodeMail::Verification, account_id, &email, locale).await?;
    Ok(Registered { account_id })
}

/// Counts a request that may mail a code to `email` from `client` at `now`, or refuses it
/// when the client's requests or the address's mails are used up.
fn count_mail_request(
    state: &AppState,
    client: Option<IpAddr>,
    email: &str,
    now: DateTime<Utc>,
) -> UseCaseResult<()> {
    let limits = &state.limits;
    if let Some(ip) = client {
        limits
            .requests
            .take(&client_key(ip), now)
            .map_err(|until| Refusal::too_many(Attempts::Requests, until, now))?;
    }
    if !email.is_empty() {
        limits
            .mails
            .take(email, now)
            .map_err(|until| Refusal::too_many(Attempts::Mails, until, now))?;
    }
    Ok(())
}

/// Checks a one-time code of `email` with `check` (the store's verify or reset, given the
/// address's account), unless the address's wrong codes are used up: then even the right
/// code is refused, unchecked. A wrong code, or an address without an account, counts; the
/// one that uses the address's codes up is refused as too many, so the person learns at
/// once that they have to wait. A right code clears the count.
async fn check_code<F, Fut>(state: &AppState, email: &str, check: F) -> UseCaseResult<()>
where
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = UseCaseResult<()>>,
{
    let codes = &state.limits.codes;
    let now = state.now();
    if let Some(until) = codes.blocked_until(email, now) {
        return Err(Refusal::too_many(Attempts::Codes, until, now));
    }
    let checked = match state.store.account_auth(email).await? {
        Some(account) => check(account.id).await,
        None => Err(StoreError::VerificationFailed.into()),
    };
    match checked {
        Ok(()) => {
            codes.clear(email);
            Ok(())
        }
        Err(Refusal::Store(StoreError::VerificationFailed)) => {
            codes.count(email, now);
            match codes.blocked_until(email, now) {
                Some(until) => Err(Refusal::too_many(Attempts::Codes, until, now)),
                None => Err(StoreError::VerificationFailed.into()),
            }
        }
        Err(other) => Err(other),
    }
}

/// Mails a fresh one-time code of `template`'s kind, after storing its hash.
/// The one-time code mails: each keeps its code in its own place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CodeMail {
    /// Verifies the email address.
    Verification,
    /// Lets the applicant set a new password.
    PasswordReset,
}

async fn send_code(
    state: &AppState,
    kind: CodeMail,
    account: Uuid,
    email: &str,
    locale: &str,
) -> UseCaseResult<()> {
    let code = new_code();
    let now = state.now();
    let (hash, expires_at) = (hash_token(&code), now + Duration::minutes(CODE_MINUTES));
    let template = match kind {
        CodeMail::PasswordReset => {
            state
                .store
                .put_password_reset(account, &hash, expires_at)
                .await?;
            Template::PasswordReset
        }
        CodeMail::Verification => {
            state
                .store
                .put_verification(account, &hash, expires_at)
                .await?;
            Template::Verification
        }
    };
    let (subject, body) = mail::render(template, locale, &[("code", &code)]);
    state
        .store
        .enqueue_mail(email, &subject, &body, now)
        .await?;
    Ok(())
}

/// The mail language of an account (Indonesian if it is gone).
async fn locale_of(state: &AppState, account: Uuid) -> UseCaseResult<String> {
    Ok(state
        .store
        .get_account(account)
        .await?
        .map(|a| a.locale)
        .unwrap_or_default())
}

/// Verifies an account's email address with the code it was sent (at most 5 tries per
/// code, and `code_max_failures` wrong codes per address and window, see [`check_code`]).
#[tracing::instrument(name = "usecase.accounts.verify_email", skip_all)]
pub async fn verify_email(state: &AppState, email: &str, code: &str) -> UseCaseResult<()> {
    let mut f = Fields::default();
    let email = normalize_email(&f.text("email", email, 254));
    let code = f.text("code", code, 6);
    f.finish()?;
    check_code(state, &email, |account| async move {
        Ok(state
            .store
            .verify_email(account, &hash_token(&code), state.now())
            .await?)
    })
    .await
}

/// Sends a new verification code to an address that waits for one. Succeeds (and counts
/// against `client` and the address) the same whether or not the address is known, so
/// nobody learns who has an account.
#[tracing::instrument(name = "usecase.accounts.resend_code", skip_all)]
pub async fn resend_code(
    state: &AppState,
    client: Option<IpAddr>,
    email: &str,
) -> UseCaseResult<()> {
    let email = normalize_email(email);
    count_mail_request(state, client, &email, state.now())?;
    if let Some(a) = state.store.account_auth(&email).await?
        && !a.verified
    {
        let locale = locale_of(state, a.id).await?;
        send_code(state, CodeMail::Verification, a.id, &email, &locale).await?;
    }
    Ok(())
}

/// The logged-in applicant's account.
pub async fn profile(state: &AppState, account_id: Uuid) -> UseCaseResult<Account> {
    state
        .store
        .get_account(account_id)
        .await?
        .ok_or(Refusal::NotLoggedIn)
}

#[cfg(test)]
pub(super) mod fixtures {
    use super::*;

    /// The address of the fixture account.
    pub const EMAIL: &str = "rina@example.org";

    /// Registers the fixture account (password "rahasia-lama") and verifies it.
    pub async fn verified_account(state: &AppState) -> Uuid {
        let r = register(
            state,
            None,
            Registration {
                email: EMAIL.into(),
                password: "rahasia-lama".into(),
                full_name: "Rina Wulandari".into(),
                birth_date: "1990-03-05".into(),
                sex: "female".into(),
                phone: "081234567890".into(),
                locale: "en".into(),
            },
        )
        .await
        .unwrap();
        let code = crate::usecases::testing::mailed_code(state, EMAIL).await;
        verify_email(state, EMAIL, &code).await.unwrap();
        r.account_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_compared_lower_cased_and_checked_for_shape() {
        assert_eq!(normalize_email("  Rina@Example.ORG "), "rina@example.org");
        assert_eq!(normalize_email("a\u{7}@b.c"), "");
        assert!(email_ok("rina@example.org"));
        for bad in [
            "rina",
            "@example.org",
            "rina@example",
            "rina@.org",
            "ri na@x.org",
        ] {
            assert!(!email_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn phones_have_8_to_15_digits_after_an_optional_plus() {
        for ok in [
            "081234567890",
            "+6281234567890",
            "0812-3456-7890",
            "0812 3456 78",
        ] {
            assert!(phone_ok(ok), "{ok:?}");
        }
        for bad in ["0812345", "+62812345678901234", "0812abc45678", ""] {
            assert!(!phone_ok(bad), "{bad:?}");
        }
    }
}
