//! Who may call each staff route: one table of every route a staff token opens, each called
//! by staff of the office in its path, of another office of the same region, of another
//! region, in a role that may not manage, by regional and system admins, by an applicant
//! and without a token. The table is checked against the OpenAPI document (which the route
//! table generates), so a staff route added without a row here fails this test.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use loket_demo::DEMO_LOGINS;
use loket_store::StaffRole;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, OFFICE, Reply, TestApp};

api_tests!(every_staff_route_refuses_staff_outside_its_scope_and_serves_those_inside);

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// Anyone, without a token.
    Public,
    /// Any staff member, about themselves.
    AnyStaff,
    /// System admins only (national data).
    Nation,
    /// Staff who manage the office in the path (`may_manage`).
    Office,
}

/// One operation of the OpenAPI document.
struct Route {
    method: &'static str,
    path: &'static str,
    scope: Scope,
    body: Option<fn(NaiveDate) -> Value>,
}

const fn route(
    method: &'static str,
    path: &'static str,
    scope: Scope,
    body: Option<fn(NaiveDate) -> Value>,
) -> Route {
    Route {
        method,
        path,
        scope,
        body,
    }
}

/// Every route tagged for staff or opened by a staff token. Put comes before delete, so
/// that each caller's delete finds what its put made.
const ROUTES: &[Route] = &[
    route("get", "/api/v1/offices/{code}/quotas", Scope::Office, None),
    route(
        "put",
        "/api/v1/offices/{code}/quotas/defaults",
        Scope::Office,
        Some(|_| json!({"weekday": "mon", "session": "s1", "class": "online", "capacity": 20})),
    ),
    route(
        "put",
        "/api/v1/offices/{code}/quotas/overrides",
        Scope::Office,
        Some(|d| json!({"date": d, "session": "s1", "class": "online", "capacity": 20})),
    ),
    route(
        "post",
        "/api/v1/offices/{code}/quotas/bulk",
        Scope::Office,
        Some(|d| json!({"from": d, "to": d, "adjustment": {"mode": "set", "value": 20}})),
    ),
    route("get", "/api/v1/offices/{code}/audit", Scope::Office, None),
    route(
        "put",
        "/api/v1/offices/{code}/closures/{date}",
        Scope::Office,
        Some(|_| json!({"kind": "closed", "reason": "Pemadaman listrik"})),
    ),
    route(
        "delete",
        "/api/v1/offices/{code}/closures/{date}",
        Scope::Office,
        None,
    ),
    route(
        "get",
        "/api/v1/offices/{code}/closures",
        Scope::Public,
        None,
    ),
    route("get", "/api/v1/holidays", Scope::Public, None),
    route(
        "put",
        "/api/v1/holidays/{date}",
        Scope::Nation,
        Some(|_| json!({"kind": "holiday", "name_id": "Hari Uji", "name_en": "Test Day"})),
    ),
    route("delete", "/api/v1/holidays/{date}", Scope::Nation, None),
    route(
        "post",
        "/api/v1/staff/login",
        Scope::Public,
        Some(|_| {
            let l = DEMO_LOGINS
                .iter()
                .find(|l| l.role == "system_admin")
                .expect("a demo system admin");
            json!({"username": l.login, "password": l.password})
        }),
    ),
    route("get", "/api/v1/staff/me", Scope::AnyStaff, None),
    // Ends the session of whatever token it is given (none: nothing to end).
    route("post", "/api/v1/auth/logout", Scope::Public, None),
];

/// Tags of the staff's operations in the OpenAPI document.
const STAFF_TAGS: [&str; 3] = ["quotas", "calendar", "staff"];

/// A staff member the test makes: (username, role, office, region).
type Member = (
    &'static str,
    StaffRole,
    Option<&'static str>,
    Option<&'static str>,
);

const MEMBERS: &[Member] = &[
    (
        "head.palembang",
        StaffRole::HeadOfOffice,
        Some("palembang"),
        None,
    ),
    (
        "head.muara-enim",
        StaffRole::HeadOfOffice,
        Some("muara-enim"),
        None,
    ),
    (
        "desk.palembang",
        StaffRole::FrontDesk,
        Some("palembang"),
        None,
    ),
    (
        "counter.palembang",
        StaffRole::CounterOfficer,
        Some("palembang"),
        None,
    ),
    (
        "regional.sumsel",
        StaffRole::RegionalAdmin,
        None,
        Some("sumsel"),
    ),
    (
        "regional.bali",
        StaffRole::RegionalAdmin,
        None,
        Some("bali"),
    ),
    ("system", StaffRole::SystemAdmin, None, None),
];

/// (caller, office in the path, may manage it). Palembang and Muara Enim are in South
/// Sumatra (sumsel), Denpasar in Bali.
const OFFICE_CASES: &[(&str, &str, bool)] = &[
    ("head.palembang", OFFICE, true),
    // Another office of the same region: a check that compared regions would let it in.
    ("head.muara-enim", OFFICE, false),
    // Another office of another region.
    ("head.palembang", "denpasar", false),
    // The office's own staff, in roles that do not manage it.
    ("desk.palembang", OFFICE, false),
    ("counter.palembang", OFFICE, false),
    ("regional.sumsel", OFFICE, true),
    ("regional.sumsel", "muara-enim", true),
    // A regional admin of another region.
    ("regional.bali", OFFICE, false),
    ("regional.sumsel", "denpasar", false),
    ("system", "denpasar", true),
    ("system", OFFICE, true),
];

/// A bearer token for a new staff member, made through the store.
async fn staff_token(app: &TestApp, m: &Member) -> String {
    let (username, role, office, region) = *m;
    app.new_staff_token(&format!("scope.{username}"), role, office, region)
        .await
}

/// Calls `method path` with the path filled in and `body`, if any.
async fn call(
    app: &TestApp,
    (method, path): (&str, &str),
    body: Option<Value>,
    (office, date): (&str, NaiveDate),
    token: Option<&str>,
) -> Reply {
    let path = path
        .replace("{code}", office)
        .replace("{date}", &date.to_string())
        .replace("{id}", &Uuid::now_v7().to_string());
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
    let mut rb = app.request(method, &path, token);
    if let Some(body) = body {
        rb = rb.json(&body);
    }
    app.send(rb).await
}

impl Route {
    async fn call(
        &self,
        app: &TestApp,
        office: &str,
        date: NaiveDate,
        token: Option<&str>,
    ) -> Reply {
        let body = self.body.map(|b| b(date));
        call(app, (self.method, self.path), body, (office, date), token).await
    }

    fn what(&self, who: &str, office: &str) -> String {
        format!("{} {} by {who} for {office}", self.method, self.path)
    }
}

/// Every operation of the OpenAPI document that a table of staff routes must list: (method,
/// path) with whether it is tagged for staff (else it takes a token).
async fn documented(
    app: &TestApp,
) -> (BTreeSet<(String, String)>, BTreeMap<(String, String), bool>) {
    let doc = app.get("/api/v1/openapi.json", None).await.expect(200);
    let (mut all, mut wanted) = (BTreeSet::new(), BTreeMap::new());
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let key = (method.clone(), path.clone());
            all.insert(key.clone());
            let staff_tag = op["tags"].as_array().is_some_and(|t| {
                t.iter()
                    .any(|t| STAFF_TAGS.contains(&t.as_str().unwrap_or("")))
            });
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if staff_tag || secured {
                wanted.insert(key, staff_tag);
            }
        }
    }
    (all, wanted)
}

#[track_caller]
fn assert_refused(r: &Reply, what: &str) {
    assert_eq!(r.status.as_u16(), 403, "{what}: {}", r.text);
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{what}"
    );
}

#[track_caller]
fn assert_served(r: &Reply, what: &str) {
    assert!(r.status.is_success(), "{what}: {} {}", r.status, r.text);
}

async fn every_staff_route_refuses_staff_outside_its_scope_and_serves_those_inside(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let date = app.bookable_date().await;
    let mut tokens = HashMap::new();
    for m in MEMBERS {
        tokens.insert(m.0, staff_token(&app, m).await);
    }
    let system = tokens["system"].clone();
    let applicant = app.account(0).await.token;

    // The table against the document.
    let (all, wanted) = documented(&app).await;
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let stale: Vec<_> = listed.difference(&all).collect();
    assert!(stale.is_empty(), "listed here, not in the API: {stale:?}");
    let (mut unlisted, mut probed) = (Vec::new(), 0);
    for ((method, path), staff_tag) in wanted.iter().filter(|(k, _)| !listed.contains(*k)) {
        probed += 1;
        // A route that takes a token but is not listed must be an applicant's: a staff
        // token (the system admin's, which opens every staff route) is refused there.
        let reply = call(
            &app,
            (method, path),
            Some(json!({})),
            (OFFICE, date),
            Some(&system),
        )
        .await;
        if *staff_tag || reply.status.as_u16() != 403 {
            unlisted.push(format!(
                "{method} {path} (a staff token got {})",
                reply.status
            ));
        }
    }
    assert!(
        unlisted.is_empty(),
        "staff routes missing from the table here (add each with its scope): {unlisted:?}"
    );
    // The applicants' routes (profile, applicants, bookings) were among those probed.
    assert!(
        probed >= 5,
        "only {probed} routes with a token outside the table"
    );

    let mut checked = 0;
    for r in ROUTES {
        let reply = r.call(&app, OFFICE, date, None).await;
        if r.scope == Scope::Public {
            assert_served(&reply, &r.what("anyone without a token", OFFICE));
            continue;
        }
        // Never without a token, never with an applicant's.
        assert_eq!(reply.status.as_u16(), 401, "{}", r.what("nobody", OFFICE));
        assert_refused(
            &r.call(&app, OFFICE, date, Some(&applicant)).await,
            &r.what("an applicant", OFFICE),
        );
    }
    // Caller by caller, so that each one's delete finds what its put made.
    for (who, office, may) in OFFICE_CASES {
        for r in ROUTES.iter().filter(|r| r.scope == Scope::Office) {
            let reply = r.call(&app, office, date, Some(&tokens[who])).await;
            if *may {
                assert_served(&reply, &r.what(who, office));
            } else {
                assert_refused(&reply, &r.what(who, office));
            }
            checked += 1;
        }
    }
    for (who, _, _, _) in MEMBERS {
        for r in ROUTES
            .iter()
            .filter(|r| matches!(r.scope, Scope::Nation | Scope::AnyStaff))
        {
            let reply = r.call(&app, OFFICE, date, Some(&tokens[who])).await;
            let what = r.what(who, "the nation, or themselves");
            if r.scope == Scope::AnyStaff || *who == "system" {
                assert_served(&reply, &what);
            } else {
                assert_refused(&reply, &what);
            }
            checked += 1;
        }
    }
    assert!(checked >= 90, "only {checked} calls checked");
}
