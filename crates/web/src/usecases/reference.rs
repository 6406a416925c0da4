//! Changing what the calendar and the quotas are made of: weekday defaults, one date's
//! capacity, a bulk change over a period, national holidays, an office's closures. Each
//! change is one audited store call; the store's cache forgets the copies it makes stale in
//! that same call (`loket_store::CachedStore`), and other instances see the change within
//! their caches' lifetime (1 s).

use chrono::{Days, NaiveDate, Weekday};
use loket_domain::Office;
use loket_domain::calendar::{Holiday, OfficeException};
use loket_domain::quota::{QuotaAdjustment, ServiceClass};
use loket_store::{Actor, CapacityChange};

use super::{Refusal, UseCaseResult};
use crate::planning::OfficePlan;
use crate::state::AppState;

/// Sets a weekday default from today (office-local) on; the office's existing future slots
/// that follow the default change too, never below their places taken.
#[tracing::instrument(name = "usecase.quotas.set_default", skip_all, fields(office = %office.code))]
pub async fn set_quota_default(
    state: &AppState,
    actor: &Actor,
    office: &Office,
    weekday: Weekday,
    session: &str,
    class: ServiceClass,
    capacity: i64,
) -> UseCaseResult<Vec<CapacityChange>> {
    let now = state.now();
    let today = loket_domain::release::local_date(now, office.time_zone);
    let r = state
        .store
        .set_quota_default(
            &office.code,
            weekday,
            session,
            class,
            capacity,
            today,
            actor,
            now,
        )
        .await;
    Ok(r?)
}

/// Sets one date's capacity; refused below the places taken.
#[tracing::instrument(name = "usecase.quotas.set_override", skip_all, fields(office = %office.code))]
pub async fn set_quota_override(
    state: &AppState,
    actor: &Actor,
    office: &Office,
    date: NaiveDate,
    session: &str,
    class: ServiceClass,
    capacity: i64,
) -> UseCaseResult<CapacityChange> {
    let r = state
        .store
        .set_quota_override(
            &office.code,
            date,
            session,
            class,
            capacity,
            actor,
            state.now(),
        )
        .await;
    Ok(r?)
}

/// Applies one adjustment to every open date of `from..=to`, in the named sessions that run
/// that day and the named classes, each kept at or above its places taken.
#[tracing::instrument(name = "usecase.quotas.bulk", skip_all, fields(office = %office.code))]
pub async fn bulk_adjust_quota(
    state: &AppState,
    actor: &Actor,
    office: Office,
    (from, to): (NaiveDate, NaiveDate),
    sessions: &[String],
    classes: &[ServiceClass],
    adjustment: QuotaAdjustment,
) -> UseCaseResult<Vec<CapacityChange>> {
    let plan = OfficePlan::load(state, office, from, to).await?;
    let mut targets = Vec::new();
    let mut date = from;
    while date <= to {
        if plan.calendar.is_open(date) {
            for s in plan
                .office
                .sessions_on(date)
                .filter(|s| sessions.contains(&s.code))
            {
                for class in classes {
                    targets.push((date, s.code.clone(), *class));
                }
            }
        }
        match date.checked_add_days(Days::new(1)) {
            Some(d) => date = d,
            None => break,
        }
    }
    let r = state
        .store
        .bulk_adjust_quota(&plan.office.code, &targets, adjustment, actor, plan.now)
        .await;
    Ok(r?)
}

/// Adds or changes a national holiday.
pub async fn put_holiday(state: &AppState, actor: &Actor, h: &Holiday) -> UseCaseResult<()> {
    let r = state
        .store
        .upsert_holidays(std::slice::from_ref(h), actor)
        .await;
    Ok(r?)
}

/// Removes a national holiday.
pub async fn delete_holiday(state: &AppState, actor: &Actor, date: NaiveDate) -> UseCaseResult<()> {
    let r = state.store.delete_holiday(date, actor).await;
    if r? {
        Ok(())
    } else {
        Err(Refusal::NotFound("holiday"))
    }
}

/// Closes or opens an office on a date.
pub async fn set_closure(
    state: &AppState,
    actor: &Actor,
    office: &Office,
    e: &OfficeException,
) -> UseCaseResult<()> {
    let r = state
        .store
        .set_office_exception(&office.code, e, actor)
        .await;
    Ok(r?)
}

/// Removes an office's closure or opening.
pub async fn delete_closure(
    state: &AppState,
    actor: &Actor,
    office: &Office,
    date: NaiveDate,
) -> UseCaseResult<()> {
    let r = state
        .store
        .delete_office_exception(&office.code, date, actor)
        .await;
    if r? {
        Ok(())
    } else {
        Err(Refusal::NotFound("closure"))
    }
}
