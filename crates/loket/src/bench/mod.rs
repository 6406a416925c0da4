//! The rush benchmark: starts a fresh release server as a child process, registers accounts
//! and applicants through the API, measures the GET /healthz ceiling, then fires a booking
//! rush at one small session, a run where every attempt succeeds, availability reads, a
//! mixed rush, and the rush through the page forms. Loopback only, bounded. With
//! `--suite floor`, the office floor's figures instead (floor.rs).

mod fire;
mod floor;
mod pages;
mod past;
mod people;
mod report;
mod server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use fire::{Phase, client, fire, fire_mixed, healthz};
use people::{
    booking_body, day_of, open_dates, prepared, register_many, set_capacity, staff_token,
};
use server::{Server, admin_sql};

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
    /// Booking attempts in the rush through the page forms (signed in through the login
    /// form; cookies, form token), at a session of `capacity` places on a third date.
    #[arg(long, default_value_t = 20_000)]
    page_attempts: usize,
    /// Runs of the whole booking suite per backend, each on a fresh server and database,
    /// alternating between the backends; with more than one, the medians of the shares of
    /// the ceiling, the page/API ratio and the p99s follow (this machine's identical runs
    /// differ by more than the bars' margins).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// What to measure: `booking` (the rushes) or `floor` (check-ins, counters, boards).
    #[arg(long, default_value = "booking", value_parser = ["booking", "floor"])]
    suite: String,
    /// Floor: paid bookings checked in (half as fast as they go, half at `check_in_rate`).
    #[arg(long, default_value_t = 600)]
    check_ins: usize,
    /// Floor: check-ins a second in the paced half (a busy office's morning is about
    /// 75 in 15 minutes, 0.08 a second: 10 is more than a hundred times that).
    #[arg(long, default_value_t = 10.0)]
    check_in_rate: f64,
    /// Floor: calls a second in the paced calls (a busy office's ten counters call about
    /// once a minute between them: 5 is three hundred times that).
    #[arg(long, default_value_t = 5.0)]
    call_rate: f64,
    /// Floor: display board streams open on one office while it calls.
    #[arg(long, default_value_t = 1000)]
    streams: usize,
    /// Floor: calls made while the streams are open.
    #[arg(long, default_value_t = 20)]
    board_calls: usize,
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

/// A fresh database of `backend` for one run: a SQLite file in a temporary folder, or a
/// new PostgreSQL database; its URL.
async fn fresh_database(args: &BenchArgs, backend: &str) -> anyhow::Result<String> {
    let tmp = std::env::temp_dir().join(format!("loket-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    match backend {
        "sqlite" => {
            let file = tmp.join("bench.db");
            let _ = std::fs::remove_file(&file);
            Ok(format!("sqlite://{}", file.display()))
        }
        "postgres" => {
            let name = format!("loket_bench_{}", std::process::id());
            admin_sql(
                &args.postgres_admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await?;
            admin_sql(&args.postgres_admin_url, &format!("CREATE DATABASE {name}")).await?;
            let base = args
                .postgres_admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or("");
            Ok(format!("{base}/{name}"))
        }
        other => bail!("unknown backend {other}"),
    }
}

/// Removes what `fresh_database` made.
async fn drop_database(args: &BenchArgs, backend: &str) -> anyhow::Result<()> {
    if backend == "postgres" {
        let name = format!("loket_bench_{}", std::process::id());
        let _ = admin_sql(
            &args.postgres_admin_url,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await;
    }
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("loket-bench-{}", std::process::id())),
    );
    Ok(())
}

async fn bench_backend(args: &BenchArgs, backend: &str) -> anyhow::Result<(Vec<Phase>, bool)> {
    let url = fresh_database(args, backend).await?;
    let server = Server::start(&url, args).await?;
    let base = server.base.clone();
    let c = client(args.concurrency)?;
    let rush_n = 1000.min(args.rush_attempts);
    let mixed_n = 1000.min(args.mixed_requests.div_ceil(10));
    let page_n = 1000.min(args.page_attempts);
    eprintln!(
        "[{backend}] registering {rush_n} + {mixed_n} + {} + {page_n} applicants",
        args.bulk_attempts
    );
    let rush_people = register_many(&c, &base, rush_n, 0).await?;
    let mixed_people = register_many(&c, &base, mixed_n, 50_000).await?;
    let bulk_people = register_many(&c, &base, args.bulk_attempts, 100_000).await?;
    let page_people = register_many(&c, &base, page_n, 70_000).await?;
    let pc = pages::client(args.concurrency)?;
    let browsers = pages::sign_in_all(&pc, &base, &page_people).await?;
    let staff = staff_token(&c, &base).await?;
    let (first, open) = open_dates(&c, &base).await?;
    let (date, mixed_date, page_date) = (open[0].clone(), open[1].clone(), open[2].clone());
    set_capacity(&c, &base, &staff, &date, "s1", args.capacity).await?;
    set_capacity(&c, &base, &staff, &date, "s2", args.bulk_attempts as i64).await?;
    set_capacity(&c, &base, &staff, &mixed_date, "s1", args.capacity).await?;
    set_capacity(&c, &base, &staff, &page_date, "s1", args.capacity).await?;
    if args.past_bookings > 0 {
        eprintln!("[{backend}] writing {} past bookings", args.past_bookings);
        let t = Instant::now();
        past::seed_past_bookings(&url, args.past_bookings).await?;
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
    let remaining = remaining_online(&after, &mixed_date);
    let mut exact = remaining == 0;

    eprintln!(
        "[{backend}] page rush: {} hold forms at {} places",
        args.page_attempts, args.capacity
    );
    let attempts: Arc<Vec<_>> = Arc::new(
        (0..args.page_attempts)
            .map(|i| pages::hold_form(&page_people, &browsers, i, &page_date, "s1"))
            .collect(),
    );
    let (cp, o, url_h) = (pc.clone(), pages::origin(&base)?, format!("{base}/book"));
    phases.push(
        fire(
            "page_rush",
            args.page_attempts,
            args.concurrency,
            move |i| pages::hold(&cp, &o, &url_h, &attempts[i]),
        )
        .await,
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after: Value = c.get(&availability_url).send().await?.json().await?;
    exact &= remaining_online(&after, &page_date) == 0;

    // The ceiling again, on the same server after the bookings: this machine's speed
    // drifts within a run, and one short measurement can be off by a third.
    eprintln!("[{backend}] healthz ceiling again");
    phases.push(healthz(&c, &base, "healthz_after", args).await);
    server.stop().await;
    drop_database(args, backend).await?;
    Ok((phases, exact))
}

/// The online places left in session s1 of `date` in an availability answer (-1: none).
fn remaining_online(v: &Value, date: &str) -> i64 {
    day_of(v, date)
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
        .unwrap_or(-1)
}

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args.suite == "floor" {
        return floor::run(args).await;
    }
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "Loket rush benchmark: {cpus} CPUs, {} connections, release build expected",
        args.concurrency
    );
    let mut runs: Vec<(String, report::Run)> = Vec::new();
    // Runs alternate between the backends, so that the machine's drift spreads over both.
    for round in 1..=args.repeat.max(1) {
        for backend in &args.backends {
            if args.repeat > 1 {
                println!("\n[{backend}] run {round} of {}", args.repeat);
            }
            let (phases, exact) = bench_backend(args, backend).await?;
            let run = report::Run::new(phases, exact);
            run.print(backend, args);
            runs.push((backend.clone(), run));
        }
    }
    if args.repeat > 1 {
        for backend in &args.backends {
            let of: Vec<&report::Run> = runs
                .iter()
                .filter(|(b, _)| b == backend)
                .map(|(_, r)| r)
                .collect();
            report::print_medians(backend, &of);
        }
    }
    Ok(())
}
