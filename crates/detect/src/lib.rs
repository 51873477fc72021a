//! Reward-hack detection. Owns three signals, each producing [`Flag`]s with a corpus category, a
//! confidence and evidence (code line/column or message/tool call, and the quoted text):
//! static analysis of submitted Python ([`analyze_python`], ruff's parser with token-level fallback
//! rules), trajectory analysis ([`analyze_trajectory`]: edits to tests, stated intent, contradicted
//! claims) and contrast within a task group ([`contrast`]: solutions run in the sandbox on inputs
//! derived from the visible tests — recorded function arguments or stdin texts — plus structural
//! outliers among the passing solutions). Also owns the evaluation (`eval`) and the pipeline kinds
//! `hack_guard` (isolated or contrastive, with an optional LLM-judge signal) and `text_hack_guard`.

mod detector;
mod flag;
mod python;
mod row;
mod trajectory;
mod visible;

pub use detector::{DEFAULT_THRESHOLD, Report, detect_isolated, isolated_flags};
pub use flag::{Flag, Location, OTHER, Signal};
pub use python::analyze_python;
pub use row::{Message, Row, Tests, ToolCall};
pub use trajectory::{Written, analyze_trajectory, final_code, is_test_path, written_files};
pub use visible::VisibleTests;
mod corpus;
pub use corpus::{LoadError, load_rows, parse_rows};
mod contrast;
pub use contrast::{ContrastConfig, ContrastError, Observation, Probes, contrast_flags, observe, record_probes};
mod modes;
mod stdin_probes;
mod structure;
pub use modes::{Mode, contrastive_flags_for, detect_rows, groups, observe_all};
pub use stdin_probes::perturb_stdin;
pub mod eval;
mod guard;
mod judge;
mod text;
pub use guard::{Action, register};
pub use text::text_flags;
