//! Applicant accounts and their verification, staff, login tokens, and the people an
//! account applies for.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::SqlStore;
use crate::AccountStore;
use crate::args;
use crate::db::is_unique_violation;
use crate::db::{Tx, pick};
use crate::error::corrupt;
use crate::error::{StoreError, StoreResult};
use crate::rows::*;
use crate::sql::*;
use crate::types::*;

#[async_trait]
impl AccountStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "store.create_account", skip_all)]
    async fn create_account(&self, a: &NewAccount, now: DateTime<Utc>) -> StoreResult<Uuid> {
        let id = Uuid::now_v7();
        let r = self
            .pool
            .execute(
                INSERT_ACCOUNT,
                args![
                    id,
                    a.email.clone(),
                    a.password_hash.clone(),
                    a.full_name.clone(),
                    a.birth_date,
                    a.sex.as_str(),
                    a.phone.clone(),
                    a.locale.clone(),
                    now
                ],
            )
            .await;
        match r {
            Ok(_) => Ok(id),
            Err(e) if is_unique_violation(&e, "email") => Err(StoreError::EmailTaken),
            Err(e) => Err(e.into()),
        }
    }

    #[tracing::instrument(level = "debug", name = "store.account_auth", skip_all)]
    async fn account_auth(&self, email: &str) -> StoreResult<Option<AccountAuth>> {
        let row = self.fetch_by_key(ACCOUNT_AUTH, args![email]).await?;
        row.map(|r| {
            Ok(AccountAuth {
                id: r.uuid("id")?,
                password_hash: r.text("password_hash")?,
                verified: r.opt_time("email_verified_at")?.is_some(),
            })
        })
        .transpose()
    }

    #[tracing::instrument(level = "debug", name = "store.get_account", skip_all)]
    async fn get_account(&self, id: Uuid) -> StoreResult<Option<Account>> {
        if let Some(b) = &self.batched {
            return b.accounts.lookup(&self.pool, id).await;
        }
        let row = self.fetch_by_key(GET_ACCOUNT, args![id]).await?;
        row.map(|r| account_from_row(&r)).transpose()
    }

    #[tracing::instrument(level = "debug", name = "store.put_verification", skip_all)]
    async fn put_verification(
        &self,
        account: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.put_code(&VERIFICATION_CODE, account, code_hash, expires_at)
            .await
    }

    #[tracing::instrument(level = "debug", name = "store.verify_email", skip_all)]
    async fn verify_email(
        &self,
        account: Uuid,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        if !use_code(&mut tx, &VERIFICATION_CODE, account, code_hash, now).await? {
            tx.commit().await?;
            return Err(StoreError::VerificationFailed);
        }
        tx.execute(MARK_VERIFIED, args![account, now]).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.put_password_reset", skip_all)]
    async fn put_password_reset(
        &self,
        account: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.put_code(&RESET_CODE, account, code_hash, expires_at)
            .await
    }

    #[tracing::instrument(level = "debug", name = "store.reset_password", skip_all)]
    async fn reset_password(
        &self,
        account: Uuid,
        code_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        if !use_code(&mut tx, &RESET_CODE, account, code_hash, now).await? {
            tx.commit().await?;
            return Err(StoreError::VerificationFailed);
        }
        tx.execute(SET_PASSWORD, args![account, password_hash, now])
            .await?;
        tx.execute(DELETE_ACCOUNT_TOKENS, args![account]).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.create_staff", skip_all)]
    async fn create_staff(
        &self,
        s: &Staff,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let r = self
            .pool
            .execute(
                INSERT_STAFF,
                args![
                    s.id,
                    s.username.clone(),
                    password_hash,
                    s.full_name.clone(),
                    s.role.as_str(),
                    s.office_code.clone(),
                    s.region_code.clone(),
                    now
                ],
            )
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e, "username") => Err(StoreError::UsernameTaken),
            Err(e) => Err(e.into()),
        }
    }

    #[tracing::instrument(level = "debug", name = "store.staff_auth", skip_all)]
    async fn staff_auth(&self, username: &str) -> StoreResult<Option<StaffAuth>> {
        let row = self.fetch_by_key(STAFF_AUTH, args![username]).await?;
        row.map(|r| {
            Ok(StaffAuth {
                staff: Staff {
                    id: r.uuid("id")?,
                    username: r.text("username")?,
                    full_name: r.text("full_name")?,
                    role: StaffRole::parse(&r.text("role")?)
                        .ok_or_else(|| corrupt("staff role"))?,
                    office_code: r.opt_text("office_code")?,
                    region_code: r.opt_text("region_code")?,
                },
                password_hash: r.text("password_hash")?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(level = "debug", name = "store.create_token", skip_all)]
    async fn create_token(
        &self,
        token_hash: &str,
        principal: &Principal,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (account, staff) = match principal {
            Principal::Account { id, .. } => (Some(*id), None),
            Principal::Staff(s) => (None, Some(s.id)),
        };
        self.pool
            .execute(
                INSERT_TOKEN,
                args![token_hash, account, staff, now, expires_at],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.principal", skip_all)]
    async fn principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Principal, DateTime<Utc>)>> {
        // PostgreSQL answers concurrent lookups in one query (`batched`).
        if let Some(b) = &self.batched {
            let found = b
                .principals
                .lookup(&self.pool, token_hash.to_owned())
                .await?;
            return Ok(found.filter(|(_, expires_at)| now < *expires_at));
        }
        match self
            .fetch_by_key(TOKEN_PRINCIPAL, args![token_hash, now])
            .await?
        {
            Some(r) => principal_from_row(&r),
            None => Ok(None),
        }
    }

    #[tracing::instrument(level = "debug", name = "store.delete_token", skip_all)]
    async fn delete_token(&self, token_hash: &str) -> StoreResult<()> {
        self.pool.execute(DELETE_TOKEN, args![token_hash]).await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.add_applicant", skip_all)]
    async fn add_applicant(&self, a: &Applicant, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // Lock the account so two concurrent additions cannot both see four applicants.
        tx.fetch_optional(pick(tx.backend(), LOCK_ACCOUNT), args![a.account_id])
            .await?
            .ok_or(StoreError::NotFound)?;
        if tx
            .fetch_optional(APPLICANT_NIK_EXISTS, args![a.account_id, a.nik.as_str()])
            .await?
            .is_some()
        {
            return Err(StoreError::ApplicantExists);
        }
        let n = tx
            .fetch_optional(COUNT_APPLICANTS, args![a.account_id])
            .await?
            .ok_or_else(|| corrupt("count"))?
            .i64("n")?;
        if n >= loket_domain::MAX_APPLICANTS_PER_ACCOUNT as i64 {
            return Err(StoreError::ApplicantLimitReached);
        }
        tx.execute(
            INSERT_APPLICANT,
            args![
                a.id,
                a.account_id,
                a.nik.as_str(),
                a.full_name.clone(),
                a.birth_date,
                a.sex.as_str(),
                a.married,
                now
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.list_applicants", skip_all)]
    async fn list_applicants(&self, account: Uuid) -> StoreResult<Vec<Applicant>> {
        self.pool
            .fetch_all(LIST_APPLICANTS, args![account])
            .await?
            .iter()
            .map(applicant_from_row)
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.get_applicant", skip_all)]
    async fn get_applicant(&self, account: Uuid, id: Uuid) -> StoreResult<Option<Applicant>> {
        if let Some(b) = &self.batched {
            return b.applicants.lookup(&self.pool, (account, id)).await;
        }
        let row = self.fetch_by_key(GET_APPLICANT, args![account, id]).await?;
        row.map(|r| applicant_from_row(&r)).transpose()
    }
}

/// The statements of one kind of emailed one-time code (its own table).
struct CodeStatements {
    upsert: &'static str,
    get: &'static str,
    bump: &'static str,
    delete: &'static str,
}

const VERIFICATION_CODE: CodeStatements = CodeStatements {
    upsert: UPSERT_VERIFICATION,
    get: GET_VERIFICATION,
    bump: BUMP_VERIFICATION,
    delete: DELETE_VERIFICATION,
};

const RESET_CODE: CodeStatements = CodeStatements {
    upsert: UPSERT_PASSWORD_RESET,
    get: GET_PASSWORD_RESET,
    bump: BUMP_PASSWORD_RESET,
    delete: DELETE_PASSWORD_RESET,
};

impl SqlStore {
    /// Stores (replacing) an account's code of one kind, with a fresh count of tries.
    async fn put_code(
        &self,
        code: &CodeStatements,
        account: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.pool
            .execute(code.upsert, args![account, code_hash, expires_at])
            .await?;
        Ok(())
    }
}

/// Checks an account's emailed code inside `tx`: a right, unexpired code with tries left is
/// used up (true); anything else counts a try (false), which the caller commits.
async fn use_code(
    tx: &mut Tx,
    code: &CodeStatements,
    account: Uuid,
    code_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let Some(row) = tx.fetch_optional(code.get, args![account]).await? else {
        return Ok(false);
    };
    let ok = row.text("code_hash")? == code_hash
        && row.time("expires_at")? > now
        && row.i64("attempts")? < 5;
    if ok {
        tx.execute(code.delete, args![account]).await?;
    } else {
        tx.execute(code.bump, args![account]).await?;
    }
    Ok(ok)
}
