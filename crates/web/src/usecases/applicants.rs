//! The people an account applies for (at most five): adding one, with the NIK checked
//! against the stated birth date and sex (the domain's rule), and listing them. The store
//! applies the limit and the one-NIK-per-account rule atomically.

use chrono::NaiveDate;
use loket_domain::{Nik, Sex};
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
    let mut f = Fields::default();
    let person = read(&mut f, &a, state.now().date_naive());
    f.finish()?;
    let applicant = checked_person(person, account_id)?;
    state.store.add_applicant(&applicant, state.now()).await?;
    Ok(applicant)
}

/// A person as typed, read into `f` (every mistake listed against its field); give the
/// result to [`checked_person`] once `f` is finished.
pub fn read(f: &mut Fields, a: &NewApplicant, today: NaiveDate) -> Typed {
    Typed {
        nik: f.text("nik", &a.nik, 32),
        full_name: f.text("full_name", &a.full_name, 100),
        birth_date: f.birth_date("birth_date", &a.birth_date, today),
        sex: f.sex("sex", &a.sex),
        married: a.married,
    }
}

/// A person's fields read, not yet checked against each other.
pub struct Typed {
    nik: String,
    full_name: String,
    birth_date: Option<NaiveDate>,
    sex: Option<Sex>,
    married: bool,
}

/// The person read, on `account_id`, once the NIK is checked against the stated birth
/// date and sex (the domain's rule).
pub fn checked_person(p: Typed, account_id: Uuid) -> UseCaseResult<Applicant> {
    let (birth_date, sex) = (checked(p.birth_date)?, checked(p.sex)?);
    let nik = Nik::parse(&p.nik).map_err(Refusal::InvalidNik)?;
    nik.check_against(birth_date, sex)
        .map_err(Refusal::InvalidNik)?;
    Ok(Applicant {
        id: Uuid::now_v7(),
        account_id,
        nik,
        full_name: p.full_name,
        birth_date,
        sex,
        married: p.married,
    })
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
