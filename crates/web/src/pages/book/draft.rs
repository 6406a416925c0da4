//! The booking being put together, carried from step to step in the query string (GET
//! forms, so the browser's back button and a reload are always safe; nothing is stored
//! until the hold). Each step reads the fields it asks for; the dispatcher shows the first
//! step whose fields are missing or wrong.

use chrono::NaiveDate;
use loket_domain::catalogue::{
    ApplicationKind, PassportType, Processing, ServiceRequest, TravelPurpose, Validity,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::session::encode;
use crate::planning::iso_date;

/// The steps, in the order an applicant meets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Who the booking is for.
    Applicant,
    /// Which passport service.
    Service,
    /// Which office.
    Office,
    /// Which date and session.
    Date,
    /// Check the answers, see the fee, hold.
    Check,
}

impl Step {
    /// The step a `change=` value names.
    pub fn parse(s: &str) -> Option<Step> {
        match s {
            "applicant" => Some(Step::Applicant),
            "service" => Some(Step::Service),
            "office" => Some(Step::Office),
            "date" => Some(Step::Date),
            _ => None,
        }
    }

    /// Its name in `change=` links.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Applicant => "applicant",
            Step::Service => "service",
            Step::Office => "office",
            Step::Date => "date",
            Step::Check => "check",
        }
    }

    /// The draft fields this step asks for.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Step::Applicant => &["applicant"],
            Step::Service => &["kind", "passport_type", "validity", "processing", "purpose"],
            Step::Office => &["office"],
            Step::Date => &["date", "session"],
            Step::Check => &[],
        }
    }
}

/// The draft as the query string carries it; every field is optional text until parsed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Draft {
    /// Applicant id.
    pub applicant: Option<String>,
    /// Application kind code.
    pub kind: Option<String>,
    /// Passport type code.
    pub passport_type: Option<String>,
    /// "5y" or "10y".
    pub validity: Option<String>,
    /// "regular" or "express".
    pub processing: Option<String>,
    /// Travel purpose code.
    pub purpose: Option<String>,
    /// Office code.
    pub office: Option<String>,
    /// Service date, ISO.
    pub date: Option<String>,
    /// Session code.
    pub session: Option<String>,
    /// A step the applicant asked to see again (a "change" link).
    pub change: Option<String>,
    /// The month the date step shows, `YYYY-MM`.
    pub month: Option<String>,
    /// The step whose form was just sent (its hidden field), so that an unanswered
    /// question there is an error rather than a first visit.
    pub step: Option<String>,
}

/// The service fields, parsed.
#[derive(Clone, Copy, Debug)]
pub struct Service {
    /// What is asked for.
    pub request: ServiceRequest,
    /// Why the applicant travels.
    pub purpose: TravelPurpose,
}

impl Draft {
    /// A field's value ("" if absent).
    pub fn get(&self, field: &str) -> &str {
        let v = match field {
            "applicant" => &self.applicant,
            "kind" => &self.kind,
            "passport_type" => &self.passport_type,
            "validity" => &self.validity,
            "processing" => &self.processing,
            "purpose" => &self.purpose,
            "office" => &self.office,
            "date" => &self.date,
            "session" => &self.session,
            _ => &None,
        };
        v.as_deref().unwrap_or("")
    }

    /// The fields that are set, except those of `skip` (the step that asks for them):
    /// the hidden inputs of a step's form.
    pub fn carried(&self, skip: Step) -> Vec<(&'static str, String)> {
        ALL_FIELDS
            .iter()
            .filter(|f| !skip.fields().contains(f))
            .filter(|f| !self.get(f).is_empty())
            .map(|f| (*f, self.get(f).to_owned()))
            .collect()
    }

    /// The draft as a query string, with `extra` pairs after it.
    pub fn query(&self, extra: &[(&str, &str)]) -> String {
        let mut q = String::with_capacity(256);
        let fields = ALL_FIELDS.iter().map(|f| (*f, self.get(f)));
        for (k, v) in fields
            .filter(|(_, v)| !v.is_empty())
            .chain(extra.iter().copied())
        {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(k);
            q.push('=');
            q.push_str(&encode(v));
        }
        q
    }

    /// The applicant id, if well formed.
    pub fn applicant_id(&self) -> Option<Uuid> {
        Uuid::parse_str(self.get("applicant")).ok()
    }

    /// The service, if every service field is set and known.
    pub fn service(&self) -> Option<Service> {
        Some(Service {
            request: ServiceRequest {
                kind: ApplicationKind::parse(self.get("kind"))?,
                passport_type: PassportType::parse(self.get("passport_type"))?,
                validity: Validity::parse(self.get("validity"))?,
                processing: Processing::parse(self.get("processing"))?,
                force_majeure: false,
            },
            purpose: TravelPurpose::parse(self.get("purpose"))?,
        })
    }

    /// The date, if well formed.
    pub fn date(&self) -> Option<NaiveDate> {
        iso_date(self.get("date"))
    }
}

/// Every draft field, in step order.
pub const ALL_FIELDS: [&str; 9] = [
    "applicant",
    "kind",
    "passport_type",
    "validity",
    "processing",
    "purpose",
    "office",
    "date",
    "session",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_form_carries_every_other_field_and_the_query_round_trips() {
        let d = Draft {
            applicant: Some("a1".into()),
            office: Some("palembang".into()),
            date: Some("2026-12-03".into()),
            ..Draft::default()
        };
        assert_eq!(
            d.carried(Step::Office),
            [
                ("applicant", "a1".to_owned()),
                ("date", "2026-12-03".to_owned())
            ]
        );
        assert_eq!(
            d.query(&[("change", "office")]),
            "applicant=a1&office=palembang&date=2026-12-03&change=office"
        );
        assert!(d.service().is_none());
        for s in ["applicant", "service", "office", "date"] {
            assert_eq!(Step::parse(s).map(Step::as_str), Some(s));
        }
    }
}
