//! Quotas: how many places an office offers per date, session and service class, from
//! weekday defaults and per-date overrides, and how a head of office changes them in bulk.
//! A quota is never set below the places already taken.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::catalogue::Processing;

/// The pools a day's places are split into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceClass {
    /// Booked online, regular processing.
    Online,
    /// Walk-ins served first: elderly, infants, pregnant women, people with disabilities.
    PriorityWalkIn,
    /// Booked online, same-day (percepatan) processing.
    Express,
}

impl ServiceClass {
    /// Every class, in display order.
    pub const ALL: [ServiceClass; 3] = [Self::Online, Self::PriorityWalkIn, Self::Express];

    /// Stable code, as stored and sent over the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::PriorityWalkIn => "priority_walk_in",
            Self::Express => "express",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether applicants can book this class online (priority places are for walk-ins).
    pub fn bookable_online(&self) -> bool {
        !matches!(self, Self::PriorityWalkIn)
    }

    /// The class an online booking draws from, given its processing speed.
    pub fn for_processing(p: Processing) -> Self {
        match p {
            Processing::Regular => Self::Online,
            Processing::Express => Self::Express,
        }
    }
}

/// Weekday defaults and per-date overrides for one office.
#[derive(Clone, Debug, Default)]
pub struct QuotaPlan {
    defaults: HashMap<(Weekday, String, ServiceClass), u32>,
    overrides: HashMap<(NaiveDate, String, ServiceClass), u32>,
}

impl QuotaPlan {
    /// An empty plan (every capacity is zero).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the default capacity for a weekday, session and class.
    pub fn set_default(&mut self, weekday: Weekday, session: &str, class: ServiceClass, cap: u32) {
        self.defaults
            .insert((weekday, session.to_owned(), class), cap);
    }

    /// Sets the capacity for one date, session and class, overriding the weekday default.
    pub fn set_override(&mut self, date: NaiveDate, session: &str, class: ServiceClass, cap: u32) {
        self.overrides
            .insert((date, session.to_owned(), class), cap);
    }

    /// The capacity in force: the date's override, else the weekday default, else zero.
    pub fn capacity(&self, date: NaiveDate, session: &str, class: ServiceClass) -> u32 {
        let key = (date, session.to_owned(), class);
        if let Some(c) = self.overrides.get(&key) {
            return *c;
        }
        self.defaults
            .get(&(date.weekday(), key.1, class))
            .copied()
            .unwrap_or(0)
    }
}

/// A change a head of office applies to many capacities at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", content = "value", rename_all = "snake_case")]
pub enum QuotaAdjustment {
    /// Scale by a percentage, e.g. 50 raises 75 to 113 (rounded half up), -20 lowers.
    Percent(i32),
    /// Add (or with a negative value, remove) places.
    Delta(i32),
    /// Set to exactly this many places.
    Set(u32),
}

/// The result of applying an adjustment to one capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Adjusted {
    /// The capacity after the change.
    pub capacity: u32,
    /// True when the wanted value was below the places already taken and was raised to them.
    pub clamped: bool,
}

impl Adjusted {
    /// The rule every quota change keeps: a capacity is never below the places already
    /// taken; a wanted value below them is raised to them, and says so.
    pub fn keeping_taken(wanted: u32, taken: u32) -> Adjusted {
        if wanted < taken {
            Adjusted {
                capacity: taken,
                clamped: true,
            }
        } else {
            Adjusted {
                capacity: wanted,
                clamped: false,
            }
        }
    }
}

/// Largest capacity one session may have; protects against typos such as 75000.
pub const MAX_CAPACITY: u32 = 10_000;

impl QuotaAdjustment {
    /// Applies the change to `current`, never going below `taken`, zero, or above MAX_CAPACITY.
    pub fn apply(&self, current: u32, taken: u32) -> Adjusted {
        let wanted: i64 = match *self {
            Self::Percent(p) => {
                // Rounded half up in integer arithmetic: (c * (100 + p) + 50) / 100.
                let scaled = i64::from(current) * (100 + i64::from(p));
                (scaled + 50).div_euclid(100)
            }
            Self::Delta(d) => i64::from(current) + i64::from(d),
            Self::Set(v) => i64::from(v),
        };
        let bounded = wanted.clamp(0, i64::from(MAX_CAPACITY));
        let bounded = u32::try_from(bounded).unwrap_or(MAX_CAPACITY);
        Adjusted::keeping_taken(bounded, taken)
    }

    /// Rejects adjustments that make no sense before any capacity is touched.
    pub fn validate(&self) -> Result<(), &'static str> {
        match *self {
            Self::Percent(p) if !(-100..=1000).contains(&p) => Err("percent_out_of_range"),
            Self::Delta(d) if d.unsigned_abs() > MAX_CAPACITY => Err("delta_out_of_range"),
            Self::Set(v) if v > MAX_CAPACITY => Err("capacity_out_of_range"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn override_beats_weekday_default_and_missing_is_zero() {
        let mut plan = QuotaPlan::new();
        plan.set_default(Weekday::Mon, "s1", ServiceClass::Online, 25);
        let monday = d(2026, 11, 30);
        let next_monday = d(2026, 12, 7);
        plan.set_override(next_monday, "s1", ServiceClass::Online, 40);
        assert_eq!(plan.capacity(monday, "s1", ServiceClass::Online), 25);
        assert_eq!(plan.capacity(next_monday, "s1", ServiceClass::Online), 40);
        assert_eq!(plan.capacity(monday, "s1", ServiceClass::Express), 0);
        assert_eq!(plan.capacity(d(2026, 12, 1), "s1", ServiceClass::Online), 0);
    }

    #[test]
    fn palembang_raise_by_half_rounds_half_up() {
        // 50 -> 75 is the Palembang raise; 75 + 50% = 112.5 -> 113.
        assert_eq!(QuotaAdjustment::Percent(50).apply(50, 0).capacity, 75);
        assert_eq!(QuotaAdjustment::Percent(50).apply(75, 0).capacity, 113);
        assert_eq!(QuotaAdjustment::Percent(-20).apply(75, 0).capacity, 60);
    }

    #[test]
    fn adjustment_never_goes_below_taken_or_zero() {
        let a = QuotaAdjustment::Set(10).apply(75, 30);
        assert_eq!(
            a,
            Adjusted {
                capacity: 30,
                clamped: true
            }
        );
        let b = QuotaAdjustment::Delta(-100).apply(75, 0);
        assert_eq!(
            b,
            Adjusted {
                capacity: 0,
                clamped: false
            }
        );
        let c = QuotaAdjustment::Percent(-100).apply(75, 5);
        assert_eq!(
            c,
            Adjusted {
                capacity: 5,
                clamped: true
            }
        );
        assert_eq!(QuotaAdjustment::Delta(5).apply(75, 75).capacity, 80);
    }

    #[test]
    fn absurd_adjustments_are_rejected_up_front() {
        assert!(QuotaAdjustment::Percent(-101).validate().is_err());
        assert!(QuotaAdjustment::Set(75_000).validate().is_err());
        assert!(QuotaAdjustment::Delta(-20).validate().is_ok());
        assert_eq!(
            QuotaAdjustment::Set(75_000).apply(1, 0).capacity,
            MAX_CAPACITY
        );
    }

    #[test]
    fn classes_round_trip_and_priority_is_not_bookable_online() {
        for c in ServiceClass::ALL {
            assert_eq!(ServiceClass::parse(c.as_str()), Some(c));
        }
        assert!(!ServiceClass::PriorityWalkIn.bookable_online());
        assert_eq!(
            ServiceClass::for_processing(Processing::Express),
            ServiceClass::Express
        );
    }
}
