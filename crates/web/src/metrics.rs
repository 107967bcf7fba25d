//! Prometheus metrics: request counts and latency per route, in the text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 11] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug)]
pub(crate) struct Metrics {
    started: Instant,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// (method, route, status) → count
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → histogram
    latency: BTreeMap<String, Histogram>,
}

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self { started: Instant::now(), inner: Mutex::default() }
    }
}

impl Metrics {
    pub(crate) fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *inner.requests.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        let h = inner.latency.entry(route.to_owned()).or_default();
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// The Prometheus text exposition of everything recorded.
    pub(crate) fn render(&self) -> String {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        let _ = writeln!(out, "# HELP switchboard_build_info Build information.");
        let _ = writeln!(out, "# TYPE switchboard_build_info gauge");
        let _ = writeln!(out, "switchboard_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        let _ = writeln!(out, "# HELP switchboard_uptime_seconds Seconds since the server started.");
        let _ = writeln!(out, "# TYPE switchboard_uptime_seconds gauge");
        let _ = writeln!(out, "switchboard_uptime_seconds {:.3}", self.started.elapsed().as_secs_f64());
        let _ = writeln!(out, "# HELP switchboard_http_requests_total HTTP requests by method, route and status.");
        let _ = writeln!(out, "# TYPE switchboard_http_requests_total counter");
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "switchboard_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let _ = writeln!(out, "# HELP switchboard_http_request_duration_seconds HTTP request latency by route.");
        let _ = writeln!(out, "# TYPE switchboard_http_request_duration_seconds histogram");
        for (route, h) in &inner.latency {
            let route = escape(route);
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "switchboard_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "switchboard_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "switchboard_http_request_duration_seconds_sum{{route=\"{route}\"}} {:.6}", h.sum);
            let _ = writeln!(out, "switchboard_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record("GET", "/api/v1/me", 200, Duration::from_millis(3));
        m.record("GET", "/api/v1/me", 200, Duration::from_millis(30));
        m.record("GET", "/api/v1/me", 401, Duration::from_millis(1));
        let text = m.render();
        assert!(
            text.contains("switchboard_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(text.contains("switchboard_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"401\"} 1"));
        assert!(text.contains("switchboard_http_request_duration_seconds_bucket{route=\"/api/v1/me\",le=\"0.005\"} 2"));
        assert!(text.contains("switchboard_http_request_duration_seconds_bucket{route=\"/api/v1/me\",le=\"+Inf\"} 3"));
        assert!(text.contains("switchboard_http_request_duration_seconds_count{route=\"/api/v1/me\"} 3"));
    }
}
