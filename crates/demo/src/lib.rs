//! Loket's demo data set, for `loket serve --demo`, the benchmark and the API's tests: a
//! region, offices in all three time zones with their quotas, a staff member of every role
//! and an applicant account with two people on it. Seeded once, into a database that has
//! none of it yet (the national reference data comes with the store).

use chrono::{NaiveTime, Utc, Weekday};
use loket_domain::calendar::{WeekdaySet, split_csv_line};
use loket_domain::office::parse_time_zone;
use loket_domain::quota::ServiceClass;
use loket_domain::release::ReleaseRule;
use loket_domain::{Nik, Office, SessionWindow, Sex};
use loket_store::prelude::*;
use loket_store::{Actor, Applicant, NewAccount, Staff, StaffRole, StoreError};
use uuid::Uuid;

const OFFICES_CSV: &str = include_str!("../../../data/offices.csv");

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bundled data file is malformed (a bug in the repository).
    #[error("bundled data: {0}")]
    Data(String),
}

/// A demo password's Argon2id hash, on a blocking thread.
async fn hash_password(password: &'static str) -> Result<String, SeedError> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| SeedError::Data(format!("hashing: {e}")))
}

/// A demo login, printed at start-up in demo mode.
#[derive(Clone, Debug)]
pub struct DemoLogin {
    /// Role or kind of account.
    pub role: &'static str,
    /// Username or email.
    pub login: &'static str,
    /// Password (demo only).
    pub password: &'static str,
    /// Scope.
    pub scope: &'static str,
}

/// The demo logins.
pub const DEMO_LOGINS: &[DemoLogin] = &[
    DemoLogin {
        role: "applicant",
        login: "pemohon@demo.loket.id",
        password: "demo-pemohon",
        scope: "2 applicants",
    },
    DemoLogin {
        role: "front_desk",
        login: "loket.palembang",
        password: "demo-loket",
        scope: "palembang",
    },
    DemoLogin {
        role: "counter_officer",
        login: "petugas.palembang",
        password: "demo-petugas",
        scope: "palembang",
    },
    DemoLogin {
        role: "head_of_office",
        login: "kepala.palembang",
        password: "demo-kepala",
        scope: "palembang",
    },
    DemoLogin {
        role: "regional_admin",
        login: "kanwil.sumsel",
        password: "demo-kanwil",
        scope: "sumsel",
    },
    DemoLogin {
        role: "system_admin",
        login: "admin",
        password: "demo-admin",
        scope: "all",
    },
];

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

fn weekdays(days: &[Weekday]) -> WeekdaySet {
    days.iter().fold(WeekdaySet::empty(), |s, d| s.with(*d))
}

struct DemoOffice {
    code: &'static str,
    region: &'static str,
    /// (session, start, end, weekdays, online, priority, express)
    sessions: Vec<(
        &'static str,
        NaiveTime,
        NaiveTime,
        WeekdaySet,
        i64,
        i64,
        i64,
    )>,
}

fn demo_offices() -> Vec<DemoOffice> {
    use Weekday::*;
    let mon_fri = WeekdaySet::mon_to_fri();
    let mon_thu = weekdays(&[Mon, Tue, Wed, Thu]);
    let fri = weekdays(&[Fri]);
    // Palembang: 75 online, 20 priority walk-in, 10 express a day (June 2022 figures).
    // Friday afternoons start later for Friday prayers.
    let palembang = vec![
        ("s1", t(8, 0), t(10, 0), mon_fri, 30, 8, 5),
        ("s2", t(10, 0), t(11, 30), mon_fri, 25, 6, 5),
        ("s3", t(13, 0), t(15, 0), mon_thu, 20, 6, 0),
        ("s3f", t(13, 30), t(15, 0), fri, 20, 6, 0),
    ];
    let small = |online: i64| {
        vec![
            ("s1", t(8, 0), t(11, 30), mon_fri, online, 10, 5),
            ("s2", t(13, 0), t(15, 0), mon_thu, online / 2, 5, 0),
            ("s2f", t(13, 30), t(15, 0), fri, online / 2, 5, 0),
        ]
    };
    vec![
        DemoOffice {
            code: "palembang",
            region: "sumsel",
            sessions: palembang,
        },
        DemoOffice {
            code: "muara-enim",
            region: "sumsel",
            sessions: small(20),
        },
        DemoOffice {
            code: "denpasar",
            region: "bali",
            sessions: small(60),
        },
        DemoOffice {
            code: "makassar",
            region: "sulsel",
            sessions: small(60),
        },
        DemoOffice {
            code: "jayapura",
            region: "papua",
            sessions: small(30),
        },
        DemoOffice {
            code: "ambon",
            region: "maluku",
            sessions: small(30),
        },
    ]
}

const REGIONS: &[(&str, &str)] = &[
    (
        "sumsel",
        "Kantor Wilayah Direktorat Jenderal Imigrasi Sumatera Selatan",
    ),
    ("bali", "Kantor Wilayah Direktorat Jenderal Imigrasi Bali"),
    (
        "sulsel",
        "Kantor Wilayah Direktorat Jenderal Imigrasi Sulawesi Selatan",
    ),
    ("papua", "Kantor Wilayah Direktorat Jenderal Imigrasi Papua"),
    (
        "maluku",
        "Kantor Wilayah Direktorat Jenderal Imigrasi Maluku",
    ),
];

/// (code, name, city, address, zone) from the bundled offices.csv.
type OfficeRow = (String, String, String, Option<String>, String);

/// Offices from the bundled CSV.
fn office_rows() -> Result<Vec<OfficeRow>, SeedError> {
    let mut out = Vec::new();
    for (i, line) in OFFICES_CSV.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv_line(line)
            .map_err(|e| SeedError::Data(format!("offices.csv line {}: {e}", i + 1)))?;
        if f.len() < 8 {
            return Err(SeedError::Data(format!(
                "offices.csv line {}: too few fields",
                i + 1
            )));
        }
        let address = Some(f[6].clone()).filter(|a| !a.is_empty());
        out.push((
            f[0].clone(),
            f[1].clone(),
            f[5].clone(),
            address,
            f[7].clone(),
        ));
    }
    Ok(out)
}

/// Seeds the demo data unless it is there already. Returns false when it was.
pub async fn seed(store: &dyn Store) -> Result<bool, SeedError> {
    if store.get_office("palembang").await?.is_some() {
        return Ok(false);
    }
    let now = Utc::now();
    let today = now.date_naive();
    for (code, name) in REGIONS {
        store.upsert_region(code, name).await?;
    }
    let rows = office_rows()?;
    for d in demo_offices() {
        let (_, name, city, address, zone) =
            rows.iter().find(|r| r.0 == d.code).ok_or_else(|| {
                SeedError::Data(format!("office {} missing from offices.csv", d.code))
            })?;
        let tz =
            parse_time_zone(zone).ok_or_else(|| SeedError::Data(format!("bad zone {zone}")))?;
        let office = Office {
            code: d.code.into(),
            region_code: d.region.into(),
            name: name.clone(),
            time_zone: tz,
            address: address.clone(),
            city: city.clone(),
            open_weekdays: WeekdaySet::mon_to_fri(),
            sessions: d
                .sessions
                .iter()
                .map(|s| SessionWindow {
                    code: s.0.into(),
                    name: format!("Sesi {}-{}", s.1.format("%H:%M"), s.2.format("%H:%M")),
                    start: s.1,
                    end: s.2,
                    weekdays: s.3,
                })
                .collect(),
            release: ReleaseRule::Rolling {
                days_ahead: 30,
                at: t(8, 0),
            },
            booking_horizon_days: 30,
            allocation_policy: Default::default(),
        };
        store.upsert_office(&office).await?;
        for s in &d.sessions {
            for day in [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ] {
                if !s.3.contains(day) {
                    continue;
                }
                for (class, cap) in [
                    (ServiceClass::Online, s.4),
                    (ServiceClass::PriorityWalkIn, s.5),
                    (ServiceClass::Express, s.6),
                ] {
                    store
                        .set_quota_default(
                            d.code,
                            day,
                            s.0,
                            class,
                            cap,
                            today,
                            &Actor::system(),
                            now,
                        )
                        .await?;
                }
            }
        }
    }
    for l in DEMO_LOGINS.iter().filter(|l| l.role != "applicant") {
        let Some(role) = StaffRole::parse(l.role) else {
            continue;
        };
        let (office, region) = match role {
            StaffRole::SystemAdmin => (None, None),
            StaffRole::RegionalAdmin => (None, Some(l.scope.to_owned())),
            _ => (Some(l.scope.to_owned()), None),
        };
        let staff = Staff {
            id: Uuid::now_v7(),
            username: l.login.into(),
            full_name: format!("Demo {}", l.role.replace('_', " ")),
            role,
            office_code: office,
            region_code: region,
        };
        let hash = hash_password(l.password).await?;
        store.create_staff(&staff, &hash, now).await?;
    }
    let applicant_login = &DEMO_LOGINS[0];
    let hash = hash_password(applicant_login.password).await?;
    let birth = chrono::NaiveDate::from_ymd_opt(1987, 11, 12).unwrap_or_default();
    let account = store
        .create_account(
            &NewAccount {
                email: applicant_login.login.into(),
                password_hash: hash,
                full_name: "Siti Rahmawati".into(),
                birth_date: birth,
                sex: Sex::Female,
                phone: "081234567890".into(),
                locale: "id".into(),
            },
            now,
        )
        .await?;
    store
        .put_verification(account, "demo", now + chrono::Duration::minutes(1))
        .await?;
    store.verify_email(account, "demo", now).await?;
    // Fictional people with well-formed NIKs (Palembang regency code 1671).
    for (nik, name, birth, sex, married) in [
        (
            "1671015211870001",
            "Siti Rahmawati",
            (1987, 11, 12),
            Sex::Female,
            true,
        ),
        (
            "1671010305150002",
            "Ahmad Fauzi",
            (2015, 5, 3),
            Sex::Male,
            false,
        ),
    ] {
        let nik = Nik::parse(nik).map_err(|e| SeedError::Data(format!("demo nik: {e}")))?;
        store
            .add_applicant(
                &Applicant {
                    id: Uuid::now_v7(),
                    account_id: account,
                    nik,
                    full_name: name.into(),
                    birth_date: chrono::NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2)
                        .unwrap_or_default(),
                    sex,
                    married,
                },
                now,
            )
            .await?;
    }
    Ok(true)
}
