//! The binary as an operator starts it: which settings it refuses, what its banner says,
//! and that reading the outbox never creates a database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn loket() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_loket"));
    // Nothing from the caller's environment may choose settings for these runs.
    for (k, _) in std::env::vars() {
        if k.starts_with("LOKET_") {
            c.env_remove(k);
        }
    }
    c
}

/// An empty folder, as a machine outside the repository is.
fn empty_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("loket-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fails_with(cmd: &mut Command, needle: &str) {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

#[test]
fn production_named_outside_the_repository_is_a_start_up_error() {
    let dir = empty_dir();
    fails_with(
        loket()
            .current_dir(&dir)
            .env("LOKET_ENVIRONMENT", "production")
            .args(["serve", "--bind", "127.0.0.1:0"]),
        "LOKET_ENVIRONMENT=production but configuration/production.toml does not exist",
    );
}

#[test]
fn a_misspelt_environment_is_a_start_up_error() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    fails_with(
        loket()
            .current_dir(&repo)
            .env("LOKET_ENVIRONMENT", "prodution")
            .args(["serve", "--bind", "127.0.0.1:0"]),
        "LOKET_ENVIRONMENT=prodution but",
    );
}

#[test]
fn a_configuration_folder_that_does_not_exist_is_a_start_up_error() {
    fails_with(
        loket().args([
            "--config-dir",
            "/nonexistent",
            "serve",
            "--bind",
            "127.0.0.1:0",
        ]),
        "configuration folder /nonexistent does not exist",
    );
}

#[test]
fn with_no_configuration_at_all_loket_runs_as_production_and_needs_a_secret() {
    let dir = empty_dir();
    fails_with(
        loket()
            .current_dir(&dir)
            .args(["serve", "--bind", "127.0.0.1:0"]),
        "production mode needs payment_webhook_secret",
    );
    // It started nothing: no database file appeared.
    assert!(!dir.join("loket.db").exists());
}

#[test]
fn reading_the_outbox_where_there_is_no_database_says_so_and_creates_none() {
    let dir = empty_dir();
    let db = dir.join("missing.db");
    fails_with(
        loket().current_dir(&dir).args([
            "--database-url",
            &format!("sqlite://{}", db.display()),
            "mail",
        ]),
        "there is no database at",
    );
    assert!(!db.exists(), "mail created {}", db.display());
}

/// Starts `serve` with `args` and returns the banner lines printed before it serves.
fn banner(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = empty_dir();
    let db = dir.join("banner.db");
    let mut cmd = loket();
    cmd.current_dir(&dir)
        .args(["--database-url", &format!("sqlite://{}", db.display())])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Mode:");
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines.join("\n")
}

#[test]
fn the_start_up_banner_says_which_mode_runs() {
    let demo = banner(&["serve", "--demo", "--bind", "127.0.0.1:0"], &[]);
    assert!(demo.contains("Mode: demo"), "{demo}");
    assert!(demo.contains("DEV-ONLY routes on"), "{demo}");
    assert!(
        !demo.contains("127.0.0.1:0"),
        "the real port is printed: {demo}"
    );

    let prod = banner(
        &["serve", "--bind", "127.0.0.1:0"],
        &[
            (
                "LOKET_PAYMENT_WEBHOOK_SECRET",
                "0123456789abcdef0123456789abcdef-test",
            ),
            ("LOKET_PUBLIC_URL", "https://loket.example.go.id"),
        ],
    );
    assert!(prod.contains("Mode: production"), "{prod}");
    assert!(!prod.contains("DEV-ONLY"), "{prod}");
}
