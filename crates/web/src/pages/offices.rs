//! An office's month calendar: each date open (with places left), full, closed (with the
//! reason) or not yet open (with the opening time in the office's zone), and, for a chosen
//! date, its sessions with the places left and the way on to booking one.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;

use super::{Chrome, PageCtx, PageResult, render};
use crate::format::{date_time, hours, long_date, month_year, weekday_abbrs};
use crate::i18n::{Lang, Tr};
use crate::planning::iso_date;
use crate::state::AppState;
use crate::usecases::availability::{self, Availability, CalendarMonth, Day, DayKind};

/// `?month=2026-12&date=2026-12-07`.
#[derive(Deserialize)]
pub struct CalendarQuery {
    month: Option<String>,
    date: Option<String>,
}

/// One cell of the month grid.
pub struct Cell {
    /// Day of the month, or 0 for the blanks around the month.
    pub day: u32,
    /// The date, ISO, for the link.
    pub iso: String,
    /// "open", "full", "closed", "soon", "past" (the CSS class).
    pub class: &'static str,
    /// What the cell says under the number ("12 tempat", "Penuh", "Libur").
    pub short: String,
    /// The whole status in words, for screen readers and the title.
    pub long: String,
    /// Whether it is the date shown below the grid.
    pub selected: bool,
}

/// A session of the chosen date.
pub struct SessionRow {
    /// Code.
    pub code: String,
    /// "08.00–12.00 WIB".
    pub hours: String,
    /// Places left online.
    pub left: i64,
    /// "12 places left" or "Full".
    pub places: String,
}

/// The chosen date, below the grid.
pub struct Chosen {
    /// ISO date.
    pub iso: String,
    /// "Senin, 7 Desember 2026".
    pub label: String,
    /// What the date is, in words.
    pub status: String,
    /// Its sessions (when it can be booked).
    pub sessions: Vec<SessionRow>,
}

#[derive(Template)]
#[template(path = "pages/calendar.html")]
struct CalendarPage {
    c: Chrome,
    office_code: String,
    address: String,
    zone: &'static str,
    month_label: String,
    weekdays: Vec<&'static str>,
    weeks: Vec<Vec<Cell>>,
    prev: Option<String>,
    next: Option<String>,
    chosen: Option<Chosen>,
    /// While the office runs in outage mode today: that it serves people without a
    /// booking, in words.
    outage: Option<String>,
}

/// `GET /offices/{code}`: the month calendar.
pub async fn calendar(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(code): Path<String>,
    Query(q): Query<CalendarQuery>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let office = crate::planning::office(&state, &code).await?;
    let first_bookable = availability::first_bookable_date(&state, &office);
    let this_month = month_start(first_bookable);
    let (_, horizon_end) = availability::search_range(&state, &office);
    let last_month = month_start(horizon_end);
    let chosen_date = q.date.as_deref().and_then(iso_date);
    let month = q
        .month
        .as_deref()
        .and_then(|m| iso_date(&format!("{m}-01")))
        .or(chosen_date.map(month_start))
        .unwrap_or(this_month)
        .clamp(this_month, last_month);
    let month_end = month
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(month);
    let today = loket_domain::release::local_date(state.now(), office.time_zone);
    let read = state
        .calendars
        .get_or_build(
            (
                state.store.reference_version(),
                office.code.clone(),
                month,
                month_end,
            ),
            || async {
                let availability =
                    availability::read(&state, &office.code, month, month_end).await?;
                let outage_today = state
                    .store
                    .outage_on(&office.code, today)
                    .await
                    .map_err(crate::usecases::Refusal::from)?;
                Ok::<_, crate::usecases::Refusal>(Arc::new(CalendarMonth {
                    availability,
                    outage_today,
                }))
            },
        )
        .await?;
    let a = &read.availability;
    let chosen = chosen_date
        .and_then(|d| a.days.iter().find(|day| day.date == d))
        .map(|d| chosen_view(t, a, d));
    let iso_month = |d: NaiveDate| format!("/offices/{}?month={}", office.code, d.format("%Y-%m"));
    let prev = month
        .checked_sub_months(Months::new(1))
        .filter(|p| *p >= this_month)
        .map(iso_month);
    let next = month
        .checked_add_months(Months::new(1))
        .filter(|n| *n <= last_month)
        .map(iso_month);
    // Outage mode today: the office serves people without a booking at its front desk.
    let outage = read.outage_today.then(|| {
        t.f(
            "calendar.outage",
            &[("office", &office.name), ("date", &long_date(t, today))],
        )
    });
    let page = CalendarPage {
        c: Chrome::new(&ctx, t.f("calendar.title", &[("office", &office.name)])),
        office_code: office.code.clone(),
        address: office.address_or_city().to_owned(),
        zone: office.zone_label(),
        month_label: month_year(t, month),
        weekdays: weekday_abbrs(t),
        weeks: weeks(t, a, month, chosen_date),
        prev,
        next,
        chosen,
        outage,
    };
    Ok(render(&page))
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The grid of `month`, Monday first, with blanks before the first and after the last day.
fn weeks(t: Tr, a: &Availability, month: NaiveDate, chosen: Option<NaiveDate>) -> Vec<Vec<Cell>> {
    let blank = || Cell {
        day: 0,
        iso: String::new(),
        class: "",
        short: String::new(),
        long: String::new(),
        selected: false,
    };
    let mut cells: Vec<Cell> = (0..month.weekday().num_days_from_monday())
        .map(|_| blank())
        .collect();
    for d in &a.days {
        let (class, short, long) = describe(t, a, d);
        cells.push(Cell {
            day: d.date.day(),
            iso: d.date.to_string(),
            class,
            short,
            long,
            selected: chosen == Some(d.date),
        });
    }
    while !cells.len().is_multiple_of(7) {
        cells.push(blank());
    }
    let mut out = Vec::new();
    let mut it = cells.into_iter().peekable();
    while it.peek().is_some() {
        out.push(it.by_ref().take(7).collect());
    }
    out
}

/// A day's CSS class, its short label in the grid and its status in words.
fn describe(t: Tr, a: &Availability, d: &Day) -> (&'static str, String, String) {
    let zone = a.office.time_zone;
    match &d.kind {
        DayKind::Open => {
            let n = d.online_left().to_string();
            (
                "open",
                t.f("calendar.short_open", &[("n", &n)]),
                t.f("calendar.open", &[("n", &n)]),
            )
        }
        DayKind::Full => (
            "full",
            t.s("calendar.short_full").to_owned(),
            t.s("calendar.full").to_owned(),
        ),
        DayKind::Past => ("past", String::new(), t.s("calendar.past").to_owned()),
        DayKind::BeyondHorizon => ("past", String::new(), t.s("calendar.beyond").to_owned()),
        DayKind::NotReleased(at) => (
            "soon",
            t.s("calendar.short_soon").to_owned(),
            t.f("calendar.not_released", &[("at", &date_time(t, *at, zone))]),
        ),
        DayKind::Closed(reason) => {
            use loket_domain::calendar::ClosedReason as R;
            let why = match reason {
                R::Weekend => t.s("calendar.closed_weekend").to_owned(),
                R::Holiday { name_id, name_en } | R::CollectiveLeave { name_id, name_en } => {
                    if t.lang() == Lang::En {
                        name_en.clone()
                    } else {
                        name_id.clone()
                    }
                }
                R::OfficeClosure { reason, .. } => {
                    t.f("calendar.closed_office", &[("reason", reason)])
                }
            };
            (
                "closed",
                t.s("calendar.short_closed").to_owned(),
                t.f("calendar.closed", &[("why", &why)]),
            )
        }
    }
}

fn chosen_view(t: Tr, a: &Availability, d: &Day) -> Chosen {
    let zone = a.office.time_zone;
    let (_, _, status) = describe(t, a, d);
    let sessions = if d.kind == DayKind::Open {
        d.sessions
            .iter()
            .map(|s| {
                let left = s.online_left();
                SessionRow {
                    code: s.session.code.clone(),
                    hours: hours(t, s.session.start, s.session.end, zone),
                    left,
                    places: if left > 0 {
                        t.f("calendar.places_left", &[("n", &left.to_string())])
                    } else {
                        t.s("calendar.short_full").to_owned()
                    },
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Chosen {
        iso: d.date.to_string(),
        label: long_date(t, d.date),
        status,
        sessions,
    }
}

/// Dates of a month, for tests.
#[cfg(test)]
fn days_in(month: NaiveDate) -> u32 {
    let next = month.checked_add_months(Months::new(1)).unwrap_or(month);
    u32::try_from((next - month).num_days()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use chrono::Days;

    use super::*;

    #[test]
    fn a_month_grid_starts_on_monday_and_fills_whole_weeks() {
        // December 2026 starts on a Tuesday and has 31 days.
        let month = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(days_in(month), 31);
        let office = loket_domain::Office {
            code: "palembang".into(),
            region_code: "sumsel".into(),
            name: "Kantor Imigrasi Palembang".into(),
            time_zone: chrono_tz::Asia::Jakarta,
            address: None,
            city: "Palembang".into(),
            open_weekdays: loket_domain::calendar::WeekdaySet::mon_to_fri(),
            sessions: vec![],
            release: loket_domain::release::ReleaseRule::Rolling {
                days_ahead: 30,
                at: chrono::NaiveTime::MIN,
            },
            booking_horizon_days: 60,
            allocation_policy: Default::default(),
        };
        let days = (0..31)
            .map(|i| Day {
                date: month.checked_add_days(Days::new(i)).unwrap(),
                kind: DayKind::Past,
                sessions: vec![],
            })
            .collect();
        let a = Availability { office, days };
        let w = weeks(Tr(Lang::Id), &a, month, None);
        assert_eq!(w.len(), 5);
        assert!(w.iter().all(|row| row.len() == 7));
        assert_eq!(w[0][0].day, 0);
        assert_eq!(w[0][1].day, 1);
        assert_eq!(w[4][3].day, 31);
        assert_eq!(w[4][4].day, 0);
    }
}
