//! Code-execution rewards: function tests judged in a trusted process while the candidate runs in the
//! sandbox, and stdin/stdout tests compared outside it. See `README.md` for the design and what it
//! resists.

mod channel;
mod checker;
mod compare;
mod error;
mod extract;
mod function;
mod harness;
mod io;
mod io_tests;
mod probe;
mod reward;
mod slots;
mod status;
mod weighting;

pub use compare::Comparison;
pub use error::HarnessError;
pub use extract::last_code_block;
pub use function::{FunctionCase, FunctionVerdict};
pub use harness::Harness;
pub use io::{IoCase, IoTest, IoTestResult, Language};
pub use io_tests::io_tests;
pub use probe::{CallOutcome, codec_source};
pub use reward::{CodeParams, CodeReward, TestFormat, kind, register};
pub use status::TestStatus;
pub use weighting::{Weighting, difficulty_weighted};
