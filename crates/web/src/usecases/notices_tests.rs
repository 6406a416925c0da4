//! The booking mail, end to end through the use cases: each change of a booking gives its
//! applicant exactly one mail of its kind, in the account's language; two instances
//! sweeping at once still send each once; the reminder goes only to tomorrow's paid
//! bookings; changes older than the max age are marked without mail.

use chrono::{Days, NaiveDate};
use loket_domain::quota::ServiceClass;
use loket_store::{Actor, Booking, PaymentOutcome};

use super::*;
use crate::format::long_date;
use crate::usecases::bookings::{self, Held};
use crate::usecases::payments::{self, DevPayment};
use crate::usecases::testing::{self, Booker, OFFICE, new_booking};

/// The mail to `to`, oldest first, as (subject, body).
async fn mail_to(state: &AppState, to: &str) -> Vec<(String, String)> {
    let mut m = state.store.recent_mail(Some(to), 100).await.unwrap();
    m.reverse();
    m.into_iter().map(|m| (m.subject, m.body)).collect()
}

async fn hold(state: &AppState, who: &Booker, date: NaiveDate) -> Booking {
    match bookings::hold(state, new_booking(who, date, "s1")).await {
        Ok(Held::New(b)) => b,
        other => panic!("the hold is made: {other:?}"),
    }
}

async fn pay(state: &AppState, b: &Booking) -> PaymentOutcome {
    payments::dev_pay(
        state,
        DevPayment {
            billing_code: b.billing_code.to_string(),
            ..DevPayment::default()
        },
    )
    .await
    .unwrap()
}

/// Runs passes until one finds nothing more; returns the mails queued.
async fn sweep(state: &AppState, sweeper: &mut Sweeper) -> u64 {
    let mut mailed = 0;
    loop {
        let p = sweeper.pass(state).await.unwrap();
        mailed += p.mailed;
        if !p.more {
            return mailed;
        }
    }
}

/// Open dates at least four days ahead, so that no reminder falls due while a story runs.
async fn later_dates(state: &AppState) -> Vec<NaiveDate> {
    testing::open_dates(state).await.split_off(3)
}

fn subjects(mail: &[(String, String)]) -> Vec<&str> {
    mail.iter().map(|(s, _)| s.as_str()).collect()
}

#[tokio::test]
async fn each_change_of_a_booking_is_mailed_once_in_the_accounts_language() {
    let t = testing::booking_state().await;
    let s = &t.state;
    let en = testing::booker(s, "en").await;
    let dates = later_dates(s).await;
    let (d1, d2) = (dates[0], dates[1]);
    let mut sweeper = Sweeper::default();

    let b = hold(s, &en, d1).await;
    assert_eq!(sweep(s, &mut sweeper).await, 1);
    let mail = mail_to(s, &en.email).await;
    assert_eq!(
        subjects(&mail),
        ["The billing code of your passport booking"]
    );
    let body = &mail[0].1;
    let code = b.billing_code.as_str();
    for part in [
        format!(
            "Billing code: {} {} {}",
            &code[..5],
            &code[5..10],
            &code[10..]
        ),
        format!("Amount: {}", rupiah(b.fee_total)),
        format!("When: {}, 08:00–10:00 WIB", long_date(Tr(Lang::En), d1)),
        format!("See your booking: https://loket.test/bookings/{}", b.id),
        "Applicant: Budi Santoso".to_owned(),
    ] {
        assert!(body.contains(&part), "{part:?} in\n{body}");
    }
    assert!(
        body.lines()
            .any(|l| l.starts_with("Pay before: ") && l.ends_with(" WIB")),
        "{body}"
    );

    assert_eq!(pay(s, &b).await, PaymentOutcome::Paid);
    assert_eq!(sweep(s, &mut sweeper).await, 1);
    bookings::reschedule(s, en.account_id, b.id, d2, "s1")
        .await
        .unwrap();
    assert_eq!(sweep(s, &mut sweeper).await, 1);
    bookings::cancel(s, en.account_id, b.id).await.unwrap();
    assert_eq!(sweep(s, &mut sweeper).await, 1);
    assert_eq!(sweep(s, &mut sweeper).await, 0, "nothing is mailed twice");

    let mail = mail_to(s, &en.email).await;
    assert_eq!(
        subjects(&mail),
        [
            "The billing code of your passport booking",
            "Payment received: your passport booking is paid",
            "Your passport booking has moved",
            "Your passport booking is cancelled",
        ]
    );
    assert!(mail[1].1.contains(&rupiah(b.fee_total)), "{}", mail[1].1);
    let moved = &mail[2].1;
    assert!(
        moved.contains(&format!(
            "New time: {}, 08:00–10:00 WIB",
            long_date(Tr(Lang::En), d2)
        )),
        "{moved}"
    );
    assert!(moved.contains("Come at the new time"), "{moved}");
    let cancelled = &mail[3].1;
    assert!(
        cancelled.contains(&format!(
            "You paid {}; it will be refunded.",
            rupiah(b.fee_total)
        )),
        "{cancelled}"
    );
    assert!(
        cancelled.contains("make a new booking: https://loket.test/offices/palembang"),
        "{cancelled}"
    );
    for (subject, body) in &mail {
        assert!(!body.contains('{') && !subject.contains('{'), "{body}");
    }
}

#[tokio::test]
async fn an_unpaid_hold_is_mailed_when_held_and_when_it_expires_in_indonesian() {
    let t = testing::booking_state().await;
    let s = &t.state;
    let id = testing::booker(s, "id").await;
    let d1 = later_dates(s).await[0];
    let mut sweeper = Sweeper::default();
    let b = hold(s, &id, d1).await;
    assert_eq!(sweep(s, &mut sweeper).await, 1);

    s.clock.advance(Duration::minutes(121));
    s.store.expire_overdue(s.now(), 100).await.unwrap();
    assert_eq!(sweep(s, &mut sweeper).await, 1);
    let mail = mail_to(s, &id.email).await;
    assert_eq!(
        subjects(&mail),
        [
            "Kode billing janji paspor Anda",
            "Janji paspor Anda kedaluwarsa"
        ]
    );
    let held = &mail[0].1;
    assert!(
        held.contains(&format!("Jumlah: {}", rupiah(b.fee_total))),
        "{held}"
    );
    assert!(
        held.contains(&format!(
            "Jadwal: {}, 08.00–10.00 WIB",
            long_date(Tr(Lang::Id), d1)
        )),
        "{held}"
    );
    assert!(held.contains("Bayar sebelum: "), "{held}");
    let expired = &mail[1].1;
    assert!(
        expired.contains("sudah kembali ke kuota")
            && expired.contains("buat janji baru: https://loket.test/offices/palembang"),
        "{expired}"
    );
}

#[tokio::test]
async fn a_late_payment_is_owed_back_and_the_refunds_move_is_mailed() {
    let t = testing::booking_state().await;
    let s = &t.state;
    let dates = later_dates(s).await;
    let (d1, d2) = (dates[0], dates[1]);
    // One place on d1: once A's hold lapses, B takes it, and A's money comes too late.
    s.store
        .set_quota_override(
            OFFICE,
            d1,
            "s1",
            ServiceClass::Online,
            1,
            &Actor::system(),
            s.now(),
        )
        .await
        .unwrap();
    let (a, b_who, c) = (
        testing::booker(s, "id").await,
        testing::booker(s, "id").await,
        testing::booker(s, "en").await,
    );
    let late = hold(s, &a, d1).await;
    s.clock.advance(Duration::minutes(121));
    hold(s, &b_who, d1).await;
    assert_eq!(pay(s, &late).await, PaymentOutcome::RefundDue);
    // C cancels an unpaid hold, then pays it anyway.
    let cancelled = hold(s, &c, d2).await;
    bookings::cancel(s, c.account_id, cancelled.id)
        .await
        .unwrap();

    let mut sweeper = Sweeper::default();
    sweep(s, &mut sweeper).await;
    assert_eq!(pay(s, &cancelled).await, PaymentOutcome::RefundDue);
    bookings::reschedule(s, a.account_id, late.id, d2, "s1")
        .await
        .unwrap();
    sweep(s, &mut sweeper).await;

    let to_a = mail_to(s, &a.email).await;
    assert_eq!(
        subjects(&to_a),
        [
            "Pembayaran Anda akan dikembalikan",
            "Jadwal janji paspor Anda sudah diubah"
        ],
        "A's lapsed hold was never mailed as held, and its expiry was overtaken"
    );
    assert!(
        to_a[0]
            .1
            .contains("setelah batas waktu pembayaran, dan tempat Anda pada"),
        "{}",
        to_a[0].1
    );
    assert!(
        to_a[1].1.contains("Pembayaran Anda sebelumnya berlaku"),
        "{}",
        to_a[1].1
    );
    assert_eq!(
        subjects(&mail_to(s, &b_who.email).await),
        ["Kode billing janji paspor Anda"]
    );
    let to_c = mail_to(s, &c.email).await;
    assert_eq!(
        subjects(&to_c),
        [
            "Your passport booking is cancelled",
            "Your payment will be refunded"
        ]
    );
    assert!(to_c[0].1.contains("Nothing was paid"), "{}", to_c[0].1);
    assert!(
        to_c[1].1.contains("after this booking was cancelled"),
        "{}",
        to_c[1].1
    );
}

#[tokio::test]
async fn two_instances_sweeping_at_once_send_each_mail_once() {
    let t = testing::booking_state().await;
    let s = &t.state;
    let d1 = later_dates(s).await[0];
    let mut held = Vec::new();
    for _ in 0..10 {
        let who = testing::booker(s, "id").await;
        let b = hold(s, &who, d1).await;
        held.push((who, b));
    }
    for (_, b) in &held[..4] {
        assert_eq!(pay(s, b).await, PaymentOutcome::Paid);
    }
    for (who, b) in &held[4..6] {
        bookings::cancel(s, who.account_id, b.id).await.unwrap();
    }
    // Four holds still waiting, four payments, two cancellations.
    let expected = 10;
    let other = t.another_instance().await;
    let (mut one, mut two) = (Sweeper::default(), Sweeper::default());
    let (p1, p2) = tokio::join!(one.pass(s), two.pass(&other));
    let (p1, p2) = (p1.unwrap(), p2.unwrap());
    let (a, b) = tokio::join!(sweep(s, &mut one), sweep(&other, &mut two));
    let queued = s.store.recent_mail(None, 100).await.unwrap();
    println!(
        "two instances sweeping at once: first passes saw {} and {} notices and queued {} and {} \
         mails; later passes {a} and {b}; {} in the outbox for {expected} notices",
        p1.seen,
        p2.seen,
        p1.mailed,
        p2.mailed,
        queued.len()
    );
    assert_eq!(p1.mailed + p2.mailed + a + b, expected);
    assert_eq!(queued.len() as u64, expected);
    let count = |subject: &str| queued.iter().filter(|m| m.subject == subject).count();
    assert_eq!(count("Kode billing janji paspor Anda"), 4);
    assert_eq!(count("Pembayaran diterima: janji paspor Anda lunas"), 4);
    assert_eq!(count("Janji paspor Anda dibatalkan"), 2);
    for (who, _) in &held {
        assert_eq!(mail_to(s, &who.email).await.len(), 1, "one mail each");
    }
    assert_eq!(sweep(s, &mut one).await + sweep(&other, &mut two).await, 0);
}

#[tokio::test]
async fn the_reminder_goes_only_to_tomorrows_paid_bookings() {
    let t = testing::booking_state().await;
    let s = &t.state;
    let dates = testing::open_dates(s).await;
    let day = dates
        .windows(2)
        .find(|w| w[1] == w[0] + Days::new(1) && w[0] > dates[0])
        .map(|w| w[0])
        .expect("two open days in a row");
    let next = day + Days::new(1);
    let (paid, unpaid, later) = (
        testing::booker(s, "en").await,
        testing::booker(s, "en").await,
        testing::booker(s, "id").await,
    );
    let p = hold(s, &paid, day).await;
    pay(s, &p).await;
    hold(s, &unpaid, day).await;
    let l = hold(s, &later, next).await;
    pay(s, &l).await;
    assert_eq!(remind(s, BATCH).await.unwrap().mailed, 0, "not yet");

    // The eve of `day` in the office's zone, at nine in the morning there: reminders go
    // out only in the daytime (`REMINDER_HOURS`), whatever hour the test runs at.
    let eve = (day - Days::new(1))
        .and_hms_opt(9, 0, 0)
        .and_then(|t| t.and_local_timezone(chrono_tz::Asia::Jakarta).single())
        .expect("nine in the morning in Jakarta");
    s.clock.advance(eve.with_timezone(&chrono::Utc) - s.now());
    let reminded = remind(s, BATCH).await.unwrap();
    assert_eq!((reminded.seen, reminded.mailed), (1, 1));
    let mail = mail_to(s, &paid.email).await;
    let (subject, body) = mail.last().unwrap();
    assert_eq!(
        subject,
        "Tomorrow: your passport booking at Kantor Imigrasi Kelas I TPI Palembang"
    );
    assert!(
        body.contains(&format!(
            "When: {}, 08:00–10:00 WIB",
            long_date(Tr(Lang::En), day)
        )),
        "{body}"
    );
    assert!(mail_to(s, &unpaid.email).await.is_empty());
    assert_eq!(
        remind(s, BATCH).await.unwrap().mailed,
        0,
        "once per booking"
    );

    s.clock.advance(Duration::days(1));
    assert_eq!(remind(s, BATCH).await.unwrap().mailed, 1);
    let (subject, _) = mail_to(s, &later.email).await.pop().unwrap();
    assert_eq!(
        subject,
        "Besok: janji paspor Anda di Kantor Imigrasi Kelas I TPI Palembang"
    );
}

#[tokio::test]
async fn changes_older_than_the_max_age_are_marked_without_mail() {
    let t = testing::booking_state().await;
    let s = &t.state;
    let who = testing::booker(s, "id").await;
    let d1 = later_dates(s).await[0];
    let b = hold(s, &who, d1).await;
    pay(s, &b).await;
    s.clock
        .advance(Duration::hours(s.settings.notice_max_age_hours) + Duration::minutes(1));
    let mut sweeper = Sweeper::default();
    let p = sweeper.pass(s).await.unwrap();
    assert_eq!((p.seen, p.mailed), (1, 0), "the payment, seen and marked");
    assert!(s.store.unnoticed_events(10).await.unwrap().is_empty());
    bookings::cancel(s, who.account_id, b.id).await.unwrap();
    assert_eq!(sweep(s, &mut sweeper).await, 1);
    assert_eq!(
        subjects(&mail_to(s, &who.email).await),
        ["Janji paspor Anda dibatalkan"]
    );
}

#[tokio::test]
async fn every_booking_mail_reads_whole_in_both_languages() {
    let t = testing::booking_state().await;
    let s = &t.state;
    let who = testing::booker(s, "id").await;
    let b = hold(s, &who, testing::open_dates(s).await[0]).await;
    let office = s.store.get_office(OFFICE).await.unwrap().unwrap();
    for lang in Lang::ALL {
        for kind in NoticeKind::ALL {
            for from in [
                None,
                Some(BookingState::Cancelled),
                Some(BookingState::RefundDue),
            ] {
                let facts = Facts {
                    booking: &b,
                    office: &office,
                    applicant: "Budi {code} Santoso",
                    base: "https://loket.test",
                    from,
                    reject_reason: Some(loket_domain::floor::RejectReason::NotEligible),
                    now: s.now(),
                };
                let (subject, body) = render(Tr(lang), kind, &facts);
                if kind == NoticeKind::Rejected {
                    assert!(
                        body.contains(Tr(lang).s("reject_reason.not_eligible")),
                        "{lang:?}: the reason is told: {body}"
                    );
                }
                if kind == NoticeKind::DocumentsMissing {
                    let due = crate::format::long_date(
                        Tr(lang),
                        loket_domain::booking::documents_due(b.slot.service_date),
                    );
                    assert!(body.contains(&due), "{lang:?}: the last day: {body}");
                }
                assert!(!subject.is_empty() && !subject.contains('\n'), "{kind:?}");
                let without_name = body.replace("Budi {code} Santoso", "");
                assert!(
                    !without_name.contains('{') && !body.contains("mail.booking"),
                    "{kind:?} {lang:?}:\n{body}"
                );
                assert!(body.contains("https://loket.test/"), "{kind:?}: {body}");
                assert!(!body.contains(b.nik.as_str()), "no NIK in mail");
            }
        }
    }
}

#[tokio::test]
async fn holds_beyond_a_batch_are_mailed_once_and_read_again_without_a_second_mail() {
    let t = testing::booking_state().await;
    let s = &t.state;
    let d1 = later_dates(s).await[0];
    let holds = BATCH as usize + 20;
    s.store
        .set_quota_override(
            OFFICE,
            d1,
            "s1",
            ServiceClass::Online,
            holds as i64,
            &Actor::system(),
            s.now(),
        )
        .await
        .unwrap();
    for _ in 0..holds {
        let who = testing::booker(s, "id").await;
        hold(s, &who, d1).await;
    }
    let mut sweeper = Sweeper::default();
    let mut passes = Vec::new();
    while passes.len() < 5 {
        let p = sweeper.pass(s).await.unwrap();
        passes.push((p.seen, p.mailed));
        if !p.more {
            break;
        }
    }
    // The second batch goes on after the first one's last hold.
    assert_eq!(passes, [(100, 100), (20, 20)]);

    // A minute on, the sweep reads these holds again (its overlap, for holds that commit
    // late) and composes no mail for them.
    s.clock.advance(Duration::minutes(1));
    let again = sweeper.pass(s).await.unwrap();
    assert_eq!((again.seen, again.mailed), (0, 0));
}
