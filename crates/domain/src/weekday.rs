//! Weekdays as Loket writes and reads them: the code "mon".."sun" (in the API, in
//! configuration and in a weekday set such as "mon-fri"), and the index 0 = Monday in the
//! database. Every weekday Loket parses or prints goes through here.

use chrono::Weekday;

/// Monday to Sunday.
pub const ALL: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Indonesian names, Monday first (Senin .. Minggu).
const NAMES_ID: [&str; 7] = [
    "senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu",
];

/// English names, Monday first.
const NAMES_EN: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The lowercase three-letter code.
pub fn code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// Reads a weekday in any case: its code ("mon"), its English name ("Monday"), or its
/// Indonesian name or that name's first three letters ("Senin", "sen"; "Jum'at" too).
pub fn parse(s: &str) -> Option<Weekday> {
    let s = s.trim().to_lowercase().replace('\'', "");
    ALL.into_iter().enumerate().find_map(|(i, day)| {
        let id = NAMES_ID[i];
        (s == code(day) || s == NAMES_EN[i] || s == id || s == id[..3]).then_some(day)
    })
}

/// The database's index: 0 = Monday .. 6 = Sunday.
pub fn index(day: Weekday) -> i64 {
    i64::from(day.num_days_from_monday())
}

/// The weekday of a database index.
pub fn from_index(i: i64) -> Option<Weekday> {
    usize::try_from(i).ok().and_then(|i| ALL.get(i).copied())
}

/// Serde helper writing a weekday as its code and reading anything [`parse`] reads.
pub mod as_code {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the code.
    pub fn serialize<S: Serializer>(day: &Weekday, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(super::code(*day))
    }

    /// Reads a weekday.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Weekday, D::Error> {
        let s = String::deserialize(deserializer)?;
        super::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("invalid weekday {s:?}")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_index_from_monday() {
        for (i, day) in ALL.into_iter().enumerate() {
            assert_eq!(parse(code(day)), Some(day));
            assert_eq!(index(day), i as i64);
            assert_eq!(from_index(index(day)), Some(day));
        }
        assert_eq!(from_index(7), None);
        assert_eq!(from_index(-1), None);
    }

    #[test]
    fn english_and_indonesian_names_are_read_in_any_case() {
        assert_eq!(parse("Monday"), Some(Weekday::Mon));
        assert_eq!(parse(" SEN "), Some(Weekday::Mon));
        assert_eq!(parse("Jum'at"), Some(Weekday::Fri));
        assert_eq!(parse("minggu"), Some(Weekday::Sun));
        assert_eq!(parse("min"), Some(Weekday::Sun));
        assert_eq!(parse("rabu"), Some(Weekday::Wed));
    }

    #[test]
    fn anything_else_is_not_a_weekday() {
        for s in ["", "mo", "monx", "monday2", "jumatan", "7"] {
            assert_eq!(parse(s), None, "{s:?}");
        }
    }
}
