//! Checks every vector of `shared/specs/reward-math-vectors.json` against `assay_core::spec`.
//!
//! A vector whose `function` is neither dispatched below nor listed in [`NOT_YET`] fails the test, so a new vector
//! can never be skipped silently. Every `params` and `input` key a vector gives must be read by its dispatcher.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::PathBuf;

use assay_core::RewardError;
use assay_core::spec::{
    advantages, carl, chi2, distance, ensemble, genrm, length, likelihood, overopt, par, pav, pbrs, prm, renorm, rlvrr,
    rm_eval, rpr, turning_point, verpo,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// Functions named by vectors that are deliberately not implemented yet, each with the reason.
const NOT_YET: &[(&str, &str)] = &[];

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs/reward-math-vectors.json")
}

/// One vector's params and input, remembering which keys the dispatcher read.
struct Ctx<'a> {
    name: &'a str,
    params: &'a Map<String, Value>,
    input: &'a Map<String, Value>,
    used_params: RefCell<BTreeSet<String>>,
    used_input: RefCell<BTreeSet<String>>,
}

/// Reads numbers, with `"NaN"` strings as NaN (serde_json has no NaN literal).
fn to_f64(value: &Value) -> Option<f64> {
    match value {
        Value::String(s) if s == "NaN" => Some(f64::NAN),
        other => other.as_f64(),
    }
}

impl<'a> Ctx<'a> {
    fn raw(&self, from_params: bool, key: &str) -> Option<&'a Value> {
        let (map, used) = if from_params {
            (self.params, &self.used_params)
        } else {
            (self.input, &self.used_input)
        };
        used.borrow_mut().insert(key.to_owned());
        map.get(key)
    }

    fn get<T: DeserializeOwned>(&self, from_params: bool, key: &str) -> Option<T> {
        let value = self.raw(from_params, key)?;
        Some(
            serde_json::from_value(value.clone())
                .unwrap_or_else(|e| panic!("vector `{}`: key `{key}` ({value}) has the wrong shape: {e}", self.name)),
        )
    }

    fn input<T: DeserializeOwned>(&self, key: &str) -> T {
        self.get(false, key)
            .unwrap_or_else(|| panic!("vector `{}`: missing input `{key}`", self.name))
    }

    fn param<T: DeserializeOwned>(&self, key: &str) -> T {
        self.get(true, key)
            .unwrap_or_else(|| panic!("vector `{}`: missing param `{key}`", self.name))
    }

    fn param_or<T: DeserializeOwned>(&self, key: &str, default: T) -> T {
        self.get(true, key).unwrap_or(default)
    }

    fn input_or<T: DeserializeOwned>(&self, key: &str, default: T) -> T {
        self.get(false, key).unwrap_or(default)
    }

    /// A number input that may be NaN.
    fn x(&self, key: &str) -> f64 {
        let value = self
            .raw(false, key)
            .unwrap_or_else(|| panic!("vector `{}`: missing input `{key}`", self.name));
        to_f64(value).unwrap_or_else(|| panic!("vector `{}`: input `{key}` is not a number", self.name))
    }

    /// A list-of-numbers input that may contain NaN.
    fn xs(&self, key: &str) -> Vec<f64> {
        let value = self
            .raw(false, key)
            .unwrap_or_else(|| panic!("vector `{}`: missing input `{key}`", self.name));
        let items = value
            .as_array()
            .unwrap_or_else(|| panic!("vector `{}`: input `{key}` is not a list", self.name));
        items
            .iter()
            .map(|v| to_f64(v).unwrap_or_else(|| panic!("vector `{}`: `{key}` holds a non-number", self.name)))
            .collect()
    }

    fn p(&self, key: &str) -> f64 {
        self.param(key)
    }

    fn bool_matrix(&self, key: &str) -> Vec<Vec<bool>> {
        let ints: Vec<Vec<u8>> = self.input(key);
        ints.into_iter()
            .map(|row| row.into_iter().map(|v| v == 1).collect())
            .collect()
    }

    fn unread_keys(&self) -> Vec<String> {
        let unread = |map: &Map<String, Value>, used: &RefCell<BTreeSet<String>>, kind: &str| {
            map.keys()
                .filter(|k| !used.borrow().contains(*k))
                .map(|k| format!("{kind} `{k}`"))
                .collect::<Vec<_>>()
        };
        let mut keys = unread(self.params, &self.used_params, "param");
        keys.extend(unread(self.input, &self.used_input, "input"));
        keys
    }
}

fn out<T: serde::Serialize>(result: Result<T, RewardError>) -> Result<Value, RewardError> {
    result.map(|v| serde_json::to_value(v).unwrap_or(Value::Null))
}

/// Runs the implementation a vector names; `None` when the function is not dispatched.
#[allow(clippy::too_many_lines)]
fn dispatch(function: &str, c: &Ctx<'_>) -> Option<Result<Value, RewardError>> {
    let result =
        match function {
            "grpo_advantage" => out(advantages::grpo_advantage(
                &c.xs("rewards"),
                c.p("epsilon"),
                c.param("std_ddof"),
            )),
            "dr_grpo_advantage" => out(advantages::dr_grpo_advantage(&c.xs("rewards"))),
            "rloo_advantage" => out(advantages::rloo_advantage(&c.xs("rewards"))),
            "reinforce_pp_advantage" => out(advantages::reinforce_pp_advantage(
                &c.xs("rewards"),
                c.p("epsilon"),
                c.param("std_ddof"),
            )),
            "reinforce_pp_baseline_advantage" => out(advantages::reinforce_pp_baseline_advantage(
                &c.input::<Vec<Vec<f64>>>("groups"),
                c.p("epsilon"),
                c.param("std_ddof"),
            )),
            "reinforce_pp_token_returns" => out(advantages::reinforce_pp_token_returns(
                &c.xs("kl_per_token"),
                c.x("final_reward"),
                c.p("beta"),
                c.p("gamma"),
            )),
            "par_reward" => out(par::par_reward(c.x("reward"), &c.xs("ref_rewards"), c.p("k"))),
            "centered_reward" => out(par::centered_reward(c.x("reward"), &c.xs("ref_rewards"))),
            "tanh_centered_reward" => out(par::tanh_centered_reward(c.x("reward"), &c.xs("ref_rewards"))),
            "lsc_reward" => out(par::lsc_reward(
                c.x("reward"),
                &c.xs("ref_rewards"),
                c.p("quantile"),
                c.param("std_ddof"),
                c.p("std_eps"),
            )),
            "minmax_reward" => out(par::minmax_reward(
                c.x("reward"),
                c.x("running_min"),
                c.x("running_max"),
            )),
            "clip_mean_std_reward" => out(par::clip_mean_std_reward(
                c.x("reward"),
                c.x("running_mean"),
                c.x("running_std"),
            )),
            "ceil_reward" => out(par::ceil_reward(c.x("reward"), c.p("ceil"))),
            "prm_clip" => out(prm::prm_clip(&c.xs("process_rewards"), c.p("eta"))),
            "prm_delta" => out(prm::prm_delta(&c.xs("process_rewards"))),
            "prm_clip_delta" => out(prm::prm_clip_delta(&c.xs("process_rewards"), c.p("eta"))),
            "returns_to_go" => out(prm::returns_to_go(&c.xs("step_rewards"), c.p("gamma"))),
            "discounted_sum" => out(prm::discounted_sum(&c.xs("rewards"), c.p("gamma"))),
            "pav_step_advantage" => out(pav::pav_step_advantage(&c.xs("prefix_values"))),
            "pav_effective_rewards" => out(pav::pav_effective_rewards(
                &c.xs("prefix_values"),
                c.x("outcome"),
                c.p("alpha"),
            )),
            "mc_success_rate" => out(pav::mc_success_rate(&c.xs("rollout_outcomes"))),
            "ensemble_aggregate" => out(ensemble::ensemble_aggregate(
                &c.xs("scores"),
                c.param("method"),
                c.param_or("lambda", 1.0),
                c.param_or("std_ddof", 0),
            )),
            "kl_best_of_n" => out(overopt::kl_best_of_n(c.input("n"))),
            "gold_reward_bon" => out(overopt::bon_distance(c.input("n"))
                .and_then(|d| overopt::gold_reward_bon(d, c.p("alpha"), c.p("beta")))),
            "gold_reward_rl" => out(overopt::gold_reward_rl(c.x("d"), c.p("alpha"), c.p("beta"))),
            "gold_reward_bon_argmax_d" => out(overopt::gold_reward_bon_argmax_d(c.p("alpha"), c.p("beta"))),
            "gold_reward_rl_argmax_d" => out(overopt::gold_reward_rl_argmax_d(c.p("alpha"), c.p("beta"))),
            "policy_value" => out(distance::policy_value(
                &c.input::<Vec<Vec<Vec<f64>>>>("T"),
                &c.input::<Vec<Vec<Vec<f64>>>>("R"),
                &c.input::<Vec<Vec<f64>>>("policy"),
                c.p("gamma"),
            )),
            "val_canonicalize" => out(distance::val_canonicalize(
                &c.input::<Vec<Vec<Vec<f64>>>>("T"),
                &c.input::<Vec<Vec<Vec<f64>>>>("R"),
                &c.input::<Vec<Vec<f64>>>("policy"),
                c.p("gamma"),
            )),
            "epic_canonicalize" => out(distance::epic_canonicalize(
                &c.input::<Vec<Vec<Vec<f64>>>>("R"),
                c.p("gamma"),
                c.param("dist"),
            )),
            "epic_distance" => out(distance::epic_distance(
                &c.input::<Vec<Vec<Vec<f64>>>>("Ra"),
                &c.input::<Vec<Vec<Vec<f64>>>>("Rb"),
                c.p("gamma"),
                c.param("dist"),
            )),
            "starc_distance" => out(distance::starc_distance(
                &c.input::<Vec<Vec<Vec<f64>>>>("T"),
                &c.input::<Vec<Vec<f64>>>("policy"),
                &c.input::<Vec<Vec<Vec<f64>>>>("Ra"),
                &c.input::<Vec<Vec<Vec<f64>>>>("Rb"),
                c.p("gamma"),
                c.param("canon"),
                c.param("norm"),
                c.param("metric"),
            )),
            "pearson_distance" => out(distance::pearson_distance(&c.xs("x"), &c.xs("y"))),
            "renorm" => out(renorm::renorm(&c.xs("process_rewards"), c.x("outcome"))),
            "tp_incremental_rewards" => out(turning_point::tp_incremental_rewards(&c.xs("reward_sequence"))),
            "tp_turning_points" => out(turning_point::tp_turning_points(&c.xs("reward_sequence"))),
            "tp_step_rewards" => out(turning_point::tp_step_rewards(&c.xs("reward_sequence"))),
            "dapo_soft_overlong" => out(length::dapo_soft_overlong(
                c.input("length"),
                c.param("max_len"),
                c.param("cache_len"),
            )),
            "cosine_length_reward" => {
                let bounds = length::CosineBounds {
                    min_value_wrong: c.p("min_value_wrong"),
                    max_value_wrong: c.p("max_value_wrong"),
                    min_value_correct: c.p("min_value_correct"),
                    max_value_correct: c.p("max_value_correct"),
                };
                out(length::cosine_length_reward(
                    c.input("length"),
                    c.input("correct"),
                    c.param("max_len"),
                    &bounds,
                ))
            }
            "kimi_length_reward" => out(length::kimi_length_reward(
                &c.input::<Vec<usize>>("lengths"),
                &c.input::<Vec<bool>>("correct"),
            )),
            "generalized_length_penalty" => out(length::generalized_length_penalty(
                c.input("length"),
                c.param("target_len"),
                c.param("max_len"),
                c.p("power"),
                c.p("weight"),
            )),
            "answer_logprob_reward" => out(likelihood::answer_logprob_reward(
                &c.xs("token_logprobs"),
                c.param("normalize"),
            )),
            "answer_prob_reward" => out(likelihood::answer_prob_reward(
                &c.xs("token_logprobs"),
                c.param("normalize"),
            )),
            "follow_up_likelihood_reward" => out(likelihood::follow_up_likelihood_reward(
                &c.xs("positive_logprobs"),
                &c.xs("negative_logprobs"),
            )),
            "p_yes_reward" => {
                let restrict: Vec<String> = c.param("restrict_to");
                assert_eq!(
                    restrict,
                    ["yes", "no"],
                    "vector `{}`: only yes/no restriction exists",
                    c.name
                );
                out(genrm::p_yes_reward(c.x("logit_yes"), c.x("logit_no")))
            }
            "p_yes_reward_full" => out(genrm::p_yes_reward_full(
                &c.xs("logits"),
                &[c.input::<usize>("yes_index")],
            )),
            "rlvrr_content_reward" => {
                let key_points: Vec<Map<String, Value>> = c.input("keypoints");
                let matches: Vec<rlvrr::KeyPointMatches<String>> = key_points
                    .iter()
                    .map(|kp| {
                        let list = |key: &str| -> Vec<String> {
                            serde_json::from_value(kp.get(key).cloned().unwrap_or(Value::Null))
                                .unwrap_or_else(|e| panic!("vector `{}`: keypoint `{key}`: {e}", c.name))
                        };
                        rlvrr::KeyPointMatches {
                            reference: list("ref"),
                            response: list("resp"),
                        }
                    })
                    .collect();
                Ok(json!(rlvrr::content_reward(&matches)))
            }
            "lcs_length" => Ok(json!(rlvrr::lcs_length(
                &c.input::<Vec<String>>("a"),
                &c.input::<Vec<String>>("b")
            ))),
            "verpo_test_weights" => out(verpo::verpo_test_weights(&c.bool_matrix("pass_matrix"))),
            "verpo_dense_reward" => out(verpo::verpo_dense_reward(&c.bool_matrix("pass_matrix"))),
            "verpo_reward" => out(verpo::verpo_reward(&c.bool_matrix("pass_matrix"), c.p("lambda"))),
            "sample_balanced_weights" => {
                let flags: Vec<u8> = c.input("is_positive");
                let flags: Vec<bool> = flags.into_iter().map(|v| v == 1).collect();
                Ok(json!(verpo::sample_balanced_weights(&flags)))
            }
            "rpr_reward" => out(rpr::rpr_reward(c.input("pattern_hits"), c.param("max_count"))),
            "rpr_calibrated_reward" => out(rpr::rpr_calibrated_reward(
                c.x("rm_score"),
                c.x("rpr"),
                c.p("threshold"),
                c.p("alpha"),
            )),
            "chi2_from_seq_logratios" => out(chi2::chi2_from_seq_logratios(&c.xs("seq_logratios"))),
            "kl_from_seq_logratios" => out(chi2::kl_from_seq_logratios(&c.xs("seq_logratios"))),
            "correlated_proxy_lambda" => out(chi2::correlated_proxy_lambda(c.x("proxy_std"), c.x("correlation"))),
            "chi2_penalty" => out(chi2::chi2_penalty(c.x("chi2"), c.p("lambda"))),
            "orpo_augmented_reward" => out(chi2::orpo_augmented_reward(
                c.x("proxy_reward"),
                c.x("chi2_hat"),
                c.x("disc_logit"),
                c.p("lambda"),
            )),
            "pbrs_shaping" => out(pbrs::pbrs_shaping(
                &c.xs("potentials"),
                c.p("gamma"),
                c.input("terminal_last"),
            )),
            "one_to_many_accuracy" => out(rm_eval::one_to_many_accuracy(
                &c.input::<Vec<rm_eval::OneToMany>>("problems"),
            )),
            "one_to_many_mrr" => out(rm_eval::one_to_many_mrr(
                &c.input::<Vec<rm_eval::OneToMany>>("problems"),
                c.param_or("ties", rm_eval::Ties::Pessimistic),
            )),
            "pairwise_accuracy" => out(rm_eval::pairwise_accuracy(&c.input::<Vec<(f64, f64)>>("pairs"))),
            "weighted_section_score" => out(rm_eval::weighted_section_score(
                &c.input::<Vec<rm_eval::Subset>>("subsets"),
            )),
            "rb1_reasoning_score" => out(rm_eval::rb1_reasoning_score(
                c.x("math_acc"),
                &c.input::<Vec<rm_eval::Subset>>("code_subsets"),
            )),
            "helpsteer2_pref_to_pair" => rm_eval::helpsteer2_pref_to_pair(c.input("preference_strength")).map(|pair| {
                pair.map_or(
                    Value::Null,
                    |p| json!({"chosen": p.chosen, "rejected": p.rejected, "margin": p.margin}),
                )
            }),
            "scaled_bt_loss" => out(rm_eval::scaled_bt_loss(
                c.x("r_chosen"),
                c.x("r_rejected"),
                c.x("strength"),
            )),
            "bt_margin_loss" => out(rm_eval::bt_margin_loss(
                c.x("r_chosen"),
                c.x("r_rejected"),
                c.x("margin"),
            )),
            "carl_reward" => out(carl::carl_reward(
                c.x("route_completion_delta"),
                &c.xs("penalty_factors"),
                c.input_or("terminal_infraction", false),
            )),
            _ => return None,
        };
    Some(result)
}

/// Compares element-wise with an absolute tolerance; returns where they differ.
fn compare(expected: &Value, actual: &Value, tolerance: f64, at: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap_or(f64::NAN), a.as_f64().unwrap_or(f64::NAN));
            if (e - a).abs() <= tolerance {
                Ok(())
            } else {
                Err(format!("{at}: expected {e}, got {a} (tolerance {tolerance})"))
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!("{at}: expected {} elements, got {}", e.len(), a.len()));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .try_for_each(|(i, (e, a))| compare(e, a, tolerance, &format!("{at}[{i}]")))
        }
        (Value::Object(e), Value::Object(a)) => {
            let (ek, ak): (BTreeSet<_>, BTreeSet<_>) = (e.keys().collect(), a.keys().collect());
            if ek != ak {
                return Err(format!("{at}: expected keys {ek:?}, got {ak:?}"));
            }
            e.iter()
                .try_for_each(|(k, ev)| compare(ev, &a[k], tolerance, &format!("{at}.{k}")))
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{at}: expected {e}, got {a}")),
    }
}

#[test]
fn every_vector_matches_the_spec() {
    let path = vectors_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file: Value = serde_json::from_str(&text).expect("vector file is JSON");
    let vectors = file["vectors"].as_array().expect("`vectors` is a list");
    assert!(
        vectors.len() >= 100,
        "expected the full vector file, found {} vectors",
        vectors.len()
    );

    let empty = Map::new();
    let mut checked = 0;
    let mut failures = Vec::new();
    for vector in vectors {
        let name = vector["name"].as_str().expect("vector has a name");
        let function = vector["function"].as_str().expect("vector has a function");
        let ctx = Ctx {
            name,
            params: vector["params"].as_object().unwrap_or(&empty),
            input: vector["input"].as_object().unwrap_or(&empty),
            used_params: RefCell::default(),
            used_input: RefCell::default(),
        };
        let Some(result) = dispatch(function, &ctx) else {
            if !NOT_YET.iter().any(|(f, _)| *f == function) {
                failures.push(format!(
                    "{name}: function `{function}` is neither implemented nor in NOT_YET"
                ));
            }
            continue;
        };
        let unread = ctx.unread_keys();
        if !unread.is_empty() {
            failures.push(format!("{name}: the dispatcher ignored {}", unread.join(", ")));
        }
        let tolerance = vector["tolerance"].as_f64().unwrap_or(0.0);
        let expected = &vector["expected"];
        let verdict = match (expected.get("error").and_then(Value::as_str), result) {
            (Some(kind), Err(err)) if err.kind() == kind => Ok(()),
            (Some(kind), Err(err)) => Err(format!("expected a {kind} error, got {} ({err})", err.kind())),
            (Some(kind), Ok(value)) => Err(format!("expected a {kind} error, got {value}")),
            (None, Err(err)) => Err(format!("unexpected error {} ({err})", err.kind())),
            (None, Ok(value)) => compare(expected, &value, tolerance, "result"),
        };
        match verdict {
            Ok(()) => checked += 1,
            Err(message) => failures.push(format!("{name} ({function}): {message}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        checked,
        vectors.len() - skipped(vectors),
        "every vector not in NOT_YET was checked"
    );
}

fn skipped(vectors: &[Value]) -> usize {
    vectors
        .iter()
        .filter(|v| NOT_YET.iter().any(|(f, _)| v["function"].as_str() == Some(*f)))
        .count()
}

#[test]
fn not_yet_lists_only_unimplemented_functions_with_reasons() {
    let empty = Map::new();
    for (function, reason) in NOT_YET {
        assert!(!reason.trim().is_empty(), "NOT_YET entry `{function}` needs a reason");
        let ctx = Ctx {
            name: "probe",
            params: &empty,
            input: &empty,
            used_params: RefCell::default(),
            used_input: RefCell::default(),
        };
        let implemented = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(function, &ctx).is_some()))
            .unwrap_or(true);
        assert!(!implemented, "`{function}` is implemented; remove it from NOT_YET");
    }
}

#[test]
fn the_comparison_catches_differences() {
    assert!(compare(&json!([1.0, [2.0]]), &json!([1.0, [2.0000001]]), 1e-6, "r").is_ok());
    assert!(compare(&json!([1.0, [2.0]]), &json!([1.0, [2.1]]), 1e-6, "r").is_err());
    assert!(compare(&json!([1.0]), &json!([1.0, 2.0]), 1e-6, "r").is_err());
    assert!(compare(&Value::Null, &json!(0.0), 1e-6, "r").is_err());
    assert!(compare(&json!({"a": 1}), &json!({"a": 1, "b": 2}), 1e-6, "r").is_err());
}
