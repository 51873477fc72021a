//! Math answer extraction, parsing and equivalence checking.
//!
//! [`verify`] takes a gold answer and a model completion, extracts the final answer from each
//! (Math-Verify's priority ladder), parses both into an [`Expr`] and decides equivalence with
//! exact rational arithmetic, high-precision evaluation for radicals/π and randomized
//! evaluation for expressions with variables. Every call runs under a [`Limits`] budget and
//! answers [`Status::Unknown`] when it runs out instead of hanging or guessing.
//!
//! ```
//! use assay_math::{Options, Status, verify};
//!
//! let v = verify(r"\frac{1}{2}", r"... so the answer is $\boxed{0.5}$.", &Options::default());
//! assert_eq!(v.status, Status::Equal);
//! assert_eq!(v.extracted.as_deref(), Some("0.5"));
//! // Math-Verify says True here (its issue #14); exact arithmetic does not.
//! let v = verify(r"$\frac{1}{2^{99}}$", r"$\frac{1}{2^{98}}$", &Options::default());
//! assert_eq!(v.status, Status::NotEqual);
//! ```

mod budget;
mod compare;
mod complex;
mod eval;
mod expr;
mod extract;
mod float;
mod normalize;
mod parse;
mod reward;

pub use budget::{Limits, Over, thread_cpu_time};
pub use compare::CompareOptions;
pub use expr::{Expr, RelOp};
pub use extract::{ExtractConfig, Extraction};
pub use reward::{kind, options_from_json, register};

use budget::Budget;

/// Which extractors run (Math-Verify's `match_types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    /// LaTeX environments and `\boxed{}`.
    Latex,
    /// Plain expressions and numbers.
    Expr,
}

/// Verification options, named as in the corpus `config_args`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Extractors to run.
    pub match_types: Vec<MatchType>,
    /// Decimal places floats are rounded to before comparison.
    pub precision: u32,
    /// Variables must match by name.
    pub strict: bool,
    /// Compare a predicted relation with a gold set too.
    pub allow_set_relation_comp: bool,
    /// Priority of `\boxed{}` (0 = before "final answer is", 50 = Math-Verify's default).
    pub boxed_match_priority: i32,
    /// Multiple-choice mode: the allowed letters (e.g. A–D); `None` for math answers.
    pub choices: Option<Vec<String>>,
    /// Lower-case letters in multiple-choice mode.
    pub lowercase: bool,
    /// Time, size and depth budget of one call.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            match_types: vec![MatchType::Latex, MatchType::Expr],
            precision: 6,
            strict: true,
            allow_set_relation_comp: false,
            boxed_match_priority: 50,
            choices: None,
            lowercase: true,
            limits: Limits::default(),
        }
    }
}

impl Options {
    /// The extraction part of these options.
    pub fn extract_config(&self) -> ExtractConfig {
        ExtractConfig {
            latex: self.match_types.contains(&MatchType::Latex),
            expr: self.match_types.contains(&MatchType::Expr),
            boxed_priority: self.boxed_match_priority,
            choices: self.choices.clone(),
            lowercase: self.lowercase,
        }
    }

    fn compare_options(&self) -> CompareOptions {
        CompareOptions {
            precision: self.precision,
            strict: self.strict,
            allow_set_relation_comp: self.allow_set_relation_comp,
        }
    }
}

/// Outcome of one verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The prediction matches the gold answer.
    Equal,
    /// It does not.
    NotEqual,
    /// No answer could be found in the prediction.
    NoAnswer,
    /// An answer was found but neither it nor the gold could be parsed and compared.
    Unparseable,
    /// The budget ran out (time, number size or depth): no verdict.
    Unknown,
}

impl Status {
    /// Lower-case name used in diagnostics and output records.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Equal => "equal",
            Status::NotEqual => "not_equal",
            Status::NoAnswer => "no_answer",
            Status::Unparseable => "unparseable",
            Status::Unknown => "unknown",
        }
    }

    /// `Some(true/false)` for a verdict, `None` when there is none.
    pub fn equal(self) -> Option<bool> {
        match self {
            Status::Equal => Some(true),
            Status::NotEqual | Status::NoAnswer | Status::Unparseable => Some(false),
            Status::Unknown => None,
        }
    }
}

/// Result of [`verify`] with diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The outcome.
    pub status: Status,
    /// The answer string extracted from the prediction.
    pub extracted: Option<String>,
    /// Canonical form of the parsed prediction.
    pub normal_form: Option<String>,
}

/// Builds the process-wide tables (regexes, π, e) so their one-time cost is not charged to
/// the first call's time budget.
pub fn warm_up() {
    normalize::warm_up();
    float::pi();
    float::euler();
}

/// Extracts and parses the answer of one text (no comparison).
pub fn parse_answer(text: &str, options: &Options) -> Result<Extraction, Over> {
    warm_up();
    let mut budget = Budget::start(options.limits);
    let mut found = extract::extract(text, &options.extract_config(), &mut budget)?;
    found.expr = found.expr.map(|e| compare::prepare(&e));
    Ok(found)
}

/// Decides whether `prediction` answers `gold`. The gold goes through the same extraction
/// (it may be bare, wrapped in `$…$`, or boxed). Never panics; bounded by `options.limits`.
pub fn verify(gold: &str, prediction: &str, options: &Options) -> Verdict {
    warm_up();
    let mut budget = Budget::start(options.limits);
    let unknown = |extracted: Option<String>| Verdict {
        status: Status::Unknown,
        extracted,
        normal_form: None,
    };
    let cfg = options.extract_config();
    let pred = match extract::extract(prediction, &cfg, &mut budget) {
        Ok(p) => p,
        Err(_) => return unknown(None),
    };
    if pred.expr.is_none() && pred.raw.is_none() {
        return Verdict {
            status: Status::NoAnswer,
            extracted: None,
            normal_form: None,
        };
    }
    let gold = match extract::extract(gold, &cfg, &mut budget) {
        Ok(g) => g,
        Err(_) => return unknown(pred.raw),
    };
    let pred_expr = pred.expr.as_ref().map(compare::prepare);
    let gold_expr = gold.expr.as_ref().map(compare::prepare);
    let normal_form = pred_expr.as_ref().map(Expr::canonical);
    let verdict = |status| Verdict {
        status,
        extracted: pred.raw.clone(),
        normal_form: normal_form.clone(),
    };
    if let (Some(g), Some(p)) = (&gold_expr, &pred_expr) {
        match compare::expr_eq(g, p, &options.compare_options(), &mut budget) {
            Ok(true) => return verdict(Status::Equal),
            Ok(false) => {}
            Err(_) => return verdict(Status::Unknown),
        }
    }
    if let (Some(g), Some(p)) = (&gold.raw, &pred.raw) {
        let (g, p) = (g.trim(), p.trim());
        if !g.is_empty() && g == p {
            return verdict(Status::Equal);
        }
    }
    if gold_expr.is_none() || pred_expr.is_none() {
        return verdict(Status::Unparseable);
    }
    verdict(Status::NotEqual)
}
