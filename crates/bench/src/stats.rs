//! Order statistics of samples and the tables every scenario prints.
//!
//! Medians rather than means: one run disturbed by another process moves a
//! mean but not a median. Percentiles use the nearest-rank method, so every
//! figure printed is a sample that was actually measured (bar the median of an
//! even count, the mean of the middle two).

use std::fmt::Write as _;
use std::time::Duration;

/// Median, p90, min and max of a non-empty set of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Summary {
    pub(crate) runs: usize,
    pub(crate) median: f64,
    pub(crate) p90: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl Summary {
    /// `None` for no samples.
    pub(crate) fn of(samples: &[f64]) -> Option<Self> {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
        Some(Self { runs: n, median, p90: nearest_rank(&sorted, 0.90), min, max })
    }

    /// Samples are durations, summarised in milliseconds.
    pub(crate) fn of_durations(samples: &[Duration]) -> Option<Self> {
        let ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        Self::of(&ms)
    }
}

/// The `q` quantile of sorted, non-empty samples, by nearest rank.
pub(crate) fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() { f64::NAN } else { nearest_rank(sorted, q) }
}

/// The smallest sample with at least `q` of the samples at or below it.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A plain-text table with a header, right-aligned figures and a left-aligned
/// first column; also valid as a Markdown table, so results paste into docs.
#[derive(Debug)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(header: &[&str]) -> Self {
        Self { header: header.iter().map(|h| (*h).to_owned()).collect(), rows: Vec::new() }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.header.len(), "one cell per column");
        self.rows.push(cells);
    }

    pub(crate) fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|col| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|row| row.get(col).map_or(0, |cell| cell.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            let mut out = String::from("|");
            for (col, width) in widths.iter().enumerate() {
                let cell = cells.get(col).map_or("", String::as_str);
                let _ = if col == 0 { write!(out, " {cell:<width$} |") } else { write!(out, " {cell:>width$} |") };
            }
            out.push('\n');
            out
        };
        let rule: Vec<String> = widths
            .iter()
            .enumerate()
            .map(
                |(col, &width)| {
                    if col == 0 { "-".repeat(width) } else { format!("{}:", "-".repeat(width.saturating_sub(1))) }
                },
            )
            .collect();
        let mut out = line(&self.header);
        out.push_str(&line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

/// The median of `values`; NaN for none.
pub(crate) fn median(values: Vec<f64>) -> f64 {
    Summary::of(&values).map_or(f64::NAN, |s| s.median)
}

/// Milliseconds with a precision that suits the size.
pub(crate) fn ms(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2} ms")
    } else if value < 100.0 {
        format!("{value:.1} ms")
    } else {
        format!("{value:.0} ms")
    }
}

/// KiB as MiB with one decimal.
pub(crate) fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::{Summary, Table};

    #[test]
    fn summaries() {
        let check = |samples: &[f64], expect: Option<(f64, f64, f64, f64)>| {
            let got = Summary::of(samples).map(|s| (s.median, s.p90, s.min, s.max));
            assert_eq!(got, expect, "{samples:?}");
        };
        check(&[], None);
        check(&[5.0], Some((5.0, 5.0, 5.0, 5.0)));
        check(&[4.0, 1.0], Some((2.5, 4.0, 1.0, 4.0)));
        check(&[3.0, 1.0, 2.0], Some((2.0, 3.0, 1.0, 3.0)));
        let fifteen: Vec<f64> = (1..=15).rev().map(f64::from).collect();
        check(&fifteen, Some((8.0, 14.0, 1.0, 15.0)));
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        check(&ten, Some((5.5, 9.0, 1.0, 10.0)));
    }

    #[test]
    fn tables_align_and_are_markdown() {
        let mut table = Table::new(&["what", "median"]);
        table.row(vec!["start".into(), "1.00 ms".into()]);
        table.row(vec!["shutdown".into(), "12.5 ms".into()]);
        let expect = "\
| what     |  median |
| -------- | ------: |
| start    | 1.00 ms |
| shutdown | 12.5 ms |
";
        assert_eq!(table.render(), expect);
    }
}
