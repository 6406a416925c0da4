//! Loket's HTTP service: configuration, the route table and its handlers, the use cases
//! they share with the pages, and start-up. The binary in `crates/loket` runs it, with the
//! background workers beside it.

pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod format;
pub mod i18n;
pub mod limits;
pub mod live;
pub mod mail;
pub mod pages;
pub mod planning;
pub mod problems;
pub mod routes;
pub mod state;
pub mod usecases;

pub use app::Application;
pub use config::Settings;
