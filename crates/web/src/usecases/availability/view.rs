//! An office's availability as it was read: plain values (what each date is, the places
//! left per session and class), which the caches in `AppState` keep and the JSON API and
//! the pages render.

use chrono::{DateTime, NaiveDate, Utc};
use loket_domain::calendar::ClosedReason;
use loket_domain::quota::ServiceClass;
use loket_domain::{Office, SessionWindow};

/// What a date is, for someone who wants to book it now.
#[derive(Clone, Debug, PartialEq)]
pub enum DayKind {
    /// Places are left in some session.
    Open,
    /// Bookable, but every place is taken.
    Full,
    /// Today or earlier.
    Past,
    /// The office does not serve this day.
    Closed(ClosedReason),
    /// Its places open at this instant.
    NotReleased(DateTime<Utc>),
    /// Further ahead than the office takes bookings.
    BeyondHorizon,
}

impl DayKind {
    /// The stable name the API sends ("open", "full", ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            DayKind::Open => "open",
            DayKind::Full => "full",
            DayKind::Past => "past",
            DayKind::Closed(_) => "closed",
            DayKind::NotReleased(_) => "not_released",
            DayKind::BeyondHorizon => "beyond_horizon",
        }
    }
}

/// Places of one class in one session.
#[derive(Clone, Debug)]
pub struct ClassPlaces {
    /// The quota class.
    pub class: ServiceClass,
    /// Places in total.
    pub capacity: i64,
    /// Places left (0 when full or not bookable online).
    pub remaining: i64,
}

/// A session on one date.
#[derive(Clone, Debug)]
pub struct SessionPlaces {
    /// The session.
    pub session: SessionWindow,
    /// Per class, in [`ServiceClass::ALL`] order.
    pub classes: Vec<ClassPlaces>,
}

impl SessionPlaces {
    /// Places left for online bookings.
    pub fn online_left(&self) -> i64 {
        self.classes
            .iter()
            .filter(|c| c.class.bookable_online())
            .map(|c| c.remaining)
            .sum()
    }
}

/// One date.
#[derive(Clone, Debug)]
pub struct Day {
    /// The date, office-local.
    pub date: NaiveDate,
    /// Its status.
    pub kind: DayKind,
    /// Its sessions (none when closed).
    pub sessions: Vec<SessionPlaces>,
}

impl Day {
    /// Places left for online bookings over all sessions.
    pub fn online_left(&self) -> i64 {
        self.sessions.iter().map(SessionPlaces::online_left).sum()
    }
}

/// An office's availability over a period.
#[derive(Clone, Debug)]
pub struct Availability {
    /// The office.
    pub office: Office,
    /// Each date of the period, in order.
    pub days: Vec<Day>,
}

impl Availability {
    /// The first date with places left.
    pub fn first_open(&self) -> Option<&Day> {
        self.days.iter().find(|d| d.kind == DayKind::Open)
    }
}

/// An office and the first date within the search range that still has places.
#[derive(Clone, Debug)]
pub struct OfficeNext {
    /// The office.
    pub office: Office,
    /// Its regional office's name.
    pub region_name: String,
    /// The first date with places, and how many are left then.
    pub next: Option<(NaiveDate, i64)>,
}

/// An office's month as its calendar page shows it: the availability, and whether the
/// office runs in outage mode today, read together and kept together (the page is what a
/// rush reloads).
#[derive(Clone, Debug)]
pub struct CalendarMonth {
    /// The month's availability.
    pub availability: Availability,
    /// Whether the office serves people without a booking today (outage mode).
    pub outage_today: bool,
}
