//! The visit receipt (走访回执): when a visit is finished, offline, the tablet makes a random
//! token and shows the enterprise a QR code of a link to it on the portal. The token stays on
//! the device; the visit carries only its SHA-256, so the link opens that visit's appeals once
//! the visit is uploaded, and says plainly that it is not yet before. Anyone holding the link
//! sees those appeals and may rate them, as on a paper receipt; the office can revoke it.

use sha2::{Digest, Sha256};

/// The token's length in hex characters: 256 bits, beyond guessing (and guesses are throttled).
pub const TOKEN_LEN: usize = 64;

/// What the visit keeps of a token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Whether `text` could be a token (or a hash: both are 64 lowercase hex characters).
pub fn well_formed(text: &str) -> bool {
    text.len() == TOKEN_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The link the QR code carries: the portal's receipt page under the server's address.
pub fn link(server: &str, token: &str) -> String {
    format!("{}/portal/r/{token}", server.trim().trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_is_kept_as_its_hash_and_linked_under_the_server() {
        let token = "ab".repeat(32);
        assert!(well_formed(&token) && well_formed(&hash(&token)));
        assert_ne!(hash(&token), token);
        assert!(!well_formed("AB") && !well_formed(&"g".repeat(64)));
        assert_eq!(
            link("https://desk.example.cn/ ", &token),
            format!("https://desk.example.cn/portal/r/{token}")
        );
    }
}
