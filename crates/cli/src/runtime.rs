//! How many threads run the async runtime.
//!
//! The database's writers (the turn writer, the audit writer, sqlx's SQLite
//! worker) are threads of their own, outside the runtime. One core is left to
//! them: on a machine with few cores, a runtime thread per core makes the
//! threads wake each other across cores for every hand-over, which measured
//! slower and costlier than one runtime thread fewer (see docs/benchmarks.md).

/// Runtime threads: `SWITCHBOARD_WORKER_THREADS` when set (1 to 1024), else one
/// fewer than the machine's `cores`, at least one.
pub(crate) fn worker_threads(env: Option<&str>, cores: usize) -> Result<usize, String> {
    match env.map(str::trim) {
        None | Some("") => Ok(cores.saturating_sub(1).max(1)),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n @ 1..=1024) => Ok(n),
            _ => Err(format!("SWITCHBOARD_WORKER_THREADS must be a number from 1 to 1024, not {raw:?}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_core_is_left_to_the_database_writers() {
        assert_eq!(worker_threads(None, 1), Ok(1));
        assert_eq!(worker_threads(None, 2), Ok(1));
        assert_eq!(worker_threads(None, 8), Ok(7));
        assert_eq!(worker_threads(Some(""), 4), Ok(3));
    }

    #[test]
    fn the_environment_decides_when_set() {
        assert_eq!(worker_threads(Some("2"), 2), Ok(2));
        assert_eq!(worker_threads(Some(" 16 "), 2), Ok(16));
        for bad in ["0", "-1", "two", "1025"] {
            let refused = worker_threads(Some(bad), 2).expect_err(bad);
            assert!(refused.contains("SWITCHBOARD_WORKER_THREADS") && refused.contains(bad), "{refused}");
        }
    }
}
