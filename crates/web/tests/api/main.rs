//! Black-box tests of the HTTP API: each test spawns a real server on a database of its own
//! and talks to it over HTTP only (plus the store and the clock for fast set-up). Every story
//! runs on both engines: `api_tests!(story)` turns `async fn story(Backend)` into
//! `story_sqlite` and `story_postgres`.

// Tests may panic on a broken fixture; that is what a failing test is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Generates a `<story>_sqlite` and a `<story>_postgres` test for each named story.
macro_rules! api_tests {
    ($($story:ident),+ $(,)?) => {
        $(
            pastey::paste! {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn [<$story _sqlite>]() {
                    $story($crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn [<$story _postgres>]() {
                    $story($crate::helpers::Backend::Postgres).await;
                }
            }
        )+
    };
}

mod helpers;

mod account_pages;
mod accounts;
mod applicant_pages;
mod assist_pages;
mod assisted;
mod board;
mod booking_pages;
mod bookings;
mod calendar;
mod check_in;
mod concurrency;
mod counters;
mod errors;
mod floor;
mod health;
mod limits;
mod offices;
mod openapi;
mod pages;
mod payment_pages;
mod payments;
mod quotas;
mod receipt_pages;
mod refusal_pages;
mod return_visit;
mod safety;
mod staff_pages;
mod staff_scope;
mod strictness;
