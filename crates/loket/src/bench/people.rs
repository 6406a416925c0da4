//! The people of the benchmark, registered through the API, and the office's setup: open
//! dates, session capacities, the booking bodies.

use std::sync::Arc;

use anyhow::bail;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

/// Every benchmark account's password.
pub const PASSWORD: &str = "bench-password-1";

/// A registered applicant: the account's email and token, and the applicant id.
#[derive(Clone)]
pub struct Person {
    pub email: String,
    pub token: String,
    pub applicant: String,
}

fn nik_for(serial: usize) -> String {
    // Fictional men born on 01-01-1990 in Palembang (1671 01), serials 0001.., and
    // district codes 01..99 to go past 9999.
    let district = 1 + serial / 9999;
    let s = 1 + serial % 9999;
    format!("1671{district:02}010190{s:04}")
}

async fn register(
    c: &reqwest::Client,
    base: &str,
    account: usize,
    people: usize,
    first_serial: usize,
) -> anyhow::Result<Vec<Person>> {
    let email = format!("bench{account}-{}@example.org", std::process::id());
    let r = c
        .post(format!("{base}/api/v1/accounts"))
        .json(
            &json!({"email": email, "password": PASSWORD, "full_name": "Bench User",
            "birth_date": "1990-01-01", "sex": "male", "phone": "081234567890"}),
        )
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("register: {}", r.text().await?);
    }
    let mail: Value = c
        .get(format!("{base}/api/v1/dev/mail"))
        .query(&[("to", &email)])
        .send()
        .await?
        .json()
        .await?;
    let body = mail[0]["body"].as_str().unwrap_or("");
    let code: String = body
        .split(|ch: char| !ch.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or("")
        .to_owned();
    c.post(format!("{base}/api/v1/accounts/verify"))
        .json(&json!({"email": email, "code": code}))
        .send()
        .await?
        .error_for_status()?;
    let login: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"].as_str().unwrap_or("").to_owned();
    let mut out = Vec::new();
    for i in 0..people {
        let a: Value = c
            .post(format!("{base}/api/v1/applicants"))
            .bearer_auth(&token)
            .json(&json!({"nik": nik_for(first_serial + i), "full_name": format!("Bench {}", first_serial + i),
                "birth_date": "1990-01-01", "sex": "male"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        out.push(Person {
            email: email.clone(),
            token: token.clone(),
            applicant: a["id"].as_str().unwrap_or("").to_owned(),
        });
    }
    Ok(out)
}

pub async fn register_many(
    c: &reqwest::Client,
    base: &str,
    people: usize,
    first_serial: usize,
) -> anyhow::Result<Vec<Person>> {
    let accounts = people.div_ceil(5);
    let sem = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::new();
    for a in 0..accounts {
        let c = c.clone();
        let base = base.to_owned();
        let sem = sem.clone();
        let n = (people - a * 5).min(5);
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await;
            register(&c, &base, first_serial + a, n, first_serial + a * 5).await
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

pub async fn staff_token(c: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let v: Value = c
        .post(format!("{base}/api/v1/staff/login"))
        .json(&json!({"username": "kepala.palembang", "password": "demo-kepala"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(v["token"].as_str().unwrap_or("").to_owned())
}

/// The first date of the default availability range (tomorrow in the office's zone) and
/// the open dates in it on which session s2 runs.
pub async fn open_dates(c: &reqwest::Client, base: &str) -> anyhow::Result<(String, Vec<String>)> {
    let v: Value = c
        .get(format!("{base}/api/v1/offices/palembang/availability"))
        .send()
        .await?
        .json()
        .await?;
    let days = v["days"].as_array().cloned().unwrap_or_default();
    let first = days
        .first()
        .and_then(|d| d["date"].as_str())
        .unwrap_or("")
        .to_owned();
    let open: Vec<String> = days
        .iter()
        .filter(|d| {
            d["status"] == "open"
                && d["sessions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|s| s["code"] == "s2")
        })
        .filter_map(|d| d["date"].as_str().map(str::to_owned))
        .collect();
    if open.len() < 3 {
        bail!("fewer than three open dates in the next two weeks");
    }
    Ok((first, open))
}

/// A day's availability from a 30-day answer.
pub fn day_of<'a>(v: &'a Value, date: &str) -> Option<&'a Value> {
    v["days"].as_array()?.iter().find(|d| d["date"] == date)
}

pub async fn set_capacity(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    date: &str,
    session: &str,
    cap: i64,
) -> anyhow::Result<()> {
    c.put(format!("{base}/api/v1/offices/palembang/quotas/overrides"))
        .bearer_auth(token)
        .json(&json!({"date": date, "session": session, "class": "online", "capacity": cap}))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

pub fn booking_body(p: &Person, date: &str, session: &str) -> Value {
    json!({"applicant_id": p.applicant, "office": "palembang", "date": date, "session": session,
        "kind": "new", "passport_type": "ordinary", "validity": "5y", "processing": "regular",
        "travel_purpose": "tourism"})
}

/// A person's `Authorization` header and a booking body, ready to send.
pub fn prepared(p: &Person, body: &Value) -> (reqwest::header::HeaderValue, bytes::Bytes) {
    let auth = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", p.token))
        .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static(""));
    (auth, bytes::Bytes::from(body.to_string()))
}
