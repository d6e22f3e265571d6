//! argon2id password hashes, computed off the async threads.

use std::sync::OnceLock;

use anyhow::{anyhow, Context};
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use voltgate_domain::Password;

/// Hashes a new password (argon2id, random salt) into a PHC string.
pub async fn hash(password: Password) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow!("hashing a password: {e}"))
    })
    .await
    .context("the hashing task")?
}

/// A hash of nothing anyone knows, checked when an account does not exist so that a login takes as
/// long whether or not the account exists.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let secret: [u8; 32] = rand::random();
        Argon2::default()
            .hash_password(&secret)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

/// Whether `password` matches `hash`; with no hash, checks a decoy and answers false.
pub async fn verify(password: String, hash: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| decoy_hash().to_owned());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| anyhow!("a stored password hash is unreadable: {e}"))?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
    .context("the verifying task")?
}
