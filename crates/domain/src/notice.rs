//! Notices: which moments of a booking's life the applicant is told about by mail, and
//! when such a message is still worth sending. The mail is derived after the fact, from the
//! recorded state changes and from sweeps over bookings, never inside the change itself.

use chrono::{Days, NaiveDate, NaiveDateTime, Timelike};

use crate::booking::{BookingState, is_move};

/// A message about a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// A place is held: the billing code, the amount and the deadline.
    Held,
    /// The payment arrived in time (or restored a lapsed hold): the place is the applicant's.
    PaymentReceived,
    /// The day before the service date (office-local), for a paid booking.
    Reminder,
    /// The booking moved to another date or session.
    Rescheduled,
    /// The applicant cancelled.
    Cancelled,
    /// The money came after the place was given up: it is owed back, or the booking may be
    /// moved to a free slot.
    RefundDue,
    /// The deadline passed unpaid and the place went back to the quota.
    Expired,
    /// The interview found documents missing: which day they must be brought by.
    DocumentsMissing,
    /// The missing documents were not brought in time: the application ended.
    DocumentsLapsed,
    /// The application was rejected at the interview, with the reason.
    Rejected,
    /// The day of the visit ended before a counter finished it: the desk gives a new day.
    Unserved,
}

impl NoticeKind {
    /// Every kind.
    pub const ALL: [NoticeKind; 11] = [
        Self::Held,
        Self::PaymentReceived,
        Self::Reminder,
        Self::Rescheduled,
        Self::Cancelled,
        Self::RefundDue,
        Self::Expired,
        Self::DocumentsMissing,
        Self::DocumentsLapsed,
        Self::Rejected,
        Self::Unserved,
    ];

    /// Stable code, as stored and used in metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::PaymentReceived => "payment_received",
            Self::Reminder => "reminder",
            Self::Rescheduled => "rescheduled",
            Self::Cancelled => "cancelled",
            Self::RefundDue => "refund_due",
            Self::Expired => "expired",
            Self::DocumentsMissing => "documents_missing",
            Self::DocumentsLapsed => "documents_lapsed",
            Self::Rejected => "rejected",
            Self::Unserved => "unserved",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The notice a recorded change from `from` to `to` calls for; none for changes the
    /// applicant need not hear about (a payment being confirmed, a no-show, a check-in, or
    /// an acceptance, given to them in person at the counter). The outcomes that ask
    /// something of them later (documents to bring by a day) or end the application
    /// (rejected, documents lapsed, unserved) are put in writing.
    ///
    /// A move keeps the booking's state (held stays held, paid stays paid), except a
    /// refund's move, which turns the late payment into a paid booking, and a special
    /// reschedule of a missed or unserved day, which pays it again; every other change
    /// changes the state. Missing documents found missing again on the return visit are
    /// told again.
    pub fn for_change(from: Option<BookingState>, to: BookingState) -> Option<NoticeKind> {
        use BookingState as S;
        match (from, to) {
            (_, S::DocumentsMissing) => Some(Self::DocumentsMissing),
            _ if is_move(from, to) => Some(Self::Rescheduled),
            (_, S::Paid) => Some(Self::PaymentReceived),
            (_, S::RefundDue) => Some(Self::RefundDue),
            (_, S::Cancelled) => Some(Self::Cancelled),
            (_, S::Expired) => Some(Self::Expired),
            (_, S::DocumentsLapsed) => Some(Self::DocumentsLapsed),
            (_, S::Rejected) => Some(Self::Rejected),
            (_, S::Unserved) => Some(Self::Unserved),
            (
                _,
                S::AwaitingPayment | S::PaymentPending | S::NoShow | S::CheckedIn | S::Accepted,
            ) => None,
        }
    }

    /// Whether the notice still tells the truth about a booking that is now `current` (its
    /// effective state): a later change may have overtaken it before it was sent, and then
    /// the later change's own notice says what matters. A cancellation is always told.
    pub fn still_current(&self, current: BookingState) -> bool {
        use BookingState as S;
        match self {
            Self::Held => current == S::AwaitingPayment,
            Self::PaymentReceived | Self::Reminder => current == S::Paid,
            Self::Rescheduled => {
                matches!(current, S::AwaitingPayment | S::PaymentPending | S::Paid)
            }
            Self::Cancelled => true,
            Self::RefundDue => current == S::RefundDue,
            Self::Expired => current == S::Expired,
            Self::DocumentsMissing => current == S::DocumentsMissing,
            Self::DocumentsLapsed => current == S::DocumentsLapsed,
            Self::Rejected => current == S::Rejected,
            Self::Unserved => current == S::Unserved,
        }
    }
}

/// The office-local hours in which reminders go out, [from, until): nobody's phone is woken
/// at night by a reminder. A booking paid after the evening's last hour for the next day
/// has had its payment mail with the date and time.
pub const REMINDER_HOURS: (u32, u32) = (7, 21);

/// The service date a reminder is sent for at `local_now` (the office's time): tomorrow,
/// within `REMINDER_HOURS`; none at night.
pub fn reminder_date(local_now: NaiveDateTime) -> Option<NaiveDate> {
    let (from, until) = REMINDER_HOURS;
    (from..until)
        .contains(&local_now.hour())
        .then(|| local_now.date().checked_add_days(Days::new(1)))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use BookingState as S;

    #[test]
    fn each_recorded_change_calls_for_its_notice_or_none() {
        let k = NoticeKind::for_change;
        assert_eq!(
            k(Some(S::AwaitingPayment), S::Paid),
            Some(NoticeKind::PaymentReceived)
        );
        assert_eq!(
            k(Some(S::PaymentPending), S::Paid),
            Some(NoticeKind::PaymentReceived)
        );
        // A lapsed hold restored by a late payment.
        assert_eq!(
            k(Some(S::Expired), S::Paid),
            Some(NoticeKind::PaymentReceived)
        );
        assert_eq!(k(Some(S::AwaitingPayment), S::PaymentPending), None);
        assert_eq!(k(Some(S::Expired), S::PaymentPending), None);
        assert_eq!(
            k(Some(S::Expired), S::RefundDue),
            Some(NoticeKind::RefundDue)
        );
        assert_eq!(
            k(Some(S::Cancelled), S::RefundDue),
            Some(NoticeKind::RefundDue)
        );
        assert_eq!(k(Some(S::Paid), S::Cancelled), Some(NoticeKind::Cancelled));
        assert_eq!(
            k(Some(S::AwaitingPayment), S::Expired),
            Some(NoticeKind::Expired)
        );
        assert_eq!(k(Some(S::Paid), S::NoShow), None);
        for moved in [S::AwaitingPayment, S::PaymentPending, S::Paid] {
            assert_eq!(k(Some(moved), moved), Some(NoticeKind::Rescheduled));
        }
        assert_eq!(
            k(Some(S::RefundDue), S::Paid),
            Some(NoticeKind::Rescheduled),
            "a refund's move pays the booking"
        );
        for missed in [S::NoShow, S::Unserved] {
            assert_eq!(
                k(Some(missed), S::Paid),
                Some(NoticeKind::Rescheduled),
                "{missed:?}: a special reschedule is a move, not a payment"
            );
        }
        assert_eq!(k(Some(S::Paid), S::CheckedIn), None, "told in person");
        assert_eq!(k(Some(S::CheckedIn), S::Accepted), None, "told in person");
        assert_eq!(
            k(Some(S::CheckedIn), S::DocumentsMissing),
            Some(NoticeKind::DocumentsMissing)
        );
        assert_eq!(
            k(Some(S::DocumentsMissing), S::DocumentsMissing),
            Some(NoticeKind::DocumentsMissing),
            "still missing on the return visit: told again, not as a move"
        );
        assert_eq!(
            k(Some(S::DocumentsMissing), S::DocumentsLapsed),
            Some(NoticeKind::DocumentsLapsed)
        );
        assert_eq!(
            k(Some(S::CheckedIn), S::Rejected),
            Some(NoticeKind::Rejected)
        );
        assert_eq!(
            k(Some(S::CheckedIn), S::Unserved),
            Some(NoticeKind::Unserved)
        );
    }

    #[test]
    fn a_notice_overtaken_by_a_later_change_is_not_sent() {
        assert!(NoticeKind::Expired.still_current(S::Expired));
        assert!(
            !NoticeKind::Expired.still_current(S::Paid),
            "restored by a late payment"
        );
        assert!(!NoticeKind::RefundDue.still_current(S::Paid), "moved since");
        assert!(!NoticeKind::PaymentReceived.still_current(S::Cancelled));
        assert!(!NoticeKind::Rescheduled.still_current(S::Cancelled));
        assert!(!NoticeKind::Held.still_current(S::Expired));
        assert!(NoticeKind::Cancelled.still_current(S::RefundDue));
        assert!(
            !NoticeKind::Unserved.still_current(S::Paid),
            "given a new day before the mail went"
        );
        assert!(!NoticeKind::DocumentsMissing.still_current(S::Accepted));
    }

    #[test]
    fn kinds_round_trip_and_the_reminder_is_for_tomorrow() {
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(k.as_str()), Some(k));
        }
        let d = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let at = |h, m| d.and_hms_opt(h, m, 0).unwrap();
        assert_eq!(
            reminder_date(at(7, 0)),
            NaiveDate::from_ymd_opt(2027, 1, 1),
            "across the year"
        );
        assert!(reminder_date(at(20, 59)).is_some());
        for night in [at(21, 0), at(23, 30), at(0, 0), at(6, 59)] {
            assert_eq!(reminder_date(night), None, "{night}: no reminder at night");
        }
    }
}
