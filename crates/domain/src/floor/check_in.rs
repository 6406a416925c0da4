//! When a booking may be checked in: a paid booking of this office, on its service day,
//! from a grace period before its session starts until a grace period after it ends (both
//! configurable), in the office's local time.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::booking::{BookingState, documents_due};

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
    /// The booking is for another office.
    #[error("the booking is for another office")]
    OtherOffice,
    /// Not paid (or the payment is still being confirmed).
    #[error("the booking is not paid")]
    NotPaid,
    /// Checked in already: it has its ticket.
    #[error("the booking is checked in already")]
    AlreadyCheckedIn,
    /// The booking ended (expired, cancelled, refund due, no-show).
    #[error("the booking is {}", state.as_str())]
    Ended {
        /// Its state.
        state: BookingState,
    },
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
    /// Whether the desk may offer a special reschedule instead (`check_special_reschedule`
    /// decides): a paid booking at the wrong time or day, or a missed day.
    pub fn offers_special_reschedule(&self) -> bool {
        matches!(
            self,
            Self::TooLate { .. }
                | Self::TooEarly { .. }
                | Self::OtherDay { .. }
                | Self::Ended {
                    state: BookingState::NoShow | BookingState::Unserved
                }
        )
    }

    /// Stable code for the API and the pages.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OtherOffice => "other_office",
            Self::NotPaid => "not_paid",
            Self::AlreadyCheckedIn => "already_checked_in",
            Self::Ended { .. } => "ended",
            Self::OtherDay { .. } => "other_day",
            Self::TooEarly { .. } => "too_early",
            Self::TooLate { .. } => "too_late",
        }
    }
}

/// Whether a booking in stored state `state` is one to check in at `now`: it is paid
/// (effectively: a lapsed hold has ended, swept or not). The store explains with it why
/// a check-in found the booking changed.
pub fn standing(
    state: BookingState,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), CheckInRefusal> {
    match state.effective(deadline, now) {
        BookingState::Paid => Ok(()),
        BookingState::AwaitingPayment | BookingState::PaymentPending => {
            Err(CheckInRefusal::NotPaid)
        }
        BookingState::CheckedIn => Err(CheckInRefusal::AlreadyCheckedIn),
        state => Err(CheckInRefusal::Ended { state }),
    }
}

/// Whether an applicant told at the interview of `date` to bring missing documents may be
/// checked in again on `today` (local) with them: any time of any day up to and including
/// `documents_due`. The return visit's ticket queues by its arrival, as a walk-in does,
/// since it has no session of its own.
pub fn return_visit(date: NaiveDate, today: NaiveDate) -> Result<(), CheckInRefusal> {
    if today > documents_due(date) {
        Err(CheckInRefusal::Ended {
            state: BookingState::DocumentsLapsed,
        })
    } else {
        Ok(())
    }
}

/// A booking as the front desk finds it.
#[derive(Clone, Copy, Debug)]
pub struct Visit {
    /// Whether it is for the office checking it in.
    pub at_this_office: bool,
    /// Its stored state.
    pub state: BookingState,
    /// Its payment deadline.
    pub deadline: DateTime<Utc>,
    /// Its service date.
    pub date: NaiveDate,
    /// Its session's start and end, local.
    pub session: (NaiveTime, NaiveTime),
}

impl CheckInWindow {
    /// Whether `visit` may be checked in at `now` (`local_now` in the office's zone): a
    /// paid booking of this office, within its session's window, or a return visit with
    /// missing documents before their deadline (`return_visit`). The booking's own
    /// standing is told before the time, since that is what the officer can act on.
    pub fn admit(
        &self,
        visit: &Visit,
        now: DateTime<Utc>,
        local_now: NaiveDateTime,
    ) -> Result<(), CheckInRefusal> {
        if !visit.at_this_office {
            return Err(CheckInRefusal::OtherOffice);
        }
        if visit.state == BookingState::DocumentsMissing {
            return return_visit(visit.date, local_now.date());
        }
        standing(visit.state, visit.deadline, now)?;
        let (start, end) = visit.session;
        self.check(visit.date, start, end, local_now)
    }

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
    fn only_a_paid_booking_of_this_office_is_admitted() {
        let w = CheckInWindow::default();
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let now = at("2026-12-03 08:30").and_utc();
        let visit = |state, deadline: &str, here| Visit {
            at_this_office: here,
            state,
            deadline: at(deadline).and_utc(),
            date: day,
            session: (t("08:00"), t("10:00")),
        };
        let admit = |v: Visit| w.admit(&v, now, now.naive_utc());
        assert_eq!(
            admit(visit(BookingState::Paid, "2026-12-01 10:00", true)),
            Ok(())
        );
        assert_eq!(
            admit(visit(BookingState::Paid, "2026-12-01 10:00", false)),
            Err(CheckInRefusal::OtherOffice)
        );
        assert_eq!(
            admit(visit(
                BookingState::AwaitingPayment,
                "2026-12-03 09:00",
                true
            )),
            Err(CheckInRefusal::NotPaid)
        );
        // A hold whose deadline passed has ended, swept or not.
        assert_eq!(
            admit(visit(
                BookingState::AwaitingPayment,
                "2026-12-03 08:00",
                true
            )),
            Err(CheckInRefusal::Ended {
                state: BookingState::Expired
            })
        );
        assert_eq!(
            admit(visit(BookingState::CheckedIn, "2026-12-01 10:00", true)),
            Err(CheckInRefusal::AlreadyCheckedIn)
        );
        assert_eq!(
            admit(visit(BookingState::Cancelled, "2026-12-01 10:00", true)).map_err(|e| e.code()),
            Err("ended")
        );
        // The booking's standing is told before the time.
        let late = at("2026-12-03 11:00").and_utc();
        let v = visit(BookingState::PaymentPending, "2026-12-01 10:00", true);
        assert_eq!(
            w.admit(&v, late, late.naive_utc()),
            Err(CheckInRefusal::NotPaid)
        );
    }

    #[test]
    fn missing_documents_are_brought_on_any_day_up_to_their_deadline() {
        let w = CheckInWindow::default();
        let interview = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let visit = Visit {
            at_this_office: true,
            state: BookingState::DocumentsMissing,
            deadline: at("2026-12-01 10:00").and_utc(),
            date: interview,
            session: (t("08:00"), t("10:00")),
        };
        // Outside the session's window and on other days: a return visit has no session.
        for now in ["2026-12-03 14:00", "2026-12-04 07:00", "2026-12-10 15:30"] {
            let now = at(now);
            assert_eq!(w.admit(&visit, now.and_utc(), now), Ok(()), "{now}");
        }
        let after = at("2026-12-11 08:00");
        assert_eq!(
            w.admit(&visit, after.and_utc(), after),
            Err(CheckInRefusal::Ended {
                state: BookingState::DocumentsLapsed
            })
        );
        let elsewhere = Visit {
            at_this_office: false,
            ..visit
        };
        let now = at("2026-12-04 09:00");
        assert_eq!(
            w.admit(&elsewhere, now.and_utc(), now),
            Err(CheckInRefusal::OtherOffice)
        );
    }

    #[test]
    fn a_booking_at_the_wrong_time_or_a_missed_day_may_be_moved_specially() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert!(CheckInRefusal::OtherDay { date: day }.offers_special_reschedule());
        for missed in [BookingState::NoShow, BookingState::Unserved] {
            assert!(
                CheckInRefusal::Ended { state: missed }.offers_special_reschedule(),
                "{missed:?}"
            );
        }
        for r in [
            CheckInRefusal::NotPaid,
            CheckInRefusal::AlreadyCheckedIn,
            CheckInRefusal::OtherOffice,
            CheckInRefusal::Ended {
                state: BookingState::Cancelled,
            },
            CheckInRefusal::Ended {
                state: BookingState::DocumentsLapsed,
            },
        ] {
            assert!(!r.offers_special_reschedule(), "{r:?}");
        }
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
