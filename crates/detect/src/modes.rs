//! Running the detector over many rows: isolated (each row alone) or contrastive (each task's rows
//! together, with the sandbox).

use std::collections::BTreeMap;

use assay_code::Harness;

use crate::contrast::{ContrastConfig, Observation, Probes, contrast_flags, observe, record_probes};
use crate::detector::{Report, isolated_flags};
use crate::flag::Flag;
use crate::row::{Row, Tests};
use crate::stdin_probes::perturb_stdin;

/// How rows are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Each row alone; never looks at other rows, never runs code.
    Isolated,
    /// Rows of one task together, solutions run in the sandbox.
    Contrastive,
}

/// Row indices grouped by task (in first-seen order of tasks).
pub fn groups(rows: &[Row]) -> Vec<Vec<usize>> {
    let mut by_task: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut order = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let entry = by_task.entry(row.task.as_str()).or_default();
        if entry.is_empty() {
            order.push(row.task.as_str());
        }
        entry.push(index);
    }
    order.into_iter().filter_map(|task| by_task.remove(task)).collect()
}

/// One worker's observations (row index, observation) and warnings.
type WorkerResult = (Vec<(usize, Observation)>, Vec<String>);

/// Sandbox observations of every row (by index), plus warnings for tasks that could not be probed.
pub fn observe_all(rows: &[Row], harness: &Harness, config: &ContrastConfig) -> (Vec<Observation>, Vec<String>) {
    let mut observations = vec![Observation::default(); rows.len()];
    let mut warnings = Vec::new();
    let groups = groups(rows);
    let results: Vec<WorkerResult> = std::thread::scope(|scope| {
        let workers = harness.workers().max(1);
        let chunks: Vec<Vec<&Vec<usize>>> = (0..workers)
            .map(|w| groups.iter().skip(w).step_by(workers).collect())
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    let mut found = Vec::new();
                    let mut notes = Vec::new();
                    for group in chunk {
                        observe_group(rows, group, harness, config, &mut found, &mut notes);
                    }
                    (found, notes)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    for (found, notes) in results {
        for (index, observation) in found {
            observations[index] = observation;
        }
        warnings.extend(notes);
    }
    (observations, warnings)
}

fn observe_group(
    rows: &[Row],
    group: &[usize],
    harness: &Harness,
    config: &ContrastConfig,
    found: &mut Vec<(usize, Observation)>,
    notes: &mut Vec<String>,
) {
    let Some(probes) = group_probes(rows, group, config, notes) else {
        return;
    };
    for &index in group {
        match observe(harness, &rows[index], &probes, config) {
            Ok(observation) => found.push((index, observation)),
            Err(error) => notes.push(format!("{}: {error}", rows[index].trajectory_id)),
        }
    }
}

/// Perturbed inputs for one group, from the first row with function tests (and an entry point) or
/// stdin/stdout tests; `None` when no row has either.
fn group_probes(rows: &[Row], group: &[usize], config: &ContrastConfig, notes: &mut Vec<String>) -> Option<Probes> {
    group
        .iter()
        .map(|&i| &rows[i])
        .find_map(|row| match (&row.tests, &row.entry_point) {
            (Some(Tests::Python(tests)), Some(entry_point)) => {
                Some(record_probes(tests, entry_point, config).unwrap_or_else(|error| {
                    notes.push(format!("task {}: {error}", row.task));
                    Probes::default()
                }))
            }
            (Some(Tests::Io(tests)), _) => {
                let inputs: Vec<&str> = tests.iter().map(|test| test.input.as_str()).collect();
                Some(Probes {
                    stdin: perturb_stdin(&inputs, config.max_probes, config.seed),
                    ..Probes::default()
                })
            }
            _ => None,
        })
}

/// Contrastive reports for the rows of `members` (indices into `rows`), judged as one group.
pub fn contrastive_flags_for(
    rows: &[Row],
    members: &[usize],
    observations: &[Observation],
    config: &ContrastConfig,
) -> Vec<Vec<Flag>> {
    let pairs: Vec<(&Row, &Observation)> = members.iter().map(|&i| (&rows[i], &observations[i])).collect();
    contrast_flags(&pairs, config)
}

/// Reports for every row. Contrastive mode groups all rows of a task.
pub fn detect_rows(
    rows: &[Row],
    mode: Mode,
    harness: Option<&Harness>,
    config: &ContrastConfig,
    threshold: f64,
) -> (Vec<Report>, Vec<String>) {
    let isolated: Vec<Vec<Flag>> = rows.iter().map(isolated_flags).collect();
    let mut extra: Vec<Vec<Flag>> = vec![Vec::new(); rows.len()];
    let mut warnings = Vec::new();
    if mode == Mode::Contrastive {
        match harness {
            Some(harness) => {
                let (observations, notes) = observe_all(rows, harness, config);
                warnings = notes;
                for group in groups(rows) {
                    for (index, flags) in group
                        .iter()
                        .zip(contrastive_flags_for(rows, &group, &observations, config))
                    {
                        extra[*index] = flags;
                    }
                }
            }
            None => warnings.push("contrastive mode without a sandbox: only isolated signals".into()),
        }
    }
    let reports = rows
        .iter()
        .zip(isolated.into_iter().zip(extra))
        .map(|(row, (mut flags, more))| {
            flags.extend(more);
            Report::from_flags(&row.trajectory_id, flags, threshold)
        })
        .collect();
    (reports, warnings)
}
