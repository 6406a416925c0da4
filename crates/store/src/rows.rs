//! Rows into domain values: one function per table, shared by the concept files and the
//! allocation paths.

use chrono::{DateTime, NaiveTime, Utc};
use loket_domain::booking::AllocationPolicy;
use loket_domain::booking::BookingState;
use loket_domain::calendar::{ExceptionKind, Holiday, HolidayKind, OfficeException, WeekdaySet};
use loket_domain::catalogue::{FeeLine, ServiceRequest, TravelPurpose};
use loket_domain::office::parse_time_zone;
use loket_domain::quota::ServiceClass;
use loket_domain::release::ReleaseRule;
use loket_domain::{BillingCode, Nik, Office, SessionWindow, Sex};

use crate::db::Row;
use crate::error::StoreResult;
use crate::error::corrupt;
use crate::types::*;

pub(crate) fn session_from_row(r: &Row) -> StoreResult<(String, SessionWindow)> {
    let parse_t =
        |s: String| NaiveTime::parse_from_str(&s, "%H:%M").map_err(|_| corrupt("session time"));
    let bits = u8::try_from(r.i64("weekdays")?).map_err(|_| corrupt("session weekdays"))?;
    Ok((
        r.text("office_code")?,
        SessionWindow {
            code: r.text("code")?,
            name: r.text("name")?,
            start: parse_t(r.text("start_time")?)?,
            end: parse_t(r.text("end_time")?)?,
            weekdays: WeekdaySet::from_bits(bits),
        },
    ))
}

pub(crate) fn office_from_row(r: &Row, sessions: Vec<SessionWindow>) -> StoreResult<Office> {
    let tz = parse_time_zone(&r.text("time_zone")?).ok_or_else(|| corrupt("office time zone"))?;
    let release: ReleaseRule =
        serde_json::from_str(&r.text("release_rule")?).map_err(|_| corrupt("release rule"))?;
    let bits = u8::try_from(r.i64("open_weekdays")?).map_err(|_| corrupt("open weekdays"))?;
    Ok(Office {
        code: r.text("code")?,
        region_code: r.text("region_code")?,
        name: r.text("name")?,
        time_zone: tz,
        address: r.opt_text("address")?,
        city: r.text("city")?,
        open_weekdays: WeekdaySet::from_bits(bits),
        sessions,
        release,
        booking_horizon_days: u32::try_from(r.i64("booking_horizon_days")?).unwrap_or(0),
        allocation_policy: AllocationPolicy::parse(&r.text("allocation_policy")?)
            .ok_or_else(|| corrupt("allocation policy"))?,
    })
}

pub(crate) fn class_of(r: &Row, col: &str) -> StoreResult<ServiceClass> {
    ServiceClass::parse(&r.text(col)?).ok_or_else(|| corrupt("service class"))
}

pub(crate) fn booking_from_row(r: &Row) -> StoreResult<Booking> {
    let service: ServiceRequest =
        serde_json::from_str(&r.text("service")?).map_err(|_| corrupt("booking service"))?;
    let fee_lines: Vec<FeeLine> =
        serde_json::from_str(&r.text("fee_lines")?).map_err(|_| corrupt("fee lines"))?;
    Ok(Booking {
        id: r.uuid("id")?,
        account_id: r.uuid("account_id")?,
        applicant_id: r.uuid("applicant_id")?,
        nik: Nik::parse(&r.text("nik")?).map_err(|_| corrupt("booking nik"))?,
        slot_id: r.i64("slot_id")?,
        slot: SlotKey {
            office_code: r.text("office_code")?,
            service_date: r.date("service_date")?,
            session_code: r.text("session_code")?,
            class: class_of(r, "class")?,
        },
        state: BookingState::parse(&r.text("state")?).ok_or_else(|| corrupt("booking state"))?,
        billing_code: BillingCode::parse(&r.text("billing_code")?)
            .map_err(|_| corrupt("billing code"))?,
        payment_deadline: r.time("payment_deadline")?,
        service,
        travel_purpose: TravelPurpose::parse(&r.text("travel_purpose")?)
            .ok_or_else(|| corrupt("travel purpose"))?,
        fee_table_code: r.text("fee_table_code")?,
        fee_lines,
        fee_total: r.i64("fee_total")?,
        reschedules_used: r.i64("reschedules_used")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
        paid_at: r.opt_time("paid_at")?,
        request_fingerprint: r.opt_text("request_fingerprint")?,
    })
}

pub(crate) fn account_from_row(r: &Row) -> StoreResult<Account> {
    Ok(Account {
        id: r.uuid("id")?,
        email: r.text("email")?,
        full_name: r.text("full_name")?,
        locale: r.text("locale")?,
        verified: r.opt_time("email_verified_at")?.is_some(),
        office_code: r.opt_text("office_code")?,
    })
}

pub(crate) fn applicant_from_row(r: &Row) -> StoreResult<Applicant> {
    Ok(Applicant {
        id: r.uuid("id")?,
        account_id: r.uuid("account_id")?,
        nik: Nik::parse(&r.text("nik")?).map_err(|_| corrupt("applicant nik"))?,
        full_name: r.text("full_name")?,
        birth_date: r.date("birth_date")?,
        sex: Sex::parse(&r.text("sex")?).ok_or_else(|| corrupt("applicant sex"))?,
        married: r.bool("married")?,
    })
}

pub(crate) fn holiday_from_row(r: &Row) -> StoreResult<Holiday> {
    Ok(Holiday {
        date: r.date("holiday_date")?,
        kind: HolidayKind::parse(&r.text("kind")?).ok_or_else(|| corrupt("holiday kind"))?,
        name_id: r.text("name_id")?,
        name_en: r.text("name_en")?,
    })
}

pub(crate) fn exception_from_row(r: &Row) -> StoreResult<OfficeException> {
    Ok(OfficeException {
        date: r.date("exception_date")?,
        kind: ExceptionKind::parse(&r.text("kind")?).ok_or_else(|| corrupt("exception kind"))?,
        reason: r.text("reason")?,
    })
}

pub(crate) fn mail_from_row(r: &Row) -> StoreResult<Mail> {
    Ok(Mail {
        id: r.uuid("id")?,
        to: r.text("to_address")?,
        subject: r.text("subject")?,
        body: r.text("body")?,
        created_at: r.time("created_at")?,
        sent_at: r.opt_time("sent_at")?,
    })
}

pub(crate) fn event_from_row(r: &Row) -> StoreResult<BookingEvent> {
    let state = |s: &str| BookingState::parse(s).ok_or_else(|| corrupt("event state"));
    Ok(BookingEvent {
        id: r.i64("id")?,
        booking_id: r.uuid("booking_id")?,
        at: r.time("at")?,
        from: r.opt_text("from_state")?.map(|s| state(&s)).transpose()?,
        to: state(&r.text("to_state")?)?,
        actor: r.text("actor")?,
        detail: r.text("detail")?,
    })
}

pub(crate) fn ticket_from_row(r: &Row) -> StoreResult<Ticket> {
    use loket_domain::floor::{
        Outcome, PriorityBasis, RejectReason, Series, Stage, TicketNumber, TicketState,
    };
    let series = Series::parse(&r.text("series")?).ok_or_else(|| corrupt("ticket series"))?;
    let number = u32::try_from(r.i64("number")?).map_err(|_| corrupt("ticket number"))?;
    let small = |v: i64| u32::try_from(v).map_err(|_| corrupt("ticket count"));
    Ok(Ticket {
        id: r.uuid("id")?,
        office_code: r.text("office_code")?,
        service_date: r.date("service_date")?,
        number: TicketNumber { series, number },
        booking_id: r.opt_uuid("booking_id")?,
        priority_basis: r
            .opt_text("priority_basis")?
            .map(|b| PriorityBasis::parse(&b).ok_or_else(|| corrupt("priority basis")))
            .transpose()?,
        state: TicketState::parse(&r.text("state")?).ok_or_else(|| corrupt("ticket state"))?,
        issued_at: r.time("issued_at")?,
        issued_by: r.text("issued_by")?,
        session_start: r.opt_time("session_start")?,
        stage: Stage::parse(&r.text("stage")?).ok_or_else(|| corrupt("ticket stage"))?,
        calls: small(r.i64("calls")?)?,
        counter: r.opt_i64("counter_no")?.map(small).transpose()?,
        called_at: r.opt_time("called_at")?,
        waiting_since: r.time("waiting_since")?,
        finished_at: r.opt_time("finished_at")?,
        outcome: r
            .opt_text("outcome")?
            .map(|o| Outcome::parse(&o).ok_or_else(|| corrupt("ticket outcome")))
            .transpose()?,
        outcome_reason: r
            .opt_text("outcome_reason")?
            .map(|o| RejectReason::parse(&o).ok_or_else(|| corrupt("reject reason")))
            .transpose()?,
    })
}

pub(crate) fn floor_event_from_row(r: &Row) -> StoreResult<FloorEvent> {
    use loket_domain::floor::{FloorEventKind, Stage};
    Ok(FloorEvent {
        office_code: r.text("office_code")?,
        seq: r.i64("seq")?,
        at: r.time("at")?,
        kind: FloorEventKind::parse(&r.text("kind")?).ok_or_else(|| corrupt("event kind"))?,
        ticket_id: r.uuid("ticket_id")?,
        number: r.text("number")?,
        counter: r
            .opt_i64("counter_no")?
            .map(|c| u32::try_from(c).map_err(|_| corrupt("counter")))
            .transpose()?,
        stage: Stage::parse(&r.text("stage")?).ok_or_else(|| corrupt("event stage"))?,
    })
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serializing our own plain structs cannot fail; an empty object keeps the row readable.
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned())
}

/// A token's principal and expiry from a row of `TOKEN_PRINCIPAL` or
/// `PRINCIPALS_BY_TOKENS`; none for a token of neither an account nor a staff member.
pub(crate) fn principal_from_row(r: &Row) -> StoreResult<Option<(Principal, DateTime<Utc>)>> {
    let expires_at = r.time("expires_at")?;
    if let Some(id) = r.opt_uuid("account_id")? {
        let p = Principal::Account {
            id,
            verified: r.opt_time("email_verified_at")?.is_some(),
        };
        return Ok(Some((p, expires_at)));
    }
    let Some(id) = r.opt_uuid("staff_id")? else {
        return Ok(None);
    };
    let p = Principal::Staff(Staff {
        id,
        username: r.text("username")?,
        full_name: r.text("full_name")?,
        role: StaffRole::parse(&r.text("role")?).ok_or_else(|| corrupt("staff role"))?,
        office_code: r.opt_text("office_code")?,
        region_code: r.opt_text("region_code")?,
    });
    Ok(Some((p, expires_at)))
}
