//! When the quota for a service date is released (opens for booking). Rules are per-office
//! configuration expressed in the office's local time; every answer is an instant in UTC so
//! the crush at release time is judged against one clock.

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Offset, TimeDelta, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How an office releases its quota.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ReleaseRule {
    /// Each service date opens `days_ahead` days before it, at `at` local time.
    Rolling {
        /// Days between release and service, 1-366.
        days_ahead: u32,
        /// Local release time.
        at: NaiveTime,
    },
    /// A whole ISO week (Mon-Sun) opens on `weekday` at `at`, `weeks_ahead` weeks before it.
    Weekly {
        /// The release weekday, serialized as "mon".."sun".
        #[serde(with = "weekday_short")]
        weekday: Weekday,
        /// Local release time.
        at: NaiveTime,
        /// Weeks between the release week and the service week, 1-8.
        weeks_ahead: u32,
    },
    /// A whole calendar month opens on day `day` (clamped to the month's length) of the
    /// month `months_ahead` before it, at `at`.
    Monthly {
        /// Day of the release month, 1-31; 31 means the last day.
        day: u32,
        /// Local release time.
        at: NaiveTime,
        /// Months between the release month and the service month, 1-3.
        months_ahead: u32,
    },
}

/// A release rule with a field out of range.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    /// `days_ahead` is outside 1-366.
    #[error("days ahead must be between 1 and 366, got {0}")]
    DaysAhead(u32),
    /// `weeks_ahead` is outside 1-8.
    #[error("weeks ahead must be between 1 and 8, got {0}")]
    WeeksAhead(u32),
    /// `months_ahead` is outside 1-3.
    #[error("months ahead must be between 1 and 3, got {0}")]
    MonthsAhead(u32),
    /// The monthly release day is outside 1-31.
    #[error("the release day of the month must be between 1 and 31, got {0}")]
    DayOfMonth(u32),
}

impl ReleaseError {
    /// A stable snake_case code for APIs and translation keys.
    pub fn code(&self) -> &'static str {
        match self {
            ReleaseError::DaysAhead(_) => "days_ahead_out_of_range",
            ReleaseError::WeeksAhead(_) => "weeks_ahead_out_of_range",
            ReleaseError::MonthsAhead(_) => "months_ahead_out_of_range",
            ReleaseError::DayOfMonth(_) => "day_out_of_range",
        }
    }
}

impl ReleaseRule {
    /// The UTC instant at which `service_date` opens for booking at an office in `tz`.
    pub fn opens_at(&self, service_date: NaiveDate, tz: Tz) -> DateTime<Utc> {
        let (date, at) = match *self {
            ReleaseRule::Rolling { days_ahead, at } => {
                (sub_days(service_date, u64::from(days_ahead)), at)
            }
            ReleaseRule::Weekly {
                weekday,
                at,
                weeks_ahead,
            } => {
                let monday = sub_days(
                    service_date,
                    u64::from(service_date.weekday().num_days_from_monday()),
                );
                let release_monday = sub_days(monday, 7 * u64::from(weeks_ahead));
                let date = release_monday
                    .checked_add_days(Days::new(u64::from(weekday.num_days_from_monday())))
                    .unwrap_or(release_monday);
                (date, at)
            }
            ReleaseRule::Monthly {
                day,
                at,
                months_ahead,
            } => {
                let first = service_date.with_day(1).unwrap_or(service_date);
                let release_month = first
                    .checked_sub_months(Months::new(months_ahead))
                    .unwrap_or(NaiveDate::MIN);
                let last_day = days_in_month(release_month);
                let date = release_month
                    .with_day(day.clamp(1, last_day))
                    .unwrap_or(release_month);
                (date, at)
            }
        };
        local_instant(date, at, tz)
    }

    /// Whether `service_date` has been released at `now`.
    pub fn is_released(&self, service_date: NaiveDate, tz: Tz, now: DateTime<Utc>) -> bool {
        now >= self.opens_at(service_date, tz)
    }

    /// Checks the configured numbers are within sensible bounds.
    pub fn validate(&self) -> Result<(), ReleaseError> {
        match *self {
            ReleaseRule::Rolling { days_ahead, .. } if !(1..=366).contains(&days_ahead) => {
                Err(ReleaseError::DaysAhead(days_ahead))
            }
            ReleaseRule::Weekly { weeks_ahead, .. } if !(1..=8).contains(&weeks_ahead) => {
                Err(ReleaseError::WeeksAhead(weeks_ahead))
            }
            ReleaseRule::Monthly { day, .. } if !(1..=31).contains(&day) => {
                Err(ReleaseError::DayOfMonth(day))
            }
            ReleaseRule::Monthly { months_ahead, .. } if !(1..=3).contains(&months_ahead) => {
                Err(ReleaseError::MonthsAhead(months_ahead))
            }
            _ => Ok(()),
        }
    }
}

/// Saturates at the earliest date instead of panicking: a release that far back is simply past.
fn sub_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days))
        .unwrap_or(NaiveDate::MIN)
}

fn days_in_month(first_of_month: NaiveDate) -> u32 {
    first_of_month
        .checked_add_months(Months::new(1))
        .and_then(|next| next.pred_opt())
        .map_or(31, |last| last.day())
}

/// Today's date at an office in `tz`.
pub fn local_date(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// The UTC instant of local `date` and `time` in `tz`.
///
/// Indonesian zones have no DST. Elsewhere an ambiguous time takes the earlier instant, and a
/// time skipped by a DST gap takes the first valid local time after it (one hour later, the
/// usual gap), falling back to the offset in force around it, so nothing here panics.
pub fn local_instant(date: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let naive = date.and_time(time);
    if let Some(instant) = tz.from_local_datetime(&naive).earliest() {
        return instant.with_timezone(&Utc);
    }
    if let Some(instant) = naive
        .checked_add_signed(TimeDelta::hours(1))
        .and_then(|later| tz.from_local_datetime(&later).earliest())
    {
        return instant.with_timezone(&Utc);
    }
    let offset = tz.offset_from_utc_datetime(&naive).fix().local_minus_utc();
    naive
        .checked_sub_signed(TimeDelta::seconds(i64::from(offset)))
        .unwrap_or(naive)
        .and_utc()
}

use crate::weekday::as_code as weekday_short;

#[cfg(test)]
// Tests may panic on a broken fixture; that is what a failing test is.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono_tz::Asia::{Jakarta, Jayapura, Makassar, Pontianak};
    use serde::de::value::{Error as DeError, MapDeserializer};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn rolling_30_at_8() -> ReleaseRule {
        ReleaseRule::Rolling {
            days_ahead: 30,
            at: time(8, 0),
        }
    }

    #[test]
    fn rolling_release_at_08_00_in_each_indonesian_zone() {
        let rule = rolling_30_at_8();
        let service = date(2026, 12, 24);
        assert_eq!(rule.opens_at(service, Jakarta), utc("2026-11-24T01:00:00Z"));
        assert_eq!(
            rule.opens_at(service, Pontianak),
            utc("2026-11-24T01:00:00Z")
        );
        assert_eq!(
            rule.opens_at(service, Makassar),
            utc("2026-11-24T00:00:00Z")
        );
        assert_eq!(
            rule.opens_at(service, Jayapura),
            utc("2026-11-23T23:00:00Z")
        );
    }

    #[test]
    fn rolling_release_crosses_month_and_year_ends() {
        let rule = rolling_30_at_8();
        assert_eq!(
            rule.opens_at(date(2026, 1, 15), Jakarta),
            utc("2025-12-16T01:00:00Z")
        );
        assert_eq!(
            rule.opens_at(date(2024, 3, 15), Jakarta),
            utc("2024-02-14T01:00:00Z")
        );
    }

    #[test]
    fn released_exactly_at_the_opening_instant_not_a_second_before() {
        let rule = rolling_30_at_8();
        let service = date(2026, 12, 24);
        assert!(!rule.is_released(service, Jakarta, utc("2026-11-24T00:59:59Z")));
        assert!(rule.is_released(service, Jakarta, utc("2026-11-24T01:00:00Z")));
        assert!(rule.is_released(service, Jakarta, utc("2026-12-01T00:00:00Z")));
    }

    #[test]
    fn weekly_friday_14_00_wib_opens_the_next_week() {
        let rule = ReleaseRule::Weekly {
            weekday: Weekday::Fri,
            at: time(14, 0),
            weeks_ahead: 1,
        };
        // Wednesday 25 Nov 2026 is in the week of Monday 23 Nov; released Friday 20 Nov 14:00 WIB.
        let wednesday = date(2026, 11, 25);
        assert_eq!(
            rule.opens_at(wednesday, Jakarta),
            utc("2026-11-20T07:00:00Z")
        );
        // The whole ISO week opens together, Monday through Sunday.
        for d in 23..=29 {
            assert_eq!(
                rule.opens_at(date(2026, 11, d), Jakarta),
                utc("2026-11-20T07:00:00Z"),
                "{d}"
            );
        }
        assert_eq!(
            rule.opens_at(date(2026, 11, 30), Jakarta),
            utc("2026-11-27T07:00:00Z")
        );
    }

    #[test]
    fn weekly_two_weeks_ahead_on_a_monday() {
        let rule = ReleaseRule::Weekly {
            weekday: Weekday::Mon,
            at: time(9, 0),
            weeks_ahead: 2,
        };
        assert_eq!(
            rule.opens_at(date(2026, 11, 25), Makassar),
            utc("2026-11-09T01:00:00Z")
        );
    }

    #[test]
    fn monthly_day_31_clamps_to_the_end_of_february() {
        let rule = ReleaseRule::Monthly {
            day: 31,
            at: time(9, 0),
            months_ahead: 1,
        };
        assert_eq!(
            rule.opens_at(date(2026, 3, 10), Jakarta),
            utc("2026-02-28T02:00:00Z")
        );
        assert_eq!(
            rule.opens_at(date(2028, 3, 31), Jakarta),
            utc("2028-02-29T02:00:00Z")
        );
        // April's dates open on the real 31st of March.
        assert_eq!(
            rule.opens_at(date(2026, 4, 1), Jakarta),
            utc("2026-03-31T02:00:00Z")
        );
        // January's dates open in December of the year before.
        assert_eq!(
            rule.opens_at(date(2027, 1, 20), Jayapura),
            utc("2026-12-31T00:00:00Z")
        );
    }

    #[test]
    fn monthly_release_covers_the_whole_month_together() {
        let rule = ReleaseRule::Monthly {
            day: 25,
            at: time(9, 0),
            months_ahead: 2,
        };
        let first = rule.opens_at(date(2026, 6, 1), Jakarta);
        assert_eq!(first, utc("2026-04-25T02:00:00Z"));
        assert_eq!(rule.opens_at(date(2026, 6, 30), Jakarta), first);
    }

    #[test]
    fn local_date_around_utc_midnight() {
        let late = utc("2026-11-23T18:30:00Z");
        assert_eq!(local_date(late, Jakarta), date(2026, 11, 24));
        assert_eq!(local_date(late, Jayapura), date(2026, 11, 24));
        let earlier = utc("2026-11-23T16:30:00Z");
        assert_eq!(local_date(earlier, Jakarta), date(2026, 11, 23));
        assert_eq!(local_date(earlier, Makassar), date(2026, 11, 24));
        assert_eq!(local_date(earlier, Jayapura), date(2026, 11, 24));
    }

    #[test]
    fn local_instant_converts_each_zone_offset() {
        let d = date(2026, 11, 24);
        assert_eq!(
            local_instant(d, time(3, 30), Jayapura),
            utc("2026-11-23T18:30:00Z")
        );
        assert_eq!(
            local_instant(d, time(0, 30), Makassar),
            utc("2026-11-23T16:30:00Z")
        );
        assert_eq!(
            local_instant(d, time(7, 0), Jakarta),
            utc("2026-11-24T00:00:00Z")
        );
    }

    #[test]
    fn local_instant_survives_dst_gaps_and_overlaps() {
        let berlin = chrono_tz::Europe::Berlin;
        // 02:30 on 29 Mar 2026 does not exist in Berlin; the first valid time is 03:30 CEST.
        assert_eq!(
            local_instant(date(2026, 3, 29), time(2, 30), berlin),
            utc("2026-03-29T01:30:00Z")
        );
        // 02:30 on 25 Oct 2026 happens twice; the earlier (CEST) one is taken.
        assert_eq!(
            local_instant(date(2026, 10, 25), time(2, 30), berlin),
            utc("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        let rule = ReleaseRule::Rolling {
            days_ahead: 366,
            at: time(8, 0),
        };
        let _ = rule.opens_at(NaiveDate::MIN, Jakarta);
        let monthly = ReleaseRule::Monthly {
            day: 31,
            at: time(8, 0),
            months_ahead: 3,
        };
        let _ = monthly.opens_at(NaiveDate::MIN, Jakarta);
        let weekly = ReleaseRule::Weekly {
            weekday: Weekday::Sun,
            at: time(8, 0),
            weeks_ahead: 8,
        };
        let _ = weekly.opens_at(NaiveDate::MIN, Jakarta);
        let _ = weekly.opens_at(NaiveDate::MAX, Jakarta);
    }

    #[test]
    fn validate_accepts_bounds_and_rejects_each_bad_field() {
        let at = time(9, 0);
        for ok in [
            ReleaseRule::Rolling { days_ahead: 1, at },
            ReleaseRule::Rolling {
                days_ahead: 366,
                at,
            },
            ReleaseRule::Weekly {
                weekday: Weekday::Fri,
                at,
                weeks_ahead: 8,
            },
            ReleaseRule::Monthly {
                day: 31,
                at,
                months_ahead: 3,
            },
            ReleaseRule::Monthly {
                day: 1,
                at,
                months_ahead: 1,
            },
        ] {
            assert_eq!(ok.validate(), Ok(()), "{ok:?}");
        }
        let cases = [
            (
                ReleaseRule::Rolling { days_ahead: 0, at },
                ReleaseError::DaysAhead(0),
            ),
            (
                ReleaseRule::Rolling {
                    days_ahead: 367,
                    at,
                },
                ReleaseError::DaysAhead(367),
            ),
            (
                ReleaseRule::Weekly {
                    weekday: Weekday::Fri,
                    at,
                    weeks_ahead: 0,
                },
                ReleaseError::WeeksAhead(0),
            ),
            (
                ReleaseRule::Weekly {
                    weekday: Weekday::Fri,
                    at,
                    weeks_ahead: 9,
                },
                ReleaseError::WeeksAhead(9),
            ),
            (
                ReleaseRule::Monthly {
                    day: 0,
                    at,
                    months_ahead: 1,
                },
                ReleaseError::DayOfMonth(0),
            ),
            (
                ReleaseRule::Monthly {
                    day: 32,
                    at,
                    months_ahead: 1,
                },
                ReleaseError::DayOfMonth(32),
            ),
            (
                ReleaseRule::Monthly {
                    day: 28,
                    at,
                    months_ahead: 4,
                },
                ReleaseError::MonthsAhead(4),
            ),
        ];
        for (rule, expected) in cases {
            assert_eq!(rule.validate(), Err(expected.clone()), "{rule:?}");
            assert!(!expected.code().is_empty());
        }
    }

    /// A scalar for serde's in-memory map deserializer; the crate has no JSON dependency.
    #[derive(Clone, Copy)]
    enum V {
        S(&'static str),
        N(u32),
    }

    impl<'de> serde::Deserializer<'de> for V {
        type Error = DeError;

        fn deserialize_any<W: serde::de::Visitor<'de>>(self, v: W) -> Result<W::Value, DeError> {
            match self {
                V::S(s) => v.visit_str(s),
                V::N(n) => v.visit_u32(n),
            }
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
            enum identifier ignored_any
        }
    }

    impl serde::de::IntoDeserializer<'_, DeError> for V {
        type Deserializer = V;

        fn into_deserializer(self) -> V {
            self
        }
    }

    fn from_map(entries: Vec<(&'static str, V)>) -> Result<ReleaseRule, DeError> {
        ReleaseRule::deserialize(MapDeserializer::new(entries.into_iter()))
    }

    #[test]
    fn rules_deserialize_from_a_mode_tag_and_short_weekday() {
        let weekly = from_map(vec![
            ("mode", V::S("weekly")),
            ("weekday", V::S("fri")),
            ("at", V::S("14:00:00")),
            ("weeks_ahead", V::N(1)),
        ]);
        assert_eq!(
            weekly.unwrap(),
            ReleaseRule::Weekly {
                weekday: Weekday::Fri,
                at: time(14, 0),
                weeks_ahead: 1
            }
        );
        let monthly = from_map(vec![
            ("mode", V::S("monthly")),
            ("day", V::N(31)),
            ("at", V::S("09:00:00")),
            ("months_ahead", V::N(1)),
        ]);
        assert_eq!(
            monthly.unwrap(),
            ReleaseRule::Monthly {
                day: 31,
                at: time(9, 0),
                months_ahead: 1
            }
        );
        let bad_day = from_map(vec![
            ("mode", V::S("weekly")),
            ("weekday", V::S("funday")),
            ("at", V::S("14:00:00")),
            ("weeks_ahead", V::N(1)),
        ]);
        assert!(bad_day.is_err());
        assert!(from_map(vec![("mode", V::S("daily"))]).is_err());
        assert_eq!(crate::weekday::code(Weekday::Sun), "sun");
    }
}
