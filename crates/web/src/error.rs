//! One error type for the API, rendered as RFC 9457 problem+json with a stable `code`.
//! Store and domain errors map here in one place; internal errors are logged once and
//! reach the client as an opaque 500.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use loket_domain::availability::{DayStatus, Unbookable};
use loket_domain::booking::TransitionError;
use loket_domain::floor::{CheckInRefusal, TicketRefusal};
use loket_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::usecases::payments::SIGNATURE_HEADER;
use crate::usecases::{Attempts, FieldProblem, Login, Refusal};

/// One field's validation failure.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer-ish path of the field, e.g. "applicant.nik".
    pub field: String,
    /// Stable machine code, e.g. "invalid_birth_day".
    pub code: String,
    /// Human-readable message (English).
    pub message: String,
}

impl From<FieldProblem> for FieldError {
    fn from(p: FieldProblem) -> Self {
        Self {
            field: p.field,
            code: p.code,
            message: p.message,
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// URI reference naming the problem type: `/problems/<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Explanation of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code (same as the last segment of `type`).
    pub code: String,
    /// Per-field errors (validation problems).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extra members, e.g. `opens_at` for not-yet-released.
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An API error: a problem plus what to log.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: Option<String>,
    errors: Vec<FieldError>,
    extra: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    /// A problem with a status, stable code and title.
    pub fn new(status: StatusCode, code: &'static str, title: &'static str) -> Self {
        Self {
            status,
            code,
            title,
            detail: None,
            errors: Vec::new(),
            extra: serde_json::Map::new(),
        }
    }

    /// Adds a detail sentence.
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    /// Adds an extension member.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        if let Ok(v) = serde_json::to_value(value) {
            self.extra.insert(key.to_owned(), v);
        }
        self
    }

    /// Attaches per-field errors.
    pub fn errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// 422 with per-field errors.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "Some fields are not valid",
        );
        e.errors = errors;
        e
    }

    /// 422 for one field.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }])
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found")
            .detail(format!("{what} not found"))
    }

    /// 401.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
        )
        .detail("log in and send the token as 'Authorization: Bearer <token>'")
    }

    /// 403.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed")
            .detail("your account or role may not do this here")
    }

    /// 403: the account's email address is not verified yet.
    pub fn email_not_verified() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "email-not-verified",
            "Verify your email address first",
        )
    }

    /// 415: the body is not declared as JSON.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the body as JSON",
        )
        .detail("set 'Content-Type: application/json'")
    }

    /// 500, logging the cause once.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error.cause = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        )
        .detail("something went wrong on our side; nothing was changed, please try again")
    }

    /// 503: the database is out of reach; nothing was changed.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database-unavailable",
            "The service cannot reach its database",
        )
        .detail("nothing was changed; please try again in a few seconds")
        .with("retry_after_seconds", RETRY_AFTER_SECONDS)
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: format!("/problems/{}", self.code),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            errors: self.errors.clone(),
            extra: self.extra.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // A problem that says when to come back says it in the standard header too.
        if let Some(secs) = self
            .extra
            .get("retry_after_seconds")
            .and_then(|v| v.as_u64())
        {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        use StatusCode as S;
        match e {
            StoreError::NotFound => Self::not_found("resource"),
            StoreError::QuotaFull => Self::new(S::CONFLICT, "quota-full", "This session is full")
                .detail("every place in this session is taken; choose another date or session"),
            StoreError::PriorityQuotaFull => Self::new(
                S::CONFLICT,
                "priority-quota-full",
                "Today's priority quota is used up",
            )
            .detail("the head of office may raise today's priority quota"),
            StoreError::NikHasActiveBooking => Self::new(
                S::CONFLICT,
                "nik-active-booking",
                "This NIK already has an active booking",
            )
            .detail("one person may hold one active booking; pay, cancel or use the existing one"),
            StoreError::ApplicantLimitReached => Self::new(
                S::CONFLICT,
                "applicant-limit-reached",
                "An account may apply for at most 5 people",
            ),
            StoreError::ApplicantExists => Self::new(
                S::CONFLICT,
                "applicant-exists",
                "This person is already on your account",
            ),
            StoreError::EmailTaken => Self::new(
                S::CONFLICT,
                "email-taken",
                "This email address is already registered",
            ),
            StoreError::UsernameTaken => {
                Self::new(S::CONFLICT, "username-taken", "This username is taken")
            }
            StoreError::VerificationFailed => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "verification-failed",
                "The code is wrong or has expired",
            )
            .detail("request a new code if this one has expired or was tried 5 times"),
            StoreError::CapacityBelowTaken { taken } => Self::new(
                S::CONFLICT,
                "capacity-below-taken",
                "A quota cannot be set below the places already taken",
            )
            .with("taken", taken),
            StoreError::IdempotencyMismatch => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "This Idempotency-Key was used for a different request",
            ),
            StoreError::Transition(t) => t.into(),
            StoreError::CheckIn(c) => c.into(),
            StoreError::Ticket(r) => r.into(),
            StoreError::OutageModeOff => Self::new(
                S::CONFLICT,
                "outage-mode-off",
                "The office is not in outage mode",
            )
            .detail("walk-ins without a booking are registered only in outage mode"),
            StoreError::CounterBusy { number } => Self::new(
                S::CONFLICT,
                "counter-busy",
                "This counter is still serving a ticket",
            )
            .detail("finish the ticket called, send it on or mark it absent first")
            .with("number", number),
            StoreError::InvalidInput => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "invalid-input",
                "A value contains characters that cannot be stored",
            ),
            StoreError::Unavailable(cause) => {
                tracing::warn!(error.cause = %cause, "database unavailable");
                Self::unavailable()
            }
            e @ (StoreError::BillingCodeTaken
            | StoreError::Corrupt(_)
            | StoreError::Database(_)
            | StoreError::Sqlite(_)
            | StoreError::Migrate(_)) => Self::internal(e),
        }
    }
}

impl From<CheckInRefusal> for ApiError {
    fn from(c: CheckInRefusal) -> Self {
        let e = Self::new(
            StatusCode::CONFLICT,
            "check-in-refused",
            "This booking cannot be checked in now",
        )
        .detail(c.to_string())
        .with("reason", c.code());
        match c {
            CheckInRefusal::OtherDay { date } => e.with("date", date),
            CheckInRefusal::TooEarly { from } => e.with("opens_at_local", from),
            CheckInRefusal::TooLate { until } => e.with("closed_at_local", until),
            CheckInRefusal::Ended { state } => e.with("state", state.as_str()),
            _ => e,
        }
    }
}

impl From<TicketRefusal> for ApiError {
    fn from(r: TicketRefusal) -> Self {
        let e = Self::new(
            StatusCode::CONFLICT,
            "ticket-action-refused",
            "This action does not fit the ticket now",
        )
        .detail(r.to_string())
        .with("reason", r.code());
        match r {
            TicketRefusal::RecallFirst { calls, needed } => {
                e.with("calls", calls).with("needed", needed)
            }
            _ => e,
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(t: TransitionError) -> Self {
        use StatusCode as S;
        match t {
            TransitionError::CancelNotAllowed => Self::new(
                S::CONFLICT,
                "cancel-not-allowed",
                "This booking can no longer be cancelled",
            ),
            TransitionError::RescheduleNotAllowed => Self::new(
                S::CONFLICT,
                "reschedule-not-allowed",
                "This booking can no longer be rescheduled",
            )
            .detail("a booking may be moved once, up to the day before its date"),
            TransitionError::DeadlinePassed => Self::new(
                S::CONFLICT,
                "payment-deadline-passed",
                "The payment deadline has passed",
            )
            .detail("the unpaid booking lapsed and its place went back to the quota"),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        use StatusCode as S;
        match r {
            Refusal::NotFound(what) => Self::not_found(what),
            Refusal::Invalid(problems) => {
                Self::validation(problems.into_iter().map(FieldError::from).collect())
            }
            Refusal::InvalidNik(e) => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "invalid-nik",
                "The NIK is not valid",
            )
            .detail(e.to_string())
            .errors(vec![FieldError {
                field: "nik".into(),
                code: e.code().into(),
                message: e.to_string(),
            }]),
            Refusal::InvalidCredentials(login) => Self::new(
                S::UNAUTHORIZED,
                "invalid-credentials",
                "Wrong login or password",
            )
            .detail(match login {
                Login::Email => "check the email address and the password",
                Login::Username => "check the username and the password",
            }),
            Refusal::EmailNotVerified => Self::email_not_verified()
                .detail("enter the code we emailed you, or ask for a new one"),
            Refusal::TooManyAttempts {
                what,
                retry_after_seconds,
            } => {
                let (problem, paused) = match what {
                    Attempts::Logins => (
                        Self::new(
                            S::TOO_MANY_REQUESTS,
                            "too-many-login-attempts",
                            "Too many failed logins",
                        ),
                        "logins for this account are paused",
                    ),
                    Attempts::Codes => (
                        Self::new(
                            S::TOO_MANY_REQUESTS,
                            "too-many-code-attempts",
                            "Too many wrong codes",
                        ),
                        "codes for this email address are not taken, not even the right one",
                    ),
                    Attempts::Mails => (
                        Self::new(
                            S::TOO_MANY_REQUESTS,
                            "too-many-codes-sent",
                            "Too many codes were sent to this address",
                        ),
                        "no more codes are sent to this address for now; use the latest one",
                    ),
                    Attempts::Requests => (
                        Self::new(
                            S::TOO_MANY_REQUESTS,
                            "too-many-account-requests",
                            "Too many registrations or code requests from this client",
                        ),
                        "registrations and code requests from this network address are paused",
                    ),
                };
                problem
                    .detail(format!(
                        "{paused}; try again in {} minutes",
                        (retry_after_seconds + 59) / 60
                    ))
                    .with("retry_after_seconds", retry_after_seconds)
            }
            Refusal::NotLoggedIn => Self::unauthorized(),
            Refusal::InvalidSignature => Self::new(
                S::UNAUTHORIZED,
                "invalid-signature",
                "The signature does not match",
            )
            .detail(format!(
                "send '{SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of the raw body>'"
            )),
            Refusal::Internal(cause) => Self::internal(cause),
            Refusal::Field {
                field,
                code,
                message,
            } => Self::field(field, code, message),
            Refusal::SameSlot => {
                Self::field("date", "same_slot", "choose a different date or session")
            }
            Refusal::Transition(t) => t.into(),
            Refusal::CheckIn(c) => c.into(),
            Refusal::Store(e) => e.into(),
            Refusal::Unbookable { why, horizon_days } => match why {
                Unbookable::NotOnline => Self::field(
                    "processing",
                    "not_bookable_online",
                    "priority places are given at the office, without booking",
                ),
                Unbookable::UnknownSession => Self::field(
                    "session",
                    "unknown_session",
                    "this office has no such session on that date",
                ),
                Unbookable::Day(DayStatus::Open) => Self::internal("an open day was refused"),
                Unbookable::Day(DayStatus::Past) => Self::field(
                    "date",
                    "date_not_in_future",
                    "choose a date from tomorrow on",
                ),
                Unbookable::Day(DayStatus::Closed(reason)) => Self::new(
                    S::CONFLICT,
                    "office-closed",
                    "The office is closed on this date",
                )
                .with("reason", reason),
                Unbookable::Day(DayStatus::NotReleased(at)) => Self::new(
                    S::CONFLICT,
                    "not-yet-released",
                    "Places for this date are not released yet",
                )
                .detail(format!(
                    "booking for this date opens at {}",
                    at.to_rfc3339()
                ))
                .with("opens_at", at),
                Unbookable::Day(DayStatus::BeyondHorizon) => Self::field(
                    "date",
                    "beyond_horizon",
                    format!("this office takes bookings at most {horizon_days} days ahead"),
                ),
            },
        }
    }
}

/// What a 503 asks the client to wait before trying again.
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// API result.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_carry_type_code_and_extension_members() {
        let p = ApiError::new(StatusCode::CONFLICT, "not-yet-released", "Not yet released")
            .with("opens_at", "2026-12-01T01:00:00Z")
            .problem();
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "/problems/not-yet-released");
        assert_eq!(v["code"], "not-yet-released");
        assert_eq!(v["status"], 409);
        assert_eq!(v["opens_at"], "2026-12-01T01:00:00Z");
        assert!(v.get("errors").is_none());
    }

    #[test]
    fn database_failures_become_opaque_internal_errors() {
        let e: ApiError = StoreError::Corrupt("secret detail".into()).into();
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let p = serde_json::to_string(&e.problem()).unwrap();
        assert!(!p.contains("secret detail"));
    }
}
