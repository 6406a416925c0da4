//! The head of office's live floor view: how many wait at each class and stage, the longest
//! wait, the counters open, how many were served today, and today's priority quota, which
//! the head raises here on the spot (an audited quota change). The page follows the
//! office's event stream and shows itself again at each change.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use loket_domain::staff::StaffRole;
use loket_store::Actor;
use serde::Deserialize;

use super::{StaffChrome, StaffIn};
use crate::i18n::Tr;
use crate::pages::forms::{CheckedForm, Tokened};
use crate::pages::{PageCtx, PageResult, render};
use crate::state::AppState;
use crate::usecases::Refusal;
use crate::usecases::floor;

/// Only the head of office runs the office's floor.
const HEAD: [StaffRole; 1] = [StaffRole::HeadOfOffice];

/// `?raised=` (places just added) or `?refused=`.
#[derive(Deserialize, Default)]
pub struct ViewQuery {
    raised: Option<i64>,
    refused: Option<String>,
}

/// The quota form.
#[derive(Deserialize, Default)]
pub struct RaiseForm {
    csrf: Option<String>,
    places: Option<String>,
}

impl Tokened for RaiseForm {
    fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "pages/staff/floor.html")]
struct FloorPage {
    s: StaffChrome,
    office: String,
    office_code: String,
    seq: i64,
    figures: Vec<(String, String)>,
    notice: Option<String>,
    refused: Option<String>,
    script: &'static str,
}

/// `GET /staff/floor`.
pub async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: StaffIn,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let office = who.own_office(&state, &HEAD).await?;
    let v = floor::floor_view(&state, &office).await?;
    let n = |x: i64| x.to_string();
    let figures = vec![
        (
            t.s("floor.waiting_priority").to_owned(),
            n(v.waiting_priority),
        ),
        (
            t.s("floor.waiting_regular").to_owned(),
            n(v.waiting_regular),
        ),
        (t.s("floor.waiting_pickup").to_owned(), n(v.waiting_pickup)),
        (
            t.s("floor.longest_wait").to_owned(),
            t.f("floor.minutes", &[("n", &n(v.longest_wait_minutes))]),
        ),
        (t.s("floor.counters_open").to_owned(), n(v.counters_open)),
        (t.s("floor.serving").to_owned(), n(v.serving)),
        (t.s("floor.served").to_owned(), n(v.served)),
        (
            t.s("floor.priority_left").to_owned(),
            match v.priority_quota {
                Some(q) => t.f(
                    "floor.of",
                    &[
                        ("left", &n((q - v.priority_issued).max(0))),
                        ("quota", &n(q)),
                    ],
                ),
                None => t.s("desk.closed_today").to_owned(),
            },
        ),
    ];
    Ok(render(&FloorPage {
        s: StaffChrome::new(&ctx, &who.staff, t.s("floor.title").to_owned()),
        office: office.name.clone(),
        office_code: office.code.clone(),
        seq: v.seq,
        figures,
        notice: q
            .raised
            .map(|p| t.f("floor.raised", &[("n", &p.to_string())])),
        refused: q.refused.map(|_| t.s("floor.raise_refused").to_owned()),
        script: crate::pages::assets::board_js_href(),
    }))
}

/// `POST /staff/floor/priority`: raises today's priority quota by the places typed.
pub async fn raise(
    State(state): State<AppState>,
    who: StaffIn,
    CheckedForm(f): CheckedForm<RaiseForm>,
) -> PageResult {
    let office = who.own_office(&state, &HEAD).await?;
    let places = f.places.as_deref().unwrap_or("");
    let actor = Actor::staff(&who.staff);
    let to = match floor::raise_priority_quota(&state, &actor, &office, places).await {
        Ok(by) => format!("/staff/floor?raised={by}"),
        Err(Refusal::Invalid(_) | Refusal::Unbookable { .. }) => {
            "/staff/floor?refused=1".to_owned()
        }
        Err(r) => return Err(r.into()),
    };
    Ok(Redirect::to(&to).into_response())
}
