//! Bound values written once for both ways a statement runs: through sqlx (every
//! backend) and through rusqlite on a writer thread (a SQLite file).
//!
//! The SQL text is the same for both: `$N` placeholders, which SQLite reads as
//! parameters named `$N`; [`run`] and [`query_row`] bind each by its number, so a
//! statement may use its values in any order.

use rusqlite::types::{ToSqlOutput, Value as SqliteValue};

/// One value bound to a statement. A NULL keeps its type: PostgreSQL will not take
/// a text NULL for a BIGINT column.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Self::Text(Some(value))
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Self::Text(Some(value.to_owned()))
    }
}

impl From<Option<String>> for Arg {
    fn from(value: Option<String>) -> Self {
        Self::Text(value)
    }
}

impl From<Option<&str>> for Arg {
    fn from(value: Option<&str>) -> Self {
        Self::Text(value.map(str::to_owned))
    }
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}

impl From<Option<i64>> for Arg {
    fn from(value: Option<i64>) -> Self {
        Self::Int(value)
    }
}

/// A statement and its values, `$1` first.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stmt {
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg>,
}

impl Stmt {
    pub(crate) fn new(sql: impl Into<String>, args: Vec<Arg>) -> Self {
        Self { sql: sql.into(), args }
    }

    /// The statement for sqlx, its values bound in order.
    pub(crate) fn sqlx(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        self.args.iter().fold(sqlx::query(&self.sql), |query, arg| match arg {
            Arg::Text(text) => query.bind(text.as_deref()),
            Arg::Int(int) => query.bind(*int),
        })
    }
}

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Self::Text(Some(text)) => ToSqlOutput::Borrowed(rusqlite::types::ValueRef::Text(text.as_bytes())),
            Self::Int(Some(int)) => ToSqlOutput::Owned(SqliteValue::Integer(*int)),
            Self::Text(None) | Self::Int(None) => ToSqlOutput::Owned(SqliteValue::Null),
        })
    }
}

/// Bind `stmt`'s values to a prepared rusqlite statement by their `$N` names.
fn bind(prepared: &mut rusqlite::Statement<'_>, stmt: &Stmt) -> rusqlite::Result<()> {
    for index in 1..=prepared.parameter_count() {
        let name = prepared.parameter_name(index).unwrap_or_default();
        let position: usize = name
            .strip_prefix('$')
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| rusqlite::Error::InvalidParameterName(format!("{name:?} is not a $N placeholder")))?;
        let arg = stmt.args.get(position - 1).ok_or_else(|| {
            rusqlite::Error::InvalidParameterName(format!("{name} has no value ({} given)", stmt.args.len()))
        })?;
        prepared.raw_bind_parameter(index, arg)?;
    }
    Ok(())
}

/// Run `stmt` on a rusqlite connection; the rows it changed.
pub(crate) fn run(conn: &rusqlite::Connection, stmt: &Stmt) -> rusqlite::Result<usize> {
    let mut prepared = conn.prepare_cached(&stmt.sql)?;
    bind(&mut prepared, stmt)?;
    prepared.raw_execute()
}

/// Run `stmt` on a rusqlite connection and read its one row with `read`.
pub(crate) fn query_row<T>(
    conn: &rusqlite::Connection,
    stmt: &Stmt,
    read: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let mut prepared = conn.prepare_cached(&stmt.sql)?;
    bind(&mut prepared, stmt)?;
    let mut rows = prepared.raw_query();
    match rows.next()? {
        Some(row) => read(row),
        None => Err(rusqlite::Error::QueryReturnedNoRows),
    }
}

/// Every row of `stmt`, each turned into a record by `read`.
pub(crate) fn query_map<T>(
    conn: &rusqlite::Connection,
    stmt: &Stmt,
    read: impl Fn(&rusqlite::Row<'_>) -> crate::error::Result<T>,
) -> crate::error::Result<Vec<T>> {
    let failed = |e: rusqlite::Error| crate::error::writer_error(&e);
    let mut prepared = conn.prepare_cached(&stmt.sql).map_err(failed)?;
    bind(&mut prepared, stmt).map_err(failed)?;
    let mut rows = prepared.raw_query();
    let mut read_all = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        read_all.push(read(row)?);
    }
    Ok(read_all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_bind_by_their_number_in_any_order() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (a TEXT, b BIGINT, c TEXT)").expect("table");
        let insert =
            Stmt::new("INSERT INTO t (c, a, b) VALUES ($3, $1, $2)", vec!["x".into(), 7.into(), Arg::Text(None)]);
        assert_eq!(run(&conn, &insert).expect("insert"), 1);
        let select = Stmt::new("SELECT a, b, c FROM t WHERE b = $2 AND a = $1", vec!["x".into(), 7.into()]);
        let row: (String, i64, Option<String>) =
            query_row(&conn, &select, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).expect("row");
        assert_eq!(row, ("x".to_owned(), 7, None));
        let reused = Stmt::new("UPDATE t SET b = $1 WHERE b = $1 - 1", vec![8.into()]);
        assert_eq!(run(&conn, &reused).expect("update"), 1);
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_null() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (a TEXT)").expect("table");
        let short = Stmt::new("INSERT INTO t (a) VALUES ($2)", vec!["x".into()]);
        assert!(run(&conn, &short).is_err());
        let nothing = Stmt::new("SELECT a FROM t WHERE a = $1", vec!["y".into()]);
        assert!(matches!(
            query_row(&conn, &nothing, |r| r.get::<_, String>(0)),
            Err(rusqlite::Error::QueryReturnedNoRows)
        ));
    }
}
