//! Scoring the candidate texts of benchmark rows with a pipeline, so every evaluation can start from raw rows
//! (`assay eval ... --config pipeline.toml`) as well as from a scores file.

use assay_core::{DEFAULT_COMPLETION_FIELD, Pipeline, Sample};
use serde_json::{Map, Value};

use crate::{EvalError, Row};

/// Where a row keeps candidate texts and where their scores go.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    /// Field with the candidate text (a string) or texts (a list of strings).
    pub text: &'static str,
    /// Field that receives the score when `text` holds one string.
    pub score: &'static str,
    /// Field that receives the list of scores when `text` holds a list.
    pub scores: &'static str,
}

/// The `chosen` / `rejected` layout of RewardBench and one-vs-many rows.
pub const CHOSEN_REJECTED: [Slot; 2] = [
    Slot {
        text: "chosen",
        score: "score_chosen",
        scores: "scores_chosen",
    },
    Slot {
        text: "rejected",
        score: "score_rejected",
        scores: "scores_rejected",
    },
];

/// Scores every candidate of every row with `pipeline` and returns the rows with the score fields filled in.
///
/// Each candidate becomes a sample: the row's other fields (prompt, reference, ...) plus the candidate text as
/// `completion`. A candidate the pipeline cannot score is an error naming the row and the field, since a benchmark
/// number over a silently reduced set would mislead.
pub fn score_rows(
    pipeline: &Pipeline,
    records: &[Map<String, Value>],
    slots: &[Slot],
    group_field: &str,
) -> Result<Vec<Map<String, Value>>, EvalError> {
    let mut samples = Vec::new();
    // (row, slot, position in a list or None for a single text)
    let mut owners: Vec<(usize, usize, Option<usize>)> = Vec::new();
    for (index, fields) in records.iter().enumerate() {
        let row = Row::new(index, fields);
        let mut base = fields.clone();
        for slot in slots {
            base.remove(slot.text);
        }
        for (slot_index, slot) in slots.iter().enumerate() {
            let texts = match fields.get(slot.text) {
                Some(Value::Array(_)) => row.texts(slot.text)?.into_iter().map(Some).collect::<Vec<_>>(),
                _ => vec![None],
            };
            if texts == [None] {
                let text = row.text(slot.text)?;
                let mut record = base.clone();
                record.insert(DEFAULT_COMPLETION_FIELD.into(), Value::from(text));
                samples.push(Sample::from_record(samples.len(), record, group_field));
                owners.push((index, slot_index, None));
                continue;
            }
            for (position, text) in texts.into_iter().flatten().enumerate() {
                let mut record = base.clone();
                record.insert(DEFAULT_COMPLETION_FIELD.into(), Value::from(text));
                samples.push(Sample::from_record(samples.len(), record, group_field));
                owners.push((index, slot_index, Some(position)));
            }
        }
    }
    let scores = pipeline.score(&samples);
    let mut out: Vec<Map<String, Value>> = records.to_vec();
    for ((index, slot_index, position), score) in owners.into_iter().zip(scores) {
        let slot = slots[slot_index];
        let Some(reward) = score.reward else {
            let row = Row::new(index, &records[index]);
            let which = position.map_or_else(|| format!("`{}`", slot.text), |p| format!("`{}`[{p}]", slot.text));
            return Err(row.error(format!(
                "the pipeline could not score {which}: {}",
                score.error.unwrap_or_default()
            )));
        };
        let target = &mut out[index];
        match position {
            None => {
                target.insert(slot.score.into(), Value::from(reward));
            }
            Some(_) => {
                let list = target.entry(slot.scores).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    items.push(Value::from(reward));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use assay_core::Registry;
    use serde_json::json;

    use super::*;

    #[test]
    fn single_and_list_candidates_get_scores() {
        let pipeline = Pipeline::from_toml(
            "[[reward]]\nname = \"m\"\nkind = \"exact_match\"\n",
            Path::new("t.toml"),
            &Registry::builtin(),
        )
        .unwrap();
        let row = json!({"id": 1, "reference": "4", "chosen": "4", "rejected": ["5", "4", "x"]});
        let rows = vec![row.as_object().unwrap().clone()];
        let slots = CHOSEN_REJECTED;
        let out = score_rows(&pipeline, &rows, &slots, "group").unwrap();
        assert_eq!(out[0]["score_chosen"], json!(1.0));
        assert_eq!(out[0]["scores_rejected"], json!([0.0, 1.0, 0.0]));
        let missing = vec![json!({"id": 2, "chosen": "4"}).as_object().unwrap().clone()];
        let err = score_rows(&pipeline, &missing, &slots, "group")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "row 0 (id 2): missing field `rejected`");
    }
}
