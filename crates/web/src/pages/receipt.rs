//! The receipt of a paid booking, which the applicant shows at the front desk: the booking
//! code in large type and as a QR code, who it is for (NIK masked), the service, the
//! office with its address and hours, the session with its zone label, what to bring. It
//! prints on one page, downloads as an .ics calendar event, and opens again with no
//! network: a small service worker keeps each receipt the applicant has opened.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use loket_domain::catalogue::is_child;
use loket_domain::{BookingCode, Presented};
use loket_store::{Applicant, Booking};
use qrcode::{Color, EcLevel, QrCode};
use uuid::Uuid;

use super::book::{document_words, service_words};
use super::ics::{self, Appointment};
use super::session::SignedIn;
use super::{Chrome, PageCtx, PageError, PageResult, render};
use crate::format::{appointment, date_time, grouped_code, office_hours, rupiah};
use crate::i18n::Tr;
use crate::planning;
use crate::state::AppState;
use crate::usecases::{applicants, bookings};

/// The QR code of `text` as inline SVG: one path, four modules of quiet zone, labelled
/// for screen readers.
pub fn qr_svg(text: &str, label: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let mut path = String::new();
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                let run = row[x..].iter().take_while(|c| **c == Color::Dark).count();
                path.push_str(&format!("M{} {}h{run}v1h-{run}z", x + quiet, y + quiet));
                x += run;
            } else {
                x += 1;
            }
        }
    }
    let size = width + 2 * quiet;
    let label = askama::filters::escape(label, askama::filters::Html)
        .map(|s| s.to_string())
        .unwrap_or_default();
    Some(format!(
        "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         role=\"img\" aria-label=\"{label}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// What the receipt shows.
pub struct ReceiptView {
    /// Booking id.
    pub id: Uuid,
    /// `7K3M-Q9XD`.
    pub code: String,
    /// Name and masked NIK.
    pub applicant: String,
    /// The service in words.
    pub service: String,
    /// Office name.
    pub office: String,
    /// Its address (or city).
    pub address: String,
    /// Its days and hours.
    pub office_hours: String,
    /// Date and session, with the zone label.
    pub when: String,
    /// What to bring.
    pub documents: Vec<String>,
    /// The fee paid.
    pub amount: String,
    /// The billing code it was paid by, in groups of five.
    pub billing_code: String,
    /// When it was paid.
    pub paid_at: String,
    /// The page's script (service worker, print button).
    pub script: &'static str,
}

impl ReceiptView {
    /// What a booking's paper says of `b` at `office`, for `applicant` (the booking's
    /// masked NIK when the person is gone), with the page's `script`.
    pub fn of(
        t: Tr,
        b: &Booking,
        office: &loket_domain::Office,
        applicant: Option<&Applicant>,
        script: &'static str,
    ) -> Self {
        let zone = office.time_zone;
        let date = b.slot.service_date;
        let child = applicant.is_some_and(|a| is_child(a.birth_date, date));
        Self {
            id: b.id,
            code: BookingCode::of(b.id).to_string(),
            applicant: applicant
                .map(|a| format!("{} ({})", a.full_name, a.nik.masked()))
                .unwrap_or_else(|| b.nik.masked()),
            service: service_words(t, &b.service),
            office: office.name.clone(),
            address: office.address_or_city().to_owned(),
            office_hours: office_hours(t, office),
            when: appointment(t, date, office.session(&b.slot.session_code), zone),
            documents: document_words(t, b.service.kind, child),
            amount: rupiah(b.fee_total),
            billing_code: grouped_code(b.billing_code.as_str()),
            paid_at: b.paid_at.map(|p| date_time(t, p, zone)).unwrap_or_default(),
            script,
        }
    }
}

/// The QR code the front desk scans to find booking `id` (`code` names it for screen
/// readers), as inline SVG.
pub fn booking_qr(t: Tr, id: Uuid, code: &str) -> Result<String, PageError> {
    qr_svg(
        &Presented::qr_payload(id),
        &t.f("receipt.qr_label", &[("code", code)]),
    )
    .ok_or(PageError::Internal)
}

struct Loaded {
    booking: Booking,
    office: loket_domain::Office,
    view: ReceiptView,
    start: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// The start and end of a session on a date in the office's zone, as instants.
fn session_span(
    date: NaiveDate,
    start: NaiveTime,
    end: NaiveTime,
    zone: Tz,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let at = |t: NaiveTime| {
        zone.from_local_datetime(&date.and_time(t))
            .earliest()
            .map(|d| d.with_timezone(&Utc))
    };
    Some((at(start)?, at(end)?))
}

/// The applicant's booking with its receipt, or `None` when it has none (yet).
async fn load(
    state: &AppState,
    t: Tr,
    who: &SignedIn,
    id: &str,
) -> Result<Option<Loaded>, PageError> {
    let id = Uuid::parse_str(id).map_err(|_| PageError::NotFound)?;
    let b = bookings::own(state, who.account_id, id).await?;
    if !b.effective_state(state.now()).has_receipt() {
        return Ok(None);
    }
    let office = planning::office(state, &b.slot.office_code).await?;
    let applicant = applicants::own(state, b.account_id, b.applicant_id).await?;
    let view = ReceiptView::of(
        t,
        &b,
        &office,
        applicant.as_ref(),
        super::assets::receipt_js_href(),
    );
    let (date, zone) = (b.slot.service_date, office.time_zone);
    let session = office.session(&b.slot.session_code);
    let start = session.and_then(|s| session_span(date, s.start, s.end, zone));
    Ok(Some(Loaded {
        booking: b,
        office,
        view,
        start,
    }))
}

#[derive(Template)]
#[template(path = "pages/bookings/receipt.html")]
struct ReceiptPage {
    c: Chrome,
    r: ReceiptView,
    /// The QR code, inline SVG (the page's alone: the calendar file has none).
    qr: String,
}

/// `GET /bookings/{id}/receipt`: the receipt, or the booking's page while it has none.
pub async fn receipt(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let Some(loaded) = load(&state, t, &who, &id).await? else {
        return Ok(Redirect::to(&format!("/bookings/{id}")).into_response());
    };
    let v = loaded.view;
    let qr = booking_qr(t, v.id, &v.code)?;
    let mut res = render(&ReceiptPage {
        c: Chrome::new(&ctx, t.s("receipt.title").to_owned()),
        r: v,
        qr,
    });
    // The service worker may keep it; a shared cache may not.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(res)
}

/// `GET /bookings/{id}/receipt.ics`: the appointment for the phone's calendar.
pub async fn calendar(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let Some(loaded) = load(&state, t, &who, &id).await? else {
        return Ok(Redirect::to(&format!("/bookings/{id}")).into_response());
    };
    let Some((start, end)) = loaded.start else {
        return Err(PageError::NotFound);
    };
    let v = &loaded.view;
    let summary = t.f("receipt.ics.summary", &[("office", &loaded.office.name)]);
    let mut description = t.f("receipt.ics.code", &[("code", &v.code)]);
    description.push('\n');
    description.push_str(t.s("receipt.bring_title"));
    for d in &v.documents {
        description.push_str("\n- ");
        description.push_str(d);
    }
    let location = format!("{}, {}", loaded.office.name, v.address);
    let body = ics::calendar(&Appointment {
        uid: format!("{}@loket", loaded.booking.id),
        start,
        end,
        stamp: state.now(),
        summary: &summary,
        location: &location,
        description: &description,
        alarm: &summary,
    });
    let disposition = format!("attachment; filename=\"loket-{}.ics\"", v.code);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(|_| PageError::Internal)?,
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache"),
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /bookings/receipt-worker.js`: the service worker that keeps opened receipts for
/// when there is no network. Not fingerprinted: browsers look for a new version at this
/// address, so it must not be cached long.
pub async fn worker() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        include_str!("../../static/pages/receipt-worker.js"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_one_labelled_path_within_a_quiet_zone() {
        let id = Uuid::now_v7();
        let svg = qr_svg(&Presented::qr_payload(id), "Kode \"A&B\"").unwrap();
        assert!(svg.starts_with("<svg class=\"qr\""), "{svg}");
        assert!(svg.contains("role=\"img\""));
        assert!(
            svg.contains("aria-label=\"Kode &#34;A&#38;B&#34;\"")
                || svg.contains("aria-label=\"Kode &quot;A&amp;B&quot;\""),
            "{svg}"
        );
        assert_eq!(svg.matches("<path").count(), 1);
        // 42 upper-case characters fit version 3 (29 modules) at level M.
        assert!(svg.contains("viewBox=\"0 0 37 37\""), "{svg}");
        assert!(
            !svg.contains("M0 ") && !svg.contains("M3 "),
            "modules inside the quiet zone"
        );
    }

    #[test]
    fn a_session_span_is_read_in_the_offices_zone() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let (start, end) = session_span(
            date,
            NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            chrono_tz::Asia::Makassar,
        )
        .unwrap();
        assert_eq!(start.to_rfc3339(), "2026-12-07T00:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-12-07T02:00:00+00:00");
    }
}
