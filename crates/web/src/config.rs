//! Typed, layered configuration: built-in defaults, then `configuration/base.toml`, then
//! `configuration/<LOKET_ENVIRONMENT>.toml`, then `LOKET_*` environment variables, then
//! command-line flags. Secrets are redacted in `Debug`.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

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

    /// Rejects values that would make the service misbehave or run unsafely.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = self.database_url.as_str();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres:")
            || url.starts_with("postgresql:"))
        {
            let scheme = url.split(':').next().unwrap_or("");
            return Err(ConfigError::Invalid(format!(
                "database_url has unsupported scheme {scheme:?}: use sqlite://FILE or postgres://USER@HOST/DB"
            )));
        }
        if !(1..=24 * 60).contains(&self.payment_window_minutes) {
            return Err(ConfigError::Invalid(
                "payment_window_minutes must be between 1 and 1440".into(),
            ));
        }
        for (max_key, max, minutes_key, minutes) in [
            (
                "login_max_failures",
                self.login_max_failures,
                "login_lockout_minutes",
                self.login_lockout_minutes,
            ),
            (
                "code_max_failures",
                self.code_max_failures,
                "code_lockout_minutes",
                self.code_lockout_minutes,
            ),
            (
                "address_max_mails",
                self.address_max_mails,
                "address_mail_window_minutes",
                self.address_mail_window_minutes,
            ),
            (
                "client_max_requests",
                self.client_max_requests,
                "client_request_window_minutes",
                self.client_request_window_minutes,
            ),
        ] {
            if max == 0 || !(1..=24 * 60).contains(&minutes) {
                return Err(ConfigError::Invalid(format!(
                    "{max_key} must be at least 1 and {minutes_key} between 1 and 1440"
                )));
            }
        }
        if self.trusted_proxy_hops > 5 {
            return Err(ConfigError::Invalid(
                "trusted_proxy_hops must be between 0 and 5".into(),
            ));
        }
        if self.request_timeout_seconds == 0 || self.request_body_timeout_seconds == 0 {
            return Err(ConfigError::Invalid(
                "request_timeout_seconds and request_body_timeout_seconds must be at least 1"
                    .into(),
            ));
        }
        if let Some(u) = &self.smtp_url
            && parse_smtp_url(u).is_none()
        {
            return Err(ConfigError::Invalid(format!(
                "smtp_url {u:?} must look like smtp://HOST:PORT"
            )));
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "mail_from {:?} is not an email address",
                self.mail_from
            )));
        }
        if let Some(u) = &self.public_url
            && let Some(problem) = public_url_problem(u)
        {
            return Err(ConfigError::Invalid(format!("public_url {u:?} {problem}")));
        }
        if self.notice_interval_seconds == 0 || !(1..=24 * 7).contains(&self.notice_max_age_hours) {
            return Err(ConfigError::Invalid(
                "notice_interval_seconds must be at least 1 and notice_max_age_hours between 1 and 168"
                    .into(),
            ));
        }
        if !(40..=100).contains(&self.priority_elderly_from)
            || !(1..=17).contains(&self.priority_small_child_under)
        {
            return Err(ConfigError::Invalid(
                "priority_elderly_from must be between 40 and 100 and priority_small_child_under between 1 and 17"
                    .into(),
            ));
        }
        if self.check_in_early_minutes > 240 || self.check_in_late_minutes > 240 {
            return Err(ConfigError::Invalid(
                "check_in_early_minutes and check_in_late_minutes must be at most 240".into(),
            ));
        }
        if !(1..=20).contains(&self.call_priority_streak)
            || !(5..=240).contains(&self.call_regular_max_wait_minutes)
            || !(1..=10).contains(&self.missed_after_calls)
        {
            return Err(ConfigError::Invalid(
                "call_priority_streak must be between 1 and 20, call_regular_max_wait_minutes between 5 and 240 and missed_after_calls between 1 and 10"
                    .into(),
            ));
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "bind {:?} is not HOST:PORT",
                self.bind
            )));
        }
        Ok(())
    }

    /// [`Settings::validate`], plus what serving requests needs: production refuses to
    /// serve without a webhook secret of its own. (Reading the outbox or migrating does not
    /// take payments, so it does not need the secret.)
    pub fn validate_for_serving(&self) -> Result<(), ConfigError> {
        self.validate()?;
        if self.mode == Mode::Production {
            check_production_secret(self.payment_webhook_secret.as_ref())?;
            match &self.public_url {
                Some(u) if u.starts_with("https://") => {}
                Some(u) => {
                    return Err(ConfigError::Invalid(format!(
                        "public_url {u:?} must start with https:// in production: applicants follow it from their mail"
                    )));
                }
                None => {
                    return Err(ConfigError::Invalid(
                        "production mode needs public_url (LOKET_PUBLIC_URL): the https address applicants open, e.g. https://loket.example.go.id; booking mails link to it".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Where booking mails link to, without a trailing slash: `public_url`, or nothing
    /// (links are then bare paths; `Application::build` fills it in for dev and demo).
    pub fn public_base(&self) -> &str {
        self.public_url
            .as_deref()
            .map_or("", |u| u.trim_end_matches('/'))
    }

    /// The defaults as TOML, for `loket default-config`.
    pub fn default_toml() -> String {
        let mut out = String::from(
            "# Loket configuration. Every key can also be set as LOKET_<KEY> (e.g. LOKET_DATABASE_URL).\n",
        );
        let body = toml_lines(&Settings::default());
        out.push_str(&body);
        out
    }
}

/// (host, port) of an `smtp://HOST:PORT` URL.
pub fn parse_smtp_url(url: &str) -> Option<(String, u16)> {
    let rest = url.strip_prefix("smtp://")?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p.trim_end_matches('/').parse().ok()?),
        None => (rest.trim_end_matches('/'), 25),
    };
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

/// What is wrong with a public URL, if anything: an http(s) address with a host, and no
/// query or fragment (paths are appended to it).
fn public_url_problem(u: &str) -> Option<&'static str> {
    let Some(rest) = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
    else {
        return Some("must start with https:// (or http:// outside production)");
    };
    if rest.split('/').next().unwrap_or_default().is_empty() {
        Some("has no host")
    } else if u.contains(['?', '#']) || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("must be a plain address, without spaces, a query or a fragment")
    } else {
        None
    }
}

/// Production needs a webhook secret of its own: set, unpublished, and long enough that it
/// cannot be guessed. Anyone holding the key can mark bookings paid.
fn check_production_secret(secret: Option<&Secret>) -> Result<(), ConfigError> {
    let Some(secret) = secret else {
        return Err(ConfigError::Invalid(
            "production mode needs payment_webhook_secret (LOKET_PAYMENT_WEBHOOK_SECRET): the bank's HMAC key, 32 bytes or more; for a try-out run `loket serve --demo` instead".into(),
        ));
    };
    let v = secret.expose();
    if PUBLISHED_SECRETS
        .iter()
        .any(|p| v.trim().eq_ignore_ascii_case(p))
    {
        return Err(ConfigError::Invalid(
            "payment_webhook_secret is a published example value; production needs a secret of its own".into(),
        ));
    }
    if v.len() < MIN_WEBHOOK_SECRET_BYTES {
        return Err(ConfigError::Invalid(format!(
            "payment_webhook_secret must be at least {MIN_WEBHOOK_SECRET_BYTES} bytes in production (it is {})",
            v.len()
        )));
    }
    Ok(())
}

fn toml_lines(s: &Settings) -> String {
    // Written by hand so that each key gets its doc line; kept in step by a test.
    let q = |v: &str| format!("{v:?}");
    let mode = match s.mode {
        Mode::Production => "production",
        Mode::Dev => "dev",
        Mode::Demo => "demo",
    };
    let sync = match s.sqlite_synchronous {
        SqliteSynchronous::Full => "full",
        SqliteSynchronous::Normal => "normal",
    };
    [
        ("Address to listen on.", "bind", q(&s.bind)),
        ("sqlite://FILE (default, one instance) or postgres://USER@HOST/DB (many instances).", "database_url", q(&s.database_url)),
        ("Database pool size.", "database_max_connections", s.database_max_connections.to_string()),
        ("SQLite: full (every commit synced before it is acknowledged) or normal (faster; a power cut or OS crash can lose the last acknowledged commits, payments included).", "sqlite_synchronous", q(sync)),
        ("production | dev | demo (dev and demo serve the simulated bank, the local mailbox and the dev clock). With no configuration at all Loket runs as production.", "mode", q(mode)),
        ("Minutes an applicant has to pay a billing code.", "payment_window_minutes", s.payment_window_minutes.to_string()),
        ("Hours an API token or page session lasts.", "session_hours", s.session_hours.to_string()),
        ("Seconds between sweeps of lapsed holds.", "expiry_interval_seconds", s.expiry_interval_seconds.to_string()),
        ("Milliseconds a 'session full' answer is reused before asking the database again.", "full_slot_cache_ms", s.full_slot_cache_ms.to_string()),
        ("Milliseconds a token's owner is remembered in memory (0 turns this off).", "auth_cache_ms", s.auth_cache_ms.to_string()),
        ("Milliseconds offices, fees and a day's calendar and quotas are reused from memory (0 turns this off).", "reference_cache_ms", s.reference_cache_ms.to_string()),
        ("Milliseconds an availability answer (one office and range) is reused: how far the places shown may lag (0 turns this off).", "availability_cache_ms", s.availability_cache_ms.to_string()),
        ("Request body limit in bytes.", "max_body_bytes", s.max_body_bytes.to_string()),
        ("Seconds a whole request may take (then 503 problem+json).", "request_timeout_seconds", s.request_timeout_seconds.to_string()),
        ("Seconds a client has to send its request body (then 408 problem+json).", "request_body_timeout_seconds", s.request_body_timeout_seconds.to_string()),
        ("Log format: json or pretty.", "log_format", q(&s.log_format)),
        ("Failed logins of one email or staff username before its logins are refused for a while (per instance).", "login_max_failures", s.login_max_failures.to_string()),
        ("Minutes failed logins are counted over, and the lockout lasts.", "login_lockout_minutes", s.login_lockout_minutes.to_string()),
        ("Seconds between passes of the booking mail worker (held, paid, reminder, reschedule, cancel, refund, expiry).", "notice_interval_seconds", s.notice_interval_seconds.to_string()),
        ("Hours after which a booking change no longer gets its mail (after an outage of the worker, say).", "notice_max_age_hours", s.notice_max_age_hours.to_string()),
        ("Age from which a walk-in counts as elderly, a priority (on the service day).", "priority_elderly_from", s.priority_elderly_from.to_string()),
        ("Age under which a child counts as small, a priority (on the service day).", "priority_small_child_under", s.priority_small_child_under.to_string()),
        ("Minutes before its session starts from which a booking may be checked in.", "check_in_early_minutes", s.check_in_early_minutes.to_string()),
        ("Minutes after its session ends until which a booking may be checked in.", "check_in_late_minutes", s.check_in_late_minutes.to_string()),
        ("Priority tickets called in a row, at most, while a regular ticket waits.", "call_priority_streak", s.call_priority_streak.to_string()),
        ("Minutes after which a waiting regular ticket is called before priority ones.", "call_regular_max_wait_minutes", s.call_regular_max_wait_minutes.to_string()),
        ("Calls after which a ticket whose person does not come may be marked missed.", "missed_after_calls", s.missed_after_calls.to_string()),
        ("Wrong one-time codes (email verification, password reset) for one email address before its codes are refused for a while, even the right one (per instance).", "code_max_failures", s.code_max_failures.to_string()),
        ("Minutes wrong codes are counted over, and the lockout lasts.", "code_lockout_minutes", s.code_lockout_minutes.to_string()),
        ("Codes mailed to one email address (registration, new code, password reset) per window, so nobody's mailbox can be flooded (per instance).", "address_max_mails", s.address_max_mails.to_string()),
        ("Minutes the mails to one address are counted over.", "address_mail_window_minutes", s.address_mail_window_minutes.to_string()),
        ("Registrations and code requests from one client address (IPv6: its /64) per window (per instance). Many phones share one address behind carrier-grade NAT: keep it generous.", "client_max_requests", s.client_max_requests.to_string()),
        ("Minutes the requests of one client address are counted over.", "client_request_window_minutes", s.client_request_window_minutes.to_string()),
        ("Reverse proxies in front of Loket that append the client's address to X-Forwarded-For (0: the connection's peer is the client). Set it only if Loket cannot be reached except through them.", "trusted_proxy_hops", s.trusted_proxy_hops.to_string()),
    ]
    .iter()
    .map(|(doc, k, v)| format!("# {doc}\n{k} = {v}\n"))
    .chain([
        format!("# HMAC-SHA256 key of bank payment notifications: required in production, {MIN_WEBHOOK_SECRET_BYTES}+ bytes of your own\n# (e.g. `openssl rand -hex 32`). Dev and demo use a public key when unset.\n# payment_webhook_secret = \"...\"\n"),
        "# SMTP relay for the outbox (plain SMTP to a local relay). Unset: mail stays in the outbox.\n# smtp_url = \"smtp://127.0.0.1:25\"\n".to_owned(),
        format!("# Sender of outgoing mail.\nmail_from = {}\n", q(&s.mail_from)),
        "# The https address applicants open Loket at; booking mails link to it. Required in production;\n# dev and demo use the address they listen on when unset.\n# public_url = \"https://loket.example.go.id\"\n".to_owned(),
    ])
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_output_parses_back_to_the_defaults() {
        let text = Settings::default_toml();
        let parsed: Settings = Figment::from(Toml::string(&text)).extract().unwrap();
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    fn an_unknown_database_scheme_is_a_clear_error() {
        let s = Settings {
            database_url: "mysql://localhost/loket".into(),
            ..Settings::default()
        };
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("unsupported scheme \"mysql\""), "{e}");
    }

    #[test]
    fn priority_ages_are_settings_within_sense() {
        let s = Settings {
            priority_elderly_from: 65,
            priority_small_child_under: 3,
            ..Settings::default()
        };
        assert!(s.validate().is_ok());
        assert_eq!(s.priority_rules().elderly_from, 65);
        assert_eq!(Settings::default().priority_rules(), Default::default());
        for (elderly, child) in [(0, 5), (60, 0), (101, 5), (60, 18)] {
            let bad = Settings {
                priority_elderly_from: elderly,
                priority_small_child_under: child,
                ..Settings::default()
            };
            let e = bad.validate().unwrap_err().to_string();
            assert!(e.contains("priority_elderly_from"), "{e}");
        }
    }

    #[test]
    fn the_check_in_grace_is_a_setting_of_at_most_four_hours() {
        let s = Settings {
            check_in_early_minutes: 0,
            check_in_late_minutes: 240,
            ..Settings::default()
        };
        assert!(s.validate().is_ok());
        assert_eq!(s.check_in_window().late_minutes, 240);
        assert_eq!(Settings::default().check_in_window(), Default::default());
        let bad = Settings {
            check_in_early_minutes: 241,
            ..Settings::default()
        };
        let e = bad.validate().unwrap_err().to_string();
        assert!(e.contains("check_in_early_minutes"), "{e}");
    }

    #[test]
    fn the_call_policy_is_a_setting_within_sense() {
        let s = Settings {
            call_priority_streak: 2,
            call_regular_max_wait_minutes: 30,
            ..Settings::default()
        };
        assert!(s.validate().is_ok());
        assert_eq!(s.call_policy().priority_streak, 2);
        assert_eq!(Settings::default().call_policy(), Default::default());
        for bad in [
            Settings {
                call_priority_streak: 0,
                ..Settings::default()
            },
            Settings {
                call_regular_max_wait_minutes: 1,
                ..Settings::default()
            },
            Settings {
                missed_after_calls: 0,
                ..Settings::default()
            },
        ] {
            let e = bad.validate().unwrap_err().to_string();
            assert!(e.contains("call_priority_streak"), "{e}");
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let s = Settings {
            payment_webhook_secret: Some(Secret("a-secret-nobody-should-read-0123456789".into())),
            ..Settings::default()
        };
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("a-secret-nobody"));
        assert!(dbg.contains("Secret(***)"));
    }

    fn production(secret: Option<&str>) -> Settings {
        Settings {
            mode: Mode::Production,
            payment_webhook_secret: secret.map(|s| Secret(s.to_owned())),
            public_url: Some("https://loket.example.go.id".into()),
            ..Settings::default()
        }
    }

    #[test]
    fn production_refuses_to_start_without_a_webhook_secret() {
        let e = production(None)
            .validate_for_serving()
            .unwrap_err()
            .to_string();
        assert!(e.contains("LOKET_PAYMENT_WEBHOOK_SECRET"), "{e}");
    }

    #[test]
    fn production_refuses_the_published_dev_secret_even_padded_out() {
        let e = production(Some(DEV_WEBHOOK_SECRET))
            .validate_for_serving()
            .unwrap_err()
            .to_string();
        assert!(e.contains("published"), "{e}");
    }

    #[test]
    fn production_refuses_a_short_secret() {
        let e = production(Some("0123456789abcdef0123456789abcde"))
            .validate_for_serving()
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least 32 bytes"), "{e}");
        production(Some("0123456789abcdef0123456789abcdef"))
            .validate_for_serving()
            .unwrap();
    }

    #[test]
    fn no_configuration_at_all_means_production_which_needs_a_secret() {
        assert_eq!(Settings::default().mode, Mode::Production);
        // A folder with no files in it, as a machine outside the repository has.
        let empty = config_dir(&[]);
        let s = Settings::load_from(Some(&empty), None, &[]).unwrap();
        assert_eq!(s.mode, Mode::Production);
        let e = s.validate_for_serving().unwrap_err().to_string();
        assert!(
            e.contains("production mode needs payment_webhook_secret"),
            "{e}"
        );
    }

    fn config_dir(files: &[(&str, &str)]) -> std::path::PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("loket-cfg-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, body) in files {
            std::fs::write(dir.join(name), body).unwrap();
        }
        dir
    }

    #[test]
    fn a_named_configuration_folder_that_does_not_exist_is_an_error() {
        let e = Settings::load_from(Some(Path::new("/nonexistent/loket")), None, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/loket does not exist"), "{e}");
    }

    #[test]
    fn a_named_environment_without_its_file_is_an_error() {
        let dir = config_dir(&[("base.toml", "mode = \"dev\"\n")]);
        for name in ["production", "prodution"] {
            let e = Settings::load_from(Some(&dir), Some(name), &[])
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("LOKET_ENVIRONMENT={name}")), "{e}");
        }
        let e = Settings::load_from(Some(&dir), Some("../base"), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a valid name"), "{e}");
    }

    #[test]
    fn the_environment_file_overrides_the_base_file() {
        let dir = config_dir(&[
            ("base.toml", "mode = \"dev\"\n"),
            ("production.toml", "mode = \"production\"\n"),
        ]);
        let dev = Settings::load_from(Some(&dir), None, &[]).unwrap();
        assert_eq!(dev.mode, Mode::Dev);
        let e = Settings::load_from(Some(&dir), Some("production"), &[])
            .unwrap()
            .validate_for_serving()
            .unwrap_err()
            .to_string();
        assert!(e.contains("production mode needs"), "{e}");
        let ok = Settings::load_from(
            Some(&dir),
            Some("production"),
            &[("payment_webhook_secret", "x".repeat(40))],
        )
        .unwrap();
        assert_eq!(ok.mode, Mode::Production);
        assert!(!ok.mode.dev_tools());
    }

    #[test]
    fn production_needs_an_https_public_url_and_any_mode_a_well_formed_one() {
        let secret = "0123456789abcdef0123456789abcdef";
        let e = Settings {
            public_url: None,
            ..production(Some(secret))
        }
        .validate_for_serving()
        .unwrap_err()
        .to_string();
        assert!(e.contains("LOKET_PUBLIC_URL"), "{e}");
        let e = Settings {
            public_url: Some("http://loket.example.go.id".into()),
            ..production(Some(secret))
        }
        .validate_for_serving()
        .unwrap_err()
        .to_string();
        assert!(e.contains("must start with https://"), "{e}");
        for bad in [
            "loket.example.go.id",
            "https://",
            "https://x.id/?a=1",
            "https://x .id",
        ] {
            let s = Settings {
                public_url: Some(bad.into()),
                ..Settings::default()
            };
            assert!(s.validate().is_err(), "{bad:?} passed");
        }
        let s = Settings {
            public_url: Some("https://loket.example.go.id/".into()),
            ..Settings::default()
        };
        s.validate().unwrap();
        assert_eq!(s.public_base(), "https://loket.example.go.id");
        assert_eq!(Settings::default().public_base(), "");
    }

    #[test]
    fn every_limit_needs_at_least_one_try_and_a_window_of_a_minute_to_a_day() {
        type Tweak = fn(&mut Settings);
        let tweaks: [(&str, Tweak); 6] = [
            ("code_max_failures", |s| s.code_max_failures = 0),
            ("code_lockout_minutes", |s| s.code_lockout_minutes = 0),
            ("address_max_mails", |s| s.address_max_mails = 0),
            ("address_mail_window_minutes", |s| {
                s.address_mail_window_minutes = 24 * 60 + 1
            }),
            ("client_max_requests", |s| s.client_max_requests = 0),
            ("login_lockout_minutes", |s| s.login_lockout_minutes = -5),
        ];
        for (key, tweak) in tweaks {
            let mut s = Settings::default();
            tweak(&mut s);
            let e = s.validate().unwrap_err().to_string();
            assert!(e.contains(key), "{key}: {e}");
        }
        let proxies = Settings {
            trusted_proxy_hops: 6,
            ..Settings::default()
        };
        let e = proxies.validate().unwrap_err().to_string();
        assert!(e.contains("trusted_proxy_hops"), "{e}");
        Settings::default().validate().unwrap();
    }

    #[test]
    fn smtp_urls_parse_to_host_and_port() {
        assert_eq!(
            parse_smtp_url("smtp://127.0.0.1:2525"),
            Some(("127.0.0.1".into(), 2525))
        );
        assert_eq!(
            parse_smtp_url("smtp://relay.local"),
            Some(("relay.local".into(), 25))
        );
        assert_eq!(parse_smtp_url("http://x:25"), None);
        assert_eq!(parse_smtp_url("smtp://:25"), None);
    }
}
