//! Regions, offices and their sessions, the national calendar, office exceptions, fee tables.

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use loket_domain::calendar::{Holiday, OfficeException};
use loket_domain::catalogue::FeeTable;
use loket_domain::{Office, SessionWindow};

use super::SqlStore;
use crate::ReferenceStore;
use crate::args;
use crate::error::StoreResult;
use crate::error::corrupt;
use crate::history::*;
use crate::rows::*;
use crate::sql::*;
use crate::types::*;

#[async_trait]
impl ReferenceStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "store.upsert_region", skip_all)]
    async fn upsert_region(&self, code: &str, name: &str) -> StoreResult<()> {
        self.pool.execute(UPSERT_REGION, args![code, name]).await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.upsert_office", skip_all)]
    async fn upsert_office(&self, o: &Office) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tx.execute(
            UPSERT_OFFICE,
            args![
                o.code.clone(),
                o.region_code.clone(),
                o.name.clone(),
                o.time_zone.name(),
                o.address.clone(),
                o.city.clone(),
                i64::from(o.open_weekdays.bits()),
                to_json(&o.release),
                i64::from(o.booking_horizon_days),
                o.allocation_policy.as_str()
            ],
        )
        .await?;
        tx.execute(DELETE_OFFICE_SESSIONS, args![o.code.clone()])
            .await?;
        for (i, s) in o.sessions.iter().enumerate() {
            tx.execute(
                INSERT_OFFICE_SESSION,
                args![
                    o.code.clone(),
                    s.code.clone(),
                    s.name.clone(),
                    s.start.format("%H:%M").to_string(),
                    s.end.format("%H:%M").to_string(),
                    i64::from(s.weekdays.bits()),
                    i64::try_from(i).unwrap_or(i64::MAX)
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.list_offices", skip_all)]
    async fn list_offices(&self) -> StoreResult<Vec<Office>> {
        let sessions = self.pool.fetch_all(LIST_ALL_SESSIONS, vec![]).await?;
        let mut by_office: std::collections::HashMap<String, Vec<SessionWindow>> =
            std::collections::HashMap::new();
        for r in &sessions {
            let (office, s) = session_from_row(r)?;
            by_office.entry(office).or_default().push(s);
        }
        let rows = self.pool.fetch_all(LIST_OFFICES, vec![]).await?;
        rows.iter()
            .map(|r| {
                let code = r.text("code")?;
                office_from_row(r, by_office.remove(&code).unwrap_or_default())
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.get_office", skip_all)]
    async fn get_office(&self, code: &str) -> StoreResult<Option<Office>> {
        let Some(row) = self.fetch_by_key(GET_OFFICE, args![code]).await? else {
            return Ok(None);
        };
        let sessions = self
            .pool
            .fetch_all(LIST_OFFICE_SESSIONS, args![code])
            .await?
            .iter()
            .map(|r| session_from_row(r).map(|(_, s)| s))
            .collect::<StoreResult<Vec<_>>>()?;
        office_from_row(&row, sessions).map(Some)
    }

    #[tracing::instrument(level = "debug", name = "store.region_name", skip_all)]
    async fn region_name(&self, code: &str) -> StoreResult<Option<String>> {
        let row = self.fetch_by_key(REGION_NAME, args![code]).await?;
        Ok(row.map(|r| r.text("name")).transpose()?)
    }

    #[tracing::instrument(level = "debug", name = "store.upsert_holidays", skip_all)]
    async fn upsert_holidays(&self, holidays: &[Holiday], actor: &Actor) -> StoreResult<()> {
        let now = Utc::now();
        let mut tx = self.begin_write().await?;
        for h in holidays {
            let before = tx.fetch_optional(GET_HOLIDAY, args![h.date]).await?;
            let before = before.map(|r| holiday_from_row(&r)).transpose()?;
            tx.execute(
                UPSERT_HOLIDAY,
                args![
                    h.date,
                    h.kind.as_str(),
                    h.name_id.clone(),
                    h.name_en.clone()
                ],
            )
            .await?;
            if before.as_ref() != Some(h) {
                audit(
                    &mut tx,
                    now,
                    actor,
                    None,
                    "holiday.put",
                    &h.date.to_string(),
                    before.as_ref().map(to_json),
                    Some(to_json(h)),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.delete_holiday", skip_all)]
    async fn delete_holiday(&self, date: NaiveDate, actor: &Actor) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let before = tx.fetch_optional(GET_HOLIDAY, args![date]).await?;
        let Some(before) = before.map(|r| holiday_from_row(&r)).transpose()? else {
            return Ok(false);
        };
        tx.execute(DELETE_HOLIDAY, args![date]).await?;
        let subject = date.to_string();
        audit(
            &mut tx,
            Utc::now(),
            actor,
            None,
            "holiday.delete",
            &subject,
            Some(to_json(&before)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", name = "store.list_holidays", skip_all)]
    async fn list_holidays(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<Holiday>> {
        self.pool
            .fetch_all(LIST_HOLIDAYS, args![from, to])
            .await?
            .iter()
            .map(holiday_from_row)
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.set_office_exception", skip_all)]
    async fn set_office_exception(
        &self,
        office: &str,
        e: &OfficeException,
        actor: &Actor,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let before = tx
            .fetch_optional(GET_EXCEPTION, args![office, e.date])
            .await?;
        let before = before.map(|r| exception_from_row(&r)).transpose()?;
        tx.execute(
            UPSERT_EXCEPTION,
            args![office, e.date, e.kind.as_str(), e.reason.clone()],
        )
        .await?;
        let subject = e.date.to_string();
        audit(
            &mut tx,
            Utc::now(),
            actor,
            Some(office),
            "calendar.exception.put",
            &subject,
            before.as_ref().map(to_json),
            Some(to_json(e)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.delete_office_exception", skip_all)]
    async fn delete_office_exception(
        &self,
        office: &str,
        date: NaiveDate,
        actor: &Actor,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let before = tx
            .fetch_optional(GET_EXCEPTION, args![office, date])
            .await?;
        let Some(before) = before.map(|r| exception_from_row(&r)).transpose()? else {
            return Ok(false);
        };
        tx.execute(DELETE_EXCEPTION, args![office, date]).await?;
        let subject = date.to_string();
        audit(
            &mut tx,
            Utc::now(),
            actor,
            Some(office),
            "calendar.exception.delete",
            &subject,
            Some(to_json(&before)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", name = "store.calendar_inputs", skip_all)]
    async fn calendar_inputs(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<CalendarInputs> {
        let holidays = self.list_holidays(from, to).await?;
        let exceptions = self
            .pool
            .fetch_all(LIST_EXCEPTIONS, args![office, from, to])
            .await?
            .iter()
            .map(exception_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(CalendarInputs {
            holidays,
            exceptions,
        })
    }

    #[tracing::instrument(level = "debug", name = "store.put_fee_tables", skip_all)]
    async fn put_fee_tables(&self, tables: &[FeeTable]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tx.execute(DELETE_FEE_TABLES, vec![]).await?;
        for t in tables {
            tx.execute(
                INSERT_FEE_TABLE,
                args![t.code.clone(), t.effective_from, to_json(t)],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.fee_tables", skip_all)]
    async fn fee_tables(&self) -> StoreResult<Vec<FeeTable>> {
        self.pool
            .fetch_all(LIST_FEE_TABLES, vec![])
            .await?
            .iter()
            .map(|r| serde_json::from_str(&r.text("body")?).map_err(|_| corrupt("fee table")))
            .collect()
    }
}
