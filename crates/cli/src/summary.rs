//! The end-of-run summary: records, errors, mean and std of each component, time.

use std::time::Duration;

use assay_core::Score;

/// Mean and standard deviation of the values that exist.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// How many values.
    pub count: usize,
    /// Their mean.
    pub mean: f64,
    /// Their population standard deviation.
    pub std: f64,
}

impl Moments {
    fn of(values: impl Iterator<Item = f64>) -> Self {
        // Welford's update: one pass, stable.
        let (mut count, mut mean, mut m2) = (0usize, 0.0f64, 0.0f64);
        for value in values {
            count += 1;
            let delta = value - mean;
            #[allow(clippy::cast_precision_loss)]
            {
                mean += delta / count as f64;
            }
            m2 += delta * (value - mean);
        }
        #[allow(clippy::cast_precision_loss)]
        let std = if count > 0 { (m2 / count as f64).sqrt() } else { 0.0 };
        Self { count, mean, std }
    }
}

/// What a scoring run did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Output records.
    pub records: usize,
    /// Records with an error.
    pub errors: usize,
    /// The final reward.
    pub reward: Moments,
    /// Each component, in pipeline order.
    pub components: Vec<(String, Moments)>,
    /// Wall-clock time of the whole run.
    pub elapsed: Duration,
    /// The first few error messages.
    pub first_errors: Vec<String>,
}

impl Summary {
    pub fn new(scores: &[Score], component_names: &[String], elapsed: Duration) -> Self {
        Self {
            records: scores.len(),
            errors: scores.iter().filter(|s| s.error.is_some()).count(),
            reward: Moments::of(scores.iter().filter_map(|s| s.reward)),
            components: component_names
                .iter()
                .map(|name| {
                    (
                        name.clone(),
                        Moments::of(scores.iter().filter_map(|s| s.component(name))),
                    )
                })
                .collect(),
            elapsed,
            first_errors: scores.iter().filter_map(|s| s.error.clone()).take(3).collect(),
        }
    }

    /// Prints to stdout, or to stderr when stdout carries the scores.
    #[allow(clippy::print_stdout, clippy::print_stderr)]
    pub fn print(&self, to_stderr: bool) {
        let text = self.render();
        if to_stderr {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    }

    fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let seconds = self.elapsed.as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let rate = if seconds > 0.0 {
            self.records as f64 / seconds
        } else {
            0.0
        };
        let _ = writeln!(
            out,
            "scored {} records in {seconds:.2} s ({rate:.0} records/s), {} error(s)",
            self.records, self.errors
        );
        let _ = writeln!(out, "  {:<20} {:>8} {:>10} {:>10}", "component", "count", "mean", "std");
        for (name, m) in &self.components {
            let _ = writeln!(out, "  {:<20} {:>8} {:>10.4} {:>10.4}", name, m.count, m.mean, m.std);
        }
        let r = &self.reward;
        let _ = writeln!(
            out,
            "  {:<20} {:>8} {:>10.4} {:>10.4}",
            "reward", r.count, r.mean, r.std
        );
        for error in &self.first_errors {
            let _ = writeln!(out, "  error: {error}");
        }
        if self.errors > self.first_errors.len() {
            let _ = writeln!(out, "  ... and {} more errors", self.errors - self.first_errors.len());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_ignore_missing_values() {
        let m = Moments::of([1.0, 3.0].into_iter());
        assert_eq!((m.count, m.mean, m.std), (2, 2.0, 1.0));
        assert_eq!(Moments::of(std::iter::empty()).count, 0);
    }
}
