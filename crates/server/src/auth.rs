//! Passwords (argon2id), device tokens (256 random bits, stored only as a SHA-256 hash) and the
//! slowing down of repeated failed logins.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so a wrong name costs as long as a
/// wrong password and does not reveal which names exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password"))
}

/// A new device token and the hash the server keeps of it.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = format!("desk_{}", hex::encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub const MIN_PASSWORD_CHARS: usize = 8;

/// Failed logins per user name, in this process. The first few failures cost nothing extra;
/// after that each attempt waits twice as long as the last, up to a limit, until a success or
/// a quiet quarter of an hour. (Each replica counts its own; with several replicas an attacker
/// gains at most a factor of their number.)
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

const FREE_FAILURES: u32 = 3;
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
const MAX_DELAY: Duration = Duration::from_secs(8);

impl Throttle {
    /// How long an attempt for `user` must wait before its password is checked.
    pub fn delay(&self, user: &str) -> Duration {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(user) {
            Some((_, at)) if at.elapsed() > FORGET_AFTER => {
                map.remove(user);
                Duration::ZERO
            }
            Some((n, _)) if *n > FREE_FAILURES => {
                let exp = (*n - FREE_FAILURES).min(10);
                (Duration::from_millis(250) * 2u32.pow(exp - 1)).min(MAX_DELAY)
            }
            _ => Duration::ZERO,
        }
    }

    pub fn failed(&self, user: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(user.to_owned()).or_insert((0, Instant::now()));
        entry.0 += 1;
        entry.1 = Instant::now();
    }

    pub fn succeeded(&self, user: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("正确的密码 correct");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正确的密码 correct", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), "desk_".len() + 64, "256 bits");
        assert_eq!(token_hash(&a), ha);
        assert!(!ha.contains(&a[5..]));
    }

    #[test]
    fn repeated_failures_slow_down_and_success_resets() {
        let t = Throttle::default();
        for _ in 0..FREE_FAILURES {
            t.failed("zhang");
        }
        assert_eq!(t.delay("zhang"), Duration::ZERO);
        t.failed("zhang");
        let first = t.delay("zhang");
        t.failed("zhang");
        assert!(t.delay("zhang") > first && first > Duration::ZERO);
        for _ in 0..20 {
            t.failed("zhang");
        }
        assert_eq!(t.delay("zhang"), MAX_DELAY);
        assert_eq!(t.delay("li"), Duration::ZERO, "per user");
        t.succeeded("zhang");
        assert_eq!(t.delay("zhang"), Duration::ZERO);
    }
}
