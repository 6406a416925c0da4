//! Notices: which moments of a booking's life the applicant is told about by mail, and
//! when such a message is still worth sending. The mail is derived after the fact, from the
//! recorded state changes and from sweeps over bookings, never inside the change itself.

use chrono::{Days, NaiveDate};

use crate::booking::BookingState;

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
}

impl NoticeKind {
    /// Every kind.
    pub const ALL: [NoticeKind; 7] = [
        Self::Held,
        Self::PaymentReceived,
        Self::Reminder,
        Self::Rescheduled,
        Self::Cancelled,
        Self::RefundDue,
        Self::Expired,
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
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The notice a recorded change from `from` to `to` calls for; none for changes the
    /// applicant need not hear about (a payment being confirmed, a no-show, a check-in
    /// or an interview outcome given to them in person).
    ///
    /// A move keeps the booking's state (held stays held, paid stays paid), except a
    /// refund's move, which turns the late payment into a paid booking; every other change
    /// changes the state.
    pub fn for_change(from: Option<BookingState>, to: BookingState) -> Option<NoticeKind> {
        use BookingState as S;
        match (from, to) {
            (Some(S::RefundDue), S::Paid) => Some(Self::Rescheduled),
            (Some(f), t) if f == t => Some(Self::Rescheduled),
            (_, S::Paid) => Some(Self::PaymentReceived),
            (_, S::RefundDue) => Some(Self::RefundDue),
            (_, S::Cancelled) => Some(Self::Cancelled),
            (_, S::Expired) => Some(Self::Expired),
            (
                _,
                S::AwaitingPayment
                | S::PaymentPending
                | S::NoShow
                | S::CheckedIn
                | S::Accepted
                | S::DocumentsMissing
                | S::Rejected,
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
        }
    }
}

/// The service date a reminder is sent for on `today_local` (the office's date): tomorrow.
pub fn reminder_date(today_local: NaiveDate) -> Option<NaiveDate> {
    today_local.checked_add_days(Days::new(1))
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
    }

    #[test]
    fn kinds_round_trip_and_the_reminder_is_for_tomorrow() {
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(k.as_str()), Some(k));
        }
        let d = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        assert_eq!(
            reminder_date(d),
            NaiveDate::from_ymd_opt(2027, 1, 1),
            "across the year"
        );
    }
}
