//! How Loket writes money, dates and times, on the pages and in the mail (shared/PAGES.md):
//! `Rp350.000` in both languages; `Kamis, 26 November 2026` and `Thursday 26 November
//! 2026`; `08.00 WIB` and `08:00 WIB`, always in the office's zone with its label. Day and
//! month names come from the locale files.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use loket_domain::office::zone_label;
use loket_domain::weekday;
use loket_domain::{Office, SessionWindow};

use crate::i18n::{Lang, Tr};

/// Why the counter rejected an application, in words ("a document is not valid").
pub fn reject_reason(t: Tr, r: loket_domain::floor::RejectReason) -> String {
    t.s(&format!("reject_reason.{}", r.as_str())).to_owned()
}

/// Whole rupiah with a dot between thousands: `Rp350.000`, `Rp1.000.000`, `Rp0`.
pub fn rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}Rp{grouped}")
}

/// A date with its weekday: `Kamis, 26 November 2026` / `Thursday 26 November 2026`.
pub fn long_date(t: Tr, d: NaiveDate) -> String {
    let weekday = t.s(WEEKDAYS[d.weekday().num_days_from_monday() as usize]);
    let month = month_name(t, d.month());
    match t.lang() {
        Lang::Id => format!("{weekday}, {} {month} {}", d.day(), d.year()),
        Lang::En => format!("{weekday} {} {month} {}", d.day(), d.year()),
    }
}

/// A date without its weekday: `26 November 2026`.
pub fn short_date(t: Tr, d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), month_name(t, d.month()), d.year())
}

/// A month and year: `Desember 2026`.
pub fn month_year(t: Tr, d: NaiveDate) -> String {
    format!("{} {}", month_name(t, d.month()), d.year())
}

/// The short weekday names Monday first, for a calendar's header.
pub fn weekday_abbrs(t: Tr) -> Vec<&'static str> {
    WEEKDAYS_SHORT.iter().map(|k| t.s(k)).collect()
}

/// A local time with the zone label: `08.00 WIB` / `08:00 WIB`.
pub fn clock(t: Tr, time: NaiveTime, zone: Tz) -> String {
    let sep = match t.lang() {
        Lang::Id => '.',
        Lang::En => ':',
    };
    format!(
        "{}{sep}{} {}",
        time.format("%H"),
        time.format("%M"),
        zone_label(zone)
    )
}

/// A session's hours with one zone label: `08.00–10.00 WIB` / `08:00–10:00 WIB`.
pub fn hours(t: Tr, start: NaiveTime, end: NaiveTime, zone: Tz) -> String {
    let from = clock(t, start, zone);
    let from = from.split(' ').next().unwrap_or_default();
    format!("{from}–{}", clock(t, end, zone))
}

/// A service date and its session's hours: `Senin, 7 Desember 2026, 08.00–10.00 WIB`; the
/// date alone when the session is not known.
pub fn appointment(t: Tr, date: NaiveDate, session: Option<&SessionWindow>, zone: Tz) -> String {
    match session {
        Some(s) => format!("{}, {}", long_date(t, date), hours(t, s.start, s.end, zone)),
        None => long_date(t, date),
    }
}

/// A billing code in groups of five digits, as people read it out: `12345 67890 12345`.
pub fn grouped_code(code: &str) -> String {
    code.as_bytes()
        .chunks(5)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An instant as a date and time in `zone`: `Kamis, 26 November 2026, 08.00 WIB`.
pub fn date_time(t: Tr, at: DateTime<Utc>, zone: Tz) -> String {
    let local = at.with_timezone(&zone);
    format!(
        "{}, {}",
        long_date(t, local.date_naive()),
        clock(t, local.time(), zone)
    )
}

/// An office's opening days and hours, from its first session's start to its last one's
/// end: `Senin–Jumat, 08.00–15.00 WIB`; days that do not follow one another are listed
/// (`Senin, Rabu, Jumat, ...`). Empty when the office has no sessions.
pub fn office_hours(t: Tr, office: &Office) -> String {
    let (Some(start), Some(end)) = (
        office.sessions.iter().map(|s| s.start).min(),
        office.sessions.iter().map(|s| s.end).max(),
    ) else {
        return String::new();
    };
    let days: Vec<usize> = (0..7)
        .filter_map(weekday::from_index)
        .filter(|d| office.open_weekdays.contains(*d))
        .map(|d| d.num_days_from_monday() as usize)
        .collect();
    let name = |i: usize| t.s(WEEKDAYS[i]);
    let consecutive = days.windows(2).all(|w| w[1] == w[0] + 1);
    let days = match (days.first(), days.last()) {
        (Some(&first), Some(&last)) if consecutive && last > first + 1 => {
            format!("{}–{}", name(first), name(last))
        }
        _ => days.iter().map(|&i| name(i)).collect::<Vec<_>>().join(", "),
    };
    format!("{days}, {}", hours(t, start, end, office.time_zone))
}

fn month_name(t: Tr, month: u32) -> &'static str {
    MONTHS
        .get(month.saturating_sub(1) as usize)
        .map_or("", |k| t.s(k))
}

const WEEKDAYS: [&str; 7] = [
    "date.weekday.mon",
    "date.weekday.tue",
    "date.weekday.wed",
    "date.weekday.thu",
    "date.weekday.fri",
    "date.weekday.sat",
    "date.weekday.sun",
];

const WEEKDAYS_SHORT: [&str; 7] = [
    "date.weekday_short.mon",
    "date.weekday_short.tue",
    "date.weekday_short.wed",
    "date.weekday_short.thu",
    "date.weekday_short.fri",
    "date.weekday_short.sat",
    "date.weekday_short.sun",
];

const MONTHS: [&str; 12] = [
    "date.month.jan",
    "date.month.feb",
    "date.month.mar",
    "date.month.apr",
    "date.month.may",
    "date.month.jun",
    "date.month.jul",
    "date.month.aug",
    "date.month.sep",
    "date.month.oct",
    "date.month.nov",
    "date.month.dec",
];

#[cfg(test)]
mod tests {
    use super::*;

    const ID: Tr = Tr(Lang::Id);
    const EN: Tr = Tr(Lang::En);

    #[test]
    fn rupiah_has_a_dot_between_thousands_and_no_decimals() {
        assert_eq!(rupiah(350_000), "Rp350.000");
        assert_eq!(rupiah(1_000_000), "Rp1.000.000");
        assert_eq!(rupiah(650), "Rp650");
        assert_eq!(rupiah(0), "Rp0");
        assert_eq!(rupiah(-1_500), "-Rp1.500");
    }

    #[test]
    fn dates_read_as_people_write_them_in_each_language() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(long_date(ID, d), "Kamis, 26 November 2026");
        assert_eq!(long_date(EN, d), "Thursday 26 November 2026");
        let d = NaiveDate::from_ymd_opt(2026, 8, 17).unwrap();
        assert_eq!(long_date(ID, d), "Senin, 17 Agustus 2026");
        assert_eq!(month_year(ID, d), "Agustus 2026");
        assert_eq!(short_date(EN, d), "17 August 2026");
        assert_eq!(weekday_abbrs(ID)[0], "Sen");
    }

    #[test]
    fn office_hours_run_from_the_first_session_to_the_last_on_the_open_days() {
        use loket_domain::calendar::WeekdaySet;
        let mut office = bare_office();
        assert_eq!(office_hours(ID, &office), "");
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        for (start, end) in [(10, 12), (8, 10), (13, 15)] {
            office.sessions.push(loket_domain::SessionWindow {
                code: format!("s{start}"),
                name: String::new(),
                start: t(start),
                end: t(end),
                weekdays: WeekdaySet::mon_to_fri(),
            });
        }
        assert_eq!(office_hours(ID, &office), "Senin–Jumat, 08.00–15.00 WIB");
        assert_eq!(office_hours(EN, &office), "Monday–Friday, 08:00–15:00 WIB");
        office.open_weekdays = WeekdaySet::empty()
            .with(chrono::Weekday::Mon)
            .with(chrono::Weekday::Wed);
        assert_eq!(office_hours(ID, &office), "Senin, Rabu, 08.00–15.00 WIB");
    }

    /// An office in Jakarta's zone, open Monday to Friday, with no sessions yet.
    fn bare_office() -> Office {
        Office {
            code: "x".into(),
            region_code: "r".into(),
            name: "X".into(),
            time_zone: chrono_tz::Asia::Jakarta,
            address: None,
            city: "X".into(),
            open_weekdays: loket_domain::calendar::WeekdaySet::mon_to_fri(),
            sessions: Vec::new(),
            release: loket_domain::release::ReleaseRule::Rolling {
                days_ahead: 30,
                at: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            },
            booking_horizon_days: 30,
            allocation_policy: Default::default(),
        }
    }

    #[test]
    fn times_carry_the_office_zone_label_and_the_local_separator() {
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        assert_eq!(clock(ID, eight, chrono_tz::Asia::Jakarta), "08.00 WIB");
        assert_eq!(clock(EN, eight, chrono_tz::Asia::Jakarta), "08:00 WIB");
        assert_eq!(
            clock(
                ID,
                NaiveTime::from_hms_opt(13, 30, 0).unwrap(),
                chrono_tz::Asia::Makassar
            ),
            "13.30 WITA"
        );
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        assert_eq!(
            hours(ID, eight, ten, chrono_tz::Asia::Jakarta),
            "08.00–10.00 WIB"
        );
        assert_eq!(
            hours(EN, eight, ten, chrono_tz::Asia::Jakarta),
            "08:00–10:00 WIB"
        );
        let session = SessionWindow {
            code: "s1".into(),
            name: "Sesi 1".into(),
            start: eight,
            end: ten,
            weekdays: loket_domain::calendar::WeekdaySet::mon_to_fri(),
        };
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(
            appointment(ID, d, Some(&session), chrono_tz::Asia::Jakarta),
            "Senin, 7 Desember 2026, 08.00–10.00 WIB"
        );
        assert_eq!(
            appointment(EN, d, None, chrono_tz::Asia::Jakarta),
            "Monday 7 December 2026"
        );
        assert_eq!(grouped_code("123456789012345"), "12345 67890 12345");
        let at = "2026-11-26T01:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            date_time(ID, at, chrono_tz::Asia::Jayapura),
            "Kamis, 26 November 2026, 10.00 WIT"
        );
    }
}
