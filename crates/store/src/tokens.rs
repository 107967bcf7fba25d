//! Personal API tokens, stored by digest.

use sqlx::Row;
use sqlx::any::AnyRow;
use switchboard_core::{TokenId, UserId};

use crate::Store;
use crate::error::{Result, StoreError};
use crate::records::{ApiToken, NewApiToken, TokenHolder, User};
use crate::time_ms::{from_ms, now, opt_from_ms, to_ms};
use crate::users::{USER_COLUMNS, user_from_row};

/// How precisely a token's last use is recorded, in milliseconds.
pub const TOKEN_USE_RESOLUTION_MS: i64 = 60_000;

const TOKEN_COLUMNS: &str = "t.id, t.user_id, t.name, t.hint, t.created_at, t.expires_at, t.last_used_at";

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    let id: String = row.try_get("id")?;
    let user_id: String = row.try_get("user_id")?;
    Ok(ApiToken {
        id: id.parse().map_err(|_| StoreError::Corrupt(format!("token id {id:?}")))?,
        user_id: user_id.parse().map_err(|_| StoreError::Corrupt(format!("user id {user_id:?}")))?,
        name: row.try_get("name")?,
        hint: row.try_get("hint")?,
        created_at: from_ms(row.try_get("created_at")?)?,
        expires_at: opt_from_ms(row.try_get("expires_at")?)?,
        last_used_at: opt_from_ms(row.try_get("last_used_at")?)?,
    })
}

impl Store {
    pub async fn create_api_token(&self, new: NewApiToken) -> Result<ApiToken> {
        let id = TokenId::new();
        let created_at = now();
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, digest, hint, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(new.user_id.to_string())
        .bind(&new.name)
        .bind(&new.digest)
        .bind(&new.hint)
        .bind(to_ms(created_at))
        .bind(new.expires_at.map(to_ms))
        .execute(&self.pool)
        .await?;
        Ok(ApiToken {
            id,
            user_id: new.user_id,
            name: new.name,
            hint: new.hint,
            created_at,
            expires_at: new.expires_at,
            last_used_at: None,
        })
    }

    pub async fn list_api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.created_at");
        let rows = sqlx::query(&sql).bind(user.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revoke one of a user's tokens. Another user's token is "not found", not "forbidden".
    pub async fn delete_api_token(&self, user: UserId, id: TokenId) -> Result<()> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("token"));
        }
        self.changed().await
    }

    /// The user a live token belongs to, recording its use (see [`Store::record_token_use`]).
    pub async fn user_by_token_digest(&self, digest: &str) -> Result<Option<User>> {
        let Some(holder) = self.token_holder(digest).await? else { return Ok(None) };
        if holder.last_used_at.is_none_or(|at| to_ms(at) < to_ms(now()) - TOKEN_USE_RESOLUTION_MS) {
            self.record_token_use(holder.token_id).await?;
        }
        Ok(Some(holder.user))
    }

    /// The live token with this digest and its user, without recording its use.
    pub async fn token_holder(&self, digest: &str) -> Result<Option<TokenHolder>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.id AS token_id, t.expires_at AS token_expires_at, \
             t.last_used_at AS token_last_used_at FROM api_tokens t \
             JOIN users ON users.id = t.user_id WHERE t.digest = $1 AND (t.expires_at IS NULL OR t.expires_at > $2)"
        );
        let Some(row) = sqlx::query(&sql).bind(digest).bind(to_ms(now())).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let token_id: String = row.try_get("token_id")?;
        Ok(Some(TokenHolder {
            token_id: token_id.parse().map_err(|_| StoreError::Corrupt(format!("token id {token_id:?}")))?,
            user: user_from_row(&row)?,
            expires_at: opt_from_ms(row.try_get("token_expires_at")?)?,
            last_used_at: opt_from_ms(row.try_get("token_last_used_at")?)?,
        }))
    }

    /// Note that a token was used now. Coarse: at most one write a minute per
    /// token (an UPDATE that changes nothing still takes SQLite's write lock), so
    /// callers should call it only when their last recorded use is older than that.
    pub async fn record_token_use(&self, id: TokenId) -> Result<()> {
        let now = to_ms(now());
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(now - TOKEN_USE_RESOLUTION_MS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
