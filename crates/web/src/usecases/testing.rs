//! In-process fixtures for the use cases' own tests: a fresh, migrated SQLite store of its
//! own per test (removed when dropped) behind a real `AppState`; for booking stories with
//! the national reference data and the demo offices, and people to book for.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::NaiveDate;
use loket_domain::catalogue::{
    ApplicationKind, PassportType, Processing, ServiceRequest, TravelPurpose, Validity,
};
use loket_domain::{Nik, Sex};
use loket_store::{Applicant, NewAccount, SqlStore, StoreOptions, seed_reference_data};
use uuid::Uuid;

use crate::config::Settings;
use crate::state::AppState;
use crate::usecases::availability::{self, DayKind};
use crate::usecases::bookings::NewBooking;

/// A state over a database file that is removed when this is dropped.
pub struct TestState {
    /// The state.
    pub state: AppState,
    path: PathBuf,
}

impl Drop for TestState {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

impl TestState {
    /// A second instance on the same database: a store with its own connections and a
    /// state of its own (its own caches and clock), with the same settings.
    pub async fn another_instance(&self) -> AppState {
        let store = connect(&self.path).await;
        let other = AppState::new(Arc::new(store), self.state.settings.clone());
        let ahead = self.state.now() - chrono::Utc::now();
        if ahead > chrono::Duration::zero() {
            other.clock.advance(ahead);
        }
        other
    }
}

async fn connect(path: &std::path::Path) -> SqlStore {
    SqlStore::connect(
        &format!("sqlite://{}", path.display()),
        &StoreOptions::default(),
    )
    .await
    .unwrap()
}

/// A state with default settings over a fresh database.
pub async fn state() -> TestState {
    state_with(Settings::default()).await
}

/// A state with `settings` over a fresh database.
pub async fn state_with(settings: Settings) -> TestState {
    let path = std::env::temp_dir().join(format!("loket-usecase-{}.db", uuid::Uuid::now_v7()));
    let store = connect(&path).await;
    store.migrate().await.unwrap();
    TestState {
        state: AppState::new(Arc::new(store), settings),
        path,
    }
}

/// A state over a fresh database with the fee tables, the holidays and the demo offices
/// and quotas, so that bookings can be made; mail links start with `https://loket.test`.
pub async fn booking_state() -> TestState {
    let t = state_with(Settings {
        public_url: Some("https://loket.test".into()),
        ..Settings::default()
    })
    .await;
    seed_reference_data(&*t.state.store).await.unwrap();
    loket_demo::seed(&*t.state.store).await.unwrap();
    t
}

/// The six-digit code in the newest mail to `to`.
pub async fn mailed_code(state: &AppState, to: &str) -> String {
    let mail = state.store.recent_mail(Some(to), 1).await.unwrap();
    let body = &mail.first().expect("a mail").body;
    body.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a six-digit code")
        .to_owned()
}

/// Someone who books: an account (made through the store, no password hashing) and one
/// person on it.
#[derive(Clone, Debug)]
pub struct Booker {
    /// The account.
    pub account_id: Uuid,
    /// Its address.
    pub email: String,
    /// The person booked for.
    pub applicant_id: Uuid,
}

static NEXT_PERSON: AtomicU32 = AtomicU32::new(0);

/// A new account whose mail is in `locale`, with one adult on it (a NIK unique in this
/// process that matches the birth date and sex).
pub async fn booker(state: &AppState, locale: &str) -> Booker {
    let n = NEXT_PERSON.fetch_add(1, Ordering::Relaxed);
    let email = format!("pemohon{n}-{}@example.test", Uuid::now_v7().simple());
    let birth = NaiveDate::from_ymd_opt(1990, 5, 12).unwrap();
    let account_id = state
        .store
        .create_account(
            &NewAccount {
                email: email.clone(),
                password_hash: "not-a-login".into(),
                full_name: "Rina Wulandari".into(),
                birth_date: birth,
                sex: Sex::Male,
                phone: "081234567890".into(),
                locale: locale.into(),
            },
            state.now(),
        )
        .await
        .unwrap();
    let (district, serial) = (50 + (n / 9999) % 49, n % 9999 + 1);
    let nik = Nik::parse(&format!("1671{district:02}120590{serial:04}")).unwrap();
    nik.check_against(birth, Sex::Male).unwrap();
    let applicant = Applicant {
        id: Uuid::now_v7(),
        account_id,
        nik,
        full_name: "Budi Santoso".into(),
        birth_date: birth,
        sex: Sex::Male,
        married: false,
    };
    state
        .store
        .add_applicant(&applicant, state.now())
        .await
        .unwrap();
    Booker {
        account_id,
        email,
        applicant_id: applicant.id,
    }
}

/// The demo office every booking story books into (Jakarta's zone: WIB).
pub const OFFICE: &str = "palembang";

/// Dates with places in session s1 at [`OFFICE`], soonest first.
pub async fn open_dates(state: &AppState) -> Vec<NaiveDate> {
    let office = crate::planning::office(state, OFFICE).await.unwrap();
    let (from, to) = availability::search_range(state, &office);
    availability::read(state, OFFICE, from, to)
        .await
        .unwrap()
        .days
        .into_iter()
        .filter(|d| {
            d.kind == DayKind::Open
                && d.sessions
                    .iter()
                    .any(|s| s.session.code == "s1" && s.online_left() > 0)
        })
        .map(|d| d.date)
        .collect()
}

/// What `who` asks to book: an ordinary 5-year passport at [`OFFICE`] on `date`, `session`.
pub fn new_booking(who: &Booker, date: NaiveDate, session: &str) -> NewBooking {
    NewBooking {
        account_id: who.account_id,
        applicant_id: who.applicant_id,
        office: OFFICE.into(),
        date,
        session: session.into(),
        service: ServiceRequest {
            kind: ApplicationKind::New,
            passport_type: PassportType::Ordinary,
            validity: Validity::FiveYears,
            processing: Processing::Regular,
            force_majeure: false,
        },
        travel_purpose: TravelPurpose::Tourism,
        idempotency_key: None,
        fingerprint: format!("test-{}", Uuid::now_v7()),
    }
}
