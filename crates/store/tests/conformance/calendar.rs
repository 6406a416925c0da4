//! The working calendar's inputs: national holidays and an office's own closures and
//! openings, and the audit trail every change leaves (who, when, before, after).

use chrono::{Duration, NaiveDate, Utc};
use loket_domain::calendar::{ExceptionKind, Holiday, HolidayKind, OfficeException};
use loket_store::AuditEntry;
use loket_store::prelude::*;

use crate::helpers::{Ctx, OFFICE, head, seed};

conformance!(
    holidays_are_stored_listed_by_period_and_deleted,
    storing_an_unchanged_holiday_again_leaves_no_audit_entry,
    office_exceptions_are_set_replaced_and_deleted_with_an_audit_trail,
    calendar_inputs_hold_the_holidays_and_this_offices_exceptions_in_the_period,
);

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, m, day).unwrap()
}

fn holiday(date: NaiveDate, kind: HolidayKind, name_id: &str, name_en: &str) -> Holiday {
    Holiday {
        date,
        kind,
        name_id: name_id.into(),
        name_en: name_en.into(),
    }
}

fn new_year() -> Holiday {
    holiday(
        d(1, 1),
        HolidayKind::Holiday,
        "Tahun Baru 2030 Masehi",
        "New Year's Day",
    )
}

fn eid() -> Holiday {
    holiday(
        d(2, 5),
        HolidayKind::Holiday,
        "Idulfitri 1451 Hijriah",
        "Eid al-Fitr",
    )
}

fn eid_leave() -> Holiday {
    holiday(
        d(2, 6),
        HolidayKind::CollectiveLeave,
        "Cuti Bersama Idulfitri",
        "Eid al-Fitr collective leave",
    )
}

fn json<T: serde::de::DeserializeOwned>(s: &Option<String>) -> T {
    serde_json::from_str(s.as_deref().expect("a value")).unwrap()
}

/// The store stamps calendar changes with the wall clock; PostgreSQL keeps microseconds.
fn assert_recent(e: &AuditEntry, from: chrono::DateTime<Utc>) {
    let slack = Duration::seconds(1);
    assert!(
        e.at >= from - slack && e.at <= Utc::now() + slack,
        "audit time {} is not the time of the change",
        e.at
    );
}

async fn holidays_are_stored_listed_by_period_and_deleted(db: Ctx) {
    seed(&db.store).await;
    let started = Utc::now();
    db.store
        .upsert_holidays(&[eid_leave(), new_year(), eid()], &head())
        .await
        .unwrap();
    assert_eq!(
        db.store.list_holidays(d(1, 1), d(12, 31)).await.unwrap(),
        vec![new_year(), eid(), eid_leave()]
    );
    // Both ends of the period are included.
    assert_eq!(
        db.store.list_holidays(d(1, 2), d(2, 5)).await.unwrap(),
        vec![eid()]
    );

    // Correcting a name replaces the row and records the change.
    let renamed = Holiday {
        name_en: "Idul Fitri".into(),
        ..eid()
    };
    db.store
        .upsert_holidays(std::slice::from_ref(&renamed), &head())
        .await
        .unwrap();
    assert_eq!(
        db.store.list_holidays(d(2, 5), d(2, 5)).await.unwrap(),
        vec![renamed.clone()]
    );

    assert!(db.store.delete_holiday(d(1, 1), &head()).await.unwrap());
    assert!(!db.store.delete_holiday(d(1, 1), &head()).await.unwrap());
    assert_eq!(
        db.store.list_holidays(d(1, 1), d(12, 31)).await.unwrap(),
        vec![renamed.clone(), eid_leave()]
    );

    let log = db.store.audit_log(None, 100).await.unwrap();
    let holiday_log: Vec<&AuditEntry> = log
        .iter()
        .filter(|e| e.action.starts_with("holiday"))
        .collect();
    // Newest first: delete, rename, then the three first puts.
    assert_eq!(holiday_log.len(), 5, "{holiday_log:#?}");
    let delete = holiday_log[0];
    assert_eq!(delete.action, "holiday.delete");
    assert_eq!(delete.subject, "2030-01-01");
    assert_eq!(delete.actor, "kepala.palembang");
    assert_eq!(delete.office_code, None);
    assert_eq!(json::<Holiday>(&delete.before), new_year());
    assert_eq!(delete.after, None);
    let rename = holiday_log[1];
    assert_eq!(rename.action, "holiday.put");
    assert_eq!(json::<Holiday>(&rename.before), eid());
    assert_eq!(json::<Holiday>(&rename.after), renamed);
    let first = holiday_log[4];
    assert_eq!(first.before, None);
    assert_eq!(json::<Holiday>(&first.after), eid_leave());
    for e in &holiday_log {
        assert_recent(e, started);
    }
    assert!(holiday_log.windows(2).all(|w| w[0].id > w[1].id));
    // National days belong to no office.
    let office_log = db.store.audit_log(Some(OFFICE), 100).await.unwrap();
    assert!(office_log.iter().all(|e| !e.action.starts_with("holiday")));
}

async fn storing_an_unchanged_holiday_again_leaves_no_audit_entry(db: Ctx) {
    seed(&db.store).await;
    db.store.upsert_holidays(&[eid()], &head()).await.unwrap();
    let before = db.store.audit_log(None, 100).await.unwrap().len();
    db.store.upsert_holidays(&[eid()], &head()).await.unwrap();
    assert_eq!(db.store.audit_log(None, 100).await.unwrap().len(), before);
}

async fn office_exceptions_are_set_replaced_and_deleted_with_an_audit_trail(db: Ctx) {
    seed(&db.store).await;
    let started = Utc::now();
    let closed = OfficeException {
        date: d(1, 9),
        kind: ExceptionKind::Closed,
        reason: "Pemeliharaan sistem".into(),
    };
    let open = OfficeException {
        date: d(1, 12),
        kind: ExceptionKind::Open,
        reason: "Layanan Sabtu".into(),
    };
    db.store
        .set_office_exception(OFFICE, &closed, &head())
        .await
        .unwrap();
    db.store
        .set_office_exception(OFFICE, &open, &head())
        .await
        .unwrap();
    let reopened = OfficeException {
        kind: ExceptionKind::Open,
        reason: "Pemeliharaan dibatalkan".into(),
        ..closed.clone()
    };
    db.store
        .set_office_exception(OFFICE, &reopened, &head())
        .await
        .unwrap();
    let inputs = db
        .store
        .calendar_inputs(OFFICE, d(1, 1), d(1, 31))
        .await
        .unwrap();
    assert_eq!(inputs.exceptions, vec![reopened.clone(), open.clone()]);

    assert!(
        db.store
            .delete_office_exception(OFFICE, d(1, 12), &head())
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .delete_office_exception(OFFICE, d(1, 12), &head())
            .await
            .unwrap()
    );
    let inputs = db
        .store
        .calendar_inputs(OFFICE, d(1, 1), d(1, 31))
        .await
        .unwrap();
    assert_eq!(inputs.exceptions, vec![reopened.clone()]);

    let log: Vec<AuditEntry> = db
        .store
        .audit_log(Some(OFFICE), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("calendar"))
        .collect();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "calendar.exception.delete",
            "calendar.exception.put",
            "calendar.exception.put",
            "calendar.exception.put"
        ]
    );
    assert_eq!(log[0].subject, "2030-01-12");
    assert_eq!(json::<OfficeException>(&log[0].before), open);
    assert_eq!(log[0].after, None);
    assert_eq!(log[1].subject, "2030-01-09");
    assert_eq!(json::<OfficeException>(&log[1].before), closed);
    assert_eq!(json::<OfficeException>(&log[1].after), reopened);
    assert_eq!(log[3].before, None);
    for e in &log {
        assert_eq!(e.actor, "kepala.palembang");
        assert_eq!(e.office_code.as_deref(), Some(OFFICE));
        assert_recent(e, started);
    }
}

async fn calendar_inputs_hold_the_holidays_and_this_offices_exceptions_in_the_period(db: Ctx) {
    seed(&db.store).await;
    db.store
        .upsert_region("sulut", "Sulawesi Utara")
        .await
        .unwrap();
    let mut other = crate::helpers::office();
    other.code = "manado".into();
    other.region_code = "sulut".into();
    db.store.upsert_office(&other).await.unwrap();
    db.store
        .upsert_holidays(&[new_year(), eid(), eid_leave()], &head())
        .await
        .unwrap();
    let ours = OfficeException {
        date: d(2, 4),
        kind: ExceptionKind::Closed,
        reason: "Banjir".into(),
    };
    let theirs = OfficeException {
        date: d(2, 3),
        kind: ExceptionKind::Closed,
        reason: "Listrik padam".into(),
    };
    let ours_later = OfficeException {
        date: d(3, 2),
        kind: ExceptionKind::Closed,
        reason: "Banjir".into(),
    };
    db.store
        .set_office_exception(OFFICE, &ours, &head())
        .await
        .unwrap();
    db.store
        .set_office_exception(OFFICE, &ours_later, &head())
        .await
        .unwrap();
    db.store
        .set_office_exception("manado", &theirs, &head())
        .await
        .unwrap();

    let inputs = db
        .store
        .calendar_inputs(OFFICE, d(2, 1), d(2, 28))
        .await
        .unwrap();
    assert_eq!(inputs.holidays, vec![eid(), eid_leave()]);
    assert_eq!(inputs.exceptions, vec![ours]);
    let theirs_inputs = db
        .store
        .calendar_inputs("manado", d(2, 1), d(2, 28))
        .await
        .unwrap();
    assert_eq!(theirs_inputs.exceptions, vec![theirs]);
}
