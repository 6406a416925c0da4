//! Background workers that `loket serve` runs beside the HTTP service: the sweep that marks
//! lapsed holds expired and paid bookings whose day passed no-shows (safe on many
//! instances: each row moves once, by a conditional update), the booking mail (notices:
//! each claimed once, in the transaction that queues it), and the mail outbox.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use loket_web::config::parse_smtp_url;
use loket_web::state::AppState;
use loket_web::usecases::notices::Sweeper;

/// Starts the workers; they stop when `stop` turns true.
pub fn spawn(state: AppState, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let mut workers = vec![
        tokio::spawn(expiry(state.clone(), stop.clone())),
        tokio::spawn(notices(state.clone(), stop.clone())),
    ];
    if let Some(url) = state.settings.smtp_url.clone() {
        workers.push(tokio::spawn(mail(state, url, stop)));
    }
    workers
}

/// Delivers one claimed batch; returns how many were sent.
pub async fn deliver_batch(
    state: &AppState,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
) -> Result<usize, loket_store::StoreError> {
    let now = state.now();
    let batch = state
        .store
        .claim_mail(now, now + chrono::Duration::minutes(2), 20)
        .await?;
    let mut sent = 0;
    for m in batch {
        let result = match build_message(&state.settings.mail_from, &m) {
            Ok(msg) => transport
                .send(msg)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                state.store.mark_mail(m.id, Ok(state.now())).await?;
                sent += 1;
            }
            Err(e) => {
                // The address is personal data: log the mail id only.
                tracing::warn!(mail.id = %m.id, error = %e, "mail delivery failed; will retry");
                state.store.mark_mail(m.id, Err(e)).await?;
            }
        }
    }
    Ok(sent)
}

fn build_message(from: &str, m: &loket_store::Mail) -> Result<Message, String> {
    let from: Mailbox = from.parse().map_err(|e| format!("from: {e}"))?;
    let to: Mailbox = m.to.parse().map_err(|e| format!("to: {e}"))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(m.subject.clone())
        .body(m.body.clone())
        .map_err(|e| e.to_string())
}

/// Sends the outbox through the configured SMTP relay.
async fn mail(state: AppState, url: String, mut stop: watch::Receiver<bool>) {
    let Some((host, port)) = parse_smtp_url(&url) else {
        return;
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .build();
    loop {
        match deliver_batch(&state, &transport).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox claim failed; will retry"),
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

/// Turns booking changes into mail in the outbox (see `usecases::notices`): right away
/// while there is more waiting, else every `notice_interval_seconds`. Safe on every
/// instance: the store claims each notice once.
async fn notices(state: AppState, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_secs(state.settings.notice_interval_seconds.max(1));
    let mut sweeper = Sweeper::default();
    loop {
        match sweeper.pass(&state).await {
            Ok(p) => {
                if p.mailed > 0 {
                    // Counts only: the mail itself names people.
                    tracing::info!(
                        notices.seen = p.seen,
                        notices.mailed = p.mailed,
                        "booking mail queued"
                    );
                }
                if p.more && !*stop.borrow() {
                    continue;
                }
            }
            Err(e) => tracing::warn!(error = %e, "booking mail pass failed; will retry"),
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Marks lapsed holds expired in batches. The places were already free at the deadline
/// (availability counts only unexpired holds); this keeps the stored state honest.
async fn expiry(state: AppState, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_secs(state.settings.expiry_interval_seconds.max(1));
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(every) => {}
        }
        loop {
            match state.store.expire_overdue(state.now(), 500).await {
                Ok(0) => break,
                Ok(n) => {
                    metrics::counter!("loket_bookings_expired_total").increment(n);
                    tracing::info!(bookings.expired = n, "expired lapsed holds");
                    if n < 500 {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "expiry sweep failed; will retry");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use loket_store::{SqlStore, StoreOptions};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    use loket_web::Settings;

    use super::*;

    /// A minimal SMTP server that accepts every mail and hands each DATA section back.
    async fn smtp_sink() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(d) = data.as_mut() {
                            if line == "." {
                                tx.send(std::mem::take(d)).unwrap();
                                data = None;
                                w.write_all(b"250 queued\r\n").await.unwrap();
                            } else {
                                d.push_str(&line);
                                d.push('\n');
                            }
                            continue;
                        }
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250 sink\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => {
                                let _ = w.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"250 ok\r\n",
                        };
                        w.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        (port, rx)
    }

    #[tokio::test]
    async fn the_outbox_is_delivered_once_over_smtp() {
        let (port, mut rx) = smtp_sink().await;
        let path = std::env::temp_dir().join(format!("loket-mail-{}.db", uuid::Uuid::now_v7()));
        let store = SqlStore::connect(
            &format!("sqlite://{}", path.display()),
            &StoreOptions::default(),
        )
        .await
        .unwrap();
        store.migrate().await.unwrap();
        let state = AppState::new(Arc::new(store), Settings::default());
        state
            .store
            .enqueue_mail(
                "rina@example.org",
                "Kode verifikasi",
                "Kode Anda: 123456",
                state.now(),
            )
            .await
            .unwrap();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(port)
            .build();
        assert_eq!(deliver_batch(&state, &transport).await.unwrap(), 1);
        let data = rx.recv().await.unwrap();
        assert!(data.contains("Kode Anda: 123456"), "{data}");
        assert!(data.contains("To: rina@example.org"), "{data}");
        // Sent mail is not claimed again.
        assert_eq!(deliver_batch(&state, &transport).await.unwrap(), 0);
        let _ = std::fs::remove_file(path);
    }
}
