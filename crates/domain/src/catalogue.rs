//! The service catalogue: application kinds, passport types, validity and processing options,
//! who may take a 10-year passport, the document checklist, and fee quotes. Fee amounts are
//! data (tables with their regulation and effective date); only the computation lives here.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Why an application kind needs a passport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationKind {
    /// A first passport.
    New,
    /// The old passport expired or has under six months left.
    ReplacementExpired,
    /// The old passport's pages are full.
    ReplacementFull,
    /// The old passport was lost.
    ReplacementLost,
    /// The old passport was damaged.
    ReplacementDamaged,
    /// The holder's name changed.
    NameChange,
}

impl ApplicationKind {
    /// Every kind, in display order.
    pub const ALL: [Self; 6] = [
        Self::New,
        Self::ReplacementExpired,
        Self::ReplacementFull,
        Self::ReplacementLost,
        Self::ReplacementDamaged,
        Self::NameChange,
    ];

    /// The stable snake_case code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::New => "new",
            Self::ReplacementExpired => "replacement_expired",
            Self::ReplacementFull => "replacement_full",
            Self::ReplacementLost => "replacement_lost",
            Self::ReplacementDamaged => "replacement_damaged",
            Self::NameChange => "name_change",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The passport book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassportType {
    /// Ordinary (non-electronic) passport.
    Ordinary,
    /// Electronic passport with a chip; depends on the office's blank-book stock.
    Electronic,
}

impl PassportType {
    /// Every type, in display order.
    pub const ALL: [Self; 2] = [Self::Ordinary, Self::Electronic];

    /// The stable snake_case code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Ordinary => "ordinary",
            Self::Electronic => "electronic",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How long the passport is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Validity {
    /// Five years; the only option for children.
    #[serde(rename = "5y")]
    FiveYears,
    /// Ten years; for applicants 17 or older or married, where the fee table offers it.
    #[serde(rename = "10y")]
    TenYears,
}

impl Validity {
    /// Every validity, in display order.
    pub const ALL: [Self; 2] = [Self::FiveYears, Self::TenYears];

    /// The stable code ("5y" or "10y").
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::FiveYears => "5y",
            Self::TenYears => "10y",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Regular processing or same-day express (percepatan).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Processing {
    /// Ready in about four working days.
    Regular,
    /// Same day, for a surcharge.
    Express,
}

impl Processing {
    /// Every option, in display order.
    pub const ALL: [Self; 2] = [Self::Regular, Self::Express];

    /// The stable snake_case code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Regular => "regular",
            Self::Express => "express",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The travel purpose asked on the application form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TravelPurpose {
    /// Tourism.
    Tourism,
    /// Umrah or hajj.
    UmrahHajj,
    /// Medical treatment.
    Medical,
    /// Study.
    Study,
    /// Business.
    Business,
    /// Work.
    Work,
    /// Visiting family.
    VisitingFamily,
    /// Anything else.
    Other,
}

impl TravelPurpose {
    /// Every purpose, in form order.
    pub const ALL: [Self; 8] = [
        Self::Tourism,
        Self::UmrahHajj,
        Self::Medical,
        Self::Study,
        Self::Business,
        Self::Work,
        Self::VisitingFamily,
        Self::Other,
    ];

    /// The stable snake_case code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Tourism => "tourism",
            Self::UmrahHajj => "umrah_hajj",
            Self::Medical => "medical",
            Self::Study => "study",
            Self::Business => "business",
            Self::Work => "work",
            Self::VisitingFamily => "visiting_family",
            Self::Other => "other",
        }
    }

    /// Parses the stable code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What is being applied for, as far as the fee depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRequest {
    /// New, replacement or name change.
    pub kind: ApplicationKind,
    /// Ordinary or electronic.
    pub passport_type: PassportType,
    /// Five or ten years.
    pub validity: Validity,
    /// Regular or express.
    pub processing: Processing,
    /// Loss or damage by disaster or other force majeure waives the surcharge.
    pub force_majeure: bool,
}

/// A request the catalogue cannot serve.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    /// A 10-year passport for someone under 17 and unmarried.
    #[error("a 10-year passport requires the applicant to be 17 or older, or married")]
    TenYearsNotAllowed,
    /// The fee table in force has no price for this passport and validity.
    #[error("this validity is not offered for this passport type on that date")]
    ValidityNotOffered,
    /// No fee table is in force on the date.
    #[error("no fee table is in force on that date")]
    NoFeeTable,
}

impl CatalogueError {
    /// A stable snake_case code for APIs and translation keys.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TenYearsNotAllowed => "ten_years_not_allowed",
            Self::ValidityNotOffered => "validity_not_offered",
            Self::NoFeeTable => "no_fee_table",
        }
    }
}

/// Age at which an applicant counts as an adult (unless married earlier).
pub const ADULT_AGE: u32 = 17;

/// Completed years of age on `on`; 0 if `on` is before the birth date.
///
/// Someone born on 29 February turns a year older on 1 March in common years, because
/// (2, 28) still sorts before (2, 29).
pub fn age_on(birth_date: NaiveDate, on: NaiveDate) -> u32 {
    if on < birth_date {
        return 0;
    }
    let mut years = on.year() - birth_date.year();
    if (on.month(), on.day()) < (birth_date.month(), birth_date.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// Whether someone born on `birth_date` is a child (under `ADULT_AGE`) on `on`, for the
/// documents they bring.
pub fn is_child(birth_date: NaiveDate, on: NaiveDate) -> bool {
    age_on(birth_date, on) < ADULT_AGE
}

/// Checks that the applicant may take `validity`: ten years needs age 17 on `on` or marriage.
pub fn check_validity(
    validity: Validity,
    birth_date: NaiveDate,
    married: bool,
    on: NaiveDate,
) -> Result<(), CatalogueError> {
    match validity {
        Validity::FiveYears => Ok(()),
        Validity::TenYears if married || age_on(birth_date, on) >= ADULT_AGE => Ok(()),
        Validity::TenYears => Err(CatalogueError::TenYearsNotAllowed),
    }
}

/// Every document code `required_documents` can return, for translation files.
pub const DOCUMENT_CODES: [&str; 11] = [
    "ektp",
    "family_card",
    "birth_certificate_or_diploma_or_marriage_book",
    "old_passport",
    "police_loss_report",
    "damaged_passport",
    "name_change_decree",
    "parents_ektp",
    "birth_certificate",
    "parents_marriage_book",
    "parents_statement",
];

/// The checklist shown before booking, as stable document codes.
///
/// Children (under 17) bring their parents' ID cards and marriage book, their own birth
/// certificate and a statement signed by both parents instead of an ID card of their own.
pub fn required_documents(kind: ApplicationKind, is_child: bool) -> Vec<&'static str> {
    let mut docs: Vec<&'static str> = if is_child {
        vec![
            "parents_ektp",
            "family_card",
            "birth_certificate",
            "parents_marriage_book",
            "parents_statement",
        ]
    } else {
        match kind {
            // A replacement only proves identity and shows the old book.
            ApplicationKind::ReplacementExpired | ApplicationKind::ReplacementFull => {
                vec!["ektp"]
            }
            _ => vec![
                "ektp",
                "family_card",
                "birth_certificate_or_diploma_or_marriage_book",
            ],
        }
    };
    match kind {
        ApplicationKind::New => {}
        ApplicationKind::ReplacementExpired | ApplicationKind::ReplacementFull => {
            docs.push("old_passport");
        }
        ApplicationKind::ReplacementLost => docs.push("police_loss_report"),
        ApplicationKind::ReplacementDamaged => docs.push("damaged_passport"),
        ApplicationKind::NameChange => {
            docs.push("old_passport");
            docs.push("name_change_decree");
        }
    }
    docs
}

/// One regulation's fee table, in whole rupiah; `None` means the item is not offered or
/// not charged under that regulation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeTable {
    /// A short stable code, e.g. "pp-45-2024".
    pub code: String,
    /// The regulation's name, e.g. "PP 45/2024".
    pub regulation: String,
    /// The first date the table applies to.
    pub effective_from: NaiveDate,
    /// Ordinary passport, 5 years.
    pub ordinary_5y: i64,
    /// Ordinary passport, 10 years, if offered.
    pub ordinary_10y: Option<i64>,
    /// Electronic passport, 5 years.
    pub electronic_5y: i64,
    /// Electronic passport, 10 years, if offered.
    pub electronic_10y: Option<i64>,
    /// Added for express processing.
    pub express_surcharge: i64,
    /// Added for a lost passport, unless force majeure.
    pub lost_surcharge: Option<i64>,
    /// Added for a damaged passport, unless force majeure.
    pub damaged_surcharge: Option<i64>,
}

/// One line of a quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    /// A stable item code: "ordinary_5y", "electronic_10y", "express", "lost_surcharge"...
    pub item: String,
    /// The amount in whole rupiah.
    pub amount: i64,
}

/// The fee for a request under the table in force on a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeQuote {
    /// The code of the table used, kept with the booking because tables change.
    pub table_code: String,
    /// The items charged.
    pub lines: Vec<FeeLine>,
    /// The sum of the lines.
    pub total: i64,
}

/// All known fee tables, ordered by effective date.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSchedule {
    tables: Vec<FeeTable>,
}

impl FeeSchedule {
    /// Builds a schedule from tables in any order.
    pub fn new(mut tables: Vec<FeeTable>) -> Self {
        tables.sort_by_key(|t| t.effective_from);
        FeeSchedule { tables }
    }

    /// The tables, oldest first.
    pub fn tables(&self) -> &[FeeTable] {
        &self.tables
    }

    /// The table in force on `date`: the latest with `effective_from <= date`.
    pub fn table_on(&self, date: NaiveDate) -> Option<&FeeTable> {
        self.tables.iter().rev().find(|t| t.effective_from <= date)
    }

    /// Prices `req` under the table in force on `on` (the service date the booking is for).
    pub fn quote(&self, req: &ServiceRequest, on: NaiveDate) -> Result<FeeQuote, CatalogueError> {
        let table = self.table_on(on).ok_or(CatalogueError::NoFeeTable)?;
        let (item, base) = match (req.passport_type, req.validity) {
            (PassportType::Ordinary, Validity::FiveYears) => {
                ("ordinary_5y", Some(table.ordinary_5y))
            }
            (PassportType::Ordinary, Validity::TenYears) => ("ordinary_10y", table.ordinary_10y),
            (PassportType::Electronic, Validity::FiveYears) => {
                ("electronic_5y", Some(table.electronic_5y))
            }
            (PassportType::Electronic, Validity::TenYears) => {
                ("electronic_10y", table.electronic_10y)
            }
        };
        let base = base.ok_or(CatalogueError::ValidityNotOffered)?;
        let mut lines = vec![line(item, base)];
        if req.processing == Processing::Express {
            lines.push(line("express", table.express_surcharge));
        }
        // The surcharge line is kept at Rp0 under force majeure so the waiver is visible on
        // the receipt; a table without the surcharge adds no line at all.
        let surcharge = match req.kind {
            ApplicationKind::ReplacementLost => table
                .lost_surcharge
                .map(|amount| ("lost_surcharge", amount)),
            ApplicationKind::ReplacementDamaged => table
                .damaged_surcharge
                .map(|amount| ("damaged_surcharge", amount)),
            _ => None,
        };
        if let Some((item, amount)) = surcharge {
            lines.push(line(item, if req.force_majeure { 0 } else { amount }));
        }
        let total = lines
            .iter()
            .fold(0i64, |sum, l| sum.saturating_add(l.amount));
        Ok(FeeQuote {
            table_code: table.code.clone(),
            lines,
            total,
        })
    }
}

fn line(item: &str, amount: i64) -> FeeLine {
    FeeLine {
        item: item.to_owned(),
        amount,
    }
}

#[cfg(test)]
// Tests may panic on a broken fixture; that is what a failing test is.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    #[test]
    fn a_child_is_under_seventeen_on_the_day() {
        let born = NaiveDate::from_ymd_opt(2009, 12, 7).unwrap();
        assert!(is_child(
            born,
            NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
        ));
        assert!(!is_child(
            born,
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        ));
    }

    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn pp_28_2019() -> FeeTable {
        FeeTable {
            code: "pp-28-2019".into(),
            regulation: "PP 28/2019".into(),
            effective_from: date(2019, 6, 13),
            ordinary_5y: 350_000,
            ordinary_10y: None,
            electronic_5y: 650_000,
            electronic_10y: None,
            express_surcharge: 1_000_000,
            lost_surcharge: None,
            damaged_surcharge: None,
        }
    }

    fn pp_45_2024() -> FeeTable {
        FeeTable {
            code: "pp-45-2024".into(),
            regulation: "PP 45/2024".into(),
            effective_from: date(2024, 12, 17),
            ordinary_5y: 350_000,
            ordinary_10y: Some(650_000),
            electronic_5y: 650_000,
            electronic_10y: Some(950_000),
            express_surcharge: 1_000_000,
            lost_surcharge: Some(1_000_000),
            damaged_surcharge: Some(500_000),
        }
    }

    fn schedule() -> FeeSchedule {
        // Deliberately out of order: the constructor sorts.
        FeeSchedule::new(vec![pp_45_2024(), pp_28_2019()])
    }

    fn request(
        kind: ApplicationKind,
        passport_type: PassportType,
        validity: Validity,
    ) -> ServiceRequest {
        ServiceRequest {
            kind,
            passport_type,
            validity,
            processing: Processing::Regular,
            force_majeure: false,
        }
    }

    fn items(quote: &FeeQuote) -> Vec<(&str, i64)> {
        quote
            .lines
            .iter()
            .map(|l| (l.item.as_str(), l.amount))
            .collect()
    }

    #[test]
    fn enums_round_trip_through_their_codes() {
        for k in ApplicationKind::ALL {
            assert_eq!(ApplicationKind::parse(k.as_str()), Some(k));
        }
        for k in PassportType::ALL {
            assert_eq!(PassportType::parse(k.as_str()), Some(k));
        }
        for k in Validity::ALL {
            assert_eq!(Validity::parse(k.as_str()), Some(k));
        }
        for k in Processing::ALL {
            assert_eq!(Processing::parse(k.as_str()), Some(k));
        }
        for k in TravelPurpose::ALL {
            assert_eq!(TravelPurpose::parse(k.as_str()), Some(k));
        }
        assert_eq!(Validity::FiveYears.as_str(), "5y");
        assert_eq!(Validity::TenYears.as_str(), "10y");
        assert_eq!(ApplicationKind::parse("lost"), None);
        assert_eq!(TravelPurpose::UmrahHajj.as_str(), "umrah_hajj");
    }

    #[test]
    fn serde_codes_match_as_str() {
        for k in Validity::ALL {
            let de: StrDeserializer<DeError> = k.as_str().into_deserializer();
            assert_eq!(Validity::deserialize(de).unwrap(), k);
        }
        for k in ApplicationKind::ALL {
            let de: StrDeserializer<DeError> = k.as_str().into_deserializer();
            assert_eq!(ApplicationKind::deserialize(de).unwrap(), k);
        }
        for k in TravelPurpose::ALL {
            let de: StrDeserializer<DeError> = k.as_str().into_deserializer();
            assert_eq!(TravelPurpose::deserialize(de).unwrap(), k);
        }
        for k in Processing::ALL {
            let de: StrDeserializer<DeError> = k.as_str().into_deserializer();
            assert_eq!(Processing::deserialize(de).unwrap(), k);
        }
        for k in PassportType::ALL {
            let de: StrDeserializer<DeError> = k.as_str().into_deserializer();
            assert_eq!(PassportType::deserialize(de).unwrap(), k);
        }
    }

    #[test]
    fn age_counts_completed_years() {
        let birth = date(2008, 5, 20);
        assert_eq!(age_on(birth, date(2025, 5, 19)), 16);
        assert_eq!(age_on(birth, date(2025, 5, 20)), 17);
        assert_eq!(age_on(birth, date(2025, 5, 21)), 17);
        assert_eq!(age_on(birth, birth), 0);
        assert_eq!(age_on(birth, date(2000, 1, 1)), 0);
    }

    #[test]
    fn a_leap_day_birthday_counts_from_the_first_of_march_in_common_years() {
        let birth = date(2008, 2, 29);
        assert_eq!(age_on(birth, date(2025, 2, 28)), 16);
        assert_eq!(age_on(birth, date(2025, 3, 1)), 17);
        assert_eq!(age_on(birth, date(2024, 2, 29)), 16);
        assert_eq!(age_on(birth, date(2024, 2, 28)), 15);
    }

    #[test]
    fn ten_years_from_the_seventeenth_birthday_not_the_day_before() {
        let birth = date(2008, 5, 20);
        assert_eq!(
            check_validity(Validity::TenYears, birth, false, date(2025, 5, 19)),
            Err(CatalogueError::TenYearsNotAllowed)
        );
        assert_eq!(
            check_validity(Validity::TenYears, birth, false, date(2025, 5, 20)),
            Ok(())
        );
        assert_eq!(
            check_validity(Validity::FiveYears, birth, false, date(2025, 5, 19)),
            Ok(())
        );
    }

    #[test]
    fn a_married_sixteen_year_old_may_take_ten_years() {
        let birth = date(2009, 1, 10);
        let on = date(2025, 6, 1);
        assert_eq!(age_on(birth, on), 16);
        assert_eq!(check_validity(Validity::TenYears, birth, true, on), Ok(()));
        assert_eq!(
            check_validity(Validity::TenYears, birth, false, on),
            Err(CatalogueError::TenYearsNotAllowed)
        );
    }

    #[test]
    fn documents_for_a_new_adult_passport() {
        assert_eq!(
            required_documents(ApplicationKind::New, false),
            [
                "ektp",
                "family_card",
                "birth_certificate_or_diploma_or_marriage_book"
            ]
        );
    }

    #[test]
    fn documents_for_replacements() {
        for kind in [
            ApplicationKind::ReplacementExpired,
            ApplicationKind::ReplacementFull,
        ] {
            assert_eq!(required_documents(kind, false), ["ektp", "old_passport"]);
        }
        let lost = required_documents(ApplicationKind::ReplacementLost, false);
        assert_eq!(
            lost,
            [
                "ektp",
                "family_card",
                "birth_certificate_or_diploma_or_marriage_book",
                "police_loss_report"
            ]
        );
        let damaged = required_documents(ApplicationKind::ReplacementDamaged, false);
        assert_eq!(damaged.last(), Some(&"damaged_passport"));
        assert!(damaged.contains(&"family_card"));
        let renamed = required_documents(ApplicationKind::NameChange, false);
        assert!(renamed.contains(&"name_change_decree"));
        assert!(renamed.contains(&"old_passport"));
    }

    #[test]
    fn documents_for_a_child_come_from_the_parents() {
        let child = required_documents(ApplicationKind::New, true);
        assert_eq!(
            child,
            [
                "parents_ektp",
                "family_card",
                "birth_certificate",
                "parents_marriage_book",
                "parents_statement"
            ]
        );
        assert!(!child.contains(&"ektp"));
        let lost_child = required_documents(ApplicationKind::ReplacementLost, true);
        assert!(lost_child.contains(&"parents_ektp"));
        assert!(lost_child.contains(&"police_loss_report"));
    }

    #[test]
    fn every_returned_document_code_is_listed() {
        for kind in ApplicationKind::ALL {
            for is_child in [false, true] {
                for doc in required_documents(kind, is_child) {
                    assert!(DOCUMENT_CODES.contains(&doc), "{doc}");
                }
            }
        }
    }

    #[test]
    fn the_schedule_is_sorted_and_picks_the_table_in_force() {
        let s = schedule();
        assert_eq!(s.tables()[0].code, "pp-28-2019");
        assert_eq!(s.table_on(date(2019, 6, 12)), None);
        assert_eq!(
            s.table_on(date(2019, 6, 13)).map(|t| t.code.as_str()),
            Some("pp-28-2019")
        );
        assert_eq!(
            s.table_on(date(2024, 12, 16)).map(|t| t.code.as_str()),
            Some("pp-28-2019")
        );
        assert_eq!(
            s.table_on(date(2024, 12, 17)).map(|t| t.code.as_str()),
            Some("pp-45-2024")
        );
        assert_eq!(
            s.table_on(date(2030, 1, 1)).map(|t| t.code.as_str()),
            Some("pp-45-2024")
        );
    }

    #[test]
    fn an_ordinary_ten_year_passport_is_offered_only_from_pp_45_2024() {
        let s = schedule();
        let req = request(
            ApplicationKind::New,
            PassportType::Ordinary,
            Validity::TenYears,
        );
        assert_eq!(
            s.quote(&req, date(2024, 12, 16)),
            Err(CatalogueError::ValidityNotOffered)
        );
        let quote = s.quote(&req, date(2024, 12, 18)).unwrap();
        assert_eq!(quote.table_code, "pp-45-2024");
        assert_eq!(items(&quote), [("ordinary_10y", 650_000)]);
        assert_eq!(quote.total, 650_000);
    }

    #[test]
    fn express_electronic_adds_the_surcharge() {
        let mut req = request(
            ApplicationKind::New,
            PassportType::Electronic,
            Validity::TenYears,
        );
        req.processing = Processing::Express;
        let quote = schedule().quote(&req, date(2025, 3, 3)).unwrap();
        assert_eq!(
            items(&quote),
            [("electronic_10y", 950_000), ("express", 1_000_000)]
        );
        assert_eq!(quote.total, 1_950_000);

        req.validity = Validity::FiveYears;
        let old = schedule().quote(&req, date(2023, 3, 3)).unwrap();
        assert_eq!(old.table_code, "pp-28-2019");
        assert_eq!(old.total, 1_650_000);
    }

    #[test]
    fn a_lost_passport_pays_the_surcharge_unless_force_majeure() {
        let s = schedule();
        let mut req = request(
            ApplicationKind::ReplacementLost,
            PassportType::Ordinary,
            Validity::FiveYears,
        );
        let quote = s.quote(&req, date(2025, 1, 6)).unwrap();
        assert_eq!(
            items(&quote),
            [("ordinary_5y", 350_000), ("lost_surcharge", 1_000_000)]
        );
        assert_eq!(quote.total, 1_350_000);

        req.force_majeure = true;
        let waived = s.quote(&req, date(2025, 1, 6)).unwrap();
        assert_eq!(
            items(&waived),
            [("ordinary_5y", 350_000), ("lost_surcharge", 0)]
        );
        assert_eq!(waived.total, 350_000);
    }

    #[test]
    fn a_damaged_passport_pays_its_own_surcharge() {
        let s = schedule();
        let mut req = request(
            ApplicationKind::ReplacementDamaged,
            PassportType::Electronic,
            Validity::FiveYears,
        );
        assert_eq!(s.quote(&req, date(2025, 1, 6)).unwrap().total, 1_150_000);
        req.force_majeure = true;
        assert_eq!(s.quote(&req, date(2025, 1, 6)).unwrap().total, 650_000);
    }

    #[test]
    fn a_table_without_a_surcharge_adds_no_line() {
        let req = request(
            ApplicationKind::ReplacementLost,
            PassportType::Ordinary,
            Validity::FiveYears,
        );
        let quote = schedule().quote(&req, date(2024, 12, 16)).unwrap();
        assert_eq!(items(&quote), [("ordinary_5y", 350_000)]);
    }

    #[test]
    fn no_table_before_the_first_regulation() {
        let req = request(
            ApplicationKind::New,
            PassportType::Ordinary,
            Validity::FiveYears,
        );
        assert_eq!(
            schedule().quote(&req, date(2019, 1, 1)),
            Err(CatalogueError::NoFeeTable)
        );
        assert_eq!(
            FeeSchedule::new(vec![]).quote(&req, date(2025, 1, 1)),
            Err(CatalogueError::NoFeeTable)
        );
    }

    #[test]
    fn error_codes_are_stable() {
        assert_eq!(
            CatalogueError::TenYearsNotAllowed.code(),
            "ten_years_not_allowed"
        );
        assert_eq!(
            CatalogueError::ValidityNotOffered.code(),
            "validity_not_offered"
        );
        assert_eq!(CatalogueError::NoFeeTable.code(), "no_fee_table");
    }
}
