//! Sign-in attempts that did not succeed, counted per account and per client
//! address in the database, so every server sharing it counts the same (the limits
//! are `core::sign_in`'s).

use std::time::Duration;

use sqlx::Row;
use switchboard_core::sign_in::Failures;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Store;
use crate::error::Result;
use crate::time_ms::{now, to_ms};

/// Most earlier attempts read per account or address: more than any limit.
const MOST_READ: i64 = 1000;

/// A sign-in being checked. Its row counts as a failure until the attempt is
/// withdrawn or succeeds, so a sign-in cut off while its password is checked
/// counts as failed.
#[derive(Debug)]
pub struct SignInAttempt {
    id: String,
    account: String,
    /// The earlier attempts of its account and address in the window that did not
    /// succeed (failed, or still being checked).
    pub failures: Failures,
}

impl Store {
    /// Record an attempt to sign in to `account` from `address` (the keys of
    /// `core::sign_in`) before its password is checked, then read the earlier
    /// attempts of each within `window`. Recorded first, so that attempts made at
    /// once see each other: of any number made together, at most the limit go ahead.
    pub async fn begin_sign_in(&self, account: &str, address: &str, window: Duration) -> Result<SignInAttempt> {
        let id = Uuid::new_v4().to_string();
        let now = now();
        sqlx::query("INSERT INTO sign_in_attempts (id, account, address, at) VALUES ($1, $2, $3, $4)")
            .bind(&id)
            .bind(account)
            .bind(address)
            .bind(to_ms(now))
            .execute(&self.pool)
            .await?;
        let since = to_ms(now) - i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let mut failures = Failures::default();
        for (column, key, ages) in
            [("account", account, &mut failures.account), ("address", address, &mut failures.address)]
        {
            let sql = format!(
                "SELECT at FROM sign_in_attempts WHERE {column} = $1 AND at > $2 AND id <> $3 ORDER BY at DESC LIMIT $4"
            );
            let rows = sqlx::query(&sql).bind(key).bind(since).bind(&id).bind(MOST_READ).fetch_all(&self.pool).await?;
            for row in rows {
                let at: i64 = row.try_get("at")?;
                ages.push(Duration::from_millis(u64::try_from(to_ms(now) - at).unwrap_or(0)));
            }
        }
        Ok(SignInAttempt { id, account: account.to_owned(), failures })
    }

    /// The attempt was refused before its password was checked: it does not count.
    pub async fn withdraw_sign_in(&self, attempt: &SignInAttempt) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_attempts WHERE id = $1").bind(&attempt.id).execute(&self.pool).await?;
        Ok(())
    }

    /// The attempt succeeded: it does not count, and the account's earlier failures
    /// are forgotten. The address's are not: whoever holds one account must not be
    /// able to clear the count of the address they try others from.
    pub async fn sign_in_succeeded(&self, attempt: &SignInAttempt) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sign_in_attempts WHERE id = $1").bind(&attempt.id).execute(&mut *tx).await?;
        sqlx::query("UPDATE sign_in_attempts SET account = NULL WHERE account = $1")
            .bind(&attempt.account)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forget the attempts made before `before`; returns how many.
    pub async fn purge_sign_in_attempts(&self, before: OffsetDateTime) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM sign_in_attempts WHERE at < $1").bind(to_ms(before)).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
