//! An appointment as an iCalendar file (RFC 5545), for the applicant's phone calendar:
//! one event at the session's hours, written in UTC so every calendar shows it at the
//! right local time, with a reminder the day before.

use std::fmt::Write;

use chrono::{DateTime, Utc};

/// One appointment.
pub struct Appointment<'a> {
    /// A stable id, so a second download updates the event instead of doubling it.
    pub uid: String,
    /// Start and end.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// When the file was made.
    pub stamp: DateTime<Utc>,
    /// The title.
    pub summary: &'a str,
    /// Where.
    pub location: &'a str,
    /// The details, lines joined by `\n`.
    pub description: &'a str,
    /// The reminder's text.
    pub alarm: &'a str,
}

/// The calendar file, lines ended by CRLF and folded at 75 octets as RFC 5545 asks.
pub fn calendar(a: &Appointment<'_>) -> String {
    let utc = |d: DateTime<Utc>| d.format("%Y%m%dT%H%M%SZ").to_string();
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Loket//Loket//ID".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", a.uid),
        format!("DTSTAMP:{}", utc(a.stamp)),
        format!("DTSTART:{}", utc(a.start)),
        format!("DTEND:{}", utc(a.end)),
        format!("SUMMARY:{}", text(a.summary)),
        format!("LOCATION:{}", text(a.location)),
        format!("DESCRIPTION:{}", text(a.description)),
        "BEGIN:VALARM".to_owned(),
        "ACTION:DISPLAY".to_owned(),
        "TRIGGER:-P1D".to_owned(),
        format!("DESCRIPTION:{}", text(a.alarm)),
        "END:VALARM".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    let mut out = String::new();
    for line in lines {
        fold(&mut out, &line);
    }
    out
}

/// A TEXT value: backslash, semicolon, comma and newline escaped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line`, broken into pieces of at most 75 octets (never inside a character),
/// each continuation starting with a space.
fn fold(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    let _ = write!(out, "\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(description: &str) -> String {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        calendar(&Appointment {
            uid: "0190-abc@loket".to_owned(),
            start: at("2026-12-07T01:00:00Z"),
            end: at("2026-12-07T03:00:00Z"),
            stamp: at("2026-12-01T05:06:07Z"),
            summary: "Wawancara paspor, Kantor Imigrasi Palembang",
            location: "Jl. Perwira No. 1; Palembang",
            description,
            alarm: "Besok",
        })
    }

    #[test]
    fn the_event_is_in_utc_with_a_reminder_the_day_before() {
        let ics = sample("Kode: 7K3M-Q9XD");
        let lines: Vec<&str> = ics.split("\r\n").collect();
        assert_eq!(lines.first(), Some(&"BEGIN:VCALENDAR"));
        assert!(lines.contains(&"DTSTART:20261207T010000Z"), "{ics}");
        assert!(lines.contains(&"DTEND:20261207T030000Z"), "{ics}");
        assert!(lines.contains(&"TRIGGER:-P1D"), "{ics}");
        assert!(lines.contains(&"UID:0190-abc@loket"), "{ics}");
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(
            !ics.replace("\r\n", "").contains('\n'),
            "bare LF in {ics:?}"
        );
    }

    #[test]
    fn text_values_are_escaped() {
        let ics = sample("a\nb");
        assert!(ics.contains("SUMMARY:Wawancara paspor\\, Kantor Imigrasi Palembang"));
        assert!(ics.contains("LOCATION:Jl. Perwira No. 1\\; Palembang"));
        assert!(ics.contains("DESCRIPTION:a\\nb"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let long = "Bawa e-KTP – kartu keluarga – akta kelahiran ".repeat(6);
        let ics = sample(&long);
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(
            unfolded.contains(&format!("DESCRIPTION:{long}")),
            "{unfolded}"
        );
    }
}
