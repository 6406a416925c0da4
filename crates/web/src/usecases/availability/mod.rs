//! Reading an office's availability over a period: each date's status (open, full, past,
//! closed and why, not yet released and when, beyond the horizon) and the places left per
//! session and class, from the calendar, the quota plan and the store's kept counters. The
//! JSON API and the calendar page render the same value.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use loket_domain::Office;
use loket_domain::quota::ServiceClass;
use loket_domain::release::local_date;

pub use view::*;

use super::UseCaseResult;
use crate::planning::{self, DayStatus, OfficePlan};
use crate::state::AppState;

pub mod view;

/// The availability of office `code` over `from..=to`, read now.
pub async fn read(
    state: &AppState,
    code: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> UseCaseResult<Availability> {
    let office = planning::office(state, code).await?;
    let plan = OfficePlan::load(state, office, from, to).await?;
    let usage: HashMap<_, _> = state
        .store
        .slot_usage(&plan.office.code, from, to, plan.now)
        .await?
        .into_iter()
        .map(|u| (u.key.clone(), u))
        .collect();
    let mut days = Vec::new();
    let mut date = from;
    while date <= to {
        let status = plan.day_status(date);
        let mut sessions = Vec::new();
        let mut any_left = false;
        if !matches!(status, DayStatus::Closed(_)) {
            for s in plan.office.sessions_on(date) {
                let classes = ServiceClass::ALL
                    .into_iter()
                    .map(|class| {
                        let key = plan.slot(date, &s.code, class);
                        let (capacity, taken) = match usage.get(&key) {
                            Some(u) => (u.capacity, u.taken),
                            None => (plan.planned_capacity(date, &s.code, class), 0),
                        };
                        let remaining = if status == DayStatus::Open && class.bookable_online() {
                            (capacity - taken).max(0)
                        } else {
                            0
                        };
                        any_left |= remaining > 0;
                        ClassPlaces {
                            class,
                            capacity,
                            remaining,
                        }
                    })
                    .collect();
                sessions.push(SessionPlaces {
                    session: s.clone(),
                    classes,
                });
            }
        }
        let kind = match status {
            DayStatus::Open if any_left => DayKind::Open,
            DayStatus::Open => DayKind::Full,
            DayStatus::Past => DayKind::Past,
            DayStatus::Closed(r) => DayKind::Closed(r),
            DayStatus::NotReleased(at) => DayKind::NotReleased(at),
            DayStatus::BeyondHorizon => DayKind::BeyondHorizon,
        };
        days.push(Day {
            date,
            kind,
            sessions,
        });
        match date.checked_add_days(Days::new(1)) {
            Some(d) => date = d,
            None => break,
        }
    }
    Ok(Availability {
        office: plan.office,
        days,
    })
}

/// Tomorrow in `office`'s zone: the first date an applicant can book online.
pub fn first_bookable_date(state: &AppState, office: &Office) -> NaiveDate {
    let today = local_date(state.now(), office.time_zone);
    today.checked_add_days(Days::new(1)).unwrap_or(today)
}

/// The period the "next free date" of an office is looked for in: from tomorrow, as far
/// as one availability read may reach.
pub fn search_range(state: &AppState, office: &Office) -> (NaiveDate, NaiveDate) {
    let from = first_bookable_date(state, office);
    let span = u64::try_from(planning::MAX_RANGE_DAYS - 1).unwrap_or(61);
    let to = from.checked_add_days(Days::new(span)).unwrap_or(from);
    (from, to)
}

/// Every office with its next date that has places, ordered by region and name. Built at
/// most once per availability TTL however many start pages ask (it reads every office).
pub async fn next_free_dates(state: &AppState) -> UseCaseResult<std::sync::Arc<Vec<OfficeNext>>> {
    state
        .office_summaries
        .get_or_build(state.store.reference_version(), || async {
            let mut offices = state.store.list_offices().await?;
            offices.sort_by(|a, b| (&a.region_code, &a.name).cmp(&(&b.region_code, &b.name)));
            let mut regions: HashMap<String, String> = HashMap::new();
            let mut out = Vec::with_capacity(offices.len());
            for office in offices {
                if !regions.contains_key(&office.region_code) {
                    let name = state
                        .store
                        .region_name(&office.region_code)
                        .await?
                        .unwrap_or_else(|| office.region_code.clone());
                    regions.insert(office.region_code.clone(), name);
                }
                let (from, to) = search_range(state, &office);
                let a = read(state, &office.code, from, to).await?;
                let next = a.first_open().map(|d| (d.date, d.online_left()));
                let region_name = regions
                    .get(&office.region_code)
                    .cloned()
                    .unwrap_or_default();
                out.push(OfficeNext {
                    office,
                    region_name,
                    next,
                });
            }
            Ok(std::sync::Arc::new(out))
        })
        .await
}
