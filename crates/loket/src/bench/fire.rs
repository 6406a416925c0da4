//! The load generator: fires requests from many connections and sums up their statuses and
//! latencies as one phase.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::BenchArgs;

/// Latency figures of one phase.
pub struct Phase {
    pub name: &'static str,
    pub requests: usize,
    pub seconds: f64,
    pub ok: usize,
    /// 201 answers (bookings made).
    pub created: usize,
    pub rejected: usize,
    pub errors: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// In a mixed phase, p99 of the booking attempts and of the reads.
    pub p99_writes_ms: f64,
    pub p99_reads_ms: f64,
}

impl Phase {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// A response's status, where a page form's 303 to a booking's page counts as 201 (booked).
fn outcome(r: &reqwest::Response) -> u16 {
    let to_booking = r
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .is_some_and(|l| l.starts_with("/bookings/"));
    match r.status().as_u16() {
        303 if to_booking => 201,
        s => s,
    }
}

/// Runs `n` requests from `concurrency` workers; `make(i)` builds request i. Each result is
/// classified by status: 2xx ok (201 or a page's 303 to a booking: booked), 409 rejected,
/// anything else an error.
pub async fn fire<F>(name: &'static str, n: usize, concurrency: usize, make: F) -> Phase
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    fire_mixed(name, n, concurrency, 0, make).await
}

/// Like `fire`; when `writes_every` > 0, request i is a write if i % writes_every == 0, and
/// the writes' and the reads' latencies are also given apart.
pub async fn fire_mixed<F>(
    name: &'static str,
    n: usize,
    concurrency: usize,
    writes_every: usize,
    make: F,
) -> Phase
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let make = make.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut writes) = (Vec::new(), Vec::new());
            let (mut ok, mut created, mut rej, mut err) = (0, 0, 0, 0);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                let res = make(i).send().await;
                let status = match res {
                    Ok(r) => {
                        let s = outcome(&r);
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                if writes_every > 0 && i.is_multiple_of(writes_every) {
                    writes.push(ms);
                } else {
                    lat.push(ms);
                }
                match status {
                    201 => {
                        ok += 1;
                        created += 1;
                    }
                    200..=299 => ok += 1,
                    409 => rej += 1,
                    _ => err += 1,
                }
            }
            (lat, writes, ok, created, rej, err)
        }));
    }
    let (mut reads, mut writes) = (Vec::with_capacity(n), Vec::new());
    let (mut ok, mut created, mut rejected, mut errors) = (0, 0, 0, 0);
    for t in tasks {
        if let Ok((lat, w, o, c, r, e)) = t.await {
            reads.extend(lat);
            writes.extend(w);
            ok += o;
            created += c;
            rejected += r;
            errors += e;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let sort = |v: &mut Vec<f64>| v.sort_by(|a, b| a.total_cmp(b));
    sort(&mut reads);
    sort(&mut writes);
    let mut all = reads.clone();
    all.extend(&writes);
    sort(&mut all);
    Phase {
        name,
        requests: n,
        seconds,
        ok,
        created,
        rejected,
        errors,
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
        p99_writes_ms: percentile(&writes, 0.99),
        p99_reads_ms: percentile(&reads, 0.99),
    }
}

pub fn client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// The ceiling: GET /healthz on the same server, from the same client.
pub async fn healthz(
    c: &reqwest::Client,
    base: &str,
    name: &'static str,
    args: &BenchArgs,
) -> Phase {
    let (c, url) = (c.clone(), format!("{base}/healthz"));
    fire(name, args.healthz_requests, args.concurrency, move |_| {
        c.get(&url)
    })
    .await
}
