//! What makes settings nonsensical or unsafe: a database URL of no known engine, numbers
//! out of range, and production's refusals (no webhook secret of its own, no https public
//! address). `Settings::validate` runs on every load; `validate_for_serving` before serving.

use super::{ConfigError, MIN_WEBHOOK_SECRET_BYTES, Mode, PUBLISHED_SECRETS, Secret, Settings};

impl Settings {
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
