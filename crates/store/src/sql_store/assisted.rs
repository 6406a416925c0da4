//! Assisted booking: the front desk books for a person without a phone, in one
//! transaction: the office's account (made on its first assisted booking), the person on
//! it as the desk typed them in from the ID card, the allocation exactly as an online hold
//! makes it (the same lock, quota and one-booking-per-NIK checks), and the audit entry.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::allocation::allocate_in;
use crate::args;
use crate::db::{Tx, is_unique_violation};
use crate::error::{StoreError, StoreResult, corrupt};
use crate::history::audit;
use crate::sql::*;
use crate::types::*;

/// The address an office's account is filed under: unique, and no mailbox (`.invalid` is
/// reserved for names that never resolve).
fn office_address(office: &str) -> String {
    format!("desk.{office}@assisted.loket.invalid")
}

/// The id of the account `office` holds, made now if it has none yet.
async fn office_account(tx: &mut Tx, office: &str, now: DateTime<Utc>) -> StoreResult<Uuid> {
    tx.execute(
        INSERT_OFFICE_ACCOUNT,
        args![
            Uuid::now_v7(),
            office_address(office),
            format!("Front desk {office}"),
            NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| corrupt("epoch"))?,
            now,
            office.to_owned()
        ],
    )
    .await?;
    Ok(tx
        .fetch_optional(OFFICE_ACCOUNT, args![office.to_owned()])
        .await?
        .ok_or(StoreError::NotFound)?
        .uuid("id")?)
}

/// Puts `person` on `account`: the person with that NIK there, brought up to what the desk
/// typed now (they compared it with the ID card), or a new one. Returns their id.
async fn put_person(
    tx: &mut Tx,
    account: Uuid,
    person: &Applicant,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let found = tx
        .fetch_optional(APPLICANT_NIK_EXISTS, args![account, person.nik.as_str()])
        .await?;
    if let Some(row) = found {
        let id = row.uuid("id")?;
        tx.execute(
            UPDATE_APPLICANT,
            args![
                id,
                person.full_name.clone(),
                person.birth_date,
                person.sex.as_str(),
                person.married
            ],
        )
        .await?;
        return Ok(id);
    }
    let inserted = tx
        .execute(
            INSERT_APPLICANT,
            args![
                person.id,
                account,
                person.nik.as_str(),
                person.full_name.clone(),
                person.birth_date,
                person.sex.as_str(),
                person.married,
                now
            ],
        )
        .await;
    match inserted {
        Ok(_) => Ok(person.id),
        // Another desk put the same NIK on the account a moment ago, for a booking of its
        // own: this NIK is being booked.
        Err(e) if is_unique_violation(&e, "") => Err(StoreError::NikHasActiveBooking),
        Err(e) => Err(e.into()),
    }
}

/// See the module's note. A replayed request (the same idempotency key) gives the booking
/// made the first time and records nothing.
pub(crate) async fn book(mut tx: Tx, a: AssistedBooking) -> StoreResult<Booking> {
    let now = a.req.now;
    let mut req = a.req;
    req.account_id = office_account(&mut tx, &a.office_code, now).await?;
    req.applicant_id = put_person(&mut tx, req.account_id, &a.person, now).await?;
    let id = req.booking_id;
    let b = allocate_in(&mut tx, req).await?;
    if b.id == id {
        audit(
            &mut tx,
            now,
            &a.actor,
            Some(&a.office_code),
            "booking.assisted",
            &b.id.to_string(),
            None,
            Some(format!(
                "{}/{} {}",
                b.slot.service_date,
                b.slot.session_code,
                b.state.as_str()
            )),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(b)
}
