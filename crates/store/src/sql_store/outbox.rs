//! The mail outbox: queued, claimed by one worker at a time, marked sent or failed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::SqlStore;
use crate::OutboxStore;
use crate::args;
use crate::error::StoreResult;
use crate::rows::*;
use crate::sql::*;
use crate::types::*;

#[async_trait]
impl OutboxStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "store.enqueue_mail", skip_all)]
    async fn enqueue_mail(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.pool
            .execute(INSERT_MAIL, args![Uuid::now_v7(), to, subject, body, now])
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.unsent_mail", skip_all)]
    async fn unsent_mail(&self, limit: i64) -> StoreResult<Vec<Mail>> {
        self.pool
            .fetch_all(UNSENT_MAIL, args![limit])
            .await?
            .iter()
            .map(mail_from_row)
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.claim_mail", skip_all)]
    async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Mail>> {
        let mut tx = self.begin_write().await?;
        let rows = tx
            .fetch_all(CLAIM_MAIL, args![now, lease_until, limit])
            .await?;
        tx.commit().await?;
        rows.iter().map(mail_from_row).collect()
    }

    #[tracing::instrument(level = "debug", name = "store.mark_mail", skip_all)]
    async fn mark_mail(&self, id: Uuid, result: Result<DateTime<Utc>, String>) -> StoreResult<()> {
        match result {
            Ok(at) => self.pool.execute(MARK_MAIL_SENT, args![id, at]).await?,
            Err(e) => self.pool.execute(MARK_MAIL_FAILED, args![id, e]).await?,
        };
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.recent_mail", skip_all)]
    async fn recent_mail(&self, to: Option<&str>, limit: i64) -> StoreResult<Vec<Mail>> {
        let rows = match to {
            Some(t) => self.pool.fetch_all(RECENT_MAIL_TO, args![t, limit]).await?,
            None => self.pool.fetch_all(RECENT_MAIL, args![limit]).await?,
        };
        rows.iter().map(mail_from_row).collect()
    }
}
