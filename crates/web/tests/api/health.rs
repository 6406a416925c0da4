//! Liveness, readiness, metrics and the OpenAPI document.

use crate::helpers::{Backend, TestApp};

api_tests!(
    liveness_and_readiness_answer_ok,
    metrics_count_http_requests_once_one_was_served,
    the_openapi_document_is_3_1_with_bookings_availability_and_a_bearer_scheme,
);

async fn liveness_and_readiness_answer_ok(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let live = app.get("/healthz", None).await;
    assert_eq!(live.status, 200);
    assert_eq!(live.text, "ok");

    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.text, "ready");
}

async fn metrics_count_http_requests_once_one_was_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.get("/api/v1/offices", None).await.expect(200);

    let m = app.get("/metrics", None).await;
    assert_eq!(m.status, 200);
    assert!(
        m.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain")),
        "{:?}",
        m.headers
    );
    let line = m
        .text
        .lines()
        .find(|l| {
            l.starts_with("loket_http_requests_total{")
                && l.contains("route=\"/api/v1/offices\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no request counter for /api/v1/offices in:\n{}", m.text));
    let count: f64 = line
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(count >= 1.0, "{line}");
}

async fn the_openapi_document_is_3_1_with_bookings_availability_and_a_bearer_scheme(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;

    let doc = app.get("/api/v1/openapi.json", None).await.expect(200);

    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1"), "openapi {version}");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/bookings"), "{:?}", paths.keys());
    assert!(
        paths.contains_key("/api/v1/offices/{code}/availability"),
        "{:?}",
        paths.keys()
    );
    assert!(paths["/api/v1/bookings"].get("post").is_some());
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http", "{bearer}");
    assert!(
        bearer["scheme"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("bearer")),
        "{bearer}"
    );
}
