//! The staff login: username and password, the same login guard as the API's (too many
//! failures lock the username for a while), a renewed session and form token, and the
//! way on to the page that asked, else the staff member's own screen.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use loket_store::StaffRole;
use serde::Deserialize;

use super::StaffIn;
use crate::i18n::Tr;
use crate::pages::accounts::{signed_in, signed_out};
use crate::pages::forms::{CheckedForm, Field, FormPage, Tokened, too_many_message};
use crate::pages::{PageCtx, PageResult, render_with};
use crate::state::AppState;
use crate::usecases::{Refusal, accounts};

/// The login form's fields.
#[derive(Deserialize, Default)]
pub struct LoginForm {
    csrf: Option<String>,
    username: Option<String>,
    password: Option<String>,
    next: Option<String>,
}

impl Tokened for LoginForm {
    fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }
}

/// `?next=`: the staff page to come back to.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// A staff page of ours to go on to, never another site or an applicant page.
fn staff_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| n.starts_with("/staff/") && !n.contains("//") && !n.contains('\\'))
}

/// Where a staff member starts, by role: the front desk, a counter, the head of office's
/// floor view; the admins at the desk until their pages land (it tells them their role may
/// not work it).
fn home_of(role: StaffRole) -> &'static str {
    match role {
        StaffRole::CounterOfficer => "/staff/counter",
        StaffRole::HeadOfOffice => "/staff/floor",
        StaffRole::FrontDesk | StaffRole::RegionalAdmin | StaffRole::SystemAdmin => "/staff/desk",
    }
}

fn form(ctx: &PageCtx, username: &str, next: Option<&str>) -> FormPage {
    let t = Tr(ctx.lang);
    let mut p = FormPage::new(
        ctx,
        "staff_login",
        "/staff/login",
        vec![
            Field::new(t, "username", "text", "username").value(username),
            Field {
                hint: String::new(),
                ..Field::new(t, "password", "password", "current-password")
            },
        ],
    );
    if let Some(n) = next {
        p.hidden.push(("next", n.to_owned()));
    }
    p
}

/// `GET /staff/login`.
pub async fn page(ctx: PageCtx, Query(q): Query<NextQuery>) -> PageResult {
    let p = form(&ctx, "", staff_next(q.next.as_deref()));
    Ok(render_with(axum::http::StatusCode::OK, &p))
}

/// `POST /staff/login`.
pub async fn login(
    State(state): State<AppState>,
    ctx: PageCtx,
    CheckedForm(f): CheckedForm<LoginForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let username = f.username.as_deref().unwrap_or("").trim().to_owned();
    let password = f.password.as_deref().unwrap_or("");
    let next = staff_next(f.next.as_deref());
    let mut page = form(&ctx, &username, next);
    if username.is_empty() {
        page = page.field_error(t, "username", "required");
    }
    if password.is_empty() {
        page = page.field_error(t, "password", "required");
    }
    if page.c.has_errors {
        return Ok(render_with(axum::http::StatusCode::OK, &page));
    }
    match accounts::staff_login(&state, &username, password).await {
        Ok(s) => {
            let to = next.unwrap_or(home_of(s.staff.role));
            Ok(signed_in(&state, &ctx, &s.token, to))
        }
        Err(Refusal::InvalidCredentials(_)) => Ok(render_with(
            axum::http::StatusCode::OK,
            &page.error(t.s("staff_login.wrong").to_owned()),
        )),
        Err(Refusal::TooManyAttempts {
            what,
            retry_after_seconds,
        }) => Ok(render_with(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            &page.error(too_many_message(t, what, retry_after_seconds)),
        )),
        Err(r) => Err(r.into()),
    }
}

/// `GET /staff`: the staff member's own screen.
pub async fn home(who: StaffIn) -> impl IntoResponse {
    Redirect::to(home_of(who.staff.role))
}

/// `POST /staff/logout`.
pub async fn logout(
    State(state): State<AppState>,
    ctx: PageCtx,
    _form: CheckedForm<LoginForm>,
) -> PageResult {
    signed_out(&state, &ctx, "/staff/login").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_the_login_only_a_staff_page_of_ours_is_followed() {
        assert_eq!(staff_next(Some("/staff/desk")), Some("/staff/desk"));
        assert_eq!(staff_next(Some("/bookings")), None);
        assert_eq!(staff_next(Some("//evil.example/staff/")), None);
        assert_eq!(staff_next(Some("/staff//evil.example")), None);
        assert_eq!(staff_next(Some("https://evil.example/staff/")), None);
        assert_eq!(staff_next(None), None);
    }
}
