//! The server under test: a child process on a free loopback port, and the PostgreSQL admin
//! connection that creates and drops its database.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use super::BenchArgs;

pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub async fn start(database_url: &str, args: &BenchArgs) -> anyhow::Result<Self> {
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

    /// The server process's id.
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            // SIGTERM, so the server shuts down gracefully.
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

pub async fn admin_sql(admin_url: &str, sql: &str) -> anyhow::Result<()> {
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
