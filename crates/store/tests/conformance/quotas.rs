//! Quotas: weekday defaults, per-date overrides and bulk adjustments, and the rule that a
//! capacity never falls below the places already taken. Every change is audited with who
//! made it, when, and the value before and after.

use chrono::{Duration, Weekday};
use loket_domain::quota::{QuotaAdjustment, ServiceClass};
use loket_store::prelude::*;
use loket_store::{AuditEntry, CapacityChange, QuotaDefaultRow, QuotaOverrideRow, StoreError};

use crate::assert_err;
use crate::helpers::{
    Ctx, DEFAULT_CAPACITY, OFFICE, WORKDAYS, book, day, head, monday, person, request, seed, slot,
    t0, two_hours, usage,
};

conformance!(
    weekday_defaults_and_date_overrides_make_up_the_quota_plan,
    an_override_below_the_places_taken_is_refused_and_changes_nothing,
    a_bulk_adjustment_is_clamped_at_the_places_taken_and_says_so,
    lowering_a_weekday_default_below_the_places_taken_clamps_only_that_slot,
);

const ONLINE: ServiceClass = ServiceClass::Online;

fn entries<'a>(log: &'a [AuditEntry], action: &str) -> Vec<&'a AuditEntry> {
    log.iter().filter(|e| e.action == action).collect()
}

fn override_change(
    date_n: u64,
    session: &str,
    before: i64,
    after: i64,
    clamped: bool,
) -> CapacityChange {
    CapacityChange {
        service_date: Some(day(date_n)),
        weekday: None,
        session_code: session.into(),
        class: ONLINE,
        before,
        after,
        clamped,
    }
}

async fn weekday_defaults_and_date_overrides_make_up_the_quota_plan(db: Ctx) {
    seed(&db.store).await;
    let defaults = db.store.quota_defaults(OFFICE).await.unwrap();
    let expected: Vec<QuotaDefaultRow> = WORKDAYS
        .iter()
        .flat_map(|wd| {
            ["s1", "s2"].map(|s| QuotaDefaultRow {
                weekday: *wd,
                session_code: s.into(),
                class: ONLINE,
                capacity: DEFAULT_CAPACITY,
            })
        })
        .collect();
    assert_eq!(defaults, expected);

    let now = t0() + Duration::milliseconds(1_234);
    let change = db
        .store
        .set_quota_override(OFFICE, day(1), "s1", ONLINE, 25, &head(), now)
        .await
        .unwrap();
    assert_eq!(change, override_change(1, "s1", 10, 25, false));
    db.store
        .set_quota_default(
            OFFICE,
            Weekday::Tue,
            "s1",
            ONLINE,
            12,
            monday(),
            &head(),
            now,
        )
        .await
        .unwrap();

    let plan = db
        .store
        .quota_plan(OFFICE, monday(), day(13))
        .await
        .unwrap();
    assert_eq!(plan.capacity(day(0), "s1", ONLINE), 10);
    assert_eq!(plan.capacity(day(1), "s1", ONLINE), 25, "the override wins");
    assert_eq!(
        plan.capacity(day(8), "s1", ONLINE),
        12,
        "the new Tuesday default"
    );
    assert_eq!(plan.capacity(day(1), "s2", ONLINE), 10);
    assert_eq!(
        plan.capacity(day(5), "s1", ONLINE),
        0,
        "Saturday has no default"
    );
    assert_eq!(plan.capacity(day(1), "s1", ServiceClass::Express), 0);
    // Overrides outside the period are not part of the plan.
    let later = db.store.quota_plan(OFFICE, day(2), day(13)).await.unwrap();
    assert_eq!(later.capacity(day(1), "s1", ONLINE), 12);

    assert_eq!(
        db.store
            .quota_overrides(OFFICE, monday(), day(13))
            .await
            .unwrap(),
        vec![QuotaOverrideRow {
            service_date: day(1),
            session_code: "s1".into(),
            class: ONLINE,
            capacity: 25
        }]
    );
    assert!(
        db.store
            .quota_overrides(OFFICE, day(2), day(13))
            .await
            .unwrap()
            .is_empty()
    );

    let log = db.store.audit_log(Some(OFFICE), 100).await.unwrap();
    let latest = &log[0];
    assert_eq!(latest.action, "quota.default");
    assert_eq!(latest.subject, "tue/s1/online");
    assert_eq!(
        (latest.before.as_deref(), latest.after.as_deref()),
        (Some("10"), Some("12"))
    );
    let ov = entries(&log, "quota.override");
    assert_eq!(ov.len(), 1);
    assert_eq!(ov[0].subject, "2030-01-08/s1/online");
    assert_eq!(ov[0].actor, "kepala.palembang");
    assert_eq!(ov[0].at, now);
    assert_eq!(
        (ov[0].before.as_deref(), ov[0].after.as_deref()),
        (Some("10"), Some("25"))
    );
    // Ten seeded defaults, one override, one more default.
    assert_eq!(log.len(), 12);
    assert_eq!(db.store.audit_log(Some(OFFICE), 3).await.unwrap().len(), 3);
}

async fn an_override_below_the_places_taken_is_refused_and_changes_nothing(db: Ctx) {
    seed(&db.store).await;
    let key = slot(day(0), "s1");
    for _ in 0..3 {
        let a = person(&db.store).await;
        book(&db.store, &a, &key, t0()).await;
    }
    let audit_before = db.store.audit_log(None, 1000).await.unwrap().len();
    let now = t0() + Duration::minutes(5);

    assert_err!(
        db.store
            .set_quota_override(OFFICE, day(0), "s1", ONLINE, 2, &head(), now)
            .await,
        StoreError::CapacityBelowTaken { taken: 3 }
    );
    assert_eq!(usage(&db.store, &key, now).await.unwrap().capacity, 10);
    assert!(
        db.store
            .quota_overrides(OFFICE, monday(), day(13))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        db.store.audit_log(None, 1000).await.unwrap().len(),
        audit_before
    );
    let plan = db
        .store
        .quota_plan(OFFICE, monday(), day(13))
        .await
        .unwrap();
    assert_eq!(plan.capacity(day(0), "s1", ONLINE), 10);

    // Down to exactly the places taken is allowed, and the slot is then full.
    let change = db
        .store
        .set_quota_override(OFFICE, day(0), "s1", ONLINE, 3, &head(), now)
        .await
        .unwrap();
    assert_eq!(change, override_change(0, "s1", 10, 3, false));
    let u = usage(&db.store, &key, now).await.unwrap();
    assert_eq!((u.capacity, u.taken), (3, 3));
    let late = person(&db.store).await;
    assert_err!(
        db.store.allocate(request(&late, &key, now)).await,
        StoreError::QuotaFull
    );

    // Lapsed holds are not taken places: once they lapse the office may close the slot.
    let after_deadline = t0() + two_hours();
    let change = db
        .store
        .set_quota_override(OFFICE, day(0), "s1", ONLINE, 0, &head(), after_deadline)
        .await
        .unwrap();
    assert_eq!(change, override_change(0, "s1", 3, 0, false));
    assert_eq!(
        usage(&db.store, &key, after_deadline)
            .await
            .unwrap()
            .capacity,
        0
    );
}

async fn a_bulk_adjustment_is_clamped_at_the_places_taken_and_says_so(db: Ctx) {
    seed(&db.store).await;
    let busy = slot(day(0), "s1");
    for _ in 0..3 {
        let a = person(&db.store).await;
        book(&db.store, &a, &busy, t0()).await;
    }
    let now = t0() + Duration::minutes(10);
    // The store reads each capacity in force (10, the weekday default) itself.
    let targets = vec![
        (day(0), "s1".to_owned(), ONLINE),
        (day(0), "s2".to_owned(), ONLINE),
        (day(1), "s1".to_owned(), ONLINE),
    ];
    // 10 - 80% = 2, which the busy slot cannot go to.
    let changes = db
        .store
        .bulk_adjust_quota(
            OFFICE,
            &targets,
            QuotaAdjustment::Percent(-80),
            &head(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        changes,
        vec![
            override_change(0, "s1", 10, 3, true),
            override_change(0, "s2", 10, 2, false),
            override_change(1, "s1", 10, 2, false),
        ]
    );
    let u = usage(&db.store, &busy, now).await.unwrap();
    assert_eq!((u.capacity, u.taken), (3, 3));
    let plan = db
        .store
        .quota_plan(OFFICE, monday(), day(13))
        .await
        .unwrap();
    assert_eq!(plan.capacity(day(0), "s1", ONLINE), 3);
    assert_eq!(plan.capacity(day(0), "s2", ONLINE), 2);
    assert_eq!(plan.capacity(day(1), "s1", ONLINE), 2);
    assert_eq!(plan.capacity(day(1), "s2", ONLINE), 10);

    let log = db.store.audit_log(Some(OFFICE), 100).await.unwrap();
    let clamped = entries(&log, "quota.bulk.clamped");
    assert_eq!(clamped.len(), 1);
    assert_eq!(clamped[0].subject, "2030-01-07/s1/online");
    assert_eq!(
        (clamped[0].before.as_deref(), clamped[0].after.as_deref()),
        (Some("10"), Some("3"))
    );
    let plain = entries(&log, "quota.bulk");
    assert_eq!(plain.len(), 2);
    for e in clamped.iter().chain(&plain) {
        assert_eq!(e.actor, "kepala.palembang");
        assert_eq!(e.at, now);
    }
}

async fn lowering_a_weekday_default_below_the_places_taken_clamps_only_that_slot(db: Ctx) {
    seed(&db.store).await;
    // Monday s1 this week: three places taken.
    let busy = slot(day(0), "s1");
    for _ in 0..3 {
        let a = person(&db.store).await;
        book(&db.store, &a, &busy, t0()).await;
    }
    // Monday s1 next week: a slot row with nothing taken (booked, then cancelled).
    let quiet = slot(day(7), "s1");
    let a = person(&db.store).await;
    let b = book(&db.store, &a, &quiet, t0()).await;
    db.store.cancel_booking(b.id, t0()).await.unwrap();
    // Tuesday s1 and Monday s2: other defaults, must not move.
    let tuesday = slot(day(1), "s1");
    let monday_s2 = slot(day(0), "s2");
    for key in [&tuesday, &monday_s2] {
        let a = person(&db.store).await;
        book(&db.store, &a, key, t0()).await;
    }

    let now = t0() + Duration::milliseconds(60_001);
    let changes = db
        .store
        .set_quota_default(
            OFFICE,
            Weekday::Mon,
            "s1",
            ONLINE,
            2,
            monday(),
            &head(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        changes,
        vec![
            CapacityChange {
                service_date: None,
                weekday: Some("mon".into()),
                session_code: "s1".into(),
                class: ONLINE,
                before: 10,
                after: 2,
                clamped: false,
            },
            override_change(0, "s1", 10, 3, true),
        ]
    );
    assert_eq!(usage(&db.store, &busy, now).await.unwrap().capacity, 3);
    assert_eq!(usage(&db.store, &quiet, now).await.unwrap().capacity, 2);
    assert_eq!(usage(&db.store, &tuesday, now).await.unwrap().capacity, 10);
    assert_eq!(
        usage(&db.store, &monday_s2, now).await.unwrap().capacity,
        10
    );
    assert_eq!(
        db.store
            .quota_overrides(OFFICE, monday(), day(13))
            .await
            .unwrap(),
        vec![QuotaOverrideRow {
            service_date: day(0),
            session_code: "s1".into(),
            class: ONLINE,
            capacity: 3
        }]
    );
    let plan = db
        .store
        .quota_plan(OFFICE, monday(), day(20))
        .await
        .unwrap();
    assert_eq!(plan.capacity(day(0), "s1", ONLINE), 3);
    assert_eq!(plan.capacity(day(7), "s1", ONLINE), 2);
    assert_eq!(plan.capacity(day(14), "s1", ONLINE), 2);
    assert_eq!(plan.capacity(day(1), "s1", ONLINE), 10);

    let log = db.store.audit_log(Some(OFFICE), 100).await.unwrap();
    assert_eq!(log[0].action, "quota.override.clamped");
    assert_eq!(log[0].subject, "2030-01-07/s1/online");
    assert_eq!(
        (log[0].before.as_deref(), log[0].after.as_deref()),
        (Some("10"), Some("3"))
    );
    assert_eq!(log[1].action, "quota.default");
    assert_eq!(log[1].subject, "mon/s1/online");
    assert_eq!(
        (log[1].before.as_deref(), log[1].after.as_deref()),
        (Some("10"), Some("2"))
    );
    for e in &log[..2] {
        assert_eq!(e.actor, "kepala.palembang");
        assert_eq!(e.at, now);
    }

    // Slots before `from_date` keep their capacity.
    let next_monday_s2 = slot(day(7), "s2");
    let a = person(&db.store).await;
    book(&db.store, &a, &next_monday_s2, t0()).await;
    db.store
        .set_quota_default(OFFICE, Weekday::Mon, "s2", ONLINE, 4, day(7), &head(), now)
        .await
        .unwrap();
    assert_eq!(
        usage(&db.store, &monday_s2, now).await.unwrap().capacity,
        10
    );
    assert_eq!(
        usage(&db.store, &next_monday_s2, now)
            .await
            .unwrap()
            .capacity,
        4
    );
}
