//! Charger passwords (OCPP security profile 1, HTTP Basic): generated, shown once, stored as SHA-256.
//! A generated 24-character password carries ~142 bits, so a fast hash is enough; comparison is in
//! constant time.

use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use voltgate_domain::text::Name;
use voltgate_domain::ChargePointIdentity;
use voltgate_store::NewCharger;

/// A charger to register with a fresh password; returns it with the password to show (once).
pub fn new_charger(
    identity: ChargePointIdentity,
    name: Name,
    connectors: u8,
) -> (NewCharger, String) {
    let password = generate();
    let new = NewCharger {
        identity,
        name,
        connectors,
        password_hash: hash(&password),
    };
    (new, password)
}

/// A new random password.
pub fn generate() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// The stored form of a password.
pub fn hash(password: &str) -> String {
    Sha256::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `password` matches the stored hash.
pub fn verify(password: &str, stored: &str) -> bool {
    hash(password).as_bytes().ct_eq(stored.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_verify_and_differ() {
        let password = generate();
        assert_eq!(password.len(), 24);
        assert!(verify(&password, &hash(&password)));
        assert!(!verify("guess", &hash(&password)));
        assert_ne!(generate(), password);
    }
}
