//! Typed, layered configuration: built-in defaults, then `configuration/base.toml`, then
//! `configuration/<LOKET_ENVIRONMENT>.toml`, then `LOKET_*` environment variables, then
//! command-line flags. Secrets are redacted in `Debug`.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

mod defaults_file;
#[cfg(test)]
mod tests;
mod validate;

pub use validate::parse_smtp_url;

/// A secret string: usable, never printed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// How the service runs; demo and dev turn on the simulated bank and the local mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Production: no simulated bank, no local mailbox.
    Production,
    /// Development: simulated bank and local mailbox on.
    Dev,
    /// Demo: like dev, with demo data.
    Demo,
}

impl Mode {
    /// Whether dev-only helpers (simulated bank, mailbox) are served.
    pub fn dev_tools(&self) -> bool {
        !matches!(self, Mode::Production)
    }

    /// The start-up banner's line on what runs.
    pub fn banner(&self) -> &'static str {
        match self {
            Mode::Production => "production (no simulated bank, no dev mailbox, no dev clock)",
            Mode::Dev => {
                "dev (DEV-ONLY routes on: simulated bank, mailbox and clock under /api/v1/dev; never expose this)"
            }
            Mode::Demo => {
                "demo (demo data; DEV-ONLY routes on: simulated bank, mailbox and clock under /api/v1/dev; never expose this)"
            }
        }
    }
}

/// When a SQLite commit reaches the disk (`PRAGMA synchronous` on every writer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqliteSynchronous {
    /// Every commit is synced before it is acknowledged: nothing acknowledged is lost to a
    /// power cut or an operating-system crash.
    #[default]
    Full,
    /// Synced only at checkpoints: a killed process loses nothing, but a power cut or OS
    /// crash can lose the last commits, including payments acknowledged to the bank.
    Normal,
}

impl From<SqliteSynchronous> for loket_store::SqliteDurability {
    fn from(s: SqliteSynchronous) -> Self {
        match s {
            SqliteSynchronous::Full => Self::Full,
            SqliteSynchronous::Normal => Self::Normal,
        }
    }
}

/// Everything the service reads at start-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Address to listen on.
    pub bind: String,
    /// `sqlite://path` (default, one instance) or `postgres://...` (many instances).
    pub database_url: String,
    /// Database pool size.
    pub database_max_connections: u32,
    /// SQLite only: `full` (default) syncs every commit before it is acknowledged;
    /// `normal` risks losing the last acknowledged commits to a power cut or OS crash.
    pub sqlite_synchronous: SqliteSynchronous,
    /// production | dev | demo.
    pub mode: Mode,
    /// Minutes an applicant has to pay a billing code.
    pub payment_window_minutes: i64,
    /// HMAC-SHA256 key the bank signs payment notifications with. Required in production
    /// (32 bytes or more, not a built-in value); dev and demo fall back to [`DEV_WEBHOOK_SECRET`].
    pub payment_webhook_secret: Option<Secret>,
    /// Hours an API token or page session lasts.
    pub session_hours: i64,
    /// Seconds between sweeps of lapsed holds.
    pub expiry_interval_seconds: u64,
    /// Milliseconds a "session full" answer is reused before the database is asked again.
    /// Only rejections are cached; a place is only ever taken by the database.
    pub full_slot_cache_ms: u64,
    /// Milliseconds a token's owner is remembered in memory (logout elsewhere takes this long
    /// to reach this instance).
    pub auth_cache_ms: u64,
    /// Milliseconds offices, fee tables and a day's calendar and quotas are reused from
    /// memory; changes through another instance are seen after this long.
    pub reference_cache_ms: u64,
    /// Milliseconds an availability answer (one office, one range) is reused: the most
    /// the places it shows can lag behind. 0 turns this off.
    pub availability_cache_ms: u64,
    /// Request body limit in bytes.
    pub max_body_bytes: usize,
    /// Seconds a whole request may take (503 problem after that).
    pub request_timeout_seconds: u64,
    /// Seconds a client has to send its request body (408 problem after that).
    pub request_body_timeout_seconds: u64,
    /// Log format: "json" or "pretty".
    pub log_format: String,
    /// SMTP relay for the outbox, e.g. "smtp://127.0.0.1:25" (plain SMTP to a local relay
    /// that handles TLS onward). Unset: mail stays in the outbox (read it with `loket mail`).
    pub smtp_url: Option<String>,
    /// Sender address of outgoing mail.
    pub mail_from: String,
    /// Failed logins of one email address or staff username before its logins are refused
    /// for `login_lockout_minutes` (counted per instance).
    pub login_max_failures: u32,
    /// Minutes the failures are counted over, and the lockout lasts.
    pub login_lockout_minutes: i64,
    /// The address applicants open Loket at, e.g. `https://loket.example.go.id`: booking
    /// mails link to it. Production needs it (https); dev and demo use the address they
    /// listen on when it is unset.
    pub public_url: Option<String>,
    /// Seconds between passes of the booking mail (notices) worker.
    pub notice_interval_seconds: u64,
    /// Age from which a walk-in counts as elderly (a priority), on the service day.
    pub priority_elderly_from: u32,
    /// Age under which a child counts as small (a priority), on the service day.
    pub priority_small_child_under: u32,
    /// Minutes before its session starts from which a booking may be checked in.
    pub check_in_early_minutes: u32,
    /// Minutes after its session ends until which a booking may be checked in.
    pub check_in_late_minutes: u32,
    /// Priority tickets called in a row, at most, while a regular ticket waits.
    pub call_priority_streak: u32,
    /// Minutes after which a waiting regular ticket is called before priority ones.
    pub call_regular_max_wait_minutes: u32,
    /// Calls after which a ticket whose person does not come may be marked missed.
    pub missed_after_calls: u32,
    /// Hours after which a booking change no longer gets its mail (after an outage of the
    /// worker, say): it is marked noticed without one.
    pub notice_max_age_hours: i64,
    /// Wrong one-time codes (email verification and password reset) entered for one email
    /// address before codes for it are refused for `code_lockout_minutes`, even the right
    /// one (counted per instance).
    pub code_max_failures: u32,
    /// Minutes wrong codes are counted over, and the lockout lasts.
    pub code_lockout_minutes: i64,
    /// Codes mailed to one email address (registration, a new code, a password reset)
    /// within `address_mail_window_minutes` (counted per instance).
    pub address_max_mails: u32,
    /// Minutes the mails to one address are counted over.
    pub address_mail_window_minutes: i64,
    /// Registrations and code requests from one client address (IPv6: its /64) within
    /// `client_request_window_minutes` (counted per instance). Behind carrier-grade NAT many
    /// people share one address, so keep it generous.
    pub client_max_requests: u32,
    /// Minutes the requests of one client address are counted over.
    pub client_request_window_minutes: i64,
    /// Reverse proxies in front of Loket that append the address they saw to
    /// `X-Forwarded-For`: 0 (default) takes the connection's peer as the client; N takes
    /// the N-th entry from the right. Only set it when Loket cannot be reached but through
    /// those proxies, or anyone can pick the address they are counted under.
    pub trusted_proxy_hops: u8,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://loket.db".into(),
            database_max_connections: 16,
            sqlite_synchronous: SqliteSynchronous::Full,
            // Safe by default: a start with no configuration at all is production, which
            // refuses to run without a real webhook secret. The repository's base.toml and
            // `serve --demo` choose dev and demo explicitly.
            mode: Mode::Production,
            payment_window_minutes: 120,
            payment_webhook_secret: None,
            session_hours: 12,
            expiry_interval_seconds: 5,
            full_slot_cache_ms: 500,
            auth_cache_ms: 10_000,
            reference_cache_ms: 1_000,
            availability_cache_ms: 1_000,
            max_body_bytes: 64 * 1024,
            request_timeout_seconds: 30,
            request_body_timeout_seconds: 10,
            log_format: "pretty".into(),
            smtp_url: None,
            mail_from: "Loket <noreply@loket.invalid>".into(),
            login_max_failures: 10,
            login_lockout_minutes: 15,
            public_url: None,
            notice_interval_seconds: 5,
            priority_elderly_from: 60,
            priority_small_child_under: 5,
            check_in_early_minutes: 60,
            check_in_late_minutes: 30,
            call_priority_streak: 3,
            call_regular_max_wait_minutes: 45,
            missed_after_calls: 3,
            notice_max_age_hours: 6,
            code_max_failures: 5,
            code_lockout_minutes: 15,
            address_max_mails: 5,
            address_mail_window_minutes: 60,
            client_max_requests: 30,
            client_request_window_minutes: 60,
            trusted_proxy_hops: 0,
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file or variable had a bad value.
    #[error("configuration: {0}")]
    Figment(#[from] Box<figment::Error>),
    /// A value parsed but makes no sense.
    #[error("configuration: {0}")]
    Invalid(String),
}

/// The webhook secret dev and demo use when none is configured. Public, so never valid in
/// production.
pub const DEV_WEBHOOK_SECRET: &str = "dev-only-webhook-secret";

/// Secrets that have been published (in this repository's files or docs) and so can never
/// protect a production service.
const PUBLISHED_SECRETS: &[&str] = &[DEV_WEBHOOK_SECRET, "change-me", "changeme", "secret"];

/// The shortest webhook secret production accepts, in bytes.
pub const MIN_WEBHOOK_SECRET_BYTES: usize = 32;

/// The folder the settings files are read from when none is named.
pub const DEFAULT_CONFIG_DIR: &str = "configuration";

impl Settings {
    /// The priority walk-in age thresholds.
    pub fn priority_rules(&self) -> loket_domain::floor::PriorityRules {
        loket_domain::floor::PriorityRules {
            elderly_from: self.priority_elderly_from,
            small_child_under: self.priority_small_child_under,
        }
    }

    /// The grace around a session within which its bookings are checked in.
    pub fn check_in_window(&self) -> loket_domain::floor::CheckInWindow {
        loket_domain::floor::CheckInWindow {
            early_minutes: self.check_in_early_minutes,
            late_minutes: self.check_in_late_minutes,
        }
    }

    /// The order counters call tickets in.
    pub fn call_policy(&self) -> loket_domain::floor::CallPolicy {
        loket_domain::floor::CallPolicy {
            priority_streak: self.call_priority_streak,
            regular_max_wait_minutes: self.call_regular_max_wait_minutes,
        }
    }

    /// Loads the layers below `overrides` (command-line values, already merged by the caller).
    ///
    /// `config_dir` is `None` when the operator named no folder: then a missing
    /// `configuration/` is fine (built-in defaults, which are production). A named folder
    /// that does not exist, or a named `LOKET_ENVIRONMENT` whose file is missing, is an
    /// error: starting on defaults there would silently run another mode than the one asked for.
    pub fn load(
        config_dir: Option<&Path>,
        overrides: &[(&str, String)],
    ) -> Result<Self, ConfigError> {
        let env_name = std::env::var("LOKET_ENVIRONMENT")
            .ok()
            .filter(|v| !v.trim().is_empty());
        Self::load_from(config_dir, env_name.as_deref(), overrides)
    }

    /// [`Settings::load`] with the environment name given (tests use this).
    pub fn load_from(
        config_dir: Option<&Path>,
        env_name: Option<&str>,
        overrides: &[(&str, String)],
    ) -> Result<Self, ConfigError> {
        let named_dir = config_dir.is_some();
        let dir = config_dir.unwrap_or(Path::new(DEFAULT_CONFIG_DIR));
        if named_dir && !dir.is_dir() {
            return Err(ConfigError::Invalid(format!(
                "configuration folder {} does not exist",
                dir.display()
            )));
        }
        let mut fig = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(dir.join("base.toml")));
        if let Some(name) = env_name {
            let well_formed = !name.is_empty()
                && name.len() <= 32
                && name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                });
            if !well_formed {
                return Err(ConfigError::Invalid(format!(
                    "LOKET_ENVIRONMENT {name:?} is not a valid name (lowercase letters, digits, - and _)"
                )));
            }
            let file = dir.join(format!("{name}.toml"));
            if !file.is_file() {
                return Err(ConfigError::Invalid(format!(
                    "LOKET_ENVIRONMENT={name} but {} does not exist (set --config-dir or LOKET_CONFIG_DIR to the folder that holds it)",
                    file.display()
                )));
            }
            fig = fig.merge(Toml::file(file));
        }
        fig = fig.merge(Env::prefixed("LOKET_").ignore(&["environment", "config_dir", "log"]));
        for (k, v) in overrides {
            fig = fig.merge((*k, v.clone()));
        }
        let s: Settings = fig.extract().map_err(Box::new)?;
        s.validate()?;
        Ok(s)
    }

    /// The key payment notifications are checked with: the configured one, else (dev and
    /// demo only; production refuses to start without one) the public dev key.
    pub fn webhook_secret(&self) -> &str {
        match &self.payment_webhook_secret {
            Some(s) => s.expose(),
            None => DEV_WEBHOOK_SECRET,
        }
    }

    /// Where booking mails link to, without a trailing slash: `public_url`, or nothing
    /// (links are then bare paths; `Application::build` fills it in for dev and demo).
    pub fn public_base(&self) -> &str {
        self.public_url
            .as_deref()
            .map_or("", |u| u.trim_end_matches('/'))
    }
}
