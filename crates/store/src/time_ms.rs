//! Times are stored as milliseconds since the Unix epoch.

use time::OffsetDateTime;

use crate::StoreError;

pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    // Truncate to what is stored, so a value read back equals the value written.
    from_ms(to_ms(now)).unwrap_or(now)
}

pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn from_ms(ms: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {ms}: {e}")))
}

pub(crate) fn opt_from_ms(ms: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    ms.map(from_ms).transpose()
}
