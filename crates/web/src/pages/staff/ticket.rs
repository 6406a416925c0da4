//! A queue ticket to print and hand over: its number, what brought the person, when it was
//! issued, and a QR code of the page that follows it on a phone.

use askama::Template;
use axum::extract::{Path, State};
use loket_domain::staff::FRONT_DESK;
use loket_store::Ticket;
use uuid::Uuid;

use super::{StaffChrome, StaffIn};
use crate::format::date_time;
use crate::i18n::Tr;
use crate::pages::{PageCtx, PageError, PageResult, render};
use crate::state::AppState;
use crate::usecases::floor;

/// What kind of ticket it is, in words.
pub(super) fn kind_words(t: Tr, k: &Ticket) -> String {
    match (k.priority_basis, k.number.series) {
        (Some(b), _) => t.f(
            "desk.kind.priority",
            &[("basis", t.s(&format!("priority.{}", b.as_str())))],
        ),
        (None, loket_domain::floor::Series::Outage) => t.s("desk.kind.outage").to_owned(),
        (None, _) => t.s("desk.kind.booked").to_owned(),
    }
}

#[derive(Template)]
#[template(path = "pages/staff/ticket.html")]
struct TicketPage {
    s: StaffChrome,
    office: String,
    /// The QR code of the page that follows the ticket on a phone (inline SVG).
    qr: String,
    number: String,
    kind: String,
    issued: String,
    script: &'static str,
}

/// `GET /staff/tickets/{id}`: a ticket to print and hand over.
pub async fn ticket(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: StaffIn,
    Path(id): Path<String>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let office = who.own_office(&state, &FRONT_DESK).await?;
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    let k = floor::ticket(&state, &office, id).await?;
    let number = k.number.to_string();
    Ok(render(&TicketPage {
        s: StaffChrome::new(
            &ctx,
            &who.staff,
            t.f("ticket.title", &[("number", &number)]),
        ),
        office: office.name.clone(),
        qr: crate::pages::receipt::qr_svg(
            &format!(
                "{}/q/{}",
                state.settings.public_url.as_deref().unwrap_or(""),
                k.id
            ),
            t.s("ticket.qr_label"),
        )
        .unwrap_or_default(),
        kind: kind_words(t, &k),
        issued: date_time(t, k.issued_at, office.time_zone),
        number,
        script: crate::pages::assets::staff_js_href(),
    }))
}
