//! Named secrets, sealed with the master key before they are stored.

use sqlx::Row;
use switchboard_core::SecretString;

use crate::Store;
use crate::error::{Result, StoreError};
use crate::time_ms::{now, to_ms};

impl Store {
    /// Store (or replace) a secret. The name is bound into the ciphertext, so a
    /// sealed value copied to another row does not open.
    pub async fn put_secret(&self, name: &str, value: &SecretString) -> Result<()> {
        let sealed = self.key.seal(name.as_bytes(), value.expose().as_bytes())?;
        sqlx::query(
            "INSERT INTO secrets (name, sealed, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(sealed)
        .bind(to_ms(now()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn secret(&self, name: &str) -> Result<Option<SecretString>> {
        let row =
            sqlx::query("SELECT sealed FROM secrets WHERE name = $1").bind(name).fetch_optional(&self.pool).await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Vec<u8> = row.try_get("sealed")?;
        let plain = self.key.open(name.as_bytes(), &sealed)?;
        String::from_utf8(plain)
            .map(|s| Some(SecretString::new(s)))
            .map_err(|_| StoreError::Corrupt(format!("secret {name:?} is not UTF-8")))
    }

    pub async fn delete_secret(&self, name: &str) -> Result<()> {
        sqlx::query("DELETE FROM secrets WHERE name = $1").bind(name).execute(&self.pool).await?;
        Ok(())
    }
}
