//! Which days and sessions of an office can be booked, and how many places each has left:
//! the working calendar, the release rule and the quota plan put together. Used by the
//! availability endpoint and by every booking before it asks the store for a place.

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use loket_domain::availability::{check_bookable, day_status};
use loket_domain::calendar::WorkingCalendar;
use loket_domain::catalogue::FeeSchedule;
use loket_domain::quota::{QuotaPlan, ServiceClass};
use loket_domain::release::local_date;
use loket_domain::{Office, SessionWindow};
use loket_store::SlotKey;

use crate::state::AppState;
use crate::usecases::{Refusal, UseCaseResult};

/// The longest period one availability request may cover.
pub const MAX_RANGE_DAYS: i64 = 62;

pub use loket_domain::availability::DayStatus;

/// Everything needed to judge dates of one office over a period.
pub struct OfficePlan {
    /// The office.
    pub office: Office,
    /// Its working calendar for the period (shared with the day cache).
    pub calendar: Arc<WorkingCalendar>,
    /// Its quota plan for the period (shared with the day cache).
    pub quotas: Arc<QuotaPlan>,
    /// Today in the office's zone.
    pub today: NaiveDate,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Loads an office or answers 404.
pub async fn office(state: &AppState, code: &str) -> UseCaseResult<Office> {
    let well_formed = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !well_formed {
        return Err(Refusal::NotFound("office"));
    }
    state
        .store
        .get_office(code)
        .await?
        .ok_or(Refusal::NotFound("office"))
}

/// The fee tables, as a schedule.
pub async fn fees(state: &AppState) -> UseCaseResult<Arc<FeeSchedule>> {
    Ok(state.store.fee_schedule().await?)
}

impl OfficePlan {
    /// Loads calendar and quotas of `office` for `from..=to`.
    pub async fn load(
        state: &AppState,
        office: Office,
        from: NaiveDate,
        to: NaiveDate,
    ) -> UseCaseResult<Self> {
        // A booking's single day is kept by the store's cache and shared, not copied.
        let inputs = state.store.day_inputs(&office, from, to).await?;
        let (calendar, quotas) = (inputs.calendar.clone(), inputs.quotas.clone());
        let now = state.now();
        let today = local_date(now, office.time_zone);
        Ok(Self {
            office,
            calendar,
            quotas,
            today,
            now,
        })
    }

    /// Whether `date` can be booked now, and if not, why (the domain's rule).
    pub fn day_status(&self, date: NaiveDate) -> DayStatus {
        day_status(&self.office, &self.calendar, self.today, self.now, date)
    }

    /// The capacity the plan gives a slot (used when its row does not exist yet).
    pub fn planned_capacity(&self, date: NaiveDate, session: &str, class: ServiceClass) -> i64 {
        i64::from(self.quotas.capacity(date, session, class))
    }

    /// A class's places over all the sessions that run on `date` (the priority walk-ins'
    /// quota is the day's, not a session's).
    pub fn day_capacity(&self, date: NaiveDate, class: ServiceClass) -> i64 {
        self.office
            .sessions_on(date)
            .map(|s| self.planned_capacity(date, &s.code, class))
            .sum()
    }

    /// Checks that (date, session, class) can be booked now; returns the session.
    pub fn check_bookable(
        &self,
        date: NaiveDate,
        session: &str,
        class: ServiceClass,
    ) -> UseCaseResult<&SessionWindow> {
        check_bookable(
            &self.office,
            &self.calendar,
            self.today,
            self.now,
            date,
            session,
            class,
        )
        .map_err(|why| Refusal::Unbookable {
            why,
            horizon_days: self.office.booking_horizon_days,
        })
    }

    /// The slot key for a booking here.
    pub fn slot(&self, date: NaiveDate, session: &str, class: ServiceClass) -> SlotKey {
        SlotKey {
            office_code: self.office.code.clone(),
            service_date: date,
            session_code: session.to_owned(),
            class,
        }
    }
}

/// A refusal of one field.
fn field(field: &'static str, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal::Field {
        field,
        code,
        message: message.into(),
    }
}

/// Parses YYYY-MM-DD, or refuses `field`.
pub fn parse_date(name: &'static str, s: &str) -> UseCaseResult<NaiveDate> {
    let d =
        iso_date(s.trim()).ok_or_else(|| field(name, "invalid_date", "use the form YYYY-MM-DD"))?;
    if !YEARS.contains(&d.year()) {
        return Err(field(name, "out_of_range", "use a year from 1900 to 9999"));
    }
    Ok(d)
}

/// A calendar date written exactly as YYYY-MM-DD (four, two and two digits). chrono's
/// `%Y-%m-%d` alone also takes "2026-1-1", "+2026-01-01" and "-5000-01-01": one date would
/// then have many spellings, and an idempotent retry or a cache key could tell them apart.
pub fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The years a date given to the API may have. Nobody books outside them, and PostgreSQL
/// stores no date before 4713 BC (chrono parses signed years such as "-5000-01-01").
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// Parses and bounds a from..=to range.
pub fn parse_range(from: &str, to: &str) -> UseCaseResult<(NaiveDate, NaiveDate)> {
    let f = parse_date("from", from)?;
    let t = parse_date("to", to)?;
    if t < f {
        return Err(field(
            "to",
            "range_reversed",
            "'to' must not be before 'from'",
        ));
    }
    if (t - f).num_days() >= MAX_RANGE_DAYS {
        return Err(field(
            "to",
            "range_too_long",
            format!("ask for at most {MAX_RANGE_DAYS} days at a time"),
        ));
    }
    Ok((f, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_four_two_two_digit_dates_are_dates() {
        assert_eq!(iso_date("2026-01-05"), NaiveDate::from_ymd_opt(2026, 1, 5));
        for bad in [
            "2026-1-5",
            "2026-01-5",
            "26-01-05",
            "+2026-01-05",
            "-5000-01-01",
            "2026-02-30",
            "2026/01/05",
            "2026-01-05 ",
            "20260-01-05",
            "２０２６-01-05",
            "",
        ] {
            assert_eq!(iso_date(bad), None, "{bad:?}");
        }
    }
}
