//! A row's columns read by name, alike from sqlx and from rusqlite, so one
//! function turns a row into a record whichever connection read it (the pool,
//! or the turn writer's own connection).

use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::error::{Result, StoreError, writer_error};

/// The column types the schema uses: TEXT and BIGINT, each maybe NULL.
pub(crate) trait Columns {
    fn text(&self, name: &str) -> Result<String>;
    fn opt_text(&self, name: &str) -> Result<Option<String>>;
    fn int(&self, name: &str) -> Result<i64>;
    fn opt_int(&self, name: &str) -> Result<Option<i64>>;
}

impl Columns for AnyRow {
    fn text(&self, name: &str) -> Result<String> {
        Ok(self.try_get(name)?)
    }

    fn opt_text(&self, name: &str) -> Result<Option<String>> {
        Ok(self.try_get(name)?)
    }

    fn int(&self, name: &str) -> Result<i64> {
        Ok(self.try_get(name)?)
    }

    fn opt_int(&self, name: &str) -> Result<Option<i64>> {
        Ok(self.try_get(name)?)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, name: &str) -> Result<String> {
        self.get(name).map_err(|e| writer_error(&e))
    }

    fn opt_text(&self, name: &str) -> Result<Option<String>> {
        self.get(name).map_err(|e| writer_error(&e))
    }

    fn int(&self, name: &str) -> Result<i64> {
        self.get(name).map_err(|e| writer_error(&e))
    }

    fn opt_int(&self, name: &str) -> Result<Option<i64>> {
        self.get(name).map_err(|e| writer_error(&e))
    }
}

/// A column's text parsed as `T` (an id, say); a value that does not parse is corrupt data.
pub(crate) fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| StoreError::corrupt(what, e))
}

/// A TEXT column that holds JSON, maybe NULL.
pub(crate) fn json_column(row: &impl Columns, name: &str) -> Result<Option<serde_json::Value>> {
    let text = row.opt_text(name)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::corrupt(name, e))).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rusqlite_rows_read_text_and_integers_maybe_null() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        let mut stmt = conn.prepare("SELECT 'a' AS t, NULL AS nt, 7 AS i, NULL AS ni").expect("prepare");
        let mut rows = stmt.query([]).expect("query");
        let row = rows.next().expect("step").expect("a row");
        assert_eq!(row.text("t").expect("t"), "a");
        assert_eq!(row.opt_text("nt").expect("nt"), None);
        assert_eq!(row.int("i").expect("i"), 7);
        assert_eq!(row.opt_int("ni").expect("ni"), None);
        assert!(row.text("nt").is_err(), "NULL is not text");
        assert!(row.int("missing").is_err(), "an unknown column is an error");
    }
}
