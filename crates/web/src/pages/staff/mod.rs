//! The staff pages: their login, and the floor's screens as they land (the front desk and
//! the counters now). A staff page needs a staff session (the same session cookie as the applicant
//! pages, holding a staff principal); anyone else is sent to the staff login. Each screen
//! checks the staff member's role and office with the domain's scope rule, the same as
//! the API.

pub mod assist;
pub mod counter;
pub mod desk;
pub mod floor;
pub mod login;
pub mod special;
pub mod ticket;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use loket_domain::staff::{ScopeRefusal, check_scope};
use loket_store::{Principal, Staff};

use super::session::encode;
use super::{Chrome, PageCtx, PageError};
use crate::state::AppState;
use crate::usecases::accounts;

/// The staff pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(login::home))
        .route("/staff/login", get(login::page).post(login::login))
        .route("/staff/logout", post(login::logout))
        .route("/staff/desk", get(desk::page))
        .route("/staff/desk/check-in", post(desk::check_in))
        .route("/staff/desk/walk-in", post(desk::walk_in))
        .route("/staff/desk/special", post(special::special))
        .route("/staff/desk/outage", post(desk::outage))
        .route("/staff/desk/outage-walk-in", post(desk::outage_walk_in))
        .route("/staff/desk/assist", get(assist::page).post(assist::book))
        .route("/staff/assisted/{id}", get(assist::slip))
        .route("/staff/tickets/{id}", get(ticket::ticket))
        .route("/staff/counter", get(counter::page))
        .route("/staff/counter/call", post(counter::call))
        .route("/staff/counter/act", post(counter::act))
        .route("/staff/floor", get(floor::page))
        .route("/staff/floor/priority", post(floor::raise))
}

/// A staff member behind the page.
pub struct StaffIn {
    /// Who.
    pub staff: Staff,
}

/// Why a staff page was not shown: not signed in as staff (to the staff login, coming
/// back here), or a failure looking the session up.
pub enum NotStaff {
    /// To the login.
    Login(String),
    /// The session could not be looked up.
    Failed(PageError),
}

impl IntoResponse for NotStaff {
    fn into_response(self) -> Response {
        match self {
            NotStaff::Login(next) => {
                Redirect::to(&format!("/staff/login?next={}", encode(&next))).into_response()
            }
            NotStaff::Failed(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for StaffIn {
    type Rejection = NotStaff;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, NotStaff> {
        let ctx = PageCtx::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let Some(token) = ctx.session.as_deref() else {
            return Err(NotStaff::Login(ctx.here));
        };
        match accounts::principal(state, token).await {
            Ok(Some(Principal::Staff(staff))) => Ok(Self { staff }),
            Ok(_) => Err(NotStaff::Login(ctx.here)),
            Err(r) => Err(NotStaff::Failed(PageError::from(r))),
        }
    }
}

impl StaffIn {
    /// The staff member's own office, if they may work it in one of `roles` (the front
    /// desk, the counters); the forbidden page otherwise.
    pub async fn own_office(
        &self,
        state: &AppState,
        roles: &[loket_store::StaffRole],
    ) -> Result<loket_domain::Office, PageError> {
        let code = self
            .staff
            .office_code
            .as_deref()
            .ok_or(PageError::Forbidden)?;
        let office = crate::planning::office(state, code)
            .await
            .map_err(|_| PageError::NotFound)?;
        self.may(&office, roles)?;
        Ok(office)
    }

    /// Whether this staff member may work `office` in one of `roles` (the domain's scope
    /// rule); a page refused shows the forbidden page.
    pub fn may(
        &self,
        office: &loket_domain::Office,
        roles: &[loket_store::StaffRole],
    ) -> Result<(), PageError> {
        check_scope(
            self.staff.role,
            self.staff.office_code.as_deref(),
            self.staff.region_code.as_deref(),
            &office.code,
            &office.region_code,
            roles,
        )
        .map_err(|_: ScopeRefusal| PageError::Forbidden)
    }
}

/// The floor's screens a role works, for the header's links.
fn screens_of(role: loket_store::StaffRole) -> Vec<(&'static str, &'static str)> {
    use loket_store::StaffRole as R;
    let desk = ("/staff/desk", "staff.screen_desk");
    let counter = ("/staff/counter", "staff.screen_counter");
    let floor = ("/staff/floor", "staff.screen_floor");
    match role {
        R::FrontDesk => vec![desk],
        R::CounterOfficer => vec![counter],
        R::HeadOfOffice => vec![floor, desk, counter],
        R::RegionalAdmin | R::SystemAdmin => Vec::new(),
    }
}

/// The staff layout: the shared one, with the staff member's name and office in the header
/// and a logout that comes back to the staff login.
pub struct StaffChrome {
    /// The shared layout parts.
    pub c: Chrome,
    /// The staff member's name.
    pub who: String,
    /// The staff stylesheet.
    pub staff_css: &'static str,
    /// The floor's screens this staff member works: (address, locale key).
    pub screens: Vec<(&'static str, &'static str)>,
}

impl StaffChrome {
    /// The layout for `staff`, titled `title`.
    pub fn new(ctx: &PageCtx, staff: &Staff, title: String) -> Self {
        Self {
            c: Chrome::new(ctx, title),
            who: staff.full_name.clone(),
            staff_css: super::assets::staff_css_href(),
            screens: screens_of(staff.role),
        }
    }
}
