//! Notices (booking mail): a recorded change is found until it is noticed, and noticing it
//! queues its mail in the same transaction, once, however many instances try; a change
//! that needs no mail is marked without one; running holds are found in deadline order
//! until they lapse, and tomorrow's paid bookings (in each office's own zone) until their
//! reminder is recorded; the changes
//! recorded before notices existed are never mailed.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use loket_domain::booking::BookingState;
use loket_domain::office::parse_time_zone;
use loket_domain::quota::ServiceClass;
use loket_store::prelude::*;
use loket_store::{Booking, Notice, NoticeKey, OutgoingMail, SqlStore};

use crate::helpers::{
    Ctx, Engine, TestDb, book, close, day, head, ms, notice, office, person, seed, slot, stampede,
    t0, two_hours,
};

conformance!(
    a_recorded_change_is_noticed_once_with_its_mail,
    a_change_that_needs_no_mail_is_marked_without_one,
    running_holds_are_found_in_deadline_order_until_they_lapse,
    reminders_are_due_for_tomorrows_paid_bookings_in_each_offices_zone,
    two_instances_recording_the_same_notices_queue_each_mail_once,
    a_bookings_own_notices_are_claimed_once_with_or_without_mail,
);

fn mail(n: i64) -> Option<OutgoingMail> {
    Some(OutgoingMail {
        to: format!("pemohon{n}@example.test"),
        subject: format!("notice {n}"),
        body: "isi".into(),
    })
}

async fn outbox(store: &SqlStore) -> Vec<String> {
    let mut subjects: Vec<String> = store
        .recent_mail(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.subject)
        .collect();
    subjects.sort();
    subjects
}

/// A booking made at t0 and cancelled a millisecond later: one recorded change.
async fn cancelled(store: &SqlStore, date: NaiveDate) -> Booking {
    let a = person(store).await;
    let b = book(store, &a, &slot(date, "s1"), t0()).await;
    store.cancel_booking(b.id, t0() + ms(1)).await.unwrap()
}

async fn a_recorded_change_is_noticed_once_with_its_mail(db: Ctx) {
    let s = &db.store;
    seed(s).await;
    let b = cancelled(s, day(0)).await;
    let events = s.unnoticed_events(10).await.unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.booking_id, b.id);
    assert_eq!(e.at, t0() + ms(1));
    assert_eq!(
        (e.from, e.to),
        (Some(BookingState::AwaitingPayment), BookingState::Cancelled)
    );
    assert_eq!(
        (e.actor.as_str(), e.detail.as_str()),
        ("applicant", "cancelled")
    );

    let n = Notice {
        key: NoticeKey::Event(e.id),
        mail: mail(1),
    };
    let now = t0() + Duration::seconds(5);
    assert_eq!(
        s.record_notices(std::slice::from_ref(&n), now)
            .await
            .unwrap(),
        1
    );
    assert!(s.unnoticed_events(10).await.unwrap().is_empty());
    assert_eq!(s.record_notices(&[n], now).await.unwrap(), 0, "once");
    let queued = s.recent_mail(None, 10).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].to, "pemohon1@example.test");
    assert_eq!(queued[0].created_at, now);
    assert_eq!(
        s.unsent_mail(10).await.unwrap().len(),
        1,
        "waiting for the sender"
    );

    // The next change is found after the noticed one.
    let later = cancelled(s, day(1)).await;
    let events = s.unnoticed_events(10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].booking_id, later.id);
    assert!(events[0].id > e.id);
}

async fn a_change_that_needs_no_mail_is_marked_without_one(db: Ctx) {
    let s = &db.store;
    seed(s).await;
    let a = person(s).await;
    let b = book(s, &a, &slot(day(0), "s1"), t0()).await;
    s.record_payment(&notice(&b, "pending", t0() + ms(5)), t0() + ms(5))
        .await
        .unwrap();
    let events = s.unnoticed_events(10).await.unwrap();
    assert_eq!(events[0].to, BookingState::PaymentPending);
    let notices: Vec<_> = events
        .iter()
        .map(|e| Notice {
            key: NoticeKey::Event(e.id),
            mail: None,
        })
        .collect();
    assert_eq!(s.record_notices(&notices, t0() + ms(6)).await.unwrap(), 0);
    assert!(s.unnoticed_events(10).await.unwrap().is_empty());
    assert!(outbox(s).await.is_empty());
    assert_eq!(s.record_notices(&[], t0()).await.unwrap(), 0);
}

async fn running_holds_are_found_in_deadline_order_until_they_lapse(db: Ctx) {
    let s = &db.store;
    seed(s).await;
    let (a, b) = (person(s).await, person(s).await);
    let first = book(s, &a, &slot(day(0), "s1"), t0()).await;
    let second = book(s, &b, &slot(day(1), "s2"), t0() + Duration::minutes(1)).await;
    // A paid booking is not a hold.
    let c = person(s).await;
    let paid = book(s, &c, &slot(day(0), "s2"), t0()).await;
    s.record_payment(&notice(&paid, "paid", t0()), t0() + ms(1))
        .await
        .unwrap();

    // A third hold with the first's deadline: ties are ordered by id.
    let d = person(s).await;
    let third = book(s, &d, &slot(day(1), "s1"), t0()).await;
    assert_eq!(third.payment_deadline, first.payment_deadline);
    let (x, y) = if first.id < third.id {
        (first.id, third.id)
    } else {
        (third.id, first.id)
    };

    let ids = |v: Vec<Booking>| v.into_iter().map(|b| b.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.running_holds(t0(), None, 10).await.unwrap()),
        [x, y, second.id],
        "soonest deadline first, then by id"
    );
    assert_eq!(ids(s.running_holds(t0(), None, 1).await.unwrap()), [x]);
    assert_eq!(
        ids(s
            .running_holds(first.payment_deadline, Some(x), 10)
            .await
            .unwrap()),
        [y, second.id],
        "after the last hold of a full batch: its deadline with a greater id, then later ones"
    );
    assert_eq!(
        ids(s
            .running_holds(first.payment_deadline, None, 10)
            .await
            .unwrap()),
        [second.id],
        "only deadlines after the instant asked"
    );
    let held = Notice {
        key: NoticeKey::Held(first.id),
        mail: mail(1),
    };
    assert_eq!(
        s.record_notices(std::slice::from_ref(&held), t0())
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.record_notices(&[held], t0()).await.unwrap(), 0);
    // Noticed or not, a running hold is one (the sweep knows which it noticed).
    assert_eq!(
        ids(s.running_holds(t0(), None, 10).await.unwrap()),
        [x, y, second.id]
    );
    // Once its deadline has passed, a hold is no longer one to tell about.
    assert!(
        s.running_holds(t0() + two_hours() + Duration::minutes(1), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(outbox(s).await, ["notice 1"]);
}

async fn reminders_are_due_for_tomorrows_paid_bookings_in_each_offices_zone(db: Ctx) {
    let s = &db.store;
    seed(s).await;
    // A second office nine hours ahead of UTC (WIT), two ahead of Palembang.
    let mut east = office();
    east.code = "jayapura".into();
    east.name = "Kantor Imigrasi Kelas I TPI Jayapura".into();
    east.time_zone = parse_time_zone("Asia/Jayapura").unwrap();
    s.upsert_office(&east).await.unwrap();
    s.set_quota_override(
        "jayapura",
        day(1),
        "s1",
        ServiceClass::Online,
        5,
        &head(),
        t0(),
    )
    .await
    .unwrap();
    let paid_on = |key: loket_store::SlotKey| async move {
        let a = person(s).await;
        let b = book(s, &a, &key, t0()).await;
        s.record_payment(&notice(&b, "paid", t0()), t0() + ms(1))
            .await
            .unwrap();
        b
    };
    let monday = paid_on(slot(day(0), "s1")).await;
    let tuesday = paid_on(slot(day(1), "s1")).await;
    let mut east_key = slot(day(1), "s1");
    east_key.office_code = "jayapura".into();
    let east_tuesday = paid_on(east_key).await;
    let unpaid = person(s).await;
    book(s, &unpaid, &slot(day(0), "s2"), t0()).await;

    let ids = |v: Vec<Booking>| {
        let mut v: Vec<_> = v.into_iter().map(|b| b.id).collect();
        v.sort();
        v
    };
    // Sunday 6 January 2030, 20:00 WIB: 22:00 WIT in Jayapura, where it is night, so only
    // Palembang's Monday is due.
    let sunday_evening = Utc.with_ymd_and_hms(2030, 1, 6, 13, 0, 0).unwrap();
    assert_eq!(
        ids(s.reminders_due(sunday_evening, 10).await.unwrap()),
        [monday.id]
    );
    // Sunday 23:00 WIB, Monday 01:00 WIT: night in both zones, nothing is due.
    let sunday_night = Utc.with_ymd_and_hms(2030, 1, 6, 16, 0, 0).unwrap();
    assert!(s.reminders_due(sunday_night, 10).await.unwrap().is_empty());
    // Monday 06:30 WIB, 08:30 WIT: Tuesday is tomorrow in Jayapura, where it is day; still
    // night in Palembang.
    let monday_dawn = Utc.with_ymd_and_hms(2030, 1, 6, 23, 30, 0).unwrap();
    assert_eq!(
        ids(s.reminders_due(monday_dawn, 10).await.unwrap()),
        [east_tuesday.id]
    );
    assert_eq!(s.reminders_due(sunday_evening, 1).await.unwrap().len(), 1);
    let n = Notice {
        key: NoticeKey::Reminder(monday.id, day(0)),
        mail: mail(1),
    };
    assert_eq!(s.record_notices(&[n], sunday_evening).await.unwrap(), 1);
    assert!(
        s.reminders_due(sunday_evening, 10)
            .await
            .unwrap()
            .is_empty(),
        "once per booking and date"
    );
    // A reminder of another date is another notice (a booking moved to a new day).
    let n = Notice {
        key: NoticeKey::Reminder(monday.id, day(2)),
        mail: mail(2),
    };
    assert_eq!(s.record_notices(&[n], sunday_evening).await.unwrap(), 1);
    // Monday 08:00 WIB: Tuesday is tomorrow in Palembang too.
    let monday_morning = Utc.with_ymd_and_hms(2030, 1, 7, 1, 0, 0).unwrap();
    let mut expected = vec![tuesday.id, east_tuesday.id];
    expected.sort();
    assert_eq!(
        ids(s.reminders_due(monday_morning, 10).await.unwrap()),
        expected
    );
    assert_eq!(outbox(s).await, ["notice 1", "notice 2"]);
}

async fn two_instances_recording_the_same_notices_queue_each_mail_once(db: Ctx) {
    let s = &db.store;
    seed(s).await;
    for i in 0..20u64 {
        cancelled(s, day(i % 5)).await;
    }
    let holds: Vec<Booking> = {
        let mut v = Vec::new();
        for i in 0..10u64 {
            let a = person(s).await;
            v.push(book(s, &a, &slot(day(i % 5), "s2"), t0()).await);
        }
        v
    };
    let events = s.unnoticed_events(100).await.unwrap();
    assert_eq!(events.len(), 20);
    let notices: Vec<Notice> = events
        .iter()
        .map(|e| Notice {
            key: NoticeKey::Event(e.id),
            mail: mail(e.id),
        })
        .chain(holds.iter().enumerate().map(|(i, b)| Notice {
            key: NoticeKey::Held(b.id),
            mail: mail(1000 + i as i64),
        }))
        .collect();
    let second = db.another_instance().await;
    let stores = [s.clone(), second.clone()];
    // Four recorders, two per instance, each with the whole batch, in different orders.
    let results = stampede(4, |i| {
        let store = stores[i % 2].clone();
        let mut mine = notices.clone();
        if i % 2 == 1 {
            mine.reverse();
        }
        async move {
            store
                .record_notices(&mine, t0() + Duration::seconds(1))
                .await
        }
    })
    .await;
    close(&second).await;
    let per: Vec<u64> = results.into_iter().map(Result::unwrap).collect();
    let total: u64 = per.iter().sum();
    println!(
        "{:?}: 4 recorders of the same 30 notices on two instances queued {per:?} = {total} mails",
        db.engine
    );
    assert_eq!(total, 30);
    let queued = outbox(s).await;
    assert_eq!(queued.len(), 30);
    let mut unique = queued.clone();
    unique.dedup();
    assert_eq!(unique.len(), 30, "no mail twice");
    assert!(s.unnoticed_events(100).await.unwrap().is_empty());
}

/// A hold's and a reminder's notices (claimed by booking, not by a recorded change): one
/// batch with a repeat, one without mail, queues each mail once; claimed ones stay claimed.
async fn a_bookings_own_notices_are_claimed_once_with_or_without_mail(db: Ctx) {
    let s = &db.store;
    seed(s).await;
    let a = person(s).await;
    let quiet = book(s, &a, &slot(day(0), "s1"), t0()).await;
    let b = person(s).await;
    let told = book(s, &b, &slot(day(1), "s1"), t0()).await;
    let held = |b: &Booking, m| Notice {
        key: NoticeKey::Held(b.id),
        mail: m,
    };
    let reminder = Notice {
        key: NoticeKey::Reminder(told.id, day(1)),
        mail: mail(3),
    };
    let now = t0() + Duration::seconds(1);
    let first = [
        held(&quiet, None),
        held(&told, mail(2)),
        reminder.clone(),
        held(&told, mail(2)),
    ];
    assert_eq!(s.record_notices(&first, now).await.unwrap(), 2);
    assert_eq!(outbox(s).await, ["notice 2", "notice 3"]);
    // Each is claimed now, the one without mail too; a reminder of another day is not.
    let again = [
        held(&quiet, mail(1)),
        held(&told, mail(2)),
        reminder,
        Notice {
            key: NoticeKey::Reminder(told.id, day(2)),
            mail: mail(4),
        },
    ];
    assert_eq!(s.record_notices(&again, now).await.unwrap(), 1);
    assert_eq!(outbox(s).await, ["notice 2", "notice 3", "notice 4"]);
    let queued = s.recent_mail(None, 10).await.unwrap();
    assert!(queued.iter().all(|m| m.created_at == now), "{queued:?}");
}

/// A database of the release before notices, with a recorded change, upgraded: the change
/// is history and is not mailed; the next one is.
async fn changes_recorded_before_notices_existed_are_not_mailed(engine: Engine) {
    let db = TestDb::create_at(engine, Some(6)).await;
    let s = db.ctx().store;
    seed(&s).await;
    cancelled(&s, day(0)).await;
    s.migrate().await.unwrap();
    assert!(s.unnoticed_events(10).await.unwrap().is_empty());
    let after = cancelled(&s, day(1)).await;
    let events = s.unnoticed_events(10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].booking_id, after.id);
    db.destroy().await;
}

mod changes_recorded_before_notices_existed_are_not_mailed {
    use crate::helpers::Engine;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::changes_recorded_before_notices_existed_are_not_mailed(Engine::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::changes_recorded_before_notices_existed_are_not_mailed(Engine::Postgres).await;
    }
}
