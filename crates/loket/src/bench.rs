//! The rush benchmark: starts a fresh release server as a child process, registers accounts
//! and applicants through the API, measures the GET /healthz ceiling, then fires a booking
//! rush at one small session and a run where every attempt succeeds. Loopback only, bounded.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio::sync::Semaphore;

/// Benchmark options.
#[derive(clap::Args, Clone)]
pub struct BenchArgs {
    /// Backends to measure.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    backends: Vec<String>,
    /// Booking attempts in the rush.
    #[arg(long, default_value_t = 20_000)]
    rush_attempts: usize,
    /// Places in the rushed session.
    #[arg(long, default_value_t = 75)]
    capacity: i64,
    /// Attempts in the run where every attempt succeeds (one NIK each; at most 10,000, the
    /// largest capacity a session may have).
    #[arg(long, default_value_t = 10_000)]
    bulk_attempts: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    /// GET /healthz requests for the ceiling (measured before the rush and again after the
    /// all-succeed run; the ceiling is the mean of the two).
    #[arg(long, default_value_t = 40_000)]
    healthz_requests: usize,
    /// Admin URL used to create and drop a fresh PostgreSQL database.
    #[arg(
        long,
        default_value = "postgres://postgres@127.0.0.1:5432/postgres",
        env = "LOKET_TEST_POSTGRES_URL"
    )]
    postgres_admin_url: String,
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(database_url: &str) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let exe = std::env::current_exe()?;
        let child = Command::new(exe)
            .args(["--database-url", database_url, "serve", "--demo", "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .env("LOKET_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the server")?;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await
                && r.status().is_success()
            {
                return Ok(Self { child, base });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("server did not become ready")
    }

    async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            // SIGTERM, so the server shuts down gracefully.
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

/// Latency figures of one phase.
struct Phase {
    name: &'static str,
    requests: usize,
    seconds: f64,
    ok: usize,
    rejected: usize,
    errors: usize,
    p50_ms: f64,
    p99_ms: f64,
}

impl Phase {
    fn per_second(&self) -> f64 {
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

/// Runs `n` requests from `concurrency` workers; `make(i)` builds request i. Each result is
/// classified by status: 2xx ok, 409 rejected, anything else an error.
async fn fire<F>(name: &'static str, n: usize, concurrency: usize, make: F) -> Phase
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
            let mut lat = Vec::new();
            let (mut ok, mut rej, mut err) = (0, 0, 0);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                let res = make(i).send().await;
                let status = match res {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                match status {
                    200..=299 => ok += 1,
                    409 => rej += 1,
                    _ => err += 1,
                }
            }
            (lat, ok, rej, err)
        }));
    }
    let mut all = Vec::with_capacity(n);
    let (mut ok, mut rejected, mut errors) = (0, 0, 0);
    for t in tasks {
        if let Ok((lat, o, r, e)) = t.await {
            all.extend(lat);
            ok += o;
            rejected += r;
            errors += e;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    Phase {
        name,
        requests: n,
        seconds,
        ok,
        rejected,
        errors,
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
    }
}

fn client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// A registered applicant: the account's token and the applicant id.
#[derive(Clone)]
struct Person {
    token: String,
    applicant: String,
}

fn nik_for(serial: usize) -> String {
    // Fictional men born on 01-01-1990 in Palembang (1671 01), serials 0001.., and
    // district codes 01..99 to go past 9999.
    let district = 1 + serial / 9999;
    let s = 1 + serial % 9999;
    format!("1671{district:02}010190{s:04}")
}

async fn register(
    c: &reqwest::Client,
    base: &str,
    account: usize,
    people: usize,
    first_serial: usize,
) -> anyhow::Result<Vec<Person>> {
    let email = format!("bench{account}-{}@example.org", std::process::id());
    let r = c
        .post(format!("{base}/api/v1/accounts"))
        .json(
            &json!({"email": email, "password": "bench-password-1", "full_name": "Bench User",
            "birth_date": "1990-01-01", "sex": "male", "phone": "081234567890"}),
        )
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("register: {}", r.text().await?);
    }
    let mail: Value = c
        .get(format!("{base}/api/v1/dev/mail"))
        .query(&[("to", &email)])
        .send()
        .await?
        .json()
        .await?;
    let body = mail[0]["body"].as_str().unwrap_or("");
    let code: String = body
        .split(|ch: char| !ch.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or("")
        .to_owned();
    c.post(format!("{base}/api/v1/accounts/verify"))
        .json(&json!({"email": email, "code": code}))
        .send()
        .await?
        .error_for_status()?;
    let login: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": "bench-password-1"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"].as_str().unwrap_or("").to_owned();
    let mut out = Vec::new();
    for i in 0..people {
        let a: Value = c
            .post(format!("{base}/api/v1/applicants"))
            .bearer_auth(&token)
            .json(&json!({"nik": nik_for(first_serial + i), "full_name": format!("Bench {}", first_serial + i),
                "birth_date": "1990-01-01", "sex": "male"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        out.push(Person {
            token: token.clone(),
            applicant: a["id"].as_str().unwrap_or("").to_owned(),
        });
    }
    Ok(out)
}

async fn register_many(
    c: &reqwest::Client,
    base: &str,
    people: usize,
    first_serial: usize,
) -> anyhow::Result<Vec<Person>> {
    let accounts = people.div_ceil(5);
    let sem = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::new();
    for a in 0..accounts {
        let c = c.clone();
        let base = base.to_owned();
        let sem = sem.clone();
        let n = (people - a * 5).min(5);
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await;
            register(&c, &base, first_serial + a, n, first_serial + a * 5).await
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

async fn staff_token(c: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let v: Value = c
        .post(format!("{base}/api/v1/staff/login"))
        .json(&json!({"username": "kepala.palembang", "password": "demo-kepala"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(v["token"].as_str().unwrap_or("").to_owned())
}

async fn first_open_date(c: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let v: Value = c
        .get(format!("{base}/api/v1/offices/palembang/availability"))
        .send()
        .await?
        .json()
        .await?;
    for d in v["days"].as_array().into_iter().flatten() {
        let runs_s2 = d["sessions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["code"] == "s2");
        if d["status"] == "open" && runs_s2 {
            return Ok(d["date"].as_str().unwrap_or("").to_owned());
        }
    }
    bail!("no open date in the next two weeks")
}

async fn set_capacity(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    date: &str,
    session: &str,
    cap: i64,
) -> anyhow::Result<()> {
    c.put(format!("{base}/api/v1/offices/palembang/quotas/overrides"))
        .bearer_auth(token)
        .json(&json!({"date": date, "session": session, "class": "online", "capacity": cap}))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

fn booking_body(p: &Person, date: &str, session: &str) -> Value {
    json!({"applicant_id": p.applicant, "office": "palembang", "date": date, "session": session,
        "kind": "new", "passport_type": "ordinary", "validity": "5y", "processing": "regular",
        "travel_purpose": "tourism"})
}

/// The ceiling: GET /healthz on the same server, from the same client.
async fn healthz(c: &reqwest::Client, base: &str, name: &'static str, args: &BenchArgs) -> Phase {
    let (c, url) = (c.clone(), format!("{base}/healthz"));
    fire(name, args.healthz_requests, args.concurrency, move |_| {
        c.get(&url)
    })
    .await
}

/// A person's `Authorization` header and a booking body, ready to send.
fn prepared(p: &Person, body: &Value) -> (reqwest::header::HeaderValue, bytes::Bytes) {
    let auth = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", p.token))
        .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static(""));
    (auth, bytes::Bytes::from(body.to_string()))
}

async fn bench_backend(args: &BenchArgs, backend: &str) -> anyhow::Result<Vec<Phase>> {
    let tmp = std::env::temp_dir().join(format!("loket-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let (url, pg_db) = match backend {
        "sqlite" => (format!("sqlite://{}", tmp.join("bench.db").display()), None),
        "postgres" => {
            let name = format!("loket_bench_{}", std::process::id());
            admin_sql(
                &args.postgres_admin_url,
                &format!("DROP DATABASE IF EXISTS {name}"),
            )
            .await?;
            admin_sql(&args.postgres_admin_url, &format!("CREATE DATABASE {name}")).await?;
            let base = args
                .postgres_admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or("");
            (format!("{base}/{name}"), Some(name))
        }
        other => bail!("unknown backend {other}"),
    };
    let server = Server::start(&url).await?;
    let base = server.base.clone();
    let c = client(args.concurrency)?;
    eprintln!(
        "[{backend}] registering {} + {} applicants",
        args.concurrency * 5,
        args.bulk_attempts
    );
    let rush_people = register_many(&c, &base, 1000.min(args.rush_attempts), 0).await?;
    let bulk_people = register_many(&c, &base, args.bulk_attempts, 100_000).await?;
    let staff = staff_token(&c, &base).await?;
    let date = first_open_date(&c, &base).await?;
    set_capacity(&c, &base, &staff, &date, "s1", args.capacity).await?;
    set_capacity(&c, &base, &staff, &date, "s2", args.bulk_attempts as i64).await?;

    let mut phases = Vec::new();
    eprintln!("[{backend}] healthz ceiling");
    phases.push(healthz(&c, &base, "healthz", args).await);

    eprintln!(
        "[{backend}] rush: {} attempts at {} places",
        args.rush_attempts, args.capacity
    );
    let (cr, url_b, d) = (c.clone(), format!("{base}/api/v1/bookings"), date.clone());
    // Requests are built before the clock starts (token header and JSON body), so that the
    // load generator, which shares the cores, spends as little as it can per request.
    let rush: Arc<Vec<_>> = Arc::new(
        rush_people
            .iter()
            .map(|p| prepared(p, &booking_body(p, &d, "s1")))
            .collect(),
    );
    phases.push(
        fire("rush", args.rush_attempts, args.concurrency, move |i| {
            let (auth, body) = &rush[i % rush.len()];
            cr.post(&url_b)
                .header(reqwest::header::AUTHORIZATION, auth.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
        })
        .await,
    );

    eprintln!("[{backend}] all-succeed: {} attempts", args.bulk_attempts);
    let (cb, url_b, d) = (c.clone(), format!("{base}/api/v1/bookings"), date.clone());
    let bulk: Arc<Vec<_>> = Arc::new(
        bulk_people
            .iter()
            .map(|p| prepared(p, &booking_body(p, &d, "s2")))
            .collect(),
    );
    phases.push(
        fire(
            "all_succeed",
            args.bulk_attempts,
            args.concurrency,
            move |i| {
                let (auth, body) = &bulk[i];
                cb.post(&url_b)
                    .header(reqwest::header::AUTHORIZATION, auth.clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            },
        )
        .await,
    );
    // The ceiling again, on the same server after the bookings: this machine's speed
    // drifts within a run, and one short measurement can be off by a third.
    eprintln!("[{backend}] healthz ceiling again");
    phases.push(healthz(&c, &base, "healthz_after", args).await);
    server.stop().await;
    if let Some(name) = pg_db {
        let _ = admin_sql(
            &args.postgres_admin_url,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await;
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(phases)
}

async fn admin_sql(admin_url: &str, sql: &str) -> anyhow::Result<()> {
    let status = tokio::process::Command::new("psql")
        .args([admin_url, "-q", "-c", sql])
        .status()
        .await
        .context("running psql")?;
    if !status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(())
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "Loket rush benchmark: {cpus} CPUs, {} connections, release build expected",
        args.concurrency
    );
    for backend in &args.backends {
        let phases = bench_backend(args, backend).await?;
        let healthz: Vec<f64> = phases
            .iter()
            .filter(|p| p.name.starts_with("healthz"))
            .map(Phase::per_second)
            .collect();
        let ceiling = healthz.iter().sum::<f64>() / healthz.len().max(1) as f64;
        println!("\n[{backend}] ceiling: {ceiling:.0} req/s, the mean of the two healthz runs");
        println!(
            "{:<14} {:>8} {:>10} {:>8} {:>8} {:>6} {:>9} {:>9} {:>10}",
            "phase", "requests", "req/s", "ok", "409", "other", "p50 ms", "p99 ms", "vs ceiling"
        );
        for p in &phases {
            println!(
                "{:<14} {:>8} {:>10.0} {:>8} {:>8} {:>6} {:>9.2} {:>9.2} {:>9.0}%",
                p.name,
                p.requests,
                p.per_second(),
                p.ok,
                p.rejected,
                p.errors,
                p.p50_ms,
                p.p99_ms,
                100.0 * p.per_second() / ceiling
            );
        }
        if let Some(r) = phases.iter().find(|p| p.name == "rush")
            && r.ok as i64 != args.capacity
        {
            println!(
                "!! rush booked {} places for a capacity of {}",
                r.ok, args.capacity
            );
        }
    }
    Ok(())
}
