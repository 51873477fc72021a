//! Contrast for stdin/stdout tasks. Perturbed inputs are derived token by token from the visible
//! inputs — numbers nudged, words reversed, the items of a line or the lines after a header line
//! reordered — so the shape stays and no input grammar is guessed. Each program of the group runs in
//! the sandbox on the visible tests and then on every perturbed input; its canonical stdout is the
//! answer the group's majority vote compares (see `contrast`).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use assay_code::{Comparison, Harness, HarnessError, IoCase, IoTest, Language, TestStatus};
use assay_sandbox::{Job, Status};
use regex::Regex;

use crate::contrast::{ContrastConfig, ContrastError, Observation, canonical_number};
use crate::eval::SplitMix;

static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\S+").expect("valid regex"));

/// Up to `max_probes` perturbed inputs derived from `inputs` (none equal to a visible input), in an
/// order shuffled by `seed`.
pub fn perturb_stdin(inputs: &[&str], max_probes: usize, seed: u64) -> Vec<String> {
    let visible: BTreeSet<&str> = inputs.iter().copied().collect();
    let mut seen = BTreeSet::new();
    let mut found: Vec<String> = inputs
        .iter()
        .flat_map(|input| token_variants(input).into_iter().chain(line_variants(input)))
        .filter(|variant| !visible.contains(variant.as_str()) && seen.insert(variant.clone()))
        .collect();
    // Every member of a group sees the same probes in the same order.
    SplitMix(seed).shuffle(&mut found);
    found.truncate(max_probes);
    found
}

/// `input` with one token replaced, for every token and each of its variants.
fn token_variants(input: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in TOKEN.find_iter(input) {
        let text = token.as_str();
        let replacements: Vec<String> = if let Ok(number) = text.parse::<i64>() {
            // A non-negative number (a count, a size) stays non-negative.
            [Some(1), Some(3), (number != 0).then_some(-1)]
                .into_iter()
                .flatten()
                .filter_map(|delta| number.checked_add(delta))
                .chain((number.abs() >= 2).then(|| number.checked_mul(2)).flatten())
                .filter(|value| number < 0 || *value >= 0)
                .map(|value| value.to_string())
                .collect()
        } else if text.contains(['.', 'e', 'E'])
            && let Ok(number) = text.parse::<f64>()
            && number.is_finite()
        {
            vec![format!("{}", number + 0.5)]
        } else if text.chars().count() >= 2 && !text.chars().all(|c| c.is_ascii_digit() || c == '-') {
            let reversed: String = text.chars().rev().collect();
            let doubled_first: String = text.chars().take(1).chain(text.chars()).collect();
            vec![reversed, doubled_first]
        } else {
            Vec::new()
        };
        for replacement in replacements {
            out.push(format!(
                "{}{replacement}{}",
                &input[..token.start()],
                &input[token.end()..]
            ));
        }
    }
    out
}

/// `input` with the items of one line, or the lines after the first, reordered.
fn line_variants(input: &str) -> Vec<String> {
    let ending = if input.ends_with('\n') { "\n" } else { "" };
    let lines: Vec<&str> = input.lines().collect();
    let join = |lines: &[String]| format!("{}{ending}", lines.join("\n"));
    let owned: Vec<String> = lines.iter().map(|line| (*line).to_owned()).collect();
    let mut out = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let items: Vec<&str> = line.split_whitespace().collect();
        if items.len() < 2 {
            continue;
        }
        let mut reversed = items.clone();
        reversed.reverse();
        let mut rotated = items.clone();
        rotated.rotate_left(1);
        for reordered in [reversed, rotated] {
            let mut changed = owned.clone();
            changed[index] = reordered.join(" ");
            out.push(join(&changed));
        }
    }
    // The first line is often a header (a count); the lines after it are the data.
    if lines.len() >= 3 {
        let mut reversed = owned.clone();
        reversed[1..].reverse();
        let mut rotated = owned.clone();
        rotated[1..].rotate_left(1);
        out.push(join(&reversed));
        out.push(join(&rotated));
    }
    out
}

/// Runs `code` (Python) in the sandbox on the visible I/O tests, then, if it passes, on each probe.
pub(crate) fn observe_program(
    harness: &Harness,
    code: &str,
    tests: &[IoTest],
    probes: &[String],
    config: &ContrastConfig,
) -> Result<Observation, ContrastError> {
    let results = harness.run_io(&IoCase {
        program: code,
        language: Language::Python,
        tests,
        files: &[],
        comparison: Comparison::Tokens,
        limits: &config.limits,
    })?;
    let passes = !results.is_empty() && results.iter().all(|result| result.status == TestStatus::Passed);
    let answers = if passes {
        probes
            .iter()
            .map(|input| answer(harness, code, input, config))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    Ok(Observation {
        passes_visible: Some(passes),
        answers,
    })
}

/// The program's canonical stdout on `input`: tokens with numbers compared as values. A run that fails
/// counts as raising (no verdict when the group's majority does too); a hung one gives no answer.
fn answer(
    harness: &Harness,
    code: &str,
    input: &str,
    config: &ContrastConfig,
) -> Result<Option<String>, ContrastError> {
    let job = Job::python(code)
        .with_stdin(input.as_bytes())
        .with_limits(config.limits.clone());
    let outcome = harness.pool().run(&job).map_err(HarnessError::from)?;
    Ok(match outcome.status {
        Status::Passed if !outcome.stdout_truncated => {
            let text = outcome.stdout_text();
            let tokens: Vec<String> = text.split_whitespace().map(canonical_number).collect();
            Some(format!("out:{}", tokens.join(" ")))
        }
        Status::Failed { .. } | Status::Crashed { .. } | Status::Memory => Some("raise:exit".to_owned()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perturbations_keep_the_shape_and_differ_from_the_visible_inputs() {
        let inputs = ["3\n1 2 3\n", "2\n10 20\n"];
        let probes = perturb_stdin(&inputs, 100, 7);
        assert!(probes.len() > 10, "{probes:?}");
        for probe in &probes {
            assert!(!inputs.contains(&probe.as_str()));
            assert!(probe.ends_with('\n'));
            assert_eq!(probe.lines().count(), 2, "{probe:?}");
            assert!(
                probe.split_whitespace().all(|t| t.parse::<i64>().is_ok_and(|n| n >= 0)),
                "{probe:?}"
            );
        }
        assert!(probes.contains(&"3\n3 2 1\n".to_owned()));
        assert!(probes.contains(&"3\n1 2 4\n".to_owned()));
        assert_eq!(
            perturb_stdin(&inputs, 5, 7),
            probes[..5].to_vec(),
            "same seed, same order"
        );
    }

    #[test]
    fn words_and_data_lines_are_reordered() {
        let probes = perturb_stdin(&["3\nab\ncd\nef\n"], 100, 1);
        assert!(probes.contains(&"3\nef\ncd\nab\n".to_owned()), "{probes:?}");
        assert!(probes.contains(&"3\nba\ncd\nef\n".to_owned()), "{probes:?}");
    }
}
