//! The storage conformance suite: the same stories run against SQLite and PostgreSQL, each
//! test on a fresh database of its own. `conformance!(story, ...)` turns every story (an
//! `async fn(Ctx)`) into two tests, `story::sqlite` and `story::postgres`.
//!
//! PostgreSQL comes from `LOKET_TEST_POSTGRES_URL` (an admin URL; default
//! `postgres://postgres@127.0.0.1:5432/postgres`). If it is unreachable the postgres tests
//! fail rather than skip: a suite that quietly skips half its backends proves nothing.

// Tests may panic on a broken fixture; that is what a failing test is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Generates a `sqlite` and a `postgres` test for each named story.
macro_rules! conformance {
    ($($story:ident),+ $(,)?) => {
        $(
            mod $story {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::helpers::run($crate::helpers::Engine::Sqlite, super::$story).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::helpers::run($crate::helpers::Engine::Postgres, super::$story).await;
                }
            }
        )+
    };
}

mod helpers;
mod holding;

mod accounts;
mod allocation_paths;
mod assisted;
mod bookings;
mod cached;
mod calendar;
mod close_out;
mod concurrency;
mod counts;
mod floor;
mod notices;
mod offices;
mod one_booking_per_nik;
mod outbox;
mod payments;
mod quotas;
mod statements;
