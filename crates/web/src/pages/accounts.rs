//! Accounts on the pages: log in (a new session and a new form token), log out, register,
//! verify the emailed code (and send it again), and add an applicant with the NIK checked
//! rule by rule. Each POST checks the form token, and on success redirects to a GET page.

use axum::extract::{Query, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::forms::{CheckedForm, Field, FormPage, Radio, Tokened, message, too_many_message};
use super::session::{SignedIn, encode, safe_next};
use super::{CSRF_COOKIE, PageCtx, PageResult, render_with};
use crate::extract::ClientAddr;
use crate::extract::{SESSION_COOKIE, session_cookie_max_age};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::usecases::applicants::{self, NewApplicant};
use crate::usecases::{Attempts, Refusal, accounts};

/// Every field any of these forms sends; absent ones are empty.
#[derive(Deserialize, Default)]
pub struct AccountForm {
    csrf: Option<String>,
    email: Option<String>,
    password: Option<String>,
    full_name: Option<String>,
    birth_date: Option<String>,
    sex: Option<String>,
    phone: Option<String>,
    code: Option<String>,
    nik: Option<String>,
    married: Option<String>,
    next: Option<String>,
}

impl AccountForm {
    fn get(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("")
    }
}

impl Tokened for AccountForm {
    fn csrf(&self) -> &str {
        Self::get(&self.csrf)
    }
}

/// The `?next=` and `?email=` of the GET pages, and what the login page is to say.
#[derive(Deserialize, Default)]
pub struct Return {
    next: Option<String>,
    email: Option<String>,
    verified: Option<String>,
    /// Set when a signed-in page sent the browser here because its session had ended.
    ended: Option<String>,
    reset: Option<String>,
}

fn login_form(ctx: &PageCtx, email: &str, next: &str) -> FormPage {
    let t = Tr(ctx.lang);
    let mut p = FormPage::new(
        ctx,
        "login",
        "/login",
        vec![
            Field::new(t, "email", "email", "email").value(email),
            // The length hint is for choosing a password, not for typing one's own.
            Field {
                hint: String::new(),
                ..Field::new(t, "password", "password", "current-password")
            },
        ],
    );
    p.hidden.push(("next", next.to_owned()));
    p.links = vec![
        (
            format!("/register?next={}", encode(next)),
            t.s("login.register").to_owned(),
        ),
        (
            format!("/reset?email={}", encode(email)),
            t.s("login.forgot").to_owned(),
        ),
        (
            format!("/verify?email={}", encode(email)),
            t.s("login.verify").to_owned(),
        ),
    ];
    p
}

/// `GET /login`.
pub async fn login_page(ctx: PageCtx, Query(q): Query<Return>) -> Response {
    let t = Tr(ctx.lang);
    let next = safe_next(q.next.as_deref()).to_owned();
    let mut p = login_form(&ctx, q.email.as_deref().unwrap_or(""), &next);
    if q.verified.is_some() {
        p.notice = Some(t.s("login.verified").to_owned());
    } else if q.ended.is_some() {
        p.notice = Some(t.s("session.ended").to_owned());
    }
    if q.reset.is_some() {
        p.notice = Some(t.s("reset_done.notice").to_owned());
    }
    render_with(axum::http::StatusCode::OK, &p)
}

/// `POST /login`: a new session; the form token is renewed with it.
pub async fn login(
    State(state): State<AppState>,
    ctx: PageCtx,
    CheckedForm(f): CheckedForm<AccountForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let email = AccountForm::get(&f.email).trim().to_owned();
    let next = safe_next(f.next.as_deref()).to_owned();
    let page = login_form(&ctx, &email, &next);
    let page = if email.is_empty() {
        page.field_error(t, "email", "required")
    } else {
        page
    };
    let page = if AccountForm::get(&f.password).is_empty() {
        page.field_error(t, "password", "required")
    } else {
        page
    };
    if page.c.has_errors {
        return Ok(render_with(axum::http::StatusCode::OK, &page));
    }
    match accounts::login(&state, &email, AccountForm::get(&f.password)).await {
        Ok(s) => Ok(signed_in(&state, &ctx, &s.token, &next)),
        Err(Refusal::EmailNotVerified) => {
            Ok(Redirect::to(&format!("/verify?email={}", encode(&email))).into_response())
        }
        Err(Refusal::InvalidCredentials(_)) => Ok(render_with(
            axum::http::StatusCode::OK,
            &page.error(t.s("login.wrong").to_owned()),
        )),
        Err(Refusal::TooManyAttempts {
            what,
            retry_after_seconds,
        }) => too_many(t, page, what, retry_after_seconds),
        Err(r) => Err(r.into()),
    }
}

/// The answer to a login: the new session's cookie, a new form token (the session is
/// renewed at login, and the token with it), and the way on to `next`.
pub(crate) fn signed_in(state: &AppState, ctx: &PageCtx, token: &str, next: &str) -> Response {
    let mut res = Redirect::to(next).into_response();
    let attrs = ctx.cookie_attributes();
    let max_age = session_cookie_max_age(&state.settings);
    let new_csrf = hex::encode(rand::random::<[u8; 32]>());
    for c in [
        format!("{SESSION_COOKIE}={token}; {attrs}; HttpOnly; Max-Age={max_age}"),
        format!("{CSRF_COOKIE}={new_csrf}; {attrs}; HttpOnly"),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// `page` again (what was typed kept, never a password or a code) with a refusal of too
/// many attempts in words: what happened, and in how many minutes to try again.
fn too_many(t: Tr, page: FormPage, what: Attempts, retry_after_seconds: i64) -> PageResult {
    Ok(render_with(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        &page.error(too_many_message(t, what, retry_after_seconds)),
    ))
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    ctx: PageCtx,
    _form: CheckedForm<AccountForm>,
) -> PageResult {
    signed_out(&state, &ctx, "/").await
}

/// Ends the browser's session (if any), drops its cookie and the receipts kept offline,
/// and goes on to `to`.
pub(crate) async fn signed_out(state: &AppState, ctx: &PageCtx, to: &str) -> PageResult {
    if let Some(token) = &ctx.session {
        accounts::logout(state, token).await?;
    }
    let mut res = Redirect::to(to).into_response();
    let c = format!(
        "{SESSION_COOKIE}=; {}; HttpOnly; Max-Age=0",
        ctx.cookie_attributes()
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    // The receipts kept for offline use go with the session (a shared phone).
    res.headers_mut().insert(
        HeaderName::from_static("clear-site-data"),
        HeaderValue::from_static("\"cache\", \"storage\""),
    );
    Ok(res)
}

pub(crate) fn sex_radios(t: Tr) -> Vec<Radio> {
    vec![
        Radio {
            value: "female".into(),
            label: t.s("form.sex.female").to_owned(),
        },
        Radio {
            value: "male".into(),
            label: t.s("form.sex.male").to_owned(),
        },
    ]
}

fn register_form(ctx: &PageCtx, f: &AccountForm) -> FormPage {
    let t = Tr(ctx.lang);
    let g = AccountForm::get;
    let mut p = FormPage::new(
        ctx,
        "register",
        "/register",
        vec![
            Field::new(t, "full_name", "text", "name").value(g(&f.full_name)),
            Field::new(t, "email", "email", "email").value(g(&f.email)),
            Field::new(t, "phone", "tel", "tel").value(g(&f.phone)),
            Field::new(t, "birth_date", "date", "bday").value(g(&f.birth_date)),
            Field::new(t, "sex", "radio", "")
                .value(g(&f.sex))
                .radios(sex_radios(t)),
            Field::new(t, "password", "password", "new-password"),
        ],
    );
    p.links = vec![("/login".to_owned(), t.s("register.have_account").to_owned())];
    p
}

/// `GET /register`.
pub async fn register_page(ctx: PageCtx) -> Response {
    render_with(
        axum::http::StatusCode::OK,
        &register_form(&ctx, &AccountForm::default()),
    )
}

/// `POST /register`: the account, then the code by email and the verify page.
pub async fn register(
    State(state): State<AppState>,
    ctx: PageCtx,
    ClientAddr(client): ClientAddr,
    CheckedForm(f): CheckedForm<AccountForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let g = |v: &Option<String>| AccountForm::get(v).to_owned();
    let r = accounts::Registration {
        email: g(&f.email),
        password: g(&f.password),
        full_name: g(&f.full_name),
        birth_date: g(&f.birth_date),
        sex: g(&f.sex),
        phone: g(&f.phone),
        locale: ctx.lang.code().to_owned(),
    };
    let page = register_form(&ctx, &f);
    match accounts::register(&state, client, r).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/verify?email={}",
            encode(AccountForm::get(&f.email).trim())
        ))
        .into_response()),
        Err(Refusal::Invalid(problems)) => Ok(render_with(
            axum::http::StatusCode::OK,
            &page.problems(t, &problems),
        )),
        Err(Refusal::Store(loket_store::StoreError::EmailTaken)) => Ok(render_with(
            axum::http::StatusCode::OK,
            &page.field_error(t, "email", "taken"),
        )),
        Err(Refusal::TooManyAttempts {
            what,
            retry_after_seconds,
        }) => too_many(t, page, what, retry_after_seconds),
        Err(r) => Err(r.into()),
    }
}

fn verify_form(ctx: &PageCtx, email: &str) -> FormPage {
    let t = Tr(ctx.lang);
    let mut p = FormPage::new(
        ctx,
        "verify",
        "/verify",
        vec![
            Field::new(t, "email", "email", "email").value(email),
            Field::new(t, "code", "text", "one-time-code"),
        ],
    );
    p.links = vec![(
        format!("/verify/resend?email={}", encode(email)),
        t.s("verify.resend").to_owned(),
    )];
    p
}

/// `GET /verify`.
pub async fn verify_page(ctx: PageCtx, Query(q): Query<Return>) -> Response {
    let t = Tr(ctx.lang);
    let mut p = verify_form(&ctx, q.email.as_deref().unwrap_or(""));
    if q.verified.as_deref() == Some("sent") {
        p.notice = Some(t.s("verify.sent").to_owned());
    }
    render_with(axum::http::StatusCode::OK, &p)
}

/// `POST /verify`.
pub async fn verify(
    State(state): State<AppState>,
    ctx: PageCtx,
    CheckedForm(f): CheckedForm<AccountForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let email = AccountForm::get(&f.email).trim().to_owned();
    let code = AccountForm::get(&f.code).trim().to_owned();
    let page = verify_form(&ctx, &email);
    if code.is_empty() {
        return Ok(render_with(
            axum::http::StatusCode::OK,
            &page.field_error(t, "code", "required"),
        ));
    }
    match accounts::verify_email(&state, &email, &code).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/login?verified=1&email={}", encode(&email))).into_response(),
        ),
        Err(Refusal::Store(loket_store::StoreError::VerificationFailed))
        | Err(Refusal::NotFound(_))
        | Err(Refusal::Invalid(_)) => Ok(render_with(
            axum::http::StatusCode::OK,
            &page.field_error(t, "code", "wrong"),
        )),
        Err(Refusal::TooManyAttempts {
            what,
            retry_after_seconds,
        }) => too_many(t, page, what, retry_after_seconds),
        Err(r) => Err(r.into()),
    }
}

/// The one-field form that asks for a code by email: a new verification code (`resend`)
/// or a password reset code (`reset`).
fn email_form(ctx: &PageCtx, key: &str, action: &str, email: &str) -> FormPage {
    let t = Tr(ctx.lang);
    FormPage::new(
        ctx,
        key,
        action,
        vec![Field::new(t, "email", "email", "email").value(email)],
    )
}

/// `GET /verify/resend?email=…`: a page with one button (sending mail changes state, so
/// it is a POST).
pub async fn resend_page(ctx: PageCtx, Query(q): Query<Return>) -> Response {
    let email = q.email.as_deref().unwrap_or("");
    let p = email_form(&ctx, "resend", "/verify/resend", email);
    render_with(axum::http::StatusCode::OK, &p)
}

/// `POST /verify/resend`. Says the same whether or not the address is registered.
pub async fn resend(
    State(state): State<AppState>,
    ctx: PageCtx,
    ClientAddr(client): ClientAddr,
    CheckedForm(f): CheckedForm<AccountForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let email = AccountForm::get(&f.email).trim().to_owned();
    match accounts::resend_code(&state, client, &email).await {
        Ok(()) | Err(Refusal::NotFound(_)) | Err(Refusal::Invalid(_)) => {}
        Err(Refusal::TooManyAttempts {
            what,
            retry_after_seconds,
        }) => {
            let page = email_form(&ctx, "resend", "/verify/resend", &email);
            return too_many(t, page, what, retry_after_seconds);
        }
        Err(r) => return Err(r.into()),
    }
    Ok(Redirect::to(&format!("/verify?verified=sent&email={}", encode(&email))).into_response())
}

fn applicant_form(ctx: &PageCtx, f: &AccountForm, next: &str) -> FormPage {
    let t = Tr(ctx.lang);
    let g = AccountForm::get;
    let mut p = FormPage::new(
        ctx,
        "applicant",
        "/applicants/new",
        vec![
            Field::new(t, "nik", "text", "off").value(g(&f.nik)),
            Field::new(t, "full_name", "text", "name").value(g(&f.full_name)),
            Field::new(t, "birth_date", "date", "bday").value(g(&f.birth_date)),
            Field::new(t, "sex", "radio", "")
                .value(g(&f.sex))
                .radios(sex_radios(t)),
            Field::new(t, "married", "checkbox", "").value(g(&f.married)),
        ],
    );
    p.hidden.push(("next", next.to_owned()));
    p
}

/// `GET /applicants/new`.
pub async fn applicant_page(ctx: PageCtx, _who: SignedIn, Query(q): Query<Return>) -> Response {
    let next = safe_next(q.next.as_deref()).to_owned();
    render_with(
        axum::http::StatusCode::OK,
        &applicant_form(&ctx, &AccountForm::default(), &next),
    )
}

/// `POST /applicants/new`: the NIK checked against the birth date and sex, each broken
/// rule in its own words.
pub async fn add_applicant(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: SignedIn,
    CheckedForm(f): CheckedForm<AccountForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let next = safe_next(f.next.as_deref()).to_owned();
    let g = |v: &Option<String>| AccountForm::get(v).to_owned();
    let new = NewApplicant {
        nik: g(&f.nik).split_whitespace().collect(),
        full_name: g(&f.full_name),
        birth_date: g(&f.birth_date),
        sex: g(&f.sex),
        married: f.married.as_deref() == Some("yes"),
    };
    let page = applicant_form(&ctx, &f, &next);
    let shown = |p: FormPage| Ok(render_with(axum::http::StatusCode::OK, &p));
    match applicants::add(&state, who.account_id, new).await {
        Ok(_) => Ok(Redirect::to(&next).into_response()),
        Err(Refusal::Invalid(problems)) => shown(page.problems(t, &problems)),
        Err(Refusal::InvalidNik(e)) => shown(page.field_error(t, "nik", e.code())),
        Err(Refusal::Store(loket_store::StoreError::ApplicantExists)) => {
            shown(page.field_error(t, "nik", "exists"))
        }
        Err(Refusal::Store(loket_store::StoreError::ApplicantLimitReached)) => {
            shown(page.error(message(t, "nik", "limit")))
        }
        Err(r) => Err(r.into()),
    }
}

/// `GET /reset`: ask for a reset code.
pub async fn reset_request_page(ctx: PageCtx, Query(q): Query<Return>) -> Response {
    let p = email_form(&ctx, "reset", "/reset", q.email.as_deref().unwrap_or(""));
    render_with(axum::http::StatusCode::OK, &p)
}

/// `POST /reset`: mails a code if the address is registered, and says the same either way.
pub async fn reset_request(
    State(state): State<AppState>,
    ctx: PageCtx,
    ClientAddr(client): ClientAddr,
    CheckedForm(f): CheckedForm<AccountForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let email = AccountForm::get(&f.email).trim().to_owned();
    match accounts::request_password_reset(&state, client, &email).await {
        Ok(()) => {}
        Err(Refusal::TooManyAttempts {
            what,
            retry_after_seconds,
        }) => {
            let page = email_form(&ctx, "reset", "/reset", &email);
            return too_many(t, page, what, retry_after_seconds);
        }
        Err(r) => return Err(r.into()),
    }
    Ok(Redirect::to(&format!("/reset/code?email={}", encode(&email))).into_response())
}

fn reset_form(ctx: &PageCtx, email: &str, code: &str) -> FormPage {
    let t = Tr(ctx.lang);
    let mut p = FormPage::new(
        ctx,
        "reset_code",
        "/reset/code",
        vec![
            Field::new(t, "email", "email", "email").value(email),
            Field::new(t, "code", "text", "one-time-code").value(code),
            Field::new(t, "password", "password", "new-password"),
        ],
    );
    p.notice = Some(t.s("reset_code.sent").to_owned());
    p
}

/// `GET /reset/code`.
pub async fn reset_page(ctx: PageCtx, Query(q): Query<Return>) -> Response {
    render_with(
        axum::http::StatusCode::OK,
        &reset_form(&ctx, q.email.as_deref().unwrap_or(""), ""),
    )
}

/// `POST /reset/code`: the new password; every old session ends.
pub async fn reset(
    State(state): State<AppState>,
    ctx: PageCtx,
    CheckedForm(f): CheckedForm<AccountForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let email = AccountForm::get(&f.email).trim().to_owned();
    let code = AccountForm::get(&f.code).trim().to_owned();
    // A mistake in the new password keeps the code typed beside it; a refused code is
    // not shown again.
    let page = reset_form(&ctx, &email, &code);
    let without_code = || reset_form(&ctx, &email, "");
    let r = accounts::PasswordReset {
        email: email.clone(),
        code: code.clone(),
        password: AccountForm::get(&f.password).to_owned(),
    };
    match accounts::reset_password(&state, r).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/login?reset=1&email={}", encode(&email))).into_response())
        }
        Err(Refusal::Invalid(problems)) => Ok(render_with(
            axum::http::StatusCode::OK,
            &page.problems(t, &problems),
        )),
        Err(Refusal::Store(loket_store::StoreError::VerificationFailed)) => Ok(render_with(
            axum::http::StatusCode::OK,
            &without_code().field_error(t, "code", "wrong"),
        )),
        Err(Refusal::TooManyAttempts {
            what,
            retry_after_seconds,
        }) => too_many(t, without_code(), what, retry_after_seconds),
        Err(r) => Err(r.into()),
    }
}

/// The NIK problem codes the page names, for the key test.
pub const NIK_CODES: [&str; 11] = [
    "not_digits",
    "wrong_length",
    "unknown_province",
    "invalid_birth_day",
    "invalid_month",
    "invalid_date",
    "zero_serial",
    "birth_date_mismatch",
    "sex_mismatch",
    "exists",
    "limit",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, catalogue};

    #[test]
    fn every_nik_rule_has_its_own_message_in_both_languages() {
        for lang in Lang::ALL {
            for code in NIK_CODES {
                let key = format!("form.nik.{code}");
                assert!(catalogue(lang).contains_key(&key), "{lang:?} {key}");
            }
            for code in [
                "required",
                "too_long",
                "invalid_characters",
                "invalid",
                "in_future",
                "implausible",
                "invalid_date",
            ] {
                let key = format!("form.rule.{code}");
                assert!(catalogue(lang).contains_key(&key), "{lang:?} {key}");
            }
        }
    }
}
