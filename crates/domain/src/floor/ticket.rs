//! Queue tickets: a series letter and a number unique per office, day and series
//! ("A-017"), and the words the display board speaks for a call.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A ticket's series: what brought the applicant to the floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Series {
    /// A booking checked in at the front desk.
    Booked,
    /// A priority walk-in (elderly, small child, pregnant, disability, sick).
    Priority,
    /// A walk-in registered while the office runs without online bookings (outage mode).
    Outage,
}

impl Series {
    /// Every series.
    pub const ALL: [Series; 3] = [Self::Booked, Self::Priority, Self::Outage];

    /// Stable code, as stored and sent over the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Priority => "priority",
            Self::Outage => "outage",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The letter printed on the ticket and shown on the board.
    pub fn letter(&self) -> char {
        match self {
            Self::Booked => 'A',
            Self::Priority => 'P',
            Self::Outage => 'B',
        }
    }

    /// Whether tickets of this series are called before regular ones.
    pub fn is_priority(&self) -> bool {
        *self == Self::Priority
    }
}

/// Where a ticket stands on the floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// Issued, waiting to be called.
    Waiting,
    /// Called to a counter.
    Called,
    /// Called too often without coming; can be put back.
    Missed,
    /// Served.
    Done,
    /// Its day ended before it was served (the day's close-out): never called again.
    Closed,
}

impl TicketState {
    /// Every state.
    pub const ALL: [TicketState; 5] = [
        Self::Waiting,
        Self::Called,
        Self::Missed,
        Self::Done,
        Self::Closed,
    ];

    /// The states of a ticket still on the floor (the store's `OPEN_TICKET_STATES`): a
    /// booking has at most one such ticket, and the day's close-out closes them.
    pub const OPEN: [TicketState; 3] = [Self::Waiting, Self::Called, Self::Missed];

    /// Stable code, as stored and sent over the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Called => "called",
            Self::Missed => "missed",
            Self::Done => "done",
            Self::Closed => "closed",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A ticket number as printed: the series letter and at least three digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TicketNumber {
    /// The series.
    pub series: Series,
    /// From 1, per office, day and series.
    pub number: u32,
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:03}", self.series.letter(), self.number)
    }
}

impl TicketNumber {
    /// Parses a number as an officer types it: "A-017", "a17", "P 3".
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let first = s.chars().next()?;
        let letter = first.to_ascii_uppercase();
        let series = Series::ALL.into_iter().find(|x| x.letter() == letter)?;
        let digits = s[first.len_utf8()..].trim_start_matches([' ', '-']);
        if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: u32 = digits.parse().ok()?;
        (number > 0).then_some(Self { series, number })
    }

    /// The call in Indonesian words, for the board's speech, e.g. "Nomor antrean A nol
    /// satu tujuh, silakan ke loket tiga". The number is read digit by digit, as printed;
    /// the counter as a number.
    pub fn spoken_call(&self, counter: u32) -> String {
        let digits: Vec<&str> = format!("{:03}", self.number)
            .bytes()
            .map(|b| DIGITS[usize::from(b - b'0')])
            .collect();
        format!(
            "Nomor antrean {} {}, silakan ke loket {}",
            self.series.letter(),
            digits.join(" "),
            words(counter)
        )
    }
}

const DIGITS: [&str; 10] = [
    "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
];

/// A number from 0 to 999 in Indonesian words ("sebelas", "dua puluh satu", "seratus").
pub fn words(n: u32) -> String {
    match n {
        0..=9 => DIGITS[n as usize].to_owned(),
        10 => "sepuluh".to_owned(),
        11 => "sebelas".to_owned(),
        12..=19 => format!("{} belas", DIGITS[(n - 10) as usize]),
        20..=99 => match n % 10 {
            0 => format!("{} puluh", DIGITS[(n / 10) as usize]),
            r => format!("{} puluh {}", DIGITS[(n / 10) as usize], DIGITS[r as usize]),
        },
        100..=999 => {
            let hundreds = if n / 100 == 1 {
                "seratus".to_owned()
            } else {
                format!("{} ratus", DIGITS[(n / 100) as usize])
            };
            match n % 100 {
                0 => hundreds,
                r => format!("{hundreds} {}", words(r)),
            }
        }
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_print_with_their_letter_and_three_digits() {
        let t = |series, number| TicketNumber { series, number }.to_string();
        assert_eq!(t(Series::Booked, 17), "A-017");
        assert_eq!(t(Series::Priority, 3), "P-003");
        assert_eq!(t(Series::Outage, 1234), "B-1234");
    }

    #[test]
    fn typed_numbers_are_read_forgivingly_and_nothing_else() {
        let a17 = Some(TicketNumber {
            series: Series::Booked,
            number: 17,
        });
        for s in ["A-017", "a17", " A 017 ", "A-17"] {
            assert_eq!(TicketNumber::parse(s), a17, "{s}");
        }
        for s in [
            "",
            "A",
            "A-",
            "X-017",
            "A-0",
            "A-01x",
            "A-1234567",
            "17",
            "é17",
            "A-١٧",
        ] {
            assert_eq!(TicketNumber::parse(s), None, "{s}");
        }
    }

    #[test]
    fn the_board_speaks_digits_and_the_counter_in_indonesian() {
        let a17 = TicketNumber {
            series: Series::Booked,
            number: 17,
        };
        assert_eq!(
            a17.spoken_call(3),
            "Nomor antrean A nol satu tujuh, silakan ke loket tiga"
        );
        let p120 = TicketNumber {
            series: Series::Priority,
            number: 120,
        };
        assert_eq!(
            p120.spoken_call(12),
            "Nomor antrean P satu dua nol, silakan ke loket dua belas"
        );
    }

    #[test]
    fn numbers_read_as_indonesian_words() {
        let cases = [
            (0, "nol"),
            (7, "tujuh"),
            (10, "sepuluh"),
            (11, "sebelas"),
            (15, "lima belas"),
            (20, "dua puluh"),
            (21, "dua puluh satu"),
            (99, "sembilan puluh sembilan"),
            (100, "seratus"),
            (101, "seratus satu"),
            (111, "seratus sebelas"),
            (250, "dua ratus lima puluh"),
        ];
        for (n, w) in cases {
            assert_eq!(words(n), w, "{n}");
        }
    }

    #[test]
    fn series_and_state_codes_round_trip() {
        for s in Series::ALL {
            assert_eq!(Series::parse(s.as_str()), Some(s));
        }
        for s in TicketState::ALL {
            assert_eq!(TicketState::parse(s.as_str()), Some(s));
        }
        assert!(Series::Priority.is_priority() && !Series::Booked.is_priority());
    }
}
