//! VeRPO-style difficulty weights for I/O tests, from the pass rates within a group.

use assay_core::{Component, RewardError};
use serde::Deserialize;
use serde_json::json;

/// How I/O test results are combined into a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weighting {
    /// Fraction of tests passed.
    Uniform,
    /// Tests weighted by difficulty within the group.
    Difficulty,
}

/// Re-scores the I/O samples of one group with difficulty weights: test `t` weighs `1 - p_t`, where `p_t`
/// is the fraction of the group's samples that pass it, so tests every sample passes count for nothing
/// and tests only a few pass count most; the score is `Σ w_t·passed_t / Σ w_t`. Samples keep the uniform
/// fraction when the group's samples have different test counts or every weight is zero (all passed
/// every test). The uniform fraction stays in the diagnostics as `unweighted`.
pub fn difficulty_weighted(results: &mut [Result<Component, RewardError>], group: &[usize]) {
    let passed_flags = |component: &Component| -> Option<Vec<bool>> {
        let tests = component.diagnostics.get("tests")?.as_array()?;
        Some(tests.iter().map(|test| test["status"] == "passed").collect())
    };
    let members: Vec<(usize, Vec<bool>)> = group
        .iter()
        .filter_map(|&index| {
            let component = results.get(index)?.as_ref().ok()?;
            Some((index, passed_flags(component)?))
        })
        .collect();
    let Some(count) = members.first().map(|(_, flags)| flags.len()) else {
        return;
    };
    if members.iter().any(|(_, flags)| flags.len() != count) {
        return;
    }
    let weights: Vec<f64> = (0..count)
        .map(|test| {
            let passing = members.iter().filter(|(_, flags)| flags[test]).count();
            1.0 - passing as f64 / members.len() as f64
        })
        .collect();
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return;
    }
    for (index, flags) in members {
        if let Some(Ok(component)) = results.get_mut(index) {
            let earned: f64 = flags
                .iter()
                .zip(&weights)
                .filter(|(passed, _)| **passed)
                .map(|(_, weight)| weight)
                .sum();
            let unweighted = component.value;
            component.value = earned / total;
            component.diagnostics.insert("unweighted".into(), json!(unweighted));
            component.diagnostics.insert("weights".into(), json!(weights));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn io_component(flags: &[bool]) -> Result<Component, RewardError> {
        let tests: Vec<Value> = flags
            .iter()
            .map(|passed| json!({"status": if *passed { "passed" } else { "failed" }}))
            .collect();
        let fraction = flags.iter().filter(|passed| **passed).count() as f64 / flags.len() as f64;
        Ok(Component::new(fraction).with("tests", tests))
    }

    #[test]
    fn difficulty_weights_reward_the_tests_few_samples_pass() {
        // Test 0 is passed by all three samples, tests 1 and 2 by one each.
        let mut results = vec![
            io_component(&[true, true, false]),
            io_component(&[true, false, true]),
            io_component(&[true, false, false]),
        ];
        difficulty_weighted(&mut results, &[0, 1, 2]);
        let values: Vec<f64> = results
            .iter()
            .map(|r| r.as_ref().map_or(f64::NAN, |c| c.value))
            .collect();
        // Weights: 0, 2/3, 2/3 → sample 0 earns 2/3 of 4/3, sample 1 the same, sample 2 nothing.
        assert!((values[0] - 0.5).abs() < 1e-12, "{values:?}");
        assert!((values[1] - 0.5).abs() < 1e-12, "{values:?}");
        assert_eq!(values[2], 0.0);
        let first = results[0].as_ref().expect("ok");
        assert!((first.diagnostics["unweighted"].as_f64().unwrap_or(0.0) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn difficulty_weights_leave_mismatched_or_all_passing_groups_alone() {
        let mut all_pass = vec![io_component(&[true, true]), io_component(&[true, true])];
        difficulty_weighted(&mut all_pass, &[0, 1]);
        assert!(all_pass.iter().all(|r| r.as_ref().is_ok_and(|c| c.value == 1.0)));
        let mut mismatched = vec![io_component(&[true, false]), io_component(&[false])];
        difficulty_weighted(&mut mismatched, &[0, 1]);
        assert_eq!(mismatched[0].as_ref().map(|c| c.value), Ok(0.5));
    }
}
