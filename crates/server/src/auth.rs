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

/// A password long enough to set.
pub fn check_password(password: &str) -> Result<(), crate::error::ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(crate::error::ApiError::bad_request(format!(
            "password：密码至少 {MIN_PASSWORD_CHARS} 个字符 (at least {MIN_PASSWORD_CHARS} characters)"
        ))
        .field("password"));
    }
    Ok(())
}

/// Failed sign-ins, per account and per client address, in this process. Each attempt takes a
/// slot in both before its password is checked, under one lock, so parallel guesses are
/// counted as they arrive; a success gives its slots back. Once either has used its allowance
/// within the window, attempts are answered at once with the time until a slot frees. (Each
/// replica counts its own; with several replicas a guesser gains at most their number.)
pub struct Throttle {
    limits: Limits,
    slots: Mutex<HashMap<String, Vec<Instant>>>,
}

/// How many failed sign-ins each may have within `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_account: usize,
    pub per_address: usize,
    pub window: Duration,
}

/// A slot taken by an attempt, given back if it succeeds.
pub struct Attempt {
    keys: Vec<String>,
    at: Instant,
}

impl Throttle {
    pub fn new(limits: Limits) -> Throttle {
        Throttle {
            limits,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a slot for an attempt on `account` from `address`, or says how long to wait.
    pub fn begin(&self, account: &str, address: &str) -> Result<Attempt, Duration> {
        self.take(vec![
            (format!("user:{account}"), self.limits.per_account),
            (format!("addr:{address}"), self.limits.per_address),
        ])
    }

    /// Takes a slot for trying a secret link or key (a visit receipt, an integration's key)
    /// from `address`: counted per address and `kind` only, since no one secret can be guessed
    /// and one caller must not lock the others out.
    pub fn begin_guess(&self, kind: &str, address: &str) -> Result<Attempt, Duration> {
        self.take(vec![(
            format!("{kind}:addr:{address}"),
            self.limits.per_address,
        )])
    }

    fn take(&self, limited: Vec<(String, usize)>) -> Result<Attempt, Duration> {
        let now = Instant::now();
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let window = self.limits.window;
        let mut wait = Duration::ZERO;
        for (key, limit) in &limited {
            let limit = *limit;
            let taken = slots.entry(key.clone()).or_default();
            taken.retain(|t| now.duration_since(*t) < window);
            if taken.len() >= limit {
                let oldest = taken[taken.len() - limit];
                wait = wait.max(window - now.duration_since(oldest));
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        let keys: Vec<String> = limited.into_iter().map(|(k, _)| k).collect();
        for key in &keys {
            slots.entry(key.clone()).or_default().push(now);
        }
        // Forget quiet keys now and then, so the map does not grow with every name tried.
        if slots.len() > 10_000 {
            slots.retain(|_, t| t.iter().any(|t| now.duration_since(*t) < window));
        }
        Ok(Attempt { keys, at: now })
    }

    /// The password was right: the attempt's slots are free again.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        for key in &attempt.keys {
            if let Some(taken) = slots.get_mut(key) {
                if let Some(i) = taken.iter().position(|t| *t == attempt.at) {
                    taken.remove(i);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guessing_a_secret_from_one_address_locks_out_no_one_else() {
        let t = Throttle::new(Limits {
            per_account: 2,
            per_address: 2,
            window: Duration::from_secs(60),
        });
        for _ in 0..2 {
            t.begin_guess("receipt", "10.0.0.9").unwrap();
        }
        assert!(t.begin_guess("receipt", "10.0.0.9").is_err());
        assert!(
            t.begin_guess("receipt", "10.0.0.10").is_ok(),
            "another address"
        );
        assert!(t.begin_guess("open311", "10.0.0.9").is_ok(), "another kind");
        assert!(
            t.begin("receipt", "10.0.0.11").is_ok(),
            "an account of that name"
        );
    }

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
    fn guesses_run_out_per_account_and_per_address_and_success_gives_back() {
        let t = Throttle::new(Limits {
            per_account: 3,
            per_address: 5,
            window: Duration::from_secs(60),
        });
        for _ in 0..3 {
            t.begin("zhang", "10.0.0.1").unwrap();
        }
        let wait = t
            .begin("zhang", "10.0.0.2")
            .err()
            .expect("the account ran out");
        assert!(wait > Duration::from_secs(55) && wait <= Duration::from_secs(60));
        t.begin("li", "10.0.0.1").unwrap();
        t.begin("wang", "10.0.0.1").unwrap();
        assert!(t.begin("zhao", "10.0.0.1").is_err(), "the address ran out");
        let ok = t.begin("qian", "10.0.0.3").unwrap();
        t.succeeded(ok);
        for _ in 0..3 {
            t.begin("qian", "10.0.0.3").unwrap();
        }
    }
}
