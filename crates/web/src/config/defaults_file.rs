//! The documented defaults file that `loket default-config` prints: every setting with its
//! meaning and its default, in TOML that parses back to the defaults.

use super::{MIN_WEBHOOK_SECRET_BYTES, Mode, Settings, SqliteSynchronous};

impl Settings {
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
