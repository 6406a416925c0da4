//! The national ID number (NIK): parsing and validation of its 16-digit layout, agreement
//! with the applicant's stated birth date and sex, and masking, so the full number only
//! ever leaves this type on purpose (its owner's own view), never through a log line.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize, Serializer};

/// The 38 Kemendagri province codes used as the first two NIK digits: (code, name_id, IANA zone).
///
/// Copied from shared/data/provinces.csv (Kepmendagri 300.2.2-2138/2025). A NIK keeps the code
/// it was issued under, so the zone is only a hint for Papua's newer provinces.
pub const PROVINCES: &[(&str, &str, &str)] = &[
    ("11", "Aceh", "Asia/Jakarta"),
    ("12", "Sumatera Utara", "Asia/Jakarta"),
    ("13", "Sumatera Barat", "Asia/Jakarta"),
    ("14", "Riau", "Asia/Jakarta"),
    ("15", "Jambi", "Asia/Jakarta"),
    ("16", "Sumatera Selatan", "Asia/Jakarta"),
    ("17", "Bengkulu", "Asia/Jakarta"),
    ("18", "Lampung", "Asia/Jakarta"),
    ("19", "Kepulauan Bangka Belitung", "Asia/Jakarta"),
    ("21", "Kepulauan Riau", "Asia/Jakarta"),
    ("31", "DKI Jakarta", "Asia/Jakarta"),
    ("32", "Jawa Barat", "Asia/Jakarta"),
    ("33", "Jawa Tengah", "Asia/Jakarta"),
    ("34", "DI Yogyakarta", "Asia/Jakarta"),
    ("35", "Jawa Timur", "Asia/Jakarta"),
    ("36", "Banten", "Asia/Jakarta"),
    ("51", "Bali", "Asia/Makassar"),
    ("52", "Nusa Tenggara Barat", "Asia/Makassar"),
    ("53", "Nusa Tenggara Timur", "Asia/Makassar"),
    ("61", "Kalimantan Barat", "Asia/Pontianak"),
    ("62", "Kalimantan Tengah", "Asia/Pontianak"),
    ("63", "Kalimantan Selatan", "Asia/Makassar"),
    ("64", "Kalimantan Timur", "Asia/Makassar"),
    ("65", "Kalimantan Utara", "Asia/Makassar"),
    ("71", "Sulawesi Utara", "Asia/Makassar"),
    ("72", "Sulawesi Tengah", "Asia/Makassar"),
    ("73", "Sulawesi Selatan", "Asia/Makassar"),
    ("74", "Sulawesi Tenggara", "Asia/Makassar"),
    ("75", "Gorontalo", "Asia/Makassar"),
    ("76", "Sulawesi Barat", "Asia/Makassar"),
    ("81", "Maluku", "Asia/Jayapura"),
    ("82", "Maluku Utara", "Asia/Jayapura"),
    ("91", "Papua", "Asia/Jayapura"),
    ("92", "Papua Barat", "Asia/Jayapura"),
    ("93", "Papua Selatan", "Asia/Jayapura"),
    ("94", "Papua Tengah", "Asia/Jayapura"),
    ("95", "Papua Pegunungan", "Asia/Jayapura"),
    ("96", "Papua Barat Daya", "Asia/Jayapura"),
];

/// Number of digits in a NIK.
pub const NIK_LEN: usize = 16;

/// Women's NIKs carry the birth day plus this offset.
const FEMALE_DAY_OFFSET: u32 = 40;

fn province(code: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    PROVINCES.iter().find(|(c, _, _)| *c == code)
}

/// The IANA time zone of a province code, e.g. "51" gives "Asia/Makassar".
pub fn province_time_zone(code: &str) -> Option<&'static str> {
    province(code).map(|(_, _, tz)| *tz)
}

/// The Indonesian name of a province code, e.g. "16" gives "Sumatera Selatan".
pub fn province_name(code: &str) -> Option<&'static str> {
    province(code).map(|(_, name, _)| *name)
}

/// Sex as recorded on the ID card; it is encoded in the NIK's day field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Laki-laki.
    Male,
    /// Perempuan.
    Female,
}

impl Sex {
    /// The stable lowercase code ("male" or "female").
    pub fn as_str(&self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// Parses "male"/"female", "M"/"F" or the Indonesian "L"/"P" (laki-laki/perempuan), any case.
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim().to_ascii_lowercase().as_str() {
            "male" | "m" | "l" | "laki-laki" => Some(Sex::Male),
            "female" | "f" | "p" | "perempuan" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// Why a string is not an acceptable NIK; messages never repeat the number itself.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    /// Something other than the digits 0-9 was entered.
    #[error("a NIK may contain digits only")]
    NotDigits,
    /// Not exactly 16 digits.
    #[error("a NIK has 16 digits, this one has {len}")]
    WrongLength {
        /// The number of digits found.
        len: usize,
    },
    /// The first two digits are not a known province code.
    #[error("the NIK starts with an unknown province code {code}")]
    UnknownProvince {
        /// The two-digit code found; a region code is not personal on its own.
        code: String,
    },
    /// The day field is outside 01-31 (men) and 41-71 (women).
    #[error("the birth day in the NIK must be 01-31, or 41-71 for women")]
    InvalidBirthDay,
    /// The month field is outside 01-12.
    #[error("the birth month in the NIK must be 01-12")]
    InvalidMonth,
    /// Day and month form no real date in either century.
    #[error("the birth date in the NIK does not exist")]
    InvalidDate,
    /// The serial (last four digits) is 0000.
    #[error("the NIK serial number cannot be 0000")]
    ZeroSerial,
    /// The NIK's birth date differs from the stated birth date.
    #[error("the birth date in the NIK does not match the stated birth date")]
    BirthDateMismatch,
    /// The NIK's sex differs from the stated sex.
    #[error("the sex encoded in the NIK does not match the stated sex")]
    SexMismatch,
}

impl NikError {
    /// A stable snake_case code for APIs and translation keys.
    pub fn code(&self) -> &'static str {
        match self {
            NikError::NotDigits => "not_digits",
            NikError::WrongLength { .. } => "wrong_length",
            NikError::UnknownProvince { .. } => "unknown_province",
            NikError::InvalidBirthDay => "invalid_birth_day",
            NikError::InvalidMonth => "invalid_month",
            NikError::InvalidDate => "invalid_date",
            NikError::ZeroSerial => "zero_serial",
            NikError::BirthDateMismatch => "birth_date_mismatch",
            NikError::SexMismatch => "sex_mismatch",
        }
    }
}

/// A validated 16-digit NIK; `Debug` and `Display` show only the masked form.
#[derive(Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct Nik(String);

/// Two digits at `at` as a number; only called on strings already checked to be ASCII digits.
fn two_digits(s: &str, at: usize) -> u32 {
    s.as_bytes()[at..at + 2]
        .iter()
        .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

impl Nik {
    /// Parses and validates a NIK, ignoring surrounding whitespace.
    pub fn parse(s: &str) -> Result<Nik, NikError> {
        let s = s.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NikError::NotDigits);
        }
        if s.len() != NIK_LEN {
            return Err(NikError::WrongLength { len: s.len() });
        }
        let code = &s[0..2];
        if province(code).is_none() {
            return Err(NikError::UnknownProvince {
                code: code.to_owned(),
            });
        }
        let day_field = two_digits(s, 6);
        let day = match day_field {
            1..=31 => day_field,
            41..=71 => day_field - FEMALE_DAY_OFFSET,
            _ => return Err(NikError::InvalidBirthDay),
        };
        let month = two_digits(s, 8);
        if !(1..=12).contains(&month) {
            return Err(NikError::InvalidMonth);
        }
        // The year has two digits, so 29 Feb is fine if either century makes it a leap year
        // (yy=00 is leap in 2000 though not in 1900); the stated birth date settles it later.
        let yy = two_digits(s, 10) as i32;
        let exists = [1900, 2000]
            .iter()
            .any(|century| NaiveDate::from_ymd_opt(century + yy, month, day).is_some());
        if !exists {
            return Err(NikError::InvalidDate);
        }
        if &s[12..16] == "0000" {
            return Err(NikError::ZeroSerial);
        }
        Ok(Nik(s.to_owned()))
    }

    /// The full number; only for the owner's own view and for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form safe for screens and logs, e.g. "3602********0001".
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[0..4], &self.0[12..16])
    }

    /// The sex encoded in the day field.
    pub fn sex(&self) -> Sex {
        if two_digits(&self.0, 6) > FEMALE_DAY_OFFSET {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    /// The two-digit province code.
    pub fn province_code(&self) -> &str {
        &self.0[0..2]
    }

    /// The encoded birth date as (real day 1-31, month 1-12, two-digit year).
    pub fn birth_day_month_year2(&self) -> (u32, u32, u32) {
        let day_field = two_digits(&self.0, 6);
        let day = if day_field > FEMALE_DAY_OFFSET {
            day_field - FEMALE_DAY_OFFSET
        } else {
            day_field
        };
        (day, two_digits(&self.0, 8), two_digits(&self.0, 10))
    }

    /// Checks the NIK against the birth date and sex the applicant stated.
    pub fn check_against(&self, birth_date: NaiveDate, sex: Sex) -> Result<(), NikError> {
        let (day, month, yy) = self.birth_day_month_year2();
        let stated_yy = birth_date.year().rem_euclid(100) as u32;
        if (day, month, yy) != (birth_date.day(), birth_date.month(), stated_yy) {
            return Err(NikError::BirthDateMismatch);
        }
        if self.sex() != sex {
            return Err(NikError::SexMismatch);
        }
        Ok(())
    }
}

impl TryFrom<String> for Nik {
    type Error = NikError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Nik::parse(&value)
    }
}

impl std::str::FromStr for Nik {
    type Err = NikError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Nik::parse(s)
    }
}

impl fmt::Debug for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Nik").field(&self.masked()).finish()
    }
}

impl fmt::Display for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

// Serialization carries the full number because the owner's own view and the store need it;
// anything that must not see it should serialize `masked()` instead.
impl Serialize for Nik {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
// Tests may panic on a broken fixture; that is what a failing test is.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    const EXAMPLE: &str = "3602041211870001";

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_documented_example_is_a_man_from_banten_born_12_november_1987() {
        let nik = Nik::parse(EXAMPLE).unwrap();
        assert_eq!(nik.as_str(), EXAMPLE);
        assert_eq!(nik.province_code(), "36");
        assert_eq!(province_name(nik.province_code()), Some("Banten"));
        assert_eq!(nik.sex(), Sex::Male);
        assert_eq!(nik.birth_day_month_year2(), (12, 11, 87));
        assert_eq!(nik.check_against(date(1987, 11, 12), Sex::Male), Ok(()));
    }

    #[test]
    fn a_woman_has_forty_added_to_her_birth_day() {
        let nik = Nik::parse("1671055203950002").unwrap();
        assert_eq!(nik.sex(), Sex::Female);
        assert_eq!(nik.birth_day_month_year2(), (12, 3, 95));
        assert_eq!(nik.check_against(date(1995, 3, 12), Sex::Female), Ok(()));
        assert_eq!(
            nik.check_against(date(1995, 3, 12), Sex::Male),
            Err(NikError::SexMismatch)
        );
    }

    #[test]
    fn day_field_boundaries_for_men_and_women() {
        assert_eq!(Nik::parse("3602040101870001").unwrap().sex(), Sex::Male);
        assert_eq!(Nik::parse("3602043101870001").unwrap().sex(), Sex::Male);
        assert_eq!(Nik::parse("3602044101870001").unwrap().sex(), Sex::Female);
        let last = Nik::parse("3602047101870001").unwrap();
        assert_eq!(last.sex(), Sex::Female);
        assert_eq!(last.birth_day_month_year2(), (31, 1, 87));
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        let nik = Nik::parse("  3602041211870001\n").unwrap();
        assert_eq!(nik.as_str(), EXAMPLE);
    }

    #[test]
    fn inner_whitespace_and_letters_are_not_digits() {
        assert_eq!(Nik::parse("3602 041211870001"), Err(NikError::NotDigits));
        assert_eq!(Nik::parse("36020412118700O1"), Err(NikError::NotDigits));
        assert_eq!(Nik::parse("-602041211870001"), Err(NikError::NotDigits));
        // Non-ASCII digits must not slip through `char::is_numeric`.
        assert_eq!(Nik::parse("٣602041211870001"), Err(NikError::NotDigits));
    }

    #[test]
    fn wrong_lengths_report_the_length_found() {
        assert_eq!(
            Nik::parse("360204121187001"),
            Err(NikError::WrongLength { len: 15 })
        );
        assert_eq!(
            Nik::parse("36020412118700011"),
            Err(NikError::WrongLength { len: 17 })
        );
        assert_eq!(Nik::parse("   "), Err(NikError::WrongLength { len: 0 }));
    }

    #[test]
    fn unknown_province_codes_are_rejected() {
        assert_eq!(
            Nik::parse("2002041211870001"),
            Err(NikError::UnknownProvince { code: "20".into() })
        );
        assert_eq!(
            Nik::parse("9702041211870001"),
            Err(NikError::UnknownProvince { code: "97".into() })
        );
    }

    #[test]
    fn all_thirty_eight_provinces_are_known_with_a_zone() {
        assert_eq!(PROVINCES.len(), 38);
        for (code, name, tz) in PROVINCES {
            assert_eq!(province_name(code), Some(*name));
            assert!(tz.parse::<chrono_tz::Tz>().is_ok(), "{tz}");
            let nik = format!("{code}02041211870001");
            assert!(Nik::parse(&nik).is_ok(), "{code}");
        }
        assert_eq!(province_time_zone("16"), Some("Asia/Jakarta"));
        assert_eq!(province_time_zone("61"), Some("Asia/Pontianak"));
        assert_eq!(province_time_zone("51"), Some("Asia/Makassar"));
        assert_eq!(province_time_zone("96"), Some("Asia/Jayapura"));
        assert_eq!(province_time_zone("99"), None);
        assert_eq!(province_name("00"), None);
    }

    #[test]
    fn day_fields_outside_both_ranges_are_invalid() {
        for day in ["00", "32", "40", "72", "99"] {
            let nik = format!("360204{day}11870001");
            assert_eq!(Nik::parse(&nik), Err(NikError::InvalidBirthDay), "{day}");
        }
    }

    #[test]
    fn months_outside_1_to_12_are_invalid() {
        assert_eq!(Nik::parse("3602041200870001"), Err(NikError::InvalidMonth));
        assert_eq!(Nik::parse("3602041213870001"), Err(NikError::InvalidMonth));
    }

    #[test]
    fn days_that_no_month_has_are_invalid_dates() {
        assert_eq!(Nik::parse("3602043104870001"), Err(NikError::InvalidDate));
        assert_eq!(Nik::parse("3602047104870001"), Err(NikError::InvalidDate));
        assert_eq!(Nik::parse("3602043002870001"), Err(NikError::InvalidDate));
    }

    #[test]
    fn leap_day_is_valid_when_either_century_is_a_leap_year() {
        // 1988 and 2088 are leap; 00 is leap in 2000; 87 is leap in neither century.
        assert!(Nik::parse("3602042902880001").is_ok());
        assert!(Nik::parse("3602042902000001").is_ok());
        assert!(Nik::parse("3602046902040001").is_ok());
        assert_eq!(Nik::parse("3602042902870001"), Err(NikError::InvalidDate));
    }

    #[test]
    fn a_leap_day_nik_for_yy_00_matches_only_a_birth_in_2000() {
        let nik = Nik::parse("3602042902000001").unwrap();
        assert_eq!(nik.check_against(date(2000, 2, 29), Sex::Male), Ok(()));
    }

    #[test]
    fn serial_0000_is_rejected() {
        assert_eq!(Nik::parse("3602041211870000"), Err(NikError::ZeroSerial));
        assert!(Nik::parse("3602041211879999").is_ok());
    }

    #[test]
    fn stated_birth_date_must_agree_on_day_month_and_two_digit_year() {
        let nik = Nik::parse(EXAMPLE).unwrap();
        for stated in [date(1987, 11, 13), date(1987, 12, 12), date(1988, 11, 12)] {
            assert_eq!(
                nik.check_against(stated, Sex::Male),
                Err(NikError::BirthDateMismatch),
                "{stated}"
            );
        }
        // The century is not encoded, so 2087 agrees as far as the NIK can tell.
        assert_eq!(nik.check_against(date(2087, 11, 12), Sex::Male), Ok(()));
    }

    #[test]
    fn a_birth_date_mismatch_is_reported_before_a_sex_mismatch() {
        let nik = Nik::parse(EXAMPLE).unwrap();
        assert_eq!(
            nik.check_against(date(1990, 1, 1), Sex::Female),
            Err(NikError::BirthDateMismatch)
        );
        assert_eq!(
            nik.check_against(date(1987, 11, 12), Sex::Female),
            Err(NikError::SexMismatch)
        );
    }

    #[test]
    fn the_masked_form_keeps_four_digits_each_side() {
        let nik = Nik::parse(EXAMPLE).unwrap();
        assert_eq!(nik.masked(), "3602********0001");
        assert_eq!(nik.to_string(), "3602********0001");
    }

    #[test]
    fn debug_output_never_contains_the_full_number() {
        let nik = Nik::parse(EXAMPLE).unwrap();
        let debug = format!("{nik:?}");
        assert!(!debug.contains(EXAMPLE));
        assert!(!debug.contains("041211"));
        assert!(debug.contains("3602********0001"));
        let nested = format!("{:?}", Some(&nik));
        assert!(!nested.contains(EXAMPLE));
    }

    #[test]
    fn error_messages_do_not_contain_the_number() {
        let inputs = ["3602041211870000", "3602041213870001", "9902041211870001"];
        for input in inputs {
            let err = Nik::parse(input).unwrap_err();
            assert!(!err.to_string().contains(input), "{err}");
        }
    }

    #[test]
    fn every_error_has_a_distinct_stable_code() {
        let all = [
            NikError::NotDigits,
            NikError::WrongLength { len: 3 },
            NikError::UnknownProvince { code: "99".into() },
            NikError::InvalidBirthDay,
            NikError::InvalidMonth,
            NikError::InvalidDate,
            NikError::ZeroSerial,
            NikError::BirthDateMismatch,
            NikError::SexMismatch,
        ];
        let codes: Vec<&str> = all.iter().map(NikError::code).collect();
        assert_eq!(
            codes,
            [
                "not_digits",
                "wrong_length",
                "unknown_province",
                "invalid_birth_day",
                "invalid_month",
                "invalid_date",
                "zero_serial",
                "birth_date_mismatch",
                "sex_mismatch"
            ]
        );
    }

    #[test]
    fn sex_parses_english_and_indonesian_letters() {
        for (input, sex) in [
            ("male", Sex::Male),
            ("Female", Sex::Female),
            ("M", Sex::Male),
            ("f", Sex::Female),
            ("L", Sex::Male),
            ("p", Sex::Female),
            (" MALE ", Sex::Male),
        ] {
            assert_eq!(Sex::parse(input), Some(sex), "{input}");
        }
        assert_eq!(Sex::parse("x"), None);
        assert_eq!(Sex::parse(""), None);
        assert_eq!(Sex::parse(Sex::Female.as_str()), Some(Sex::Female));
    }

    #[test]
    fn deserializing_validates_through_parse() {
        let ok: StrDeserializer<DeError> = EXAMPLE.into_deserializer();
        assert_eq!(Nik::deserialize(ok).unwrap().as_str(), EXAMPLE);
        let bad: StrDeserializer<DeError> = "3602041211870000".into_deserializer();
        assert!(Nik::deserialize(bad).is_err());
        let sex: StrDeserializer<DeError> = "female".into_deserializer();
        assert_eq!(Sex::deserialize(sex).unwrap(), Sex::Female);
    }

    #[test]
    fn from_str_matches_parse() {
        let nik: Nik = EXAMPLE.parse().unwrap();
        assert_eq!(nik, Nik::parse(EXAMPLE).unwrap());
    }
}
