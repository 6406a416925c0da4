//! The simulated bank (dev and demo only): the page a demo applicant pays a billing code
//! on. It pays through the same signed notification path as a real bank, then goes back
//! to the booking, saying what became of the payment (`?paid=`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::forms::{CheckedForm, Field, FormPage, Tokened};
use super::session::safe_next;
use super::{PageCtx, PageResult, render_with};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::usecases::payments::{self, DevPayment};

/// `?code=…&back=…`, and the form.
#[derive(Deserialize, Default)]
pub struct BankForm {
    code: Option<String>,
    billing_code: Option<String>,
    back: Option<String>,
    csrf: Option<String>,
}

fn form(ctx: &PageCtx, code: &str, back: &str) -> FormPage {
    let t = Tr(ctx.lang);
    let mut p = FormPage::new(
        ctx,
        "bank",
        "/dev/bank",
        vec![Field::new(t, "billing_code", "text", "off").value(code)],
    );
    p.hidden.push(("back", back.to_owned()));
    p
}

impl Tokened for BankForm {
    fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }
}

/// `GET /dev/bank`.
pub async fn page(ctx: PageCtx, Query(q): Query<BankForm>) -> Response {
    let back = safe_next(q.back.as_deref()).to_owned();
    render_with(
        StatusCode::OK,
        &form(&ctx, q.code.as_deref().unwrap_or(""), &back),
    )
}

/// `POST /dev/bank`: pays the code in full, then back to the booking.
pub async fn pay(
    State(state): State<AppState>,
    ctx: PageCtx,
    CheckedForm(f): CheckedForm<BankForm>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let code = f.billing_code.or(f.code).unwrap_or_default();
    let back = safe_next(f.back.as_deref()).to_owned();
    let paid = payments::dev_pay(
        &state,
        DevPayment {
            billing_code: code.clone(),
            amount: None,
            status: None,
            notification_id: None,
        },
    )
    .await;
    match paid {
        Ok(loket_store::PaymentOutcome::UnknownBillingCode)
        | Err(crate::usecases::Refusal::Field { .. }) => Ok(render_with(
            StatusCode::OK,
            &form(&ctx, &code, &back).field_error(t, "billing_code", "unknown"),
        )),
        Ok(outcome) => {
            // The booking's page says what happened to a late payment.
            let sep = if back.contains('?') { '&' } else { '?' };
            Ok(Redirect::to(&format!("{back}{sep}paid={}", outcome.as_str())).into_response())
        }
        Err(r) => Err(r.into()),
    }
}
