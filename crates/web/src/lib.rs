//! Loket's HTTP service: configuration, the route table and its handlers, the background
//! workers, and start-up. The binary in `crates/loket` is a thin shell around `app`.

pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod mail;
pub mod pages;
pub mod planning;
pub mod problems;
pub mod routes;
pub mod seed;
pub mod state;
pub mod usecases;
pub mod workers;

pub use app::Application;
pub use config::Settings;
