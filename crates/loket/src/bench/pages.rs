//! The rush through the page forms, as a browser sends it. Each account signs in through
//! the login form (the form token from the login page's cookie, the session cookie the
//! login sets), and every attempt posts the check page's hold form with those cookies, the
//! form token, an idempotency key of its own and the headers Chromium adds to a same-origin
//! form post, asking for a compressed answer. A hold answers 303 to the booking's page; a
//! refusal answers 409 with the check page and its message.

use std::sync::Arc;

use anyhow::{Context, bail};
use bytes::Bytes;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, CONTENT_TYPE, COOKIE, HeaderMap, HeaderValue, ORIGIN, SET_COOKIE,
};
use tokio::sync::Semaphore;

use loket_web::pages::session::encode;

use super::people::{PASSWORD, Person};

/// An account signed in through the pages: the `Cookie` header its browser sends and the
/// form token its pages carry.
#[derive(Clone)]
pub struct Browser {
    cookie: HeaderValue,
    csrf: String,
}

/// A client that does not follow redirects, as the benchmark must see the 303s.
pub fn client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()?)
}

/// The value a `Set-Cookie` header of `headers` gives cookie `name`.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (k, value) = v.split(';').next()?.trim().split_once('=')?;
            (k == name && !value.is_empty()).then(|| value.to_owned())
        })
}

/// Adds what Chromium sends with a same-origin form post from `origin` (built once, as
/// the API rush builds its headers before the clock starts).
fn as_browser(r: reqwest::RequestBuilder, origin: &HeaderValue) -> reqwest::RequestBuilder {
    r.header(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    )
    .header(ORIGIN, origin.clone())
    .header("sec-fetch-site", HeaderValue::from_static("same-origin"))
    .header("sec-fetch-mode", HeaderValue::from_static("navigate"))
    .header(
        ACCEPT,
        HeaderValue::from_static("text/html,application/xhtml+xml"),
    )
    .header(
        ACCEPT_ENCODING,
        HeaderValue::from_static("gzip, deflate, br, zstd"),
    )
}

/// The `Origin` header of pages served from `base`.
pub fn origin(base: &str) -> anyhow::Result<HeaderValue> {
    Ok(HeaderValue::from_str(base)?)
}

/// Opens the login page and signs in through its form.
async fn sign_in(c: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<Browser> {
    let page = c.get(format!("{base}/login")).send().await?;
    let csrf =
        set_cookie(page.headers(), "loket_csrf").context("the login page set no form token")?;
    let r = as_browser(c.post(format!("{base}/login")), &origin(base)?)
        .header(COOKIE, format!("loket_csrf={csrf}"))
        .body(format!(
            "email={}&password={}&csrf={csrf}",
            encode(email),
            encode(PASSWORD)
        ))
        .send()
        .await?;
    if r.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("page login of {email}: {}", r.status());
    }
    let session = set_cookie(r.headers(), "loket_session").context("the login set no session")?;
    // The login renews the form token.
    let csrf = set_cookie(r.headers(), "loket_csrf").unwrap_or(csrf);
    Ok(Browser {
        cookie: HeaderValue::from_str(&format!("loket_csrf={csrf}; loket_session={session}"))?,
        csrf,
    })
}

/// Signs in every account of `people` through the pages; one browser per person, the
/// accounts' own.
pub async fn sign_in_all(
    c: &reqwest::Client,
    base: &str,
    people: &[Person],
) -> anyhow::Result<Vec<Browser>> {
    let mut emails: Vec<&str> = people.iter().map(|p| p.email.as_str()).collect();
    emails.dedup();
    let sem = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::new();
    for email in emails {
        let (c, base, email, sem) = (c.clone(), base.to_owned(), email.to_owned(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await;
            sign_in(&c, &base, &email).await.map(|b| (email, b))
        }));
    }
    let mut by_email = std::collections::HashMap::new();
    for t in tasks {
        let (email, b) = t.await??;
        by_email.insert(email, b);
    }
    people
        .iter()
        .map(|p| {
            by_email
                .get(&p.email)
                .cloned()
                .context("an account not signed in")
        })
        .collect()
}

/// Attempt `i`'s cookie header and hold form: person `i % n` at `date`'s `session`, with
/// an idempotency key of the attempt's own (a browser gets a new one with each check page).
pub fn hold_form(
    people: &[Person],
    browsers: &[Browser],
    i: usize,
    date: &str,
    session: &str,
) -> (HeaderValue, Bytes) {
    let (p, b) = (&people[i % people.len()], &browsers[i % browsers.len()]);
    let body = format!(
        "applicant={}&kind=new&passport_type=ordinary&validity=5y&processing=regular\
         &purpose=tourism&office=palembang&date={date}&session={session}&csrf={}&key={i:032x}",
        p.applicant, b.csrf
    );
    (b.cookie.clone(), Bytes::from(body))
}

/// The hold request of a prepared attempt.
pub fn hold(
    c: &reqwest::Client,
    origin: &HeaderValue,
    url: &str,
    (cookie, body): &(HeaderValue, Bytes),
) -> reqwest::RequestBuilder {
    as_browser(c.post(url), origin)
        .header(COOKIE, cookie.clone())
        .body(body.clone())
}
