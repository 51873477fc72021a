//! Flags: what a detector signal found, how sure it is, and where.

use serde::{Deserialize, Serialize};

/// Category id for a mechanism that matches none of the corpus's categories.
pub const OTHER: &str = "other";

/// Which family of analysis produced a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    /// Static analysis of submitted Python.
    Static,
    /// The trajectory: tool calls and the assistant's words.
    Trajectory,
    /// Comparison with the other trajectories of the same task.
    Contrast,
    /// An LLM judge's verdict (optional).
    Judge,
}

/// Where the evidence is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Location {
    /// A position in a code file (1-based line and column).
    Code {
        /// The file (`solution.py`, or the path a tool call wrote).
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
    },
    /// A chat message, optionally one of its tool calls.
    Message {
        /// Index in `messages`.
        index: usize,
        /// Index in that message's `tool_calls`.
        #[serde(skip_serializing_if = "Option::is_none")]
        tool_call: Option<usize>,
    },
    /// Group-level evidence (contrastive mode): the inputs on which the solution differed.
    Group {
        /// The task.
        task: String,
    },
    /// An LLM judge's answer (the quote is its reasoning).
    Judge {
        /// The judge model.
        model: String,
    },
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// Corpus category id, or [`OTHER`].
    pub category: String,
    /// 0..1: how likely this finding alone means a hack.
    pub confidence: f64,
    /// Which analysis found it.
    pub signal: Signal,
    /// The rule (stable id, e.g. `process-exit`).
    pub rule: &'static str,
    /// Why it is suspicious, in words.
    pub message: String,
    /// Where.
    pub location: Location,
    /// The quoted text.
    pub quote: String,
}

impl Flag {
    /// A flag with its quote cut to a readable length.
    pub fn new(
        category: &str,
        confidence: f64,
        signal: Signal,
        rule: &'static str,
        message: impl Into<String>,
        location: Location,
        quote: &str,
    ) -> Self {
        Self {
            category: category.to_owned(),
            confidence: confidence.clamp(0.0, 1.0),
            signal,
            rule,
            message: message.into(),
            location,
            quote: shorten(quote.trim(), 160),
        }
    }
}

/// `text` cut to at most `limit` characters (with an ellipsis).
pub(crate) fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(limit).collect();
    out.push('…');
    out
}
