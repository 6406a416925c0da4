//! Secrets: password hashing (Argon2id, off the async threads, one per core at a time),
//! random tokens and codes, and the hashes under which tokens and codes are stored.

use rand::Rng;
use sha2::{Digest, Sha256};

/// Hashes a password with Argon2id on a blocking thread (which fails only if it panicked).
pub async fn hash_password(password: String) -> Result<String, tokio::task::JoinError> {
    hashing(move || password_auth::generate_hash(password)).await
}

/// Checks a password against a PHC hash on a blocking thread; `None` burns the same time
/// against a fixed hash so that unknown accounts cannot be told apart by timing.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    hashing(move || match hash {
        Some(h) => password_auth::verify_password(password, &h).is_ok(),
        None => {
            let _ = password_auth::verify_password(password, dummy_hash());
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Argon2id costs about 19 MiB and tens of milliseconds of CPU per hash. Unbounded, a storm
/// of logins when a day's quota opens would start one blocking thread per login (up to
/// tokio's 512, some 10 GB) and leave the booking path a sliver of the cores. At most one
/// hash per core runs at a time; the rest wait their turn in arrival order.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(hashing_limit()))
}

/// How many hashes may run at once: the cores available.
fn hashing_limit() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Hashes running now, and the most seen at once (for the test that shows the bound holds).
static HASHING_NOW: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static HASHING_MOST: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    use std::sync::atomic::Ordering::SeqCst;
    // Never closed, so acquiring cannot fail; if it somehow did, hash anyway.
    let _permit = hashing_permits().acquire().await.ok();
    tokio::task::spawn_blocking(move || {
        let now = HASHING_NOW.fetch_add(1, SeqCst) + 1;
        HASHING_MOST.fetch_max(now, SeqCst);
        let out = work();
        HASHING_NOW.fetch_sub(1, SeqCst);
        out
    })
    .await
}

fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| password_auth::generate_hash("loket-dummy-password"))
}

/// A new opaque token for the API or a page session.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("lk_{}", hex::encode(bytes))
}

/// A six-digit one-time code.
pub fn new_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// What is stored for a token or code: its SHA-256, hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random u64 for billing codes.
pub fn random_u64() -> u64 {
    rand::rng().random()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sixteen logins at once never run more hashes at a time than there are cores.
    /// (Control: without the semaphore this saw 16 at once.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn at_most_one_password_hash_per_core_runs_at_once() {
        let hash = hash_password("rahasia-123".into()).await.unwrap();
        let checks: Vec<_> = (0..16)
            .map(|_| tokio::spawn(verify_password("rahasia-123".into(), Some(hash.clone()))))
            .collect();
        for c in checks {
            assert!(c.await.unwrap());
        }
        let most = HASHING_MOST.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            most <= hashing_limit(),
            "{most} hashes ran at once on {} cores",
            hashing_limit()
        );
        assert!(most >= 1);
    }

    #[test]
    fn tokens_are_random_and_stored_only_as_hashes() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with("lk_") && a.len() == 67);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), hash_token(&b));
    }

    #[test]
    fn codes_have_six_digits() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("rahasia-123".into()).await.unwrap();
        assert!(verify_password("rahasia-123".into(), Some(h.clone())).await);
        assert!(!verify_password("salah".into(), Some(h)).await);
        assert!(!verify_password("rahasia-123".into(), None).await);
    }
}
