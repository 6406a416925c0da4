//! The office floor over the API, for the front desk and the head of office of an office:
//! checking bookings in, registering priority walk-ins, and the day's tickets.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use loket_domain::staff::FRONT_DESK;
use loket_store::Ticket;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::quotas::actor;
use super::schemas::{BookingStateSchema, PriorityBasisSchema, TicketStateSchema};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentStaff};
use crate::planning;
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::fields::Fields;
use crate::usecases::floor::{self, Arrival, WalkIn};

problem_responses!(WalkInProblems: STAFF, JSON_BODY, &[NOT_FOUND, PRIORITY_QUOTA_FULL, OFFICE_CLOSED]);
problem_responses!(TicketsProblems: STAFF, &[NOT_FOUND, VALIDATION_FAILED]);
problem_responses!(ArrivalProblems: STAFF, &[NOT_FOUND, VALIDATION_FAILED, CHECK_IN_REFUSED]);
problem_responses!(SpecialProblems: STAFF, JSON_BODY, &[NOT_FOUND, VALIDATION_FAILED, CHECK_IN_REFUSED, RESCHEDULE_NOT_ALLOWED, PAYMENT_DEADLINE_PASSED, QUOTA_FULL, NIK_ACTIVE_BOOKING, OFFICE_CLOSED, NOT_YET_RELEASED]);
problem_responses!(OutageProblems: STAFF, JSON_BODY, &[NOT_FOUND, VALIDATION_FAILED, OFFICE_CLOSED]);
problem_responses!(OutageWalkInProblems: STAFF, &[NOT_FOUND, OUTAGE_MODE_OFF, OFFICE_CLOSED]);
problem_responses!(CheckInProblems: STAFF, JSON_BODY, &[NOT_FOUND, VALIDATION_FAILED, CHECK_IN_REFUSED, OFFICE_CLOSED]);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_arrival))
        .routes(routes!(post_check_in))
        .routes(routes!(post_walk_in))
        .routes(routes!(post_special_reschedule))
        .routes(routes!(put_outage))
        .routes(routes!(post_outage_walk_in))
        .routes(routes!(get_tickets))
}

/// Loads the office and checks the staff member may work it in one of `roles`
/// (`action` says what, for the refusal).
pub(super) async fn floor_office(
    state: &AppState,
    staff: &CurrentStaff,
    code: &str,
    roles: &[loket_domain::staff::StaffRole],
    action: &str,
) -> ApiResult<loket_domain::Office> {
    let office = planning::office(state, code).await?;
    staff.check_scope(&office.code, &office.region_code, roles, action)?;
    Ok(office)
}

/// The office, for its front desk.
pub(super) async fn desk_office(
    state: &AppState,
    staff: &CurrentStaff,
    code: &str,
) -> ApiResult<loket_domain::Office> {
    floor_office(
        state,
        staff,
        code,
        &FRONT_DESK,
        "work an office's front desk",
    )
    .await
}

/// A priority walk-in to register.
#[derive(Deserialize, ToSchema)]
pub struct WalkInBody {
    /// Why the person is served as a priority.
    #[schema(value_type = PriorityBasisSchema)]
    pub basis: Option<String>,
    /// The birth date on the ID card (the elderly and small children are checked by it).
    #[schema(value_type = NaiveDate)]
    pub birth_date: Option<String>,
}

/// A queue ticket.
#[derive(Serialize, ToSchema)]
pub struct TicketView {
    /// Id.
    pub id: uuid::Uuid,
    /// As printed and called, e.g. "P-003".
    pub number: String,
    /// The office.
    pub office: String,
    /// The day.
    pub date: NaiveDate,
    /// For a priority walk-in, why.
    #[schema(value_type = Option<PriorityBasisSchema>)]
    pub priority_basis: Option<&'static str>,
    /// Where it stands.
    #[schema(value_type = TicketStateSchema)]
    pub state: &'static str,
    /// The booking checked in with it.
    pub booking_id: Option<uuid::Uuid>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// The stage it waits at or is served at: documents or pickup.
    #[schema(value_type = String, pattern = "^(documents|pickup)$")]
    pub stage: &'static str,
    /// How many times it was called at this stage.
    pub calls: u32,
    /// The counter that called it, while called.
    pub counter: Option<u32>,
    /// When it was last called.
    pub called_at: Option<DateTime<Utc>>,
    /// How it was finished: accepted, documents_missing, rejected or collected.
    #[schema(value_type = Option<String>, pattern = "^(accepted|documents_missing|rejected|collected)$")]
    pub outcome: Option<&'static str>,
}

/// What the desk was shown: the receipt's QR code as scanned (`LOKET:…`) or its booking
/// code as typed (`7K3M-Q9XD`, the office's bookings of today and of the seven days
/// before, for a return with missing documents).
#[derive(Deserialize, ToSchema, IntoParams)]
pub struct PresentedBody {
    /// The scan or the typed code.
    #[schema(value_type = String, max_length = 64, example = "7K3M-Q9XD")]
    #[param(value_type = String, max_length = 64, example = "7K3M-Q9XD")]
    pub code: Option<String>,
}

/// A booking as the front desk finds it: whom to compare with the ID card, and whether it
/// can be checked in now.
#[derive(Serialize, ToSchema)]
pub struct ArrivalView {
    /// The booking.
    pub booking_id: uuid::Uuid,
    /// Its booking code.
    pub booking_code: String,
    /// The applicant's name as registered.
    pub applicant_name: Option<String>,
    /// The NIK, masked (compare its visible digits with the ID card).
    pub nik_masked: String,
    /// The service day.
    pub date: NaiveDate,
    /// The session's code.
    pub session: String,
    /// The booking's state now.
    #[schema(value_type = BookingStateSchema)]
    pub state: &'static str,
    /// Whether it can be checked in now.
    pub can_check_in: bool,
    /// If not, why (a `check-in-refused` reason, or `office_closed` for a return with
    /// missing documents on a day the office is closed).
    pub refusal: Option<&'static str>,
    /// Its ticket, once checked in.
    pub ticket: Option<TicketView>,
}

impl From<Arrival> for ArrivalView {
    fn from(a: Arrival) -> Self {
        let b = &a.booking;
        Self {
            booking_id: b.id,
            booking_code: loket_domain::BookingCode::of(b.id).to_string(),
            applicant_name: a.applicant.as_ref().map(|p| p.full_name.clone()),
            nik_masked: b.nik.masked(),
            date: b.slot.service_date,
            session: b.slot.session_code.clone(),
            state: b.state.as_str(),
            can_check_in: a.can_check_in(),
            refusal: match (&a.admit, &a.closed) {
                (Err(r), _) => Some(r.code()),
                (Ok(()), Some(_)) => Some("office_closed"),
                (Ok(()), None) => None,
            },
            ticket: a.ticket.map(TicketView::from),
        }
    }
}

/// Reads what the desk was shown.
fn presented(code: Option<&str>) -> ApiResult<String> {
    let mut f = Fields::default();
    let code = code.unwrap_or_default().trim();
    if code.is_empty() {
        f.push(
            "code",
            "required",
            "scan the QR code or type the booking code",
        );
    }
    f.finish()?;
    Ok(code.to_owned())
}

/// Finds a booking by its scanned QR code or typed booking code, and says whether it can
/// be checked in now (without checking it in).
#[utoipa::path(get, path = "/api/v1/offices/{code}/arrivals", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"), PresentedBody),
    responses((status = 200, description = "the booking found", body = ArrivalView), ArrivalProblems))]
async fn get_arrival(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<PresentedBody>,
) -> ApiResult<Json<ArrivalView>> {
    let office = desk_office(&state, &staff, &code).await?;
    let shown = presented(q.code.as_deref())?;
    let arrival = floor::find_arrival(&state, &office, &shown).await?;
    Ok(Json(arrival.into()))
}

/// Checks a paid booking in on its day and session (within the configured grace) and
/// issues its A ticket, or a return with the documents missing at its interview (up to
/// seven days after it; a new A ticket of today, the booking's state unchanged until the
/// counter's outcome); 409 check-in-refused says why not.
#[utoipa::path(post, path = "/api/v1/offices/{code}/check-ins", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code")), request_body = PresentedBody,
    responses((status = 201, description = "checked in, with its ticket", body = ArrivalView), CheckInProblems))]
async fn post_check_in(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<PresentedBody>,
) -> ApiResult<(StatusCode, Json<ArrivalView>)> {
    let office = desk_office(&state, &staff, &code).await?;
    let shown = presented(b.code.as_deref())?;
    let arrival = floor::check_in(&state, &actor(&staff), &office, &shown).await?;
    Ok((StatusCode::CREATED, Json(arrival.into())))
}

impl From<Ticket> for TicketView {
    fn from(t: Ticket) -> Self {
        Self {
            id: t.id,
            number: t.number.to_string(),
            office: t.office_code,
            date: t.service_date,
            priority_basis: t.priority_basis.map(|b| b.as_str()),
            state: t.state.as_str(),
            booking_id: t.booking_id,
            issued_at: t.issued_at,
            stage: t.stage.as_str(),
            calls: t.calls,
            counter: t.counter,
            called_at: t.called_at,
            outcome: t.outcome.map(|o| o.as_str()),
        }
    }
}

/// Registers a priority walk-in for today and issues its P ticket, within today's priority
/// quota (409 priority-quota-full once it is used up).
#[utoipa::path(post, path = "/api/v1/offices/{code}/walk-ins", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code")), request_body = WalkInBody,
    responses((status = 201, description = "the ticket", body = TicketView), WalkInProblems))]
async fn post_walk_in(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<WalkInBody>,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    let office = desk_office(&state, &staff, &code).await?;
    let today = loket_domain::release::local_date(state.now(), office.time_zone);
    let w = WalkIn::read(
        b.basis.as_deref().unwrap_or_default(),
        b.birth_date.as_deref().unwrap_or_default(),
        today,
    )?;
    let ticket = floor::register_walk_in(&state, &actor(&staff), office, w).await?;
    Ok((StatusCode::CREATED, Json(ticket.into())))
}

/// The day to list.
#[derive(Deserialize, IntoParams)]
pub struct TicketsQuery {
    /// The day (default: today at the office).
    #[param(value_type = Option<NaiveDate>)]
    pub date: Option<String>,
}

/// The office's tickets of a day, in the order issued.
#[utoipa::path(get, path = "/api/v1/offices/{code}/tickets", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"), TicketsQuery),
    responses((status = 200, description = "the tickets", body = [TicketView]), TicketsProblems))]
async fn get_tickets(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<TicketsQuery>,
) -> ApiResult<Json<Vec<TicketView>>> {
    let office = desk_office(&state, &staff, &code).await?;
    let date = match q.date.as_deref() {
        Some(d) => planning::parse_date("date", d)?,
        None => loket_domain::release::local_date(state.now(), office.time_zone),
    };
    let tickets = floor::tickets(&state, &office.code, date).await?;
    Ok(Json(tickets.into_iter().map(TicketView::from).collect()))
}

/// A special reschedule to make.
#[derive(Deserialize, ToSchema)]
pub struct SpecialBody {
    /// The booking: its receipt's QR code as scanned, or its booking code.
    #[schema(value_type = String, max_length = 64, example = "7K3M-Q9XD")]
    pub code: Option<String>,
    /// The new date.
    #[schema(value_type = NaiveDate)]
    pub date: Option<String>,
    /// The new session's code.
    #[schema(value_type = String, max_length = 32, example = "s1")]
    pub session: Option<String>,
    /// Why: system_fault, illness or force_majeure.
    #[schema(value_type = String, pattern = "^(system_fault|illness|force_majeure)$")]
    pub reason: Option<String>,
}

/// A booking moved by the front desk.
#[derive(Serialize, ToSchema)]
pub struct MovedView {
    /// The booking.
    pub booking_id: uuid::Uuid,
    /// Its new date.
    pub date: NaiveDate,
    /// Its new session.
    pub session: String,
    /// Its state (paid).
    #[schema(value_type = BookingStateSchema)]
    pub state: &'static str,
    /// The applicant's own reschedules used (a special one does not count).
    pub reschedules_used: i64,
}

/// Moves a paid booking, or a no-show, to another date after the applicant's own
/// reschedule has closed (from the day before on), for a reason: a special reschedule,
/// audited. The new date follows the online rules.
#[utoipa::path(post, path = "/api/v1/offices/{code}/special-reschedules", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code")), request_body = SpecialBody,
    responses((status = 200, description = "the booking moved", body = MovedView), SpecialProblems))]
async fn post_special_reschedule(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<SpecialBody>,
) -> ApiResult<Json<MovedView>> {
    let office = desk_office(&state, &staff, &code).await?;
    let shown = presented(b.code.as_deref())?;
    let mut f = Fields::default();
    let date = planning::parse_date("date", b.date.as_deref().unwrap_or_default()).ok();
    if date.is_none() {
        f.push("date", "invalid_date", "use the form YYYY-MM-DD");
    }
    let session = f.text("session", b.session.as_deref().unwrap_or_default(), 32);
    let reason =
        loket_domain::booking::SpecialReason::parse(b.reason.as_deref().unwrap_or_default());
    if reason.is_none() {
        f.push(
            "reason",
            "invalid_choice",
            "system_fault, illness or force_majeure",
        );
    }
    f.finish()?;
    let date = crate::usecases::fields::checked(date)?;
    let reason = crate::usecases::fields::checked(reason)?;
    let moved = floor::special_reschedule(
        &state,
        &actor(&staff),
        &office,
        &shown,
        (date, &session),
        reason,
    )
    .await?;
    Ok(Json(MovedView {
        booking_id: moved.id,
        date: moved.slot.service_date,
        session: moved.slot.session_code.clone(),
        state: moved.state.as_str(),
        reschedules_used: moved.reschedules_used,
    }))
}

/// Today's outage mode to set.
#[derive(Deserialize, ToSchema)]
pub struct OutageBody {
    /// On: people without a booking get B numbers; off: they do not.
    #[schema(value_type = bool)]
    pub on: Option<bool>,
}

/// Today's outage mode.
#[derive(Serialize, ToSchema)]
pub struct OutageView {
    /// Whether it is on.
    pub on: bool,
}

/// Switches the office's outage mode for today on or off (audited): when online bookings
/// cannot be made, the front desk serves people without a booking with B numbers.
#[utoipa::path(put, path = "/api/v1/offices/{code}/outage", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code")), request_body = OutageBody,
    responses((status = 200, description = "today's outage mode", body = OutageView), OutageProblems))]
async fn put_outage(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<OutageBody>,
) -> ApiResult<Json<OutageView>> {
    let office = desk_office(&state, &staff, &code).await?;
    let mut f = Fields::default();
    if b.on.is_none() {
        f.push("on", "required", "true or false");
    }
    f.finish()?;
    let on = crate::usecases::fields::checked(b.on)?;
    floor::set_outage(&state, &actor(&staff), &office, on).await?;
    Ok(Json(OutageView { on }))
}

/// Registers a person without a booking while the office runs in outage mode today: a B
/// ticket, called with the regular ones by arrival (409 outage-mode-off otherwise).
#[utoipa::path(post, path = "/api/v1/offices/{code}/outage-walk-ins", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code")),
    responses((status = 201, description = "the ticket", body = TicketView), OutageWalkInProblems))]
async fn post_outage_walk_in(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    let office = desk_office(&state, &staff, &code).await?;
    let ticket = floor::register_outage_walk_in(&state, &actor(&staff), &office).await?;
    Ok((StatusCode::CREATED, Json(ticket.into())))
}
