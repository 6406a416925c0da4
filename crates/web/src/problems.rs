//! The catalogue of problem types: every stable `code` the service answers with, its status
//! and title. The OpenAPI document's error responses are built from it (each operation names
//! the problems it can answer with), and a test keeps it and the code in step: every code an
//! `ApiError` is built with is listed here with the same status and title, and every entry
//! is built somewhere. A new code goes here, and into the groups of the operations that can
//! answer with it; the API tests fail on a problem its operation does not list.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

/// One problem type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProblemType {
    /// Stable code, also the last segment of the problem's `type`.
    pub code: &'static str,
    /// HTTP status it is answered with.
    pub status: StatusCode,
    /// What it means, for the document.
    pub title: &'static str,
}

const fn p(status: StatusCode, code: &'static str, title: &'static str) -> ProblemType {
    ProblemType {
        code,
        status,
        title,
    }
}

use StatusCode as S;

// Requests the framework or an extractor refuses before a handler decides anything.
/// 400: the body is not JSON.
pub const MALFORMED_JSON: ProblemType = p(
    S::BAD_REQUEST,
    "malformed-json",
    "The body is not valid JSON",
);
/// 400: any other unreadable request.
pub const BAD_REQUEST: ProblemType = p(S::BAD_REQUEST, "bad-request", "Bad request");
/// 401: no valid token or session cookie.
pub const UNAUTHORIZED: ProblemType = p(S::UNAUTHORIZED, "unauthorized", "Authentication required");
/// 403: the caller's account or role may not do this here.
pub const FORBIDDEN: ProblemType = p(S::FORBIDDEN, "forbidden", "Not allowed");
/// 404: no such resource (or not the caller's).
pub const NOT_FOUND: ProblemType = p(S::NOT_FOUND, "not-found", "Not found");
/// 405: the path exists, the method does not.
pub const METHOD_NOT_ALLOWED: ProblemType = p(
    S::METHOD_NOT_ALLOWED,
    "method-not-allowed",
    "Method not allowed",
);
/// 413: the body is larger than the service takes.
pub const BODY_TOO_LARGE: ProblemType = p(
    S::PAYLOAD_TOO_LARGE,
    "body-too-large",
    "The request body could not be read or is too large",
);
/// 415: the body is not declared as JSON.
pub const UNSUPPORTED_MEDIA_TYPE: ProblemType = p(
    S::UNSUPPORTED_MEDIA_TYPE,
    "unsupported-media-type",
    "Send the body as JSON",
);
/// 422: fields are missing or wrong; `errors` lists each.
pub const VALIDATION_FAILED: ProblemType = p(
    S::UNPROCESSABLE_ENTITY,
    "validation-failed",
    "Some fields are not valid",
);
/// 422: a text holds characters the database cannot store.
pub const INVALID_INPUT: ProblemType = p(
    S::UNPROCESSABLE_ENTITY,
    "invalid-input",
    "A value contains characters that cannot be stored",
);
/// 500: something failed on the service's side; nothing was changed.
pub const INTERNAL: ProblemType = p(S::INTERNAL_SERVER_ERROR, "internal", "Internal error");
/// 400: the client broke the body off while sending it.
pub const BODY_UNREADABLE: ProblemType = p(
    S::BAD_REQUEST,
    "body-unreadable",
    "The request body broke off",
);
/// 408: the body did not arrive within the body timeout.
pub const REQUEST_TIMEOUT: ProblemType = p(
    S::REQUEST_TIMEOUT,
    "request-timeout",
    "The request body did not arrive in time",
);
/// 414: path and query are longer than the service reads.
pub const URI_TOO_LONG: ProblemType = p(
    S::URI_TOO_LONG,
    "uri-too-long",
    "The request target is too long",
);
/// 503: the database cannot be reached now; nothing was changed; `Retry-After`.
pub const DATABASE_UNAVAILABLE: ProblemType = p(
    S::SERVICE_UNAVAILABLE,
    "database-unavailable",
    "The service cannot reach its database",
);
/// 503: the request outlived the request timeout; `Retry-After`.
pub const TIMEOUT: ProblemType = p(
    S::SERVICE_UNAVAILABLE,
    "timeout",
    "The request took too long",
);
/// 503: the database is not reachable (readiness probe).
pub const NOT_READY: ProblemType = p(
    S::SERVICE_UNAVAILABLE,
    "not-ready",
    "The database is not reachable",
);

// Accounts and logins.
/// 401: wrong email, username or password.
pub const INVALID_CREDENTIALS: ProblemType = p(
    S::UNAUTHORIZED,
    "invalid-credentials",
    "Wrong login or password",
);
/// 403: the account's email address is not verified yet.
pub const EMAIL_NOT_VERIFIED: ProblemType = p(
    S::FORBIDDEN,
    "email-not-verified",
    "Verify your email address first",
);
/// 409: the email address is registered already.
pub const EMAIL_TAKEN: ProblemType = p(
    S::CONFLICT,
    "email-taken",
    "This email address is already registered",
);
/// 409: the staff username is taken.
pub const USERNAME_TAKEN: ProblemType = p(S::CONFLICT, "username-taken", "This username is taken");
/// 422: the verification code is wrong, used up or expired.
pub const VERIFICATION_FAILED: ProblemType = p(
    S::UNPROCESSABLE_ENTITY,
    "verification-failed",
    "The code is wrong or has expired",
);
/// 429: logins of this email or username are paused (`Retry-After`).
pub const TOO_MANY_LOGIN_ATTEMPTS: ProblemType = p(
    S::TOO_MANY_REQUESTS,
    "too-many-login-attempts",
    "Too many failed logins",
);
/// 429: codes for this email address are refused after too many wrong ones
/// (`Retry-After`).
pub const TOO_MANY_CODE_ATTEMPTS: ProblemType = p(
    S::TOO_MANY_REQUESTS,
    "too-many-code-attempts",
    "Too many wrong codes",
);
/// 429: enough codes went to this email address for now (`Retry-After`).
pub const TOO_MANY_CODES_SENT: ProblemType = p(
    S::TOO_MANY_REQUESTS,
    "too-many-codes-sent",
    "Too many codes were sent to this address",
);
/// 429: registrations and code requests from this client address are paused
/// (`Retry-After`).
pub const TOO_MANY_ACCOUNT_REQUESTS: ProblemType = p(
    S::TOO_MANY_REQUESTS,
    "too-many-account-requests",
    "Too many registrations or code requests from this client",
);

// Applicants.
/// 409: an account applies for at most five people.
pub const APPLICANT_LIMIT_REACHED: ProblemType = p(
    S::CONFLICT,
    "applicant-limit-reached",
    "An account may apply for at most 5 people",
);
/// 409: this person is on the account already.
pub const APPLICANT_EXISTS: ProblemType = p(
    S::CONFLICT,
    "applicant-exists",
    "This person is already on your account",
);
/// 422: the NIK is malformed or does not match the birth date and sex.
pub const INVALID_NIK: ProblemType = p(
    S::UNPROCESSABLE_ENTITY,
    "invalid-nik",
    "The NIK is not valid",
);

// Bookings and payments.
/// 409: every place of the session is taken.
pub const QUOTA_FULL: ProblemType = p(S::CONFLICT, "quota-full", "This session is full");
/// 409: the office's priority walk-ins for today are used up (the head of office may
/// raise the quota).
pub const PRIORITY_QUOTA_FULL: ProblemType = p(
    S::CONFLICT,
    "priority-quota-full",
    "Today's priority quota is used up",
);
/// 409: the booking cannot be checked in now, here (`reason`: other_office, not_paid,
/// already_checked_in, ended, other_day, too_early, too_late).
pub const CHECK_IN_REFUSED: ProblemType = p(
    S::CONFLICT,
    "check-in-refused",
    "This booking cannot be checked in now",
);
/// 409: the office is not in outage mode today (walk-ins without a booking are
/// registered only then).
pub const OUTAGE_MODE_OFF: ProblemType = p(
    S::CONFLICT,
    "outage-mode-off",
    "The office is not in outage mode",
);
/// 409: the counter still has a ticket called (`number`): finish, send on or mark it
/// absent first.
pub const COUNTER_BUSY: ProblemType = p(
    S::CONFLICT,
    "counter-busy",
    "This counter is still serving a ticket",
);
/// 409: the counter's action does not fit the ticket as it stands (`reason`: not_called,
/// not_missed, recall_first, wrong_stage, same_stage, other_counter).
pub const TICKET_ACTION_REFUSED: ProblemType = p(
    S::CONFLICT,
    "ticket-action-refused",
    "This action does not fit the ticket now",
);
/// 409: the date's places open later (`opens_at`).
pub const NOT_YET_RELEASED: ProblemType = p(
    S::CONFLICT,
    "not-yet-released",
    "Places for this date are not released yet",
);
/// 409: the office is closed that day (`reason`).
pub const OFFICE_CLOSED: ProblemType = p(
    S::CONFLICT,
    "office-closed",
    "The office is closed on this date",
);
/// 409: the NIK holds another active booking.
pub const NIK_ACTIVE_BOOKING: ProblemType = p(
    S::CONFLICT,
    "nik-active-booking",
    "This NIK already has an active booking",
);
/// 422: the Idempotency-Key was used with another body.
pub const IDEMPOTENCY_KEY_REUSED: ProblemType = p(
    S::UNPROCESSABLE_ENTITY,
    "idempotency-key-reused",
    "This Idempotency-Key was used for a different request",
);
/// 409: the booking can no longer be cancelled.
pub const CANCEL_NOT_ALLOWED: ProblemType = p(
    S::CONFLICT,
    "cancel-not-allowed",
    "This booking can no longer be cancelled",
);
/// 409: the booking can no longer be moved.
pub const RESCHEDULE_NOT_ALLOWED: ProblemType = p(
    S::CONFLICT,
    "reschedule-not-allowed",
    "This booking can no longer be rescheduled",
);
/// 409: the unpaid booking lapsed.
pub const PAYMENT_DEADLINE_PASSED: ProblemType = p(
    S::CONFLICT,
    "payment-deadline-passed",
    "The payment deadline has passed",
);
/// 401: the bank notification's signature does not match its body.
pub const INVALID_SIGNATURE: ProblemType = p(
    S::UNAUTHORIZED,
    "invalid-signature",
    "The signature does not match",
);

// Quotas.
/// 409: a capacity below the places already taken (`taken`).
pub const CAPACITY_BELOW_TAKEN: ProblemType = p(
    S::CONFLICT,
    "capacity-below-taken",
    "A quota cannot be set below the places already taken",
);

/// Every problem type, in the order the document lists them.
pub const ALL: &[ProblemType] = &[
    MALFORMED_JSON,
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    BODY_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_FAILED,
    INVALID_INPUT,
    INTERNAL,
    BODY_UNREADABLE,
    REQUEST_TIMEOUT,
    URI_TOO_LONG,
    DATABASE_UNAVAILABLE,
    TIMEOUT,
    NOT_READY,
    INVALID_CREDENTIALS,
    EMAIL_NOT_VERIFIED,
    EMAIL_TAKEN,
    USERNAME_TAKEN,
    VERIFICATION_FAILED,
    TOO_MANY_LOGIN_ATTEMPTS,
    TOO_MANY_CODE_ATTEMPTS,
    TOO_MANY_CODES_SENT,
    TOO_MANY_ACCOUNT_REQUESTS,
    APPLICANT_LIMIT_REACHED,
    APPLICANT_EXISTS,
    INVALID_NIK,
    QUOTA_FULL,
    PRIORITY_QUOTA_FULL,
    CHECK_IN_REFUSED,
    COUNTER_BUSY,
    OUTAGE_MODE_OFF,
    TICKET_ACTION_REFUSED,
    NOT_YET_RELEASED,
    OFFICE_CLOSED,
    NIK_ACTIVE_BOOKING,
    IDEMPOTENCY_KEY_REUSED,
    CANCEL_NOT_ALLOWED,
    RESCHEDULE_NOT_ALLOWED,
    PAYMENT_DEADLINE_PASSED,
    INVALID_SIGNATURE,
    CAPACITY_BELOW_TAKEN,
];

/// The catalogue entry of a code.
pub fn by_code(code: &str) -> Option<&'static ProblemType> {
    ALL.iter().find(|p| p.code == code)
}

// Groups that many operations share.
/// What any request can meet, whatever the operation: a failure on the service's side (and
/// whatever the middleware answers for every route, such as a timeout, belongs here too).
pub const ANY: &[ProblemType] = &[
    INTERNAL,
    DATABASE_UNAVAILABLE,
    TIMEOUT,
    URI_TOO_LONG,
    REQUEST_TIMEOUT,
    BODY_UNREADABLE,
];
/// An operation that reads a JSON body.
pub const JSON_BODY: &[ProblemType] = &[
    MALFORMED_JSON,
    BAD_REQUEST,
    BODY_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_FAILED,
    INVALID_INPUT,
];
/// An operation for a logged-in, verified applicant account.
pub const APPLICANT: &[ProblemType] = &[UNAUTHORIZED, FORBIDDEN, EMAIL_NOT_VERIFIED];
/// An operation for a logged-in staff member (and what the staff member's scope refuses).
pub const STAFF: &[ProblemType] = &[UNAUTHORIZED, FORBIDDEN];

/// The OpenAPI responses of a set of problem types: one response per status, whose schema
/// is the Problem with `code` limited to the codes the operation can answer with there.
pub fn responses(groups: &[&[ProblemType]]) -> BTreeMap<String, RefOr<Response>> {
    let mut by_status: BTreeMap<u16, Vec<ProblemType>> = BTreeMap::new();
    for p in groups.iter().flat_map(|g| g.iter()).chain(ANY) {
        let list = by_status.entry(p.status.as_u16()).or_default();
        if !list.contains(p) {
            list.push(*p);
        }
    }
    by_status
        .into_iter()
        .map(|(status, list)| {
            let description = list
                .iter()
                .map(|p| format!("`{}`: {}", p.code, p.title))
                .collect::<Vec<_>>()
                .join("; ");
            let narrowed = ObjectBuilder::new()
                .property(
                    "code",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(list.iter().map(|p| p.code))),
                )
                .property(
                    "status",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .enum_values(Some([status])),
                )
                .required("code")
                .required("status");
            let schema: Schema = AllOfBuilder::new()
                .item(Ref::from_schema_name("Problem"))
                .item(narrowed)
                .into();
            let mut response = ResponseBuilder::new().description(description);
            if status == 429 || status == 503 {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::Integer)
                                .minimum(Some(1)),
                        ))
                        .description(Some("seconds to wait before trying again"))
                        .build(),
                );
            }
            let response = response
                .content(
                    "application/problem+json",
                    ContentBuilder::new().schema(Some(schema)).build(),
                )
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
}

/// Declares a type whose OpenAPI responses are the given problem groups, for an operation's
/// `responses(...)`: `problem_responses!(CreateBookingProblems: JSON_BODY, &[QUOTA_FULL]);`
macro_rules! problem_responses {
    ($name:ident: $($group:expr),+ $(,)?) => {
        #[doc = concat!("The problem types of an operation (", stringify!($name), ").")]
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<
                String,
                utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
            > {
                #[allow(unused_imports)]
                use $crate::problems::*;
                $crate::problems::responses(&[$($group),+])
            }
        }
    };
}
pub(crate) use problem_responses;
