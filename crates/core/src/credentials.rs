//! Passwords, API tokens and other random credentials.
//!
//! Passwords are hashed with Argon2id (PHC string format); tokens are 256 random
//! bits shown once and stored only as a SHA-256 digest, which is enough for values
//! that cannot be guessed.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::SecretString;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted; bounds the hashing work one request can ask for.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Prefix of personal API tokens, so a leaked one is recognisable by secret scanners.
pub const API_TOKEN_PREFIX: &str = "sb_";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is too short: use at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password is too long: use at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("the password could not be hashed")]
    Hashing,
}

/// Check a new password against the length rules.
pub fn validate_password(password: &SecretString) -> Result<(), PasswordError> {
    if password.expose().len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    if password.expose().chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    Ok(())
}

/// Hash a password with Argon2id and a random salt, as a PHC string.
pub fn hash_password(password: &SecretString) -> Result<String, PasswordError> {
    validate_password(password)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hashing)
}

/// Whether `password` matches `phc`. With `phc == None` (no such user, or a user
/// without a password) it still does the same work against a fixed hash and
/// answers `false`, so the time taken does not tell whether an account exists.
pub fn verify_password(password: &SecretString, phc: Option<&str>) -> bool {
    let candidate = password.expose().as_bytes();
    if candidate.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    let (phc, real) = match phc {
        Some(phc) => (phc, true),
        None => (DUMMY_HASH, false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let ok = Argon2::default().verify_password(candidate, &parsed).is_ok();
    ok && real
}

/// An Argon2id hash (default parameters) of a random password nobody knows.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3dpdGNoYm9hcmRkdW1teQ$9Yp7c3Jx0cQ3xgmM6b1kqA0x4b6qJ3wq9b6m0FsZ0wE";

/// `n` random bytes from the operating system, URL-safe base64 without padding.
pub fn random_token(n: usize) -> SecretString {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    SecretString::new(URL_SAFE_NO_PAD.encode(bytes))
}

/// A new personal API token: `sb_` followed by 256 random bits.
pub fn new_api_token() -> SecretString {
    SecretString::new(format!("{API_TOKEN_PREFIX}{}", random_token(32).expose()))
}

/// Longest lifetime of a personal API token, in days.
pub const MAX_TOKEN_DAYS: u32 = 3650;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a token's lifetime must be between 1 and {MAX_TOKEN_DAYS} days")]
pub struct InvalidTokenLifetime;

/// How long a token asked to live `days` days lives: `None` for ever (no expiry).
pub fn token_lifetime(days: Option<u32>) -> Result<Option<std::time::Duration>, InvalidTokenLifetime> {
    match days {
        None => Ok(None),
        Some(d @ 1..=MAX_TOKEN_DAYS) => Ok(Some(std::time::Duration::from_secs(u64::from(d) * 86_400))),
        Some(_) => Err(InvalidTokenLifetime),
    }
}

/// When a token issued at `now` and asked to live `days` days expires: `None`
/// for never. The API and the CLI both issue tokens through this.
pub fn token_expiry(
    days: Option<u32>,
    now: time::OffsetDateTime,
) -> Result<Option<time::OffsetDateTime>, InvalidTokenLifetime> {
    Ok(token_lifetime(days)?.map(|lifetime| now + lifetime))
}

/// A new personal API token as it is handed out once and stored for ever after.
#[derive(Debug)]
pub struct IssuedToken {
    /// Shown to its holder once, never stored.
    pub secret: SecretString,
    /// What is stored and looked up.
    pub digest: String,
    /// Its last four characters, to tell tokens apart in lists.
    pub hint: String,
}

/// Issue a new personal API token.
pub fn issue_api_token() -> IssuedToken {
    let secret = new_api_token();
    let exposed = secret.expose();
    let hint = exposed[exposed.len() - 4..].to_owned();
    IssuedToken { digest: token_digest(&secret), hint, secret }
}

/// The digest under which a token (API token, session id) is stored and looked up.
pub fn token_digest(token: &SecretString) -> String {
    let digest = Sha256::digest(token.expose().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CSRF token of a browser session: HMAC-SHA256, keyed by the session's secret
/// (the value of its cookie), of a fixed label. It is derived on each request and
/// never stored: the database holds only the session's [`token_digest`], from which
/// neither the cookie nor this token can be found, and a page that cannot read the
/// (`HttpOnly`) cookie cannot compute it.
pub fn csrf_token(session_secret: &SecretString) -> SecretString {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(session_secret.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"switchboard csrf token v1");
    SecretString::new(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_bound_to_their_session_and_reveal_nothing_stored() {
        let session = random_token(32);
        let csrf = csrf_token(&session);
        assert!(csrf.ct_eq(csrf_token(&session).expose()), "the same session always has the same token");
        assert!(!csrf.ct_eq(csrf_token(&random_token(32)).expose()), "another session has another token");
        assert_ne!(csrf.expose(), token_digest(&session), "the token is not the stored digest");
        assert_ne!(csrf.expose(), session.expose());
        assert_eq!(csrf.expose().len(), 43, "256 bits, URL-safe base64 without padding");
    }

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let pw = SecretString::new("correct horse battery");
        let a = hash_password(&pw).expect("hashes");
        let b = hash_password(&pw).expect("hashes");
        assert_ne!(a, b, "salts differ");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password(&pw, Some(&a)));
        assert!(!verify_password(&SecretString::new("wrong horse battery"), Some(&a)));
    }

    #[test]
    fn unknown_user_never_verifies() {
        let pw = SecretString::new("whatever it is");
        assert!(!verify_password(&pw, None));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok(), "the dummy hash parses, so the work is done");
    }

    #[test]
    fn password_length_rules() {
        assert_eq!(validate_password(&SecretString::new("short")), Err(PasswordError::TooShort));
        assert_eq!(validate_password(&SecretString::new("x".repeat(1025))), Err(PasswordError::TooLong));
        assert_eq!(validate_password(&SecretString::new("ten chars!")), Ok(()));
    }

    #[test]
    fn token_lifetimes_are_bounded() {
        let day = std::time::Duration::from_secs(86_400);
        assert_eq!(token_lifetime(None), Ok(None));
        assert_eq!(token_lifetime(Some(1)), Ok(Some(day)));
        assert_eq!(token_lifetime(Some(MAX_TOKEN_DAYS)), Ok(Some(day * MAX_TOKEN_DAYS)));
        assert_eq!(token_lifetime(Some(0)), Err(InvalidTokenLifetime));
        assert_eq!(token_lifetime(Some(MAX_TOKEN_DAYS + 1)), Err(InvalidTokenLifetime));
    }

    #[test]
    fn token_expiry_counts_days_from_issue() {
        let now = time::macros::datetime!(2026-01-31 12:00 UTC);
        assert_eq!(token_expiry(None, now), Ok(None));
        assert_eq!(token_expiry(Some(1), now), Ok(Some(time::macros::datetime!(2026-02-01 12:00 UTC))));
        assert_eq!(token_expiry(Some(30), now), Ok(Some(time::macros::datetime!(2026-03-02 12:00 UTC))));
        assert_eq!(token_expiry(Some(0), now), Err(InvalidTokenLifetime));
        assert_eq!(token_expiry(Some(MAX_TOKEN_DAYS + 1), now), Err(InvalidTokenLifetime));
    }

    #[test]
    fn issued_tokens_carry_their_digest_and_hint() {
        let issued = issue_api_token();
        assert_eq!(issued.digest, token_digest(&issued.secret));
        assert!(issued.secret.expose().ends_with(&issued.hint));
        assert_eq!(issued.hint.len(), 4);
    }

    #[test]
    fn api_tokens_are_prefixed_random_and_digested() {
        let a = new_api_token();
        let b = new_api_token();
        assert!(a.expose().starts_with(API_TOKEN_PREFIX));
        assert_eq!(a.expose().len(), API_TOKEN_PREFIX.len() + 43);
        assert_ne!(a, b);
        assert_eq!(token_digest(&a).len(), 64);
        assert_eq!(token_digest(&a), token_digest(&a.clone()));
        assert_ne!(token_digest(&a), token_digest(&b));
    }
}
