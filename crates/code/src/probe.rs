//! Calling a candidate on given arguments and getting back plain data (for differential testing, e.g.
//! the hack detector's contrastive mode). The candidate runs only in the sandbox; arguments go in and
//! results come out in the codec's tagged plain-data encoding (`codec.py`), one flushed line per call so
//! that a candidate that exits or hangs midway still yields the results of the calls before.

use assay_sandbox::{Job, Limits, Program};
use serde_json::{Value, json};

use crate::channel::random_hex;
use crate::{Harness, HarnessError};

const CODEC: &str = include_str!("python/codec.py");
const PROBE: &str = include_str!("python/probe.py");

/// The tagged plain-data codec (Python source defining `encode`/`decode`), for trusted-side tools that
/// must produce or read the same encoding.
pub fn codec_source() -> &'static str {
    CODEC
}

/// What one call did.
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutcome {
    /// Returned this value (tagged encoding; not validated beyond being JSON).
    Returned(Value),
    /// Raised an exception (type name, message).
    Raised(String, String),
    /// No answer: the program failed to load, exited, hung or died before answering.
    NoAnswer(String),
}

impl Harness {
    /// Calls `entry_point` of `program` once per element of `calls` (each the tagged encoding of an
    /// `(args, kwargs)` pair, e.g. `["t", [["t", [["i", "3"]]], ["d", []]]]`), all in one sandbox job.
    /// Returns one outcome per call, in order.
    pub fn call_each(
        &self,
        program: &str,
        entry_point: &str,
        calls: &[Value],
        limits: &Limits,
    ) -> Result<Vec<CallOutcome>, HarnessError> {
        let slot = self.slot();
        let marker = format!("@assay-probe-{}@", random_hex(16)?);
        let header = json!({"entry_point": entry_point, "marker": marker, "calls": calls});
        let mut stdin = header.to_string().into_bytes();
        stdin.push(b'\n');
        stdin.extend_from_slice(program.as_bytes());
        let job = Job {
            program: Program::Python(format!("{CODEC}\n{PROBE}")),
            stdin,
            files: Vec::new(),
            limits: limits.clone(),
        };
        let outcome = self.pool().run_on_lane(slot.lane(), &job)?;
        let stdout = outcome.stdout_text();
        let mut results: Vec<Option<CallOutcome>> = vec![None; calls.len()];
        let mut load_error = None;
        for line in stdout.lines() {
            let Some(payload) = line.find(&marker).map(|at| &line[at + marker.len()..]) else {
                continue;
            };
            let Ok(message) = serde_json::from_str::<Value>(payload) else {
                continue;
            };
            if let Some(error) = message.get("load_error").and_then(Value::as_str) {
                load_error = Some(error.to_owned());
                continue;
            }
            let Some(index) = message.get("i").and_then(Value::as_u64).map(|i| i as usize) else {
                continue;
            };
            let Some(slot) = results.get_mut(index) else {
                continue;
            };
            if slot.is_some() {
                continue;
            }
            if let Some(value) = message.get("return") {
                *slot = Some(CallOutcome::Returned(value.clone()));
            } else if let Some(Value::Array(raised)) = message.get("raise")
                && let [Value::String(kind), Value::String(text)] = raised.as_slice()
            {
                *slot = Some(CallOutcome::Raised(kind.clone(), text.clone()));
            }
        }
        let missing = load_error.unwrap_or_else(|| format!("no answer (candidate ended: {})", outcome.status.as_str()));
        Ok(results
            .into_iter()
            .map(|result| result.unwrap_or_else(|| CallOutcome::NoAnswer(missing.clone())))
            .collect())
    }
}
