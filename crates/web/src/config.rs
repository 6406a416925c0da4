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
    /// HMAC-SHA256 key the bank signs payment notifications with.
    pub payment_webhook_secret: Secret,
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
    /// Request timeout in seconds.
    pub request_timeout_seconds: u64,
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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://loket.db".into(),
            database_max_connections: 16,
            sqlite_synchronous: SqliteSynchronous::Full,
            mode: Mode::Dev,
            payment_window_minutes: 120,
            payment_webhook_secret: Secret("dev-only-webhook-secret".into()),
            session_hours: 12,
            expiry_interval_seconds: 5,
            full_slot_cache_ms: 500,
            auth_cache_ms: 10_000,
            reference_cache_ms: 1_000,
            availability_cache_ms: 1_000,
            max_body_bytes: 64 * 1024,
            request_timeout_seconds: 30,
            log_format: "pretty".into(),
            smtp_url: None,
            mail_from: "Loket <noreply@loket.invalid>".into(),
            login_max_failures: 10,
            login_lockout_minutes: 15,
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

impl Settings {
    /// Loads the layers below `overrides` (command-line values, already merged by the caller).
    pub fn load(config_dir: &Path, overrides: &[(&str, String)]) -> Result<Self, ConfigError> {
        let env_name = std::env::var("LOKET_ENVIRONMENT").unwrap_or_else(|_| "local".into());
        let mut fig = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(config_dir.join("base.toml")))
            .merge(Toml::file(config_dir.join(format!("{env_name}.toml"))))
            .merge(Env::prefixed("LOKET_").ignore(&["environment"]));
        for (k, v) in overrides {
            fig = fig.merge((*k, v.clone()));
        }
        let s: Settings = fig.extract().map_err(Box::new)?;
        s.validate()?;
        Ok(s)
    }

    /// Rejects values that would make the service misbehave.
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
        if self.login_max_failures == 0 || !(1..=24 * 60).contains(&self.login_lockout_minutes) {
            return Err(ConfigError::Invalid(
                "login_max_failures must be at least 1 and login_lockout_minutes between 1 and 1440"
                    .into(),
            ));
        }
        if self.mode == Mode::Production && self.payment_webhook_secret.expose().len() < 16 {
            return Err(ConfigError::Invalid(
                "payment_webhook_secret must be set (16+ characters) in production".into(),
            ));
        }
        if let Some(u) = &self.smtp_url
            && crate::workers::parse_smtp_url(u).is_none()
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
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "bind {:?} is not HOST:PORT",
                self.bind
            )));
        }
        Ok(())
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
        ("production | dev | demo (dev and demo serve the simulated bank and the local mailbox).", "mode", q(mode)),
        ("Minutes an applicant has to pay a billing code.", "payment_window_minutes", s.payment_window_minutes.to_string()),
        ("HMAC-SHA256 key for payment notifications. Set your own outside dev.", "payment_webhook_secret", q(s.payment_webhook_secret.expose())),
        ("Hours an API token or page session lasts.", "session_hours", s.session_hours.to_string()),
        ("Seconds between sweeps of lapsed holds.", "expiry_interval_seconds", s.expiry_interval_seconds.to_string()),
        ("Milliseconds a 'session full' answer is reused before asking the database again.", "full_slot_cache_ms", s.full_slot_cache_ms.to_string()),
        ("Milliseconds a token's owner is remembered in memory (0 turns this off).", "auth_cache_ms", s.auth_cache_ms.to_string()),
        ("Milliseconds offices, fees and a day's calendar and quotas are reused from memory (0 turns this off).", "reference_cache_ms", s.reference_cache_ms.to_string()),
        ("Milliseconds an availability answer (one office and range) is reused: how far the places shown may lag (0 turns this off).", "availability_cache_ms", s.availability_cache_ms.to_string()),
        ("Request body limit in bytes.", "max_body_bytes", s.max_body_bytes.to_string()),
        ("Request timeout in seconds.", "request_timeout_seconds", s.request_timeout_seconds.to_string()),
        ("Log format: json or pretty.", "log_format", q(&s.log_format)),
        ("Failed logins of one email or staff username before its logins are refused for a while (per instance).", "login_max_failures", s.login_max_failures.to_string()),
        ("Minutes failed logins are counted over, and the lockout lasts.", "login_lockout_minutes", s.login_lockout_minutes.to_string()),
    ]
    .iter()
    .map(|(doc, k, v)| format!("# {doc}\n{k} = {v}\n"))
    .chain([
        "# SMTP relay for the outbox (plain SMTP to a local relay). Unset: mail stays in the outbox.\n# smtp_url = \"smtp://127.0.0.1:25\"\n".to_owned(),
        format!("# Sender of outgoing mail.\nmail_from = {}\n", q(&s.mail_from)),
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
    fn secrets_are_redacted_in_debug_output() {
        let s = Settings::default();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("dev-only-webhook-secret"));
        assert!(dbg.contains("Secret(***)"));
    }

    #[test]
    fn production_requires_a_real_webhook_secret() {
        let s = Settings {
            mode: Mode::Production,
            payment_webhook_secret: Secret(String::new()),
            ..Settings::default()
        };
        assert!(s.validate().is_err());
    }
}
