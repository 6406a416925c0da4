//! The pages of the journey's steps and of "check your answers": what each shows, built
//! from the draft, the account's applicants, the offices and the availability.

use askama::Template;
use chrono::{Datelike, Months};
use loket_domain::catalogue::{ApplicationKind, PassportType, Processing, TravelPurpose, Validity};
use loket_store::Applicant;

use super::{Draft, FieldErrors, Step};
use crate::format::{hours, long_date, month_year, weekday_abbrs};
use crate::i18n::Tr;
use crate::pages::{Chrome, PageCtx, PageError, PageResult, render};
use crate::planning::{self, iso_date};
use crate::state::AppState;
use crate::usecases::availability::{self, DayKind, next_free_dates};

/// What every step page has: the layout, the way back, the other answers as hidden
/// fields, and the errors.
pub struct Common {
    /// The back link.
    pub back: String,
    /// The step's name, sent back with its form.
    pub step: &'static str,
    /// The other answers.
    pub hidden: Vec<(&'static str, String)>,
    /// Errors: (field id, message).
    pub errors: FieldErrors,
}

impl Common {
    /// The message beside `field`, if any.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// A choice of a radio group or a select.
pub struct Choice {
    /// Its value.
    pub value: String,
    /// Its label.
    pub label: String,
    /// A hint under the label.
    pub hint: String,
    /// Whether it is the current answer.
    pub checked: bool,
}

/// A radio group.
pub struct Group {
    /// The field's name (and the first radio's id).
    pub name: &'static str,
    /// The legend.
    pub legend: String,
    /// The choices.
    pub choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "pages/book/step_applicant.html")]
struct ApplicantStep {
    c: Chrome,
    s: Common,
    group: Group,
    add_href: String,
}

#[derive(Template)]
#[template(path = "pages/book/step_service.html")]
struct ServiceStep {
    c: Chrome,
    s: Common,
    groups: Vec<Group>,
}

/// A region's offices, for the office select.
pub struct OfficeGroup {
    /// Region name.
    pub name: String,
    /// Its offices.
    pub offices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "pages/book/step_office.html")]
struct OfficeStep {
    c: Chrome,
    s: Common,
    regions: Vec<OfficeGroup>,
}

/// A day of the date step's month grid.
pub struct DayCell {
    /// Day of month (0: blank).
    pub day: u32,
    /// Link choosing it, when it has places.
    pub href: Option<String>,
    /// Its status in words.
    pub label: String,
    /// CSS class.
    pub class: &'static str,
    /// Whether it is the chosen date.
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "pages/book/step_date.html")]
struct DateStep {
    c: Chrome,
    s: Common,
    office_name: String,
    zone: &'static str,
    month_label: String,
    weekdays: Vec<&'static str>,
    weeks: Vec<Vec<DayCell>>,
    prev: Option<String>,
    next: Option<String>,
    date_label: Option<String>,
    date_iso: String,
    sessions: Group,
    action: String,
    post: bool,
}

fn common(
    ctx: &PageCtx,
    t: Tr,
    step: Step,
    d: &Draft,
    title: &str,
    errors: FieldErrors,
) -> (Chrome, Common) {
    let mut c = Chrome::new(ctx, t.s(title).to_owned());
    c.has_errors = !errors.is_empty();
    let back = match step {
        Step::Applicant | Step::Check => "/".to_owned(),
        Step::Service => format!("/book?{}", d.query(&[("change", "applicant")])),
        Step::Office => format!("/book?{}", d.query(&[("change", "service")])),
        Step::Date => format!("/book?{}", d.query(&[("change", "office")])),
    };
    (
        c,
        Common {
            back,
            step: step.as_str(),
            hidden: d.carried(step),
            errors,
        },
    )
}

/// Renders step `step` with the draft's answers filled in and `errors` shown.
pub async fn step_page(
    state: &AppState,
    ctx: &PageCtx,
    step: Step,
    d: &Draft,
    applicants: &[Applicant],
    errors: FieldErrors,
) -> PageResult {
    let t = Tr(ctx.lang);
    Ok(match step {
        Step::Applicant => {
            let (c, s) = common(ctx, t, step, d, "book.applicant.title", errors);
            render(&ApplicantStep {
                c,
                s,
                group: Group {
                    name: "applicant",
                    legend: t.s("book.applicant.title").to_owned(),
                    choices: applicants
                        .iter()
                        .map(|a| Choice {
                            value: a.id.to_string(),
                            label: a.full_name.clone(),
                            hint: t.f("book.applicant.nik", &[("nik", &a.nik.masked())]),
                            checked: d.get("applicant") == a.id.to_string(),
                        })
                        .collect(),
                },
                add_href: format!(
                    "/applicants/new?next={}",
                    crate::pages::session::encode(&format!("/book?{}", d.query(&[])))
                ),
            })
        }
        Step::Service => {
            let (c, s) = common(ctx, t, step, d, "book.service.title", errors);
            render(&ServiceStep {
                c,
                s,
                groups: service_groups(t, d),
            })
        }
        Step::Office => {
            let offices = next_free_dates(state).await?;
            let mut regions: Vec<OfficeGroup> = Vec::new();
            for o in offices.iter() {
                let hint = match o.next {
                    Some((date, _)) => t.f("book.office.next", &[("date", &long_date(t, date))]),
                    None => t.s("start.no_date").to_owned(),
                };
                let choice = Choice {
                    value: o.office.code.clone(),
                    label: format!("{} – {hint}", o.office.name),
                    hint: String::new(),
                    checked: d.get("office") == o.office.code,
                };
                match regions.last_mut() {
                    Some(g) if g.name == o.region_name => g.offices.push(choice),
                    _ => regions.push(OfficeGroup {
                        name: o.region_name.clone(),
                        offices: vec![choice],
                    }),
                }
            }
            let (c, s) = common(ctx, t, step, d, "book.office.title", errors);
            render(&OfficeStep { c, s, regions })
        }
        Step::Date => date_step(state, ctx, t, d, errors, &DateTarget::journey()).await?,
        Step::Check => return Err(PageError::Internal),
    })
}

/// The service questions in the order the journey asks them: each question's key (its
/// field on the journey, `book.service.<key>` its words) and its choices as (code, words).
pub fn service_questions(t: Tr) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    fn question<T: Copy>(
        t: Tr,
        key: &'static str,
        all: &[T],
        code: fn(&T) -> &'static str,
    ) -> (&'static str, Vec<(&'static str, String)>) {
        let choices = all
            .iter()
            .map(|v| {
                (
                    code(v),
                    t.s(&format!("choice.{key}.{}", code(v))).to_owned(),
                )
            })
            .collect();
        (key, choices)
    }
    vec![
        question(t, "kind", &ApplicationKind::ALL, ApplicationKind::as_str),
        question(t, "passport_type", &PassportType::ALL, PassportType::as_str),
        question(t, "validity", &Validity::ALL, Validity::as_str),
        question(t, "processing", &Processing::ALL, Processing::as_str),
        question(t, "purpose", &TravelPurpose::ALL, TravelPurpose::as_str),
    ]
}

/// The service questions, each a radio group, with the draft's answers checked.
fn service_groups(t: Tr, d: &Draft) -> Vec<Group> {
    service_questions(t)
        .into_iter()
        .map(|(name, choices)| Group {
            name,
            legend: t.s(&format!("book.service.{name}")).to_owned(),
            choices: choices
                .into_iter()
                .map(|(code, label)| Choice {
                    value: code.to_owned(),
                    label,
                    hint: String::new(),
                    checked: d.get(name) == code,
                })
                .collect(),
        })
        .collect()
}

/// Where the date step's links and form go: the journey (GET `/book`) or a booking's
/// reschedule (POST, with the form token).
pub struct DateTarget {
    /// The path the grid's links and the form go to.
    pub path: String,
    /// Whether the session form is a POST (a change) rather than the next GET step.
    pub post: bool,
    /// The page title's locale key.
    pub title: &'static str,
    /// The back link, if not the journey's.
    pub back: Option<String>,
}

impl DateTarget {
    /// The journey's date step.
    pub fn journey() -> Self {
        Self {
            path: "/book".into(),
            post: false,
            title: "book.date.title",
            back: None,
        }
    }
}

/// The date step: the month grid of the draft's office and the chosen date's sessions
/// with places for the draft's class.
pub async fn date_step(
    state: &AppState,
    ctx: &PageCtx,
    t: Tr,
    d: &Draft,
    errors: FieldErrors,
    target: &DateTarget,
) -> PageResult {
    let office = planning::office(state, d.get("office")).await?;
    let first = availability::first_bookable_date(state, &office);
    let (_, last) = availability::search_range(state, &office);
    let this_month = first.with_day(1).unwrap_or(first);
    let last_month = last.with_day(1).unwrap_or(last);
    let month = d
        .month
        .as_deref()
        .and_then(|m| iso_date(&format!("{m}-01")))
        .or(d.date().and_then(|x| x.with_day(1)))
        .unwrap_or(this_month)
        .clamp(this_month, last_month);
    let end = month
        .checked_add_months(Months::new(1))
        .and_then(|x| x.pred_opt())
        .unwrap_or(month);
    let a = availability::read(state, &office.code, month, end).await?;
    let class = d
        .service()
        .map(|s| loket_domain::quota::ServiceClass::for_processing(s.request.processing))
        .unwrap_or(loket_domain::quota::ServiceClass::Online);
    let mut cells: Vec<DayCell> = (0..month.weekday().num_days_from_monday())
        .map(|_| DayCell {
            day: 0,
            href: None,
            label: String::new(),
            class: "",
            selected: false,
        })
        .collect();
    for day in &a.days {
        let left: i64 = day
            .sessions
            .iter()
            .flat_map(|s| s.classes.iter().filter(|c| c.class == class))
            .map(|c| c.remaining)
            .sum();
        let (class_name, label) = match &day.kind {
            DayKind::Open if left > 0 => (
                "open",
                t.f("calendar.short_open", &[("n", &left.to_string())]),
            ),
            DayKind::Open | DayKind::Full => ("full", t.s("calendar.short_full").to_owned()),
            DayKind::Closed(_) => ("closed", t.s("calendar.short_closed").to_owned()),
            DayKind::NotReleased(_) => ("soon", t.s("calendar.short_soon").to_owned()),
            DayKind::Past | DayKind::BeyondHorizon => ("past", String::new()),
        };
        let mut pick = d.clone();
        pick.date = Some(day.date.to_string());
        pick.session = None;
        cells.push(DayCell {
            day: day.date.day(),
            href: (class_name == "open").then(|| {
                format!(
                    "{}?{}#sessions",
                    target.path,
                    pick.query(&[("change", "date")])
                )
            }),
            label,
            class: class_name,
            selected: d.date() == Some(day.date),
        });
    }
    while !cells.len().is_multiple_of(7) {
        cells.push(DayCell {
            day: 0,
            href: None,
            label: String::new(),
            class: "",
            selected: false,
        });
    }
    let mut weeks = Vec::new();
    let mut it = cells.into_iter().peekable();
    while it.peek().is_some() {
        weeks.push(it.by_ref().take(7).collect());
    }
    let month_href = |m: chrono::NaiveDate| {
        let mut x = d.clone();
        x.date = None;
        x.session = None;
        format!(
            "{}?{}",
            target.path,
            x.query(&[
                ("change", "date"),
                ("month", &m.format("%Y-%m").to_string())
            ])
        )
    };
    let chosen = d
        .date()
        .and_then(|x| a.days.iter().find(|day| day.date == x));
    let zone = office.time_zone;
    let sessions = Group {
        name: "session",
        legend: t.s("book.date.session").to_owned(),
        choices: chosen
            .filter(|day| day.kind == DayKind::Open)
            .map(|day| {
                day.sessions
                    .iter()
                    .filter_map(|s| {
                        let left = s.classes.iter().find(|c| c.class == class)?.remaining;
                        (left > 0).then(|| Choice {
                            value: s.session.code.clone(),
                            label: hours(t, s.session.start, s.session.end, zone),
                            hint: t.f("calendar.places_left", &[("n", &left.to_string())]),
                            checked: d.get("session") == s.session.code,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    let (c, mut s) = common(ctx, t, Step::Date, d, target.title, errors);
    // The date travels in the session form; the grid's links set it.
    s.hidden.retain(|(f, _)| *f != "date");
    if let Some(back) = &target.back {
        s.back = back.clone();
    }
    Ok(render(&DateStep {
        c,
        s,
        office_name: office.name.clone(),
        zone: office.zone_label(),
        month_label: month_year(t, month),
        weekdays: weekday_abbrs(t),
        weeks,
        prev: month
            .checked_sub_months(Months::new(1))
            .filter(|p| *p >= this_month)
            .map(month_href),
        next: month
            .checked_add_months(Months::new(1))
            .filter(|n| *n <= last_month)
            .map(month_href),
        date_label: chosen.map(|day| long_date(t, day.date)),
        date_iso: d.get("date").to_owned(),
        sessions,
        action: target.path.clone(),
        post: target.post,
    }))
}
