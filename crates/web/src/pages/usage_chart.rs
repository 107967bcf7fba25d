//! The tokens-per-day bar chart of Workspace → Usage, drawn on the server as
//! SVG: one bar per day, input tokens below and output tokens stacked on top,
//! a scale with three lines. Colours come from the stylesheet (classes), so
//! the chart follows the theme and needs no inline style.

/// The drawing's coordinate system; the SVG scales to its box.
pub(super) const WIDTH: f64 = 720.0;
pub(super) const HEIGHT: f64 = 220.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 28.0;

/// One day's figures, as charted.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct DayTokens {
    /// `YYYY-MM-DD`.
    pub(super) day: String,
    pub(super) input: i64,
    pub(super) output: i64,
}

/// A bar: input from the baseline, output on top of it.
pub(super) struct Bar {
    pub(super) x: String,
    pub(super) width: String,
    pub(super) input_y: String,
    pub(super) input_height: String,
    pub(super) output_y: String,
    pub(super) output_height: String,
    /// What a pointer over the bar shows.
    pub(super) title: String,
}

/// A horizontal line of the scale and its label.
pub(super) struct Tick {
    pub(super) y: String,
    pub(super) label: String,
}

/// A day named under the bars.
pub(super) struct DayLabel {
    pub(super) x: String,
    pub(super) label: String,
    pub(super) anchor: &'static str,
}

pub(super) struct Chart {
    pub(super) bars: Vec<Bar>,
    pub(super) ticks: Vec<Tick>,
    pub(super) labels: Vec<DayLabel>,
    pub(super) baseline: String,
    pub(super) left: String,
    pub(super) right: String,
    /// The text alternative (`<desc>`): the range and the busiest day.
    pub(super) description: String,
}

fn n(v: f64) -> String {
    format!("{v:.1}")
}

/// The smallest "round" number (1, 2 or 5 times a power of ten) at least `max`.
fn scale_top(max: i64) -> i64 {
    if max <= 0 {
        return 10;
    }
    let mut step = 1i64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// `1234567` as `1,234,567`.
pub(crate) fn grouped(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0 { format!("-{out}") } else { out }
}

/// A count in a few characters for the scale: `950`, `1.5k`, `12k`, `3.2M`.
fn short(value: i64) -> String {
    let v = value as f64;
    if value < 1_000 {
        value.to_string()
    } else if value < 10_000 {
        format!("{:.1}k", v / 1e3).replace(".0k", "k")
    } else if value < 1_000_000 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{:.1}M", v / 1e6).replace(".0M", "M")
    }
}

/// The chart of `days` (every day of the range, in order, zeros included).
pub(super) fn chart(days: &[DayTokens]) -> Chart {
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let baseline = HEIGHT - BOTTOM;
    let top = scale_top(days.iter().map(|d| d.input + d.output).max().unwrap_or(0));
    let y = |value: i64| baseline - plot_height * value as f64 / top as f64;
    let slot = plot_width / days.len().max(1) as f64;
    let gap = if slot > 4.0 { slot * 0.2 } else { 0.0 };
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = LEFT + slot * i as f64 + gap / 2.0;
            let input_y = y(d.input);
            let output_y = y(d.input + d.output);
            Bar {
                x: n(x),
                width: n(slot - gap),
                input_y: n(input_y),
                input_height: n(baseline - input_y),
                output_y: n(output_y),
                output_height: n(input_y - output_y),
                title: format!("{}: {} in · {} out", d.day, grouped(d.input), grouped(d.output)),
            }
        })
        .collect();
    let ticks = [0, top / 2, top].into_iter().map(|v| Tick { y: n(y(v)), label: short(v) }).collect();
    let mut labels = vec![];
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        labels.push(DayLabel { x: n(LEFT), label: first.day.clone(), anchor: "start" });
        if days.len() > 1 {
            labels.push(DayLabel { x: n(WIDTH - RIGHT), label: last.day.clone(), anchor: "end" });
        }
    }
    let busiest = days.iter().filter(|d| d.input + d.output > 0).max_by_key(|d| d.input + d.output);
    let description = match (days.first(), days.last(), busiest) {
        (Some(first), Some(last), Some(b)) => format!(
            "Tokens per day from {} to {}; the busiest day was {} with {} input and {} output tokens. \
             The table below lists every day.",
            first.day,
            last.day,
            b.day,
            grouped(b.input),
            grouped(b.output)
        ),
        (Some(first), Some(last), None) => format!("No tokens were used from {} to {}.", first.day, last.day),
        _ => "No days to chart.".into(),
    };
    Chart { bars, ticks, labels, baseline: n(baseline), left: n(LEFT), right: n(WIDTH - RIGHT), description }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(day: &str, input: i64, output: i64) -> DayTokens {
        DayTokens { day: day.into(), input, output }
    }

    #[test]
    fn numbers_read_easily() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1234), "1,234");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(-12_345), "-12,345");
        assert_eq!(short(950), "950");
        assert_eq!(short(1500), "1.5k");
        assert_eq!(short(2000), "2k");
        assert_eq!(short(50_000), "50k");
        assert_eq!(short(5_000_000), "5M");
        assert_eq!(scale_top(0), 10);
        assert_eq!(scale_top(7), 10);
        assert_eq!(scale_top(11), 20);
        assert_eq!(scale_top(420), 500);
        assert_eq!(scale_top(5001), 10_000);
    }

    #[test]
    fn bars_stack_output_on_input_within_the_plot() {
        let c = chart(&[day("2026-11-29", 0, 0), day("2026-11-30", 300, 100)]);
        assert_eq!(c.bars.len(), 2);
        assert_eq!(c.ticks.iter().map(|t| t.label.as_str()).collect::<Vec<_>>(), ["0", "250", "500"]);
        let b = &c.bars[1];
        let f = |s: &str| s.parse::<f64>().unwrap();
        // 400 of 500 reach 80% of the plot's height; input is three quarters of that.
        let plot = HEIGHT - TOP - BOTTOM;
        assert!((f(&c.baseline) - f(&b.output_y) - plot * 0.8).abs() < 0.2);
        assert!((f(&b.input_height) - plot * 0.6).abs() < 0.2);
        assert!((f(&b.output_y) + f(&b.output_height) - f(&b.input_y)).abs() < 0.2);
        assert!(f(&b.x) + f(&b.width) <= WIDTH - RIGHT + 0.1);
        assert_eq!(c.bars[0].input_height, "0.0");
        assert_eq!(b.title, "2026-11-30: 300 in · 100 out");
        assert!(c.description.contains("the busiest day was 2026-11-30 with 300 input and 100 output tokens"));
        assert_eq!(c.labels.iter().map(|l| l.label.as_str()).collect::<Vec<_>>(), ["2026-11-29", "2026-11-30"]);
    }

    #[test]
    fn an_empty_range_says_so() {
        let c = chart(&[day("2026-11-30", 0, 0)]);
        assert_eq!(c.description, "No tokens were used from 2026-11-30 to 2026-11-30.");
        assert_eq!(c.labels.len(), 1);
    }
}
