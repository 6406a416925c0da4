//! Payments over HTTP: the bank's notification webhook (HMAC-SHA256 signed, idempotent by
//! notification id) and, in dev and demo mode, a simulated bank that pays through that same
//! code path (`usecases::payments`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use loket_store::PaymentOutcome;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas::{PaymentOutcomeSchema, PaymentStatusSchema};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::payments::{self, DevPayment};

pub use crate::usecases::payments::{SIGNATURE_HEADER, sign};

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

/// A payment notification as the bank sends it: the documentation of
/// `usecases::payments::Notification`, which reads it (a test keeps the two in step).
#[derive(ToSchema)]
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

fn result(outcome: PaymentOutcome) -> Json<NotificationResult> {
    Json(NotificationResult {
        outcome: outcome.as_str().to_owned(),
    })
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
        return Err(ApiError::unsupported_media_type());
    }
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let outcome = payments::record_notification(&state, sig, &body).await?;
    Ok(result(outcome))
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
    let outcome = payments::dev_pay(
        &state,
        DevPayment {
            billing_code: b.billing_code,
            amount: b.amount,
            status: b.status,
            notification_id: b.notification_id,
        },
    )
    .await?;
    Ok(result(outcome))
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;
    use utoipa::openapi::{RefOr, Schema};

    use super::*;

    #[test]
    fn the_documented_notification_has_the_fields_the_use_case_reads() {
        let RefOr::T(Schema::Object(doc)) = NotificationBody::schema() else {
            panic!("an object schema");
        };
        let mut documented: Vec<&String> = doc.properties.keys().collect();
        let wire = serde_json::to_value(payments::Notification {
            notification_id: String::new(),
            billing_code: String::new(),
            amount: 1,
            status: String::new(),
            paid_at: String::new(),
        })
        .unwrap();
        let mut read: Vec<&String> = wire.as_object().unwrap().keys().collect();
        documented.sort();
        read.sort();
        assert_eq!(documented, read);
    }
}
