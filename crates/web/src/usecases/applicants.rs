//! The people an account applies for (at most five): adding one, with the NIK checked
//! against the stated birth date and sex (the domain's rule), and listing them. The store
//! applies the limit and the one-NIK-per-account rule atomically.

use loket_domain::Nik;
use loket_store::Applicant;
use uuid::Uuid;

use super::fields::{Fields, checked};
use super::{Refusal, UseCaseResult};
use crate::state::AppState;

/// A person to add, as typed.
#[derive(Clone, Debug, Default)]
pub struct NewApplicant {
    /// 16-digit NIK from the ID card or family card.
    pub nik: String,
    /// Name as on the ID card.
    pub full_name: String,
    /// Birth date, YYYY-MM-DD.
    pub birth_date: String,
    /// "male" or "female".
    pub sex: String,
    /// Married (a married applicant under 17 may take a 10-year passport).
    pub married: bool,
}

/// Adds a person to the account.
#[tracing::instrument(name = "usecase.applicants.add", skip_all)]
pub async fn add(state: &AppState, account_id: Uuid, a: NewApplicant) -> UseCaseResult<Applicant> {
    let today = state.now().date_naive();
    let mut f = Fields::default();
    let nik = f.text("nik", &a.nik, 32);
    let full_name = f.text("full_name", &a.full_name, 100);
    let birth_date = f.birth_date("birth_date", &a.birth_date, today);
    let sex = f.sex("sex", &a.sex);
    f.finish()?;
    let (birth_date, sex) = (checked(birth_date)?, checked(sex)?);
    let nik = Nik::parse(&nik).map_err(Refusal::InvalidNik)?;
    nik.check_against(birth_date, sex)
        .map_err(Refusal::InvalidNik)?;
    let applicant = Applicant {
        id: Uuid::now_v7(),
        account_id,
        nik,
        full_name,
        birth_date,
        sex,
        married: a.married,
    };
    state.store.add_applicant(&applicant, state.now()).await?;
    Ok(applicant)
}

/// The people on the account, in the order they were added.
pub async fn list(state: &AppState, account_id: Uuid) -> UseCaseResult<Vec<Applicant>> {
    Ok(state.store.list_applicants(account_id).await?)
}

/// One person on the account, if `applicant_id` is one of its people.
pub async fn own(
    state: &AppState,
    account_id: Uuid,
    applicant_id: Uuid,
) -> UseCaseResult<Option<Applicant>> {
    Ok(state.store.get_applicant(account_id, applicant_id).await?)
}
