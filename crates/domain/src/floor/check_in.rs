//! When a booking may be checked in: on its service day, from a grace period before its
//! session starts until a grace period after it ends (both configurable), in the office's
//! local time.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// The grace around a session within which its bookings are checked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInWindow {
    /// Minutes before the session starts.
    pub early_minutes: u32,
    /// Minutes after the session ends.
    pub late_minutes: u32,
}

impl Default for CheckInWindow {
    fn default() -> Self {
        Self {
            early_minutes: 60,
            late_minutes: 30,
        }
    }
}

/// Why a booking cannot be checked in now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckInRefusal {
    /// The booking is for another day.
    #[error("the booking is for {date}")]
    OtherDay {
        /// Its service date.
        date: NaiveDate,
    },
    /// Too early: check-in opens at `from` (local time).
    #[error("check-in opens at {from}")]
    TooEarly {
        /// When it opens.
        from: NaiveDateTime,
    },
    /// Too late: check-in closed at `until` (local time).
    #[error("check-in closed at {until}")]
    TooLate {
        /// When it closed.
        until: NaiveDateTime,
    },
}

impl CheckInRefusal {
    /// Stable code for the API and the pages.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OtherDay { .. } => "other_day",
            Self::TooEarly { .. } => "too_early",
            Self::TooLate { .. } => "too_late",
        }
    }
}

impl CheckInWindow {
    /// Whether a booking of `date`'s session `start..end` may be checked in at `now`, all
    /// in the office's local time.
    pub fn check(
        &self,
        date: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
        now: NaiveDateTime,
    ) -> Result<(), CheckInRefusal> {
        if now.date() != date {
            return Err(CheckInRefusal::OtherDay { date });
        }
        let from = date.and_time(start) - Duration::minutes(i64::from(self.early_minutes));
        let until = date.and_time(end) + Duration::minutes(i64::from(self.late_minutes));
        if now < from {
            Err(CheckInRefusal::TooEarly { from })
        } else if now > until {
            Err(CheckInRefusal::TooLate { until })
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%F %R").unwrap()
    }

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%R").unwrap()
    }

    #[test]
    fn a_booking_checks_in_from_an_hour_before_until_half_an_hour_after_its_session() {
        let w = CheckInWindow::default();
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let check = |now| w.check(day, t("08:00"), t("10:00"), at(now));
        assert_eq!(check("2026-12-03 07:00"), Ok(()));
        assert_eq!(check("2026-12-03 10:30"), Ok(()));
        assert_eq!(
            check("2026-12-03 06:59"),
            Err(CheckInRefusal::TooEarly {
                from: at("2026-12-03 07:00")
            })
        );
        assert_eq!(
            check("2026-12-03 10:31").map_err(|e| e.code()),
            Err("too_late")
        );
        assert_eq!(
            check("2026-12-02 09:00"),
            Err(CheckInRefusal::OtherDay { date: day })
        );
    }

    #[test]
    fn the_grace_is_configurable_and_may_be_none() {
        let w = CheckInWindow {
            early_minutes: 0,
            late_minutes: 0,
        };
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert!(
            w.check(day, t("08:00"), t("10:00"), at("2026-12-03 07:59"))
                .is_err()
        );
        assert!(
            w.check(day, t("08:00"), t("10:00"), at("2026-12-03 08:00"))
                .is_ok()
        );
        assert!(
            w.check(day, t("08:00"), t("10:00"), at("2026-12-03 10:01"))
                .is_err()
        );
    }
}
