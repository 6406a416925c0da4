//! Payments: the bank's notification webhook (HMAC-SHA256 signed, idempotent by notification
//! id) and, in dev and demo mode, a simulated bank that pays through that same code path.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use loket_domain::BillingCode;
use loket_store::{PaymentNotice, PaymentOutcome};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::accounts::Fields;
use super::schemas::{PaymentOutcomeSchema, PaymentStatusSchema};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::problems::problem_responses;
use crate::state::AppState;

/// The header carrying `sha256=<hex HMAC of the raw body>`.
pub const SIGNATURE_HEADER: &str = "x-loket-signature";

// The webhook reads raw bytes (the signature covers them), so its refusals are its own.
problem_responses!(NotificationProblems: &[UNSUPPORTED_MEDIA_TYPE, BODY_TOO_LARGE, INVALID_SIGNATURE, VALIDATION_FAILED]);
problem_responses!(SimulatedPayProblems: JSON_BODY);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(notification))
}

/// Dev-only routes of this module.
pub fn dev_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(simulated_pay))
}

/// A payment notification as the bank sends it.
#[derive(Deserialize, Serialize, ToSchema)]
pub struct NotificationBody {
    /// The bank's id for this notification; retries carry the same id.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub notification_id: String,
    /// 15-digit billing code.
    #[schema(pattern = "^[0-9]{15}$")]
    pub billing_code: String,
    /// Amount paid, rupiah.
    #[schema(minimum = 1)]
    pub amount: i64,
    /// The bank's status of the payment.
    #[schema(value_type = PaymentStatusSchema)]
    pub status: String,
    /// When the bank took the money (RFC 3339).
    #[schema(format = DateTime)]
    pub paid_at: String,
}

/// What the notification did.
#[derive(Serialize, ToSchema)]
pub struct NotificationResult {
    /// What the notification did.
    #[schema(value_type = PaymentOutcomeSchema)]
    pub outcome: String,
}

/// Signs a body the way the bank does.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| {
        // HMAC takes keys of any length; this branch cannot run.
        Hmac::<Sha256>::new_from_slice(b"-").unwrap_or_else(|_| unreachable!())
    });
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn signature_ok(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(given) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&given).is_ok()
}

/// An instant written as RFC 3339 with a YYYY-MM-DD date and a `T` (chrono alone also takes
/// "2026-1-1 9:30:00Z").
fn rfc3339_instant(s: &str) -> Option<DateTime<Utc>> {
    s.get(..10).and_then(crate::planning::iso_date)?;
    if s.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether a request says its body is JSON: `application/json` or `application/<x>+json`,
/// parameters allowed, as axum's `Json` extractor (and so every other endpoint) decides.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", sub)) => sub == "json" || sub.ends_with("+json"),
        _ => false,
    }
}

/// The one path every payment takes, from the bank or the simulated bank.
pub async fn process(
    state: &AppState,
    signature: Option<&str>,
    body: &[u8],
) -> ApiResult<PaymentOutcome> {
    if !signature_ok(state.settings.webhook_secret(), body, signature) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid-signature",
            "The signature does not match",
        )
        .detail(format!(
            "send '{SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of the raw body>'"
        )));
    }
    let n: NotificationBody = serde_json::from_slice(body)
        .map_err(|e| ApiError::field("body", "invalid", e.to_string()))?;
    let mut f = Fields::default();
    if n.notification_id.trim().is_empty()
        || n.notification_id.len() > 100
        || !super::accounts::clean(&n.notification_id)
    {
        f.push("notification_id", "invalid", "1-100 characters");
    }
    if BillingCode::parse(&n.billing_code).is_err() {
        f.push("billing_code", "invalid", "a billing code has 15 digits");
    }
    if n.amount <= 0 {
        f.push("amount", "invalid", "must be positive");
    }
    if n.status != "paid" && n.status != "pending" {
        f.push("status", "invalid", "use paid or pending");
    }
    let paid_at = rfc3339_instant(&n.paid_at);
    if paid_at.is_none() {
        f.push(
            "paid_at",
            "invalid_instant",
            "use RFC 3339, e.g. 2026-12-01T09:30:00Z",
        );
    }
    f.finish()?;
    let paid_at = paid_at.ok_or_else(|| ApiError::internal("validated fields missing"))?;
    let notice = PaymentNotice {
        notification_id: n.notification_id.trim().to_owned(),
        billing_code: BillingCode::parse(&n.billing_code)
            .map(|c| c.to_string())
            .unwrap_or_default(),
        amount: n.amount,
        status: n.status,
        paid_at,
    };
    let outcome = state.store.record_payment(&notice, state.now()).await?;
    metrics::counter!("loket_payment_notifications_total", "outcome" => outcome.as_str())
        .increment(1);
    tracing::info!(payment.outcome = outcome.as_str(), "payment notification");
    Ok(outcome)
}

/// Receives a payment notification from the bank. Idempotent: a repeat answers `duplicate`.
/// A payment after the deadline restores the booking if its place is free, else marks it
/// `refund_due` (the applicant may then move it to another free slot). Never lost.
#[utoipa::path(post, path = "/api/v1/payments/notifications", tag = "payments", request_body = NotificationBody,
    params(("X-Loket-Signature" = String, Header, pattern = "^sha256=[0-9a-f]{64}$", description = "sha256=<hex HMAC-SHA256 of the raw body>")),
    responses((status = 200, description = "what the notification did", body = NotificationResult), NotificationProblems))]
async fn notification(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<NotificationResult>> {
    // The raw bytes are what the signature covers, so the body is taken as bytes; the media
    // type is still required, as on every other endpoint.
    if !json_content_type(&headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the body as JSON",
        )
        .detail("set 'Content-Type: application/json'"));
    }
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let outcome = process(&state, sig, &body).await?;
    Ok(Json(NotificationResult {
        outcome: outcome.as_str().to_owned(),
    }))
}

/// A payment at the simulated bank.
#[derive(Deserialize, ToSchema)]
pub struct SimulatedPayBody {
    /// Billing code to pay (spaces and dashes between groups are taken too).
    #[schema(pattern = "^[0-9]{15}$")]
    pub billing_code: String,
    /// Amount (default: the booking's fee).
    #[schema(minimum = 1)]
    pub amount: Option<i64>,
    /// The bank's status (default paid).
    #[schema(value_type = Option<PaymentStatusSchema>)]
    pub status: Option<String>,
    /// Reuse a notification id to simulate a bank retry.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub notification_id: Option<String>,
}

/// Dev and demo only: pays a billing code as a bank would, through the signed webhook path.
#[utoipa::path(post, path = "/api/v1/dev/bank/pay", tag = "dev", request_body = SimulatedPayBody,
    responses((status = 200, description = "what the notification did", body = NotificationResult), SimulatedPayProblems))]
async fn simulated_pay(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<SimulatedPayBody>,
) -> ApiResult<Json<NotificationResult>> {
    let code = BillingCode::parse(&b.billing_code)
        .map_err(|_| ApiError::field("billing_code", "invalid", "a billing code has 15 digits"))?;
    let amount = match b.amount {
        Some(a) => a,
        None => state
            .store
            .booking_by_billing_code(code.as_str())
            .await?
            .map(|bk| bk.fee_total)
            .unwrap_or(1),
    };
    let body = serde_json::to_vec(&NotificationBody {
        notification_id: b
            .notification_id
            .unwrap_or_else(|| format!("sim-{}", Uuid::now_v7())),
        billing_code: code.to_string(),
        amount,
        status: b.status.unwrap_or_else(|| "paid".into()),
        paid_at: state
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    })
    .map_err(ApiError::internal)?;
    let sig = sign(state.settings.webhook_secret(), &body);
    let outcome = process(&state, Some(&sig), &body).await?;
    Ok(Json(NotificationResult {
        outcome: outcome.as_str().to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_rfc3339_with_a_full_date() {
        assert!(rfc3339_instant("2026-12-01T09:30:00Z").is_some());
        assert!(rfc3339_instant("2026-12-01T09:30:00.123+07:00").is_some());
        for bad in [
            "2026-1-1T09:30:00Z",
            "2026-12-01 09:30:00Z",
            "2026-12-01",
            "2026-12-01T9:30:00Z",
            "",
        ] {
            assert!(rfc3339_instant(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_signature_verifies_only_for_its_body_and_secret() {
        let sig = sign("s3cret", b"{\"a\":1}");
        assert!(signature_ok("s3cret", b"{\"a\":1}", Some(&sig)));
        assert!(!signature_ok("s3cret", b"{\"a\":2}", Some(&sig)));
        assert!(!signature_ok("other", b"{\"a\":1}", Some(&sig)));
        assert!(!signature_ok("s3cret", b"{\"a\":1}", None));
        assert!(!signature_ok("s3cret", b"{\"a\":1}", Some("sha256=zz")));
        assert!(!signature_ok(
            "s3cret",
            b"{\"a\":1}",
            Some(sig.trim_start_matches("sha256="))
        ));
    }
}
