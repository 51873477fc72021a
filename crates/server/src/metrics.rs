//! Prometheus counters, gauges and histograms, rendered in the text exposition format at `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Upper bounds (seconds) of the latency buckets: 1 ms to 2 min.
const BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

#[derive(Debug, Clone, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bound, count) in BUCKETS.iter().zip(&mut self.counts) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, label: &str, value: &str) {
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{label}=\"{value}\",le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{{label}=\"{value}\",le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{label}=\"{value}\"}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{label}=\"{value}\"}} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Series {
    requests: BTreeMap<(String, u16), u64>,
    request_seconds: BTreeMap<String, Histogram>,
    component_seconds: BTreeMap<String, Histogram>,
    errors: BTreeMap<String, u64>,
    samples: BTreeMap<String, u64>,
    sample_errors: BTreeMap<String, u64>,
}

/// How the `/run_code` sandbox pool is used right now.
#[derive(Debug, Clone, Copy, Default)]
pub struct SandboxUsage {
    /// Workers in the pool (0 until the first `/run_code` starts it).
    pub workers: usize,
    /// Workers started and idle.
    pub idle: usize,
    /// Executions waiting for or holding a worker.
    pub jobs: usize,
}

/// The server's metrics. Cheap to update from any thread.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<Series>,
    in_flight: AtomicI64,
}

impl Metrics {
    fn lock(&self) -> MutexGuard<'_, Series> {
        self.series.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request to `endpoint` finished with `status` after `elapsed`.
    pub fn request_done(&self, endpoint: &str, status: u16, elapsed: Duration) {
        let mut series = self.lock();
        *series.requests.entry((endpoint.to_owned(), status)).or_default() += 1;
        series
            .request_seconds
            .entry(endpoint.to_owned())
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// Reward `component` scored one request's batch in `elapsed`.
    pub fn component_done(&self, component: &str, elapsed: Duration) {
        self.lock()
            .component_seconds
            .entry(component.to_owned())
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// A request was refused or failed with error `kind`.
    pub fn error(&self, kind: &str) {
        *self.lock().errors.entry(kind.to_owned()).or_default() += 1;
    }

    /// `scored` records went through `endpoint`, `failed` of them without a reward.
    pub fn samples(&self, endpoint: &str, scored: usize, failed: usize) {
        let mut series = self.lock();
        *series.samples.entry(endpoint.to_owned()).or_default() += scored as u64;
        *series.sample_errors.entry(endpoint.to_owned()).or_default() += failed as u64;
    }

    /// One more request is being handled; the guard counts it down when dropped.
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// The text exposition format.
    pub fn render(&self, sandbox: SandboxUsage) -> String {
        let series = self.lock();
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP assay_requests_total HTTP requests by endpoint and status code.\n");
        out.push_str("# TYPE assay_requests_total counter\n");
        for ((endpoint, status), count) in &series.requests {
            let _ = writeln!(
                out,
                "assay_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {count}"
            );
        }
        out.push_str("# HELP assay_request_duration_seconds Time from request to response, by endpoint.\n");
        out.push_str("# TYPE assay_request_duration_seconds histogram\n");
        for (endpoint, histogram) in &series.request_seconds {
            histogram.render(&mut out, "assay_request_duration_seconds", "endpoint", endpoint);
        }
        out.push_str("# HELP assay_component_duration_seconds Time one reward took to score one request's batch.\n");
        out.push_str("# TYPE assay_component_duration_seconds histogram\n");
        for (component, histogram) in &series.component_seconds {
            histogram.render(
                &mut out,
                "assay_component_duration_seconds",
                "component",
                &escape(component),
            );
        }
        out.push_str("# HELP assay_errors_total Refused or failed requests by error kind.\n");
        out.push_str("# TYPE assay_errors_total counter\n");
        for (kind, count) in &series.errors {
            let _ = writeln!(out, "assay_errors_total{{kind=\"{kind}\"}} {count}");
        }
        out.push_str("# HELP assay_samples_total Records scored, by endpoint.\n");
        out.push_str("# TYPE assay_samples_total counter\n");
        for (endpoint, count) in &series.samples {
            let _ = writeln!(out, "assay_samples_total{{endpoint=\"{endpoint}\"}} {count}");
        }
        out.push_str("# HELP assay_sample_errors_total Records answered with an error instead of a reward.\n");
        out.push_str("# TYPE assay_sample_errors_total counter\n");
        for (endpoint, count) in &series.sample_errors {
            let _ = writeln!(out, "assay_sample_errors_total{{endpoint=\"{endpoint}\"}} {count}");
        }
        out.push_str("# HELP assay_in_flight_requests Requests being handled now.\n");
        out.push_str("# TYPE assay_in_flight_requests gauge\n");
        let _ = writeln!(
            out,
            "assay_in_flight_requests {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out.push_str("# HELP assay_sandbox_workers Sandbox workers of /run_code, by state.\n");
        out.push_str("# TYPE assay_sandbox_workers gauge\n");
        let _ = writeln!(out, "assay_sandbox_workers{{state=\"total\"}} {}", sandbox.workers);
        let _ = writeln!(out, "assay_sandbox_workers{{state=\"idle\"}} {}", sandbox.idle);
        out.push_str("# HELP assay_sandbox_jobs Executions waiting for or holding a sandbox worker.\n");
        out.push_str("# TYPE assay_sandbox_jobs gauge\n");
        let _ = writeln!(out, "assay_sandbox_jobs {}", sandbox.jobs);
        out
    }
}

/// Counts a request as in flight while alive.
#[derive(Debug)]
pub struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Label values are user-chosen reward names: escape what the format requires.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let metrics = Metrics::default();
        metrics.component_done("a\"b", Duration::from_millis(3));
        metrics.component_done("a\"b", Duration::from_secs(3));
        let text = metrics.render(SandboxUsage::default());
        assert!(text.contains("assay_component_duration_seconds_bucket{component=\"a\\\"b\",le=\"0.005\"} 1"));
        assert!(text.contains("assay_component_duration_seconds_bucket{component=\"a\\\"b\",le=\"5\"} 2"));
        assert!(text.contains("assay_component_duration_seconds_count{component=\"a\\\"b\"} 2"));
    }
}
