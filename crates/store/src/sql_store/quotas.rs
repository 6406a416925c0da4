//! Quotas: weekday defaults, per-date overrides and bulk changes, never below the places taken
//! (the domain's rule), each audited in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use loket_domain::quota::{Adjusted, QuotaAdjustment, QuotaPlan, ServiceClass};
use loket_domain::weekday::{from_index as weekday_from_index, index as weekday_index};

use super::SqlStore;
use crate::QuotaStore;
use crate::allocation::*;
use crate::args;
use crate::db::Tx;
use crate::db::pick;
use crate::error::corrupt;
use crate::error::{StoreError, StoreResult};
use crate::history::*;
use crate::rows::*;
use crate::sql::*;
use crate::types::*;

/// The capacity of (date, session, class) now: its slot's, else the date's override, else
/// the weekday default, else zero (the order `INSERT_SLOT` uses to make a slot).
pub(crate) async fn capacity_in_force(
    tx: &mut Tx,
    office: &str,
    date: NaiveDate,
    session: &str,
    class: ServiceClass,
) -> StoreResult<i64> {
    let key = || args![office, date, session, class.as_str()];
    if let Some(r) = tx.fetch_optional(SLOT_CAPACITY, key()).await? {
        return Ok(r.i64("capacity")?);
    }
    if let Some(r) = tx.fetch_optional(GET_QUOTA_OVERRIDE, key()).await? {
        return Ok(r.i64("capacity")?);
    }
    let default = tx
        .fetch_optional(
            GET_QUOTA_DEFAULT,
            args![
                office,
                weekday_index(date.weekday()),
                session,
                class.as_str()
            ],
        )
        .await?;
    Ok(match default {
        Some(r) => r.i64("capacity")?,
        None => 0,
    })
}

/// Applies a new capacity to an existing slot (if any), never below its taken places.
/// Returns the capacity actually set and whether it was clamped.
pub(crate) async fn apply_slot_capacity(
    tx: &mut Tx,
    office: &str,
    date: NaiveDate,
    session: &str,
    class: ServiceClass,
    wanted: i64,
    clamp: bool,
    now: DateTime<Utc>,
) -> StoreResult<(i64, bool)> {
    let lock = pick(tx.backend(), LOCK_SLOT);
    let Some(row) = tx
        .fetch_optional(lock, args![office, date, session, class.as_str()])
        .await?
    else {
        return Ok((wanted, false));
    };
    let slot_id = row.i64("id")?;
    let t = taken(tx, slot_id, now).await?;
    let (cap, clamped) = keeping_taken(wanted, t);
    if clamped && !clamp {
        return Err(StoreError::CapacityBelowTaken { taken: t });
    }
    tx.execute(SET_SLOT_CAPACITY, args![slot_id, cap]).await?;
    Ok((cap, clamped))
}

/// `Adjusted::keeping_taken` (the domain's rule) on the store's integers.
pub(crate) fn keeping_taken(wanted: i64, taken: i64) -> (i64, bool) {
    let u = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    let a = Adjusted::keeping_taken(u(wanted), u(taken));
    (i64::from(a.capacity), a.clamped)
}

/// Writes one date's capacity as an override and audits it (`action`, from the first of
/// `change` to the second), in the caller's transaction.
async fn put_override(
    tx: &mut Tx,
    office: &str,
    (date, session, class): (NaiveDate, &str, ServiceClass),
    (before, after): (i64, i64),
    actor: &Actor,
    now: DateTime<Utc>,
    action: &str,
) -> StoreResult<()> {
    tx.execute(
        UPSERT_QUOTA_OVERRIDE,
        args![office, date, session, class.as_str(), after],
    )
    .await?;
    let subject = format!("{date}/{session}/{}", class.as_str());
    audit(
        tx,
        now,
        actor,
        Some(office),
        action,
        &subject,
        Some(before.to_string()),
        Some(after.to_string()),
    )
    .await
}
#[async_trait]
impl QuotaStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "store.quota_plan", skip_all)]
    async fn quota_plan(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<QuotaPlan> {
        let mut plan = QuotaPlan::new();
        for d in self.quota_defaults(office).await? {
            plan.set_default(
                d.weekday,
                &d.session_code,
                d.class,
                u32::try_from(d.capacity).unwrap_or(0),
            );
        }
        for o in self.quota_overrides(office, from, to).await? {
            plan.set_override(
                o.service_date,
                &o.session_code,
                o.class,
                u32::try_from(o.capacity).unwrap_or(0),
            );
        }
        Ok(plan)
    }

    #[tracing::instrument(level = "debug", name = "store.quota_defaults", skip_all)]
    async fn quota_defaults(&self, office: &str) -> StoreResult<Vec<QuotaDefaultRow>> {
        self.pool
            .fetch_all(LIST_QUOTA_DEFAULTS, args![office])
            .await?
            .iter()
            .map(|r| {
                Ok(QuotaDefaultRow {
                    weekday: weekday_from_index(r.i64("weekday")?)
                        .ok_or_else(|| corrupt("weekday"))?,
                    session_code: r.text("session_code")?,
                    class: class_of(r, "class")?,
                    capacity: r.i64("capacity")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.quota_overrides", skip_all)]
    async fn quota_overrides(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<QuotaOverrideRow>> {
        self.pool
            .fetch_all(LIST_QUOTA_OVERRIDES, args![office, from, to])
            .await?
            .iter()
            .map(|r| {
                Ok(QuotaOverrideRow {
                    service_date: r.date("service_date")?,
                    session_code: r.text("session_code")?,
                    class: class_of(r, "class")?,
                    capacity: r.i64("capacity")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.set_quota_default", skip_all)]
    async fn set_quota_default(
        &self,
        office: &str,
        weekday: Weekday,
        session: &str,
        class: ServiceClass,
        capacity: i64,
        from_date: NaiveDate,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CapacityChange>> {
        let mut tx = self.begin_write().await?;
        let lock = pick(tx.backend(), LOCK_OFFICE);
        tx.fetch_optional(lock, args![office])
            .await?
            .ok_or(StoreError::NotFound)?;
        let wd = weekday_index(weekday);
        let before = tx
            .fetch_optional(
                GET_QUOTA_DEFAULT,
                args![office, wd, session, class.as_str()],
            )
            .await?
            .map(|r| r.i64("capacity"))
            .transpose()?
            .unwrap_or(0);
        tx.execute(
            UPSERT_QUOTA_DEFAULT,
            args![office, wd, session, class.as_str(), capacity],
        )
        .await?;
        let subject = format!("{}/{session}/{}", weekday_code(weekday), class.as_str());
        audit(
            &mut tx,
            now,
            actor,
            Some(office),
            "quota.default",
            &subject,
            Some(before.to_string()),
            Some(capacity.to_string()),
        )
        .await?;
        let mut changes = vec![CapacityChange {
            service_date: None,
            weekday: Some(weekday_code(weekday).to_owned()),
            session_code: session.to_owned(),
            class,
            before,
            after: capacity,
            clamped: false,
        }];
        // Slots already created follow the default, unless taken places forbid it: those
        // keep their taken count as an explicit override, so nobody loses a place.
        let following = tx
            .fetch_all(
                SLOTS_FOLLOWING_DEFAULT,
                args![office, session, class.as_str(), from_date],
            )
            .await?;
        for r in following {
            let date = r.date("service_date")?;
            if date.weekday() != weekday {
                continue;
            }
            let slot_id = r.i64("id")?;
            let old = lock_slot_by_id(&mut tx, slot_id).await?;
            let t = taken(&mut tx, slot_id, now).await?;
            let (cap, clamped) = keeping_taken(capacity, t);
            tx.execute(SET_SLOT_CAPACITY, args![slot_id, cap]).await?;
            if clamped {
                let at = (date, session, class);
                put_override(
                    &mut tx,
                    office,
                    at,
                    (old, cap),
                    actor,
                    now,
                    "quota.override.clamped",
                )
                .await?;
                changes.push(CapacityChange {
                    service_date: Some(date),
                    weekday: None,
                    session_code: session.to_owned(),
                    class,
                    before: old,
                    after: cap,
                    clamped,
                });
            }
        }
        tx.commit().await?;
        Ok(changes)
    }

    #[tracing::instrument(level = "debug", name = "store.set_quota_override", skip_all)]
    async fn set_quota_override(
        &self,
        office: &str,
        date: NaiveDate,
        session: &str,
        class: ServiceClass,
        capacity: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<CapacityChange> {
        let mut tx = self.begin_write().await?;
        let lock = pick(tx.backend(), LOCK_OFFICE);
        tx.fetch_optional(lock, args![office])
            .await?
            .ok_or(StoreError::NotFound)?;
        let before = match tx
            .fetch_optional(
                GET_QUOTA_OVERRIDE,
                args![office, date, session, class.as_str()],
            )
            .await?
        {
            Some(r) => r.i64("capacity")?,
            None => tx
                .fetch_optional(
                    GET_QUOTA_DEFAULT,
                    args![
                        office,
                        weekday_index(date.weekday()),
                        session,
                        class.as_str()
                    ],
                )
                .await?
                .map(|r| r.i64("capacity"))
                .transpose()?
                .unwrap_or(0),
        };
        let (cap, _) =
            apply_slot_capacity(&mut tx, office, date, session, class, capacity, false, now)
                .await?;
        let at = (date, session, class);
        put_override(
            &mut tx,
            office,
            at,
            (before, cap),
            actor,
            now,
            "quota.override",
        )
        .await?;
        tx.commit().await?;
        Ok(CapacityChange {
            service_date: Some(date),
            weekday: None,
            session_code: session.to_owned(),
            class,
            before,
            after: cap,
            clamped: false,
        })
    }

    #[tracing::instrument(level = "debug", name = "store.bulk_adjust_quota", skip_all)]
    async fn bulk_adjust_quota(
        &self,
        office: &str,
        targets: &[(NaiveDate, String, ServiceClass)],
        adjustment: QuotaAdjustment,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CapacityChange>> {
        let mut tx = self.begin_write().await?;
        let lock = pick(tx.backend(), LOCK_OFFICE);
        tx.fetch_optional(lock, args![office])
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut changes = Vec::with_capacity(targets.len());
        for (date, session, class) in targets {
            let current = &capacity_in_force(&mut tx, office, *date, session, *class).await?;
            let current_u = u32::try_from(*current).unwrap_or(0);
            let wanted = i64::from(adjustment.apply(current_u, 0).capacity);
            let (cap, clamped) =
                apply_slot_capacity(&mut tx, office, *date, session, *class, wanted, true, now)
                    .await?;
            let action = if clamped {
                "quota.bulk.clamped"
            } else {
                "quota.bulk"
            };
            let at = (*date, session.as_str(), *class);
            put_override(&mut tx, office, at, (*current, cap), actor, now, action).await?;
            changes.push(CapacityChange {
                service_date: Some(*date),
                weekday: None,
                session_code: session.clone(),
                class: *class,
                before: *current,
                after: cap,
                clamped,
            });
        }
        tx.commit().await?;
        Ok(changes)
    }

    #[tracing::instrument(level = "debug", name = "store.audit_log", skip_all)]
    async fn audit_log(&self, office: Option<&str>, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        let rows = match office {
            Some(o) => {
                self.pool
                    .fetch_all(LIST_AUDIT_OFFICE, args![o, limit])
                    .await?
            }
            None => self.pool.fetch_all(LIST_AUDIT_ALL, args![limit]).await?,
        };
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.i64("id")?,
                    at: r.time("at")?,
                    actor: r.text("actor_name")?,
                    office_code: r.opt_text("office_code")?,
                    action: r.text("action")?,
                    subject: r.text("subject")?,
                    before: r.opt_text("before_value")?,
                    after: r.opt_text("after_value")?,
                })
            })
            .collect()
    }
}
