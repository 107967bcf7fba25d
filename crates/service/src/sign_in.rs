//! Signing in with a password and the browser sessions it starts: failed
//! attempts limited per account and per client address (`core::sign_in`,
//! counted in the database so every server sharing it counts the same).

use std::net::IpAddr;
use std::time::Duration;

use switchboard_core::credentials::{random_token, token_digest, verify_password};
use switchboard_core::sign_in::{self, SignInLimits};
use switchboard_core::{Email, SecretString};
use switchboard_store::{SignInAttempt, Store, User};
use time::OffsetDateTime;

use crate::error::{Result, ServiceError};

/// How sign-ins and browser sessions behave.
#[derive(Clone, Debug)]
pub struct SignInConfig {
    pub limits: SignInLimits,
    /// How long a browser session lasts.
    pub session_ttl: Duration,
}

impl Default for SignInConfig {
    fn default() -> Self {
        Self { limits: SignInLimits::default(), session_ttl: Duration::from_secs(14 * 24 * 3600) }
    }
}

/// A browser session just started: the secret its cookie carries.
#[derive(Debug)]
pub struct StartedSession {
    pub cookie: SecretString,
    pub expires_at: OffsetDateTime,
}

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct SignIns {
    store: Store,
    config: SignInConfig,
}

impl SignIns {
    pub(crate) fn new(store: Store, config: SignInConfig) -> Self {
        Self { store, config }
    }

    /// Record a password attempt on the account named by `email` from `address`,
    /// or refuse it ("limited", before any password is checked) when the account
    /// or the address has had too many failures in the window. The attempt
    /// counts as a failure until a password check succeeds.
    pub async fn attempt(&self, email: &str, address: Option<IpAddr>) -> Result<SignInAttempt> {
        let limits = &self.config.limits;
        let account = sign_in::account_key(email);
        let address = address.map_or_else(|| "unknown".to_owned(), sign_in::address_key);
        let attempt = self.store.begin_sign_in(&account, &address, limits.window).await?;
        let Some(wait) = sign_in::wait(limits, &attempt.failures) else { return Ok(attempt) };
        self.store.withdraw_sign_in(&attempt).await?;
        tracing::warn!(wait_seconds = wait.as_secs(), "password attempt refused after too many failures");
        Err(ServiceError::Limited {
            code: "too_many_sign_ins",
            message: "too many failed sign-ins for this account or from this address; wait and try again".into(),
            retry_after: wait,
        })
    }

    /// The user whose email and password these are, or `None` (a wrong password
    /// and an unknown email are not told apart, and take the same work).
    pub async fn sign_in(&self, attempt: &SignInAttempt, email: &str, password: SecretString) -> Result<Option<User>> {
        let user = check_password(&self.store, attempt, email, password).await?;
        if let Some(user) = &user {
            tracing::info!(user = %user.id, "signed in");
        }
        Ok(user)
    }

    /// Start a browser session for `user`.
    pub async fn start_session(&self, user: &User) -> Result<StartedSession> {
        let cookie = random_token(32);
        let expires_at = OffsetDateTime::now_utc() + self.config.session_ttl;
        self.store.create_session(&token_digest(&cookie), user.id, expires_at).await?;
        Ok(StartedSession { cookie, expires_at })
    }

    /// End the browser session whose cookie has this digest.
    pub async fn end_session(&self, digest: &str) -> Result<()> {
        Ok(self.store.delete_session(digest).await?)
    }

    /// How long a browser session lasts.
    pub fn session_ttl(&self) -> Duration {
        self.config.session_ttl
    }
}

/// The user if `password` is theirs, ending `attempt` as a success; `None`
/// otherwise, the attempt left counting as a failure. Without an account (or a
/// password) this still checks against a fixed hash: the same work, so the time
/// taken does not tell whether the account exists.
pub(crate) async fn check_password(
    store: &Store,
    attempt: &SignInAttempt,
    email: &str,
    password: SecretString,
) -> Result<Option<User>> {
    let found = match Email::parse(email) {
        Ok(email) => store.credentials_by_email(&email).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, hash.as_deref()))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    match (ok, user) {
        (true, Some(user)) => {
            store.sign_in_succeeded(attempt).await?;
            Ok(Some(user))
        }
        _ => Ok(None),
    }
}
