//! The display board's event stream: every floor change arrives in order with its number,
//! a call with the words the board speaks and the board as it now stands; a board that
//! reconnects with the number it saw last gets what it missed and nothing twice; and, with
//! two instances on one PostgreSQL, a call made on one reaches a board on the other.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Backend, OFFICE, TestApp};

api_tests!(
    the_board_stream_sends_each_change_in_order_and_catches_up_after_a_drop,
    a_call_on_one_instance_reaches_a_board_on_another,
    the_board_page_shows_the_latest_call_first,
);

/// An open event stream.
struct Stream {
    res: reqwest::Response,
    buf: String,
}

/// One server-sent event.
#[derive(Debug)]
struct Sse {
    id: i64,
    event: String,
    data: Value,
}

impl Stream {
    async fn open(app: &TestApp, last_event_id: Option<i64>) -> Stream {
        let mut rb = app.request(
            reqwest::Method::GET,
            &format!("/board/{OFFICE}/events"),
            None,
        );
        if let Some(id) = last_event_id {
            rb = rb.header("last-event-id", id.to_string());
        }
        let res = rb.send().await.expect("the stream opens");
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        Stream {
            res,
            buf: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped), within five seconds.
    async fn next(&mut self) -> Sse {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let Some(id) = id {
                    return Sse {
                        id,
                        event,
                        data: serde_json::from_str(&data).expect("JSON data"),
                    };
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.res.chunk())
                .await
                .expect("an event within five seconds")
                .expect("the stream reads")
                .expect("the stream stays open");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn walk_in(app: &TestApp, desk: &str) -> Value {
    app.post(
        &format!("/api/v1/offices/{OFFICE}/walk-ins"),
        Some(desk),
        &json!({"basis": "pregnant", "birth_date": "1995-01-01"}),
    )
    .await
    .expect(201)
}

async fn the_board_stream_sends_each_change_in_order_and_catches_up_after_a_drop(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    app.advance_to_local(day, 8);
    let desk = app.staff_token("loket.palembang").await;
    let officer = app.staff_token("petugas.palembang").await;
    let mut board = Stream::open(&app, None).await;

    walk_in(&app, &desk).await;
    let issued = board.next().await;
    assert_eq!(
        (issued.event.as_str(), issued.data["number"].as_str()),
        ("issued", Some("P-001"))
    );
    assert_eq!(issued.data["board"]["waiting"][0], json!(["documents", 1]));
    assert_eq!(
        issued.data["board"]["queue"][0],
        json!(["documents", ["P-001"]])
    );
    let called = app
        .post(
            &format!("/api/v1/offices/{OFFICE}/counters/3/call"),
            Some(&officer),
            &json!({"stage": "documents"}),
        )
        .await
        .expect(200)["called"]
        .clone();
    let call = board.next().await;
    assert_eq!(call.id, issued.id + 1);
    assert_eq!(call.event, "called");
    assert_eq!(call.data["counter"], 3);
    assert_eq!(
        call.data["spoken"],
        "Nomor antrean P nol nol satu, silakan ke loket tiga"
    );
    assert_eq!(
        call.data["board"]["serving"][0]["number"], "P-001",
        "{}",
        call.data
    );

    // The board drops; meanwhile the ticket is called again and finished.
    drop(board);
    let act = format!(
        "/api/v1/offices/{OFFICE}/tickets/{}/actions",
        called["id"].as_str().expect("id")
    );
    app.post(
        &act,
        Some(&officer),
        &json!({"action": "recall", "counter": 3}),
    )
    .await
    .expect(200);
    app.post(
        &act,
        Some(&officer),
        &json!({"action": "finish", "counter": 3, "outcome": "accepted"}),
    )
    .await
    .expect(200);
    // It reconnects with the number it saw last: what it missed, in order, then live.
    let mut again = Stream::open(&app, Some(call.id)).await;
    let recalled = again.next().await;
    assert_eq!(
        (recalled.id, recalled.event.as_str()),
        (call.id + 1, "recalled")
    );
    assert_eq!(
        recalled.data["spoken"],
        "Nomor antrean P nol nol satu, silakan ke loket tiga"
    );
    let finished = again.next().await;
    assert_eq!(
        (finished.id, finished.event.as_str()),
        (call.id + 2, "finished")
    );
    assert_eq!(finished.data["board"]["serving"], json!([]));
    walk_in(&app, &desk).await;
    let next = again.next().await;
    assert_eq!(
        (next.id, next.data["number"].as_str()),
        (call.id + 3, Some("P-002"))
    );
}

async fn a_call_on_one_instance_reaches_a_board_on_another(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let second = match first.another_instance(|_| {}).await {
        Ok(second) => second,
        // SQLite serves one instance: its boards hear its own changes (above).
        Err(loket_web::app::StartError::Locked(_)) if backend == Backend::Sqlite => return,
        Err(e) => panic!("a second instance on {backend:?}: {e}"),
    };
    let day = first.bookable_date().await;
    first.advance_to_local(day, 8);
    second.advance_to_local(day, 8);
    let mut board = Stream::open(&second, None).await;
    let desk = first.staff_token("loket.palembang").await;
    walk_in(&first, &desk).await;
    let officer = first.staff_token("petugas.palembang").await;
    first
        .post(
            &format!("/api/v1/offices/{OFFICE}/counters/1/call"),
            Some(&officer),
            &json!({"stage": "documents"}),
        )
        .await
        .expect(200);
    let issued = board.next().await;
    assert_eq!(issued.event, "issued");
    let started = std::time::Instant::now();
    let call = board.next().await;
    assert_eq!(
        (call.event.as_str(), call.data["number"].as_str()),
        ("called", Some("P-001"))
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

/// A board opened (or reloaded) after some calls shows the latest call in large, as its
/// stream would have left it, not the call of the lowest-numbered counter.
async fn the_board_page_shows_the_latest_call_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    app.advance_to_local(day, 8);
    let desk = app.staff_token("loket.palembang").await;
    let officer = app.staff_token("petugas.palembang").await;
    walk_in(&app, &desk).await;
    walk_in(&app, &desk).await;
    for counter in [1, 2] {
        app.post(
            &format!("/api/v1/offices/{OFFICE}/counters/{counter}/call"),
            Some(&officer),
            &json!({"stage": "documents"}),
        )
        .await
        .expect(200);
    }
    let board = crate::pages::page(&app, &format!("/board/{OFFICE}"), None).await;
    assert_eq!(board.reply.status, 200);
    assert_eq!(board.one("#call"), "P-002 \u{2192} Loket 2");
    assert_eq!(
        board.all("#recent li"),
        ["P-002 \u{2192} Loket 2", "P-001 \u{2192} Loket 1"]
    );
}
