//! Offices and their sessions: the places applicants book and the named time windows of a
//! service day. An office carries its IANA time zone, so every local time here is read in it.

use crate::booking::AllocationPolicy;
use chrono::{NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::calendar::WeekdaySet;
use crate::release::ReleaseRule;

/// A named window of a service day, e.g. "Sesi 1, 08:00-10:00", on some weekdays.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionWindow {
    /// Stable code within the office, e.g. "s1".
    pub code: String,
    /// Label shown to people.
    pub name: String,
    /// Local start time.
    pub start: NaiveTime,
    /// Local end time.
    pub end: NaiveTime,
    /// Weekdays on which this session runs (Friday often differs for Friday prayers).
    pub weekdays: WeekdaySet,
}

impl SessionWindow {
    /// Whether this session runs on the given date's weekday.
    pub fn runs_on(&self, date: NaiveDate) -> bool {
        use chrono::Datelike;
        self.weekdays.contains(date.weekday())
    }
}

/// An immigration office (or a service unit with its own quota).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Office {
    /// Stable slug, e.g. "palembang".
    pub code: String,
    /// Regional office (Kanwil) code.
    pub region_code: String,
    /// Official name.
    pub name: String,
    /// IANA zone of the office; session and release times are read in it.
    #[serde(serialize_with = "ser_tz")]
    pub time_zone: Tz,
    /// Street address, when known.
    pub address: Option<String>,
    /// City or regency.
    pub city: String,
    /// Weekdays the office serves.
    pub open_weekdays: WeekdaySet,
    /// Sessions, ordered by start time.
    pub sessions: Vec<SessionWindow>,
    /// When quota for a service date opens.
    pub release: ReleaseRule,
    /// How many days ahead a date can be booked at most (beyond the release rule).
    pub booking_horizon_days: u32,
    /// How the office hands out places (first come, first served today; a fair draw or a
    /// waiting list plugs in here).
    #[serde(default)]
    pub allocation_policy: AllocationPolicy,
}

fn ser_tz<S: serde::Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

impl Office {
    /// The sessions that run on the given date (ignoring holidays; see `WorkingCalendar`).
    pub fn sessions_on(&self, date: NaiveDate) -> impl Iterator<Item = &SessionWindow> {
        self.sessions.iter().filter(move |s| s.runs_on(date))
    }

    /// Where to find it: the street address, or the city where none is known.
    pub fn address_or_city(&self) -> &str {
        self.address.as_deref().unwrap_or(&self.city)
    }

    /// Looks up a session by code.
    pub fn session(&self, code: &str) -> Option<&SessionWindow> {
        self.sessions.iter().find(|s| s.code == code)
    }

    /// Short label of the office's zone as Indonesians write it (WIB, WITA, WIT).
    pub fn zone_label(&self) -> &'static str {
        zone_label(self.time_zone)
    }
}

/// WIB/WITA/WIT for Indonesian zones; "UTC" style fallback otherwise.
pub fn zone_label(tz: Tz) -> &'static str {
    match tz {
        Tz::Asia__Jakarta | Tz::Asia__Pontianak => "WIB",
        Tz::Asia__Makassar => "WITA",
        Tz::Asia__Jayapura => "WIT",
        _ => "local",
    }
}

/// Parses an IANA zone name.
pub fn parse_time_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// Weekday from a date, re-exported for callers that only need this one thing.
pub fn weekday_of(date: NaiveDate) -> Weekday {
    use chrono::Datelike;
    date.weekday()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    /// Palembang: Mon-Fri, s1 08-10 every weekday, s3 13-15 Mon-Thu, released 30 days
    /// ahead at 08:00 WIB, bookable 60 days ahead.
    pub(crate) fn office() -> Office {
        Office {
            code: "palembang".into(),
            region_code: "sumsel".into(),
            name: "Kantor Imigrasi Kelas I TPI Palembang".into(),
            time_zone: Tz::Asia__Jakarta,
            address: None,
            city: "Palembang".into(),
            open_weekdays: WeekdaySet::mon_to_fri(),
            sessions: vec![
                SessionWindow {
                    code: "s1".into(),
                    name: "Sesi 1".into(),
                    start: t(8, 0),
                    end: t(10, 0),
                    weekdays: WeekdaySet::mon_to_fri(),
                },
                SessionWindow {
                    code: "s3".into(),
                    name: "Sesi 3".into(),
                    start: t(13, 0),
                    end: t(15, 0),
                    weekdays: WeekdaySet::empty()
                        .with(Weekday::Mon)
                        .with(Weekday::Tue)
                        .with(Weekday::Wed)
                        .with(Weekday::Thu),
                },
            ],
            release: ReleaseRule::Rolling {
                days_ahead: 30,
                at: t(8, 0),
            },
            booking_horizon_days: 60,
            allocation_policy: AllocationPolicy::default(),
        }
    }

    #[test]
    fn friday_has_no_afternoon_session_when_configured_so() {
        let o = office();
        let friday = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let thursday = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(o.sessions_on(friday).count(), 1);
        assert_eq!(o.sessions_on(thursday).count(), 2);
    }

    #[test]
    fn zone_labels_follow_indonesian_usage() {
        assert_eq!(zone_label(Tz::Asia__Pontianak), "WIB");
        assert_eq!(zone_label(Tz::Asia__Makassar), "WITA");
        assert_eq!(zone_label(Tz::Asia__Jayapura), "WIT");
        assert_eq!(parse_time_zone("Asia/Jayapura"), Some(Tz::Asia__Jayapura));
        assert_eq!(parse_time_zone("Mars/Olympus"), None);
    }
}
