//! The mail outbox: queued mail waits, oldest first, until it is marked sent; a failed
//! attempt keeps it queued, and after ten attempts it is given up. A worker claims a batch
//! for a lease, so several instances never deliver the same mail at once.

use chrono::Duration;
use loket_store::prelude::*;

use crate::helpers::{Ctx, ms, t0};

conformance!(
    queued_mail_is_sent_oldest_first_and_failures_are_retried,
    recent_mail_is_newest_first_and_can_be_filtered_by_address,
    mail_that_failed_ten_times_is_given_up,
    a_claimed_mail_is_skipped_by_other_workers_until_its_lease_ends,
);

async fn queued_mail_is_sent_oldest_first_and_failures_are_retried(db: Ctx) {
    let s = &db.store;
    s.enqueue_mail(
        "b@example.test",
        "Kode verifikasi",
        "Kode: 123456",
        t0() + Duration::seconds(2),
    )
    .await
    .unwrap();
    s.enqueue_mail(
        "a@example.test",
        "Bukti pembayaran",
        "Lunas.",
        t0() + Duration::seconds(1),
    )
    .await
    .unwrap();
    s.enqueue_mail(
        "c@example.test",
        "Jadwal",
        "Senin 08.00",
        t0() + Duration::seconds(3),
    )
    .await
    .unwrap();
    let unsent = s.unsent_mail(10).await.unwrap();
    let to: Vec<&str> = unsent.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, ["a@example.test", "b@example.test", "c@example.test"]);
    assert_eq!(unsent[0].subject, "Bukti pembayaran");
    assert_eq!(unsent[0].body, "Lunas.");
    assert_eq!(unsent[0].created_at, t0() + Duration::seconds(1));
    assert!(unsent.iter().all(|m| m.sent_at.is_none()));
    assert_eq!(s.unsent_mail(2).await.unwrap().len(), 2);

    let sent_at = t0() + Duration::seconds(10);
    s.mark_mail(unsent[0].id, Ok(sent_at)).await.unwrap();
    s.mark_mail(unsent[1].id, Err("smtp: connection refused".into()))
        .await
        .unwrap();
    let still: Vec<_> = s
        .unsent_mail(10)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(still, vec![unsent[1].id, unsent[2].id]);
    let recent = s.recent_mail(Some("a@example.test"), 10).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].sent_at, Some(sent_at));
}

async fn recent_mail_is_newest_first_and_can_be_filtered_by_address(db: Ctx) {
    let s = &db.store;
    for (i, to) in ["x@example.test", "y@example.test", "x@example.test"]
        .iter()
        .enumerate()
    {
        let at = t0() + Duration::seconds(i as i64);
        s.enqueue_mail(to, &format!("mail {i}"), "isi", at)
            .await
            .unwrap();
    }
    let subjects = |v: Vec<loket_store::Mail>| v.into_iter().map(|m| m.subject).collect::<Vec<_>>();
    assert_eq!(
        subjects(s.recent_mail(None, 10).await.unwrap()),
        ["mail 2", "mail 1", "mail 0"]
    );
    assert_eq!(subjects(s.recent_mail(None, 1).await.unwrap()), ["mail 2"]);
    assert_eq!(
        subjects(s.recent_mail(Some("x@example.test"), 10).await.unwrap()),
        ["mail 2", "mail 0"]
    );
    assert!(
        s.recent_mail(Some("z@example.test"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn mail_that_failed_ten_times_is_given_up(db: Ctx) {
    let s = &db.store;
    s.enqueue_mail("x@example.test", "Kode", "123456", t0())
        .await
        .unwrap();
    let id = s.unsent_mail(1).await.unwrap()[0].id;
    for i in 0..10 {
        assert_eq!(
            s.unsent_mail(10).await.unwrap().len(),
            1,
            "after {i} failures"
        );
        s.mark_mail(id, Err(format!("attempt {i} failed")))
            .await
            .unwrap();
    }
    assert!(s.unsent_mail(10).await.unwrap().is_empty());
}

async fn a_claimed_mail_is_skipped_by_other_workers_until_its_lease_ends(db: Ctx) {
    let s = &db.store;
    for i in 0..3 {
        let at = t0() + Duration::seconds(i);
        s.enqueue_mail(&format!("{i}@example.test"), "Kode", "123456", at)
            .await
            .unwrap();
    }
    let now = t0() + Duration::minutes(1);
    let lease = now + Duration::minutes(5);
    let mut first: Vec<String> = s
        .claim_mail(now, lease, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.to)
        .collect();
    first.sort();
    assert_eq!(
        first,
        ["0@example.test", "1@example.test"],
        "the oldest first"
    );
    let second = s
        .claim_mail(now + ms(1), now + ms(1) + Duration::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].to, "2@example.test");
    assert!(
        s.claim_mail(now + ms(2), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // The first worker delivers one of its two and dies.
    let sent = s.unsent_mail(10).await.unwrap()[0].id;
    s.mark_mail(sent, Ok(now + Duration::seconds(1)))
        .await
        .unwrap();
    assert!(
        s.claim_mail(lease, lease + Duration::minutes(5), 10)
            .await
            .unwrap()
            .is_empty(),
        "the lease still holds at its last instant"
    );
    let retried = s
        .claim_mail(lease + ms(1), lease + Duration::minutes(10), 10)
        .await
        .unwrap();
    let to: Vec<&str> = retried.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(
        to,
        ["1@example.test"],
        "only the undelivered mail of the lapsed lease"
    );
}
