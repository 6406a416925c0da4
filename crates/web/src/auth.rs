//! Secrets: password hashing (Argon2id, off the async threads), random tokens and codes, and
//! the hashes under which tokens and codes are stored.

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Hashes a password with Argon2id on a blocking thread.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(ApiError::internal)
}

/// Checks a password against a PHC hash on a blocking thread; `None` burns the same time
/// against a fixed hash so that unknown accounts cannot be told apart by timing.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => password_auth::verify_password(password, &h).is_ok(),
        None => {
            let _ = password_auth::verify_password(password, dummy_hash());
            false
        }
    })
    .await
    .unwrap_or(false)
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
