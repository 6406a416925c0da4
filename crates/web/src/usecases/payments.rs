//! Payments: a bank's notification, HMAC-SHA256 signed over its raw body, is checked and
//! recorded once per notification id (the store settles the booking: paid, pending,
//! restored after a lapse, or owed back). In dev and demo mode a simulated bank pays
//! through that same path, signing what it sends.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use loket_domain::BillingCode;
use loket_store::{PaymentNotice, PaymentOutcome};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use super::fields::{Fields, checked, clean};
use super::{Refusal, UseCaseResult};
use crate::state::AppState;

/// The header the bank sends its signature in: `sha256=<hex HMAC of the raw body>`.
pub const SIGNATURE_HEADER: &str = "x-loket-signature";

/// A payment notification as the bank sends it (the API documents it as
/// `NotificationBody`).
#[derive(Debug, Deserialize, Serialize)]
pub struct Notification {
    /// The bank's id for this notification; retries carry the same id.
    pub notification_id: String,
    /// 15-digit billing code.
    pub billing_code: String,
    /// Amount paid, rupiah.
    pub amount: i64,
    /// "paid" or "pending".
    pub status: String,
    /// When the bank took the money (RFC 3339).
    pub paid_at: String,
}

/// A payment at the simulated bank, as typed.
#[derive(Clone, Debug, Default)]
pub struct DevPayment {
    /// Billing code to pay (spaces and dashes between groups are taken too).
    pub billing_code: String,
    /// Amount (default: the booking's fee).
    pub amount: Option<i64>,
    /// The bank's status (default paid).
    pub status: Option<String>,
    /// Reuse a notification id to simulate a bank retry.
    pub notification_id: Option<String>,
}

/// Signs a body the way the bank does: `sha256=<hex HMAC-SHA256>`.
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

/// Records a bank notification: `body` is the raw body the signature covers. Idempotent: a
/// repeat is `duplicate`. A payment after the deadline restores the booking if its place is
/// free, else marks it `refund_due`. Never lost.
#[tracing::instrument(name = "usecase.payments.record_notification", skip_all)]
pub async fn record_notification(
    state: &AppState,
    signature: Option<&str>,
    body: &[u8],
) -> UseCaseResult<PaymentOutcome> {
    if !signature_ok(state.settings.webhook_secret(), body, signature) {
        return Err(Refusal::InvalidSignature);
    }
    let n: Notification = serde_json::from_slice(body).map_err(|e| Refusal::Field {
        field: "body",
        code: "invalid",
        message: e.to_string(),
    })?;
    let mut f = Fields::default();
    if n.notification_id.trim().is_empty()
        || n.notification_id.len() > 100
        || !clean(&n.notification_id)
    {
        f.push("notification_id", "invalid", "1-100 characters");
    }
    let billing_code = BillingCode::parse(&n.billing_code).ok();
    if billing_code.is_none() {
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
    let notice = PaymentNotice {
        notification_id: n.notification_id.trim().to_owned(),
        billing_code: checked(billing_code)?.to_string(),
        amount: n.amount,
        status: n.status,
        paid_at: checked(paid_at)?,
    };
    let outcome = state.store.record_payment(&notice, state.now()).await?;
    metrics::counter!("loket_payment_notifications_total", "outcome" => outcome.as_str())
        .increment(1);
    tracing::info!(payment.outcome = outcome.as_str(), "payment notification");
    Ok(outcome)
}

/// Dev and demo only: pays a billing code as a bank would, signed, through
/// [`record_notification`].
#[tracing::instrument(name = "usecase.payments.dev_pay", skip_all)]
pub async fn dev_pay(state: &AppState, p: DevPayment) -> UseCaseResult<PaymentOutcome> {
    let code = BillingCode::parse(&p.billing_code).map_err(|_| Refusal::Field {
        field: "billing_code",
        code: "invalid",
        message: "a billing code has 15 digits".into(),
    })?;
    let amount = match p.amount {
        Some(a) => a,
        None => state
            .store
            .booking_by_billing_code(code.as_str())
            .await?
            .map(|b| b.fee_total)
            .unwrap_or(1),
    };
    let body = serde_json::to_vec(&Notification {
        notification_id: p
            .notification_id
            .unwrap_or_else(|| format!("sim-{}", Uuid::now_v7())),
        billing_code: code.to_string(),
        amount,
        status: p.status.unwrap_or_else(|| "paid".into()),
        paid_at: state
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    })
    .map_err(|e| Refusal::Internal(e.to_string()))?;
    let signature = sign(state.settings.webhook_secret(), &body);
    record_notification(state, Some(&signature), &body).await
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
