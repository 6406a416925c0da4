//! Assisted booking: the front desk books for a person without a phone, by the same rules
//! as an online hold (the slot bookable from tomorrow within the horizon, the quota, one
//! active booking per NIK, the validity, the fee, the payment deadline). The person is typed
//! in from the ID card and kept on the account the office holds; the booking is paid by
//! its billing code like any other, and its printed slip carries the code and QR code the
//! desk checks in on the day.

use chrono::NaiveDate;
use loket_domain::Office;
use loket_domain::release::local_date;
use loket_store::{Actor, Applicant, AssistedBooking, Booking};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::state::AppState;
use crate::usecases::applicants::{self, NewApplicant};
use crate::usecases::bookings::{self, Held, NewBooking};
use crate::usecases::fields::{Fields, ServiceInput, checked};
use crate::usecases::{Refusal, UseCaseResult};

/// An assisted booking as the desk typed it.
#[derive(Clone, Debug, Default)]
pub struct AssistedInput {
    /// The person, as on the ID card.
    pub person: NewApplicant,
    /// The service and travel purpose.
    pub service: ServiceInput,
    /// Service date, YYYY-MM-DD.
    pub date: String,
    /// Session code.
    pub session: String,
    /// The form's (or client's) key, so that a second tap books once.
    pub idempotency_key: Option<String>,
}

impl AssistedInput {
    /// What the request asks for, as a digest: a key used again with other answers is
    /// refused rather than replayed.
    fn fingerprint(&self) -> String {
        let p = &self.person;
        let s = &self.service;
        let parts = [
            p.nik.trim(),
            p.full_name.trim(),
            p.birth_date.trim(),
            p.sex.trim(),
            if p.married { "1" } else { "0" },
            s.kind.trim(),
            s.passport_type.trim(),
            s.validity.trim(),
            s.processing.trim(),
            if s.force_majeure { "1" } else { "0" },
            s.travel_purpose.trim(),
            self.date.trim(),
            self.session.trim(),
        ];
        hex::encode(Sha256::digest(parts.join("\u{1f}").as_bytes()))
    }
}

/// Books for the person `input` describes at `office`, as `actor`: the booking made (or
/// made before under the same key), awaiting payment by its billing code.
#[tracing::instrument(name = "usecase.floor.book_assisted", skip_all, fields(office = %office.code))]
pub async fn book_assisted(
    state: &AppState,
    actor: &Actor,
    office: &Office,
    input: AssistedInput,
) -> UseCaseResult<Held> {
    let today = local_date(state.now(), office.time_zone);
    let mut f = Fields::default();
    let person = applicants::read(&mut f, &input.person, today);
    let service = f.service(&input.service);
    let date = f.service_date("date", &input.date);
    let session = f.text("session", &input.session, 32);
    f.finish()?;
    let (service, travel_purpose) = checked(service)?;
    let date: NaiveDate = checked(date)?;
    // The store puts the person on the office's account; nil until then.
    let person = applicants::checked_person(person, Uuid::nil())?;
    let booking = NewBooking {
        account_id: Uuid::nil(),
        applicant_id: person.id,
        office: office.code.clone(),
        date,
        session,
        service,
        travel_purpose,
        fingerprint: input.fingerprint(),
        idempotency_key: input.idempotency_key,
    };
    let slot = bookings::slot_of(&booking);
    let plan = bookings::bookable(state, &booking, &slot).await?;
    let req = bookings::allocation(state, &plan, booking, slot, &person).await?;
    bookings::take_place(req, |req| {
        state.store.book_assisted(AssistedBooking {
            office_code: office.code.clone(),
            person: person.clone(),
            req,
            actor: actor.clone(),
        })
    })
    .await
}

/// A booking the desk made for someone at `office`, with the person it is for (a booking
/// of a person's own account, or of another office, is not found: the desk sees its own
/// slips only).
pub async fn assisted(
    state: &AppState,
    office: &Office,
    id: Uuid,
) -> UseCaseResult<(Booking, Option<Applicant>)> {
    let b = state
        .store
        .get_booking(id)
        .await?
        .ok_or(Refusal::NotFound("booking"))?;
    let held_by = state.store.get_account(b.account_id).await?;
    if held_by.and_then(|a| a.office_code).as_deref() != Some(office.code.as_str()) {
        return Err(Refusal::NotFound("booking"));
    }
    let person = state
        .store
        .get_applicant(b.account_id, b.applicant_id)
        .await?;
    Ok((b, person))
}
