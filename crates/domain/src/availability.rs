//! Whether a date and session of an office can be booked now: the working calendar, the
//! release rule, the booking horizon and the office's sessions put together. The
//! availability calendar shows these statuses; a booking is refused with them.

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::calendar::{ClosedReason, WorkingCalendar};
use crate::office::{Office, SessionWindow};
use crate::quota::ServiceClass;

/// Why a date can or cannot be booked right now.
#[derive(Clone, Debug, PartialEq)]
pub enum DayStatus {
    /// Bookable.
    Open,
    /// Today or earlier (online bookings are for tomorrow on).
    Past,
    /// Closed (weekend, holiday, collective leave, office closure).
    Closed(ClosedReason),
    /// Its quota opens at this instant.
    NotReleased(DateTime<Utc>),
    /// Further ahead than the office takes bookings.
    BeyondHorizon,
}

/// The status of `date` at `office` at `now`, `today` being the office-local date of `now`.
pub fn day_status(
    office: &Office,
    calendar: &WorkingCalendar,
    today: NaiveDate,
    now: DateTime<Utc>,
    date: NaiveDate,
) -> DayStatus {
    if date <= today {
        return DayStatus::Past;
    }
    if let Some(reason) = calendar.closed_reason(date) {
        return DayStatus::Closed(reason);
    }
    let opens_at = office.release.opens_at(date, office.time_zone);
    if now < opens_at {
        return DayStatus::NotReleased(opens_at);
    }
    let horizon = today
        .checked_add_days(Days::new(u64::from(office.booking_horizon_days)))
        .unwrap_or(today);
    if date > horizon {
        return DayStatus::BeyondHorizon;
    }
    DayStatus::Open
}

/// Why nobody is served at `office` on `date` (no queue numbers: priority or outage
/// walk-ins, returns): closed by its calendar, or none of its sessions runs that day
/// (told as a weekend). `None` when it serves.
pub fn closed_to_visitors(
    office: &Office,
    calendar: &WorkingCalendar,
    date: NaiveDate,
) -> Option<ClosedReason> {
    calendar.closed_reason(date).or_else(|| {
        office
            .sessions_on(date)
            .next()
            .is_none()
            .then_some(ClosedReason::Weekend)
    })
}

/// Why a (date, session, class) cannot be booked online now.
#[derive(Clone, Debug, PartialEq)]
pub enum Unbookable {
    /// The class is given at the office (priority walk-ins), never booked online.
    NotOnline,
    /// The date is not open (see the status).
    Day(DayStatus),
    /// The office runs no such session on that date.
    UnknownSession,
}

/// Checks that `class` in `session` on `date` can be booked online now; returns the session.
pub fn check_bookable<'o>(
    office: &'o Office,
    calendar: &WorkingCalendar,
    today: NaiveDate,
    now: DateTime<Utc>,
    date: NaiveDate,
    session: &str,
    class: ServiceClass,
) -> Result<&'o SessionWindow, Unbookable> {
    if !class.bookable_online() {
        return Err(Unbookable::NotOnline);
    }
    match day_status(office, calendar, today, now, date) {
        DayStatus::Open => {}
        other => return Err(Unbookable::Day(other)),
    }
    office
        .sessions_on(date)
        .find(|s| s.code == session)
        .ok_or(Unbookable::UnknownSession)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;
    use chrono_tz::Asia::Jakarta;

    use super::*;
    use crate::calendar::{Holiday, HolidayKind};
    use crate::office::tests::office;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    /// 2026-12-01 (a Tuesday) at 09:00 WIB.
    fn now() -> DateTime<Utc> {
        Jakarta
            .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn calendar() -> WorkingCalendar {
        let o = office();
        WorkingCalendar::new(
            o.open_weekdays,
            [Holiday {
                date: d(12, 25),
                kind: HolidayKind::Holiday,
                name_id: "Hari Raya Natal".into(),
                name_en: "Christmas Day".into(),
            }],
            [],
        )
    }

    #[test]
    fn an_open_day_without_a_session_serves_nobody() {
        use crate::calendar::{ExceptionKind, OfficeException};
        let o = office();
        let saturday = d(12, 5);
        let opened = WorkingCalendar::new(
            o.open_weekdays,
            [],
            [OfficeException {
                date: saturday,
                kind: ExceptionKind::Open,
                reason: "Layanan akhir pekan".into(),
            }],
        );
        // The calendar opens the Saturday, but no session runs on Saturdays.
        assert_eq!(opened.closed_reason(saturday), None);
        assert_eq!(
            closed_to_visitors(&o, &opened, saturday),
            Some(ClosedReason::Weekend)
        );
        assert_eq!(closed_to_visitors(&o, &calendar(), d(12, 2)), None);
        assert!(matches!(
            closed_to_visitors(&o, &calendar(), d(12, 25)),
            Some(ClosedReason::Holiday { .. })
        ));
    }

    fn status(date: NaiveDate) -> DayStatus {
        day_status(&office(), &calendar(), d(12, 1), now(), date)
    }

    #[test]
    fn today_and_earlier_are_past() {
        assert_eq!(status(d(12, 1)), DayStatus::Past);
        assert_eq!(status(d(11, 30)), DayStatus::Past);
        assert_eq!(status(d(12, 2)), DayStatus::Open);
    }

    #[test]
    fn weekends_and_holidays_are_closed_with_their_reason() {
        assert_eq!(status(d(12, 5)), DayStatus::Closed(ClosedReason::Weekend));
        assert!(matches!(
            status(d(12, 25)),
            DayStatus::Closed(ClosedReason::Holiday { .. })
        ));
    }

    #[test]
    fn a_date_past_the_release_window_says_when_it_opens() {
        // Released 30 days ahead at 08:00: 2026-12-31 opens on 2026-12-01 08:00 (open now),
        // 2027-01-04 on 2026-12-05 08:00 WIB.
        assert_eq!(status(d(12, 31)), DayStatus::Open);
        let jan4 = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        let opens = Jakarta.with_ymd_and_hms(2026, 12, 5, 8, 0, 0).unwrap();
        assert_eq!(
            status(jan4),
            DayStatus::NotReleased(opens.with_timezone(&Utc))
        );
    }

    #[test]
    fn beyond_the_horizon_is_refused_even_when_released() {
        let mut o = office();
        o.booking_horizon_days = 3;
        let s = day_status(&o, &calendar(), d(12, 1), now(), d(12, 7));
        assert_eq!(s, DayStatus::BeyondHorizon);
    }

    #[test]
    fn a_booking_needs_an_online_class_an_open_day_and_a_session_of_that_day() {
        let (o, c) = (office(), calendar());
        let check =
            |date, session, class| check_bookable(&o, &c, d(12, 1), now(), date, session, class);
        assert_eq!(
            check(d(12, 3), "s1", ServiceClass::Online).unwrap().code,
            "s1"
        );
        assert_eq!(
            check(d(12, 3), "s1", ServiceClass::PriorityWalkIn),
            Err(Unbookable::NotOnline)
        );
        assert_eq!(
            check(d(12, 5), "s1", ServiceClass::Online),
            Err(Unbookable::Day(DayStatus::Closed(ClosedReason::Weekend)))
        );
        // s3 runs Monday to Thursday only; 2026-12-04 is a Friday.
        assert_eq!(
            check(d(12, 4), "s3", ServiceClass::Online),
            Err(Unbookable::UnknownSession)
        );
        assert_eq!(
            check(d(12, 3), "s3", ServiceClass::Online).unwrap().code,
            "s3"
        );
    }
}
