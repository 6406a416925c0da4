//! The `loket` binary: parses the command line, sets up logging, and hands over to the
//! libraries. Subcommands: serve (the HTTP service, the background workers beside it, and
//! with --demo the demo data), migrate, default-config, mail, bench.

mod bench;
mod workers;

/// mimalloc rather than glibc's malloc: a request allocates and frees many small objects
/// across threads, and glibc's arenas spent a tenth of the server's time in malloc, free
/// and returning pages to the kernel (docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use loket_web::{Application, Settings, app};
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "loket",
    version,
    about = "Passport appointments and office queues"
)]
struct Cli {
    /// Folder with base.toml and <LOKET_ENVIRONMENT>.toml (default: ./configuration, used
    /// if present). A folder named here must exist.
    #[arg(long, global = true, env = "LOKET_CONFIG_DIR")]
    config_dir: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB (overrides LOKET_DATABASE_URL).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the service.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
        /// Seeds demo offices, quotas and accounts into an empty database and prints the logins.
        #[arg(long)]
        demo: bool,
    },
    /// Applies database migrations and exits.
    Migrate,
    /// Prints the default configuration as TOML.
    DefaultConfig,
    /// Prints the newest mail in the outbox (dev and demo: verification codes).
    Mail {
        /// Only mail to this address.
        #[arg(long)]
        to: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 5)]
        limit: i64,
    },
    /// Runs the booking rush benchmark against a fresh server (see docs/PERFORMANCE.md).
    Bench(Box<bench::BenchArgs>),
}

fn settings(cli: &Cli, bind: Option<&String>, demo: bool) -> anyhow::Result<Settings> {
    let mut overrides: Vec<(&str, String)> = Vec::new();
    if let Some(u) = &cli.database_url {
        overrides.push(("database_url", u.clone()));
    }
    if let Some(b) = bind {
        overrides.push(("bind", b.clone()));
    }
    if demo {
        overrides.push(("mode", "demo".into()));
    }
    Ok(Settings::load(cli.config_dir.as_deref(), &overrides)?)
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOKET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Cli::parse()).await {
        // One readable line per cause, without a backtrace: these are operator errors.
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::DefaultConfig => {
            print!("{}", Settings::default_toml());
        }
        Command::Migrate => {
            let s = settings(&cli, None, false)?;
            init_tracing(&s.log_format);
            app::open_store(&s).await.context("migrating")?;
            println!("migrated {}", redact_url(&s.database_url));
        }
        Command::Mail { to, limit } => {
            let s = settings(&cli, None, false)?;
            // Reading the outbox must not create an empty database where there is none.
            if let Some(path) = app::sqlite_path(&s.database_url)
                && !std::path::Path::new(path).exists()
            {
                anyhow::bail!(
                    "there is no database at {path}: run `loket serve` (or name the database with --database-url) first"
                );
            }
            let store = app::open_store(&s).await?;
            use loket_store::prelude::*;
            let to = to.as_ref().map(|t| t.trim().to_lowercase());
            for m in store.recent_mail(to.as_deref(), *limit).await? {
                println!(
                    "--- {} to {}\nSubject: {}\n\n{}\n",
                    m.created_at, m.to, m.subject, m.body
                );
            }
        }
        Command::Serve { bind, demo } => {
            let s = settings(&cli, bind.as_ref(), *demo)?;
            init_tracing(&s.log_format);
            let url = redact_url(&s.database_url);
            let application = Application::build(s.clone())
                .await
                .with_context(|| format!("starting Loket on {url}"))?;
            let state = application.state();
            if *demo
                && loket_demo::seed(&*state.store)
                    .await
                    .context("seeding demo data")?
            {
                tracing::info!("demo data seeded");
            }
            println!(
                "Loket listening on http://{} (database {url})",
                application.address()
            );
            println!("Mode: {}", s.mode.banner());
            if *demo {
                println!("Demo logins (demo only, never use these passwords elsewhere):");
                for l in loket_demo::DEMO_LOGINS {
                    println!(
                        "  {:<16} {:<24} {:<14} {}",
                        l.role, l.login, l.password, l.scope
                    );
                }
                let base = application.address();
                println!(
                    "API reference: http://{base}/api/v1/docs (OpenAPI at http://{base}/api/v1/openapi.json); walk-through in docs/API.md"
                );
            }
            let (stop_tx, stop_rx) = watch::channel(false);
            let workers = workers::spawn(state, stop_rx);
            let served = application.run_until(app::shutdown_signal()).await;
            let _ = stop_tx.send(true);
            for w in workers {
                let _ = w.await;
            }
            served?;
        }
        Command::Bench(args) => {
            bench::run(args).await?;
        }
    }
    Ok(())
}

/// A database URL without its password, for printing.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
