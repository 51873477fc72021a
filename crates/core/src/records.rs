//! Records in, scores out: the path every front end (CLI, server, Python) takes, so each input record yields
//! exactly one score, in input order.

use serde_json::{Map, Value};

use crate::{Pipeline, Progress, Sample, Score};

/// One input record, or why it could not be read (the message names where it came from, e.g. the line).
pub type Record = Result<Map<String, Value>, String>;

impl Pipeline {
    /// Scores the readable records as one batch and slots an error score in for each unreadable one, keeping
    /// input order. `group_field` names the field whose value groups rollouts for shaping.
    pub fn score_records(&self, records: Vec<Record>, group_field: &str, progress: &dyn Progress) -> Vec<Score> {
        let total = records.len();
        let mut samples = Vec::with_capacity(total);
        let mut failures = Vec::new();
        for (index, record) in records.into_iter().enumerate() {
            match record {
                Ok(map) => samples.push(Sample::from_record(index, map, group_field)),
                Err(message) => failures.push(Score::failed(Value::from(index), format!("record {index}: {message}"))),
            }
        }
        let scored = self.score_with_progress(&samples, progress);
        let mut scored = samples.iter().map(|s| s.index).zip(scored).peekable();
        let mut failures = failures.into_iter();
        (0..total)
            .filter_map(|index| match scored.next_if(|(position, _)| *position == index) {
                Some((_, score)) => Some(score),
                None => failures.next(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;
    use crate::{NoProgress, Registry};

    #[test]
    fn unreadable_records_keep_their_place_and_groups_follow_the_field() {
        let toml = "[[reward]]\nname = \"format\"\nkind = \"tags\"\n[[shape]]\nkind = \"group_norm\"\n";
        let pipeline = Pipeline::from_toml(toml, Path::new("t.toml"), &Registry::builtin()).unwrap();
        let record = |completion: &str| {
            let Value::Object(map) = json!({"completion": completion, "prompt": "p"}) else {
                unreachable!()
            };
            Ok(map)
        };
        let records = vec![
            record("<think>a</think><answer>1</answer>"),
            Err("line 2: not valid JSON".to_owned()),
            record("no tags"),
        ];
        let scores = pipeline.score_records(records, "prompt", &NoProgress);
        assert_eq!(scores.len(), 3);
        assert_eq!(scores[1].id, json!(1));
        assert_eq!(scores[1].error.as_deref(), Some("record 1: line 2: not valid JSON"));
        // Both readable records share the prompt, so group_norm centres them: +x and -x.
        let (first, last) = (scores[0].reward.unwrap(), scores[2].reward.unwrap());
        assert!(first > 0.0 && (first + last).abs() < 1e-9, "{first} {last}");
    }
}
