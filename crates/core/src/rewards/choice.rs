//! `choice`: multiple-choice letter extraction. The *final* stated choice is compared with the reference letter.
//!
//! Where the choice is read from, outside the thinking section (see [`super::extract`]), first that applies:
//! 1. the `<answer>` content (blocks must agree), e.g. `B`, `(B) Paris`, `The answer is B`;
//! 2. the `\boxed{}` content (boxes must agree), e.g. `\boxed{B}`, `\boxed{\text{(B)}}`;
//! 3. the last answer statement: "the answer is (B)", "Answer: C", "**Final answer:** D", "the correct option
//!    is B" (an earlier statement is overridden by a later one);
//! 4. the last non-blank line, only when it is just a choice (`B`, `(B)`, `**B**`, `B.`) or starts like an option
//!    (`B) ...`, `(B) ...`, `B. ...`).
//!
//! A statement naming two different letters ("A or B", "(A), (C)") earns nothing. A bare letter must be
//! uppercase and stand alone (so the article in "A train leaves..." is never read as choice A); a lowercase
//! letter counts only in brackets or as the whole statement.

use serde::Deserialize;
use serde_json::Value;

use super::common::{check_field_name, completion_field, no_answer, reference_field, references};
use super::extract::{answer_tag, boxed, keyword_positions, visible};
use crate::{Component, KeyError, Kind, Reward, RewardError, RewardFactory, RewardSpec, Sample, SampleReward};

/// The registry entry.
pub fn kind() -> Kind<RewardFactory> {
    Kind {
        name: "choice",
        summary: "multiple choice: the final stated letter equals the reference letter",
        build,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_choices")]
    choices: String,
    #[serde(default = "completion_field")]
    completion_field: String,
    #[serde(default = "reference_field")]
    reference_field: String,
}

fn default_choices() -> String {
    "ABCD".to_owned()
}

struct Choice {
    /// The accepted letters, uppercase.
    letters: Vec<char>,
    completion_field: String,
    reference_field: String,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(Choice::new(&spec.params)?))
}

/// One parsed choice statement: its letter, or the letters it names when they disagree.
type Stated = Result<char, Vec<char>>;

impl Choice {
    fn new(params: &crate::Params) -> Result<Self, KeyError> {
        let params: Params = params.parse()?;
        check_field_name("completion_field", &params.completion_field)?;
        check_field_name("reference_field", &params.reference_field)?;
        let mut letters = Vec::new();
        for c in params.choices.chars() {
            if !c.is_ascii_alphanumeric() {
                return Err(KeyError::new(
                    "choices",
                    format!("{c:?} is not an ASCII letter or digit; write the choices like \"ABCDE\""),
                ));
            }
            let upper = c.to_ascii_uppercase();
            if letters.contains(&upper) {
                return Err(KeyError::new(
                    "choices",
                    format!("{c:?} is listed twice (choices match regardless of case)"),
                ));
            }
            letters.push(upper);
        }
        if letters.len() < 2 {
            return Err(KeyError::new("choices", "must list at least two choices"));
        }
        Ok(Self {
            letters,
            completion_field: params.completion_field,
            reference_field: params.reference_field,
        })
    }

    fn letter(&self, c: char) -> Option<char> {
        let upper = c.to_ascii_uppercase();
        self.letters.contains(&upper).then_some(upper)
    }

    /// One choice token at the start of `s` (after wrappers): `(B)`, `[b]`, `B`, `option C`. Returns the letter,
    /// what follows it, and whether it was bracketed. A bare lowercase letter needs `whole_statement` and must
    /// end the statement.
    fn token<'s>(&self, s: &'s str, whole_statement: bool) -> Option<(char, &'s str, bool)> {
        let s = strip_wrappers(s);
        let s = ["option", "choice"]
            .iter()
            .find_map(|word| {
                let head = s.get(..word.len())?;
                let rest = &s[word.len()..];
                (head.eq_ignore_ascii_case(word) && rest.starts_with([' ', '(', '['])).then(|| rest.trim_start())
            })
            .unwrap_or(s);
        let mut chars = s.char_indices();
        let (_, first) = chars.next()?;
        if let Some(close) = match first {
            '(' => Some(')'),
            '[' => Some(']'),
            _ => None,
        } {
            let (_, c) = chars.next()?;
            let (at, closing) = chars.next()?;
            return (closing == close)
                .then(|| self.letter(c))
                .flatten()
                .map(|letter| (letter, &s[at + closing.len_utf8()..], true));
        }
        let letter = self.letter(first)?;
        let rest = &s[first.len_utf8()..];
        if rest.chars().next().is_some_and(char::is_alphanumeric) {
            return None;
        }
        if first.is_ascii_lowercase() {
            let tail = rest.trim_start_matches(['.', '*', '$', '}', ' ', '\t', '\r']);
            if !(whole_statement && (tail.is_empty() || tail.starts_with('\n'))) {
                return None;
            }
        }
        Some((letter, rest, false))
    }

    /// A statement starting at `s`: a choice token, possibly followed by more ("A or B", "(A), (C)").
    /// Returns the verdict and the text after the last token.
    fn statement<'s>(&self, s: &'s str, whole_statement: bool) -> Option<(Stated, &'s str)> {
        let (first, mut rest, bracketed) = self.token(s, whole_statement)?;
        let mut named = vec![first];
        // `B) Paris` / `B. Paris` / `B: Paris`: an option line, not a list.
        if bracketed || !rest.starts_with([')', ']', '.', ':']) {
            while let Some((letter, after)) = self.next_in_list(rest) {
                named.push(letter);
                rest = after;
            }
        }
        named.dedup();
        let mut distinct = named.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let verdict = if distinct.len() == 1 { Ok(first) } else { Err(distinct) };
        Some((verdict, rest))
    }

    /// After a token: separators (`,` `/` `&` `and` `or` ...) and another token that ends a list item.
    fn next_in_list<'s>(&self, rest: &'s str) -> Option<(char, &'s str)> {
        let mut s = rest;
        let mut separated = false;
        loop {
            let trimmed = s.trim_start_matches([' ', '\t', '*', ',', '/', '&', ';']);
            let trimmed = ["and ", "or "]
                .iter()
                .find_map(|w| {
                    let head = trimmed.get(..w.len())?;
                    head.eq_ignore_ascii_case(w).then(|| &trimmed[w.len()..])
                })
                .unwrap_or(trimmed);
            if trimmed.len() == s.len() {
                break;
            }
            separated = true;
            s = trimmed;
        }
        if !separated {
            return None;
        }
        let (letter, after, bracketed) = self.token(s, false)?;
        (bracketed || ends_list_item(after)).then_some((letter, after))
    }

    /// The final answer statement introduced by "answer is", "answer:", "correct option is", ...
    fn last_statement(&self, text: &str) -> Option<Stated> {
        let mut last: Option<(usize, Stated)> = None;
        for keyword in ["answer", "option", "choice"] {
            for at in keyword_positions(text, keyword) {
                if keyword != "answer" && !previous_word_in(&text[..at], &["correct", "best", "right", "final"]) {
                    continue;
                }
                let Some(rest) = connector(&text[at + keyword.len()..]) else {
                    continue;
                };
                if let Some((stated, _)) = self.statement(rest, true)
                    && last.as_ref().is_none_or(|(previous, _)| at > *previous)
                {
                    last = Some((at, stated));
                }
            }
        }
        last.map(|(_, stated)| stated)
    }

    /// The last non-blank line when it is just a choice or starts like an option.
    fn last_line(&self, text: &str) -> Option<Stated> {
        let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty())?;
        let line = line.trim_start_matches(['#', '>', '-', ' ', '\t']);
        let (stated, rest) = self.statement(line, false)?;
        let tail = rest.trim_matches(|c: char| c.is_whitespace() || matches!(c, '*' | '$' | '.' | '}'));
        let (_, _, bracketed) = self.token(line, false)?;
        (tail.is_empty() || bracketed || rest.starts_with([')', ']', '.', ':'])).then_some(stated)
    }

    /// The letter stated in an explicit answer (answer tag or box content).
    fn explicit(&self, content: &str) -> Option<Stated> {
        if let Ok(Some((inner, _))) = boxed(content) {
            return self.statement(inner, true).map(|(stated, _)| stated);
        }
        self.last_statement(content)
            .or_else(|| self.statement(content, true).map(|(stated, _)| stated))
    }

    /// The final stated choice and how it was found, or why there is none.
    fn find(&self, completion: &str) -> Result<(char, &'static str), String> {
        let text = visible(completion).map_err(|e| e.0)?;
        let (stated, method) = if let Some((content, _)) = answer_tag(&text).map_err(|e| e.0)? {
            let stated = self.explicit(content).ok_or("the <answer> content names no choice")?;
            (stated, "answer_tag")
        } else if let Some((content, _)) = boxed(&text).map_err(|e| e.0)? {
            let stated = self.explicit(content).ok_or("the \\boxed{} content names no choice")?;
            (stated, "boxed")
        } else if let Some(stated) = self.last_statement(&text) {
            (stated, "answer_phrase")
        } else if let Some(stated) = self.last_line(&text) {
            (stated, "last_line")
        } else {
            return Err("no stated choice outside the thinking section".to_owned());
        };
        match stated {
            Ok(letter) => Ok((letter, method)),
            Err(letters) => Err(format!(
                "the final answer names several choices: {}",
                letters.iter().map(char::to_string).collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

/// Leading whitespace, bold/math markers and `\text{`-style wrappers.
fn strip_wrappers(mut s: &str) -> &str {
    loop {
        let trimmed = s.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '*' | '$' | '_'));
        let trimmed = ["\\text{", "\\textbf{", "\\mathrm{", "\\mathbf{"]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p))
            .unwrap_or(trimmed);
        if trimmed.len() == s.len() {
            return s;
        }
        s = trimmed;
    }
}

/// A bare list item ends at the end of the text or line, at punctuation, or before "and"/"or".
fn ends_list_item(after: &str) -> bool {
    let rest = after.trim_start_matches(['*', '$', '}']);
    match rest.chars().next() {
        None | Some('\n' | '\r' | ',' | '/' | '&' | ';' | '.' | ')' | ']') => true,
        Some(' ' | '\t') => {
            let word = rest.trim_start();
            word.is_empty()
                || word.starts_with('\n')
                || ["and ", "or "]
                    .iter()
                    .any(|w| word.get(..w.len()).is_some_and(|h| h.eq_ignore_ascii_case(w)))
        }
        Some(_) => false,
    }
}

/// Whether the word right before `before`'s end (skipping spaces and `*`) is one of `words`.
fn previous_word_in(before: &str, words: &[&str]) -> bool {
    let trimmed = before.trim_end_matches([' ', '\t', '*']);
    let start = trimmed
        .char_indices()
        .rev()
        .take(16)
        .take_while(|(_, c)| c.is_alphanumeric())
        .last()
        .map_or(trimmed.len(), |(at, _)| at);
    words.iter().any(|w| trimmed[start..].eq_ignore_ascii_case(w))
}

/// After "answer"/"option"/"choice": `:`, `is`, `is:`, `would be`, `should be`, `will be`, `must be`, `=`.
fn connector(rest: &str) -> Option<&str> {
    let rest = rest.trim_start_matches([' ', '\t', '*']);
    if let Some(after) = rest.strip_prefix([':', '=']) {
        return Some(after);
    }
    for phrase in ["is", "would be", "should be", "will be", "must be"] {
        if let Some(head) = rest.get(..phrase.len())
            && head.eq_ignore_ascii_case(phrase)
            && !rest[phrase.len()..].starts_with(|c: char| c.is_alphanumeric())
        {
            let after = rest[phrase.len()..].trim_start_matches([' ', '\t', '*']);
            return Some(after.strip_prefix(':').unwrap_or(after));
        }
    }
    None
}

impl SampleReward for Choice {
    fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
        let completion = sample.text(&self.completion_field)?;
        let mut expected = Vec::new();
        for reference in references(sample, &self.reference_field)? {
            match self.statement(reference.trim(), true) {
                Some((Ok(letter), rest)) if rest.trim().is_empty() || rest.starts_with([')', '.', ':', ' ']) => {
                    expected.push(letter);
                }
                _ => {
                    let choices: String = self.letters.iter().collect();
                    return Err(RewardError::Failed(format!(
                        "field `{}`: {:?} is not one of the choices {choices}",
                        self.reference_field,
                        reference.as_ref()
                    )));
                }
            }
        }
        Ok(match self.find(&completion) {
            Ok((letter, method)) => Component::new(if expected.contains(&letter) { 1.0 } else { 0.0 })
                .with("extracted", letter.to_string())
                .with("method", method),
            Err(reason) => no_answer(reason),
        }
        .with("reference", Value::from(expected.iter().collect::<String>())))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Params as TableParams;

    fn reward(toml: &str) -> Result<Choice, KeyError> {
        Choice::new(&TableParams(toml.parse().unwrap()))
    }

    fn found(text: &str) -> Result<char, String> {
        reward("").unwrap().find(text).map(|(c, _)| c)
    }

    #[test]
    fn final_stated_choice() {
        assert_eq!(found("Thinking... The answer is (B)."), Ok('B'));
        assert_eq!(found("Answer: C"), Ok('C'));
        assert_eq!(found("so the answer is b."), Ok('B'));
        assert_eq!(found("**Final Answer:** **D**"), Ok('D'));
        assert_eq!(found("The answer is A. Wait, no: the answer is C"), Ok('C'));
        assert_eq!(found("the correct option is B because A is wrong"), Ok('B'));
        assert_eq!(found("The answer is option (D)"), Ok('D'));
        assert_eq!(found("therefore \\boxed{D}"), Ok('D'));
        assert_eq!(found("\\boxed{\\text{(C)}}"), Ok('C'));
        assert_eq!(found("<think>A? B?</think><answer>(B) 42</answer>"), Ok('B'));
        assert_eq!(found("<answer>The answer is c</answer>"), Ok('C'));
        assert_eq!(found("Let me compare.\n**B**"), Ok('B'));
        assert_eq!(found("Options considered.\nB) Paris"), Ok('B'));
        assert_eq!(found("Options considered.\n(c) Paris"), Ok('C'));
        assert_eq!(found("It must be\nD."), Ok('D'));
    }

    #[test]
    fn no_false_positives() {
        assert!(found("A train leaves at noon.").is_err());
        assert!(found("A train leaves at noon.\nA car follows.").is_err());
        assert!(found("The answer is a bit tricky.").is_err());
        assert!(found("Both are wrong").is_err());
        assert!(found("The answer is not clear").is_err());
        // An option mentioned after the final statement does not replace it.
        assert_eq!(found("The answer is B, and option A is wrong."), Ok('B'));
        assert_eq!(found("The answer is A, B is wrong."), Ok('A'));
        // Hidden in the thinking section only.
        assert!(found("<think>The answer is B</think>").is_err());
        assert!(found("<think>The answer is B").is_err());
        // A letter outside the choices.
        assert!(found("The answer is E").is_err());
        assert_eq!(
            reward("choices = 'ABCDE'").unwrap().find("The answer is E").unwrap().0,
            'E'
        );
    }

    #[test]
    fn conflicting_statements_earn_nothing() {
        for text in [
            "The answer is A or B.",
            "Answer: (A), (C)",
            "The answer is A and C",
            "\\boxed{A, B}",
            "\\boxed{A} then \\boxed{B}",
            "<answer>A</answer><answer>B</answer>",
            "Final:\nA, C",
        ] {
            let reason = found(text).unwrap_err();
            assert!(
                reason.contains("several") || reason.contains("conflicting"),
                "{text}: {reason}"
            );
        }
        assert_eq!(found("The answer is B or b"), Ok('B'));
    }

    #[test]
    fn scoring_and_reference() {
        let r = reward("").unwrap();
        let score = |completion: &str, reference: Value| {
            r.score(&Sample::from_completion(completion).with_field("reference", reference))
        };
        let c = score("Answer: (C)", json!("C")).unwrap();
        assert_eq!((c.value, &c.diagnostics["extracted"]), (1.0, &json!("C")));
        assert_eq!(score("Answer: (C)", json!("(c)")).unwrap().value, 1.0);
        assert_eq!(score("Answer: (C)", json!("B")).unwrap().value, 0.0);
        assert_eq!(score("Answer: (C)", json!(["B", "C"])).unwrap().value, 1.0);
        assert_eq!(score("Answer: (C)", json!("C. Paris")).unwrap().value, 1.0);
        assert_eq!(score("東京 🙂 答え: The answer is (A)", json!("A")).unwrap().value, 1.0);
        assert_eq!(score("x", json!("Paris")).unwrap_err().kind(), "Failed");
        assert_eq!(score("x", json!("A or B")).unwrap_err().kind(), "Failed");
        assert_eq!(
            r.score(&Sample::from_completion("A")).unwrap_err().kind(),
            "MissingField"
        );
    }

    #[test]
    fn bad_keys() {
        assert_eq!(reward("choices = 'A'").err().unwrap().key, "choices");
        assert_eq!(reward("choices = 'AaB'").err().unwrap().key, "choices");
        assert_eq!(reward("choices = 'A B'").err().unwrap().key, "choices");
        assert_eq!(reward("choice = 'AB'").err().unwrap().key, "choice");
        assert!(reward("choices = 'ABCDEFGHIJ'").is_ok());
    }

    #[test]
    fn long_input_is_fast() {
        let text = "The answer is A. ".repeat(50_000) + "A train.";
        assert_eq!(found(&text), Ok('A'));
        let text = "answer answer answer ".repeat(50_000);
        assert!(found(&text).is_err());
    }
}
