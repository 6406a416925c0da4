//! In-process fixtures for the use cases' own tests: a fresh, migrated SQLite store of its
//! own per test (removed when dropped) behind a real `AppState`.

use std::path::PathBuf;
use std::sync::Arc;

use loket_store::{SqlStore, StoreOptions};

use crate::config::Settings;
use crate::state::AppState;

/// A state over a database file that is removed when this is dropped.
pub struct TestState {
    /// The state.
    pub state: AppState,
    path: PathBuf,
}

impl Drop for TestState {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A state with default settings over a fresh database.
pub async fn state() -> TestState {
    let path = std::env::temp_dir().join(format!("loket-usecase-{}.db", uuid::Uuid::now_v7()));
    let store = SqlStore::connect(
        &format!("sqlite://{}", path.display()),
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    TestState {
        state: AppState::new(Arc::new(store), Settings::default()),
        path,
    }
}

/// The six-digit code in the newest mail to `to`.
pub async fn mailed_code(state: &AppState, to: &str) -> String {
    let mail = state.store.recent_mail(Some(to), 1).await.unwrap();
    let body = &mail.first().expect("a mail").body;
    body.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a six-digit code")
        .to_owned()
}
