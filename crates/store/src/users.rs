//! Users and workspace setup.

use sqlx::Row;
use sqlx::any::AnyRow;
use switchboard_core::{Email, Role, UserId};

use crate::Store;
use crate::error::{Result, StoreError};
use crate::records::{NewUser, PasswordReset, User};
use crate::time_ms::{from_ms, now, to_ms};

pub(crate) const USER_COLUMNS: &str =
    "users.id, users.email, users.name, users.role, users.password_hash, users.developer_mode, users.created_at";

pub(crate) fn user_from_row(row: &AnyRow) -> Result<User> {
    let id: String = row.try_get("id")?;
    let email: String = row.try_get("email")?;
    let role: String = row.try_get("role")?;
    let password_hash: Option<String> = row.try_get("password_hash")?;
    Ok(User {
        id: id.parse().map_err(|_| StoreError::Corrupt(format!("user id {id:?}")))?,
        email: Email::parse(&email).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        name: row.try_get("name")?,
        role: role.parse().map_err(|e: switchboard_core::role::UnknownRole| StoreError::Corrupt(e.to_string()))?,
        developer_mode: row.try_get::<i64, _>("developer_mode")? != 0,
        has_password: password_hash.is_some(),
        created_at: from_ms(row.try_get("created_at")?)?,
    })
}

impl Store {
    /// Whether the first owner has been created.
    pub async fn is_set_up(&self) -> Result<bool> {
        let row =
            sqlx::query("SELECT setup_completed_at FROM workspace WHERE id = 1").fetch_optional(&self.pool).await?;
        Ok(match row {
            Some(row) => row.try_get::<Option<i64>, _>("setup_completed_at")?.is_some(),
            None => false,
        })
    }

    /// Create the first owner. Fails with [`StoreError::AlreadySetUp`] once the
    /// workspace has one, even when two requests race.
    pub async fn complete_setup(&self, new: NewUser) -> Result<User> {
        let mut tx = self.pool.begin().await?;
        let now = to_ms(now());
        let claimed =
            sqlx::query("UPDATE workspace SET setup_completed_at = $1 WHERE id = 1 AND setup_completed_at IS NULL")
                .bind(now)
                .execute(&mut *tx)
                .await?;
        if claimed.rows_affected() != 1 {
            return Err(StoreError::AlreadySetUp);
        }
        let user = insert_user(&mut tx, NewUser { role: Role::Owner, ..new }).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Create a user. Creating an owner also completes setup if it was pending.
    pub async fn create_user(&self, new: NewUser) -> Result<User> {
        let mut tx = self.pool.begin().await?;
        if new.role == Role::Owner {
            sqlx::query("UPDATE workspace SET setup_completed_at = COALESCE(setup_completed_at, $1) WHERE id = 1")
                .bind(to_ms(now()))
                .execute(&mut *tx)
                .await?;
        }
        let user = insert_user(&mut tx, new).await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn user(&self, id: UserId) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        user_from_row(&row)
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row = sqlx::query(&sql).bind(email.as_str()).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user with this email and their password hash, for sign-in.
    pub async fn credentials_by_email(&self, email: &Email) -> Result<Option<(User, Option<String>)>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row = sqlx::query(&sql).bind(email.as_str()).fetch_optional(&self.pool).await?;
        match row {
            Some(row) => Ok(Some((user_from_row(&row)?, row.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    pub async fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY created_at, email");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    pub async fn set_user_role(&self, id: UserId, role: Role) -> Result<User> {
        self.update_user_column(id, "role", role.as_str().to_owned()).await
    }

    pub async fn set_user_name(&self, id: UserId, name: &str) -> Result<User> {
        self.update_user_column(id, "name", name.to_owned()).await
    }

    pub async fn set_user_password(&self, id: UserId, password_hash: &str) -> Result<User> {
        self.update_user_column(id, "password_hash", password_hash.to_owned()).await
    }

    /// Reset someone's password (an admin's reset): in one transaction, set the new
    /// hash, end every browser session of theirs and, with `revoke_tokens`, revoke
    /// every personal API token of theirs, so whoever held the old password or a
    /// token made with it is out at once. Returns the user and how many tokens
    /// were revoked.
    pub async fn reset_password(&self, id: UserId, reset: PasswordReset<'_>) -> Result<(User, u64)> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(reset.password_hash)
            .bind(to_ms(now()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        let revoked = if reset.revoke_tokens {
            let done =
                sqlx::query("DELETE FROM api_tokens WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
            done.rows_affected()
        } else {
            0
        };
        tx.commit().await?;
        // Cached tokens and sessions are dropped here, before this returns.
        self.changed().await?;
        Ok((self.user(id).await?, revoked))
    }

    /// A person changes their own password: in one transaction, set the new hash and
    /// end every browser session of theirs but `keep` (the one they changed it from,
    /// if it was a session). Returns the user and how many sessions ended.
    pub async fn change_own_password(
        &self,
        id: UserId,
        password_hash: &str,
        keep: Option<&str>,
    ) -> Result<(User, u64)> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(to_ms(now()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND digest <> $2")
            .bind(id.to_string())
            .bind(keep.unwrap_or(""))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        // Cached sessions are dropped here, before this returns.
        self.changed().await?;
        Ok((self.user(id).await?, ended))
    }

    pub async fn set_developer_mode(&self, id: UserId, enabled: bool) -> Result<User> {
        self.update_user_column(id, "developer_mode", i64::from(enabled)).await
    }

    /// Remove a user with their sessions, tokens and group memberships.
    pub async fn delete_user(&self, id: UserId) -> Result<()> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1").bind(id.to_string()).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        self.changed().await
    }

    async fn update_user_column<V>(&self, id: UserId, column: &'static str, value: V) -> Result<User>
    where
        V: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
    {
        let sql = format!("UPDATE users SET {column} = $1, updated_at = $2 WHERE id = $3");
        let done = sqlx::query(&sql).bind(value).bind(to_ms(now())).bind(id.to_string()).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        self.changed().await?;
        self.user(id).await
    }
}

async fn insert_user(tx: &mut sqlx::Transaction<'static, sqlx::Any>, new: NewUser) -> Result<User> {
    let id = UserId::new();
    let now = now();
    sqlx::query(
        "INSERT INTO users (id, email, name, role, password_hash, developer_mode, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
    )
    .bind(id.to_string())
    .bind(new.email.as_str())
    .bind(&new.name)
    .bind(new.role.as_str())
    .bind(&new.password_hash)
    .bind(to_ms(now))
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::unique(e, format!("a user with email {} already exists", new.email)))?;
    Ok(User {
        id,
        email: new.email,
        name: new.name,
        role: new.role,
        developer_mode: false,
        has_password: new.password_hash.is_some(),
        created_at: now,
    })
}
