//! One shape for the simple forms (login, register, verify, password reset, add an
//! applicant): labelled fields with hints, the error summary at the top and each message
//! beside its field, what was typed kept (never a password), the form token, a POST that
//! redirects on success.

use askama::Template;

use super::{Chrome, PageCtx};
use crate::i18n::Tr;
use crate::usecases::{Attempts, FieldProblem};

/// A radio choice.
pub struct Radio {
    /// Value.
    pub value: String,
    /// Label.
    pub label: String,
}

/// One field of a form.
pub struct Field {
    /// Its name and id.
    pub name: &'static str,
    /// Visible label.
    pub label: String,
    /// Hint under the label ("" for none).
    pub hint: String,
    /// `text`, `email`, `password`, `date`, `tel`, `radio`, `checkbox`, `select` (its
    /// options are the radios).
    pub kind: &'static str,
    /// The browser's autofill hint.
    pub autocomplete: &'static str,
    /// What was typed (kept on an error; passwords never are).
    pub value: String,
    /// Choices of a radio field.
    pub radios: Vec<Radio>,
    /// The message beside it.
    pub error: Option<String>,
    /// The keyboard a phone shows ("" for the default).
    pub inputmode: &'static str,
}

impl Field {
    /// A field whose label and hint are `form.<name>.label` and `form.<name>.hint`.
    pub fn new(t: Tr, name: &'static str, kind: &'static str, autocomplete: &'static str) -> Self {
        let hint_key = format!("form.{name}.hint");
        let hint = t.s(&hint_key);
        Self {
            name,
            label: t.s(&format!("form.{name}.label")).to_owned(),
            hint: if hint == hint_key {
                String::new()
            } else {
                hint.to_owned()
            },
            kind,
            autocomplete,
            value: String::new(),
            radios: Vec::new(),
            error: None,
            inputmode: "",
        }
    }

    /// With what was typed.
    pub fn value(mut self, v: &str) -> Self {
        if self.kind != "password" {
            self.value = v.to_owned();
        }
        self
    }

    /// With an input mode (e.g. `numeric`) for the phone's keyboard.
    pub fn inputmode(mut self, mode: &'static str) -> Self {
        self.inputmode = mode;
        self
    }

    /// With radio choices.
    pub fn radios(mut self, radios: Vec<Radio>) -> Self {
        self.radios = radios;
        self
    }
}

/// A form page.
#[derive(Template)]
#[template(path = "pages/form.html")]
pub struct FormPage {
    /// Layout.
    pub c: Chrome,
    /// Text above the form.
    pub lead: String,
    /// A notice above the form (e.g. "your email is verified"), if any.
    pub notice: Option<String>,
    /// Where it posts.
    pub action: String,
    /// Hidden fields (besides the token).
    pub hidden: Vec<(&'static str, String)>,
    /// The fields.
    pub fields: Vec<Field>,
    /// The button's text.
    pub submit: String,
    /// Links under the form: (href, text).
    pub links: Vec<(String, String)>,
    /// A message for the whole form (e.g. wrong password), shown in the summary.
    pub form_error: Option<String>,
}

impl FormPage {
    /// A page titled by `key` (`<key>.title`, `<key>.lead`, `<key>.submit`).
    pub fn new(ctx: &PageCtx, key: &str, action: &str, fields: Vec<Field>) -> Self {
        let t = Tr(ctx.lang);
        Self {
            c: Chrome::new(ctx, t.s(&format!("{key}.title")).to_owned()),
            lead: t.s(&format!("{key}.lead")).to_owned(),
            notice: None,
            action: action.to_owned(),
            hidden: Vec::new(),
            fields,
            submit: t.s(&format!("{key}.submit")).to_owned(),
            links: Vec::new(),
            form_error: None,
        }
    }

    /// Puts each problem beside its field (or, for a field not on the form, in the
    /// summary) in words: `form.<field>.<code>`, else `form.rule.<code>` with the label.
    pub fn problems(mut self, t: Tr, problems: &[FieldProblem]) -> Self {
        for p in problems {
            let msg = message(t, &p.field, &p.code);
            if !put_beside(self.fields.iter_mut(), &p.field, &msg) {
                self.form_error = Some(msg);
            }
        }
        self.refresh();
        self
    }

    /// Sets one field's message.
    pub fn field_error(mut self, t: Tr, field: &str, code: &str) -> Self {
        let msg = message(t, field, code);
        if let Some(f) = self.fields.iter_mut().find(|f| f.name == field) {
            f.error = Some(msg);
        }
        self.refresh();
        self
    }

    /// Sets the message for the whole form.
    pub fn error(mut self, msg: String) -> Self {
        self.form_error = Some(msg);
        self.refresh();
        self
    }

    fn refresh(&mut self) {
        self.c.has_errors =
            self.form_error.is_some() || self.fields.iter().any(|f| f.error.is_some());
    }
}

/// Puts `msg` beside the field `name` of `fields`, unless it has a message already (the
/// first one found stays); whether the form has such a field.
pub fn put_beside<'a>(
    fields: impl IntoIterator<Item = &'a mut Field>,
    name: &str,
    msg: &str,
) -> bool {
    match fields.into_iter().find(|f| f.name == name) {
        Some(f) => {
            if f.error.is_none() {
                f.error = Some(msg.to_owned());
            }
            true
        }
        None => false,
    }
}

/// The words for a field's problem.
pub fn message(t: Tr, field: &str, code: &str) -> String {
    let specific = format!("form.{field}.{code}");
    let s = t.s(&specific);
    if s != specific {
        return s.to_owned();
    }
    let label = t.s(&format!("form.{field}.label")).to_lowercase();
    let generic = format!("form.rule.{code}");
    let key = if t.s(&generic) == generic {
        "form.rule.invalid"
    } else {
        generic.as_str()
    };
    let text = t.f(key, &[("label", &label)]);
    // A sentence may start with the label.
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The words for a refusal of too many attempts of `what`: what happened and in how many
/// minutes (rounded up) to try again, `limited.<what>` with `{wait}`.
pub fn too_many_message(t: Tr, what: Attempts, retry_after_seconds: i64) -> String {
    let minutes = (retry_after_seconds.max(1) + 59) / 60;
    let wait = if minutes == 1 {
        t.s("limited.minute").to_owned()
    } else {
        t.f("limited.minutes", &[("n", &minutes.to_string())])
    };
    let key = match what {
        Attempts::Logins => "limited.logins",
        Attempts::Codes => "limited.codes",
        Attempts::Mails => "limited.mails",
        Attempts::Requests => "limited.requests",
    };
    t.f(key, &[("wait", &wait)])
}

/// A form whose token was checked: its fields, from a POST that came from our own pages
/// with the token of the browser's cookie. Anything else is the "form expired" page.
pub struct CheckedForm<T>(pub T);

/// A form that carries the page's token.
pub trait Tokened {
    /// The token the form sent.
    fn csrf(&self) -> &str;
}

impl<T> axum::extract::FromRequest<crate::state::AppState> for CheckedForm<T>
where
    T: serde::de::DeserializeOwned + Tokened + Send,
{
    type Rejection = super::PageError;

    async fn from_request(
        req: axum::extract::Request,
        state: &crate::state::AppState,
    ) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx =
            <PageCtx as axum::extract::FromRequestParts<_>>::from_request_parts(&mut parts, state)
                .await
                .unwrap_or_else(|never| match never {});
        let (method, headers) = (parts.method.clone(), parts.headers.clone());
        let req = axum::extract::Request::from_parts(parts, body);
        let axum::Form(form) = axum::Form::<T>::from_request(req, state)
            .await
            .map_err(|_| super::PageError::Forbidden)?;
        ctx.check_form(&headers, &method, form.csrf())?;
        Ok(Self(form))
    }
}
