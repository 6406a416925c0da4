//! Checking typed fields: every field is read as the text the person typed, each mistake is
//! recorded against its field, and one refusal lists them all, so a form (or a JSON body)
//! learns of every mistake at once.

use chrono::{Datelike, NaiveDate};
use loket_domain::Sex;
use loket_domain::catalogue::{
    ApplicationKind, PassportType, Processing, ServiceRequest, TravelPurpose, Validity, age_on,
};

use super::{FieldProblem, Refusal, UseCaseResult};

/// Collects per-field problems so one answer lists every mistake.
#[derive(Debug, Default)]
pub struct Fields(Vec<FieldProblem>);

impl Fields {
    /// Records a field's problem.
    pub fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldProblem {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// A required, trimmed, bounded text field.
    pub fn text(&mut self, field: &str, v: &str, max: usize) -> String {
        let s = v.trim().to_owned();
        if s.is_empty() {
            self.push(field, "required", "this field is required");
        } else if s.chars().count() > max {
            self.push(field, "too_long", format!("at most {max} characters"));
        } else if !clean(&s) {
            self.push(field, "invalid_characters", "remove control characters");
        }
        s
    }

    /// A required date in the past (birth dates).
    pub fn birth_date(&mut self, field: &str, v: &str, today: NaiveDate) -> Option<NaiveDate> {
        let s = self.text(field, v, 10);
        if s.is_empty() {
            return None;
        }
        match crate::planning::iso_date(&s) {
            Some(d) if d > today => {
                self.push(field, "in_future", "a birth date cannot be in the future");
                None
            }
            Some(d) if age_on(d, today) > 130 => {
                self.push(field, "implausible", "check the year");
                None
            }
            Some(d) => Some(d),
            None => {
                self.push(field, "invalid_date", "use the form YYYY-MM-DD");
                None
            }
        }
    }

    /// A required service date: an ISO date within the years Loket plans for.
    pub fn service_date(&mut self, field: &str, v: &str) -> Option<NaiveDate> {
        let s = self.text(field, v, 10);
        if s.is_empty() {
            return None;
        }
        let d =
            crate::planning::iso_date(&s).filter(|d| crate::planning::YEARS.contains(&d.year()));
        if d.is_none() {
            self.push(field, "invalid_date", "use the form YYYY-MM-DD");
        }
        d
    }

    /// A required sex.
    pub fn sex(&mut self, field: &str, v: &str) -> Option<Sex> {
        let s = self.text(field, v, 16);
        if s.is_empty() {
            return None;
        }
        let sex = Sex::parse(&s);
        if sex.is_none() {
            self.push(field, "invalid", "use male or female");
        }
        sex
    }

    /// A required choice of one of `all`, by its code (`parse`); a wrong one is told the
    /// codes it could have been.
    pub fn choice<T: Copy>(
        &mut self,
        field: &str,
        v: &str,
        parse: fn(&str) -> Option<T>,
        all: &[T],
        code: fn(&T) -> &'static str,
    ) -> Option<T> {
        let s = self.text(field, v, 40);
        if s.is_empty() {
            return None;
        }
        let parsed = parse(&s);
        if parsed.is_none() {
            let allowed = all.iter().map(code).collect::<Vec<_>>().join(", ");
            self.push(field, "invalid", format!("use one of: {allowed}"));
        }
        parsed
    }

    /// The service asked for and the purpose of travel, as typed.
    pub fn service(&mut self, s: &ServiceInput) -> Option<(ServiceRequest, TravelPurpose)> {
        let kind = self.choice(
            "kind",
            &s.kind,
            ApplicationKind::parse,
            &ApplicationKind::ALL,
            ApplicationKind::as_str,
        );
        let passport_type = self.choice(
            "passport_type",
            &s.passport_type,
            PassportType::parse,
            &PassportType::ALL,
            PassportType::as_str,
        );
        let validity = self.choice(
            "validity",
            &s.validity,
            Validity::parse,
            &Validity::ALL,
            Validity::as_str,
        );
        let processing = self.choice(
            "processing",
            &s.processing,
            Processing::parse,
            &Processing::ALL,
            Processing::as_str,
        );
        let travel_purpose = self.choice(
            "travel_purpose",
            &s.travel_purpose,
            TravelPurpose::parse,
            &TravelPurpose::ALL,
            TravelPurpose::as_str,
        );
        Some((
            ServiceRequest {
                kind: kind?,
                passport_type: passport_type?,
                validity: validity?,
                processing: processing?,
                force_majeure: s.force_majeure,
            },
            travel_purpose?,
        ))
    }

    /// Refuses with every recorded problem, if there is any.
    pub fn finish(self) -> UseCaseResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Invalid(self.0))
        }
    }
}

/// A service request as typed: each choice by its code.
#[derive(Clone, Debug, Default)]
pub struct ServiceInput {
    /// Application kind.
    pub kind: String,
    /// Passport type.
    pub passport_type: String,
    /// Validity.
    pub validity: String,
    /// Processing.
    pub processing: String,
    /// Lost or damaged by force majeure.
    pub force_majeure: bool,
    /// Purpose of travel.
    pub travel_purpose: String,
}

/// Whether a text has no control characters (which no name, email or code contains, and
/// which PostgreSQL refuses in text as NUL).
pub fn clean(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// The value of checked fields that the checks guarantee: a missing one is a bug here, not
/// the caller's mistake.
pub fn checked<T>(v: Option<T>) -> UseCaseResult<T> {
    v.ok_or_else(|| Refusal::Internal("validated fields missing".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mistake_is_listed_against_its_field() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let mut f = Fields::default();
        assert_eq!(f.text("name", "  Rina  ", 10), "Rina");
        f.text("empty", " ", 10);
        f.text("long", "abcdef", 5);
        f.text("control", "a\u{0}b", 5);
        assert_eq!(f.birth_date("born", "2027-01-01", today), None);
        assert_eq!(f.sex("sex", "other"), None);
        let Err(Refusal::Invalid(list)) = f.finish() else {
            panic!("expected a refusal");
        };
        let got: Vec<_> = list
            .iter()
            .map(|p| (p.field.as_str(), p.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("empty", "required"),
                ("long", "too_long"),
                ("control", "invalid_characters"),
                ("born", "in_future"),
                ("sex", "invalid"),
            ]
        );
        assert!(Fields::default().finish().is_ok());
    }
}
