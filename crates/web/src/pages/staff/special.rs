//! The desk's special reschedule: the booking shown moves to another date and session for
//! a reason (system fault, illness, force majeure) after the applicant's own reschedule
//! has closed; the desk page comes back saying what was done, or why not.

use axum::extract::State;
use loket_domain::staff::FRONT_DESK;
use loket_store::Actor;

use super::StaffIn;
use super::desk::{DeskForm, DeskPageInput, card, desk};
use crate::i18n::Tr;
use crate::pages::forms::CheckedForm;
use crate::pages::{PageCtx, PageResult, render_with};
use crate::state::AppState;
use crate::usecases::{Refusal, floor};

/// `POST /staff/desk/special`: moves the booking shown with a special reschedule.
pub async fn special(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: StaffIn,
    CheckedForm(f): CheckedForm<DeskForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let office = who.own_office(&state, &FRONT_DESK).await?;
    let code = f.code();
    let date = crate::planning::parse_date("date", f.date.as_deref().unwrap_or(""));
    let reason = loket_domain::booking::SpecialReason::parse(f.reason.as_deref().unwrap_or(""));
    let session = f.session.as_deref().unwrap_or("").trim().to_owned();
    let actor = Actor::staff(&who.staff);
    // A date and a reason not chosen are told as one message, as the form asks for both.
    let result = match (date, reason) {
        (Ok(date), Some(reason)) => Some(
            floor::special_reschedule(&state, &actor, &office, &code, (date, &session), reason)
                .await,
        ),
        _ => None,
    };
    let mut input = DeskPageInput {
        code: code.clone(),
        ..DeskPageInput::default()
    };
    match result {
        None => input.error = Some(t.s("desk.special.refused_choose").to_owned()),
        Some(Ok(b)) => {
            input.notice = Some(t.f(
                "desk.special.done",
                &[(
                    "when",
                    &crate::format::appointment(
                        t,
                        b.slot.service_date,
                        office.session(&b.slot.session_code),
                        office.time_zone,
                    ),
                )],
            ));
        }
        Some(Err(r)) => {
            let key = match &r {
                Refusal::Invalid(_) => "choose",
                Refusal::Store(loket_store::StoreError::QuotaFull) => "full",
                Refusal::Store(loket_store::StoreError::NikHasActiveBooking) => "nik",
                Refusal::Unbookable { .. } | Refusal::SameSlot => "date",
                Refusal::Transition(_) => "state",
                _ => return Err(r.into()),
            };
            input.error = Some(t.s(&format!("desk.special.refused_{key}")).to_owned());
        }
    }
    if let Ok(a) = floor::find_arrival(&state, &office, &code).await {
        input.arrival = Some(card(t, &office, &code, a));
    }
    let status = if input.error.is_some() {
        axum::http::StatusCode::CONFLICT
    } else {
        axum::http::StatusCode::OK
    };
    let p = desk(&state, &ctx, &who, &office, input).await?;
    Ok(render_with(status, &p))
}
