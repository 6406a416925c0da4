//! Reference data: regions, offices with their sessions and release rule, fee tables. What
//! goes in comes back out unchanged on both engines.

use chrono::{NaiveDate, NaiveTime, Weekday};
use loket_domain::calendar::WeekdaySet;
use loket_domain::catalogue::FeeTable;
use loket_domain::office::parse_time_zone;
use loket_domain::release::ReleaseRule;
use loket_domain::{Office, SessionWindow};
use loket_store::prelude::*;

use crate::helpers::{Ctx, OFFICE, REGION, office, seed};

conformance!(
    an_office_comes_back_exactly_as_it_was_stored,
    offices_are_listed_by_code_with_their_own_sessions,
    storing_an_office_again_replaces_its_sessions_and_rule,
    a_region_name_is_found_by_its_code,
    fee_tables_come_back_in_order_of_effect,
);

/// Kanim Manado: another region and zone, a weekly release, a Saturday session.
fn manado() -> Office {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    Office {
        code: "manado".into(),
        region_code: "sulut".into(),
        name: "Kantor Imigrasi Kelas I TPI Manado".into(),
        time_zone: parse_time_zone("Asia/Makassar").unwrap(),
        address: None,
        city: "Manado".into(),
        open_weekdays: WeekdaySet::mon_to_fri().with(Weekday::Sat),
        sessions: vec![
            SessionWindow {
                code: "pagi".into(),
                name: "Pagi".into(),
                start: t(7, 30),
                end: t(11, 45),
                weekdays: WeekdaySet::mon_to_fri().with(Weekday::Sat),
            },
            SessionWindow {
                code: "siang".into(),
                name: "Siang".into(),
                start: t(13, 0),
                end: t(15, 0),
                weekdays: WeekdaySet::empty().with(Weekday::Mon).with(Weekday::Thu),
            },
        ],
        release: ReleaseRule::Weekly {
            weekday: Weekday::Fri,
            at: t(15, 0),
            weeks_ahead: 2,
        },
        booking_horizon_days: 21,
        allocation_policy: Default::default(),
    }
}

async fn an_office_comes_back_exactly_as_it_was_stored(db: Ctx) {
    let stored = seed(&db.store).await;
    assert_eq!(db.store.get_office(OFFICE).await.unwrap(), Some(stored));
    assert_eq!(db.store.get_office("atlantis").await.unwrap(), None);
}

async fn offices_are_listed_by_code_with_their_own_sessions(db: Ctx) {
    seed(&db.store).await;
    db.store
        .upsert_region("sulut", "Sulawesi Utara")
        .await
        .unwrap();
    db.store.upsert_office(&manado()).await.unwrap();
    let listed = db.store.list_offices().await.unwrap();
    assert_eq!(listed, vec![manado(), office()]);
}

async fn storing_an_office_again_replaces_its_sessions_and_rule(db: Ctx) {
    seed(&db.store).await;
    let mut changed = office();
    changed.sessions.truncate(1);
    changed.sessions[0].name = "Sesi Pagi".into();
    changed.release = ReleaseRule::Monthly {
        day: 31,
        at: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        months_ahead: 1,
    };
    changed.address = None;
    changed.booking_horizon_days = 90;
    db.store.upsert_office(&changed).await.unwrap();
    assert_eq!(
        db.store.get_office(OFFICE).await.unwrap(),
        Some(changed.clone())
    );
    assert_eq!(db.store.list_offices().await.unwrap(), vec![changed]);
}

async fn a_region_name_is_found_by_its_code(db: Ctx) {
    seed(&db.store).await;
    assert_eq!(
        db.store.region_name(REGION).await.unwrap().as_deref(),
        Some("Sumatera Selatan")
    );
    db.store.upsert_region(REGION, "Sumsel").await.unwrap();
    assert_eq!(
        db.store.region_name(REGION).await.unwrap().as_deref(),
        Some("Sumsel")
    );
    assert_eq!(db.store.region_name("atlantis").await.unwrap(), None);
}

fn fee_table(code: &str, from: NaiveDate, e5: i64) -> FeeTable {
    FeeTable {
        code: code.into(),
        regulation: code.to_uppercase(),
        effective_from: from,
        ordinary_5y: 350_000,
        ordinary_10y: Some(650_000),
        electronic_5y: e5,
        electronic_10y: None,
        express_surcharge: 1_000_000,
        lost_surcharge: Some(1_000_000),
        damaged_surcharge: None,
    }
}

async fn fee_tables_come_back_in_order_of_effect(db: Ctx) {
    let newer = fee_table(
        "pp-45-2024",
        NaiveDate::from_ymd_opt(2024, 12, 17).unwrap(),
        650_000,
    );
    let older = fee_table(
        "pp-28-2019",
        NaiveDate::from_ymd_opt(2019, 5, 2).unwrap(),
        655_000,
    );
    db.store
        .put_fee_tables(&[newer.clone(), older.clone()])
        .await
        .unwrap();
    assert_eq!(
        db.store.fee_tables().await.unwrap(),
        vec![older, newer.clone()]
    );
    // Putting tables replaces all of them.
    db.store
        .put_fee_tables(std::slice::from_ref(&newer))
        .await
        .unwrap();
    assert_eq!(db.store.fee_tables().await.unwrap(), vec![newer]);
}
