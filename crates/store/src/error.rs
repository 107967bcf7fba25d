use thiserror::Error;

/// What went wrong in the store. Callers match on the variants that mean
/// something to a user (`NotFound`, `Conflict`, `AlreadySetUp`); the rest are
/// internal and are logged, not shown.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("the workspace already has an owner")]
    AlreadySetUp,
    #[error("cannot reach the database at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("unsupported database url {0:?}: use sqlite://PATH or postgres://USER@HOST:PORT/DB")]
    UnsupportedUrl(String),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("a stored value is corrupt: {0}")]
    Corrupt(String),
    #[error("secret key: {0}")]
    Key(String),
    #[error("instance id: {0}")]
    Instance(String),
    #[error("a secret could not be decrypted: wrong SWITCHBOARD_SECRET_KEY or key file for this database")]
    Decrypt,
    #[error("the audit trail could not be written: {0}")]
    AuditLog(String),
    /// The turn writer's own connection failed (a SQLite file).
    #[error("database error: {0}")]
    Writer(String),
    /// The database's disk is full (SQLite's `SQLITE_FULL`, PostgreSQL's `53100`): the
    /// transaction did not commit, and nothing of it was written.
    #[error("the database has no space left: {0}")]
    StorageFull(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        let full = matches!(&err, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("13" | "53100")));
        if full { Self::StorageFull(err.to_string()) } else { Self::Database(err) }
    }
}

/// PostgreSQL's codes for a session it ends because it is going away: a connection
/// exception (class `08`), an administrator's or a crash's shutdown, a start not yet done.
fn is_going_away(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
}

/// A failure of a writer thread's own connection (a SQLite file), as its caller sees it.
pub(crate) fn writer_error(err: &rusqlite::Error) -> StoreError {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => StoreError::StorageFull(err.to_string()),
        _ => StoreError::Writer(err.to_string()),
    }
}

impl StoreError {
    /// The database could not be reached right now (down, or no free connection), or
    /// ended the session as it shut down or restarted.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Unreachable { .. } | Self::AuditLog(_) | Self::Writer(_) => true,
            Self::Database(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)) => true,
            Self::Database(sqlx::Error::Database(db)) => db.code().is_some_and(|code| is_going_away(&code)),
            _ => false,
        }
    }

    /// A stored value that does not parse: what it is, and why.
    pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> Self {
        Self::Corrupt(format!("{what}: {e}"))
    }

    /// Map a unique-constraint violation to `Conflict(message)`, anything else to `Database`.
    pub(crate) fn unique(err: sqlx::Error, message: impl Into<String>) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict(message.into()),
            _ => err.into(),
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use super::is_going_away;

    #[test]
    fn sessions_ended_by_a_server_going_away_are_told_apart() {
        for code in ["57P01", "57P02", "57P03", "08006", "08003"] {
            assert!(is_going_away(code), "{code}");
        }
        // A constraint, a syntax error, a full disk: not the server going away.
        for code in ["23505", "42601", "53100", "13"] {
            assert!(!is_going_away(code), "{code}");
        }
    }
}
