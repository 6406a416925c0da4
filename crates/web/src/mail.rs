//! The texts of the mail Loket sends, one template per message and language under
//! `templates/mail/` (compiled into the binary): the first line is the subject, the rest
//! the body, `{name}` a value filled in. Indonesian unless the account chose English.

/// A message Loket sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// The one-time code that verifies an email address.
    Verification,
    /// The one-time code that lets an applicant set a new password.
    PasswordReset,
}

/// Both languages of every template: (template, Indonesian, English).
const TEXTS: &[(Template, &str, &str)] = &[
    (
        Template::Verification,
        include_str!("../templates/mail/verification.id.txt"),
        include_str!("../templates/mail/verification.en.txt"),
    ),
    (
        Template::PasswordReset,
        include_str!("../templates/mail/password_reset.id.txt"),
        include_str!("../templates/mail/password_reset.en.txt"),
    ),
];

/// The subject and body of `template` in `locale` ("en", else Indonesian), with each
/// `{name}` replaced by its value.
pub fn render(template: Template, locale: &str, values: &[(&str, &str)]) -> (String, String) {
    let (id, en) = TEXTS
        .iter()
        .find(|(t, _, _)| *t == template)
        .map_or(("", ""), |(_, id, en)| (*id, *en));
    let text = if locale == "en" { en } else { id };
    let mut filled = text.to_owned();
    for (name, value) in values {
        filled = filled.replace(&format!("{{{name}}}"), value);
    }
    let (subject, body) = filled.split_once('\n').unwrap_or((filled.as_str(), ""));
    (subject.trim().to_owned(), body.trim_end().to_owned())
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
        assert_eq!(TEXTS.len(), 2);
        for (t, id, en) in TEXTS {
            for text in [id, en] {
                let (subject, body) = text.split_once('\n').unwrap_or((text, ""));
                assert!(
                    !subject.trim().is_empty() && !body.trim().is_empty(),
                    "{t:?}"
                );
            }
        }
    }
}
