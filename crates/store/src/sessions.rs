//! Browser sessions, stored by the digest of the cookie value. Their CSRF tokens
//! are derived from the cookie value (`core::credentials::csrf_token`), not stored.

use sqlx::Row;
use switchboard_core::UserId;
use time::OffsetDateTime;

use crate::Store;
use crate::error::Result;
use crate::records::LoginSession;
use crate::time_ms::{from_ms, now, to_ms};
use crate::users::{USER_COLUMNS, user_from_row};

impl Store {
    pub async fn create_session(&self, digest: &str, user: UserId, expires_at: OffsetDateTime) -> Result<()> {
        sqlx::query("INSERT INTO sessions (digest, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(digest)
            .bind(user.to_string())
            .bind(to_ms(now()))
            .bind(to_ms(expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The live session with this digest, with its user; `None` when unknown or expired.
    pub async fn session(&self, digest: &str) -> Result<Option<LoginSession>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.expires_at FROM sessions s \
             JOIN users ON users.id = s.user_id WHERE s.digest = $1 AND s.expires_at > $2"
        );
        let row = sqlx::query(&sql).bind(digest).bind(to_ms(now())).fetch_optional(&self.pool).await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(LoginSession { user: user_from_row(&row)?, expires_at: from_ms(row.try_get("expires_at")?)? }))
    }

    pub async fn delete_session(&self, digest: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE digest = $1").bind(digest).execute(&self.pool).await?;
        self.changed().await
    }

    /// Sign a user out everywhere (after a password or role change).
    pub async fn delete_sessions_of(&self, user: UserId) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.to_string()).execute(&self.pool).await?;
        self.changed().await
    }

    /// Remove expired sessions; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(to_ms(now())).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
