//! Final-answer extraction from a completion: Math-Verify's priority ladder, implemented with
//! linear scans (no backtracking regexes). Within one priority the rightmost match is tried
//! first, and the first candidate that parses wins.

use crate::budget::{Budget, Over};
use crate::expr::Expr;
use crate::normalize::{BoxedMode, normalize_latex};
use crate::parse::{ParseError, parse_math};
use num_rational::BigRational;

/// What to look for in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractConfig {
    /// LaTeX environments (`$..$`, `\[..\]`, `\boxed{}`...).
    pub latex: bool,
    /// Plain expressions and numbers.
    pub expr: bool,
    /// Priority of `\boxed{}` matches (lower is tried first); negative disables them.
    pub boxed_priority: i32,
    /// Multiple-choice letters (string mode) instead of math.
    pub choices: Option<Vec<String>>,
    /// Lower-case extracted letters (string mode).
    pub lowercase: bool,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig {
            latex: true,
            expr: true,
            boxed_priority: 50,
            choices: None,
            lowercase: true,
        }
    }
}

/// The answer found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    /// The first candidate that parsed.
    pub expr: Option<Expr>,
    /// The first matched string (Math-Verify's fallback), compared by string equality.
    pub raw: Option<String>,
}

mod choice;
mod latex;
mod plain;

use choice::letter_candidates;
use latex::{find_envs, latex_candidates};
use plain::{expr_candidates, unanchored_expr_candidates};

#[derive(Debug, Clone)]
enum Payload {
    /// LaTeX pieces (content, percent) joined by `and`/`,`; `boxed_last` for the bare `\boxed{.+}` match.
    Latex {
        parts: Vec<(String, bool)>,
        boxed_last: bool,
    },
    Expr(String),
    Number {
        value: BigRational,
        float: bool,
        percent: bool,
        text: String,
    },
    Letter(String),
}

#[derive(Debug, Clone)]
struct Candidate {
    priority: i32,
    start: usize,
    end: usize,
    payload: Payload,
}

fn prev_byte(t: &[u8], i: usize) -> Option<u8> {
    if i == 0 { None } else { Some(t[i - 1]) }
}

fn find_ci(text: &str, pat: &str) -> Vec<usize> {
    let lower = text.to_ascii_lowercase();
    lower.match_indices(pat).map(|(i, _)| i).collect()
}

fn char_boundary_floor(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Positions where "final answer ... is" (≤100 chars, lazily) ends, for the priority-50 anchor.
fn final_answer_is_ends(text: &str) -> Vec<(usize, usize)> {
    let t = text.as_bytes();
    let mut out = Vec::new();
    for a in find_ci(text, "final answer") {
        let from = a + "final answer".len();
        let limit = (from + 101).min(t.len());
        let mut k = from;
        while k < limit {
            if t[k].is_ascii_whitespace() {
                let mut j = k;
                while j < t.len() && t[j].is_ascii_whitespace() {
                    j += 1;
                }
                if t[j..].len() >= 2 && t[j..j + 2].eq_ignore_ascii_case(b"is") {
                    let mut e = j + 2;
                    if t.get(e) == Some(&b':') {
                        e += 1;
                    }
                    out.push((a, e));
                }
            }
            k += 1;
        }
    }
    out
}

fn skip_ws(t: &[u8], mut i: usize) -> usize {
    while i < t.len() && t[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Parses a LaTeX string, retrying with the last `=`-separated part (Math-Verify's fallback).
fn parse_latex(latex: &str, budget: &mut Budget) -> Result<Option<Expr>, Over> {
    match parse_math(latex, budget) {
        Ok(e) => Ok(Some(e)),
        Err(ParseError::Over(o)) => Err(o),
        Err(ParseError::Syntax) => {
            if !latex.contains(',') && !latex.contains(';') {
                let parts: Vec<&str> = split_equals(latex);
                if parts.len() > 2 {
                    return match parse_math(parts[parts.len() - 1], budget) {
                        Ok(e) => Ok(Some(e)),
                        Err(ParseError::Over(o)) => Err(o),
                        Err(ParseError::Syntax) => Ok(None),
                    };
                }
            }
            Ok(None)
        }
    }
}

fn split_equals(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut last = 0;
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'=' && !matches!(prev_byte(b, i), Some(b'\\' | b'<' | b'!' | b'>')) {
            parts.push(&s[last..i]);
            last = i + 1;
        }
    }
    parts.push(&s[last..]);
    parts
}

fn flatten_set(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::Set(items) => out.extend(items),
        other => out.push(other),
    }
}

/// Turns a candidate into (parsed, fallback string).
fn realize(c: &Candidate, cfg: &ExtractConfig, budget: &mut Budget) -> Result<(Option<Expr>, String), Over> {
    match &c.payload {
        Payload::Letter(l) => {
            let s = if cfg.lowercase { l.to_lowercase() } else { l.clone() };
            Ok((Some(Expr::Text(s)), l.clone()))
        }
        Payload::Number {
            value,
            float,
            percent,
            text,
        } => {
            let n = Expr::Num {
                value: value.clone(),
                float: *float,
            };
            Ok((
                Some(if *percent { Expr::Percent(Box::new(n)) } else { n }),
                text.clone(),
            ))
        }
        Payload::Expr(s) => {
            let cleaned = s.replace('\n', " ");
            match parse_math(&cleaned, budget) {
                Ok(e) => Ok((Some(e), s.clone())),
                Err(ParseError::Over(o)) => Err(o),
                Err(ParseError::Syntax) => Ok((None, s.clone())),
            }
        }
        Payload::Latex { parts, boxed_last } => {
            let mode = if *boxed_last { BoxedMode::Last } else { BoxedMode::All };
            let mut exprs = Vec::new();
            let mut strs = Vec::new();
            for (content, percent) in parts {
                budget.check_now()?;
                let norm = normalize_latex(content, Some(mode));
                let parsed = parse_latex(&norm, budget)?;
                exprs.push(parsed.map(|e| if *percent { Expr::Percent(Box::new(e)) } else { e }));
                strs.push(norm);
            }
            if exprs.len() > 1 && exprs.iter().all(Option::is_some) {
                let mut items = Vec::new();
                for e in exprs.into_iter().flatten() {
                    flatten_set(e, &mut items);
                }
                return Ok((Some(Expr::Set(items)), strs.join(" and ")));
            }
            Ok((
                exprs.into_iter().next().flatten(),
                strs.into_iter().next().unwrap_or_default(),
            ))
        }
    }
}

/// Extracts the answer from `text` following Math-Verify's `parse` (any_match, first_match fallback).
pub fn extract(text: &str, cfg: &ExtractConfig, budget: &mut Budget) -> Result<Extraction, Over> {
    if text.len() > budget.limits.max_input {
        return Err(Over::Size);
    }
    // The answer after `</think>` wins over anything in the thinking section.
    if let Some(pos) = text.rfind("</think>") {
        let after = &text[pos + "</think>".len()..];
        let found = extract_in(after, cfg, budget)?;
        if found.expr.is_some() {
            return Ok(found);
        }
    }
    extract_in(text, cfg, budget)
}

fn extract_in(text: &str, cfg: &ExtractConfig, budget: &mut Budget) -> Result<Extraction, Over> {
    let mut raw: Option<String> = None;
    let mut cands = Vec::new();
    if let Some(letters) = &cfg.choices {
        letter_candidates(text, letters, cfg.boxed_priority, &mut cands);
        // "final answer is X" anchors for letters.
        for (a, e) in final_answer_is_ends(text) {
            let p = skip_ws(text.as_bytes(), e);
            if let Some(l) = letters.iter().find(|l| text[p..].starts_with(l.as_str())) {
                cands.push(Candidate {
                    priority: 50,
                    start: a,
                    end: p + l.len(),
                    payload: Payload::Letter(l.clone()),
                });
            }
        }
    } else {
        // Anchored candidates first; the unanchored ones (all priority 300, the last rung)
        // are only generated when none of those parses, which keeps the common case cheap.
        let envs = if cfg.latex {
            find_envs(text, budget)?
        } else {
            Vec::new()
        };
        if cfg.latex {
            latex_candidates(text, &envs, cfg, false, &mut cands)?;
        }
        if cfg.expr {
            expr_candidates(text, &mut cands, budget)?;
        }
        if let Some(found) = try_candidates(cands, cfg, &mut raw, budget)? {
            return Ok(Extraction { expr: Some(found), raw });
        }
        let mut rest = Vec::new();
        if cfg.latex {
            latex_candidates(text, &envs, cfg, true, &mut rest)?;
        }
        if cfg.expr {
            unanchored_expr_candidates(text, &mut rest, budget)?;
        }
        let found = try_candidates(rest, cfg, &mut raw, budget)?;
        return Ok(Extraction { expr: found, raw });
    }
    let found = try_candidates(cands, cfg, &mut raw, budget)?;
    Ok(Extraction { expr: found, raw })
}

/// Tries candidates by priority, rightmost first; records the first matched string in `raw`.
fn try_candidates(
    mut cands: Vec<Candidate>,
    cfg: &ExtractConfig,
    raw: &mut Option<String>,
    budget: &mut Budget,
) -> Result<Option<Expr>, Over> {
    cands.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then(b.end.cmp(&a.end))
            .then(a.start.cmp(&b.start))
    });
    let mut idx = 0;
    while idx < cands.len() {
        let pr = cands[idx].priority;
        while idx < cands.len() && cands[idx].priority == pr {
            let (expr, s) = realize(&cands[idx], cfg, budget)?;
            if raw.is_none() && !s.is_empty() {
                *raw = Some(s);
            }
            if expr.is_some() {
                return Ok(expr);
            }
            idx += 1;
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Limits;

    fn canon(text: &str, cfg: &ExtractConfig) -> Option<String> {
        let limits = Limits {
            time: std::time::Duration::from_secs(5),
            ..Limits::default()
        };
        let mut budget = Budget::start(limits);
        extract(text, cfg, &mut budget).ok()?.expr.map(|e| e.canonical())
    }

    #[test]
    fn answer_after_think_wins() {
        let cfg = ExtractConfig::default();
        assert_eq!(
            canon(r"<think>maybe \boxed{3}</think> so $x = 4$", &cfg).as_deref(),
            Some("x=4")
        );
        assert_eq!(
            canon(r"<think>maybe \boxed{3}</think> no idea", &cfg).as_deref(),
            Some("3")
        );
    }

    #[test]
    fn boxed_beats_later_plain_math_and_rightmost_boxed_wins() {
        let cfg = ExtractConfig::default();
        assert_eq!(canon(r"$\boxed{5}$ and then $7$", &cfg).as_deref(), Some("5"));
        assert_eq!(
            canon(r"first \boxed{1} then a long detour of text \boxed{2}", &cfg).as_deref(),
            Some("2")
        );
    }

    #[test]
    fn inline_dollars_do_not_cross_newlines() {
        let cfg = ExtractConfig {
            expr: false,
            ..ExtractConfig::default()
        };
        assert_eq!(canon("Answer $ 9 $", &cfg).as_deref(), Some("9"));
        assert_eq!(canon("Answer $ \n 9 \n $", &cfg), None);
    }

    #[test]
    fn plain_numbers_with_separators_and_percent() {
        let cfg = ExtractConfig {
            latex: false,
            ..ExtractConfig::default()
        };
        assert_eq!(canon("it is 1,000.99m²", &cfg).as_deref(), Some("100099/100"));
        assert_eq!(canon("about 28 pct", &cfg).as_deref(), Some("(28)%"));
        assert_eq!(canon("AZYUK2A", &cfg), None);
    }

    #[test]
    fn multiple_choice_letters() {
        let cfg = ExtractConfig {
            choices: Some(vec!["A".into(), "B".into()]),
            ..ExtractConfig::default()
        };
        assert_eq!(canon("A. Because B is not valid", &cfg).as_deref(), Some("text(a)"));
        assert_eq!(canon("Final answer is B", &cfg).as_deref(), Some("text(b)"));
        assert_eq!(canon("No valid answer here", &cfg), None);
        // Forms Math-Verify misses: parenthesized and boxed letters.
        assert_eq!(canon("I pick (B).", &cfg).as_deref(), Some("text(b)"));
        assert_eq!(canon("The answer is (A) since...", &cfg).as_deref(), Some("text(a)"));
        assert_eq!(canon("so the correct option is B)", &cfg).as_deref(), Some("text(b)"));
        assert_eq!(
            canon("Thus $\\boxed{\\text{(B)}}$, not A", &cfg).as_deref(),
            Some("text(b)")
        );
        assert_eq!(canon("A or B? \\boxed{A}", &cfg).as_deref(), Some("text(a)"));
        // A boxed non-letter is no letter, and words that start with a letter are not answers.
        assert_eq!(canon("\\boxed{AB}", &cfg), None);
        assert_eq!(canon("(Because) Both are wrong", &cfg), None);
    }
}
