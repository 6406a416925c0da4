//! The office floor's benchmark (`loket bench --suite floor`): check-ins and counter calls
//! against the healthz ceiling measured in the same run, and a call reaching many display
//! boards at once: `--streams` event streams on one office (on PostgreSQL connected to a
//! second instance, the calls made on the first), the delay from a call's request to its
//! event at each stream, and the streaming server's memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::BenchArgs;
use super::fire::{Phase, client, fire, healthz};
use super::people::{booking_body, open_dates, register_many, set_capacity, staff_token};
use super::server::Server;

const OFFICE: &str = "palembang";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Latencies (ms) as a phase of `seconds`.
fn phase_of(name: &'static str, seconds: f64, mut ms: Vec<f64>, errors: usize) -> Phase {
    ms.sort_by(f64::total_cmp);
    Phase {
        name,
        requests: ms.len() + errors,
        seconds,
        ok: ms.len(),
        created: 0,
        rejected: 0,
        errors,
        p50_ms: percentile(&ms, 0.5),
        p99_ms: percentile(&ms, 0.99),
        p99_writes_ms: 0.0,
        p99_reads_ms: 0.0,
    }
}

/// The resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Moves a server's demo clock to 09:05 WIB on `date`, when sessions s1 (08:00) and s2
/// (10:00) both take check-ins.
async fn clock_to_morning(c: &reqwest::Client, base: &str, date: &str) -> anyhow::Result<()> {
    let url = format!("{base}/api/v1/dev/clock");
    let now: Value = c
        .post(&url)
        .json(&json!({"advance_minutes": 1}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let now = chrono::DateTime::parse_from_rfc3339(now["now"].as_str().unwrap_or(""))
        .context("the server's clock")?;
    let target = chrono::DateTime::parse_from_rfc3339(&format!("{date}T09:05:00+07:00"))?;
    let minutes = (target - now).num_minutes();
    if minutes < 1 {
        bail!("{date} 09:05 WIB is not ahead of the server's clock");
    }
    c.post(&url)
        .json(&json!({ "advance_minutes": minutes }))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// Holds and pays a place for each person on `date`, 16 at a time; the booking ids.
async fn paid_bookings(
    c: &reqwest::Client,
    base: &str,
    people: &[super::people::Person],
    date: &str,
) -> anyhow::Result<Vec<String>> {
    let sem = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let (c, base, sem) = (c.clone(), base.to_owned(), sem.clone());
        let body = booking_body(p, date, if i % 2 == 0 { "s1" } else { "s2" });
        let token = p.token.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await;
            let b: Value = c
                .post(format!("{base}/api/v1/bookings"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            c.post(format!("{base}/api/v1/dev/bank/pay"))
                .json(&json!({"billing_code": b["billing_code"]}))
                .send()
                .await?
                .error_for_status()?;
            anyhow::Ok(b["id"].as_str().unwrap_or("").to_owned())
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await??);
    }
    Ok(ids)
}

/// Check-ins sent at `rate` a second (an open loop: each on time, whatever the answers).
async fn paced_check_ins(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    ids: &[String],
    rate: f64,
) -> Phase {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let at = start + Duration::from_secs_f64(i as f64 / rate);
        let (c, url, token) = (
            c.clone(),
            format!("{base}/api/v1/offices/{OFFICE}/check-ins"),
            token.to_owned(),
        );
        let body = json!({ "code": format!("LOKET:{}", id.to_uppercase()) });
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let t = Instant::now();
            let ok = c
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .is_ok_and(|r| r.status() == 201);
            (ok, t.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let (mut ms, mut errors) = (Vec::new(), 0);
    for t in tasks {
        match t.await {
            Ok((true, m)) => ms.push(m),
            _ => errors += 1,
        }
    }
    phase_of("check_in_paced", start.elapsed().as_secs_f64(), ms, errors)
}

/// `n` calls, each finished at once, sent at `rate` a second in turn from counters 1 to
/// 10 (an open loop): the calls' latencies.
async fn paced_calls(c: &reqwest::Client, base: &str, token: &str, n: usize, rate: f64) -> Phase {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..n {
        let at = start + Duration::from_secs_f64(i as f64 / rate);
        let counter = i % 10 + 1;
        let (c, base, token) = (c.clone(), base.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let t = Instant::now();
            let v: Value = c
                .post(format!(
                    "{base}/api/v1/offices/{OFFICE}/counters/{counter}/call"
                ))
                .bearer_auth(&token)
                .json(&json!({"stage": "documents"}))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let id = v["called"]["id"].as_str()?.to_owned();
            c.post(format!(
                "{base}/api/v1/offices/{OFFICE}/tickets/{id}/actions"
            ))
            .bearer_auth(&token)
            .json(&json!({"action": "finish", "counter": counter, "outcome": "accepted"}))
            .send()
            .await
            .ok()?;
            Some(ms)
        }));
    }
    let (mut ms, mut errors) = (Vec::new(), 0);
    for t in tasks {
        match t.await {
            Ok(Some(m)) => ms.push(m),
            _ => errors += 1,
        }
    }
    phase_of("call_next_paced", start.elapsed().as_secs_f64(), ms, errors)
}

/// `counters` counters calling and finishing until nobody waits: the calls' latencies.
async fn call_all(c: &reqwest::Client, base: &str, token: &str, counters: u32) -> (Phase, Phase) {
    let start = Instant::now();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let finishes = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(0usize));
    let mut tasks = Vec::new();
    for counter in 1..=counters {
        let (c, base, token) = (c.clone(), base.to_owned(), token.to_owned());
        let (calls, finishes, errors) = (calls.clone(), finishes.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let t = Instant::now();
                let r = c
                    .post(format!(
                        "{base}/api/v1/offices/{OFFICE}/counters/{counter}/call"
                    ))
                    .bearer_auth(&token)
                    .json(&json!({"stage": "documents"}))
                    .send()
                    .await;
                let v: Value = match r {
                    Ok(r) if r.status() == 200 => r.json().await.unwrap_or(Value::Null),
                    _ => {
                        *errors.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                        return;
                    }
                };
                calls
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(t.elapsed().as_secs_f64() * 1000.0);
                let Some(id) = v["called"]["id"].as_str() else {
                    return;
                };
                let t = Instant::now();
                let done = c
                    .post(format!(
                        "{base}/api/v1/offices/{OFFICE}/tickets/{id}/actions"
                    ))
                    .bearer_auth(&token)
                    .json(&json!({"action": "finish", "counter": counter, "outcome": "accepted"}))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200);
                if done {
                    finishes
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(t.elapsed().as_secs_f64() * 1000.0);
                } else {
                    *errors.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let take = |m: &Arc<Mutex<Vec<f64>>>| {
        std::mem::take(&mut *m.lock().unwrap_or_else(|e| e.into_inner()))
    };
    let errors = *errors.lock().unwrap_or_else(|e| e.into_inner());
    (
        phase_of("call_next", seconds, take(&calls), errors),
        phase_of("finish", seconds, take(&finishes), 0),
    )
}

/// What the streams saw: per stream, when each called number arrived.
type Arrivals = Arc<Mutex<Vec<(String, Instant)>>>;

/// Opens `n` event streams on the office at `base`; returns once all are open.
async fn open_streams(
    base: &str,
    n: usize,
    seen: Arrivals,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let c = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let opened = Arc::new(Semaphore::new(0));
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (c, url, seen, opened) = (
            c.clone(),
            format!("{base}/board/{OFFICE}/events"),
            seen.clone(),
            opened.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let Ok(mut res) = c.get(url).send().await else {
                return;
            };
            opened.add_permits(1);
            let mut buf = String::new();
            while let Ok(Some(chunk)) = res.chunk().await {
                let now = Instant::now();
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let block: String = buf.drain(..end + 2).collect();
                    if !block.contains("event: called") {
                        continue;
                    }
                    if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: "))
                        && let Ok(v) = serde_json::from_str::<Value>(data)
                        && let Some(number) = v["number"].as_str()
                    {
                        seen.lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((number.to_owned(), now));
                    }
                }
            }
        }));
    }
    let all = opened.acquire_many(u32::try_from(n)?);
    tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .context("the streams did not all open within a minute")??
        .forget();
    Ok(tasks)
}

/// The figures of one backend.
struct Figures {
    phases: Vec<Phase>,
    /// The delay from each call's request to its event at each stream (ms): p50, p99, max.
    fan_out: (f64, f64, f64),
    /// Events expected and received.
    delivered: (usize, usize),
    /// The streaming server's memory before and with the streams (MiB).
    memory: (f64, f64),
}

async fn bench_backend(args: &BenchArgs, backend: &str) -> anyhow::Result<Figures> {
    let url = super::fresh_database(args, backend).await?;
    let first = Server::start(&url, args).await?;
    // PostgreSQL serves several instances: the boards watch a second one.
    let second = if backend == "postgres" {
        Some(Server::start(&url, args).await?)
    } else {
        None
    };
    let base = first.base.clone();
    let board_server = second.as_ref().unwrap_or(&first);
    let (board_base, board_pid) = (board_server.base.clone(), board_server.pid());
    let c = client(args.concurrency)?;
    let n = args.check_ins;
    eprintln!("[{backend}] {n} paid bookings");
    let people = register_many(&c, &base, n, 200_000).await?;
    let head = staff_token(&c, &base).await?;
    let (_, open) = open_dates(&c, &base).await?;
    let date = open[0].clone();
    for s in ["s1", "s2"] {
        set_capacity(&c, &base, &head, &date, s, n as i64).await?;
    }
    let ids = paid_bookings(&c, &base, &people, &date).await?;
    for server in std::iter::once(&first).chain(second.as_ref()) {
        clock_to_morning(&c, &server.base, &date).await?;
    }
    // The morning's logins: the head of office works the desk and the counters.
    let head = staff_token(&c, &base).await?;

    let mut phases = vec![healthz(&c, &base, "healthz", args).await];
    let (max_ids, paced_ids) = ids.split_at(n / 2);
    eprintln!(
        "[{backend}] check-ins: {} as fast as they go, {} at {}/s",
        max_ids.len(),
        paced_ids.len(),
        args.check_in_rate
    );
    let (cc, url_c, tok) = (
        c.clone(),
        format!("{base}/api/v1/offices/{OFFICE}/check-ins"),
        head.clone(),
    );
    let bodies: Arc<Vec<String>> = Arc::new(
        max_ids
            .iter()
            .map(|id| json!({ "code": format!("LOKET:{}", id.to_uppercase()) }).to_string())
            .collect(),
    );
    phases.push(
        fire("check_in", max_ids.len(), 20, move |i| {
            cc.post(&url_c)
                .bearer_auth(&tok)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bodies[i].clone())
        })
        .await,
    );
    phases.push(paced_check_ins(&c, &base, &head, paced_ids, args.check_in_rate).await);

    eprintln!("[{backend}] {} board streams on {board_base}", args.streams);
    let before = rss_mib(board_pid);
    let seen: Arrivals = Arc::new(Mutex::new(Vec::new()));
    let streams = open_streams(&board_base, args.streams, seen.clone()).await?;
    let mut sent: HashMap<String, Instant> = HashMap::new();
    let mut call_ms = Vec::new();
    for _ in 0..args.board_calls {
        let t = Instant::now();
        let v: Value = c
            .post(format!("{base}/api/v1/offices/{OFFICE}/counters/1/call"))
            .bearer_auth(&head)
            .json(&json!({"stage": "documents"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        call_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let number = v["called"]["number"].as_str().unwrap_or("").to_owned();
        let id = v["called"]["id"].as_str().unwrap_or("").to_owned();
        sent.insert(number, t);
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.post(format!(
            "{base}/api/v1/offices/{OFFICE}/tickets/{id}/actions"
        ))
        .bearer_auth(&head)
        .json(&json!({"action": "finish", "counter": 1, "outcome": "accepted"}))
        .send()
        .await?
        .error_for_status()?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let with = rss_mib(board_pid);
    for s in &streams {
        s.abort();
    }
    let arrivals = std::mem::take(&mut *seen.lock().unwrap_or_else(|e| e.into_inner()));
    let mut delays: Vec<f64> = arrivals
        .iter()
        .filter_map(|(number, at)| {
            sent.get(number)
                .map(|t| at.duration_since(*t).as_secs_f64() * 1000.0)
        })
        .collect();
    delays.sort_by(f64::total_cmp);
    let fan_out = (
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or(0.0),
    );
    let delivered = (args.streams * args.board_calls, delays.len());
    let _ = call_ms;

    eprintln!(
        "[{backend}] counters: {} calls at {}/s, then 10 counters as fast as they go",
        n / 4,
        args.call_rate
    );
    phases.push(paced_calls(&c, &base, &head, n / 4, args.call_rate).await);
    let (calls, finishes) = call_all(&c, &base, &head, 10).await;
    phases.push(calls);
    phases.push(finishes);
    phases.push(healthz(&c, &base, "healthz_after", args).await);
    if let Some(s) = second {
        s.stop().await;
    }
    first.stop().await;
    super::drop_database(args, backend).await?;
    Ok(Figures {
        phases,
        fan_out,
        delivered,
        memory: (before, with),
    })
}

/// Runs the floor benchmark on each backend and prints its figures.
pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    println!(
        "Loket floor benchmark: {} check-ins, {} board streams, {} calls to them",
        args.check_ins, args.streams, args.board_calls
    );
    for backend in &args.backends {
        let f = bench_backend(args, backend).await?;
        let ceiling = {
            let h: Vec<f64> = f
                .phases
                .iter()
                .filter(|p| p.name.starts_with("healthz"))
                .map(Phase::per_second)
                .collect();
            h.iter().sum::<f64>() / h.len().max(1) as f64
        };
        println!("\n[{backend}] ceiling: {ceiling:.0} req/s, the mean of the two healthz runs");
        println!(
            "{:<16} {:>8} {:>10} {:>8} {:>6} {:>9} {:>9} {:>10}",
            "phase", "requests", "req/s", "ok", "other", "p50 ms", "p99 ms", "vs ceiling"
        );
        for p in &f.phases {
            println!(
                "{:<16} {:>8} {:>10.0} {:>8} {:>6} {:>9.2} {:>9.2} {:>9.1}%",
                p.name,
                p.requests,
                p.per_second(),
                p.ok,
                p.errors,
                p.p50_ms,
                p.p99_ms,
                100.0 * p.per_second() / ceiling
            );
        }
        let (p50, p99, max) = f.fan_out;
        println!(
            "board streams{}: {} of {} call events delivered; call request to event p50 {p50:.1} ms, \
             p99 {p99:.1} ms, max {max:.1} ms (the bar: p99 under 250 ms)",
            if backend == "postgres" {
                " (on a second instance)"
            } else {
                ""
            },
            f.delivered.1,
            f.delivered.0
        );
        println!(
            "streaming server memory: {:.0} MiB before the streams, {:.0} MiB with them (the bar: under 200 MB)",
            f.memory.0, f.memory.1
        );
    }
    Ok(())
}
