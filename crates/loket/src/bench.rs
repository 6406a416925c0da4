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
    /// GET availability requests (one office, a 30-day range) in the reads-only phase.
    #[arg(long, default_value_t = 20_000)]
    availability_requests: usize,
    /// Requests in the mixed rush: nine availability reads for each booking attempt, the
    /// attempts at a session of `capacity` places on another date.
    #[arg(long, default_value_t = 20_000)]
    mixed_requests: usize,
    /// Past bookings written into the database with SQL before the phases (0: none), to
    /// see whether a database with history is slower than an empty one.
    #[arg(long, default_value_t = 0)]
    past_bookings: usize,
    /// The server binary to start (default: this one), e.g. an older build, to compare
    /// builds in one session.
    #[arg(long)]
    server_exe: Option<std::path::PathBuf>,
    /// KEY=VALUE environment variables for the server, e.g. LOKET_SQLITE_SYNCHRONOUS=normal.
    #[arg(long = "server-env", value_parser = parse_env_pair)]
    server_env: Vec<(String, String)>,
    /// Admin URL used to create and drop a fresh PostgreSQL database.
    #[arg(
        long,
        default_value = "postgres://postgres@127.0.0.1:5432/postgres",
        env = "LOKET_TEST_POSTGRES_URL"
    )]
    postgres_admin_url: String,
}

fn parse_env_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(database_url: &str, args: &BenchArgs) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let exe = match &args.server_exe {
            Some(p) => p.clone(),
            None => std::env::current_exe()?,
        };
        let child = Command::new(exe)
            .args(["--database-url", database_url, "serve", "--demo", "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .env("LOKET_LOG", "warn")
            // Every applicant registers from this one address.
            .env("LOKET_CLIENT_MAX_REQUESTS", "1000000")
            .envs(args.server_env.iter().cloned())
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
    /// 201 answers (bookings made).
    created: usize,
    rejected: usize,
    errors: usize,
    p50_ms: f64,
    p99_ms: f64,
    /// In a mixed phase, p99 of the booking attempts and of the reads.
    p99_writes_ms: f64,
    p99_reads_ms: f64,
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
    fire_mixed(name, n, concurrency, 0, make).await
}

/// Like `fire`; when `writes_every` > 0, request i is a write if i % writes_every == 0, and
/// the writes' and the reads' latencies are also given apart.
async fn fire_mixed<F>(
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
                        let s = r.status().as_u16();
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

/// The first date of the default availability range (tomorrow in the office's zone) and
/// the open dates in it on which session s2 runs.
async fn open_dates(c: &reqwest::Client, base: &str) -> anyhow::Result<(String, Vec<String>)> {
    let v: Value = c
        .get(format!("{base}/api/v1/offices/palembang/availability"))
        .send()
        .await?
        .json()
        .await?;
    let days = v["days"].as_array().cloned().unwrap_or_default();
    let first = days
        .first()
        .and_then(|d| d["date"].as_str())
        .unwrap_or("")
        .to_owned();
    let open: Vec<String> = days
        .iter()
        .filter(|d| {
            d["status"] == "open"
                && d["sessions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|s| s["code"] == "s2")
        })
        .filter_map(|d| d["date"].as_str().map(str::to_owned))
        .collect();
    if open.len() < 2 {
        bail!("fewer than two open dates in the next two weeks");
    }
    Ok((first, open))
}

/// A day's availability from a 30-day answer.
fn day_of<'a>(v: &'a Value, date: &str) -> Option<&'a Value> {
    v["days"].as_array()?.iter().find(|d| d["date"] == date)
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

async fn bench_backend(args: &BenchArgs, backend: &str) -> anyhow::Result<(Vec<Phase>, bool)> {
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
    let server = Server::start(&url, args).await?;
    let base = server.base.clone();
    let c = client(args.concurrency)?;
    let rush_n = 1000.min(args.rush_attempts);
    let mixed_n = 1000.min(args.mixed_requests.div_ceil(10));
    eprintln!(
        "[{backend}] registering {rush_n} + {mixed_n} + {} applicants",
        args.bulk_attempts
    );
    let rush_people = register_many(&c, &base, rush_n, 0).await?;
    let mixed_people = register_many(&c, &base, mixed_n, 50_000).await?;
    let bulk_people = register_many(&c, &base, args.bulk_attempts, 100_000).await?;
    let staff = staff_token(&c, &base).await?;
    let (first, open) = open_dates(&c, &base).await?;
    let (date, mixed_date) = (open[0].clone(), open[1].clone());
    set_capacity(&c, &base, &staff, &date, "s1", args.capacity).await?;
    set_capacity(&c, &base, &staff, &date, "s2", args.bulk_attempts as i64).await?;
    set_capacity(&c, &base, &staff, &mixed_date, "s1", args.capacity).await?;
    if args.past_bookings > 0 {
        eprintln!("[{backend}] writing {} past bookings", args.past_bookings);
        let t = Instant::now();
        seed_past_bookings(&url, args.past_bookings).await?;
        eprintln!("[{backend}] ... in {:.1} s", t.elapsed().as_secs_f64());
    }
    // The 30-day range an applicant's calendar asks for, from tomorrow.
    let to = chrono::NaiveDate::parse_from_str(&first, "%F")
        .map(|d| d + chrono::Days::new(29))
        .context("the first date of the availability answer")?;
    let availability_url =
        format!("{base}/api/v1/offices/palembang/availability?from={first}&to={to}");

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
    // After the bookings: the range holds the 10,075 bookings just made, which a read that
    // counts bookings would go through.
    eprintln!(
        "[{backend}] availability: {} reads of 30 days",
        args.availability_requests
    );
    let (ca, url_a) = (c.clone(), availability_url.clone());
    phases.push(
        fire(
            "availability",
            args.availability_requests,
            args.concurrency,
            move |_| ca.get(&url_a),
        )
        .await,
    );

    eprintln!(
        "[{backend}] mixed rush: {} requests, one booking attempt in ten",
        args.mixed_requests
    );
    let (cm, url_b, url_a) = (
        c.clone(),
        format!("{base}/api/v1/bookings"),
        availability_url.clone(),
    );
    let mixed: Arc<Vec<_>> = Arc::new(
        mixed_people
            .iter()
            .map(|p| prepared(p, &booking_body(p, &mixed_date, "s1")))
            .collect(),
    );
    phases.push(
        fire_mixed(
            "mixed",
            args.mixed_requests,
            args.concurrency,
            10,
            move |i| {
                if i.is_multiple_of(10) {
                    let (auth, body) = &mixed[(i / 10) % mixed.len()];
                    cm.post(&url_b)
                        .header(reqwest::header::AUTHORIZATION, auth.clone())
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(body.clone())
                } else {
                    cm.get(&url_a)
                }
            },
        )
        .await,
    );
    // What applicants see once the rush is over (the cache's TTL, one second, later): the
    // session is full, nothing remains.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after: Value = c.get(&availability_url).send().await?.json().await?;
    let remaining = day_of(&after, &mixed_date)
        .and_then(|d| {
            d["sessions"]
                .as_array()?
                .iter()
                .find(|s| s["code"] == "s1")?["classes"]
                .as_array()?
                .iter()
                .find(|k| k["class"] == "online")?["remaining"]
                .as_i64()
        })
        .unwrap_or(-1);
    let exact = remaining == 0;

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
    Ok((phases, exact))
}

/// Writes `n` bookings of past dates (a year and more ago, 730 sessions of one office;
/// seven in ten paid and so, their day over with no check-in, no-shows; two expired, one
/// cancelled) with SQL, all of the first applicant registered. The triggers keep the
/// slots' counters as for any write. (Written as `paid`, they would keep the no-show sweep
/// busy moving them during the phases, which no real database a year on would do.)
async fn seed_past_bookings(url: &str, n: usize) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    const SLOTS: usize = 730;
    let service = serde_json::to_string(&loket_domain::catalogue::ServiceRequest {
        kind: loket_domain::catalogue::ApplicationKind::New,
        passport_type: loket_domain::catalogue::PassportType::Ordinary,
        validity: loket_domain::catalogue::Validity::FiveYears,
        processing: loket_domain::catalogue::Processing::Regular,
        force_majeure: false,
    })?;
    let state =
        "CASE WHEN n % 10 < 7 THEN 'no_show' WHEN n % 10 < 9 THEN 'expired' ELSE 'cancelled' END";
    let columns = "id, account_id, applicant_id, nik, slot_id, office_code, service_date, \
        session_code, class, state, billing_code, payment_deadline, service, travel_purpose, \
        fee_table_code, fee_total, fee_lines, reschedules_used, created_at, updated_at, paid_at";
    if url.starts_with("sqlite:") {
        let day = "date('now', '-' || (366 + (n % 730) / 2) || ' days')";
        let statements = [
            format!(
                "WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < {last}) \
                 INSERT INTO slots (office_code, service_date, session_code, class, capacity) \
                 SELECT 'palembang', date('now', '-' || (366 + n / 2) || ' days'), \
                 CASE n % 2 WHEN 0 THEN 's1' ELSE 's2' END, 'online', 10000 FROM k ORDER BY n",
                last = SLOTS - 1
            ),
            format!(
                "WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < {last}), \
                 a AS (SELECT id, account_id FROM applicants ORDER BY created_at LIMIT 1), \
                 b AS (SELECT MIN(id) AS base FROM slots WHERE service_date < date('now', '-365 days')) \
                 INSERT INTO bookings ({columns}) \
                 SELECT randomblob(16), a.account_id, a.id, printf('99%014d', n), b.base + n % {SLOTS}, \
                 'palembang', {day}, CASE (n % {SLOTS}) % 2 WHEN 0 THEN 's1' ELSE 's2' END, 'online', \
                 {state}, printf('9%014d', n), {day} || 'T01:00:00+00:00', '{service}', 'tourism', \
                 'pp-45-2024', 350000, '[]', 0, {day} || 'T00:00:00+00:00', {day} || 'T00:00:00+00:00', \
                 CASE WHEN n % 10 < 7 THEN {day} || 'T00:30:00+00:00' END FROM k, a, b",
                last = n - 1
            ),
            "ANALYZE".to_owned(),
            // The WAL now holds the whole load; copy it back and empty it, as the
            // checkpointer would in time, so the phases measure a database with history
            // rather than the aftermath of a bulk load.
            "PRAGMA wal_checkpoint(TRUNCATE)".to_owned(),
        ];
        // The server's workers write now and then; wait for them rather than fail.
        let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(url)?
            .busy_timeout(std::time::Duration::from_secs(60));
        let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
        for sql in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await?;
        }
        let written: i64 = sqlx::query_scalar(SEEDED).fetch_one(&mut conn).await?;
        conn.close().await?;
        check_seeded(written, n)?;
    } else {
        let day = "(CURRENT_DATE - (366 + (n % 730) / 2))";
        let statements = [
            format!(
                "INSERT INTO slots (office_code, service_date, session_code, class, capacity) \
                 SELECT 'palembang', CURRENT_DATE - (366 + n / 2), \
                 CASE n % 2 WHEN 0 THEN 's1' ELSE 's2' END, 'online', 10000 \
                 FROM generate_series(0, {last}) n ORDER BY n",
                last = SLOTS - 1
            ),
            format!(
                "WITH a AS (SELECT id, account_id FROM applicants ORDER BY created_at LIMIT 1), \
                 b AS (SELECT MIN(id) AS base FROM slots WHERE service_date < CURRENT_DATE - 365) \
                 INSERT INTO bookings ({columns}) \
                 SELECT gen_random_uuid(), a.account_id, a.id, '99' || lpad(n::text, 14, '0'), \
                 b.base + n % {SLOTS}, 'palembang', {day}, \
                 CASE (n % {SLOTS}) % 2 WHEN 0 THEN 's1' ELSE 's2' END, 'online', {state}, \
                 '9' || lpad(n::text, 14, '0'), {day} + time '01:00', '{service}', 'tourism', \
                 'pp-45-2024', 350000, '[]', 0, {day} + time '00:00', {day} + time '00:00', \
                 CASE WHEN n % 10 < 7 THEN {day} + time '00:30' END \
                 FROM generate_series(0, {last}) n, a, b",
                last = n - 1
            ),
            "VACUUM ANALYZE bookings".to_owned(),
            "VACUUM ANALYZE slots".to_owned(),
            // Write the load's pages out now rather than in a checkpoint during the phases.
            "CHECKPOINT".to_owned(),
        ];
        let mut conn = sqlx::PgConnection::connect(url).await?;
        for sql in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await?;
        }
        let written: i64 = sqlx::query_scalar(SEEDED).fetch_one(&mut conn).await?;
        conn.close().await?;
        check_seeded(written, n)?;
    }
    Ok(())
}

/// How many past bookings the seed wrote (their NIKs start with 99, no real one does).
const SEEDED: &str = "SELECT COUNT(*) FROM bookings WHERE nik LIKE '99%'";

fn check_seeded(written: i64, wanted: usize) -> anyhow::Result<()> {
    if usize::try_from(written).ok() != Some(wanted) {
        bail!("wrote {written} past bookings instead of {wanted}");
    }
    Ok(())
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
        let (phases, exact) = bench_backend(args, backend).await?;
        let healthz: Vec<f64> = phases
            .iter()
            .filter(|p| p.name.starts_with("healthz"))
            .map(Phase::per_second)
            .collect();
        let ceiling = healthz.iter().sum::<f64>() / healthz.len().max(1) as f64;
        println!("\n[{backend}] ceiling: {ceiling:.0} req/s, the mean of the two healthz runs");
        if args.past_bookings > 0 {
            println!("[{backend}] with {} past bookings", args.past_bookings);
        }
        println!(
            "{:<14} {:>8} {:>10} {:>8} {:>8} {:>8} {:>6} {:>9} {:>9} {:>10}",
            "phase",
            "requests",
            "req/s",
            "ok",
            "booked",
            "409",
            "other",
            "p50 ms",
            "p99 ms",
            "vs ceiling"
        );
        for p in &phases {
            println!(
                "{:<14} {:>8} {:>10.0} {:>8} {:>8} {:>8} {:>6} {:>9.2} {:>9.2} {:>9.0}%",
                p.name,
                p.requests,
                p.per_second(),
                p.ok,
                p.created,
                p.rejected,
                p.errors,
                p.p50_ms,
                p.p99_ms,
                100.0 * p.per_second() / ceiling
            );
        }
        if let Some(m) = phases.iter().find(|p| p.name == "mixed") {
            println!(
                "mixed: booking attempts p99 {:.2} ms, availability reads p99 {:.2} ms; \
                 a second after the rush the session shows {}",
                m.p99_writes_ms,
                m.p99_reads_ms,
                if exact {
                    "full (exact)"
                } else {
                    "places left (NOT exact)"
                }
            );
        }
        for p in phases
            .iter()
            .filter(|p| p.name == "rush" || p.name == "mixed")
        {
            if p.created as i64 != args.capacity {
                println!(
                    "!! {} booked {} places for a capacity of {}",
                    p.name, p.created, args.capacity
                );
            }
        }
    }
    Ok(())
}
