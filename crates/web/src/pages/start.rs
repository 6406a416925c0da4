//! The start page (what Loket does, what to have ready, the offices by region with each
//! one's next free date) and the search for the nearest free date among a region's offices.

use askama::Template;
use axum::extract::Query;
use axum::extract::State;
use serde::Deserialize;

use super::{Chrome, PageCtx, PageResult, render};
use crate::format::long_date;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::usecases::availability::{OfficeNext, next_free_dates};

/// An office as the start page lists it.
pub struct OfficeRow {
    /// Code, for the link.
    pub code: String,
    /// Name.
    pub name: String,
    /// City.
    pub city: String,
    /// "Senin, 7 Desember 2026", or none if no date has places.
    pub next: Option<String>,
    /// "12 places left".
    pub places: String,
}

/// A regional office and its offices.
pub struct RegionGroup {
    /// Its code, for the search's select.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its offices.
    pub offices: Vec<OfficeRow>,
}

fn row(t: Tr, o: &OfficeNext) -> OfficeRow {
    OfficeRow {
        code: o.office.code.clone(),
        name: o.office.name.clone(),
        city: o.office.city.clone(),
        next: o.next.map(|(d, _)| long_date(t, d)),
        places: o
            .next
            .map(|(_, n)| t.f("start.places_left", &[("n", &n.to_string())]))
            .unwrap_or_default(),
    }
}

/// The offices grouped by region, in the order the use case gives them.
fn groups(t: Tr, offices: &[OfficeNext]) -> Vec<RegionGroup> {
    let mut out: Vec<RegionGroup> = Vec::new();
    for o in offices {
        match out.last_mut() {
            Some(g) if g.code == o.office.region_code => g.offices.push(row(t, o)),
            _ => out.push(RegionGroup {
                code: o.office.region_code.clone(),
                name: o.region_name.clone(),
                offices: vec![row(t, o)],
            }),
        }
    }
    out
}

#[derive(Template)]
#[template(path = "pages/start.html")]
struct StartPage {
    c: Chrome,
    regions: Vec<RegionGroup>,
    chosen: String,
    error: Option<&'static str>,
}

/// `GET /`: the start page.
pub async fn start(State(state): State<AppState>, ctx: PageCtx) -> PageResult {
    let t = Tr(ctx.lang);
    let offices = next_free_dates(&state).await?;
    Ok(render(&StartPage {
        c: Chrome::new(&ctx, t.s("start.title").to_owned()),
        regions: groups(t, &offices),
        chosen: String::new(),
        error: None,
    }))
}

/// `GET /find?region=…`.
#[derive(Deserialize)]
pub struct FindQuery {
    region: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/find.html")]
struct FindPage {
    c: Chrome,
    regions: Vec<RegionGroup>,
    chosen: String,
    error: Option<&'static str>,
    results: Option<Vec<OfficeRow>>,
}

/// `GET /find`: the offices of a region, nearest free date first.
pub async fn find(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<FindQuery>,
) -> PageResult {
    let t = Tr(ctx.lang);
    let offices = next_free_dates(&state).await?;
    let regions = groups(t, &offices);
    let chosen = q.region.unwrap_or_default();
    let (error, results) = if chosen.is_empty() {
        (None, None)
    } else if regions.iter().any(|g| g.code == chosen) {
        let mut hits: Vec<&OfficeNext> = offices
            .iter()
            .filter(|o| o.office.region_code == chosen)
            .collect();
        // Offices with a date first, the nearest date first; the rest by name.
        hits.sort_by_key(|o| (o.next.is_none(), o.next.map(|(d, _)| d)));
        (None, Some(hits.into_iter().map(|o| row(t, o)).collect()))
    } else {
        (Some(t.s("find.error_region")), None)
    };
    let mut c = Chrome::new(&ctx, t.s("find.title").to_owned());
    c.has_errors = error.is_some();
    Ok(render(&FindPage {
        c,
        regions,
        chosen,
        error,
        results,
    }))
}
