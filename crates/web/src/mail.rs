//! The texts of the mail Loket sends, one template per message and language under
//! `templates/mail/` (compiled into the binary): the first line is the subject, the rest
//! the body, `{name}` a value filled in. Indonesian unless the account chose English. The
//! booking mails (notices) are written by `usecases::notices`.

/// A message Loket sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// The one-time code that verifies an email address.
    Verification,
    /// The one-time code that lets an applicant set a new password.
    PasswordReset,
    /// A place is held: billing code, amount, deadline.
    BookingHeld,
    /// The payment arrived: the booking is paid.
    BookingPaid,
    /// The paid booking is tomorrow.
    BookingReminder,
    /// The booking moved to a new date or session.
    BookingRescheduled,
    /// The booking is cancelled.
    BookingCancelled,
    /// The money came too late for the place: refunded, or the booking may be moved.
    BookingRefundDue,
    /// The deadline passed unpaid: the place went back to the quota.
    BookingExpired,
    /// Documents were missing at the interview: bring them by the date.
    BookingDocumentsMissing,
    /// The missing documents were not brought in time: the application ended.
    BookingDocumentsLapsed,
    /// Rejected at the interview, with the reason.
    BookingRejected,
    /// The day ended before a counter served the applicant.
    BookingUnserved,
}

impl Template {
    /// Every template.
    pub const ALL: [Template; 13] = [
        Template::Verification,
        Template::PasswordReset,
        Template::BookingHeld,
        Template::BookingPaid,
        Template::BookingReminder,
        Template::BookingRescheduled,
        Template::BookingCancelled,
        Template::BookingRefundDue,
        Template::BookingExpired,
        Template::BookingDocumentsMissing,
        Template::BookingDocumentsLapsed,
        Template::BookingRejected,
        Template::BookingUnserved,
    ];
}

macro_rules! texts {
    ($($template:ident => $file:literal),+ $(,)?) => {
        &[$((
            Template::$template,
            include_str!(concat!("../templates/mail/", $file, ".id.txt")),
            include_str!(concat!("../templates/mail/", $file, ".en.txt")),
        )),+]
    };
}

/// Both languages of every template: (template, Indonesian, English).
const TEXTS: &[(Template, &str, &str)] = texts![
    Verification => "verification",
    PasswordReset => "password_reset",
    BookingHeld => "booking_held",
    BookingPaid => "booking_paid",
    BookingReminder => "booking_reminder",
    BookingRescheduled => "booking_rescheduled",
    BookingCancelled => "booking_cancelled",
    BookingRefundDue => "booking_refund_due",
    BookingExpired => "booking_expired",
    BookingDocumentsMissing => "booking_documents_missing",
    BookingDocumentsLapsed => "booking_documents_lapsed",
    BookingRejected => "booking_rejected",
    BookingUnserved => "booking_unserved",
];

/// The subject and body of `template` in `locale` ("en", else Indonesian), with each
/// `{name}` replaced by its value.
pub fn render(template: Template, locale: &str, values: &[(&str, &str)]) -> (String, String) {
    let (id, en) = TEXTS
        .iter()
        .find(|(t, _, _)| *t == template)
        .map_or(("", ""), |(_, id, en)| (*id, *en));
    let text = if locale == "en" { en } else { id };
    let filled = fill(text, values);
    let (subject, body) = filled.split_once('\n').unwrap_or((filled.as_str(), ""));
    (subject.trim().to_owned(), body.trim_end().to_owned())
}

/// `text` with each `{name}` replaced by its value, in one pass: a value that itself
/// contains `{…}` (a name someone typed) is left as it is. Unknown names stay as written.
fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verification_mail_carries_the_code_in_either_language() {
        let (subject, body) = render(Template::Verification, "id", &[("code", "123456")]);
        assert_eq!(subject, "Kode verifikasi Loket");
        assert!(body.starts_with("Kode verifikasi Anda: 123456."), "{body}");
        let (subject, body) = render(Template::Verification, "en", &[("code", "654321")]);
        assert_eq!(subject, "Your Loket verification code");
        assert!(body.contains("654321"), "{body}");
        assert!(!body.contains('{'), "{body}");
    }

    #[test]
    fn every_template_has_a_subject_and_a_body_in_both_languages() {
        for t in Template::ALL {
            assert_eq!(
                TEXTS.iter().filter(|(x, _, _)| *x == t).count(),
                1,
                "{t:?} has one pair of texts"
            );
        }
        assert_eq!(TEXTS.len(), Template::ALL.len());
        for (t, id, en) in TEXTS {
            for text in [id, en] {
                let (subject, body) = text.split_once('\n').unwrap_or((text, ""));
                assert!(
                    !subject.trim().is_empty() && !body.trim().is_empty(),
                    "{t:?}"
                );
            }
            let names = |s: &str| -> Vec<String> {
                let mut v: Vec<String> = s
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            assert_eq!(names(id), names(en), "{t:?}: the same placeholders");
        }
    }

    #[test]
    fn values_are_filled_in_once_and_unknown_names_stay() {
        assert_eq!(
            fill("{a} and {b} {c}", &[("a", "{b}"), ("b", "x")]),
            "{b} and x {c}"
        );
        assert_eq!(fill("no { close", &[("close", "x")]), "no { close");
    }
}
