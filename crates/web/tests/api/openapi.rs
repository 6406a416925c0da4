//! The OpenAPI document describes the API: every route the code registers is in it (or is
//! one of the few machine routes listed as undocumented), every documented operation is
//! served, every problem code it lists is one the code builds with that status (and every
//! code the code builds is in the catalogue), and the interactive reference at /api/v1/docs
//! loads nothing from another host. The harness (helpers.rs) also checks every problem any
//! test receives against the operation's documented codes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use loket_web::problems;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, OFFICE, TestApp, document};

api_tests!(
    every_documented_operation_is_served_and_the_dev_ones_only_in_dev_mode,
    the_reference_page_answers_html_and_loads_nothing_from_another_host,
);

// ---------- the code, read as text ----------

/// Every `.rs` file under `dir`, with its text cut before any `#[cfg(test)]`.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let text = match text.find("#[cfg(test)]") {
                    Some(i) => text[..i].to_owned(),
                    None => text,
                };
                out.push((path, text));
            }
        }
    }
    out.sort();
    assert!(out.len() > 10, "found the sources in {}", dir.display());
    out
}

fn web_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The string literal at the start of `s` (after whitespace), if there is one.
fn leading_literal(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let rest = s.strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
}

/// The text of the arguments of every call `needle(` in `text`, up to the matching `)`.
fn calls<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(needle) {
        let start = from + i + needle.len();
        let mut depth = 1;
        let mut end = start;
        for (j, c) in text[start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = start + j;
                break;
            }
        }
        out.push(&text[start..end]);
        from = end.max(start);
    }
    out
}

/// Every (code, status constant, title) an `ApiError` is built with:
/// `ApiError::new(S, "code", "title")` or, inside `impl ApiError`, `Self::new(..)`.
fn constructed_codes() -> BTreeMap<String, BTreeSet<(String, String)>> {
    let mut found: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for (path, text) in sources(&web_src()) {
        if path.ends_with("problems.rs") {
            continue;
        }
        for needle in ["ApiError::new(", "Self::new("] {
            for args in calls(&text, needle) {
                let Some((status, rest)) = args.split_once(',') else {
                    continue;
                };
                let status = status.trim();
                let Some(code) = leading_literal(rest) else {
                    continue;
                };
                let Some(name) = status.rsplit("::").next() else {
                    continue;
                };
                if status.contains("StatusCode::") || status.starts_with("S::") {
                    let after_code = rest
                        .split_once(&format!("\"{code}\""))
                        .and_then(|(_, r)| r.trim_start().strip_prefix(','))
                        .unwrap_or("");
                    let title = leading_literal(after_code).unwrap_or_else(|| {
                        panic!(
                            "{}: `{code}` is built without a literal title",
                            path.display()
                        )
                    });
                    found
                        .entry(code.to_owned())
                        .or_default()
                        .insert((name.to_owned(), title.to_owned()));
                }
            }
        }
    }
    found
}

/// `StatusCode::CONFLICT` -> "CONFLICT", as the code writes it.
fn const_name(status: reqwest::StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap()
        .to_uppercase()
        .replace([' ', '-'], "_")
}

/// Every (status, code) the document lists, per operation.
fn documented_codes(doc: &Value) -> Vec<(String, String, u16, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, r) in op["responses"].as_object().unwrap() {
                let Some(media) = r["content"].get("application/problem+json") else {
                    continue;
                };
                let parts = media["schema"]["allOf"].as_array().unwrap();
                let codes = parts
                    .iter()
                    .find_map(|p| p["properties"]["code"]["enum"].as_array())
                    .unwrap_or_else(|| panic!("{method} {path} {status}: no code enum"));
                for c in codes {
                    out.push((
                        method.clone(),
                        path.clone(),
                        status.parse().unwrap(),
                        c.as_str().unwrap().to_owned(),
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn every_problem_code_is_in_the_catalogue_and_every_entry_is_built_by_the_code() {
    let built = constructed_codes();
    assert!(built.len() > 20, "read the constructors: {built:?}");
    // Each code the code builds is catalogued, with the status and the title the code gives
    // it (RFC 9457: a problem type's title does not change from occurrence to occurrence).
    for (code, uses) in &built {
        let entry = problems::by_code(code).unwrap_or_else(|| {
            panic!("`{code}` is built in the code but missing from problems::ALL")
        });
        let want = (
            const_name(reqwest::StatusCode::from_u16(entry.status.as_u16()).unwrap()),
            entry.title.to_owned(),
        );
        assert_eq!(
            uses,
            &BTreeSet::from([want.clone()]),
            "`{code}` is built as {uses:?}, catalogued as {want:?}"
        );
    }
    // Each catalogue entry is built somewhere: the document promises no code that cannot come.
    for p in problems::ALL {
        assert!(
            built.contains_key(p.code),
            "`{}` is catalogued (and may be documented) but nothing builds it",
            p.code
        );
    }
    let codes: BTreeSet<_> = problems::ALL.iter().map(|p| p.code).collect();
    assert_eq!(
        codes.len(),
        problems::ALL.len(),
        "a code is catalogued twice"
    );
}

#[test]
fn every_code_the_document_lists_is_catalogued_with_its_status() {
    let doc = document(true);
    let listed = documented_codes(&doc);
    assert!(listed.len() > 100, "{} codes listed", listed.len());
    for (method, path, status, code) in &listed {
        let entry = problems::by_code(code)
            .unwrap_or_else(|| panic!("{method} {path} lists `{code}`, not in the catalogue"));
        assert_eq!(entry.status.as_u16(), *status, "{method} {path} `{code}`");
    }
    // Every operation lists at least the failure any request can meet.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"].get("500").is_some(),
                "{method} {path} lists no 500"
            );
        }
    }
}

#[test]
fn request_bodies_declare_types_and_required_fields_and_every_response_says_what_it_is() {
    let doc = document(true);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, r) in op["responses"].as_object().unwrap() {
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} has no description"
                );
            }
            let Some(body) =
                op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            else {
                continue;
            };
            bodies += 1;
            let name = body.trim_start_matches("#/components/schemas/");
            let schema = &schemas[name];
            assert!(
                schema["required"].as_array().is_some_and(|r| !r.is_empty()),
                "{method} {path}: {name} requires nothing"
            );
            // A bare "string or null" tells a client nothing: each text field says more.
            for (field, s) in schema["properties"].as_object().unwrap() {
                let bare = s["type"] == json!(["string", "null"])
                    && ["enum", "format", "pattern", "maxLength", "$ref"]
                        .iter()
                        .all(|k| s.get(*k).is_none());
                assert!(!bare, "{name}.{field} is declared as a bare string or null");
            }
        }
    }
    assert!(bodies >= 15, "{bodies} request bodies");
}

/// Each route path the code registers outside utoipa-axum's `routes!` (which documents what
/// it registers): `.route("...")`, `.route_service(..)`, `.nest(..)`, `.nest_service(..)`.
fn plain_routes() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for (path, text) in sources(&web_src()) {
        for needle in [".route(", ".route_service(", ".nest(", ".nest_service("] {
            for args in calls(&text, needle) {
                let literal = leading_literal(args).unwrap_or_else(|| {
                    panic!(
                        "{}: write the path of `{needle}` as a literal so this test can read it: {args}",
                        path.display()
                    )
                });
                out.push((path.clone(), literal.to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_route_the_code_registers_is_documented_or_listed_as_undocumented() {
    let doc = document(true);
    let paths = doc["paths"].as_object().unwrap();
    let plain = plain_routes();
    assert!(plain.len() >= 7, "found the plain routes: {plain:?}");
    let pages = web_src().join("pages");
    for (file, route) in &plain {
        if file.starts_with(&pages) {
            // The HTML pages are for people, not part of the API, and stay outside it.
            assert!(
                !route.starts_with("/api/"),
                "{}: page route {route}",
                file.display()
            );
            continue;
        }
        assert!(
            paths.contains_key(route) || loket_web::routes::UNDOCUMENTED.contains(&route.as_str()),
            "{} serves {route}, which is neither in the OpenAPI document nor in routes::UNDOCUMENTED",
            file.display()
        );
    }
    for route in loket_web::routes::UNDOCUMENTED {
        assert!(
            plain.iter().any(|(_, r)| r == route),
            "routes::UNDOCUMENTED lists {route}, which no code registers"
        );
        assert!(
            !paths.contains_key(*route),
            "{route} is documented after all"
        );
    }
    // Each annotated handler's path and method is an operation of the document.
    let mut annotated = 0;
    for (file, text) in sources(&web_src().join("routes")) {
        for args in calls(&text, "#[utoipa::path(") {
            let method = args.split(',').next().unwrap().trim();
            let at = args.find("path = ").unwrap() + "path = ".len();
            let route = leading_literal(&args[at..]).unwrap();
            assert!(
                doc["paths"][route].get(method).is_some(),
                "{}: {method} {route} is annotated but not in the document",
                file.display()
            );
            annotated += 1;
        }
    }
    let operations: usize = paths.values().map(|i| i.as_object().unwrap().len()).sum();
    assert_eq!(annotated, operations, "annotations and operations differ");
}

#[test]
fn the_dev_routes_are_documented_only_in_dev_mode() {
    let dev = document(true);
    let prod = document(false);
    let dev_paths: Vec<_> = dev["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|p| p.starts_with("/api/v1/dev/"))
        .cloned()
        .collect();
    assert!(dev_paths.len() >= 3, "{dev_paths:?}");
    for p in &dev_paths {
        assert!(
            prod["paths"].get(p).is_none(),
            "{p} is documented outside dev mode"
        );
    }
    assert_eq!(
        dev["paths"].as_object().unwrap().len() - dev_paths.len(),
        prod["paths"].as_object().unwrap().len()
    );
}

/// A request path for a documented template, with placeholders filled in.
fn concrete(template: &str) -> String {
    template
        .replace("{code}", OFFICE)
        .replace("{id}", &Uuid::new_v4().to_string())
        .replace("{date}", "2030-01-07")
}

/// Whether an answer is the router's fallback (no route) or a method it does not serve.
fn unrouted(status: u16, body: &str) -> bool {
    let detail = serde_json::from_str::<Value>(body).ok();
    let detail = detail
        .as_ref()
        .and_then(|v| v["detail"].as_str())
        .unwrap_or("");
    status == 405 || (status == 404 && detail == "page not found")
}

async fn every_documented_operation_is_served_and_the_dev_ones_only_in_dev_mode(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = app.get("/api/v1/openapi.json", None).await.expect(200);
    assert_eq!(doc, document(true), "the served document is the one built");
    // Gzipped for a client that takes it (about 200 KB of JSON), the same document.
    let zipped = crate::helpers::client()
        .get(app.url("/api/v1/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(zipped.headers()["vary"], "accept-encoding");
    let gz = zipped.bytes().await.unwrap();
    let mut json = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut json).unwrap();
    assert!(
        gz.len() * 4 < json.len(),
        "{} B gzipped of {} B",
        gz.len(),
        json.len()
    );
    assert_eq!(serde_json::from_slice::<Value>(&json).unwrap(), doc);
    let mut dev = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let path = concrete(template);
            let mut rb = app.request(method.clone(), &path, None);
            if method == Method::POST || method == Method::PUT {
                rb = rb.json(&json!({}));
            }
            let r = app.send(rb).await;
            assert!(
                !unrouted(r.status.as_u16(), &r.text),
                "{method} {template} is documented but not served: {} {}",
                r.status,
                r.text
            );
            if template.starts_with("/api/v1/dev/") {
                dev.push((method, path));
            }
        }
    }
    for route in loket_web::routes::UNDOCUMENTED {
        let r = app.get(route, None).await;
        assert!(
            !unrouted(r.status.as_u16(), &r.text),
            "{route}: {}",
            r.status
        );
    }
    // Outside dev and demo mode the dev routes are not served at all.
    let prod = TestApp::spawn_with(backend, |s| {
        s.mode = loket_web::config::Mode::Production;
        s.public_url = Some("https://loket.example.go.id".into());
        s.payment_webhook_secret = Some(loket_web::config::Secret(format!(
            "{}{}",
            Uuid::new_v4(),
            Uuid::new_v4()
        )));
    })
    .await;
    for (method, path) in dev {
        let r = prod.send(prod.request(method.clone(), &path, None)).await;
        assert!(
            unrouted(r.status.as_u16(), &r.text),
            "{method} {path} is served in production: {}",
            r.status
        );
    }
    let prod_doc = prod.get("/api/v1/openapi.json", None).await.expect(200);
    assert_eq!(prod_doc, document(false));
}

/// The `src` and `href` values of a page.
fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap();
            out.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    out
}

async fn the_reference_page_answers_html_and_loads_nothing_from_another_host(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = app.get("/api/v1/docs", None).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert!(
        page.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{:?}",
        page.header("content-type")
    );
    let csp = page.header("content-security-policy").unwrap_or("");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(!csp.contains("http"), "{csp}");

    let refs = references(&page.text);
    let mut assets = Vec::new();
    for r in &refs {
        assert!(
            !r.contains("//") && !r.contains(':') && !r.starts_with('/'),
            "the page refers to {r}: only paths relative to this service are allowed"
        );
        // Relative to /api/v1/docs.
        let reply = app.get(&format!("/api/v1/{r}"), None).await;
        assert_eq!(reply.status.as_u16(), 200, "{r}: {}", reply.text);
        assets.push((r.clone(), reply.text));
    }
    assert!(
        refs.iter().any(|r| r.ends_with(".js")) && refs.iter().any(|r| r.ends_with(".css")),
        "{refs:?}"
    );
    assets.push(("the page".into(), page.text.clone()));
    for (name, text) in &assets {
        for scheme in [
            "http://",
            "https://",
            "url(",
            "@import",
            "//cdn",
            "integrity=",
        ] {
            assert!(
                !text.to_lowercase().contains(scheme),
                "{name} contains {scheme:?}: the reference must not load anything from elsewhere"
            );
        }
    }
    // The script reads this service's document, which answers.
    let js = &assets.iter().find(|(n, _)| n.ends_with(".js")).unwrap().1;
    assert!(
        js.contains("fetch(\"openapi.json\""),
        "the script reads openapi.json"
    );
}
